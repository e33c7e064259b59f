//! The moderation queue, for moderators: flagged and reported content grouped per target with
//! every open report, restored or removed with a reason; a user's history of removals; and
//! the admins' numbers (`/admin/stats`). Every action is in the audit log; the reporters are
//! told the outcome (`moderation.report_closed`), the author of a removal is told too
//! (`moderation.content_removed`).

use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::{CursorPage, CursorParams, CursorSort, PageRequest};
use agora_core::{ApiError, ApiResult, FieldCode, UserId, time};
use agora_store::DbError;
use axum::extract::State;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::audit::{self, AuditEntry};
use crate::entities::{jobs, moderation_queue, users};
use crate::identity::{AdminUser, ModeratorUser};
use crate::moderation::queries::{self, REMOVED, RESTORED, ReportRow};
use crate::moderation::{Action, ModeratedKinds};
use crate::notifications::{self, NewNotification};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_moderation_queue))
        .routes(routes!(restore_entry))
        .routes(routes!(remove_entry))
        .routes(routes!(moderation_history))
        .routes(routes!(admin_stats))
}

/// What an entry is about: the module's kind (`post`, `comment`, `profile`) and its id.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QueueTarget {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Uuid,
}

/// A user's report of the entry's target.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QueueReport {
    pub id: Uuid,
    pub reporter_id: Uuid,
    pub reason: String,
    pub details: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An entry of the moderation queue: one target, its flags and its open reports.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QueueEntry {
    pub id: Uuid,
    pub target: QueueTarget,
    pub author_id: Option<Uuid>,
    /// Its text as it was flagged or reported (at most 500 characters).
    pub preview: String,
    /// `open`, `restored` or `removed`.
    pub status: String,
    /// The strictest action of the rules that flagged it; null when only reported.
    pub action: Option<Action>,
    /// The rules matched: `[{rule_id, field, action, at}]`.
    #[schema(value_type = Vec<Object>)]
    pub flags: serde_json::Value,
    /// Its open reports, oldest first (none once resolved).
    pub reports: Vec<QueueReport>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<Uuid>,
    pub resolution_reason: Option<String>,
}

fn entry(row: moderation_queue::Model, reports: &[ReportRow]) -> QueueEntry {
    let report_type = queries::report_type_of(&row.target_type);
    let reports = reports
        .iter()
        .filter(|r| r.target_type == report_type && r.target_id == row.target_id)
        .map(|r| QueueReport {
            id: r.id,
            reporter_id: r.reporter_id,
            reason: r.reason.clone(),
            details: r.details.clone(),
            created_at: r.created_at,
        })
        .collect();
    QueueEntry {
        id: row.id,
        target: QueueTarget {
            kind: row.target_type,
            id: row.target_id,
        },
        author_id: row.author_id,
        preview: row.preview,
        status: row.status,
        action: row.action.as_deref().and_then(Action::parse),
        flags: row.flags,
        reports,
        created_at: row.created_at,
        resolved_at: row.resolved_at,
        resolved_by: row.resolved_by,
        resolution_reason: row.resolution_reason,
    }
}

/// A page of entries with their open reports (one statement for the page's reports).
async fn entries(
    conn: &impl ConnectionTrait,
    page: &PageRequest<Uuid>,
    rows: Vec<moderation_queue::Model>,
) -> ApiResult<CursorPage<QueueEntry>> {
    let page = page.page(rows, |row| row.id);
    let targets: Vec<(String, Uuid)> = page
        .items
        .iter()
        .filter(|row| row.status == queries::OPEN)
        .map(|row| (row.target_type.clone(), row.target_id))
        .collect();
    let reports = queries::open_reports(conn, &targets).await?;
    Ok(page.map(|row| entry(row, &reports)))
}

/// `?limit=&cursor=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueuePage {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

const OLDEST: CursorSort = CursorSort::new("moderation_queue", "oldest");
const NEWEST_REMOVALS: CursorSort = CursorSort::new("moderation_history", "newest");

/// The open entries, oldest first: each target once, with its flags and every open report.
#[utoipa::path(get, path = "/admin/moderation-queue", tag = "moderation", security(("bearer" = [])),
    params(QueuePage),
    responses(
        (status = 200, body = CursorPage<QueueEntry>),
        (status = 401),
        (status = 403, description = "Neither a moderator nor an admin"),
        (status = 422, description = "Bad limit or cursor"),
    ))]
