//! Posts: create, read, delete, and a user's posts.

use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::{CursorPage, CursorParams, CursorSort};
use agora_core::{ApiError, ApiResult, Created, UserId, time};
use agora_platform::AppState;
use agora_platform::idempotency::{self, Claim, Fingerprint, IdempotencyKey};
use agora_platform::identity::users::{self, Lookup};
use agora_platform::identity::{OptionalViewer, UserRef, Viewer};
use agora_platform::moderation::{Screened, Screening, Target};
use agora_platform::notifications::{self, NewNotification};
use agora_platform::profiles::{self, Counter};
use agora_store::Transaction;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::json;
use uuid::Uuid;

use super::entity::post;
use super::model::{CreatePost, Post, PostPage};
use super::queries::{Count, Listing, Origin};
use super::{PostId, queries, rules};
use crate::feed::live;
use crate::graph::routes::visible_user;
use crate::graph::{RelationKind, queries as graph};
use crate::mentions::mentions_in;
use crate::polls::CheckedPoll;
use crate::post_view::{self as view, page_of};
use crate::tickers::tickers_in;
use crate::{hidden, media, moderation, polls};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What makes two creates "the same request" for `Idempotency-Key`.
const CREATE_ROUTE: &str = "POST /posts";

/// The most users one post notifies by mention.
pub const MENTIONS_NOTIFIED: usize = 10;

/// Publish a post. Its tickers are linked (ticker pages), the users it mentions are notified.
#[utoipa::path(post, path = "/posts", tag = "social", security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters (a UUID); a retry with the same key and body returns the first response"),
    ),
    request_body = CreatePost,
    responses(
        (status = 201, description = "Published (or, with `Idempotent-Replayed: true`, published by an earlier request with this key)", body = Post,
            headers(("Location" = String))),
        (status = 400, description = "A malformed Idempotency-Key"),
        (status = 401),
        (status = 422, description = "Invalid fields, `content_rejected` (the content breaks the community's rules), or `idempotency_key_reused` with another body"),
    ))]
pub async fn create_post(
    State(state): State<AppState>,
    viewer: Viewer,
    key: Option<IdempotencyKey>,
    Screened { body, screening }: Screened<CreatePost>,
) -> ApiResult<Response> {
    let fingerprint = Fingerprint::of(CREATE_ROUTE, &body);
    let content = rules::content(&body.content).map_err(|e| ApiError::invalid("content", e))?;
    media::rules::keys(&body.media).map_err(ApiError::validation)?;
    let poll = body.poll.as_ref().map(polls::checked).transpose()?;
    let author = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let pending = match idempotency::claim(&txn, author, key.as_ref(), fingerprint, now).await? {
        Claim::Replay(response) => return Ok(response),
        Claim::Fresh(pending) => pending,
    };
    let attachments = Attachments {
        media: &body.media,
        poll: poll.as_ref(),
        screening: screening.as_ref(),
    };
    let (post, delivered) = publish(&txn, author, content, Origin::Own, attachments, now).await?;
    let created = Created::at(format!("/posts/{}", post.id), &post);
    let response = pending.respond(&txn, created).await?;
    txn.commit().await?;
    state.jobs().wake();
    for delivered in delivered {
        notifications::after_commit(&state, delivered).await;
    }
    Ok(response)
}

/// What a post may carry besides its text (a quote carries neither).
#[derive(Debug, Default, Clone, Copy)]
pub struct Attachments<'a> {
    /// Upload keys of the author, checked by `media::rules::keys`.
    pub media: &'a [String],
    pub poll: Option<&'a CheckedPoll>,
    /// What the content rules said of its text: a flag queues it, a hide also hides it.
    pub screening: Option<&'a Screening>,
}

