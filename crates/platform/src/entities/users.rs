use sea_orm::Iterable;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub username: String,
    pub username_key: String,
    pub email: String,
    pub email_key: String,
    pub password_hash: Option<String>,
    pub display_name: Option<String>,
    pub role: Role,
    pub status: AccountStatus,
    pub email_verified_at: Option<DateTimeUtc>,
    pub disabled_at: Option<DateTimeUtc>,
    pub disabled_reason: Option<String>,
    /// Storage key of the profile picture (its thumbnails are variants of it).
    pub profile_picture_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A role on the platform (`users.role`, and `ws_tickets.role` as the ticket was issued).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Moderator,
    Admin,
}

impl Role {
    /// The stored (and serialised) name: also the `role` claim of access tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::iter().find(|role| role.as_str() == value)
    }

    /// Moderators and admins moderate.
    pub fn can_moderate(self) -> bool {
        matches!(self, Role::Moderator | Role::Admin)
    }
}

/// Whether an account may sign in (`users.status`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Disabled,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_is_stored_serialised_and_claimed_by_the_same_name() {
        for role in Role::iter() {
            assert_eq!(role.to_value(), role.as_str());
            assert_eq!(serde_json::to_value(role).ok(), Some(role.as_str().into()));
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn account_statuses_keep_their_stored_names() {
        let stored: Vec<String> = AccountStatus::iter().map(|s| s.to_value()).collect();
        assert_eq!(stored, ["active", "disabled"]);
    }
}
