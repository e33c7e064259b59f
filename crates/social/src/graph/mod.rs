//! The social graph: follows, mutes and blocks between users (one table, `user_relations`,
//! a row per user, kind and target), the followers and following lists and the caller's
//! content filters.
//!
//! - `routes.rs`: the handlers; `model.rs`: response types and list parameters;
//!   `queries.rs`: the SQL; `entity.rs`: the typed row and `RelationKind`.
//!
//! Profile counters (`followers_count`, `following_count`) change in the transaction of the
//! follow that changes them. A block ends follows both ways; who blocked whom is hidden from
//! each other (404) in the lists, and later in feeds, timelines, search and notifications.

mod entity;
pub mod model;
pub mod queries;
pub mod routes;

pub use entity::RelationKind;

use agora_core::{ErrorCode, UserId};
use agora_platform::AppState;
use agora_platform::profiles::ViewerFacts;
use agora_store::DbResult;
use axum::http::StatusCode;
use futures::FutureExt;
use futures::future::BoxFuture;

pub const SELF_RELATION: ErrorCode = ErrorCode {
    status: StatusCode::UNPROCESSABLE_ENTITY,
    code: "self_relation",
    when: "A user tried to follow, mute or block themselves.",
    what_to_do: "Do not offer the action on the user's own profile.",
};

pub const BLOCKED: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "blocked",
    when: "A user tried to follow someone they block.",
    what_to_do: "Offer to unblock them first (`DELETE /users/{id}/block`).",
};

/// What the graph tells the platform's public profile (`Module::profile_facts`): a block
/// either way hides the profile, and whether the viewer follows the user.
pub fn profile_facts(
    state: AppState,
    viewer: UserId,
    user: UserId,
) -> BoxFuture<'static, DbResult<ViewerFacts>> {
    async move {
        let db = state.db().reader();
        Ok(ViewerFacts {
            hidden: queries::blocked_between(db, viewer, user).await?,
            followed_by_me: Some(queries::holds(db, viewer, RelationKind::Follow, user).await?),
        })
    }
    .boxed()
}
