//! `GET /tickers/trending`.

use agora_core::ApiResult;
use agora_core::extract::{Json, Query};
use agora_core::pagination::check_limit;
use agora_platform::AppState;
use axum::extract::State;

use super::model::{TrendingParams, TrendingTicker, TrendingTickers};
use super::queries;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The tickers named by the most distinct accounts over the last hour, day or week (then by
/// the most posts), as the roll-up refreshed every minute has them: one account posting a
/// ticker many times counts once.
#[utoipa::path(get, path = "/tickers/trending", tag = "social", security(()),
    params(TrendingParams),
    responses(
        (status = 200, body = TrendingTickers),
        (status = 422, description = "A bad `window` or `limit`"),
    ))]
pub async fn trending(
    State(state): State<AppState>,
    Query(params): Query<TrendingParams>,
) -> ApiResult<Json<TrendingTickers>> {
    let window = params.window.unwrap_or_default();
    let limit = check_limit("limit", Some(params.limit.unwrap_or(10)))?;
    let (computed_at, rows) = queries::ranking(state.db().reader(), window, limit).await?;
    Ok(Json(TrendingTickers {
        window,
        computed_at,
        items: rows
            .into_iter()
            .map(|row| TrendingTicker {
                rank: row.rank,
                symbol: row.symbol,
                authors: row.authors,
                posts: row.posts,
            })
            .collect(),
    }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(trending))
}
