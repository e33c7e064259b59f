//! The `social` module: the market-talk social network: posts with tickers, comments, reactions, reposts, follows, bookmarks, mute and block, polls, the home feed, search, trending tickers, reports and analytics (plans: pageshare.md, daira-hardening.md).
//!
//! Built so far: posts (`posts/`: create, read, delete, a user's posts), the home feed
//! (`feed/`), follows, mutes and blocks (`graph/`), the ticker watchlist (`watchlist/`),
//! the ticker symbol rule and the cashtag extractor (`tickers/`), the mention extractor
//! (`mentions.rs`), search (`search/`), trending tickers (`trending/`) and reports
//! (`reports/`).
//! Its issue fills in the other resources, one folder each (routes, types, queries and rules
//! together; see ARCHITECTURE.md).

pub mod feed;
pub mod graph;
pub mod mentions;
pub mod migrations;
pub mod posts;
pub mod reports;
pub mod search;
pub mod tickers;
pub mod trending;
pub mod watchlist;

use agora_platform::{AppState, Module, Tag};
use utoipa_axum::router::OpenApiRouter;

/// What the server mounts when `social` is in `AGORA_MODULES`.
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "social",
        description: "The market-talk social network: follows, mutes and blocks, tickers and the watchlist, search, trending tickers and reports",
    }],
    router,
    migrations: migrations::migrations,
    profile_facts: Some(graph::profile_facts),
    jobs: || vec![trending::job()],
    schedules: &[trending::SCHEDULE],
    error_codes: &[
        &graph::SELF_RELATION,
        &graph::BLOCKED,
        &reports::ALREADY_REPORTED,
        &reports::SELF_REPORT,
    ],
    ..Module::new("social")
};

/// Routes of the module, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    feed::router()
        .merge(graph::router())
        .merge(posts::router())
        .merge(reports::router())
        .merge(search::router())
        .merge(tickers::router())
        .merge(trending::router())
        .merge(watchlist::router())
}
