//! The watchlist's SQL.

use agora_core::UserId;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entity::{ActiveModel, Column, Entity};
use super::model::WatchlistItem;
use crate::tickers::Ticker;

/// `user`'s tickers in the order they were added.
pub async fn items(conn: &impl ConnectionTrait, user: UserId) -> DbResult<Vec<WatchlistItem>> {
    Ok(Entity::find()
        .select_only()
        .columns([Column::Symbol, Column::CreatedAt])
        .filter(Column::UserId.eq(user.0))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Symbol)
        .into_model::<WatchlistItem>()
        .all(conn)
        .await?)
}

/// Adds `ticker` to `user`'s watchlist; one already there is left as it is.
pub async fn add(
    conn: &impl ConnectionTrait,
    user: UserId,
    ticker: Ticker,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let row = ActiveModel {
        user_id: Set(user.0),
        symbol: Set(ticker.into()),
        created_at: Set(now),
    };
    Entity::insert(row)
        .on_conflict_do_nothing_on([Column::UserId, Column::Symbol])
        .exec(conn)
        .await?;
    Ok(())
}

/// Removes `ticker` from `user`'s watchlist; whether it was there.
pub async fn remove(conn: &impl ConnectionTrait, user: UserId, ticker: &Ticker) -> DbResult<bool> {
    let deleted = Entity::delete_many()
        .filter(Column::UserId.eq(user.0))
        .filter(Column::Symbol.eq(ticker.as_str()))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// How many users watch `ticker`.
pub async fn watchers(conn: &impl ConnectionTrait, ticker: &Ticker) -> DbResult<u64> {
    Ok(Entity::find()
        .filter(Column::Symbol.eq(ticker.as_str()))
        .count(conn)
        .await?)
}

/// Whether `user` watches `ticker`.
pub async fn watches(conn: &impl ConnectionTrait, user: UserId, ticker: &Ticker) -> DbResult<bool> {
    Ok(Entity::find_by_id((user.0, ticker.as_str().to_owned()))
        .one(conn)
        .await?
        .is_some())
}
