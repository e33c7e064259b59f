//! A race's status, derived rather than stored: `completed` once its results are imported,
//! `live` from its start for [`LIVE_FOR`] while they are not, `upcoming` otherwise. A race
//! whose live window passed without results (Jolpica late, or a season imported long after)
//! reads `upcoming` again: it is still waiting for results, and the scheduled syncs will
//! fetch them (decision 0029). The list's filter says the same in SQL (`queries::status_is`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How long after its start a race without results is `live` (a Grand Prix lasts at most
/// two hours of racing, three with suspensions).
pub const LIVE_FOR: Duration = Duration::from_secs(4 * 3600);

/// How long a race takes, to schedule the sync of its results (then `fantasy.results_grace`).
pub const EXPECTED_LENGTH: Duration = Duration::from_secs(2 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RaceStatus {
    Upcoming,
    Live,
    Completed,
}

pub fn status(
    starts_at: DateTime<Utc>,
    results_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> RaceStatus {
    if results_at.is_some() {
        return RaceStatus::Completed;
    }
    let live_until = starts_at + chrono::Duration::from_std(LIVE_FOR).unwrap_or_default();
    if starts_at <= now && now < live_until {
        RaceStatus::Live
    } else {
        RaceStatus::Upcoming
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a time")
            .with_timezone(&Utc)
    }

    #[test]
    fn results_make_a_race_completed_whatever_the_time() {
        let start = at("2024-05-26T13:00:00Z");
        assert_eq!(
            status(start, Some(start), at("2024-05-26T12:00:00Z")),
            RaceStatus::Completed
        );
    }

    #[test]
    fn a_race_is_live_from_its_start_for_four_hours_without_results() {
        let start = at("2024-05-26T13:00:00Z");
        assert_eq!(
            status(start, None, at("2024-05-26T12:59:59Z")),
            RaceStatus::Upcoming
        );
        assert_eq!(status(start, None, start), RaceStatus::Live);
        assert_eq!(
            status(start, None, at("2024-05-26T16:59:59Z")),
            RaceStatus::Live
        );
        assert_eq!(
            status(start, None, at("2024-05-26T17:00:00Z")),
            RaceStatus::Upcoming
        );
    }
}
