//! `POST /errors/log` (clients report their errors), `GET /errors` and
//! `PATCH /errors/{id}/resolve` (admins).

use std::time::Duration;

use agora_core::error::FieldCode;
use agora_core::extract::{FieldErrors as Problems, Json, Path, Query};
use agora_core::pagination::{CursorPage, CursorParams, CursorSort};
use agora_core::time::Timestamp;
use agora_core::{ApiError, ApiResult, UserId};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::ERROR_NOT_FOUND;
use super::queries::{self, ListFilter, Occurrence};
use super::rules::{self, Source};
use crate::AppState;
use crate::audit::{self, AuditEntry};
use crate::entities::error_logs;
use crate::identity::{AdminUser, OptionalViewer};
use crate::ratelimit::{ClientIp, Quota, RateLimitStatus};

/// Error reports per client address: 30 a minute.
pub const CLIENT_ERRORS: Quota = Quota::new("client_errors", 30, Duration::from_secs(60));

const MAX_KIND_CHARS: usize = 100;
const MAX_ROUTE_CHARS: usize = 512;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(log_client_error))
        .routes(routes!(list_errors))
        .routes(routes!(resolve_error))
}

/// An error a client saw. Every field is stored as plain text and never rendered as HTML by
/// this server: whoever shows it (an admin page) must escape it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientErrorReport {
    /// What went wrong: 1–1000 characters, not blank.
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$"
    )]
    pub message: String,
    /// The error's type (`TypeError`): one line, at most 100 characters.
    #[schema(max_length = 100, pattern = "^[^\\u0000-\\u001F]*$")]
    pub kind: Option<String>,
    /// The stack trace, at most 16,384 characters.
    #[schema(max_length = 16384)]
    pub stack: Option<String>,
    /// The client's route template (`/posts/[id]`) rather than the address with ids in it:
    /// one line, at most 512 characters.
    #[schema(max_length = 512, pattern = "^[^\\u0000-\\u001F]*$")]
    pub route: Option<String>,
}

fn too_long(problems: &mut Problems, field: &str, text: &str, max: usize) {
    if text.chars().count() > max {
        problems.add(
            field,
            FieldCode::TooLong,
            format!("must be at most {max} characters"),
        );
    }
}

fn single_line(problems: &mut Problems, field: &str, text: &str) {
    // The C0 controls, as the schema's pattern says (C1 characters are text there).
    if text.chars().any(|c| u32::from(c) < 0x20) {
        problems.add(
            field,
            FieldCode::ControlCharacter,
            "must be one line, without control characters",
        );
    }
}

impl ClientErrorReport {
    fn occurrence(self, user: Option<UserId>) -> Result<Occurrence, ApiError> {
        let mut problems = Problems::new();
        if self.message.trim().is_empty() {
            problems.add("message", FieldCode::Required, "must not be blank");
        }
        too_long(
            &mut problems,
            "message",
            &self.message,
            rules::MESSAGE_CHARS,
        );
        if let Some(kind) = &self.kind {
            too_long(&mut problems, "kind", kind, MAX_KIND_CHARS);
            single_line(&mut problems, "kind", kind);
        }
        if let Some(stack) = &self.stack {
            too_long(&mut problems, "stack", stack, rules::DETAIL_CHARS);
        }
        if let Some(route) = &self.route {
            too_long(&mut problems, "route", route, MAX_ROUTE_CHARS);
            single_line(&mut problems, "route", route);
        }
        problems.finish()?;
        let kind = self.kind.as_deref().unwrap_or("error");
        Ok(Occurrence {
            fingerprint: rules::fingerprint(
                Source::Client,
                self.route.as_deref(),
                kind,
                &self.message,
            ),
            source: Source::Client.as_str(),
            detail: match (&self.kind, self.stack) {
                (Some(kind), Some(stack)) => {
                    Some(rules::cap(&format!("{kind}\n{stack}"), rules::DETAIL_CHARS))
                }
                (Some(kind), None) => Some(kind.clone()),
                (None, stack) => stack,
            },
            message: self.message,
            route: self.route,
            method: None,
            status: None,
            request_id: agora_core::request_context::request_id(),
            user_id: user.map(|id| id.0),
        })
    }
}

/// Report an error a client saw (a browser's exception, a failed render). Anyone may report;
/// a signed-in caller's id is kept with it. Repeats of one error are counted, not stored again.
#[utoipa::path(post, path = "/errors/log", tag = "errors", security((), ("bearer" = [])),
    request_body = ClientErrorReport,
    responses(
        (status = 202, description = "Recorded"),
        (status = 422, description = "A field is missing, too long or not one line"),
        (status = 429, description = "Too many reports from this address (`rate_limited`, with `Retry-After`)"),
    ))]
