//! The daily email digest: for each user with notifications waiting for one (the
//! `email_digest` channel) and still unread, one email listing them; each is in one digest
//! at most. Run by the `notifications.digest` job, on the schedule of the same name.

use agora_core::UserId;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Notifications;
use crate::AppState;
use crate::email::{self, DigestItem, OutgoingEmail, Template};
use crate::entities::users::{self, AccountStatus};
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

/// Waiting for a digest: in the digest channel, not yet emailed, unread.
fn waiting(user: Option<UserId>) -> Condition {
    let mut condition = Condition::all()
        .add(Expr::col(Notifications::Digest).eq(true))
        .add(Expr::col(Notifications::EmailedAt).is_null())
        .add(Expr::col(Notifications::ReadAt).is_null());
    if let Some(user) = user {
        condition = condition.add(Expr::col(Notifications::UserId).eq(user.0));
    }
    condition
}

/// Queues one digest email per user with notifications waiting; returns how many.
pub async fn send_digests(state: &AppState, now: DateTime<Utc>) -> DbResult<u64> {
    let mut sent = 0;
    loop {
        let select = Query::select()
            .distinct()
            .column(Notifications::UserId)
            .from(Notifications::Table)
            .cond_where(waiting(None))
            .limit(BATCH)
            .to_owned();
        let users: Vec<Uuid> = state
            .db()
            .reader()
            .query_all(&select)
            .await?
            .iter()
            .map(|row| row.try_get("", "user_id"))
            .collect::<Result<_, _>>()?;
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

#[derive(FromQueryResult)]
struct Item {
    title: String,
    link: Option<String>,
}

/// One user's digest, in one transaction with marking its notifications emailed; false when
/// the account cannot receive email (disabled), whose notifications are then passed over.
async fn send_one(state: &AppState, user: UserId, now: DateTime<Utc>) -> DbResult<bool> {
    let txn = state.db().begin().await?;
    let account = users::Entity::find_by_id(user.0).one(&txn).await?;
    let mut sent = false;
    if let Some(account) = account.filter(|a| a.status == AccountStatus::Active) {
        let select = Query::select()
            .columns([Notifications::Title, Notifications::Link])
            .from(Notifications::Table)
            .cond_where(waiting(Some(user)))
            .order_by(Notifications::Id, Order::Desc)
            .limit(MAX_ITEMS)
            .to_owned();
        let app_url = &state.config().server.app_url;
        let all = app_url
            .join("notifications")
            .unwrap_or_else(|_| app_url.clone());
        let items = txn
            .query_all(&select)
            .await?
            .iter()
            .map(|row| {
                let item = Item::from_query_result(row, "")?;
                let link = item
                    .link
                    .and_then(|link| app_url.join(link.trim_start_matches('/')).ok())
                    .unwrap_or_else(|| all.clone());
                Ok(DigestItem {
                    title: item.title,
                    link,
                })
            })
            .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
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
    let mark = Query::update()
        .table(Notifications::Table)
        .value(Notifications::EmailedAt, now)
        .cond_where(waiting(Some(user)))
        .to_owned();
    txn.execute(&mark).await?;
    txn.commit().await?;
    Ok(sent)
}
