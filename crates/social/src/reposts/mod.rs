//! Reposts and quotes. Both are rows of `posts` (as Mastodon's reblogs): a plain repost has
//! `repost_of_id` and empty content, a quote has `quote_of_id` and is a post in all else
//! (published through `posts::routes::publish`). The original's `repost_count` counts both, in
//! the writer's transaction; a partial unique index keeps one live plain repost per user and
//! post, so a second one is 409 `already_reposted` even when concurrent.
//!
//! - `routes.rs`: the handlers; `model.rs`: the request and the embedded original;
//!   `queries.rs`: the SQL (and the viewer's reposts of a page); `view.rs`: the originals of a
//!   page of posts, in one query.

pub mod model;
pub mod queries;
pub mod routes;
pub mod view;

use agora_core::ErrorCode;
use axum::http::StatusCode;

pub const ALREADY_REPOSTED: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "already_reposted",
    when: "A user reposted a post they already have a plain repost of.",
    what_to_do: "Show it as reposted (`reposted_by_me`); `DELETE /posts/{id}/reposts` undoes it.",
};
