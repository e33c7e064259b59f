//! Trending tickers (`GET /tickers/trending`): for each window (1 h, 24 h, 7 d), the tickers
//! named by the most distinct authors, then by the most posts. Reads answer from a roll-up,
//! `ticker_trends`, that the scheduled job `social.trending` recomputes every minute from
//! `post_tickers` (deleted posts and disabled accounts left out), all windows in one
//! transaction; reads never scan the posts.
//!
//! - `routes.rs`: the handler; `model.rs`: the window, parameters and answer; `queries.rs`:
//!   the tally and the stored ranking; `entity.rs`: the typed rows.

mod entity;
pub mod model;
pub mod queries;
pub mod routes;

use agora_platform::AppState;
use agora_platform::jobs::{Job, JobContext, JobError, JobKind, Schedule};
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use model::TrendWindow;

/// The job that recomputes the ranking of every window.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RefreshTrends {}

impl Job for RefreshTrends {
    const KIND: &'static str = "social.trending";
}

/// Every minute.
pub const SCHEDULE: Schedule = Schedule {
    kind: RefreshTrends::KIND,
    cron: "* * * * *",
};

pub fn job() -> JobKind {
    JobKind::new(|ctx: JobContext, _: RefreshTrends| async move {
        refresh(&ctx.state, agora_core::time::now()).await?;
        Ok::<_, JobError>(())
    })
}

/// Recomputes the ranking of every window as of `now`, in one transaction: readers see the
/// previous rankings or the new ones, never a mix.
pub async fn refresh(state: &AppState, now: DateTime<Utc>) -> DbResult<()> {
    let txn = state.db().begin().await?;
    for window in TrendWindow::ALL {
        let tallies = queries::tally(&txn, now - window.length()).await?;
        queries::store(&txn, window, tallies, now).await?;
    }
    txn.commit().await?;
    Ok(())
}