/// Writes a post of `author` (its tickers linked, its mentions notified, its followers told
/// live), one of their own or a quote, and counts it on their profile; the notifications are
/// for after the commit, and the job worker is to be woken then. The create route and quotes
/// (`crate::reposts`) both publish through it.
pub async fn publish(
    txn: &Transaction,
    author: UserId,
    content: String,
    origin: Origin,
    attachments: Attachments<'_>,
    now: DateTime<Utc>,
) -> ApiResult<(Post, Vec<Option<notifications::Delivered>>)> {
    let mentioned = mentioned(txn, author, &content).await?;
    let tickers = tickers_in(&content);
    let ids: Vec<UserId> = mentioned.iter().map(|(id, _)| *id).collect();
    let mut row = queries::insert(txn, author, content, origin, &tickers, &ids, now).await?;
    media::attach(txn, author, row.id, attachments.media).await?;
    if let Some(poll) = attachments.poll {
        polls::attach(txn, row.id, poll, now).await?;
    }
    if let Some(screening) = attachments.screening {
        let target = Target {
            kind: moderation::POST,
            id: row.id,
            author,
            text: &row.content,
        };
        screening.queue(txn, target, now).await?;
        if screening.hides() {
            moderation::set_post_hidden(txn, row.id, Some(now)).await?;
            row.hidden_at = Some(now);
        }
    }
    // A hidden post is announced to no one, and mentions no one, until it is restored.
    let hidden = row.hidden_at.is_some();
    if !hidden {
        live::announce(txn, PostId(row.id), now).await?;
    }
    profiles::adjust_counter(txn, author, Counter::Posts, 1, now).await?;
    let post = view::views(txn, Some(author), vec![row])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("a new post without its author"))?;
    let mut delivered = Vec::new();
    for (user, notify) in mentioned {
        if notify && !hidden {
            delivered.push(notify_mention(txn, user, &post, now).await?);
        }
    }
    Ok((post, delivered))
}

/// The live post `id` that `viewer` acts on (likes, comments, bookmarks, reposts): a plain
/// repost stands for its original. 404 when it or its original is deleted, or when a block
/// between the viewer and its author hides it.
pub async fn target(
    conn: &impl ConnectionTrait,
    viewer: UserId,
    id: PostId,
) -> ApiResult<post::Model> {
    let mut row = queries::find(conn, id).await?.ok_or_else(no_such_post)?;
    if let Some(original) = row.repost_of_id {
        row = queries::find(conn, PostId(original))
            .await?
            .ok_or_else(no_such_post)?;
    }
    if graph::blocked_between(conn, viewer, UserId(row.author_id)).await?
        || (row.hidden_at.is_some() && row.author_id != viewer.0)
    {
        return Err(no_such_post());
    }
    Ok(row)
}

/// The users `content` mentions that `author` may mention (active, not the author, no block
/// either way), the first [`MENTIONS_NOTIFIED`] of them, each with whether to notify them (not
/// when they mute the author).
pub(crate) async fn mentioned(
    txn: &Transaction,
    author: UserId,
    content: &str,
) -> ApiResult<Vec<(UserId, bool)>> {
    let names: Vec<String> = mentions_in(content)
        .into_iter()
        .take(MENTIONS_NOTIFIED)
        .collect();
    let mut mentioned = Vec::new();
    for user in queries::active_users_named(txn, &names).await? {
        let user = UserId(user.id);
        if user == author || graph::blocked_between(txn, author, user).await? {
            continue;
        }
        let muted = graph::holds(txn, user, RelationKind::Mute, author).await?;
        mentioned.push((user, !muted));
    }
    Ok(mentioned)
}

pub(crate) async fn notify_mention(
    txn: &Transaction,
    user: UserId,
    post: &Post,
    now: DateTime<Utc>,
) -> ApiResult<Option<notifications::Delivered>> {
    Ok(notifications::notify(
        txn,
        NewNotification {
            user_id: user,
            kind: "social.mention".to_owned(),
            actor_id: Some(post.author.id),
            title: format!("{} mentioned you", post.author.username),
            body: Some(post.content.chars().take(140).collect()),
            link: Some(format!("/posts/{}", post.id)),
            payload: json!({ "post_id": post.id, "author": post.author }),
        },
        now,
    )
    .await?)
}

pub fn no_such_post() -> ApiError {
    ApiError::not_found("no post with this id")
}

/// A post, unless deleted, or hidden from the viewer by a block between them and its author,
/// or by moderation (a hidden post is seen by its author and the moderators only).
#[utoipa::path(get, path = "/posts/{id}", tag = "social", security((), ("bearer" = [])),
    params(("id" = PostId, Path, description = "Post id")),
    responses(
        (status = 200, body = Post),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 404),
    ))]
