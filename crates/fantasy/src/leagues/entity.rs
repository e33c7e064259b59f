//! The typed row of `fantasy_leagues`, and the draft methods a league may choose.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fantasy_leagues")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub creator_id: Uuid,
    pub max_teams: i32,
    pub team_count: i32,
    pub is_private: bool,
    pub draft_method: DraftMethod,
    pub join_code: String,
    /// Raised with every change to what its leaderboards show; names their cache entries.
    pub standings_version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// How the turns of a draft follow its order (`crate::drafts::rules`): `sequential` repeats
/// the order in each round, `snake` reverses it every other round.
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
pub enum DraftMethod {
    Sequential,
    Snake,
}

#[cfg(test)]
mod tests {
    use sea_orm::ActiveEnum;

    use super::*;

    #[test]
    fn stored_and_serialised_methods_agree() {
        for method in [DraftMethod::Sequential, DraftMethod::Snake] {
            let wire = serde_json::to_value(method).expect("serialises");
            assert_eq!(wire, serde_json::Value::String(method.to_value()));
        }
    }
}
