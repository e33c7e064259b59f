//! `GET /feed`.

use agora_core::ApiResult;
use agora_core::extract::{Json, Query};
use agora_core::pagination::{CursorPage, CursorParams, CursorSort};
use agora_platform::AppState;
use agora_platform::identity::Viewer;
use axum::extract::State;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::post_view::page_of;
use crate::posts::model::{Post, PostPage};
use crate::posts::queries::Listing;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const FEED: CursorSort = CursorSort::new("feed", "newest");

/// The home feed: the caller's posts and those of the accounts they follow, reposts included,
/// newest first, without the authors they mute or are blocked from either way. The cursor is a
/// position in time, so posts published while a reader pages do not shift the pages.
#[utoipa::path(get, path = "/feed", tag = "social", security(("bearer" = [])),
    params(PostPage),
    responses(
        (status = 200, body = CursorPage<Post>),
        (status = 401),
        (status = 422, description = "Bad limit or cursor"),
    ))]
pub async fn feed(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(page): Query<PostPage>,
) -> ApiResult<Json<CursorPage<Post>>> {
    let page = CursorParams::new(page.limit, page.cursor.as_deref())
        .resolve::<(DateTime<Utc>, Uuid)>(FEED)?;
    let reader = viewer.user_id;
    page_of(&state, Listing::Feed(reader), Some(reader), &page)
        .await
        .map(Json)
}

/// The routes of feed, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(feed))
}