pub async fn get_post(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path(id): Path<PostId>,
) -> ApiResult<Json<Post>> {
    let db = state.db().reader();
    let row = queries::find(db, id).await?.ok_or_else(no_such_post)?;
    if let Some(viewer) = viewer.0
        && graph::blocked_between(db, viewer.user_id, UserId(row.author_id)).await?
    {
        return Err(no_such_post());
    }
    if row.hidden_at.is_some()
        && !hidden::may_see_hidden(db, viewer.0.map(|v| v.user_id), row.author_id).await?
    {
        return Err(no_such_post());
    }
    let post = view::views(db, viewer.0.map(|v| v.user_id), vec![row])
        .await?
        .pop()
        .ok_or_else(no_such_post)?;
    Ok(Json(post))
}

/// Delete a post: its author, a moderator or an admin. It disappears everywhere; deleting it
/// again is a 404.
#[utoipa::path(delete, path = "/posts/{id}", tag = "social", security(("bearer" = [])),
    params(("id" = PostId, Path, description = "Post id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401),
        (status = 403, description = "Neither its author nor a moderator"),
        (status = 404),
    ))]
pub async fn delete_post(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PostId>,
) -> ApiResult<StatusCode> {
    let now = time::now();
    let txn = state.db().begin().await?;
    let row = queries::find(&txn, id).await?.ok_or_else(no_such_post)?;
    let author = UserId(row.author_id);
    if author != viewer.user_id {
        // The current role, not the token's: a demotion takes effect at once.
        let may_moderate = users::find_active(&txn, Lookup::Id(viewer.user_id.0))
            .await?
            .is_some_and(|user| user.role.can_moderate());
        if !may_moderate {
            return Err(ApiError::forbidden(
                "only its author or a moderator may delete a post",
            ));
        }
    }
    if queries::soft_delete(&txn, id, now).await? {
        // A plain repost is not counted as a post of its author; a quote is. Both count on
        // their original.
        if row.repost_of_id.is_none() {
            profiles::adjust_counter(&txn, author, Counter::Posts, -1, now).await?;
        }
        if let Some(original) = row.repost_of_id.or(row.quote_of_id) {
            queries::adjust(&txn, PostId(original), Count::Reposts, -1).await?;
        }
    }
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

const BY_AUTHOR: CursorSort = CursorSort::new("user_posts", "newest");

/// A user's posts, newest first.
#[utoipa::path(get, path = "/users/{user_id}/posts", tag = "social", security((), ("bearer" = [])),
    params(("user_id" = UserRef, Path, description = "Whose posts"), PostPage),
    responses(
        (status = 200, body = CursorPage<Post>),
        (status = 401, description = "`me` without a token, or a token that is not valid"),
        (status = 404, description = "No such user, or one of you blocked the other"),
        (status = 422, description = "Bad limit or cursor"),
    ))]
pub async fn user_posts(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path(user): Path<UserRef>,
    Query(page): Query<PostPage>,
) -> ApiResult<Json<CursorPage<Post>>> {
    let page = CursorParams::new(page.limit, page.cursor.as_deref())
        .resolve::<(DateTime<Utc>, Uuid)>(BY_AUTHOR)?;
    let author = visible_user(state.db().reader(), &viewer, user).await?;
    page_of(
        &state,
        Listing::Author(author),
        viewer.0.map(|v| v.user_id),
        &page,
    )
    .await
    .map(Json)
}

const TIMELINE: CursorSort = CursorSort::new("posts", "newest");

/// The public timeline: every post, newest first, without the authors the viewer mutes or is
/// blocked from either way.
#[utoipa::path(get, path = "/posts", tag = "social", security((), ("bearer" = [])),
    params(PostPage),
    responses(
        (status = 200, body = CursorPage<Post>),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 422, description = "Bad limit or cursor"),
    ))]
pub async fn timeline(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Query(page): Query<PostPage>,
) -> ApiResult<Json<CursorPage<Post>>> {
    let page = CursorParams::new(page.limit, page.cursor.as_deref())
        .resolve::<(DateTime<Utc>, Uuid)>(TIMELINE)?;
    let viewer = viewer.0.map(|v| v.user_id);
    page_of(&state, Listing::Everyone, viewer, &page)
        .await
        .map(Json)
}

/// The routes of posts, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(timeline, create_post))
        .routes(routes!(get_post, delete_post))
        .routes(routes!(user_posts))
}
