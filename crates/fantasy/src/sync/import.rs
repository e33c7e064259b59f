//! The writing half of a sync, on the caller's transaction: the season, its teams and
//! drivers (from the lists and from the results, which carry both), the calendar, each
//! round's results with their fantasy points, the drivers' standings, and a job to fetch the
//! results of each race still to come.

use std::collections::{BTreeMap, HashMap};

use agora_platform::jobs::{self, Enqueue};
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Set};
use uuid::Uuid;

use super::jobs::SyncRound;
use super::{Fetched, Summary};
use crate::drivers::entity::DriverStatus;
use crate::drivers::queries::{self as drivers, Standing};
use crate::jolpica::wire::{Constructor, Driver, Race, ResultRow};
use crate::races::entity::result::{self, SessionKind};
use crate::races::queries as races;
use crate::races::rules::EXPECTED_LENGTH;
use crate::scoring::rules::{Finish, race_points, sprint_points};
use crate::seasons::queries as seasons;
use crate::settings::FantasySettings;

pub async fn write(
    conn: &impl ConnectionTrait,
    season: i32,
    fetched: &Fetched,
    settings: &FantasySettings,
    now: DateTime<Utc>,
) -> DbResult<Summary> {
    let season_id = seasons::upsert_season(conn, season, now).await?;

    let sessions = [
        (SessionKind::Race, &fetched.results),
        (SessionKind::Sprint, &fetched.sprints),
    ];
    let rows = || {
        sessions
            .iter()
            .flat_map(|(session, races)| races.iter().map(move |race| (*session, race)))
            .flat_map(|(session, race)| rows_of(race, session).iter())
    };

    // The lists first, then what only the results name (a driver who stood in once).
    let mut teams: BTreeMap<&str, &Constructor> = BTreeMap::new();
    for team in fetched.constructors.iter().flatten() {
        teams.insert(&team.constructor_id, team);
    }
    for row in rows() {
        teams
            .entry(&row.constructor.constructor_id)
            .or_insert(&row.constructor);
    }
    let mut people: BTreeMap<&str, &Driver> = BTreeMap::new();
    for driver in fetched.drivers.iter().flatten() {
        people.insert(&driver.driver_id, driver);
    }
    for row in rows() {
        people.entry(&row.driver.driver_id).or_insert(&row.driver);
    }
    seasons::upsert_teams(
        conn,
        season_id,
        &teams.values().copied().collect::<Vec<_>>(),
    )
    .await?;
    drivers::upsert(
        conn,
        season_id,
        &people.values().copied().collect::<Vec<_>>(),
    )
    .await?;

    if let Some(calendar) = &fetched.calendar {
        races::upsert_calendar(conn, season_id, calendar).await?;
    }
    let result_races: Vec<&Race> = fetched.results.iter().chain(&fetched.sprints).collect();
    races::insert_missing(conn, season_id, &result_races).await?;

    let team_ids = seasons::team_ids(conn, season_id).await?;
    let driver_ids = drivers::ids(conn, season_id).await?;
    let race_ids = races::ids_by_round(conn, season_id).await?;
    let mut summary = Summary {
        season,
        drivers: people.len(),
        teams: teams.len(),
        races: fetched.calendar.as_ref().map_or(0, Vec::len),
        ..Summary::default()
    };
    for (session, list) in sessions {
        for race in list.iter() {
            let Some(&race_id) = race_ids.get(&race.round) else {
                continue;
            };
            let mut models = Vec::new();
            for row in rows_of(race, session) {
                let (Some(&driver), Some(&team)) = (
                    driver_ids.get(&row.driver.driver_id),
                    team_ids.get(&row.constructor.constructor_id),
                ) else {
                    continue;
                };
                models.push(result_row(race_id, session, driver, team, row, settings));
            }
            races::replace_results(conn, race_id, session, models, now).await?;
            summary.result_races.push(race_id);
            match session {
                SessionKind::Race => summary.race_results.push(race.round),
                SessionKind::Sprint => summary.sprint_results.push(race.round),
            }
        }
    }

    update_standings(conn, season_id).await?;

    if let Some(calendar) = &fetched.calendar {
        summary.scheduled = schedule_results(conn, season, calendar, settings, now).await?;
    }
    Ok(summary)
}

