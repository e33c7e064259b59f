//! `GET /admin/audit-log`: the audit log, for admins.

use agora_core::ApiResult;
use agora_core::extract::{Json, Query};
use agora_core::pagination::{CursorPage, CursorParams};
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::audit::{self, AuditLogEntry, AuditLogFilter};
use crate::identity::AdminUser;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_log))
}

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
    Query(mut filter): Query<AuditLogFilter>,
) -> ApiResult<Json<CursorPage<AuditLogEntry>>> {
    let page = CursorParams::new(filter.limit, filter.cursor.take().as_deref())
        .resolve::<Uuid>(audit::NEWEST_FIRST)?;
    let rows = audit::list(state.db().reader(), filter, &page).await?;
    Ok(Json(page.page(rows, |row| row.id).map(AuditLogEntry::from)))
}
