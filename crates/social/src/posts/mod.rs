//! Posts: what users publish, with the tickers they name (`post_tickers`, for ticker pages) and
//! the users they mention (`post_mentions`, notified).
//!
//! - `routes.rs`: the handlers; `model.rs`: request and response types; `queries.rs`: the SQL;
//!   `view.rs`: a page of posts as clients see it, in a fixed number of queries; `rules.rs`: what a post
//!   may hold; `entity.rs`: the typed rows.
//!
//! Built so far: create (with `Idempotency-Key`), read, soft delete (author, moderator,
//! admin), a user's posts, the public timeline and ticker pages (`crate::tickers::page`).
//! Edits with history, media, polls and the feed come with the rest of the social issue.

pub(crate) mod entity;
pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod view;

use agora_platform::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

agora_core::id_type!(
    /// Identifies a post.
    PostId
);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::timeline, routes::create_post))
        .routes(routes!(routes::get_post, routes::delete_post))
        .routes(routes!(routes::user_posts))
}
