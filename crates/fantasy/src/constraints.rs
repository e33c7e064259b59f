//! Which unique key a refused write broke, by the key's name, so that each maps to its own
//! problem (`already_joined` or `team_name_taken`, `driver_taken` or `not_your_turn`) in one
//! place rather than by reading messages in handlers.
//!
//! PostgreSQL names the index in its message (`… violates unique constraint "ux_…"`); SQLite
//! names the columns (`UNIQUE constraint failed: fantasy_picks.league_id, …`). A key is known
//! by both, so the mapping holds on either database (the API tests run it on both).

use agora_store::DbError;
use sea_orm::SqlErr;

/// A unique key of the module's tables, as the migration created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueKey {
    pub name: &'static str,
    pub table: &'static str,
    pub columns: &'static [&'static str],
}

impl UniqueKey {
    /// Whether `err` is a unique violation of this key.
    pub fn broken_by(&self, err: &DbError) -> bool {
        let Some(SqlErr::UniqueConstraintViolation(message)) = err.0.sql_err() else {
            return false;
        };
        self.named_in(&message)
    }

    /// Whether a unique violation's `message` names this key, by name (PostgreSQL) or by its
    /// exact list of columns (SQLite).
    fn named_in(&self, message: &str) -> bool {
        if message.contains(&format!("\"{}\"", self.name)) {
            return true;
        }
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|column| format!("{}.{column}", self.table))
            .collect();
        message
            .split_once("UNIQUE constraint failed: ")
            .is_some_and(|(_, listed)| listed.trim() == columns.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRIVER: UniqueKey = UniqueKey {
        name: "ux_fantasy_picks_league_race_driver",
        table: "fantasy_picks",
        columns: &["league_id", "race_id", "driver_id"],
    };

    #[test]
    fn a_key_is_known_by_its_name_or_its_columns() {
        assert!(DRIVER.named_in(
            "duplicate key value violates unique constraint \"ux_fantasy_picks_league_race_driver\""
        ));
        assert!(DRIVER.named_in(
            "UNIQUE constraint failed: fantasy_picks.league_id, fantasy_picks.race_id, fantasy_picks.driver_id"
        ));
        assert!(!DRIVER.named_in(
            "duplicate key value violates unique constraint \"ux_fantasy_picks_league_race_pick\""
        ));
        assert!(!DRIVER.named_in(
            "UNIQUE constraint failed: fantasy_picks.league_id, fantasy_picks.race_id, fantasy_picks.pick_number"
        ));
        assert!(!DRIVER.named_in(
            "duplicate key value violates unique constraint \"ux_fantasy_picks_league_race_driver_2\""
        ));
    }
}
