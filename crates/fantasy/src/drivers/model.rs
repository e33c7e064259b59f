//! The drivers' request and response types.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::DriverId;
use super::entity::{DriverStatus, Model};
use crate::seasons::entity::team;

/// `GET /fantasy/drivers` parameters. Filters combine with AND.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DriverFilter {
    /// The season (default: the latest imported).
    #[param(minimum = 1950, maximum = 2100)]
    pub season: Option<i32>,
    /// The team's Jolpica id (`red_bull`).
    #[param(max_length = 64)]
    pub team: Option<String>,
    #[param(inline)]
    pub status: Option<DriverStatus>,
    /// Words of the name, the code (`VER`) or the Jolpica id (any case).
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A team as a driver or a result shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TeamRef {
    pub id: Uuid,
    /// Jolpica's `constructorId`: `red_bull`.
    pub external_id: String,
    pub name: String,
}

impl From<&team::Model> for TeamRef {
    fn from(team: &team::Model) -> Self {
        TeamRef {
            id: team.id,
            external_id: team.external_id.clone(),
            name: team.name.clone(),
        }
    }
}

/// A driver in one season.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Driver {
    pub id: DriverId,
    /// Jolpica's `driverId`: `max_verstappen`.
    pub external_id: String,
    pub season: i32,
    pub given_name: String,
    pub family_name: String,
    /// Three letters (`VER`), when Jolpica has one.
    pub code: Option<String>,
    /// The car number of their latest race, else their permanent number.
    pub number: Option<i32>,
    pub permanent_number: Option<i32>,
    pub nationality: String,
    pub date_of_birth: Option<NaiveDate>,
    pub status: DriverStatus,
    /// The team of their latest result (none before their first).
    pub team: Option<TeamRef>,
    /// Fantasy points of every race and sprint result of the season.
    pub total_points: i32,
    /// Races (not sprints) they have a result in.
    pub races_scored: i32,
    /// `total_points / races_scored`, to two decimals (0 before the first race).
    pub average_points: f64,
}

impl Driver {
    pub fn from_row(row: Model, season: i32, team: Option<&team::Model>) -> Driver {
        Driver {
            id: DriverId(row.id),
            average_points: average(row.total_points, row.races_scored),
            external_id: row.external_id,
            season,
            given_name: row.given_name,
            family_name: row.family_name,
            code: row.code,
            number: row.number,
            permanent_number: row.permanent_number,
            nationality: row.nationality,
            date_of_birth: row.date_of_birth,
            status: row.status,
            team: team.map(TeamRef::from),
            total_points: row.total_points,
            races_scored: row.races_scored,
        }
    }
}

/// Points per race, rounded to two decimals.
pub fn average(total: i32, races: i32) -> f64 {
    if races <= 0 {
        return 0.0;
    }
    (f64::from(total) / f64::from(races) * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_is_per_race_to_two_decimals() {
        assert_eq!(average(0, 0), 0.0);
        assert_eq!(average(100, 3), 33.33);
        assert_eq!(average(26, 1), 26.0);
    }
}
