//! The daily email digest: for each user with notifications waiting for one (the
//! `email_digest` channel) and still unread, one email listing them; each is in one digest
//! at most. Run by the `notifications.digest` job, on the schedule of the same name.

use agora_core::UserId;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::queries;
use crate::AppState;
use crate::email::{self, DigestItem, OutgoingEmail, Template};
use crate::entities::users::AccountStatus;
use crate::identity::users as accounts;
use crate::jobs::{Job, JobContext, JobError, JobKind, Schedule};

/// The most notifications one digest lists (the newest); the email links to the rest.
pub const MAX_ITEMS: u64 = 20;
/// Users handled per round of the job.
const BATCH: u64 = 100;

/// The job that sends the digests due.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendDigests {}

impl Job for SendDigests {
    const KIND: &'static str = "notifications.digest";
}

/// Every morning at 08:00 UTC.
pub const SCHEDULE: Schedule = Schedule {
    kind: SendDigests::KIND,
    cron: "0 8 * * *",
};

pub(crate) fn job() -> JobKind {
    JobKind::new(|ctx: JobContext, _: SendDigests| async move {
        let sent = send_digests(&ctx.state, agora_core::time::now()).await?;
        tracing::info!(sent, "notification digests queued");
        if sent > 0 {
            ctx.state.jobs().wake();
        }
        Ok::<_, JobError>(())
    })
    .timeout(std::time::Duration::from_secs(600))
}

/// Queues one digest email per user with notifications waiting; returns how many.
pub async fn send_digests(state: &AppState, now: DateTime<Utc>) -> DbResult<u64> {
    let mut sent = 0;
    loop {
        let users = queries::users_waiting_for_digest(state.db().reader(), BATCH).await?;
        if users.is_empty() {
            return Ok(sent);
        }
        for user in users {
            if send_one(state, UserId(user), now).await? {
                sent += 1;
            }
        }
    }
}

/// One user's digest, in one transaction with marking its notifications emailed; false when
/// the account cannot receive email (disabled), whose notifications are then passed over.
async fn send_one(state: &AppState, user: UserId, now: DateTime<Utc>) -> DbResult<bool> {
    let txn = state.db().begin().await?;
    let account = accounts::find(&txn, user.0).await?;
    let mut sent = false;
    if let Some(account) = account.filter(|a| a.status == AccountStatus::Active) {
        let app_url = &state.config().server.app_url;
        let all = app_url
            .join("notifications")
            .unwrap_or_else(|_| app_url.clone());
        let items: Vec<DigestItem> = queries::waiting_for_digest(&txn, user, MAX_ITEMS)
            .await?
            .into_iter()
            .map(|row| DigestItem {
                link: row
                    .link
                    .and_then(|link| app_url.join(link.trim_start_matches('/')).ok())
                    .unwrap_or_else(|| all.clone()),
                title: row.title,
            })
            .collect();
        if let (false, Ok(to)) = (items.is_empty(), account.email.parse()) {
            let message = OutgoingEmail {
                to,
                template: Template::NotificationDigest {
                    username: account.username,
                    items,
                    link: all,
                },
            };
            email::enqueue(&txn, message, now).await?;
            sent = true;
        }
    }
    queries::mark_emailed(&txn, user, now).await?;
    txn.commit().await?;
    Ok(sent)
}