async fn list_moderation_queue(
    State(state): State<AppState>,
    _moderator: ModeratorUser,
    Query(page): Query<QueuePage>,
) -> ApiResult<Json<CursorPage<QueueEntry>>> {
    let page = CursorParams::new(page.limit, page.cursor.as_deref()).resolve::<Uuid>(OLDEST)?;
    let db = state.db().reader();
    let rows = queries::list_open(db, &page).await?;
    Ok(Json(entries(db, &page, rows).await?))
}

/// `{reason}` of a moderator's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Why, for the audit log and the author: required, at most 500 characters.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$"
    )]
    pub reason: String,
}

/// Restore the entry's content: visible again (hidden content), the entry and its reports
/// closed (`dismissed`); the reporters are told.
#[utoipa::path(post, path = "/admin/moderation-queue/{id}/restore", tag = "moderation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Queue entry id")),
    request_body = Decision,
    responses(
        (status = 200, body = QueueEntry),
        (status = 401),
        (status = 403, description = "Neither a moderator nor an admin"),
        (status = 404),
        (status = 409, description = "The entry is already resolved"),
        (status = 422, description = "No reason given"),
    ))]
async fn restore_entry(
    State(state): State<AppState>,
    moderator: ModeratorUser,
    Path(id): Path<Uuid>,
    Json(body): Json<Decision>,
) -> ApiResult<Json<QueueEntry>> {
    decide(&state, moderator, id, body, Outcome::Restore).await
}

/// Remove the entry's content for good (deleted; a profile's texts cleared), the entry and
/// its reports closed (`resolved`); the author and the reporters are told.
#[utoipa::path(post, path = "/admin/moderation-queue/{id}/remove", tag = "moderation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Queue entry id")),
    request_body = Decision,
    responses(
        (status = 200, body = QueueEntry),
        (status = 401),
        (status = 403, description = "Neither a moderator nor an admin"),
        (status = 404),
        (status = 409, description = "The entry is already resolved"),
        (status = 422, description = "No reason given"),
    ))]
async fn remove_entry(
    State(state): State<AppState>,
    moderator: ModeratorUser,
    Path(id): Path<Uuid>,
    Json(body): Json<Decision>,
) -> ApiResult<Json<QueueEntry>> {
    decide(&state, moderator, id, body, Outcome::Remove).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Restore,
    Remove,
}

