use sea_orm::entity::prelude::*;

/// A message in the outbox (`crate::email::outbox`); delivered by an `email.send` job.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "emails")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub template: String,
    pub body_text: String,
    pub body_html: String,
    pub status: EmailStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where an email is in its life. (The table's check also allows `sending`, a state of the
/// outbox before jobs delivered it; its migration turned every such row back to `queued`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "snake_case"
)]
pub enum EmailStatus {
    /// Waiting for its job (the first attempt or a retry).
    Queued,
    Sent,
    /// Gave up; `last_error` says why. Kept for an operator to see.
    Dead,
}

impl EmailStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Queued => "queued",
            EmailStatus::Sent => "sent",
            EmailStatus::Dead => "dead",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    #[test]
    fn statuses_keep_their_stored_names() {
        for status in EmailStatus::iter() {
            assert_eq!(status.to_value(), status.as_str());
        }
    }
}
