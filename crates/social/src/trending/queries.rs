//! The SQL of trending tickers: the tally of a window (the refresh) and the stored ranking
//! (the reads).

use agora_platform::entities::users;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entity::{trend, window};
use super::model::TrendWindow;
use crate::posts::entity::{post, ticker};

/// How many tickers each window keeps.
pub const KEPT: u64 = 100;

/// A ticker's counts over a window.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Tally {
    pub symbol: String,
    pub authors: i64,
    pub posts: i64,
}

/// The [`KEPT`] tickers named by the most distinct authors since `since`, then by the most
/// posts, then by symbol: posts not deleted, by active accounts (over the index
/// `(symbol, created_at)` of `post_tickers`).
pub async fn tally(conn: &impl ConnectionTrait, since: DateTime<Utc>) -> DbResult<Vec<Tally>> {
    let authors = Func::count_distinct(Expr::col((post::Entity, post::Column::AuthorId)));
    let posts = Expr::col((ticker::Entity, ticker::Column::PostId)).count();
    let select = Query::select()
        .column((ticker::Entity, ticker::Column::Symbol))
        .expr_as(authors.clone(), "authors")
        .expr_as(posts.clone(), "posts")
        .from(ticker::Entity)
        .inner_join(
            post::Entity,
            Expr::col((post::Entity, post::Column::Id))
                .equals((ticker::Entity, ticker::Column::PostId)),
        )
        .inner_join(
            users::Entity,
            Expr::col((users::Entity, users::Column::Id))
                .equals((post::Entity, post::Column::AuthorId)),
        )
        .and_where(Expr::col((ticker::Entity, ticker::Column::CreatedAt)).gte(since))
        .and_where(Expr::col((post::Entity, post::Column::DeletedAt)).is_null())
        .and_where(
            Expr::col((users::Entity, users::Column::Status)).eq(users::AccountStatus::Active),
        )
        .group_by_col((ticker::Entity, ticker::Column::Symbol))
        .order_by_expr(authors.into(), Order::Desc)
        .order_by_expr(posts, Order::Desc)
        .order_by((ticker::Entity, ticker::Column::Symbol), Order::Asc)
        .limit(KEPT)
        .to_owned();
    let rows = conn.query_all(&select).await?;
    Ok(rows
        .iter()
        .map(|row| Tally::from_query_result(row, ""))
        .collect::<Result<_, _>>()?)
}

/// Replaces the ranking of `window` by `tallies` (in their order), computed at `now`.
pub async fn store(
    conn: &impl ConnectionTrait,
    window: TrendWindow,
    tallies: Vec<Tally>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    trend::Entity::delete_many()
        .filter(trend::Column::Period.eq(window.as_str()))
        .exec(conn)
        .await?;
    if !tallies.is_empty() {
        trend::Entity::insert_many(tallies.into_iter().zip(1..).map(|(tally, rank)| {
            trend::ActiveModel {
                period: Set(window.as_str().to_owned()),
                rank: Set(rank),
                symbol: Set(tally.symbol),
                authors: Set(tally.authors),
                posts: Set(tally.posts),
            }
        }))
        .exec_without_returning(conn)
        .await?;
    }
    window::Entity::insert(window::ActiveModel {
        period: Set(window.as_str().to_owned()),
        computed_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(window::Column::Period)
            .update_column(window::Column::ComputedAt)
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The first `limit` of `window`'s ranking, and when it was computed (none before the first
/// refresh).
pub async fn ranking(
    conn: &impl ConnectionTrait,
    window: TrendWindow,
    limit: u64,
) -> DbResult<(Option<DateTime<Utc>>, Vec<trend::Model>)> {
    let computed_at = window::Entity::find_by_id(window.as_str().to_owned())
        .one(conn)
        .await?
        .map(|row| row.computed_at);
    let items = trend::Entity::find()
        .filter(trend::Column::Period.eq(window.as_str()))
        .order_by_asc(trend::Column::Rank)
        .limit(limit)
        .all(conn)
        .await?;
    Ok((computed_at, items))
}
