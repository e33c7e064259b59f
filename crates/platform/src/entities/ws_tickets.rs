use sea_orm::entity::prelude::*;

pub use super::users::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ws_tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ticket_hash: String,
    pub user_id: Uuid,
    pub session_id: Option<Uuid>,
    /// The viewer's role when the ticket was issued.
    pub role: Role,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// When the access token the ticket was issued for expires.
    pub token_expires_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
