//! The task routes: `/users/{user_id}/tasks[/{id}[/complete]]`.
//!
//! Every route takes `Viewer` and resolves `{user_id}` (`me` or an id, [`UserRef`]) to the
//! caller (another user's id is a 403, the plan's "user_id in the token vs the URL" rule);
//! queries are scoped by that user, so another user's task id answers 404. A create answers
//! `Location` and `ETag`; a read answers 304 when `If-None-Match` holds the current version.
//! Writes go through [`write`]: read the task in a transaction, check the version, apply the
//! change, and update on the condition that the version is still the one read.

use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::CursorPage;
use agora_core::version::{
    Conditional, Expected, IfMatch, IfNoneMatch, Tagged, expected_version, version_conflict,
};
use agora_core::{ApiError, ApiResult, Created, UserId, time};
use agora_platform::AppState;
use agora_platform::idempotency::{self, Claim, Fingerprint, IdempotencyKey};
use agora_platform::identity::{UserRef, Viewer};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::model::{CreateTask, ReplaceTask, Task, TaskFilter, TaskId, UpdateTask, VersionOnly};
use super::queries::{self, ListQuery, Written};
use super::rules::TaskContent;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A task with its version as the `ETag`.
type VersionedTask = Tagged<Json<Task>>;

fn versioned(task: Task) -> VersionedTask {
    Tagged::version(task.version, Json(task))
}

/// Where a task is read: the path a create answers in `Location`.
fn path_of(task: &Task) -> String {
    format!("/users/{}/tasks/{}", task.user_id, task.id)
}

fn no_such_task() -> ApiError {
    ApiError::not_found("no such task")
}

/// List your tasks: search, filters, sort, cursor pages.
#[utoipa::path(get, path = "/users/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = UserRef, Path, description = "`me`, or your own user id"), TaskFilter),
    responses(
        (status = 200, body = CursorPage<Task>),
        (status = 401),
        (status = 403, description = "Another user's tasks"),
        (status = 422, description = "A bad filter, sort or cursor"),
    ))]
pub async fn list_tasks(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(user): Path<UserRef>,
    Query(filter): Query<TaskFilter>,
) -> ApiResult<Json<CursorPage<Task>>> {
    let user_id = viewer.require_self(user)?;
    let query = ListQuery::new(filter, crate::settings::of(&state)?.page_size)?;
    let page = queries::list(state.db().reader(), user_id, &query, time::now()).await?;
    Ok(Json(page))
}

/// What makes two creates "the same request" for `Idempotency-Key`.
const CREATE_ROUTE: &str = "POST /users/{user_id}/tasks";

/// Create a task. With an `Idempotency-Key`, a retry returns the first response and creates
/// nothing.
#[utoipa::path(post, path = "/users/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(
        ("user_id" = UserRef, Path, description = "`me`, or your own user id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters (a UUID); a retry with the same key and body returns the first response"),
    ),
    request_body = CreateTask,
    responses(
        (status = 201, description = "Created (or, with `Idempotent-Replayed: true`, created by an earlier request with this key)", body = Task,
            headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "A malformed Idempotency-Key"),
        (status = 401),
        (status = 403, description = "Another user's path"),
        (status = 422, description = "Invalid fields, or `idempotency_key_reused` with another body"),
    ))]
pub async fn create_task(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(user): Path<UserRef>,
    key: Option<IdempotencyKey>,
    Json(body): Json<CreateTask>,
) -> ApiResult<Response> {
    let user_id = viewer.require_self(user)?;
    let fingerprint = Fingerprint::of(CREATE_ROUTE, &body);
    let content = body.content().map_err(ApiError::validation)?;
    let now = time::now();
    let txn = state.db().begin().await?;
    let pending = match idempotency::claim(&txn, user_id, key.as_ref(), fingerprint, now).await? {
        Claim::Replay(response) => return Ok(response),
        Claim::Fresh(pending) => pending,
    };
    let task = queries::insert(&txn, user_id, content, now).await?;
    let created = Created::at(path_of(&task), &task).versioned(task.version);
    let response = pending.respond(&txn, created).await?;
    txn.commit().await?;
    Ok(response)
}

/// One task.
#[utoipa::path(get, path = "/users/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(
        ("user_id" = UserRef, Path, description = "`me`, or your own user id"),
        ("id" = TaskId, Path, description = "Task id"),
        IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The task; `ETag` is its version", body = Task),
        (status = 401),
        (status = 403, description = "Another user's path"),
        (status = 404),
    ))]
pub async fn get_task(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((user, id)): Path<(UserRef, TaskId)>,
    if_none_match: IfNoneMatch,
) -> ApiResult<Conditional<Json<Task>>> {
    let user_id = viewer.require_self(user)?;
    let task = queries::find(state.db().reader(), user_id, id)
        .await?
        .ok_or_else(no_such_task)?;
    Ok(if_none_match.answer(versioned(task)))
}

/// Replace a task: every field is set, and those left out take their defaults.
#[utoipa::path(put, path = "/users/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(
        ("user_id" = UserRef, Path, description = "`me`, or your own user id"),
        ("id" = TaskId, Path, description = "Task id"),
        ("If-Match" = Option<String>, Header, description = "The version this change is based on, e.g. `\"3\"` (or a `version` field)"),
    ),
    request_body = ReplaceTask,
    responses(
        (status = 200, description = "The task at its new version", body = Task),
        (status = 404),
        (status = 409, description = "`version_conflict`: the task is at another version (`current_version`)"),
        (status = 412, description = "If-Match unreadable or disagreeing with `version`"),
        (status = 422),
        (status = 428, description = "No version given"),
    ))]
