//! The SQL of edits.

use agora_core::UserId;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::entity;
use crate::posts::entity::{mention, post, ticker};
use crate::tickers::Ticker;

/// The most former texts `GET /posts/{id}/edits` lists.
pub const HISTORY_MAX: u64 = 100;

/// Replaces the text of `row` (as read) with `content` and keeps the old one in the history;
/// false when the post changed or was deleted since it was read (a concurrent edit).
pub async fn replace(
    conn: &impl ConnectionTrait,
    row: &post::Model,
    content: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let updated = post::Entity::update_many()
        .col_expr(post::Column::Content, Expr::value(content))
        .col_expr(post::Column::EditedAt, Expr::value(now))
        .filter(post::Column::Id.eq(row.id))
        .filter(post::Column::DeletedAt.is_null())
        .filter(post::Column::Content.eq(row.content.as_str()))
        .exec(conn)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(false);
    }
    entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        post_id: Set(row.id),
        content: Set(row.content.clone()),
        written_at: Set(row.edited_at.unwrap_or(row.created_at)),
        replaced_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(true)
}

/// Links `tickers` to the post `row` instead of those it had (ticker pages keep the post's
/// place: its publishing time).
pub async fn relink_tickers(
    conn: &impl ConnectionTrait,
    row: &post::Model,
    tickers: &[Ticker],
) -> DbResult<()> {
    ticker::Entity::delete_many()
        .filter(ticker::Column::PostId.eq(row.id))
        .exec(conn)
        .await?;
    if !tickers.is_empty() {
        ticker::Entity::insert_many(tickers.iter().map(|t| ticker::ActiveModel {
            post_id: Set(row.id),
            symbol: Set(t.as_str().to_owned()),
            created_at: Set(row.created_at),
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// The users the post `id` mentions (linked).
pub async fn mentioned(conn: &impl ConnectionTrait, id: Uuid) -> DbResult<Vec<UserId>> {
    Ok(mention::Entity::find()
        .filter(mention::Column::PostId.eq(id))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| UserId(m.user_id))
        .collect())
}

/// Links `users` as mentioned by the post `id` (none of them is yet).
pub async fn add_mentions(conn: &impl ConnectionTrait, id: Uuid, users: &[UserId]) -> DbResult<()> {
    if users.is_empty() {
        return Ok(());
    }
    mention::Entity::insert_many(users.iter().map(|user| mention::ActiveModel {
        post_id: Set(id),
        user_id: Set(user.0),
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The former texts of the post `id`, the most recently replaced first, at most
/// [`HISTORY_MAX`].
pub async fn history(conn: &impl ConnectionTrait, id: Uuid) -> DbResult<Vec<entity::Model>> {
    Ok(entity::Entity::find()
        .filter(entity::Column::PostId.eq(id))
        .order_by_desc(entity::Column::ReplacedAt)
        .order_by_desc(entity::Column::Id)
        .limit(HISTORY_MAX)
        .all(conn)
        .await?)
}
