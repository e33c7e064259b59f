//! The audit log: who did what, when, to what, and why. Every admin action writes one entry, in
//! the same transaction as the action, so the log can never miss a change nor record one that
//! was rolled back. Read by admins at `GET /api/v1/admin/audit-log` (`crate::admin`).

use agora_core::UserId;
use agora_core::pagination::{CursorSort, PageRequest};
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::entities::audit_log;

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

/// The one sort of the audit log: newest first.
pub const NEWEST_FIRST: CursorSort = CursorSort::new("audit_log", "newest");

/// A page of the log that matches `filter`, newest first (`page` of [`NEWEST_FIRST`]), with
/// one row more than the page when there is a next one.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: AuditLogFilter,
    page: &PageRequest<Uuid>,
) -> DbResult<Vec<audit_log::Model>> {
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
    Ok(query.limit(page.fetch()).all(conn).await?)
}