fn rows_of(race: &Race, session: SessionKind) -> &[ResultRow] {
    let rows = match session {
        SessionKind::Race => &race.results,
        SessionKind::Sprint => &race.sprint_results,
    };
    rows.as_deref().unwrap_or(&[])
}

fn result_row(
    race: Uuid,
    session: SessionKind,
    driver: Uuid,
    team: Uuid,
    row: &ResultRow,
    settings: &FantasySettings,
) -> result::ActiveModel {
    let rank = row.fastest_lap.as_ref().and_then(|lap| lap.rank);
    let finish = Finish {
        position: u32::try_from(row.position).unwrap_or(0),
        classified: row.classified(),
        fastest_lap_rank: rank.and_then(|rank| u32::try_from(rank).ok()),
    };
    let fantasy_points = match session {
        SessionKind::Race => race_points(finish),
        SessionKind::Sprint => sprint_points(finish, &settings.sprint_points),
    };
    result::ActiveModel {
        id: Set(Uuid::now_v7()),
        race_id: Set(race),
        session: Set(session),
        driver_id: Set(driver),
        team_id: Set(team),
        number: Set(row.number),
        position: Set(row.position),
        position_text: Set(row.position_text.clone()),
        grid: Set(row.grid),
        laps: Set(row.laps),
        status: Set(row.status.clone()),
        points_given: Set(row.points),
        fastest_lap_rank: Set(rank),
        fastest_lap_lap: Set(row.fastest_lap.as_ref().and_then(|lap| lap.lap)),
        fastest_lap_time: Set(row
            .fastest_lap
            .as_ref()
            .and_then(|lap| lap.time.as_ref())
            .map(|time| time.time.clone())),
        time_millis: Set(row.time.as_ref().and_then(|time| time.millis)),
        time_text: Set(row.time.as_ref().and_then(|time| time.time.clone())),
        fantasy_points: Set(fantasy_points),
    }
}

/// Recomputes every driver's points, team, number and status from the season's results.
async fn update_standings(conn: &impl ConnectionTrait, season: Uuid) -> DbResult<()> {
    let results = races::season_results(conn, season).await?;
    let latest_round = results
        .iter()
        .filter(|r| r.session == SessionKind::Race)
        .map(|r| r.round)
        .max();
    let mut standings: HashMap<Uuid, Standing> = HashMap::new();
    // By round: the last result seen is the latest.
    for result in &results {
        let standing = standings.entry(result.driver_id).or_insert(Standing {
            team: None,
            number: None,
            status: DriverStatus::Inactive,
            total_points: 0,
            races_scored: 0,
        });
        standing.team = Some(result.team_id);
        standing.number = Some(result.number);
        standing.total_points += result.fantasy_points;
        if result.session == SessionKind::Race {
            standing.races_scored += 1;
            if Some(result.round) == latest_round {
                standing.status = DriverStatus::Active;
            }
        }
    }
    for driver in drivers::all_of_season(conn, season).await? {
        let standing = standings.remove(&driver).unwrap_or(Standing {
            team: None,
            number: None,
            // Before the first results everyone listed is in the field.
            status: if latest_round.is_some() {
                DriverStatus::Inactive
            } else {
                DriverStatus::Active
            },
            total_points: 0,
            races_scored: 0,
        });
        drivers::set_standing(conn, driver, &standing).await?;
    }
    Ok(())
}

/// A results sync after each race still to come, at its expected end plus the grace period.
async fn schedule_results(
    conn: &impl ConnectionTrait,
    season: i32,
    calendar: &[Race],
    settings: &FantasySettings,
    now: DateTime<Utc>,
) -> DbResult<usize> {
    let after =
        chrono::Duration::from_std(EXPECTED_LENGTH + settings.results_grace).unwrap_or_default();
    let mut scheduled = 0;
    for race in calendar.iter().filter(|race| race.starts_at() > now) {
        let starts_at = race.starts_at();
        let job = SyncRound {
            season,
            round: race.round,
        };
        let options = Enqueue {
            run_at: Some(starts_at + after),
            // A race moved gets a job for its new time; the old one finds the results too.
            unique_key: Some(format!(
                "{}:{season}:{}:{}",
                <SyncRound as jobs::Job>::KIND,
                race.round,
                starts_at.timestamp()
            )),
        };
        if let jobs::Enqueued::Created(_) = jobs::enqueue_with(conn, &job, options, now).await? {
            scheduled += 1;
        }
    }
    Ok(scheduled)
}
