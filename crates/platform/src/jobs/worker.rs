//! The worker: claims due jobs of the kinds it knows, runs up to `concurrency` of them at once,
//! each with its kind's timeout, and records each outcome before the slot is used again.
//!
//! Every instance runs one (unless `jobs_workers = 0`). A run that panics or overruns its
//! timeout is a failed attempt like any other. When the worker stops, the runs in progress are
//! finished; if it is killed instead, their jobs stay `running` until the lease (the longest
//! timeout plus a margin) has passed, and are then claimed again by whichever worker is alive.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use agora_core::config::Config;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use futures::FutureExt;
use rand::Rng;
use tokio::task::JoinSet;

use super::queue::{self, Outcome, StoredJob};
use super::retry::AfterFailure;
use super::{JobContext, JobError, JobKind, JobKinds};
use crate::AppState;

/// How a worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Jobs run at once; 0 runs none (an instance that only serves requests).
    pub concurrency: usize,
    /// How often to look for due jobs when nobody rings [`super::Jobs::wake`].
    pub poll_interval: Duration,
    /// Added to the longest timeout of the kinds to make the lease: a job still `running` that
    /// long after its claim belongs to a worker that died.
    pub lease_margin: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            poll_interval: Duration::from_secs(1),
            lease_margin: Duration::from_secs(30),
        }
    }
}

impl WorkerOptions {
    /// `jobs_workers` and `jobs_poll_interval` of the configuration.
    pub fn from_config(config: &Config) -> Self {
        Self {
            concurrency: config.jobs.workers,
            poll_interval: config.jobs.poll_interval,
            ..Self::default()
        }
    }
}

/// Runs the jobs of its kinds. Cheap to share (the runs in progress hold an `Arc` of it).
pub struct Worker {
    state: AppState,
    kinds: JobKinds,
    names: Vec<&'static str>,
    options: WorkerOptions,
    instance: String,
}

impl Worker {
    pub fn new(state: AppState, kinds: JobKinds, options: WorkerOptions) -> Self {
        Self {
            names: kinds.names(),
            state,
            kinds,
            options,
            instance: super::instance_name(),
        }
    }

    /// How long a claim lasts.
    pub fn lease(&self) -> Duration {
        self.kinds.longest_timeout() + self.options.lease_margin
    }

    /// Claims the job due longest at `now`, if any.
    pub async fn claim(&self, now: DateTime<Utc>) -> DbResult<Option<StoredJob>> {
        if self.names.is_empty() {
            return Ok(None);
        }
        let locked_until = now
            .checked_add_signed(chrono::Duration::from_std(self.lease()).unwrap_or_default())
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        queue::claim_next(
            self.state.db().writer(),
            &self.names,
            now,
            locked_until,
            &self.instance,
        )
        .await
    }

    /// Runs the jobs claimable at `now`, one after another, until none is left (at most
    /// `limit`); returns how many ran. The tests drive the queue with it at the times they choose.
    pub async fn run_due(&self, now: DateTime<Utc>, limit: usize) -> DbResult<usize> {
        let mut ran = 0;
        while ran < limit {
            let Some(job) = self.claim(now).await? else {
                break;
            };
            self.execute(job, now).await?;
            ran += 1;
        }
        Ok(ran)
    }

