//! `POST /reports`.

use agora_core::extract::Json;
use agora_core::{ApiError, ApiResult, FieldCode, UserId, text, time};
use agora_platform::AppState;
use agora_platform::identity::Viewer;
use agora_platform::moderation::queries::{NewFlag, enqueue};
use axum::extract::State;
use axum::http::StatusCode;

use super::model::{CreateReport, Report, ReportTarget};
use super::{ALREADY_REPORTED, ReportId, SELF_REPORT, queries};
use crate::moderation;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The most characters of a report's details.
pub const DETAILS_MAX: usize = 1_000;

/// Report a post, a comment or a user to the moderators. Accepted for review: the report waits
/// in the moderation queue, and has no address of its own for its reporter.
#[utoipa::path(post, path = "/reports", tag = "social", security(("bearer" = [])),
    request_body = CreateReport,
    responses(
        (status = 202, description = "The report waits for the moderators", body = Report),
        (status = 401),
        (status = 409, description = "`already_reported`: your open report already names this target"),
        (status = 422, description = "Invalid fields: `target_id` names nothing of `target_type` (or a deleted post or comment, a disabled account); `self_report`: that is you"),
    ))]
pub async fn create_report(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(body): Json<CreateReport>,
) -> ApiResult<(StatusCode, Json<Report>)> {
    let details = text::optional_text(body.details, DETAILS_MAX)
        .map_err(|invalid| ApiError::invalid("details", invalid))?;
    let reporter = viewer.user_id;
    if body.target_type == ReportTarget::User && body.target_id == reporter.0 {
        return Err(SELF_REPORT.with_detail("you cannot report yourself"));
    }
    let now = time::now();
    let txn = state.db().begin().await?;
    let db = &txn;
    if !queries::target_exists(db, body.target_type, body.target_id).await? {
        return Err(ApiError::invalid_field(
            "target_id",
            FieldCode::Invalid,
            "names nothing of this `target_type`",
        ));
    }
    let row = queries::insert(
        db,
        reporter,
        body.target_type,
        body.target_id,
        body.reason,
        details,
        now,
    )
    .await
    .map_err(|err| {
        if err.is_unique_violation() {
            ALREADY_REPORTED.with_detail("you have already reported this; the moderators have it")
        } else {
            err.into()
        }
    })?;
    // The target joins the moderation queue, with its flags if it has some.
    if let Some((author, text)) =
        queries::target_summary(db, body.target_type, body.target_id).await?
    {
        let target_type = match body.target_type {
            ReportTarget::Post => moderation::POST,
            ReportTarget::Comment => moderation::COMMENT,
            ReportTarget::User => agora_platform::moderation::PROFILE_TARGET,
        };
        let entry = NewFlag {
            target_type,
            target_id: body.target_id,
            author: Some(UserId(author)),
            preview: agora_platform::moderation::screen::preview(&text),
            action: None,
            flags: Vec::new(),
        };
        enqueue(db, entry, now).await?;
    }
    txn.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Report {
            id: ReportId(row.id),
            target_type: row.target_type,
            target_id: row.target_id,
            reason: row.reason,
            details: row.details,
            status: row.status,
            created_at: row.created_at,
        }),
    ))
}

/// The routes of reports, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_report))
}
