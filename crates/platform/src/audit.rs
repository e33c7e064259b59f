//! The audit log: who did what, when, to what, and why. Every admin action writes one entry, in
//! the same transaction as the action, so the log can never miss a change nor record one that
//! was rolled back. Read by admins at `GET /api/v1/admin/audit-log`.

use agora_core::extract::{Json, Query};
use agora_core::pagination::{CursorPage, CursorParams, CursorSort};
use agora_core::{ApiResult, UserId};
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey};
use axum::extract::State;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::entities::audit_log;
use crate::identity::AdminUser;

/// One action to record.
pub struct AuditEntry<'a> {
    /// Who acted; `None` for the system or the command line.
    pub actor: Option<UserId>,
    /// What was done, `area.verb` (`user.disabled`, `user.role_changed`).
    pub action: &'a str,
    /// The kind of thing acted on (`user`, `post`, …) and its id.
    pub target_type: &'a str,
    pub target_id: Option<String>,
    pub reason: Option<&'a str>,
    pub details: Option<serde_json::Value>,
}

/// Writes `entry` with `conn` (pass the transaction of the action).
pub async fn record(
    conn: &impl ConnectionTrait,
    entry: AuditEntry<'_>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        actor_id: Set(entry.actor.map(|id| id.0)),
        action: Set(entry.action.to_owned()),
        target_type: Set(entry.target_type.to_owned()),
        target_id: Set(entry.target_id),
        reason: Set(entry.reason.map(str::to_owned)),
        details: Set(entry.details),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// An entry of the audit log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditLogEntry {
    pub id: Uuid,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub reason: Option<String>,
    pub details: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

impl From<audit_log::Model> for AuditLogEntry {
    fn from(row: audit_log::Model) -> Self {
        AuditLogEntry {
            id: row.id,
            actor_id: row.actor_id.map(UserId),
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id,
            reason: row.reason,
            details: row.details,
            created_at: row.created_at,
        }
    }
}

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditLogFilter {
    pub actor_id: Option<UserId>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_log))
}

/// The one sort of the audit log.
const NEWEST_FIRST: CursorSort = CursorSort::new("audit_log", "newest");

/// The audit log, newest first.
#[utoipa::path(get, path = "/admin/audit-log", tag = "admin", security(("bearer" = [])),
    params(AuditLogFilter),
    responses(
        (status = 200, body = CursorPage<AuditLogEntry>),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "Bad filter or cursor"),
    ))]
async fn list_audit_log(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(filter): Query<AuditLogFilter>,
) -> ApiResult<Json<CursorPage<AuditLogEntry>>> {
    let page =
        CursorParams::new(filter.limit, filter.cursor.as_deref()).resolve::<Uuid>(NEWEST_FIRST)?;
    // Ids are UUIDv7: their order is the order of the entries.
    let keyset = Keyset::new([], SortKey::desc(audit_log::Column::Id));
    let mut query = audit_log::Entity::find();
    if let Some(after) = page.after {
        query = query.filter(keyset.after([after.into()]));
    }
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_log::Column::ActorId.eq(actor.0));
    }
    if let Some(action) = filter.action {
        query = query.filter(audit_log::Column::Action.eq(action));
    }
    if let Some(target_type) = filter.target_type {
        query = query.filter(audit_log::Column::TargetType.eq(target_type));
    }
    if let Some(target_id) = filter.target_id {
        query = query.filter(audit_log::Column::TargetId.eq(target_id));
    }
    keyset.order_by(QuerySelect::query(&mut query));
    let rows = query
        .limit(page.fetch())
        .all(state.db().reader())
        .await
        .map_err(agora_store::DbError::from)?;
    Ok(Json(page.page(rows, |row| row.id).map(AuditLogEntry::from)))
}
