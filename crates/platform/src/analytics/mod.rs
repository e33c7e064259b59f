//! Analytics (issue 16): how the community is doing, for its owners (`/api/v1/metrics/...`,
//! admins only; `/metrics` at the root is Prometheus' and not this area's).
//!
//! Three parts, cheapest first:
//!
//! - recording ([`recorder`]): a layer around every route notes, in memory, who made the
//!   request (when a handler authenticated the caller) and how the route answered; a task writes
//!   the batch every few seconds as one upsert per user and day (`user_activity`) and one per
//!   route and hour (`route_stats`), never a write per request;
//! - roll-ups ([`rollup`]): the scheduled job `analytics.refresh` recomputes the daily metrics
//!   and the retention cohorts of the last two days every five minutes;
//! - reading ([`routes`], [`export`]): every route answers from the roll-ups.
//!
//! The platform knows no product's tables: a module declares its engagement counters in its
//! `MODULE` (`counters`: a name, a table and its creation time column), and the roll-up counts
//! the rows each day added (decision 0028 has the definitions).

pub mod export;
pub mod queries;
pub mod recorder;
pub mod rollup;
pub mod routes;

use agora_core::time;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::jobs::{Job, JobContext, JobError, JobKind, Schedule};
use crate::module::{ServiceContext, Services};
use crate::{AppState, Module, Tag};
pub use recorder::{Recorder, flush, record, run};

/// A module's engagement counter, declared in its `MODULE.counters` (the contract's type).
pub use crate::module::Counter;
/// The engagement counters of the enabled modules, in their order (the server builds it from
/// their `MODULE.counters`).
#[derive(Debug, Clone, Default)]
pub struct Counters(pub Vec<Counter>);

impl Counters {
    /// The distinct names, in declaration order.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for counter in &self.0 {
            if !names.contains(&counter.name) {
                names.push(counter.name);
            }
        }
        names
    }
}

/// The job that recomputes the roll-ups of the last [`rollup::TRAILING_DAYS`] days.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RefreshAnalytics {}

impl Job for RefreshAnalytics {
    const KIND: &'static str = "analytics.refresh";
}

/// Every five minutes: the dashboard's "today" is at most that old.
pub const SCHEDULE: Schedule = Schedule {
    kind: RefreshAnalytics::KIND,
    cron: "*/5 * * * *",
};

fn refresh_job() -> JobKind {
    JobKind::new(|ctx: JobContext, _: RefreshAnalytics| async move {
        let now = time::now();
        let today = now.date_naive();
        let from = today - TimeDelta::days(rollup::TRAILING_DAYS - 1);
        rollup::refresh(&ctx.state, from, today, now).await?;
        Ok::<_, JobError>(())
    })
}

fn services(_: &ServiceContext<'_>, services: &mut Services) -> Result<(), String> {
    services.insert(Recorder::default())
}

/// The analytics area.
pub const MODULE: Module = Module {
    tags: &[Tag {
        name: "metrics",
        description: "Analytics for the operators: active users, retention, engagement, growth, the health of each route, and the export (admins only)",
    }],
    router,
    services,
    jobs: || vec![refresh_job()],
    schedules: &[SCHEDULE],
    ..Module::new("analytics")
};

/// The `/metrics/...` routes under `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::dashboard))
        .routes(routes!(routes::users))
        .routes(routes!(routes::engagement))
        .routes(routes!(routes::growth))
        .routes(routes!(routes::health))
        .routes(routes!(routes::trending))
        .routes(routes!(export::export))
}
