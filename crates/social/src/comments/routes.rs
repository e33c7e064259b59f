//! Comments: create (a comment on a post or a reply), read, the lists, delete.

use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::{CursorPage, CursorParams, CursorSort, PageRequest};
use agora_core::{ApiError, ApiResult, Created, UserId, time};
use agora_platform::AppState;
use agora_platform::idempotency::{self, Claim, Fingerprint, IdempotencyKey};
use agora_platform::identity::users::{self, Lookup};
use agora_platform::identity::{OptionalViewer, Viewer};
use agora_platform::moderation::{Screened, Target};
use agora_platform::notifications::{self, Delivered, NewNotification};
use agora_store::Transaction;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::model::{Comment, CommentPage, CreateComment};
use super::queries::Thread;
use super::{CommentId, TOO_DEEP, queries, room, rules, view};
use crate::graph::queries as graph;
use crate::posts::queries as posts;
use crate::posts::routes::{no_such_post, target};
use crate::posts::{PostId, rules as post_rules};
use crate::{hidden, moderation};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What makes two creates "the same request" for `Idempotency-Key`.
const CREATE_ROUTE: &str = "POST /posts/{id}/comments";

fn no_such_comment() -> ApiError {
    ApiError::not_found("no comment with this id")
}

/// Comment on a post, or reply to one of its comments (`parent_id`). The post's author is
/// notified (`social.comment`), and for a reply the parent's author (`social.reply`), unless
/// they mute you. The post's room gets `comment.created` and `post.counters`.
#[utoipa::path(post, path = "/posts/{id}/comments", tag = "social", security(("bearer" = [])),
    params(
        ("id" = PostId, Path, description = "Post id (a plain repost stands for its original)"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters (a UUID); a retry with the same key and body returns the first response"),
    ),
    request_body = CreateComment,
    responses(
        (status = 201, description = "Published (or, with `Idempotent-Replayed: true`, published by an earlier request with this key)", body = Comment,
            headers(("Location" = String))),
        (status = 400, description = "A malformed Idempotency-Key"),
        (status = 401),
        (status = 404, description = "No such post or parent comment (deleted, on another post), or a block between you and its author"),
        (status = 422, description = "Invalid fields, `content_rejected` (the content breaks the community's rules), `too_deep` (a reply three levels down), or `idempotency_key_reused` with another body"),
    ))]
pub async fn create_comment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PostId>,
    key: Option<IdempotencyKey>,
    Screened { body, screening }: Screened<CreateComment>,
) -> ApiResult<Response> {
    let fingerprint = Fingerprint::of(CREATE_ROUTE, &(id, &body));
    let content =
        post_rules::content(&body.content).map_err(|e| ApiError::invalid("content", e))?;
    let me = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let pending = match idempotency::claim(&txn, me, key.as_ref(), fingerprint, now).await? {
        Claim::Replay(response) => return Ok(response),
        Claim::Fresh(pending) => pending,
    };
    let post = target(&txn, me, id).await?;
    let post_id = PostId(post.id);
    let parent = match body.parent_id {
        None => None,
        Some(parent_id) => {
            let parent = queries::find(&txn, parent_id)
                .await?
                .filter(|parent| parent.post_id == post.id)
                .filter(|parent| parent.hidden_at.is_none() || parent.author_id == me.0)
                .ok_or_else(|| ApiError::not_found("no comment with this id on this post"))?;
            if graph::blocked_between(&txn, me, UserId(parent.author_id)).await? {
                return Err(no_such_comment());
            }
            let depth = rules::reply_depth(parent.depth).ok_or_else(|| {
                TOO_DEEP.with_detail(format!(
                    "threads are {} levels deep: reply to the comment this one answers",
                    rules::MAX_DEPTH + 1
                ))
            })?;
            Some((parent, depth))
        }
    };
    let mut row = queries::insert(
        &txn,
        post_id,
        me,
        parent.as_ref().map(|(p, depth)| (CommentId(p.id), *depth)),
        content,
        now,
    )
    .await?;
    if let Some(screening) = &screening {
        let target = Target {
            kind: moderation::COMMENT,
            id: row.id,
            author: me,
            text: &row.content,
        };
        screening.queue(&txn, target, now).await?;
        if screening.hides() {
            moderation::set_comment_hidden(&txn, row.id, Some(now)).await?;
            row.hidden_at = Some(now);
        }
    }
    let hidden = row.hidden_at.is_some();
    if !hidden {
        queries::count_in_thread(&txn, &row, 1).await?;
    }
    let comment = view::views(&txn, Some(me), vec![row])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("a new comment without its author"))?;
    let post_author = UserId(post.author_id);
    let parent_author = parent.as_ref().map(|(p, _)| UserId(p.author_id));
    let mut delivered = Vec::new();
    // A hidden comment notifies no one and is not shown in the post's room.
    if let Some(parent_author) = parent_author
        && !hidden
    {
        delivered.push(notify(&txn, &comment, parent_author, "social.reply", now).await?);
    }
    if parent_author != Some(post_author) && !hidden {
        delivered.push(notify(&txn, &comment, post_author, "social.comment", now).await?);
    }
    let counters = room::counters(&txn, post_id).await?;
    let created = Created::at(format!("/comments/{}", comment.id), &comment);
    let response = pending.respond(&txn, created).await?;
    txn.commit().await?;
    for delivered in delivered {
        notifications::after_commit(&state, delivered).await;
    }
    // The room is shared: what it gets is the comment as anyone sees it.
    let shared = Comment {
        liked_by_me: false,
        ..comment
    };
    if !hidden {
        room::publish(
            &state,
            post_id,
            "comment.created",
            serde_json::to_value(&shared).unwrap_or_default(),
        )
        .await;
    }
    room::publish_counters(&state, counters).await;
    Ok(response)
}

