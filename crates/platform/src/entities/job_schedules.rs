use sea_orm::entity::prelude::*;

/// A periodic job as the scheduler last left it (`crate::jobs::schedule`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_schedules")]
pub struct Model {
    /// The kind of job it enqueues.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub cron: String,
    pub next_run_at: DateTimeUtc,
    pub last_run_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
