use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "error_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub fingerprint: String,
    pub source: String,
    pub message: String,
    pub detail: Option<String>,
    pub route: Option<String>,
    pub method: Option<String>,
    pub status: Option<i16>,
    pub request_id: Option<String>,
    pub user_id: Option<Uuid>,
    pub count: i64,
    pub first_seen: DateTimeUtc,
    pub last_seen: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
