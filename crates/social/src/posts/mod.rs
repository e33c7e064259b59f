//! Posts: what users publish, with the tickers they name (`post_tickers`, for ticker pages) and
//! the users they mention (`post_mentions`, notified).
//!
//! - `routes.rs`: the handlers; `model.rs`: request and response types; `queries.rs`: the SQL;
//!   `rules.rs`: what a post may hold; `entity.rs`: the typed rows. Posts as clients see them
//!   are built in `crate::post_view`.
//!
//! Built so far: create (with `Idempotency-Key`, media and a poll), read, edit (`PATCH`, in
//! `crate::edits`), soft delete (author, moderator, admin), a user's posts, the public timeline
//! and ticker pages (`crate::tickers::page`). Reposts and quotes are posts too
//! (`repost_of_id`, `quote_of_id`: see `crate::reposts`).

pub mod entity;
pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;

agora_core::id_type!(
    /// Identifies a post.
    PostId
);
