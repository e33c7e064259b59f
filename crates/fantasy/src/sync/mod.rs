//! The data sync: a season's drivers, teams, calendar and results, from the Jolpica API or an
//! import folder ([`Source`]), into the module's tables.
//!
//! A sync first reads everything it needs (no transaction is open while the network is
//! used), checks it, then writes it in **one transaction** (`import.rs`): a malformed answer
//! anywhere imports nothing. Writes are upserts on Jolpica's keys, and a round's results are
//! replaced whole, so running a sync again is harmless and a corrected classification
//! replaces the old one.
//!
//! The same transaction scores the leagues' picks in the races whose results it wrote
//! (`crate::scoring::league`), so a league's totals always match the results stored.
//!
//! Who runs it: `agora fantasy import` (`crate::command`), `POST /fantasy/admin/sync`
//! (`routes.rs`, a job), a job per race after its end and a daily catch-up (`jobs.rs`).

pub mod import;
pub mod jobs;
pub mod routes;
pub mod source;

use std::collections::HashSet;

use agora_core::time;
use agora_platform::AppState;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::jolpica::wire::Race;
use crate::jolpica::{SyncError, Tally};
use crate::races::entity::result::SessionKind;
use crate::scoring::league;
pub use source::Source;

/// What a sync brings up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum What {
    /// The drivers and teams.
    Drivers,
    /// The race calendar and its session times.
    Calendar,
    /// The calendar, then the results of the races and sprints that have started.
    Results,
    /// All of these.
    All,
}

impl What {
    pub fn as_str(self) -> &'static str {
        match self {
            What::Drivers => "drivers",
            What::Calendar => "calendar",
            What::Results => "results",
            What::All => "all",
        }
    }
}

/// One sync: a season, what of it, and (for the job after a race) only one round's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub season: i32,
    pub what: What,
    pub round: Option<i32>,
}

/// What a sync wrote and what its reading cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub season: i32,
    pub drivers: usize,
    pub teams: usize,
    pub races: usize,
    /// The rounds whose race results were written.
    pub race_results: Vec<i32>,
    /// The rounds whose sprint results were written.
    pub sprint_results: Vec<i32>,
    /// Jobs enqueued to fetch results after upcoming races.
    pub scheduled: usize,
    /// The races whose results were written (by id), for the league scoring.
    #[serde(skip)]
    pub result_races: Vec<uuid::Uuid>,
    /// League scores written, new or corrected (`crate::scoring::league`).
    pub scores: usize,
    pub tally: Tally,
}

/// What was read, checked, before anything is written.
#[derive(Debug, Default)]
pub struct Fetched {
    pub drivers: Option<Vec<crate::jolpica::wire::Driver>>,
    pub constructors: Option<Vec<crate::jolpica::wire::Constructor>>,
    pub calendar: Option<Vec<Race>>,
    pub results: Vec<Race>,
    pub sprints: Vec<Race>,
}

/// Runs `request` from `source`, telling `progress` each step.
pub async fn run(
    state: &AppState,
    source: &Source<'_>,
    request: Request,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Summary, SyncError> {
    let settings = crate::settings::of(state).map_err(|err| SyncError::Unavailable {
        url: "the fantasy settings".into(),
        message: err.to_string(),
    })?;
    let (fetched, tally) = fetch(source, request, progress).await?;
    let now = time::now();
    let txn = state.db().begin().await?;
    let mut summary = import::write(&txn, request.season, &fetched, settings, now).await?;
    let scored = league::score_races(&txn, &summary.result_races, now).await?;
    txn.commit().await?;
    summary.scores = scored.changed;
    league::after_commit(state, scored).await;
    if summary.scheduled > 0 {
        state.jobs().wake();
    }
    summary.tally = tally;
    progress(&format!(
        "season {}: written in one transaction ({} requests, {} not modified, {} from the cache)",
        request.season, tally.requests, tally.not_modified, tally.cached
    ));
    Ok(summary)
}

/// Reads what `request` needs.
async fn fetch(
    source: &Source<'_>,
    request: Request,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<(Fetched, Tally), SyncError> {
    let Request {
        season,
        what,
        round,
    } = request;
    let mut tally = Tally::default();
    let mut fetched = Fetched::default();
    if matches!(what, What::Drivers | What::All) && round.is_none() {
        let drivers = source.drivers(season, &mut tally).await?;
        progress(&format!("season {season}: {} drivers", drivers.len()));
        let constructors = source.constructors(season, &mut tally).await?;
        progress(&format!("season {season}: {} teams", constructors.len()));
        fetched.drivers = Some(drivers);
        fetched.constructors = Some(constructors);
    }
    if matches!(what, What::Calendar | What::Results | What::All) && round.is_none() {
        let calendar = source.calendar(season, &mut tally).await?;
        progress(&format!(
            "season {season}: {} races in the calendar",
            calendar.len()
        ));
        fetched.calendar = Some(calendar);
    }
    if matches!(what, What::Results | What::All) {
        // A season that has not started has no results to ask for.
        let now = time::now();
        let started = fetched
            .calendar
            .as_ref()
            .is_none_or(|races| races.iter().any(|race| race.starts_at() <= now));
        if started {
            fetched.results = source
                .results(season, round, SessionKind::Race, &mut tally)
                .await?;
            progress(&format!(
                "season {season}: results of {} races",
                fetched.results.len()
            ));
            fetched.sprints = source
                .results(season, round, SessionKind::Sprint, &mut tally)
                .await?;
            progress(&format!(
                "season {season}: results of {} sprints",
                fetched.sprints.len()
            ));
        }
    }
    check(source_name(source), &fetched)?;
    Ok((fetched, tally))
}

fn source_name(source: &Source<'_>) -> String {
    match source {
        Source::Api(api) => api.url(""),
        Source::Dir(dir) => dir.display().to_string(),
    }
}

/// What the database's keys would refuse, refused first with a message naming the data:
/// one result per driver and session, one race per round.
fn check(source: String, fetched: &Fetched) -> Result<(), SyncError> {
    for (session, races) in [
        ("Results", &fetched.results),
        ("SprintResults", &fetched.sprints),
    ] {
        let mut rounds = HashSet::new();
        for race in races {
            if !rounds.insert(race.round) {
                return Err(SyncError::malformed(
                    &source,
                    format!("round {} {session}", race.round),
                    "the round appears twice",
                ));
            }
            let rows = race
                .results
                .iter()
                .chain(race.sprint_results.iter())
                .flatten();
            let mut drivers = HashSet::new();
            for (index, row) in rows.enumerate() {
                if !drivers.insert(row.driver.driver_id.as_str()) {
                    return Err(SyncError::malformed(
                        &source,
                        format!("round {} {session}[{index}].Driver.driverId", race.round),
                        format!("`{}` has two results", row.driver.driver_id),
                    ));
                }
            }
        }
    }
    if let Some(calendar) = &fetched.calendar {
        let mut rounds = HashSet::new();
        for (index, race) in calendar.iter().enumerate() {
            if !rounds.insert(race.round) {
                return Err(SyncError::malformed(
                    &source,
                    format!("MRData.RaceTable.Races[{index}].round"),
                    format!("round {} appears twice in the calendar", race.round),
                ));
            }
        }
    }
    Ok(())
}
