//! Moderation of posts and comments: a content rule hides a row (`hidden_at`; who still sees
//! it: `crate::hidden`), and the moderators restore it or remove it from the queue
//! (`agora_platform::moderation`).

use agora_core::UserId;
use agora_platform::moderation::ModeratedKind;
use agora_platform::profiles::{self, Counter};
use agora_store::{DbResult, Transaction};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::comments::CommentId;
use crate::comments::entity as comment;
use crate::comments::queries as comments;
use crate::posts::PostId;
use crate::posts::entity::post;
use crate::posts::queries::{self as posts, Count as PostCount};

/// The kinds of queue entries of this module.
pub const POST: &str = "post";
pub const COMMENT: &str = "comment";

/// Sets or clears a post's hidden state; false when it is deleted or absent.
pub async fn set_post_hidden(
    conn: &impl ConnectionTrait,
    id: Uuid,
    hidden_at: Option<DateTime<Utc>>,
) -> DbResult<bool> {
    let done = post::Entity::update_many()
        .col_expr(post::Column::HiddenAt, Expr::value(hidden_at))
        .filter(post::Column::Id.eq(id))
        .filter(post::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Sets or clears a comment's hidden state; false when it is deleted or absent.
pub async fn set_comment_hidden(
    conn: &impl ConnectionTrait,
    id: Uuid,
    hidden_at: Option<DateTime<Utc>>,
) -> DbResult<bool> {
    let done = comment::Entity::update_many()
        .col_expr(comment::Column::HiddenAt, Expr::value(hidden_at))
        .filter(comment::Column::Id.eq(id))
        .filter(comment::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Posts and comments on the moderation queue (`MODULE.moderation`).
pub const KINDS: &[ModeratedKind] = &[
    ModeratedKind {
        kind: POST,
        restore: restore_post,
        remove: remove_post,
    },
    ModeratedKind {
        kind: COMMENT,
        restore: restore_comment,
        remove: remove_comment,
    },
];

fn restore_post(txn: &Transaction, id: Uuid, _: DateTime<Utc>) -> BoxFuture<'_, DbResult<bool>> {
    Box::pin(set_post_hidden(txn, id, None))
}

/// Shows the comment again; a hidden one is counted in its thread from now on.
fn restore_comment(txn: &Transaction, id: Uuid, _: DateTime<Utc>) -> BoxFuture<'_, DbResult<bool>> {
    Box::pin(async move {
        let Some(row) = comments::find(txn, CommentId(id)).await? else {
            return Ok(false);
        };
        if !set_comment_hidden(txn, id, None).await? {
            return Ok(false);
        }
        if row.hidden_at.is_some() {
            comments::count_in_thread(txn, &row, 1).await?;
        }
        Ok(true)
    })
}

/// Deletes the post as its author would (soft delete, the counts it held given back).
fn remove_post(txn: &Transaction, id: Uuid, now: DateTime<Utc>) -> BoxFuture<'_, DbResult<bool>> {
    Box::pin(async move {
        let Some(row) = posts::find_any(txn, PostId(id)).await? else {
            return Ok(false);
        };
        if !posts::soft_delete(txn, PostId(id), now).await? {
            return Ok(false);
        }
        if row.repost_of_id.is_none() {
            profiles::adjust_counter(txn, UserId(row.author_id), Counter::Posts, -1, now).await?;
        }
        if let Some(original) = row.repost_of_id.or(row.quote_of_id) {
            posts::adjust(txn, PostId(original), PostCount::Reposts, -1).await?;
        }
        Ok(true)
    })
}

/// Deletes the comment as its author would (a tombstone when it has replies).
fn remove_comment(
    txn: &Transaction,
    id: Uuid,
    now: DateTime<Utc>,
) -> BoxFuture<'_, DbResult<bool>> {
    Box::pin(async move {
        let Some(row) = comments::find_any(txn, CommentId(id)).await? else {
            return Ok(false);
        };
        comments::soft_delete(txn, &row, now).await
    })
}
