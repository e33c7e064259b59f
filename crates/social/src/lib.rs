//! The `social` module: the market-talk social network: posts with tickers, comments, reactions, reposts, follows, bookmarks, mute and block, polls, the home feed, search, trending tickers, reports and analytics (plans: pageshare.md, daira-hardening.md).
//!
//! Not built yet: the module brings nothing (`Module::new`). Its issue fills in the
//! resources, one folder each (routes, types, queries and rules together; see ARCHITECTURE.md).

use agora_platform::Module;

/// What the server mounts when `social` is in `AGORA_MODULES`.
pub const MODULE: Module = Module::new("social");
