//! The `social` module: the market-talk social network: posts with tickers, comments, reactions, reposts, follows, bookmarks, mute and block, polls, the home feed, search, trending tickers, reports and analytics (plans: pageshare.md, daira-hardening.md).
//!
//! Built so far: the ticker watchlist (`watchlist/`), the ticker symbol rule and the cashtag
//! extractor (`tickers/`), and the mention extractor (`mentions.rs`).
//! Its issue fills in the other resources, one folder each (routes, types, queries and rules
//! together; see ARCHITECTURE.md).

pub mod mentions;
pub mod tickers;
pub mod watchlist;

use agora_platform::{Module, Tag};

/// What the server mounts when `social` is in `AGORA_MODULES`.
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "social",
        description: "The market-talk social network: tickers and the watchlist",
    }],
    router: watchlist::router,
    ..Module::new("social")
};