pub async fn replace_task(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((user, id)): Path<(UserRef, TaskId)>,
    if_match: IfMatch,
    Json(body): Json<ReplaceTask>,
) -> ApiResult<VersionedTask> {
    let user_id = viewer.require_self(user)?;
    let expected = expected_version(if_match, body.version)?;
    write(&state, user_id, id, expected, |current| {
        body.content(current).map_err(ApiError::validation)
    })
    .await
}

/// Change some fields of a task; `null` clears `description` or `due_at`.
#[utoipa::path(patch, path = "/users/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(
        ("user_id" = UserRef, Path, description = "`me`, or your own user id"),
        ("id" = TaskId, Path, description = "Task id"),
        ("If-Match" = Option<String>, Header, description = "The version this change is based on (or a `version` field)"),
    ),
    request_body = UpdateTask,
    responses(
        (status = 200, description = "The task at its new version", body = Task),
        (status = 404),
        (status = 409, description = "`version_conflict`"),
        (status = 412),
        (status = 422),
        (status = 428, description = "No version given"),
    ))]
pub async fn update_task(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((user, id)): Path<(UserRef, TaskId)>,
    if_match: IfMatch,
    Json(body): Json<UpdateTask>,
) -> ApiResult<VersionedTask> {
    let user_id = viewer.require_self(user)?;
    let expected = expected_version(if_match, body.version)?;
    write(&state, user_id, id, expected, |current| {
        body.apply_to(current).map_err(ApiError::validation)
    })
    .await
}

/// Toggle completion: an open task becomes done, a done task becomes todo.
#[utoipa::path(patch, path = "/users/{user_id}/tasks/{id}/complete", tag = "tasks", security(("bearer" = [])),
    params(
        ("user_id" = UserRef, Path, description = "`me`, or your own user id"),
        ("id" = TaskId, Path, description = "Task id"),
        ("If-Match" = Option<String>, Header, description = "The version this change is based on (or a `version` field)"),
    ),
    request_body(content = Option<VersionOnly>, description = "Optional when If-Match is sent"),
    responses(
        (status = 200, description = "The task at its new version", body = Task),
        (status = 404),
        (status = 409, description = "`version_conflict`"),
        (status = 412),
        (status = 428, description = "No version given"),
    ))]
pub async fn complete_task(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((user, id)): Path<(UserRef, TaskId)>,
    if_match: IfMatch,
    // No body, `null` and `{}` all leave the version to If-Match.
    body: Option<Json<Option<VersionOnly>>>,
) -> ApiResult<VersionedTask> {
    let user_id = viewer.require_self(user)?;
    let version = body.and_then(|Json(b)| b).and_then(|b| b.version);
    let expected = expected_version(if_match, version)?;
    write(&state, user_id, id, expected, |current| {
        Ok(TaskContent {
            status: current.status.toggled(),
            ..current.content()
        })
    })
    .await
}

/// Delete a task.
#[utoipa::path(delete, path = "/users/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(
        ("user_id" = UserRef, Path, description = "`me`, or your own user id"),
        ("id" = TaskId, Path, description = "Task id"),
        ("If-Match" = String, Header, description = "The version of the task being deleted"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404),
        (status = 409, description = "`version_conflict`"),
        (status = 412),
        (status = 428, description = "No If-Match"),
    ))]
pub async fn delete_task(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((user, id)): Path<(UserRef, TaskId)>,
    if_match: IfMatch,
) -> ApiResult<StatusCode> {
    let user_id = viewer.require_self(user)?;
    let expected = match expected_version(if_match, None)? {
        Expected::Version(version) => version,
        // `If-Match: *`: the version there is now, if the task exists.
        Expected::Any => {
            queries::find(state.db().reader(), user_id, id)
                .await?
                .ok_or_else(no_such_task)?
                .version
        }
    };
    settle(queries::delete(state.db().writer(), user_id, id, expected).await?)?;
    Ok(StatusCode::NO_CONTENT)
}

/// One write based on version `expected`: `change` turns the current task into its new
/// content (or a validation error).
async fn write(
    state: &AppState,
    user_id: UserId,
    id: TaskId,
    expected: Expected,
    change: impl FnOnce(&Task) -> ApiResult<TaskContent>,
) -> ApiResult<VersionedTask> {
    let txn = state.db().begin().await?;
    let current = queries::find(&txn, user_id, id)
        .await?
        .ok_or_else(no_such_task)?;
    let expected = expected.resolve(current.version)?;
    let content = change(&current)?;
    let task = settle(queries::update(&txn, &current, expected, content, time::now()).await?)?;
    txn.commit().await?;
    Ok(versioned(task))
}

fn settle<T>(written: Written<T>) -> ApiResult<T> {
    match written {
        Written::Done(value) => Ok(value),
        Written::Stale { current } => Err(version_conflict(current)),
        Written::Missing => Err(no_such_task()),
    }
}

/// The routes of tasks, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(get_task, replace_task, update_task, delete_task))
        .routes(routes!(complete_task))
}
