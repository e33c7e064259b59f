//! The `social` module: the market-talk social network: posts with tickers, comments, reactions, reposts, follows, bookmarks, mute and block, polls, the home feed, search, trending tickers, reports and analytics (plans: pageshare.md, daira-hardening.md).
//!
//! Built so far: posts (`posts/`: create, read, delete, a user's posts), their edits with
//! history (`edits/`), media (`media/`) and polls (`polls/`), the home feed (`feed/`),
//! comments and the post's real-time room (`comments/`), likes (`reactions/`), reposts and
//! quotes (`reposts/`), bookmarks (`bookmarks/`), follows, mutes and blocks (`graph/`), the
//! ticker watchlist (`watchlist/`), the module's settings (`settings.rs`), the ticker symbol
//! rule and the cashtag extractor (`tickers/`), the mention extractor (`mentions.rs`), search
//! (`search/`), trending tickers (`trending/`) and reports (`reports/`).
//! Its issue fills in the other resources, one folder each (routes, types, queries and rules
//! together; see ARCHITECTURE.md).

pub mod bookmarks;
pub mod comments;
pub mod edits;
pub mod feed;
pub mod graph;
pub mod hidden;
pub mod media;
pub mod mentions;
pub mod migrations;
pub mod moderation;
pub mod polls;
pub mod post_view;
pub mod posts;
pub mod reactions;
pub mod reports;
pub mod reposts;
pub mod search;
pub mod settings;
pub mod tickers;
pub mod trending;
pub mod watchlist;

use agora_platform::analytics::Counter;
use agora_platform::{AppState, Module, Tag};
use utoipa_axum::router::OpenApiRouter;

/// What the server mounts when `social` is in `AGORA_MODULES`.
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "social",
        description: "The market-talk social network: posts, the home feed, comments, likes, reposts, polls, follows, mutes and blocks, tickers, the watchlist, search, trending tickers and reports",
    }],
    router,
    migrations: migrations::migrations,
    profile_facts: Some(graph::profile_facts),
    settings: Some(settings::SECTION),
    jobs: || vec![feed::live::job(), polls::ended_job(), trending::job()],
    schedules: &[trending::SCHEDULE],
    error_codes: &[
        &graph::SELF_RELATION,
        &graph::BLOCKED,
        &edits::EDIT_WINDOW_CLOSED,
        &polls::POLL_CLOSED,
        &polls::ALREADY_VOTED,
        &comments::TOO_DEEP,
        &reposts::ALREADY_REPOSTED,
        &reports::ALREADY_REPORTED,
        &reports::SELF_REPORT,
    ],
    rooms: &[comments::room::POST_ROOMS],
    moderation: moderation::KINDS,
    // Analytics counts the rows each day adds (reposts and quotes are posts; deleted ones
    // still count for the day they were written).
    counters: &[
        Counter {
            name: "posts",
            table: "posts",
            at: "created_at",
        },
        Counter {
            name: "comments",
            table: "comments",
            at: "created_at",
        },
        Counter {
            name: "likes",
            table: "post_likes",
            at: "created_at",
        },
        Counter {
            name: "likes",
            table: "comment_likes",
            at: "created_at",
        },
    ],
    ..Module::new("social")
};

/// Routes of the module, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    feed::routes::router()
        .merge(bookmarks::routes::router())
        .merge(comments::routes::router())
        .merge(edits::routes::router())
        .merge(graph::routes::router())
        .merge(polls::routes::router())
        .merge(posts::routes::router())
        .merge(reactions::routes::router())
        .merge(reports::routes::router())
        .merge(reposts::routes::router())
        .merge(search::routes::router())
        .merge(tickers::page::router())
        .merge(trending::routes::router())
        .merge(watchlist::routes::router())
}
