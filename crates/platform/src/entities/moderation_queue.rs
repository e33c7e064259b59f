use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "moderation_queue")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub target_type: String,
    pub target_id: Uuid,
    pub author_id: Option<Uuid>,
    pub preview: String,
    /// `open`, `restored` or `removed`.
    pub status: String,
    /// The strictest action of the rules that flagged it (`flag`, `hide`); null for reports.
    pub action: Option<String>,
    pub flags: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolved_by: Option<Uuid>,
    pub resolution_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
