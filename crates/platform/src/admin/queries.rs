//! The SQL of the admin routes on accounts: the searchable list, and the role and status
//! changes (each in the caller's transaction, beside its audit entry).

use agora_core::pagination::{NumberedPage, PageNumber};
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey, numbered_page};
use agora_store::query::like_contains;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, QueryTrait, Set,
};
use uuid::Uuid;

use crate::entities::users::{self, AccountStatus, Role};

/// Which accounts the list shows.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// Part of the username or email, any case (trimmed; empty means no search).
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<AccountStatus>,
}

/// One numbered page of the accounts matching `filter`, newest first.
pub async fn list_users(
    conn: &impl ConnectionTrait,
    filter: &AccountFilter,
    page: PageNumber,
) -> DbResult<NumberedPage<users::Model>> {
    let mut query = users::Entity::find();
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // The keys are the lowercase forms the unique indexes hold.
        let q = like_contains(&q.to_lowercase());
        query = query.filter(
            Condition::any()
                .add(Expr::col(users::Column::UsernameKey).like(q.clone()))
                .add(Expr::col(users::Column::EmailKey).like(q)),
        );
    }
    if let Some(role) = filter.role {
        query = query.filter(users::Column::Role.eq(role));
    }
    if let Some(status) = filter.status {
        query = query.filter(users::Column::Status.eq(status));
    }
    let newest_first = Keyset::new(
        [SortKey::desc(users::Column::CreatedAt)],
        SortKey::desc(users::Column::Id),
    );
    numbered_page(conn, query.into_query(), &newest_first, page, |row| {
        Ok(users::Model::from_query_result(row, "")?)
    })
    .await
}

/// Gives account `id` the role `role`; returns the account as it now is.
pub async fn set_role(
    conn: &impl ConnectionTrait,
    id: Uuid,
    role: Role,
    now: DateTime<Utc>,
) -> DbResult<users::Model> {
    Ok(users::ActiveModel {
        id: Set(id),
        role: Set(role),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(conn)
    .await?)
}

/// Disables account `id` (recording when and why) or makes it active again (forgetting
/// both); returns the account as it now is.
pub async fn set_status(
    conn: &impl ConnectionTrait,
    id: Uuid,
    status: AccountStatus,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> DbResult<users::Model> {
    let disabled = status == AccountStatus::Disabled;
    Ok(users::ActiveModel {
        id: Set(id),
        status: Set(status),
        disabled_at: Set(disabled.then_some(now)),
        disabled_reason: Set(reason.filter(|_| disabled)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(conn)
    .await?)
}
