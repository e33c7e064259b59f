//! The races' request and response types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::RaceId;
use super::entity::race::Model;
use super::entity::result::{self, SessionKind};
use super::rules::{RaceStatus, status};
use crate::drivers::DriverId;
use crate::drivers::entity::Model as DriverRow;
use crate::drivers::model::TeamRef;
use crate::seasons::entity::team;

/// `GET /fantasy/races` parameters. Filters combine with AND.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RaceFilter {
    /// The season (default: the latest imported).
    #[param(minimum = 1950, maximum = 2100)]
    pub season: Option<i32>,
    #[param(inline)]
    pub status: Option<RaceStatus>,
    /// The country, as Jolpica names it (`Monaco`, `UK`; any case).
    #[param(max_length = 64)]
    pub country: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /fantasy/races/{id}/results` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResultsFilter {
    /// Only the race's or only the sprint's (default: both, the race first).
    #[param(inline)]
    pub session: Option<SessionKind>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Circuit {
    /// Jolpica's `circuitId`: `monaco`.
    pub external_id: String,
    pub name: String,
    pub locality: String,
    pub country: String,
}

/// When each session of the weekend starts (UTC); absent where Jolpica has no time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Sessions {
    pub first_practice: Option<DateTime<Utc>>,
    pub second_practice: Option<DateTime<Utc>>,
    pub third_practice: Option<DateTime<Utc>>,
    pub qualifying: Option<DateTime<Utc>>,
    pub sprint_qualifying: Option<DateTime<Utc>>,
    pub sprint: Option<DateTime<Utc>>,
    pub race: DateTime<Utc>,
}

/// A round of a season.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Race {
    pub id: RaceId,
    pub season: i32,
    pub round: i32,
    pub name: String,
    pub circuit: Circuit,
    pub country: String,
    pub locality: String,
    /// The race's start (UTC).
    pub starts_at: DateTime<Utc>,
    pub sessions: Sessions,
    pub has_sprint: bool,
    /// `completed` once results are in; `live` for four hours from the start without them;
    /// else `upcoming`.
    pub status: RaceStatus,
}

impl Race {
    pub fn from_row(row: Model, season: i32, has_sprint: bool, now: DateTime<Utc>) -> Race {
        Race {
            id: RaceId(row.id),
            season,
            round: row.round,
            status: status(row.starts_at, row.results_at, now),
            has_sprint: has_sprint || row.sprint_at.is_some(),
            circuit: Circuit {
                external_id: row.circuit_external_id,
                name: row.circuit_name,
                locality: row.locality.clone(),
                country: row.country.clone(),
            },
            name: row.name,
            country: row.country,
            locality: row.locality,
            starts_at: row.starts_at,
            sessions: Sessions {
                first_practice: row.first_practice_at,
                second_practice: row.second_practice_at,
                third_practice: row.third_practice_at,
                qualifying: row.qualifying_at,
                sprint_qualifying: row.sprint_qualifying_at,
                sprint: row.sprint_at,
                race: row.starts_at,
            },
        }
    }
}

/// A driver as a result shows them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DriverRef {
    pub id: DriverId,
    pub external_id: String,
    pub given_name: String,
    pub family_name: String,
    pub code: Option<String>,
}

impl From<&DriverRow> for DriverRef {
    fn from(driver: &DriverRow) -> Self {
        DriverRef {
            id: DriverId(driver.id),
            external_id: driver.external_id.clone(),
            given_name: driver.given_name.clone(),
            family_name: driver.family_name.clone(),
            code: driver.code.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FastestLap {
    /// 1 = the fastest of the session; absent where Jolpica has none.
    pub rank: Option<i32>,
    pub lap: Option<i32>,
    /// `1:32.608`.
    pub time: Option<String>,
}

/// One car's result in a race or a sprint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RaceResult {
    pub session: SessionKind,
    /// The order of the results (retirements last), as Jolpica gives it.
    pub position: i32,
    /// The position if classified, else `R` (retired), `D` (disqualified), `W` (withdrawn)…
    pub position_text: String,
    pub classified: bool,
    pub driver: DriverRef,
    pub team: TeamRef,
    /// The car number.
    pub number: i32,
    /// Starting position (0: from the pit lane).
    pub grid: i32,
    pub laps: i32,
    /// `Finished`, `+1 Lap`, `Lapped`, `Collision`, …
    pub status: String,
    /// Race time (the winner's) or gap, when Jolpica has one.
    pub time: Option<String>,
    pub time_millis: Option<i64>,
    pub fastest_lap: Option<FastestLap>,
    /// The championship points Jolpica gives (its fastest-lap point included).
    pub points: f64,
    /// Fantasy points of this result (`fantasy.sprint_points` for a sprint).
    pub fantasy_points: i32,
}

impl RaceResult {
    pub fn from_row(row: result::Model, driver: &DriverRow, team: &team::Model) -> RaceResult {
        let fastest_lap = (row.fastest_lap_rank.is_some()
            || row.fastest_lap_lap.is_some()
            || row.fastest_lap_time.is_some())
        .then(|| FastestLap {
            rank: row.fastest_lap_rank,
            lap: row.fastest_lap_lap,
            time: row.fastest_lap_time.clone(),
        });
        RaceResult {
            session: row.session,
            position: row.position,
            classified: row.position_text.parse::<i32>().is_ok(),
            position_text: row.position_text,
            driver: DriverRef::from(driver),
            team: TeamRef::from(team),
            number: row.number,
            grid: row.grid,
            laps: row.laps,
            status: row.status,
            time: row.time_text,
            time_millis: row.time_millis,
            fastest_lap,
            points: f64::from(row.points_given) / 100.0,
            fantasy_points: row.fantasy_points,
        }
    }
}

/// The results of a race: the race, then every result (race before sprint, by position).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RaceResults {
    pub race: Race,
    pub items: Vec<RaceResult>,
}

/// A page key of the race list: (round, id).
pub type RaceKey = (i32, Uuid);