async fn log_client_error(
    State(state): State<AppState>,
    viewer: OptionalViewer,
    client: ClientIp,
    Json(body): Json<ClientErrorReport>,
) -> ApiResult<(StatusCode, RateLimitStatus, ())> {
    let limit = state
        .rate_limiter()
        .check(&CLIENT_ERRORS, &format!("ip:{}", client.limit_key()))
        .await?;
    let occurrence = body.occurrence(viewer.0.map(|v| v.user_id))?;
    queries::record(state.db().writer(), occurrence, agora_core::time::now()).await?;
    Ok((StatusCode::ACCEPTED, limit, ()))
}

/// Where an error happened.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ErrorSource {
    Server,
    Client,
}

/// Filters of the error log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ErrorFilter {
    /// `server` or `client`.
    #[param(inline)]
    pub source: Option<ErrorSource>,
    /// `true`: resolved only; `false`: open only.
    pub resolved: Option<bool>,
    /// The route template, exactly (`/api/v1/posts/{id}`).
    pub route: Option<String>,
    /// Seen at or after this time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<Timestamp>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// An error of the log. Text fields are stored as sent: escape them before showing them in
/// HTML.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorEntry {
    pub id: Uuid,
    /// Errors with the same fingerprint are one entry.
    pub fingerprint: String,
    /// `server` or `client`.
    pub source: String,
    pub message: String,
    /// A stack trace or the cause, when known.
    pub detail: Option<String>,
    /// The route template (never the address with ids in it).
    pub route: Option<String>,
    pub method: Option<String>,
    /// The status answered (server errors).
    pub status: Option<u16>,
    /// The request id of the latest occurrence.
    pub request_id: Option<String>,
    /// Who made the latest occurrence's request, when signed in.
    pub user_id: Option<UserId>,
    /// How many times it happened.
    pub count: u64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// When an admin marked it resolved; cleared when it happens again.
    pub resolved_at: Option<DateTime<Utc>>,
}

impl From<error_logs::Model> for ErrorEntry {
    fn from(row: error_logs::Model) -> Self {
        ErrorEntry {
            id: row.id,
            fingerprint: row.fingerprint,
            source: row.source,
            message: row.message,
            detail: row.detail,
            route: row.route,
            method: row.method,
            status: row.status.and_then(|s| u16::try_from(s).ok()),
            request_id: row.request_id,
            user_id: row.user_id.map(UserId),
            count: u64::try_from(row.count).unwrap_or(0),
            first_seen: row.first_seen,
            last_seen: row.last_seen,
            resolved_at: row.resolved_at,
        }
    }
}

/// The one sort of the error log: most recently seen first.
const LATEST_FIRST: CursorSort = CursorSort::new("errors", "latest");

/// The error log, most recently seen first.
#[utoipa::path(get, path = "/errors", tag = "errors", security(("bearer" = [])),
    params(ErrorFilter),
    responses(
        (status = 200, body = CursorPage<ErrorEntry>),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "Bad filter or cursor"),
    ))]
async fn list_errors(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(filter): Query<ErrorFilter>,
) -> ApiResult<Json<CursorPage<ErrorEntry>>> {
    let page = CursorParams::new(filter.limit, filter.cursor.as_deref())
        .resolve::<(DateTime<Utc>, Uuid)>(LATEST_FIRST)?;
    let list = ListFilter {
        source: filter.source.map(|source| match source {
            ErrorSource::Server => Source::Server.as_str(),
            ErrorSource::Client => Source::Client.as_str(),
        }),
        resolved: filter.resolved,
        route: filter.route,
        since: filter.since.map(Timestamp::get),
    };
    let rows = queries::list(state.db().reader(), list, &page).await?;
    Ok(Json(
        page.page(rows, |row| (row.last_seen, row.id))
            .map(ErrorEntry::from),
    ))
}

/// Mark an error resolved. It reopens (loses `resolved_at`) when it happens again.
#[utoipa::path(patch, path = "/errors/{id}/resolve", tag = "errors", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Error id")),
    responses(
        (status = 200, body = ErrorEntry),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No such error (`error_not_found`)"),
    ))]
async fn resolve_error(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ErrorEntry>> {
    let now = agora_core::time::now();
    let txn = state.db().begin().await?;
    let Some(row) = queries::resolve(&txn, id, now).await? else {
        return Err(ERROR_NOT_FOUND.with_detail("no error in the log has this id"));
    };
    audit::record(
        &txn,
        AuditEntry {
            actor: Some(admin.0.user_id),
            action: "error.resolved",
            target_type: "error",
            target_id: Some(id.to_string()),
            reason: None,
            details: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Json(ErrorEntry::from(row)))
}
