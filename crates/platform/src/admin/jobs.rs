//! What admins see and do with the queue: its depth and failures per kind, the schedules, the
//! jobs themselves, retrying dead ones and purging finished ones (`/admin/jobs…`). Changes go
//! to the audit log.

use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::{NumberedPage, PageParams};
use agora_core::{ApiError, ApiResult, FieldCode};

use axum::extract::State;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::audit::{self, AuditEntry};
use crate::identity::AdminUser;
use crate::jobs::queue::{self, JobFilter, JobStatus, KindStats, StoredJob};
use crate::jobs::schedule::{self, ScheduleState};
use crate::jobs::{JobId, parse_age};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(retry_job))
        .routes(routes!(retry_dead))
        .routes(routes!(purge))
}

/// The queue at a glance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobsOverview {
    /// Per kind of job, sorted by kind.
    pub kinds: Vec<KindStats>,
    pub schedules: Vec<ScheduleState>,
}

/// Queue depth, due and retrying jobs, failures (dead) per kind, and the schedules.
#[utoipa::path(get, path = "/admin/jobs/stats", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, body = JobsOverview),
        (status = 401),
        (status = 403, description = "Not an admin"),
    ))]
async fn overview(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<JobsOverview>> {
    let db = state.db().reader();
    let kinds = queue::stats(db, agora_core::time::now()).await?;
    let schedules = schedule::states(db).await?;
    Ok(Json(JobsOverview { kinds, schedules }))
}

/// Filters of the job list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobListFilter {
    #[param(inline)]
    pub status: Option<JobStatus>,
    /// A kind of job (`email.send`).
    pub kind: Option<String>,
    /// From 1 (default) to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// Jobs, newest first (`?status=dead` for the failures).
#[utoipa::path(get, path = "/admin/jobs", tag = "admin", security(("bearer" = [])),
    params(JobListFilter),
    responses(
        (status = 200, body = NumberedPage<StoredJob>),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "Bad filter"),
    ))]
async fn list_jobs(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(filter): Query<JobListFilter>,
) -> ApiResult<Json<NumberedPage<StoredJob>>> {
    let page = PageParams {
        page: filter.page,
        per_page: filter.per_page,
    }
    .resolve()?;
    let filter = JobFilter {
        status: filter.status,
        kind: filter.kind,
    };
    Ok(Json(queue::list(state.db().reader(), &filter, page).await?))
}

/// One job, with its input and last error.
#[utoipa::path(get, path = "/admin/jobs/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = StoredJob),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 404),
    ))]
async fn get_job(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<JobId>,
) -> ApiResult<Json<StoredJob>> {
    Ok(Json(find(state.db().reader(), id).await?))
}

async fn find(conn: &impl ConnectionTrait, id: JobId) -> ApiResult<StoredJob> {
    queue::find(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no job with this id"))
}

/// Queues a dead job again, due now, with its attempts counted afresh.
#[utoipa::path(post, path = "/admin/jobs/{id}/retry", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "Queued again", body = StoredJob),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 404),
        (status = 409, description = "The job is not dead"),
    ))]
async fn retry_job(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<JobId>,
) -> ApiResult<Json<StoredJob>> {
    let now = agora_core::time::now();
    let txn = state.db().begin().await?;
    match queue::retry(&txn, id, now).await? {
        None => return Err(ApiError::not_found("no job with this id")),
        Some(false) => return Err(ApiError::conflict("only a dead job can be retried")),
        Some(true) => {}
    }
    audit::record(
        &txn,
        AuditEntry {
            actor: Some(admin.0.user_id),
            action: "job.retried",
            target_type: "job",
            target_id: Some(id.to_string()),
            reason: None,
            details: None,
        },
        now,
    )
    .await?;
    let job = find(&txn, id).await?;
    txn.commit().await?;
    state.jobs().wake();
    Ok(Json(job))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryDeadRequest {
    /// Only this kind; every kind when left out.
    pub kind: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Affected {
    /// How many jobs the action changed.
    pub count: u64,
}

/// Queues every dead job (of one kind) again.
#[utoipa::path(post, path = "/admin/jobs/retry-dead", tag = "admin", security(("bearer" = [])),
    request_body = RetryDeadRequest,
    responses(
        (status = 200, description = "How many were queued again", body = Affected),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422),
    ))]
async fn retry_dead(
    State(state): State<AppState>,
    admin: AdminUser,
    Json(request): Json<RetryDeadRequest>,
) -> ApiResult<Json<Affected>> {
    let now = agora_core::time::now();
    let txn = state.db().begin().await?;
    let count = queue::retry_dead(&txn, request.kind.as_deref(), now).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor: Some(admin.0.user_id),
            action: "job.dead_retried",
            target_type: "job",
            target_id: None,
            reason: None,
            details: Some(serde_json::json!({ "kind": request.kind, "count": count })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    state.jobs().wake();
    Ok(Json(Affected { count }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurgeRequest {
    pub status: FinishedStatus,
    /// Only jobs finished longer ago than this (`7d`, `12h`, at most about a century); all of
    /// them when left out.
    #[schema(pattern = "^[1-9][0-9]{0,3}[smhd]$")]
    pub older_than: Option<String>,
}

/// The states of a job that is over: only those can be purged.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinishedStatus {
    Succeeded,
    Dead,
}

impl From<FinishedStatus> for JobStatus {
    fn from(status: FinishedStatus) -> JobStatus {
        match status {
            FinishedStatus::Succeeded => JobStatus::Succeeded,
            FinishedStatus::Dead => JobStatus::Dead,
        }
    }
}

/// Deletes finished jobs (succeeded or dead), older than a given age.
#[utoipa::path(post, path = "/admin/jobs/purge", tag = "admin", security(("bearer" = [])),
    request_body = PurgeRequest,
    responses(
        (status = 200, description = "How many were deleted", body = Affected),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "Not a finished status, or not a duration"),
    ))]
async fn purge(
    State(state): State<AppState>,
    admin: AdminUser,
    Json(request): Json<PurgeRequest>,
) -> ApiResult<Json<Affected>> {
    let now = agora_core::time::now();
    let before = match request.older_than.as_deref() {
        None => now,
        Some(age) => {
            now - parse_age(age)
                .map_err(|m| ApiError::invalid_field("older_than", FieldCode::InvalidFormat, m))?
        }
    };
    let txn = state.db().begin().await?;
    let count = queue::purge(&txn, request.status.into(), before).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor: Some(admin.0.user_id),
            action: "job.purged",
            target_type: "job",
            target_id: None,
            reason: None,
            details: Some(serde_json::json!({
                "status": request.status,
                "older_than": request.older_than,
                "count": count,
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Json(Affected { count }))
}
