//! What hidden means for posts and comments: a row a content rule hides (`hidden_at`) is seen
//! by its author, and on a single read by moderators and admins, by no one else. Below the
//! resources' queries, which filter with it; `crate::moderation` hides, restores and removes.

use agora_core::UserId;
use agora_platform::identity::users::{self, Lookup};
use agora_store::DbResult;
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef};
use sea_orm::{Condition, ConnectionTrait};
use uuid::Uuid;

/// The filter of every list: rows not hidden, and the viewer's own.
pub fn visible_to(
    viewer: Option<UserId>,
    hidden_at: impl IntoColumnRef + Copy,
    author: impl IntoColumnRef + Copy,
) -> Condition {
    let condition = Condition::any().add(Expr::col(hidden_at).is_null());
    match viewer {
        Some(viewer) => condition.add(Expr::col(author).eq(viewer.0)),
        None => condition,
    }
}

/// Whether `viewer` may read a hidden row of `author` on its own: its author, or a moderator
/// (the current role, read from the database).
pub async fn may_see_hidden(
    conn: &impl ConnectionTrait,
    viewer: Option<UserId>,
    author: Uuid,
) -> DbResult<bool> {
    let Some(viewer) = viewer else {
        return Ok(false);
    };
    if viewer.0 == author {
        return Ok(true);
    }
    Ok(users::find_active(conn, Lookup::Id(viewer.0))
        .await?
        .is_some_and(|user| user.role.can_moderate()))
}