/// `kind` (`social.comment`, `social.reply`) to `recipient` about `comment`, unless they are
/// its author, a block stands between them, or they mute its author.
async fn notify(
    txn: &Transaction,
    comment: &Comment,
    recipient: UserId,
    kind: &str,
    now: DateTime<Utc>,
) -> ApiResult<Option<Delivered>> {
    let Some(author) = &comment.author else {
        return Ok(None);
    };
    if !graph::may_notify(txn, author.id, recipient).await? {
        return Ok(None);
    }
    let what = if kind == "social.reply" {
        "replied to your comment"
    } else {
        "commented on your post"
    };
    Ok(notifications::notify(
        txn,
        NewNotification {
            user_id: recipient,
            kind: kind.to_owned(),
            actor_id: Some(author.id),
            title: format!("{} {what}", author.username),
            body: comment
                .content
                .as_deref()
                .map(|c| c.chars().take(140).collect()),
            link: Some(format!("/posts/{}", comment.post_id)),
            payload: json!({
                "post_id": comment.post_id,
                "comment_id": comment.id,
                "parent_id": comment.parent_id,
                "author": author,
            }),
        },
        now,
    )
    .await?)
}

/// A comment, unless deleted, or hidden by a block between the viewer and its author or the
/// post's.
#[utoipa::path(get, path = "/comments/{id}", tag = "social", security((), ("bearer" = [])),
    params(("id" = CommentId, Path, description = "Comment id")),
    responses(
        (status = 200, body = Comment),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 404),
    ))]
pub async fn get_comment(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path(id): Path<CommentId>,
) -> ApiResult<Json<Comment>> {
    let db = state.db().reader();
    let viewer = viewer.0.map(|v| v.user_id);
    let row = queries::find(db, id).await?.ok_or_else(no_such_comment)?;
    let post = posts::find(db, PostId(row.post_id))
        .await?
        .ok_or_else(no_such_comment)?;
    if let Some(viewer) = viewer
        && (graph::blocked_between(db, viewer, UserId(row.author_id)).await?
            || graph::blocked_between(db, viewer, UserId(post.author_id)).await?)
    {
        return Err(no_such_comment());
    }
    if row.hidden_at.is_some() && !hidden::may_see_hidden(db, viewer, row.author_id).await? {
        return Err(no_such_comment());
    }
    view::views(db, viewer, vec![row])
        .await?
        .pop()
        .map(Json)
        .ok_or_else(no_such_comment)
}

const BY_POST: CursorSort = CursorSort::new("post_comments", "oldest");

/// The comments on a post (not their replies: each has `reply_count`, and its replies are
/// `GET /comments/{id}/replies`), oldest first, without the authors the viewer mutes or is
/// blocked from either way. A deleted comment with replies is a tombstone.
#[utoipa::path(get, path = "/posts/{id}/comments", tag = "social", security((), ("bearer" = [])),
    params(("id" = PostId, Path, description = "Post id (a plain repost stands for its original)"), CommentPage),
    responses(
        (status = 200, body = CursorPage<Comment>),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 404, description = "No such post, or a block between you and its author"),
        (status = 422, description = "Bad limit or cursor"),
    ))]
