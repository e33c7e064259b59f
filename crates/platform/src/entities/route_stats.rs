use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "route_stats")]
pub struct Model {
    /// The start of the UTC hour.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour: DateTimeUtc,
    #[sea_orm(primary_key, auto_increment = false)]
    pub method: String,
    /// The route template (`/api/v1/posts/{id}`), never the raw path.
    #[sea_orm(primary_key, auto_increment = false)]
    pub route: String,
    pub requests: i64,
    /// Answers with a 5xx status.
    pub errors: i64,
    pub latency_us_sum: i64,
    pub le_5ms: i64,
    pub le_10ms: i64,
    pub le_25ms: i64,
    pub le_50ms: i64,
    pub le_100ms: i64,
    pub le_250ms: i64,
    pub le_500ms: i64,
    pub le_1000ms: i64,
    pub le_2500ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
