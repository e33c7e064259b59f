use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "analytics_cohorts")]
pub struct Model {
    /// The UTC day the cohort's accounts were created.
    #[sea_orm(primary_key, auto_increment = false)]
    pub cohort_day: Date,
    pub size: i64,
    /// How many were active on the day after (null until that day has come).
    pub d1: Option<i64>,
    pub d7: Option<i64>,
    pub d30: Option<i64>,
    pub refreshed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
