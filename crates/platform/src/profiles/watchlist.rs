//! `/users/me/watchlist`: the tickers a user follows, at most 100, each once.

use agora_core::extract::{Json, Path};
use agora_core::{ApiError, ApiResult, UserId, time};
use agora_store::DbError;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DeriveIden, FromQueryResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::rules::{self, WATCHLIST_MAX};
use crate::AppState;
use crate::identity::Viewer;

#[derive(DeriveIden)]
enum WatchlistItems {
    Table,
    UserId,
    Symbol,
    CreatedAt,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_watchlist, add))
        .routes(routes!(remove))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, FromQueryResult)]
pub struct WatchlistItem {
    pub symbol: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Watchlist {
    /// In the order they were added.
    pub items: Vec<WatchlistItem>,
}

async fn items(conn: &impl ConnectionTrait, user: UserId) -> ApiResult<Vec<WatchlistItem>> {
    let select = Query::select()
        .columns([WatchlistItems::Symbol, WatchlistItems::CreatedAt])
        .from(WatchlistItems::Table)
        .and_where(Expr::col(WatchlistItems::UserId).eq(user.0))
        .order_by(WatchlistItems::CreatedAt, Order::Asc)
        .order_by(WatchlistItems::Symbol, Order::Asc)
        .to_owned();
    let rows = conn.query_all(&select).await.map_err(DbError::from)?;
    Ok(rows
        .iter()
        .map(|row| WatchlistItem::from_query_result(row, ""))
        .collect::<Result<_, _>>()
        .map_err(DbError::from)?)
}

/// Your watchlist.
#[utoipa::path(get, path = "/users/me/watchlist", tag = "identity", security(("bearer" = [])),
    responses(
        (status = 200, body = Watchlist),
        (status = 401),
    ))]
async fn list_watchlist(
    State(state): State<AppState>,
    viewer: Viewer,
) -> ApiResult<Json<Watchlist>> {
    Ok(Json(Watchlist {
        items: items(state.db().reader(), viewer.user_id).await?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddSymbol {
    /// `AAPL`, `$aapl`, `BRK.B`: 1–10 letters or digits, with at most one inner `.`.
    #[schema(pattern = "^[$#]?([A-Za-z0-9]{1,10}|[A-Za-z0-9]{1,4}\\.[A-Za-z0-9]{1,5})$")]
    pub symbol: String,
}

/// Adds a ticker to your watchlist (adding one already there changes nothing).
#[utoipa::path(post, path = "/users/me/watchlist", tag = "identity", security(("bearer" = [])),
    request_body = AddSymbol,
    responses(
        (status = 200, description = "The watchlist after the addition", body = Watchlist),
        (status = 401),
        (status = 409, description = "The watchlist is full (100)"),
        (status = 422, description = "Not a ticker symbol"),
    ))]
async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(body): Json<AddSymbol>,
) -> ApiResult<Json<Watchlist>> {
    let symbol =
        rules::symbol(&body.symbol).map_err(|invalid| ApiError::invalid("symbol", invalid))?;
    let txn = state.db().begin().await?;
    let insert = Query::insert()
        .into_table(WatchlistItems::Table)
        .columns([
            WatchlistItems::UserId,
            WatchlistItems::Symbol,
            WatchlistItems::CreatedAt,
        ])
        .values_panic([viewer.user_id.0.into(), symbol.into(), time::now().into()])
        .on_conflict(
            OnConflict::columns([WatchlistItems::UserId, WatchlistItems::Symbol])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    txn.execute(&insert).await.map_err(DbError::from)?;
    // Counted after the insert, in its transaction: two concurrent additions cannot both
    // pass a count taken before them.
    let items = items(&txn, viewer.user_id).await?;
    if items.len() > WATCHLIST_MAX {
        return Err(ApiError::conflict(format!(
            "a watchlist holds at most {WATCHLIST_MAX} tickers; remove one first"
        )));
    }
    txn.commit().await?;
    Ok(Json(Watchlist { items }))
}

/// Removes a ticker from your watchlist.
#[utoipa::path(delete, path = "/users/me/watchlist/{symbol}", tag = "identity", security(("bearer" = [])),
    params(("symbol" = String, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 401),
        (status = 404, description = "Not on the watchlist"),
    ))]
async fn remove(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(symbol): Path<String>,
) -> ApiResult<StatusCode> {
    let not_on_it = || ApiError::not_found("this ticker is not on your watchlist");
    let symbol = rules::symbol(&symbol).map_err(|_| not_on_it())?;
    let delete = Query::delete()
        .from_table(WatchlistItems::Table)
        .and_where(Expr::col(WatchlistItems::UserId).eq(viewer.user_id.0))
        .and_where(Expr::col(WatchlistItems::Symbol).eq(symbol))
        .to_owned();
    let removed = state
        .db()
        .writer()
        .execute(&delete)
        .await
        .map_err(DbError::from)?
        .rows_affected();
    if removed == 0 {
        return Err(not_on_it());
    }
    Ok(StatusCode::NO_CONTENT)
}
