//! The drafts' jobs: the pick clock's [`AutoPick`] and the scheduled [`RotateDrafts`].
//!
//! Both may run twice, late, or beside a request that does the same (the queue delivers at
//! least once): each works in one transaction through the same conditional updates and unique
//! keys as the requests (`service.rs`), so a second run finds its work done and does nothing.

use std::time::Duration;

use agora_core::time;
use agora_platform::AppState;
use agora_platform::jobs::{Job, JobContext, JobError, JobKind, Schedule};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::queries;
use super::service::{self, NotOpened, Picker};
// The clock's job is defined beside the turn that enqueues it; its runner is here.
pub use super::turn::AutoPick;
use super::turn::{self, Change};
use super::view;
use crate::drivers::{DriverId, queries as drivers};
use crate::leagues::{LeagueId, queries as leagues};
use crate::races::RaceId;
use crate::races::model::DriverRef;
use crate::races::queries as races;
use crate::races::rules::EXPECTED_LENGTH;
use crate::settings;

/// After each race: every league that drafted for it gets its draft of the season's next race,
/// the order rotated. Races that ended within [`LOOK_BACK`] are looked at, so a run missed
/// (the server down at the hour) is made up by the next.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RotateDrafts {}

impl Job for RotateDrafts {
    const KIND: &'static str = "fantasy.rotate_drafts";
}

/// How far back the rotation looks for races that ended.
pub const LOOK_BACK: Duration = Duration::from_secs(7 * 24 * 3600);

/// Every hour, at ten past.
pub const ROTATE_SCHEDULE: Schedule = Schedule {
    kind: RotateDrafts::KIND,
    cron: "10 * * * *",
};

pub fn kinds() -> Vec<JobKind> {
    vec![
        JobKind::new(
            |ctx: JobContext, job: AutoPick| async move { auto_pick(&ctx.state, &job).await },
        ),
        JobKind::new(|ctx: JobContext, _: RotateDrafts| async move {
            let opened = rotate(&ctx.state, time::now()).await?;
            if opened > 0 {
                tracing::info!(job = %ctx.id, opened, "drafts opened by rotation");
            }
            Ok(())
        })
        .timeout(Duration::from_secs(600)),
    ]
}

/// Runs [`AutoPick`]: nothing when the clock is off (turned off since the job was queued), the
/// draft or its race is gone, the race has started, or the turn has passed.
pub async fn auto_pick(state: &AppState, job: &AutoPick) -> Result<(), JobError> {
    let clock = settings::of(state)?.pick_clock;
    if clock.is_none() {
        return Ok(());
    }
    let now = time::now();
    let league_id = LeagueId(job.league_id);
    let txn = state.db().begin().await?;
    let (Some(league), Some(race), Some(draft)) = (
        leagues::find(&txn, league_id).await?,
        races::find(&txn, RaceId(job.race_id)).await?,
        queries::find(&txn, league_id, job.race_id).await?,
    ) else {
        return Ok(());
    };
    let Some(driver) = queries::best_available(&txn, league_id, race.id, race.season_id).await?
    else {
        return Ok(());
    };
    let picker = Picker::Clock {
        pick_number: job.pick_number,
        turn_started_at: job.turn_started_at,
    };
    let made = match service::pick(&txn, draft, &race, picker, driver, now).await? {
        Ok(made) => made,
        Err(_) => return Ok(()),
    };
    let teams = made.draft.order().map_err(JobError::permanent)?.len();
    let driver_row = drivers::find(&txn, DriverId(driver))
        .await?
        .ok_or_else(|| JobError::retry("the picked driver vanished"))?;
    let pick = view::pick(made.pick, DriverRef::from(&driver_row), teams);
    let change = Change {
        league: &league,
        race: &race,
        draft: &made.draft,
        pick: Some(pick),
        by: None,
    };
    let followups = turn::began(&txn, clock, change, now).await?;
    txn.commit().await?;
    followups.announce(state).await;
    Ok(())
}

/// Runs [`RotateDrafts`] at `now`; returns how many drafts it opened.
pub async fn rotate(state: &AppState, now: DateTime<Utc>) -> Result<usize, JobError> {
    let ended_by = now - chrono::Duration::from_std(EXPECTED_LENGTH).unwrap_or_default();
    let since = ended_by - chrono::Duration::from_std(LOOK_BACK).unwrap_or_default();
    let clock = settings::of(state)?.pick_clock;
    let done = queries::of_races_started(state.db().reader(), since, ended_by).await?;
    let mut opened = 0;
    for previous in done {
        let txn = state.db().begin().await?;
        let league_id = LeagueId(previous.league_id);
        let (Some(league), Some(race)) = (
            leagues::find(&txn, league_id).await?,
            races::find(&txn, RaceId(previous.race_id)).await?,
        ) else {
            continue;
        };
        let Some(next) = queries::next_race(&txn, &race).await? else {
            continue;
        };
        if next.starts_at <= now || queries::find(&txn, league_id, next.id).await?.is_some() {
            continue;
        }
        let draft = match service::open(&txn, &league, &next, None, now).await? {
            Ok(draft) => draft,
            Err(NotOpened::Exists | NotOpened::TooFewConstructors(_)) => continue,
        };
        let change = Change {
            league: &league,
            race: &next,
            draft: &draft,
            pick: None,
            by: None,
        };
        let followups = turn::began(&txn, clock, change, now).await?;
        txn.commit().await?;
        followups.announce(state).await;
        opened += 1;
    }
    Ok(opened)
}
