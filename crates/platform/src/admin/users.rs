//! Administration of accounts: list and search users, change roles, disable and enable.
//! Every change is written to the audit log in the same transaction.

use agora_core::extract::{Json, Path, Query};
use agora_core::pagination::{NumberedPage, PageParams};
use agora_core::{ApiError, ApiResult, FieldCode, UserId};
use axum::extract::State;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::queries::{self, AccountFilter};
use crate::AppState;
use crate::audit::{self, AuditEntry};
use crate::entities::users;
use crate::identity::AdminUser;
use crate::identity::model::{AccountStatus, Role, User};
use crate::identity::sessions::{self, RevokedReason};
use agora_core::text::optional_text;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(update_user))
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
}

/// Filters of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Part of the username or email, any case.
    pub q: Option<String>,
    #[param(inline)]
    pub role: Option<Role>,
    /// `active` or `disabled`.
    #[param(inline)]
    pub status: Option<AccountStatus>,
    /// From 1 (default) to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// Users, newest first, with search and filters.
#[utoipa::path(get, path = "/admin/users", tag = "admin", security(("bearer" = [])),
    params(UserFilter),
    responses(
        (status = 200, body = NumberedPage<User>),
        (status = 401),
        (status = 403, description = "Not an admin"),
        (status = 422, description = "Bad filter"),
    ))]
async fn list_users(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(filter): Query<UserFilter>,
) -> ApiResult<Json<NumberedPage<User>>> {
    let page = PageParams {
        page: filter.page,
        per_page: filter.per_page,
    }
    .resolve()?;
    let filter = AccountFilter {
        q: filter.q,
        role: filter.role,
        status: filter.status,
    };
    let page = queries::list_users(state.db().reader(), &filter, page).await?;
    Ok(Json(page.map(User::from)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub role: Role,
    /// Why, for the audit log: at most 500 characters.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why, for the audit log: at most 500 characters.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableRequest {
    /// Why, for the audit log: required, at most 500 characters.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$"
    )]
    pub reason: String,
}

/// A reason of at most 500 characters; `required` makes an empty one a field error.
fn reason(value: Option<String>, required: bool) -> ApiResult<Option<String>> {
    match optional_text(value, 500).map_err(|e| ApiError::invalid("reason", e))? {
        None if required => Err(ApiError::invalid_field(
            "reason",
            FieldCode::Required,
            "is required",
        )),
        other => Ok(other),
    }
}

async fn find_user(conn: &impl sea_orm::ConnectionTrait, id: UserId) -> ApiResult<users::Model> {
    crate::identity::users::find(conn, id.0)
        .await?
        .ok_or_else(|| ApiError::not_found("no such user"))
}

/// An admin may not demote or disable themselves: it is how the last admin locks everyone out.
fn not_self(admin: &AdminUser, id: UserId, what: &str) -> ApiResult<()> {
    if admin.0.user_id == id {
        return Err(ApiError::conflict(format!(
            "admins cannot {what} their own account; ask another admin"
        )));
    }
    Ok(())
}

/// Change a user's role.
#[utoipa::path(patch, path = "/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = UserId, Path, description = "User id")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, body = User),
        (status = 403, description = "Not an admin"),
        (status = 404),
        (status = 409, description = "An admin changing their own role"),
    ))]
async fn update_user(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<UserId>,
    Json(body): Json<UpdateUserRequest>,
) -> ApiResult<Json<User>> {
    let why = reason(body.reason, false)?;
    not_self(&admin, id, "change the role of")?;
    let txn = state.db().begin().await?;
    let user = find_user(&txn, id).await?;
    if user.role == body.role {
        return Ok(Json(User::from(user)));
    }
    let now = agora_core::time::now();
    let from = user.role;
    let user = queries::set_role(&txn, user.id, body.role, now).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor: Some(admin.0.user_id),
            action: "user.role_changed",
            target_type: "user",
            target_id: Some(id.to_string()),
            reason: why.as_deref(),
            details: Some(serde_json::json!({ "from": from, "to": body.role })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Json(User::from(user)))
}

/// Disable an account: it cannot sign in, and every session ends at once.
#[utoipa::path(post, path = "/admin/users/{id}/disable", tag = "admin", security(("bearer" = [])),
    params(("id" = UserId, Path, description = "User id")),
    request_body = DisableRequest,
    responses(
        (status = 200, body = User),
        (status = 403, description = "Not an admin"),
        (status = 404),
        (status = 409, description = "An admin disabling their own account"),
        (status = 422, description = "No reason given"),
    ))]
async fn disable_user(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<UserId>,
    Json(body): Json<DisableRequest>,
) -> ApiResult<Json<User>> {
    let why = reason(Some(body.reason), true)?;
    not_self(&admin, id, "disable")?;
    set_status(&state, &admin, id, AccountStatus::Disabled, why).await
}

/// Enable a disabled account again.
#[utoipa::path(post, path = "/admin/users/{id}/enable", tag = "admin", security(("bearer" = [])),
    params(("id" = UserId, Path, description = "User id")),
    request_body = ReasonRequest,
    responses(
        (status = 200, body = User),
        (status = 403, description = "Not an admin"),
        (status = 404),
    ))]
async fn enable_user(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<UserId>,
    Json(body): Json<ReasonRequest>,
) -> ApiResult<Json<User>> {
    let why = reason(body.reason, false)?;
    set_status(&state, &admin, id, AccountStatus::Active, why).await
}

async fn set_status(
    state: &AppState,
    admin: &AdminUser,
    id: UserId,
    status: AccountStatus,
    why: Option<String>,
) -> ApiResult<Json<User>> {
    let now = agora_core::time::now();
    let txn = state.db().begin().await?;
    let user = find_user(&txn, id).await?;
    if user.status == status {
        return Ok(Json(User::from(user)));
    }
    let disabled = status == AccountStatus::Disabled;
    let user = queries::set_status(&txn, user.id, status, why.clone(), now).await?;
    let ended = if disabled {
        sessions::revoke_all_in(&txn, id.0, RevokedReason::AccountDisabled, now).await?
    } else {
        Vec::new()
    };
    audit::record(
        &txn,
        AuditEntry {
            actor: Some(admin.0.user_id),
            action: if disabled {
                "user.disabled"
            } else {
                "user.enabled"
            },
            target_type: "user",
            target_id: Some(id.to_string()),
            reason: why.as_deref(),
            details: disabled.then(|| serde_json::json!({ "sessions_ended": ended.len() })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    state.identity().revoke(&ended, now);
    Ok(Json(User::from(user)))
}
