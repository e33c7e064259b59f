//! `POST /fantasy/admin/sync`: an administrator asks for a season to be synced now.
//!
//! The answer is 202 with the queued job (a sync of a whole season waits on Jolpica's budget
//! and may take minutes, longer than a request should be held open); `Location` is the job's
//! admin route, where its outcome and last error are read. Asking again while the same sync
//! waits or runs answers the same job.

use agora_core::extract::Json;
use agora_core::{ApiResult, time};
use agora_platform::AppState;
use agora_platform::identity::AdminUser;
use agora_platform::jobs::{self, Enqueue, Enqueued, Job, JobId};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::What;
use super::jobs::SyncSeason;
use crate::params::check_season;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncBody {
    #[schema(minimum = 1950, maximum = 2100)]
    pub season: i32,
    pub what: What,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncAccepted {
    /// The job that runs the sync (`GET /api/v1/admin/jobs/{id}`).
    pub job_id: JobId,
    pub season: i32,
    pub what: What,
    /// Whether this request queued it (`false`: the same sync was already waiting or running).
    pub queued: bool,
}

/// Sync a season from the configured Jolpica API now (in a job).
#[utoipa::path(post, path = "/fantasy/admin/sync", tag = "fantasy", security(("bearer" = [])),
    request_body = SyncBody,
    responses(
        (status = 202, description = "Queued; `Location` is the job", body = SyncAccepted,
            headers(("Location" = String))),
        (status = 400, description = "A body that is not JSON"),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 415, description = "Not `application/json`"),
        (status = 422, description = "A season out of range, or an unknown `what`"),
    ))]
pub async fn sync(
    State(state): State<AppState>,
    _admin: AdminUser,
    Json(body): Json<SyncBody>,
) -> ApiResult<Response> {
    let season = check_season("season", body.season)?;
    let now = time::now();
    let options = Enqueue {
        run_at: None,
        unique_key: Some(format!(
            "{}:{season}:{}",
            SyncSeason::KIND,
            body.what.as_str()
        )),
    };
    let job = SyncSeason {
        season,
        what: body.what,
    };
    let txn = state.db().begin().await?;
    let enqueued = jobs::enqueue_with(&txn, &job, options, now).await?;
    txn.commit().await?;
    state.jobs().wake();
    let accepted = SyncAccepted {
        job_id: enqueued.id(),
        season,
        what: body.what,
        queued: matches!(enqueued, Enqueued::Created(_)),
    };
    let location = format!("/api/v1/admin/jobs/{}", accepted.job_id);
    let mut response = (StatusCode::ACCEPTED, Json(accepted)).into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The routes of the sync, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sync))
}
