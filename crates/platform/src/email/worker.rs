//! The email worker: claims due emails one at a time, sends each, and records the outcome.
//!
//! The loop and the bookkeeping ([`deliver_due`]: claim, then mark sent / retry / dead by the
//! [`RetryPolicy`]) are kept apart from what is done with a claimed row ([`send`]), so the job
//! queue can take the first over for any kind of task. Any number of workers may run (one per
//! instance): a claim is a conditional update, so no two hold the same row, and a row whose
//! worker died is claimed again once its lease runs out. Delivery is therefore *at least once*;
//! the fixed `Message-ID` lets receivers drop the rare duplicate.

use std::future::Future;
use std::time::Duration;

use agora_store::{Db, DbResult};
use chrono::{DateTime, Utc};
use rand::Rng;

use super::outbox::{self, StoredEmail};
use super::retry::{AfterFailure, RetryPolicy};
use super::{Mailer, SendError};

/// How a worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// How often to look for due email when nobody rings [`Mailer::wake`].
    pub poll_interval: Duration,
    /// How long a claim lasts. Longer than any send (SMTP sends time out after 60 s); a row
    /// still `sending` after it belongs to a worker that died.
    pub lease: Duration,
    /// Most emails sent before the worker looks at its shutdown signal again.
    pub batch_size: usize,
    pub retry: RetryPolicy,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(5),
            lease: Duration::from_secs(120),
            batch_size: 50,
            retry: RetryPolicy::default(),
        }
    }
}

/// Runs the worker with the default options until `shutdown` completes.
pub async fn run(db: Db, mailer: Mailer, shutdown: impl Future<Output = ()>) {
    run_with(db, mailer, WorkerOptions::default(), shutdown).await;
}

/// Runs the worker until `shutdown` completes. A send in progress is finished first (it is
/// bounded by the SMTP timeout), so a stop never leaves a row `sending` without need.
pub async fn run_with(
    db: Db,
    mailer: Mailer,
    options: WorkerOptions,
    shutdown: impl Future<Output = ()>,
) {
    tracing::info!(transport = %mailer.transport().describe(), "email worker started");
    tokio::pin!(shutdown);
    // After a database error, wait longer each time (to a minute) rather than flood the log.
    let mut error_pause = options.poll_interval;
    loop {
        let pause = match deliver_due(&db, &mailer, &options, Utc::now()).await {
            Ok(count) if count >= options.batch_size => Duration::ZERO,
            Ok(_) => {
                error_pause = options.poll_interval;
                options.poll_interval
            }
            Err(err) => {
                tracing::warn!(error = %err, retry_in = ?error_pause, "email worker cannot reach the outbox");
                let pause = error_pause;
                error_pause = (error_pause * 2).min(Duration::from_secs(60));
                pause
            }
        };
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = mailer.woken() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
    tracing::info!("email worker stopped");
}

/// Sends the emails claimable at `now`, one at a time, at most `options.batch_size` of them;
/// returns how many it attempted. Each outcome is recorded before the next claim.
pub async fn deliver_due(
    db: &Db,
    mailer: &Mailer,
    options: &WorkerOptions,
    now: DateTime<Utc>,
) -> DbResult<usize> {
    let mut attempted = 0;
    while attempted < options.batch_size {
        let Some(email) = outbox::claim_next(db.writer(), now, options.lease).await? else {
            break;
        };
        attempted += 1;
        let result = if email.attempts > options.retry.max_attempts {
            // Claimed again after its worker died during the last attempt.
            Err(SendError::permanent(
                "gave up: the last attempt was interrupted before it completed",
            ))
        } else {
            send(mailer, &email).await
        };
        record(db, &options.retry, &email, result, now).await?;
    }
    Ok(attempted)
}

/// What is done with a claimed row: build the message and hand it to the transport.
async fn send(mailer: &Mailer, email: &StoredEmail) -> Result<(), SendError> {
    let message = mailer.message(email)?;
    mailer.transport().send(email.id, &message).await
}

async fn record(
    db: &Db,
    policy: &RetryPolicy,
    email: &StoredEmail,
    result: Result<(), SendError>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let current = match result {
        Ok(()) => {
            tracing::info!(email = %email.id, template = %email.template, attempt = email.attempts, "email sent");
            outbox::mark_sent(db.writer(), email, Utc::now()).await?
        }
        Err(err) => {
            let next = if err.permanent {
                AfterFailure::GiveUp
            } else {
                policy.after_failure(email.attempts, now, rand::rng().random())
            };
            match next {
                AfterFailure::RetryAt(at) => {
                    tracing::warn!(email = %email.id, attempt = email.attempts, retry_at = %at, error = %err, "email not sent; will retry");
                    outbox::mark_failed(db.writer(), email, &err.message, Some(at)).await?
                }
                AfterFailure::GiveUp => {
                    tracing::error!(email = %email.id, attempt = email.attempts, error = %err, "email not sent; giving up (dead)");
                    outbox::mark_failed(db.writer(), email, &err.message, None).await?
                }
            }
        }
    };
    if !current {
        tracing::warn!(email = %email.id, "the claim ran out before the outcome was recorded; another worker has the email");
    }
    Ok(())
}
