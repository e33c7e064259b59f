//! The watchlist's handlers.

use agora_core::extract::{Json, Path};
use agora_core::{ApiError, ApiResult, time};
use agora_platform::AppState;
use agora_platform::identity::Viewer;
use axum::extract::State;
use axum::http::StatusCode;

use super::model::{AddSymbol, Watchlist};
use super::{WATCHLIST_MAX, queries};
use crate::tickers::Ticker;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Your watchlist.
#[utoipa::path(get, path = "/users/me/watchlist", tag = "social", security(("bearer" = [])),
    responses(
        (status = 200, body = Watchlist),
        (status = 401),
    ))]
pub async fn list_watchlist(
    State(state): State<AppState>,
    viewer: Viewer,
) -> ApiResult<Json<Watchlist>> {
    Ok(Json(Watchlist {
        items: queries::items(state.db().reader(), viewer.user_id).await?,
    }))
}

/// Adds a ticker to your watchlist (adding one already there changes nothing).
#[utoipa::path(post, path = "/users/me/watchlist", tag = "social", security(("bearer" = [])),
    request_body = AddSymbol,
    responses(
        (status = 200, description = "The watchlist after the addition", body = Watchlist),
        (status = 401),
        (status = 409, description = "The watchlist is full (100)"),
        (status = 422, description = "Not a ticker symbol"),
    ))]
pub async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(body): Json<AddSymbol>,
) -> ApiResult<Json<Watchlist>> {
    let ticker =
        Ticker::parse(&body.symbol).map_err(|invalid| ApiError::invalid("symbol", invalid))?;
    let txn = state.db().begin().await?;
    queries::add(&txn, viewer.user_id, ticker, time::now()).await?;
    // Counted after the insert, in its transaction: two concurrent additions cannot both
    // pass a count taken before them.
    let items = queries::items(&txn, viewer.user_id).await?;
    if items.len() > WATCHLIST_MAX {
        return Err(ApiError::conflict(format!(
            "a watchlist holds at most {WATCHLIST_MAX} tickers; remove one first"
        )));
    }
    txn.commit().await?;
    Ok(Json(Watchlist { items }))
}

/// Removes a ticker from your watchlist.
#[utoipa::path(delete, path = "/users/me/watchlist/{symbol}", tag = "social", security(("bearer" = [])),
    params(("symbol" = String, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 401),
        (status = 404, description = "Not on the watchlist"),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(symbol): Path<String>,
) -> ApiResult<StatusCode> {
    let not_on_it = || ApiError::not_found("this ticker is not on your watchlist");
    let ticker = Ticker::parse(&symbol).map_err(|_| not_on_it())?;
    if !queries::remove(state.db().writer(), viewer.user_id, &ticker).await? {
        return Err(not_on_it());
    }
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_watchlist, add))
        .routes(routes!(remove))
}
