//! `GET /tickers/{symbol}`: a ticker, how many watch it, whether the viewer does, and the posts
//! that name it.

use agora_core::ApiResult;
use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::{CursorPage, CursorParams, CursorSort};
use agora_platform::AppState;
use agora_platform::identity::OptionalViewer;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Ticker;
use crate::post_view::page_of;
use crate::posts::model::{Post, PostPage};
use crate::posts::queries::Listing;
use crate::watchlist::queries as watchlist;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const POSTS: CursorSort = CursorSort::new("ticker_posts", "newest");

/// A ticker's page.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TickerPage {
    pub symbol: String,
    /// How many users have it on their watchlist.
    pub watcher_count: u64,
    /// Whether the viewer has it on theirs; `null` without a token.
    pub watched_by_me: Option<bool>,
    /// The posts that name it, newest first (`limit` and `cursor` page them).
    pub posts: CursorPage<Post>,
}

/// A ticker with its posts.
#[utoipa::path(get, path = "/tickers/{symbol}", tag = "social", security((), ("bearer" = [])),
    params(("symbol" = String, Path, description = "`AAPL`, `$aapl`, `BRK.B`"), PostPage),
    responses(
        (status = 200, body = TickerPage),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 404, description = "Not a ticker symbol"),
        (status = 422, description = "Bad limit or cursor"),
    ))]
pub async fn ticker_page(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path(symbol): Path<String>,
    Query(page): Query<PostPage>,
) -> ApiResult<Json<TickerPage>> {
    let ticker = Ticker::parse(&symbol)
        .map_err(|_| agora_core::ApiError::not_found("no ticker has this symbol"))?;
    let page = CursorParams::new(page.limit, page.cursor.as_deref())
        .resolve::<(DateTime<Utc>, Uuid)>(POSTS)?;
    let viewer = viewer.0.map(|v| v.user_id);
    let db = state.db().reader();
    let watcher_count = watchlist::watchers(db, &ticker).await?;
    let watched_by_me = match viewer {
        Some(viewer) => Some(watchlist::watches(db, viewer, &ticker).await?),
        None => None,
    };
    let posts = page_of(&state, Listing::Ticker(&ticker), viewer, &page).await?;
    Ok(Json(TickerPage {
        symbol: ticker.into(),
        watcher_count,
        watched_by_me,
        posts,
    }))
}

/// `GET /tickers/{symbol}`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ticker_page))
}
