use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub user_agent: Option<String>,
    pub ip_hash: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_reason: Option<RevokedReason>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Why a session ended before it expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(64))",
    rename_all = "snake_case"
)]
pub enum RevokedReason {
    /// `POST /auth/logout`.
    Logout,
    /// `POST /auth/logout-all`.
    LogoutAll,
    /// `DELETE /auth/sessions/{id}`.
    RevokedByUser,
    /// A refresh token was presented a second time: someone else may hold it.
    RefreshTokenReuse,
    PasswordReset,
    AccountDisabled,
}
