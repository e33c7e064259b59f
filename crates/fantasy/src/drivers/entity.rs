//! The typed row of `fantasy_drivers`: a driver in one season.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fantasy_drivers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub season_id: Uuid,
    /// Jolpica's `driverId`: `max_verstappen`.
    pub external_id: String,
    pub team_id: Option<Uuid>,
    pub given_name: String,
    pub family_name: String,
    pub code: Option<String>,
    pub permanent_number: Option<i32>,
    pub number: Option<i32>,
    pub nationality: String,
    pub date_of_birth: Option<Date>,
    pub status: DriverStatus,
    pub total_points: i32,
    pub races_scored: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Whether the driver raced in the season's latest round with results (`active`), or was
/// replaced or stood in for someone (`inactive`). Every driver is `active` before the first
/// results.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum DriverStatus {
    Active,
    Inactive,
}

#[cfg(test)]
mod tests {
    use sea_orm::ActiveEnum;

    use super::*;

    #[test]
    fn stored_and_serialised_statuses_agree() {
        for status in [DriverStatus::Active, DriverStatus::Inactive] {
            let wire = serde_json::to_value(status).expect("serialises");
            assert_eq!(wire, serde_json::Value::String(status.to_value()));
        }
        assert_eq!(DriverStatus::Inactive.to_value(), "inactive");
    }
}
