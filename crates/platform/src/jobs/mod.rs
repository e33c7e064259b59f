//! Durable jobs: work that must happen after a request, reliably, on any instance.
//!
//! A job is a row of the `jobs` table, written with [`enqueue`] in the transaction of the change
//! that causes it, so it exists if and only if that change commits. Workers in every instance
//! ([`worker`]) claim due jobs with one conditional update (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL; SQLite has one writer), run them with a timeout, and record the outcome:
//! succeeded, or failed and due again after an exponential backoff with jitter ([`retry`]), or,
//! after the kind's last attempt, `dead` with its last error, kept for an operator
//! (`agora jobs`, `GET /api/v1/admin/jobs`). A claim is a lease: the job of a worker that died
//! is claimed again once the lease has passed, so delivery is *at least once* and handlers are
//! written to be run again safely. Periodic work is enqueued by the [`schedule`]r.
//!
//! ```ignore
//! #[derive(Serialize, Deserialize)]
//! struct RefreshTrending { window_hours: u32 }
//! impl Job for RefreshTrending { const KIND: &'static str = "social.refresh_trending"; }
//!
//! // In the module: what runs it.
//! JobKind::new(|ctx: JobContext, job: RefreshTrending| async move { ... Ok(()) })
//!
//! // In a request, inside its transaction:
//! jobs::enqueue(&txn, &RefreshTrending { window_hours: 24 }, now).await?;
//! txn.commit().await?;
//! state.jobs().wake(); // run now rather than at the next poll
//! ```

pub mod queue;
pub mod retry;
pub mod schedule;
pub mod worker;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use agora_store::{DbError, DbResult};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Notify;

use crate::{AppState, Module};
pub use queue::{JobStatus, StoredJob};
pub use retry::RetryPolicy;
pub use schedule::Schedule;
pub use worker::{Worker, WorkerOptions};

agora_core::id_type!(
    /// Identifies a job.
    JobId
);

/// A kind of job: its name in the table, and its input, stored as JSON.
pub trait Job: Serialize + DeserializeOwned + Send + 'static {
    /// Stable across releases (rows outlive the binary that wrote them): `area.verb`.
    const KIND: &'static str;
}

/// Why a run failed. Retried by the kind's [`RetryPolicy`], unless permanent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    pub message: String,
    /// Another attempt cannot succeed (bad input): the job goes dead at once.
    pub permanent: bool,
}

impl JobError {
    pub fn retry(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }
}

/// A module's code shared by handlers and jobs answers `ApiError`s (a missing service, a
/// rule): in a job, one is retried, as a server error would be.
impl From<agora_core::ApiError> for JobError {
    fn from(err: agora_core::ApiError) -> Self {
        Self::retry(err.to_string())
    }
}

impl From<DbError> for JobError {
    fn from(err: DbError) -> Self {
        Self::retry(err.to_string())
    }
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What a handler gets besides its input.
#[derive(Clone)]
pub struct JobContext {
    pub state: AppState,
    pub id: JobId,
    /// This attempt's number, from 1.
    pub attempt: u32,
}

type Handler = Arc<
    dyn Fn(JobContext, serde_json::Value) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync,
>;
type DeadHandler =
    Arc<dyn Fn(JobContext, serde_json::Value, String) -> BoxFuture<'static, ()> + Send + Sync>;

/// How a kind of job is run: its handler and its rules. Modules list theirs in
/// [`crate::Module::jobs`]; a worker claims only the kinds it has.
#[derive(Clone)]
pub struct JobKind {
    pub name: &'static str,
    pub retry: RetryPolicy,
    /// A run still going after this long is cancelled and counts as a failed attempt.
    pub timeout: Duration,
    handler: Handler,
    on_dead: Option<DeadHandler>,
}

impl JobKind {
    /// Runs jobs of type `J` with `handler`; 10 attempts over about three hours
    /// ([`RetryPolicy::DEFAULT`]), 60 s per run, unless changed with [`JobKind::retry`] and
    /// [`JobKind::timeout`].
    pub fn new<J, F, Fut>(handler: F) -> Self
    where
        J: Job,
        F: Fn(JobContext, J) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        Self {
            name: J::KIND,
            retry: RetryPolicy::DEFAULT,
            timeout: Duration::from_secs(60),
            handler: Arc::new(move |ctx, payload| match decode::<J>(payload) {
                Ok(job) => handler(ctx, job).boxed(),
                Err(err) => futures::future::ready(Err(err)).boxed(),
            }),
            on_dead: None,
        }
    }

    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Also runs `hook` once a job of this kind is dead (with its last error), to record the
    /// failure where the job's owner looks (the email outbox marks the email dead).
    pub fn on_dead<J, F, Fut>(mut self, hook: F) -> Self
    where
        J: Job,
        F: Fn(JobContext, J, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_dead = Some(Arc::new(move |ctx, payload, error| {
            match decode::<J>(payload) {
                Ok(job) => hook(ctx, job, error).boxed(),
                Err(_) => futures::future::ready(()).boxed(),
            }
        }));
        self
    }

