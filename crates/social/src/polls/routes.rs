//! Polls: vote, and read the results.

use agora_core::extract::{Json, Path};
use agora_core::{ApiError, ApiResult, Created, FieldCode, UserId, time};
use agora_platform::AppState;
use agora_platform::identity::{OptionalViewer, Viewer};
use axum::extract::State;
use sea_orm::ConnectionTrait;

use super::entity::poll;
use super::model::{CastVote, PollResults};
use super::{ALREADY_VOTED, POLL_CLOSED, PollId, queries, view};
use crate::graph::queries as graph;
use crate::posts::PostId;
use crate::posts::queries as posts;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

fn no_such_poll() -> ApiError {
    ApiError::not_found("no poll with this id")
}

/// The poll `id` as `viewer` may see it: not when its post is deleted, nor across a block
/// between the viewer and its author.
async fn visible_poll(
    conn: &impl ConnectionTrait,
    id: PollId,
    viewer: Option<UserId>,
) -> ApiResult<poll::Model> {
    let poll = queries::find(conn, id).await?.ok_or_else(no_such_poll)?;
    let post = posts::find(conn, PostId(poll.post_id))
        .await?
        .ok_or_else(no_such_poll)?;
    if let Some(viewer) = viewer
        && graph::blocked_between(conn, viewer, UserId(post.author_id)).await?
    {
        return Err(no_such_poll());
    }
    Ok(poll)
}

/// Vote in a poll: once, for one of its options, before it closes. Its author may vote too.
/// Answers the results with the caller's vote.
#[utoipa::path(post, path = "/polls/{id}/votes", tag = "social", security(("bearer" = [])),
    params(("id" = PollId, Path, description = "Poll id")),
    request_body = CastVote,
    responses(
        (status = 201, description = "Counted; the results with the caller's vote", body = PollResults,
            headers(("Location" = String, description = "The results"))),
        (status = 401),
        (status = 404, description = "No such poll, its post was deleted, or one of you blocked the other"),
        (status = 409, description = "`poll_closed` after `closes_at`; `already_voted` when the caller has voted in it"),
        (status = 422, description = "Invalid fields, or `option_id` is not an option of this poll"),
    ))]
pub async fn vote(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<PollId>,
    Json(body): Json<CastVote>,
) -> ApiResult<Created<PollResults>> {
    let now = time::now();
    let txn = state.db().begin().await?;
    let poll = visible_poll(&txn, id, Some(viewer.user_id)).await?;
    let options = queries::options_of(&txn, id).await?;
    if !options.iter().any(|o| o.id == body.option_id.0) {
        return Err(ApiError::invalid_field(
            "option_id",
            FieldCode::Invalid,
            "not an option of this poll",
        ));
    }
    if poll.closes_at <= now {
        return Err(POLL_CLOSED.with_detail("this poll has closed"));
    }
    if !queries::vote(&txn, id, viewer.user_id, body.option_id, now).await? {
        return Err(ALREADY_VOTED.with_detail("you have voted in this poll already"));
    }
    let options = queries::options_of(&txn, id).await?;
    txn.commit().await?;
    let results = view::results(&poll, &options, Some(body.option_id.0), now);
    Ok(Created::at(format!("/polls/{id}/results"), results))
}

/// A poll's results: the votes and share of each option, whether it has closed and, for a
/// signed-in caller, their vote.
#[utoipa::path(get, path = "/polls/{id}/results", tag = "social", security((), ("bearer" = [])),
    params(("id" = PollId, Path, description = "Poll id")),
    responses(
        (status = 200, body = PollResults),
        (status = 401, description = "A token was sent and is not valid"),
        (status = 404, description = "No such poll, its post was deleted, or one of you blocked the other"),
    ))]
pub async fn results(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    Path(id): Path<PollId>,
) -> ApiResult<Json<PollResults>> {
    let db = state.db().reader();
    let viewer = viewer.0.map(|v| v.user_id);
    let poll = visible_poll(db, id, viewer).await?;
    let options = queries::options_of(db, id).await?;
    let voted = match viewer {
        Some(viewer) => queries::vote_of(db, id, viewer).await?,
        None => None,
    };
    Ok(Json(view::results(&poll, &options, voted, time::now())))
}

/// The routes of polls, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(vote))
        .routes(routes!(results))
}