    /// Runs a claimed job and records what came of it (claimed at `claimed_at`).
    pub async fn execute(&self, job: StoredJob, claimed_at: DateTime<Utc>) -> DbResult<Outcome> {
        let started = std::time::Instant::now();
        let Some(kind) = self.kinds.get(&job.kind) else {
            // Cannot happen: the claim asks for known kinds only.
            return Ok(Outcome::Dead {
                error: format!("no handler for jobs of kind `{}`", job.kind),
            });
        };
        let ctx = JobContext {
            state: self.state.clone(),
            id: job.id,
            attempt: job.attempts,
        };
        let result = if job.attempts > kind.retry.max_attempts {
            // Claimed again after its worker died during the last attempt.
            Err(JobError::permanent(
                "gave up: the last attempt was interrupted before it completed",
            ))
        } else {
            run_guarded(kind, ctx.clone(), job.payload.clone()).await
        };
        let finished_at =
            claimed_at + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let outcome = outcome(kind, &job, result, finished_at);
        let current = queue::record(self.state.db().writer(), &job, &outcome, finished_at).await?;
        if !current {
            tracing::warn!(job = %job.id, kind = %job.kind, "the claim ran out before the outcome was recorded; another worker has the job");
            return Ok(outcome);
        }
        match &outcome {
            Outcome::Succeeded => {
                tracing::debug!(job = %job.id, kind = %job.kind, attempt = job.attempts, "job succeeded")
            }
            Outcome::RetryAt { at, error } => {
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, retry_at = %at, %error, "job failed; will retry")
            }
            Outcome::Dead { error } => {
                tracing::error!(job = %job.id, kind = %job.kind, attempt = job.attempts, %error, "job failed; giving up (dead)");
                if let Some(hook) = kind.dead(ctx, job.payload.clone(), error.clone())
                    && AssertUnwindSafe(hook).catch_unwind().await.is_err()
                {
                    tracing::error!(job = %job.id, kind = %job.kind, "the dead-job hook panicked");
                }
            }
        }
        Ok(outcome)
    }

    /// Claims and runs due jobs, `concurrency` at a time, until `shutdown` completes; then lets
    /// the runs in progress finish (each is bounded by its timeout).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        if self.options.concurrency == 0 || self.names.is_empty() {
            return;
        }
        tracing::info!(kinds = ?self.names, concurrency = self.options.concurrency, "job worker started");
        let worker = Arc::new(self);
        let mut running: JoinSet<()> = JoinSet::new();
        tokio::pin!(shutdown);
        // After a database error, wait longer each time (to a minute) rather than flood the log.
        let mut error_pause = worker.options.poll_interval;
        loop {
            let mut pause = worker.options.poll_interval;
            while running.len() < worker.options.concurrency {
                let now = agora_core::time::now();
                match worker.claim(now).await {
                    Ok(Some(job)) => {
                        let runner = worker.clone();
                        running.spawn(async move {
                            if let Err(err) = runner.execute(job, now).await {
                                tracing::warn!(error = %err, "cannot record a job's outcome; it runs again when its lease is over");
                            }
                        });
                        error_pause = worker.options.poll_interval;
                    }
                    Ok(None) => break,
                    Err(err) => {
                        tracing::warn!(error = %err, retry_in = ?error_pause, "the job worker cannot reach the queue");
                        pause = error_pause;
                        error_pause = (error_pause * 2).min(Duration::from_secs(60));
                        break;
                    }
                }
            }
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some(_) = running.join_next(), if !running.is_empty() => {}
                () = worker.state.jobs().woken() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        while running.join_next().await.is_some() {}
        tracing::info!("job worker stopped");
    }
}

/// Runs the handler within the kind's timeout; a panic is a failed attempt, not a dead worker.
async fn run_guarded(
    kind: &JobKind,
    ctx: JobContext,
    payload: serde_json::Value,
) -> Result<(), JobError> {
    let run = tokio::time::timeout(kind.timeout, kind.run(ctx, payload));
    match AssertUnwindSafe(run).catch_unwind().await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(JobError::retry(format!(
            "timed out after {}",
            humantime::format_duration(kind.timeout)
        ))),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(JobError::retry(format!("the handler panicked: {message}")))
        }
    }
}

/// What a run's result means for the job, by the kind's retry policy.
fn outcome(
    kind: &JobKind,
    job: &StoredJob,
    result: Result<(), JobError>,
    now: DateTime<Utc>,
) -> Outcome {
    match result {
        Ok(()) => Outcome::Succeeded,
        Err(err) if err.permanent => Outcome::Dead { error: err.message },
        Err(err) => match kind
            .retry
            .after_failure(job.attempts, now, rand::rng().random())
        {
            AfterFailure::RetryAt(at) => Outcome::RetryAt {
                at,
                error: err.message,
            },
            AfterFailure::GiveUp => Outcome::Dead { error: err.message },
        },
    }
}
