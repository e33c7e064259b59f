//! Reposts and quotes: `POST`/`DELETE /posts/{id}/reposts`.

use agora_core::extract::Path;
use agora_core::{ApiError, ApiResult, Created, UserId, time};
use agora_platform::AppState;
use agora_platform::idempotency::{self, Claim, Fingerprint, IdempotencyKey};
use agora_platform::identity::Viewer;
use agora_platform::moderation::Screened;
use agora_platform::notifications::{self, Delivered, NewNotification};
use agora_store::Transaction;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::model::CreateRepost;
use super::{ALREADY_REPOSTED, queries};
use crate::comments::room;
use crate::feed::live;
use crate::graph::queries as graph;
use crate::post_view as view;
use crate::posts::model::Post;
use crate::posts::queries::{self as posts, Count, Origin};
use crate::posts::routes::{Attachments, publish, target};
use crate::posts::{PostId, rules};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What makes two reposts "the same request" for `Idempotency-Key` (with the post's id).
const CREATE_ROUTE: &str = "POST /posts/{id}/reposts";

/// Repost a post (no body, or `{}`), or quote it (`comment`: a post of yours that shows it).
/// Both count in its `repost_count`; its author is notified (`social.repost`, `social.quote`).
/// Reposting a plain repost reposts its original; you may repost your own posts.
#[utoipa::path(post, path = "/posts/{id}/reposts", tag = "social", security(("bearer" = [])),
    params(
        ("id" = PostId, Path, description = "Post id (a plain repost stands for its original)"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters (a UUID); a retry with the same key, post and body returns the first response"),
    ),
    request_body(content = Option<CreateRepost>, description = "Nothing for a plain repost; `comment` for a quote"),
    responses(
        (status = 201, description = "The repost or quote, a post of yours (or, with `Idempotent-Replayed: true`, made by an earlier request with this key)", body = Post,
            headers(("Location" = String))),
        (status = 400, description = "A malformed Idempotency-Key"),
        (status = 401),
        (status = 404, description = "No such post, or a block between you and its author"),
        (status = 409, description = "`already_reposted`: you have a plain repost of it"),
        (status = 422, description = "Invalid fields, `content_rejected` (the quote breaks the community's content rules), or `idempotency_key_reused` with another post or body"),
    ))]
pub async fn repost(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PostId>,
    key: Option<IdempotencyKey>,
    body: Option<Screened<CreateRepost>>,
) -> ApiResult<Response> {
    let (body, screening) = match body {
        Some(Screened { body, screening }) => (body, screening),
        None => (CreateRepost::default(), None),
    };
    let fingerprint = Fingerprint::of(CREATE_ROUTE, &(id, &body));
    let comment = body.comment;
    let comment = comment
        .map(|c| rules::content(&c).map_err(|e| ApiError::invalid("comment", e)))
        .transpose()?;
    let me = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let pending = match idempotency::claim(&txn, me, key.as_ref(), fingerprint, now).await? {
        Claim::Replay(response) => return Ok(response),
        Claim::Fresh(pending) => pending,
    };
    let original = target(&txn, me, id).await?;
    let original_id = PostId(original.id);
    let original_author = UserId(original.author_id);
    // Counted first, so the new post's view shows the original as it now is (a second plain
    // repost rolls it back with its refusal).
    posts::adjust(&txn, original_id, Count::Reposts, 1).await?;
    let (post, mut delivered, kind) = match comment {
        Some(content) => {
            let (post, delivered) = publish(
                &txn,
                me,
                content,
                Origin::Quote(original_id),
                Attachments {
                    screening: screening.as_ref(),
                    ..Attachments::default()
                },
                now,
            )
            .await?;
            (post, delivered, "social.quote")
        }
        None => {
            let inserted = posts::insert(
                &txn,
                me,
                String::new(),
                Origin::Repost(original_id),
                &[],
                &[],
                now,
            )
            .await;
            let row = match inserted {
                Ok(row) => row,
                Err(err) if err.is_unique_violation() => {
                    return Err(ALREADY_REPOSTED.with_detail(
                        "you already reposted this post: DELETE /posts/{id}/reposts undoes it",
                    ));
                }
                Err(err) => return Err(err.into()),
            };
            live::announce(&txn, PostId(row.id), now).await?;
            let post = view::views(&txn, Some(me), vec![row])
                .await?
                .pop()
                .ok_or_else(|| ApiError::internal("a new repost without its author"))?;
            (post, Vec::new(), "social.repost")
        }
    };
    delivered.push(notify(&txn, &post, original_id, original_author, kind, now).await?);
    let counters = room::counters(&txn, original_id).await?;
    let response = pending
        .respond(&txn, Created::at(format!("/posts/{}", post.id), post))
        .await?;
    txn.commit().await?;
    state.jobs().wake();
    for delivered in delivered {
        notifications::after_commit(&state, delivered).await;
    }
    room::publish_counters(&state, counters).await;
    Ok(response)
}

/// `social.repost` or `social.quote` to the original's author, unless it is their own, a block
/// stands between them, or they mute the one who reposted.
async fn notify(
    txn: &Transaction,
    post: &Post,
    original: PostId,
    recipient: UserId,
    kind: &str,
    now: DateTime<Utc>,
) -> ApiResult<Option<Delivered>> {
    if !graph::may_notify(txn, post.author.id, recipient).await? {
        return Ok(None);
    }
    let (what, body) = if kind == "social.quote" {
        ("quoted", Some(post.content.chars().take(140).collect()))
    } else {
        ("reposted", None)
    };
    Ok(notifications::notify(
        txn,
        NewNotification {
            user_id: recipient,
            kind: kind.to_owned(),
            actor_id: Some(post.author.id),
            title: format!("{} {what} your post", post.author.username),
            body,
            link: Some(format!("/posts/{}", post.id)),
            payload: json!({ "post_id": post.id, "original_id": original, "author": post.author }),
        },
        now,
    )
    .await?)
}

/// Undo your plain repost of a post (a quote is deleted as a post, `DELETE /posts/{id}`).
#[utoipa::path(delete, path = "/posts/{id}/reposts", tag = "social", security(("bearer" = [])),
    params(("id" = PostId, Path, description = "Post id (a plain repost stands for its original)")),
    responses(
        (status = 204, description = "Your repost is gone"),
        (status = 401),
        (status = 404, description = "No such post, or you have no repost of it"),
    ))]
pub async fn unrepost(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PostId>,
) -> ApiResult<StatusCode> {
    let me = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let mut original = posts::find_any(&txn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no post with this id"))?;
    if let Some(of) = original.repost_of_id {
        original = posts::find_any(&txn, PostId(of))
            .await?
            .ok_or_else(|| ApiError::not_found("no post with this id"))?;
    }
    let original_id = PostId(original.id);
    let no_repost = || ApiError::not_found("you have no repost of this post");
    let repost = queries::plain_repost(&txn, me, original_id)
        .await?
        .ok_or_else(no_repost)?;
    let mut counters = None;
    if posts::soft_delete(&txn, PostId(repost.id), now).await? {
        counters = posts::adjust(&txn, original_id, Count::Reposts, -1)
            .await?
            .as_ref()
            .map(room::Counters::of);
    }
    txn.commit().await?;
    room::publish_counters(&state, counters).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of reposts, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(repost, unrepost))
}
