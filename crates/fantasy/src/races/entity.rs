//! The typed rows of `fantasy_races` and `fantasy_results`.

pub mod race {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "fantasy_races")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub season_id: Uuid,
        pub round: i32,
        pub name: String,
        /// Jolpica's `circuitId`: `bahrain`.
        pub circuit_external_id: String,
        pub circuit_name: String,
        pub country: String,
        pub locality: String,
        pub starts_at: DateTimeUtc,
        pub first_practice_at: Option<DateTimeUtc>,
        pub second_practice_at: Option<DateTimeUtc>,
        pub third_practice_at: Option<DateTimeUtc>,
        pub qualifying_at: Option<DateTimeUtc>,
        pub sprint_qualifying_at: Option<DateTimeUtc>,
        pub sprint_at: Option<DateTimeUtc>,
        pub results_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod result {
    use sea_orm::entity::prelude::*;
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "fantasy_results")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub race_id: Uuid,
        pub session: SessionKind,
        pub driver_id: Uuid,
        pub team_id: Uuid,
        pub number: i32,
        pub position: i32,
        pub position_text: String,
        pub grid: i32,
        pub laps: i32,
        pub status: String,
        /// Hundredths of a point.
        pub points_given: i32,
        pub fastest_lap_rank: Option<i32>,
        pub fastest_lap_lap: Option<i32>,
        pub fastest_lap_time: Option<String>,
        pub time_millis: Option<i64>,
        pub time_text: Option<String>,
        pub fantasy_points: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    /// Which session of the weekend a result is of.
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
        db_type = "String(StringLen::N(8))",
        rename_all = "snake_case"
    )]
    #[serde(rename_all = "snake_case")]
    pub enum SessionKind {
        Race,
        Sprint,
    }

    #[cfg(test)]
    mod tests {
        use sea_orm::ActiveEnum;

        use super::*;

        #[test]
        fn stored_and_serialised_sessions_agree() {
            for session in [SessionKind::Race, SessionKind::Sprint] {
                let wire = serde_json::to_value(session).expect("serialises");
                assert_eq!(wire, serde_json::Value::String(session.to_value()));
            }
        }
    }
}
