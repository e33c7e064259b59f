//! The sync's jobs: the one an administrator asks for, the one after each race, and the daily
//! catch-up. Each runs [`super::run`] from the API with the module's [`Jolpica`] service; a
//! malformed answer is permanent (the job goes dead with the URL and field in its error),
//! anything else is retried by the queue.

use std::time::Duration;

use agora_platform::jobs::{Job, JobContext, JobError, JobKind, RetryPolicy, Schedule};
use chrono::Datelike;
use serde::{Deserialize, Serialize};

use super::{Request, Source, What};
use crate::jolpica::Jolpica;

/// A run may wait for Jolpica's budgets (500 requests an hour) and its `Retry-After`s.
const TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// `POST /fantasy/admin/sync`: one season, what the administrator chose.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncSeason {
    pub season: i32,
    pub what: What,
}

impl Job for SyncSeason {
    const KIND: &'static str = "fantasy.sync";
}

/// After a race: its results and its sprint's, retried until Jolpica has them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncRound {
    pub season: i32,
    pub round: i32,
}

impl Job for SyncRound {
    const KIND: &'static str = "fantasy.sync_round";
}

/// Every day: the current season in full, for whatever the race jobs missed (a race moved, a
/// correction, results later than the retries).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CatchUp {}

impl Job for CatchUp {
    const KIND: &'static str = "fantasy.catch_up";
}

/// Every day at 05:20 UTC.
pub const CATCH_UP_SCHEDULE: Schedule = Schedule {
    kind: CatchUp::KIND,
    cron: "20 5 * * *",
};

/// Jolpica publishes results within hours of a race: tries over about a day.
const AFTER_RACE: RetryPolicy = RetryPolicy {
    max_attempts: 12,
    base_delay: Duration::from_secs(10 * 60),
    max_delay: Duration::from_secs(2 * 3600),
};

pub fn kinds() -> Vec<JobKind> {
    vec![
        JobKind::new(|ctx: JobContext, job: SyncSeason| async move {
            sync(
                &ctx,
                Request {
                    season: job.season,
                    what: job.what,
                    round: None,
                },
            )
            .await
            .map(drop)
        })
        .timeout(TIMEOUT),
        JobKind::new(|ctx: JobContext, job: SyncRound| async move {
            let summary = sync(
                &ctx,
                Request {
                    season: job.season,
                    what: What::Results,
                    round: Some(job.round),
                },
            )
            .await?;
            if summary.race_results.is_empty() {
                return Err(JobError::retry(format!(
                    "no results for {} round {} yet",
                    job.season, job.round
                )));
            }
            Ok(())
        })
        .retry(AFTER_RACE)
        .timeout(TIMEOUT),
        JobKind::new(|ctx: JobContext, _: CatchUp| async move {
            let season = agora_core::time::now().year();
            sync(
                &ctx,
                Request {
                    season,
                    what: What::All,
                    round: None,
                },
            )
            .await
            .map(drop)
        })
        .timeout(TIMEOUT),
    ]
}

async fn sync(ctx: &JobContext, request: Request) -> Result<super::Summary, JobError> {
    let api = ctx.state.service::<Jolpica>()?;
    let mut log = |line: &str| tracing::info!(job = %ctx.id, "{line}");
    super::run(&ctx.state, &Source::Api(api), request, &mut log)
        .await
        .map_err(|err| match err {
            err if err.is_permanent() => JobError::permanent(err.to_string()),
            err => JobError::retry(err.to_string()),
        })
}
