//! Likes: a toggle on a post and on a comment.

use agora_core::extract::{Json, Path};
use agora_core::{ApiError, ApiResult, UserId, time};
use agora_platform::AppState;
use agora_platform::identity::Viewer;
use agora_platform::identity::users;
use agora_platform::notifications::{self, Delivered, NewNotification};
use agora_store::Transaction;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::model::Reaction;
use super::queries::{self, Toggled};
use crate::comments::queries::{self as comments, Count as CommentCount};
use crate::comments::{CommentId, room};
use crate::graph::queries as graph;
use crate::posts::PostId;
use crate::posts::queries::{self as posts, Count};
use crate::posts::routes::target;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Like a post, or take the like back: each call toggles. The post's author is notified of
/// likes in one grouped notification ("alice and 3 others liked your post") while unread; a
/// like taken back is not un-notified. The post's room gets `post.counters`.
#[utoipa::path(post, path = "/posts/{id}/reactions", tag = "social", security(("bearer" = [])),
    params(("id" = PostId, Path, description = "Post id (a plain repost stands for its original)")),
    responses(
        (status = 200, description = "Toggled: whether you now like it, and its count", body = Reaction),
        (status = 401),
        (status = 404, description = "No such post, or a block between you and its author"),
    ))]
pub async fn react_to_post(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PostId>,
) -> ApiResult<Json<Reaction>> {
    let me = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let post = target(&txn, me, id).await?;
    let post_id = PostId(post.id);
    let toggled = queries::toggle_post(&txn, me, post.id, now).await?;
    let mut delivered = None;
    if toggled == Toggled::Liked {
        let link = format!("/posts/{post_id}");
        let group = format!("social.like:post:{post_id}");
        let payload = json!({ "post_id": post_id });
        delivered = notify_like(
            &txn,
            me,
            UserId(post.author_id),
            "post",
            link,
            group,
            payload,
            now,
        )
        .await?;
    }
    // Last: the post's row is locked from here to the commit, and a popular post's likes queue
    // on it.
    let counters = posts::adjust(&txn, post_id, Count::Likes, toggled.delta())
        .await?
        .as_ref()
        .map(room::Counters::of);
    let like_count = counters.as_ref().map_or(0, |c| c.like_count);
    txn.commit().await?;
    notifications::after_commit(&state, delivered).await;
    room::publish_counters(&state, counters).await;
    Ok(Json(Reaction {
        liked: toggled == Toggled::Liked,
        like_count,
    }))
}

/// Like a comment, or take the like back: each call toggles. Its author is notified as for a
/// post (grouped).
#[utoipa::path(post, path = "/comments/{id}/reactions", tag = "social", security(("bearer" = [])),
    params(("id" = CommentId, Path, description = "Comment id")),
    responses(
        (status = 200, description = "Toggled: whether you now like it, and its count", body = Reaction),
        (status = 401),
        (status = 404, description = "No such comment or post, or a block between you and the author of either"),
    ))]
pub async fn react_to_comment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<CommentId>,
) -> ApiResult<Json<Reaction>> {
    let me = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let no_such_comment = || ApiError::not_found("no comment with this id");
    let comment = comments::find(&txn, id)
        .await?
        .ok_or_else(no_such_comment)?;
    let post = target(&txn, me, PostId(comment.post_id)).await?;
    if graph::blocked_between(&txn, me, UserId(comment.author_id)).await? {
        return Err(no_such_comment());
    }
    let toggled = queries::toggle_comment(&txn, me, comment.id, now).await?;
    comments::adjust(&txn, id, CommentCount::Likes, toggled.delta()).await?;
    let like_count = comments::find_any(&txn, id)
        .await?
        .map_or(0, |c| c.like_count);
    let mut delivered = None;
    if toggled == Toggled::Liked {
        let link = format!("/posts/{}", post.id);
        let group = format!("social.like:comment:{id}");
        let payload = json!({ "post_id": post.id, "comment_id": id });
        delivered = notify_like(
            &txn,
            me,
            UserId(comment.author_id),
            "comment",
            link,
            group,
            payload,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    notifications::after_commit(&state, delivered).await;
    Ok(Json(Reaction {
        liked: toggled == Toggled::Liked,
        like_count,
    }))
}

/// `social.like` to `recipient`, grouped by what was liked, unless they liked their own, a
/// block stands between them, or they mute the one who liked it.
#[allow(clippy::too_many_arguments)]
async fn notify_like(
    txn: &Transaction,
    actor: UserId,
    recipient: UserId,
    what: &str,
    link: String,
    group: String,
    payload: serde_json::Value,
    now: DateTime<Utc>,
) -> ApiResult<Option<Delivered>> {
    if !graph::may_notify(txn, actor, recipient).await? {
        return Ok(None);
    }
    let Some(liker) = users::find(txn, actor.0).await? else {
        return Ok(None);
    };
    let name = liker.username.clone();
    let title = format!("{name} liked your {what}");
    let what = what.to_owned();
    Ok(notifications::notify_grouped(
        txn,
        NewNotification {
            user_id: recipient,
            kind: "social.like".to_owned(),
            actor_id: Some(actor),
            title,
            body: None,
            link: Some(link),
            payload,
        },
        &group,
        move |count| match count - 1 {
            0 => format!("{name} liked your {what}"),
            1 => format!("{name} and 1 other liked your {what}"),
            others => format!("{name} and {others} others liked your {what}"),
        },
        now,
    )
    .await?)
}

/// The routes of reactions, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(react_to_post))
        .routes(routes!(react_to_comment))
}