    pub(crate) fn run(
        &self,
        ctx: JobContext,
        payload: serde_json::Value,
    ) -> BoxFuture<'static, Result<(), JobError>> {
        (self.handler)(ctx, payload)
    }

    pub(crate) fn dead(
        &self,
        ctx: JobContext,
        payload: serde_json::Value,
        error: String,
    ) -> Option<BoxFuture<'static, ()>> {
        self.on_dead.as_ref().map(|hook| hook(ctx, payload, error))
    }
}

fn decode<J: Job>(payload: serde_json::Value) -> Result<J, JobError> {
    serde_json::from_value(payload)
        .map_err(|err| JobError::permanent(format!("unreadable {} job: {err}", J::KIND)))
}

/// The kinds of job a worker runs, by name.
#[derive(Clone, Default)]
pub struct JobKinds(HashMap<&'static str, JobKind>);

impl JobKinds {
    /// Fails on two kinds of one name (a programming error best caught at start).
    pub fn new(kinds: impl IntoIterator<Item = JobKind>) -> Result<Self, String> {
        let mut map = HashMap::new();
        for kind in kinds {
            if let Some(previous) = map.insert(kind.name, kind) {
                return Err(format!("two job kinds are named `{}`", previous.name));
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, name: &str) -> Option<&JobKind> {
        self.0.get(name)
    }

    /// The names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.0.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// The longest time a run of any kind may take.
    pub fn longest_timeout(&self) -> Duration {
        self.0
            .values()
            .map(|kind| kind.timeout)
            .max()
            .unwrap_or_default()
    }
}

/// How to enqueue, beyond the defaults (due now, not unique).
#[derive(Debug, Clone, Default)]
pub struct Enqueue {
    /// Not before this time.
    pub run_at: Option<DateTime<Utc>>,
    /// While a job with this key waits or runs, enqueueing another with the same key does
    /// nothing and answers the waiting one ([`Enqueued::Existing`]).
    pub unique_key: Option<String>,
}

/// The outcome of [`enqueue_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    Created(JobId),
    /// A job with the same unique key was already waiting or running.
    Existing(JobId),
}

impl Enqueued {
    pub fn id(self) -> JobId {
        match self {
            Enqueued::Created(id) | Enqueued::Existing(id) => id,
        }
    }
}

/// Writes `job` on `conn` (the caller's transaction), due at once.
pub async fn enqueue<J: Job>(
    conn: &impl ConnectionTrait,
    job: &J,
    now: DateTime<Utc>,
) -> DbResult<JobId> {
    Ok(enqueue_with(conn, job, Enqueue::default(), now).await?.id())
}

/// Writes `job` on `conn` (the caller's transaction) as `options` say.
pub async fn enqueue_with<J: Job>(
    conn: &impl ConnectionTrait,
    job: &J,
    options: Enqueue,
    now: DateTime<Utc>,
) -> DbResult<Enqueued> {
    let payload = serde_json::to_value(job).map_err(|err| {
        DbError(sea_orm::DbErr::Custom(format!(
            "cannot serialize a {} job: {err}",
            J::KIND
        )))
    })?;
    queue::insert(conn, J::KIND, &payload, options, now).await
}

/// The application's handle on the queue: rings the workers of this instance.
#[derive(Default)]
pub struct Jobs {
    wake: Notify,
}

impl Jobs {
    /// Asks this instance's worker to look for due jobs now rather than at its next poll. Call
    /// it after the transaction that enqueued a job has committed. (Workers of other instances
    /// find the job at their next poll, within `jobs_poll_interval`.)
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// The jobs area: the nightly purge of finished jobs (the queue's admin routes are the admin
/// area's, `crate::admin`).
pub const MODULE: Module = Module {
    jobs: || vec![queue::purge_job()],
    schedules: &[Schedule {
        kind: queue::PurgeFinishedJobs::KIND,
        cron: "40 3 * * *",
    }],
    ..Module::new("jobs")
};

/// `7d`, `12h`, `30m` ... as a duration back in time (at most about a century).
pub fn parse_age(value: &str) -> Result<chrono::Duration, String> {
    humantime::parse_duration(value.trim())
        .ok()
        .and_then(|age| chrono::Duration::from_std(age).ok())
        .filter(|age| *age <= chrono::Duration::days(36_500))
        .ok_or_else(|| format!("`{value}` is not a duration such as `7d` or `12h`"))
}

/// How this process names itself in `locked_by`: host and process id.
pub fn instance_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "agora".to_owned());
    format!("{host}:{}", std::process::id())
}
