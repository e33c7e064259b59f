//! The typed rows of `fantasy_draft_orders` and `fantasy_picks`.

pub mod draft {
    use sea_orm::entity::prelude::*;
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    use crate::leagues::entity::DraftMethod;

    /// The draft of one race in one league: its order and how far its picks have gone.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "fantasy_draft_orders")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub league_id: Uuid,
        pub race_id: Uuid,
        pub method: DraftMethod,
        pub origin: DraftOrigin,
        /// The seed of a random order: a u64 below 2^63, so that it fits a BIGINT as it is.
        pub seed: Option<i64>,
        /// The constructors' ids in picking order, as a JSON array.
        pub constructor_order: String,
        pub picks_made: i32,
        /// The picks that complete it (`rules::picks_for`).
        pub total_picks: i32,
        /// When the current turn began (the pick clock counts from it).
        pub turn_started_at: DateTimeUtc,
        /// Who set the order by hand, for a manual one.
        pub updated_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// The order as stored; a row that does not hold a list of ids is corrupt.
        pub fn order(&self) -> Result<Vec<Uuid>, String> {
            serde_json::from_str(&self.constructor_order)
                .map_err(|err| format!("draft {}: unreadable order: {err}", self.id))
        }
    }

    /// Where a draft's order comes from.
    #[derive(
        Debug,
        Clone,
        Copy,
        PartialEq,
        Eq,
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
    pub enum DraftOrigin {
        /// Shuffled from the recorded `seed` (the league's first draft).
        Random,
        /// The league's previous draft's order, its first constructor moved last.
        Rotated,
        /// Set by the league's creator.
        Manual,
    }
}

pub mod pick {
    use sea_orm::entity::prelude::*;

    /// A driver picked by a constructor in one league's draft of one race.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "fantasy_picks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub league_id: Uuid,
        pub race_id: Uuid,
        pub constructor_id: Uuid,
        pub driver_id: Uuid,
        /// From 1, in the draft's order of turns.
        pub pick_number: i32,
        /// Made by the pick clock's job.
        pub auto: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[cfg(test)]
mod tests {
    use sea_orm::ActiveEnum;

    use super::draft::DraftOrigin;

    #[test]
    fn stored_and_serialised_origins_agree() {
        for origin in [
            DraftOrigin::Random,
            DraftOrigin::Rotated,
            DraftOrigin::Manual,
        ] {
            let wire = serde_json::to_value(origin).expect("serialises");
            assert_eq!(wire, serde_json::Value::String(origin.to_value()));
        }
    }
}