async fn decide(
    state: &AppState,
    moderator: ModeratorUser,
    id: Uuid,
    body: Decision,
    outcome: Outcome,
) -> ApiResult<Json<QueueEntry>> {
    let reason = agora_core::text::optional_text(Some(body.reason), 500)
        .map_err(|e| ApiError::invalid("reason", e))?
        .ok_or_else(|| ApiError::invalid_field("reason", FieldCode::Required, "is required"))?;
    let me = moderator.0.user_id;
    let now = time::now();
    let txn = state.db().begin().await?;
    let row = queries::find_entry(&txn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no queue entry with this id"))?;
    if row.status != queries::OPEN {
        return Err(ApiError::conflict(format!(
            "this entry is already {}",
            row.status
        )));
    }
    let kind = state
        .service::<ModeratedKinds>()?
        .of(&row.target_type)
        .copied()
        .ok_or_else(|| {
            ApiError::conflict("the module of this content is not enabled on this server")
        })?;
    let (status, report_status, act) = match outcome {
        Outcome::Restore => (RESTORED, "dismissed", kind.restore),
        Outcome::Remove => (REMOVED, "resolved", kind.remove),
    };
    act(&txn, row.target_id, now).await?;
    if !queries::resolve(&txn, id, status, me, &reason, now).await? {
        return Err(ApiError::conflict("this entry was resolved meanwhile"));
    }
    let reports = queries::open_reports(&txn, &[(row.target_type.clone(), row.target_id)]).await?;
    let reporters = queries::close_reports(
        &txn,
        &row.target_type,
        row.target_id,
        report_status,
        me,
        now,
    )
    .await?;
    audit::record(
        &txn,
        AuditEntry {
            actor: Some(me),
            action: match outcome {
                Outcome::Restore => "moderation.restored",
                Outcome::Remove => "moderation.removed",
            },
            target_type: &row.target_type,
            target_id: Some(row.target_id.to_string()),
            reason: Some(&reason),
            details: Some(json!({ "queue_entry": id, "reports": reports.len() })),
        },
        now,
    )
    .await?;
    let what = row.target_type.clone();
    let mut delivered = Vec::new();
    for reporter in reporters {
        let title = match outcome {
            Outcome::Restore => {
                format!("The moderators reviewed the {what} you reported and kept it")
            }
            Outcome::Remove => format!("The moderators removed the {what} you reported"),
        };
        delivered.push(
            notifications::notify(
                &txn,
                NewNotification {
                    user_id: UserId(reporter),
                    kind: "moderation.report_closed".to_owned(),
                    actor_id: None,
                    title,
                    body: None,
                    link: None,
                    payload: json!({
                        "target": { "type": what, "id": row.target_id },
                        "outcome": status,
                    }),
                },
                now,
            )
            .await?,
        );
    }
    if outcome == Outcome::Remove
        && let Some(author) = row.author_id
    {
        delivered.push(
            notifications::notify(
                &txn,
                NewNotification {
                    user_id: UserId(author),
                    kind: "moderation.content_removed".to_owned(),
                    actor_id: None,
                    title: format!("The moderators removed your {what}"),
                    body: Some(reason.clone()),
                    link: None,
                    payload: json!({
                        "target": { "type": what, "id": row.target_id },
                        "reason": reason,
                    }),
                },
                now,
            )
            .await?,
        );
    }
    let row = queries::find_entry(&txn, id)
        .await?
        .ok_or_else(|| ApiError::internal("a resolved entry vanished"))?;
    txn.commit().await?;
    for delivered in delivered {
        notifications::after_commit(state, delivered).await;
    }
    Ok(Json(entry(row, &reports)))
}

/// A user's content the moderators removed, newest first (with the reason of each).
#[utoipa::path(get, path = "/admin/users/{id}/moderation-history", tag = "moderation", security(("bearer" = [])),
    params(("id" = UserId, Path, description = "User id"), QueuePage),
    responses(
        (status = 200, body = CursorPage<QueueEntry>),
        (status = 401),
        (status = 403, description = "Neither a moderator nor an admin"),
        (status = 404),
        (status = 422, description = "Bad limit or cursor"),
    ))]
async fn moderation_history(
    State(state): State<AppState>,
    _moderator: ModeratorUser,
    Path(id): Path<UserId>,
    Query(page): Query<QueuePage>,
) -> ApiResult<Json<CursorPage<QueueEntry>>> {
    let page =
        CursorParams::new(page.limit, page.cursor.as_deref()).resolve::<Uuid>(NEWEST_REMOVALS)?;
    let db = state.db().reader();
    crate::identity::users::find(db, id.0)
        .await?
        .ok_or_else(|| ApiError::not_found("no such user"))?;
    let rows = queries::removals_of(db, id, &page).await?;
    Ok(Json(entries(db, &page, rows).await?))
}

/// The numbers admins watch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminStats {
    /// Accounts, active or disabled.
    pub users: u64,
    /// Accounts created since midnight UTC.
    pub new_today: u64,
    /// Open entries of the moderation queue (flagged or reported content).
    pub flagged_content: u64,
    /// Open reports.
    pub open_reports: u64,
    /// Jobs that failed for good.
    pub dead_jobs: u64,
}

/// Users, new users today, flagged content, open reports and dead jobs.
#[utoipa::path(get, path = "/admin/stats", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, body = AdminStats),
        (status = 401),
        (status = 403, description = "Not an admin"),
    ))]
async fn admin_stats(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> ApiResult<Json<AdminStats>> {
    let db = state.db().reader();
    let now = time::now();
    let midnight = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    Ok(Json(AdminStats {
        users: users::Entity::find()
            .count(db)
            .await
            .map_err(DbError::from)?,
        new_today: users::Entity::find()
            .filter(users::Column::CreatedAt.gte(midnight))
            .count(db)
            .await
            .map_err(DbError::from)?,
        flagged_content: queries::count_open(db).await?,
        open_reports: u64::try_from(queries::count_open_reports(db).await?).unwrap_or_default(),
        dead_jobs: jobs::Entity::find()
            .filter(jobs::Column::Status.eq(jobs::JobStatus::Dead))
            .count(db)
            .await
            .map_err(DbError::from)?,
    }))
}
