//! The typed row of `fantasy_constructors`: a user's team in a league.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fantasy_constructors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub league_id: Uuid,
    pub user_id: Uuid,
    pub team_name: String,
    /// `team_name` trimmed and lower-cased: unique in the league.
    pub team_key: String,
    pub total_points: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