pub async fn post_comments(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path(id): Path<PostId>,
    Query(page): Query<CommentPage>,
) -> ApiResult<Json<CursorPage<Comment>>> {
    let page = CursorParams::new(page.limit, page.cursor.as_deref())
        .resolve::<(DateTime<Utc>, Uuid)>(BY_POST)?;
    let db = state.db().reader();
    let viewer = viewer.0.map(|v| v.user_id);
    let post = match viewer {
        Some(viewer) => target(db, viewer, id).await?,
        None => {
            let row = posts::find(db, id).await?.ok_or_else(no_such_post)?;
            match row.repost_of_id {
                Some(original) => posts::find(db, PostId(original))
                    .await?
                    .ok_or_else(no_such_post)?,
                None => row,
            }
        }
    };
    page_of(&state, Thread::Post(PostId(post.id)), viewer, &page)
        .await
        .map(Json)
}

const REPLIES: CursorSort = CursorSort::new("comment_replies", "oldest");

/// The replies to a comment, oldest first, as the post's comments are listed. The comment may
/// be a tombstone: its thread holds.
#[utoipa::path(get, path = "/comments/{id}/replies", tag = "social", security((), ("bearer" = [])),
    params(("id" = CommentId, Path, description = "Comment id"), CommentPage),
    responses(
        (status = 200, body = CursorPage<Comment>),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 404, description = "No such comment or post, or a block between you and the post's author"),
        (status = 422, description = "Bad limit or cursor"),
    ))]
pub async fn replies(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path(id): Path<CommentId>,
    Query(page): Query<CommentPage>,
) -> ApiResult<Json<CursorPage<Comment>>> {
    let page = CursorParams::new(page.limit, page.cursor.as_deref())
        .resolve::<(DateTime<Utc>, Uuid)>(REPLIES)?;
    let db = state.db().reader();
    let viewer = viewer.0.map(|v| v.user_id);
    let comment = queries::find_any(db, id)
        .await?
        .ok_or_else(no_such_comment)?;
    let post = posts::find(db, PostId(comment.post_id))
        .await?
        .ok_or_else(no_such_comment)?;
    if let Some(viewer) = viewer
        && graph::blocked_between(db, viewer, UserId(post.author_id)).await?
    {
        return Err(no_such_comment());
    }
    page_of(&state, Thread::Replies(id), viewer, &page)
        .await
        .map(Json)
}

async fn page_of(
    state: &AppState,
    thread: Thread,
    viewer: Option<UserId>,
    page: &PageRequest<(DateTime<Utc>, Uuid)>,
) -> ApiResult<CursorPage<Comment>> {
    let db = state.db().reader();
    let rows = queries::list(db, thread, viewer, page).await?;
    let page = page.page(rows, |row| (row.created_at, row.id));
    Ok(CursorPage {
        items: view::views(db, viewer, page.items).await?,
        next_cursor: page.next_cursor,
    })
}

/// Delete a comment: its author, the post's author, a moderator or an admin. With replies it
/// stays as a tombstone; the counts (the post's `comment_count`, the parent's `reply_count`)
/// drop at once. Deleting it again is a 404.
#[utoipa::path(delete, path = "/comments/{id}", tag = "social", security(("bearer" = [])),
    params(("id" = CommentId, Path, description = "Comment id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401),
        (status = 403, description = "Neither its author, the post's author nor a moderator"),
        (status = 404),
    ))]
pub async fn delete_comment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<CommentId>,
) -> ApiResult<StatusCode> {
    let now = time::now();
    let me = viewer.user_id;
    let txn = state.db().begin().await?;
    let row = queries::find(&txn, id).await?.ok_or_else(no_such_comment)?;
    let post = posts::find_any(&txn, PostId(row.post_id))
        .await?
        .ok_or_else(no_such_comment)?;
    if row.author_id != me.0 && post.author_id != me.0 {
        // The current role, not the token's: a demotion takes effect at once.
        let may_moderate = users::find_active(&txn, Lookup::Id(me.0))
            .await?
            .is_some_and(|user| user.role.can_moderate());
        if !may_moderate {
            return Err(ApiError::forbidden(
                "only its author, the post's author or a moderator may delete a comment",
            ));
        }
    }
    let post_id = PostId(post.id);
    let mut counters = None;
    if queries::soft_delete(&txn, &row, now).await? {
        counters = room::counters(&txn, post_id).await?;
    }
    txn.commit().await?;
    if counters.is_some() {
        room::publish(
            &state,
            post_id,
            "comment.deleted",
            json!({ "id": id, "post_id": post_id, "parent_id": row.parent_id }),
        )
        .await;
        room::publish_counters(&state, counters).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of comments, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_comments, create_comment))
        .routes(routes!(get_comment, delete_comment))
        .routes(routes!(replies))
}
