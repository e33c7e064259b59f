//! Bookmarks: `POST`/`DELETE /posts/{id}/bookmarks`, `GET /bookmarks`.

use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::{CursorPage, CursorParams, CursorSort};
use agora_core::{ApiResult, time};
use agora_platform::AppState;
use agora_platform::identity::Viewer;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::queries;
use crate::post_view as view;
use crate::posts::PostId;
use crate::posts::model::{Post, PostPage};
use crate::posts::routes::target;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Bookmark a post (private: only you see your bookmarks). Bookmarking it again changes
/// nothing.
#[utoipa::path(post, path = "/posts/{id}/bookmarks", tag = "social", security(("bearer" = [])),
    params(("id" = PostId, Path, description = "Post id (a plain repost stands for its original)")),
    responses(
        (status = 204, description = "Bookmarked"),
        (status = 401),
        (status = 404, description = "No such post, or a block between you and its author"),
    ))]
pub async fn bookmark(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PostId>,
) -> ApiResult<StatusCode> {
    let txn = state.db().begin().await?;
    let post = target(&txn, viewer.user_id, id).await?;
    queries::add(&txn, viewer.user_id, PostId(post.id), time::now()).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a bookmark; removing one that is not there changes nothing.
#[utoipa::path(delete, path = "/posts/{id}/bookmarks", tag = "social", security(("bearer" = [])),
    params(("id" = PostId, Path, description = "Post id (a plain repost stands for its original)")),
    responses(
        (status = 204, description = "Not bookmarked"),
        (status = 401),
    ))]
pub async fn unbookmark(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PostId>,
) -> ApiResult<StatusCode> {
    let db = state.db().writer();
    let mut post = id;
    if let Some(row) = crate::posts::queries::find_any(db, id).await?
        && let Some(original) = row.repost_of_id
    {
        post = PostId(original);
    }
    queries::remove(db, viewer.user_id, post).await?;
    Ok(StatusCode::NO_CONTENT)
}

const BOOKMARKS: CursorSort = CursorSort::new("bookmarks", "newest");

/// Your bookmarked posts, newest bookmark first. A deleted post, or one whose author blocked
/// you or whom you blocked, leaves the list.
#[utoipa::path(get, path = "/bookmarks", tag = "social", security(("bearer" = [])),
    params(PostPage),
    responses(
        (status = 200, body = CursorPage<Post>),
        (status = 401),
        (status = 422, description = "Bad limit or cursor"),
    ))]
pub async fn bookmarks(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(page): Query<PostPage>,
) -> ApiResult<Json<CursorPage<Post>>> {
    let page = CursorParams::new(page.limit, page.cursor.as_deref())
        .resolve::<(DateTime<Utc>, Uuid)>(BOOKMARKS)?;
    let db = state.db().reader();
    let me = viewer.user_id;
    let rows = queries::list(db, me, &page).await?;
    let page = page.page(rows, |(post, at)| (*at, post.id));
    let posts = page.items.into_iter().map(|(post, _)| post).collect();
    Ok(Json(CursorPage {
        items: view::views(db, Some(me), posts).await?,
        next_cursor: page.next_cursor,
    }))
}

/// The routes of bookmarks, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(bookmark, unbookmark))
        .routes(routes!(bookmarks))
}
