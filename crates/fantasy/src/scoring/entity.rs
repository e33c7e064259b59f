//! The typed row of `fantasy_scores`: a constructor's points in one race.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fantasy_scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub constructor_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub race_id: Uuid,
    pub league_id: Uuid,
    /// Its drivers' fantasy points in the race and its sprint.
    pub points: i32,
    /// When it was last written (a correction writes it again).
    pub scored_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
