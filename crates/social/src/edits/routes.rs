//! Edits: change a post's text, and read its former texts.

use agora_core::extract::{Json, Path};
use agora_core::pagination::Items;
use agora_core::{ApiError, ApiResult, UserId, time};
use agora_platform::AppState;
use agora_platform::identity::{OptionalViewer, Viewer};
use agora_platform::moderation::{Screened, Target};
use agora_platform::notifications;
use axum::extract::State;

use super::model::{EditPost, PostEdit};
use super::{EDIT_WINDOW_CLOSED, queries, rules};
use crate::graph::queries as graph;
use crate::post_view as view;
use crate::posts::model::Post;
use crate::posts::routes::{MENTIONS_NOTIFIED, mentioned, notify_mention};
use crate::posts::{PostId, queries as posts, rules as post_rules};
use crate::settings;
use crate::tickers::tickers_in;
use crate::{hidden, moderation};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

fn no_such_post() -> ApiError {
    ApiError::not_found("no post with this id")
}

/// Edit a post's text: its author, within the edit window from publishing. The former text
/// joins the history; tickers follow the new text; users it newly mentions are linked and
/// notified as on a new post (up to 10 mentions in all). The same text again changes nothing
/// and answers the post.
#[utoipa::path(patch, path = "/posts/{id}", tag = "social", security(("bearer" = [])),
    params(("id" = PostId, Path, description = "Post id")),
    request_body = EditPost,
    responses(
        (status = 200, description = "Edited (or unchanged: the same text)", body = Post),
        (status = 401),
        (status = 403, description = "Not its author"),
        (status = 404, description = "No such post, or deleted"),
        (status = 409, description = "`edit_window_closed` after the edit window; `conflict` when another edit of the post came first"),
        (status = 422, description = "Invalid fields, or `content_rejected`: the new text breaks the community's content rules"),
    ))]
pub async fn edit_post(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PostId>,
    Screened { body, screening }: Screened<EditPost>,
) -> ApiResult<Json<Post>> {
    let content =
        post_rules::content(&body.content).map_err(|e| ApiError::invalid("content", e))?;
    let window = settings::of(&state)?.edit_window_minutes;
    let author = viewer.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let mut row = posts::find(&txn, id).await?.ok_or_else(no_such_post)?;
    if UserId(row.author_id) != author {
        return Err(ApiError::forbidden("only its author may edit a post"));
    }
    let mut notified = Vec::new();
    if row.content != content {
        if !rules::within_window(row.created_at, now, window) {
            return Err(EDIT_WINDOW_CLOSED.with_detail(format!(
                "a post may be edited for {window} minutes after publishing"
            )));
        }
        if !queries::replace(&txn, &row, &content, now).await? {
            return Err(ApiError::conflict(
                "the post was edited meanwhile: read it again",
            ));
        }
        queries::relink_tickers(&txn, &row, &tickers_in(&content)).await?;
        let already = queries::mentioned(&txn, row.id).await?;
        let room = MENTIONS_NOTIFIED.saturating_sub(already.len());
        let added: Vec<(UserId, bool)> = mentioned(&txn, author, &content)
            .await?
            .into_iter()
            .filter(|(user, _)| !already.contains(user))
            .take(room)
            .collect();
        let ids: Vec<UserId> = added.iter().map(|(user, _)| *user).collect();
        queries::add_mentions(&txn, row.id, &ids).await?;
        notified = added
            .into_iter()
            .filter_map(|(user, notify)| notify.then_some(user))
            .collect();
        row.content = content;
        row.edited_at = Some(now);
        if let Some(screening) = &screening {
            let target = Target {
                kind: moderation::POST,
                id: row.id,
                author,
                text: &row.content,
            };
            screening.queue(&txn, target, now).await?;
            if screening.hides() && row.hidden_at.is_none() {
                moderation::set_post_hidden(&txn, row.id, Some(now)).await?;
                row.hidden_at = Some(now);
            }
        }
    }
    // A hidden post mentions no one until it is restored.
    if row.hidden_at.is_some() {
        notified.clear();
    }
    let post = view::views(&txn, Some(author), vec![row])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("an edited post without its author"))?;
    let mut delivered = Vec::new();
    for user in notified {
        delivered.push(notify_mention(&txn, user, &post, now).await?);
    }
    txn.commit().await?;
    for delivered in delivered {
        notifications::after_commit(&state, delivered).await;
    }
    Ok(Json(post))
}

/// A post's former texts, the most recently replaced first (at most 100); empty for a post
/// never edited. Hidden like the post: 404 when it is deleted or across a block.
#[utoipa::path(get, path = "/posts/{id}/edits", tag = "social", security((), ("bearer" = [])),
    params(("id" = PostId, Path, description = "Post id")),
    responses(
        (status = 200, body = Items<PostEdit>),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 404, description = "No such post, deleted, or one of you blocked the other"),
    ))]
pub async fn edits(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path(id): Path<PostId>,
) -> ApiResult<Json<Items<PostEdit>>> {
    let db = state.db().reader();
    let row = posts::find(db, id).await?.ok_or_else(no_such_post)?;
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
    let items = queries::history(db, row.id)
        .await?
        .into_iter()
        .map(|edit| PostEdit {
            content: edit.content,
            written_at: edit.written_at,
            replaced_at: edit.replaced_at,
        })
        .collect();
    Ok(Json(Items::new(items)))
}

/// The routes of edits, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    // `PATCH /posts/{id}` joins the post's other methods when the routers merge.
    OpenApiRouter::new()
        .routes(routes!(edit_post))
        .routes(routes!(edits))
}
