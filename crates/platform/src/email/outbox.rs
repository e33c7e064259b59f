//! The `emails` table: writing a message into the outbox, and the claim / complete / fail steps
//! of a durable queue that the worker drives.
//!
//! A worker **claims** the oldest due row with one conditional `UPDATE`: the row must still be
//! `queued` and due, or `sending` with a lease that has run out (its worker died). The update
//! sets `sending`, a new lease and one more attempt, so two workers never hold the same row:
//! on PostgreSQL the candidate is picked and locked by a subquery with `FOR UPDATE SKIP LOCKED`
//! (rows other workers are claiming are passed over, not waited for); SQLite has one writer at
//! a time anyway (SeaQuery leaves the lock clause out there).

use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use sea_orm::{ConnectionTrait, DeriveIden, FromQueryResult};
use uuid::Uuid;

use super::EmailId;
use super::templates::Rendered;

#[derive(DeriveIden)]
enum Emails {
    Table,
    Id,
    ToAddress,
    Subject,
    Template,
    BodyText,
    BodyHtml,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

/// Where an email is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailStatus {
    /// Waiting for `next_attempt_at`.
    Queued,
    /// Claimed by a worker until `locked_until`.
    Sending,
    Sent,
    /// Gave up; `last_error` says why. Kept for an operator to see.
    Dead,
}

impl EmailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Queued => "queued",
            EmailStatus::Sending => "sending",
            EmailStatus::Sent => "sent",
            EmailStatus::Dead => "dead",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        [Self::Queued, Self::Sending, Self::Sent, Self::Dead]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// One row of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEmail {
    pub id: EmailId,
    pub to_address: String,
    pub subject: String,
    pub template: String,
    pub body_text: String,
    pub body_html: String,
    pub status: EmailStatus,
    /// Attempts begun so far.
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(FromQueryResult)]
struct Row {
    id: Uuid,
    to_address: String,
    subject: String,
    template: String,
    body_text: String,
    body_html: String,
    status: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl Row {
    fn into_email(self) -> DbResult<StoredEmail> {
        let status = EmailStatus::parse(&self.status).ok_or_else(|| {
            sea_orm::DbErr::Type(format!("unknown email status `{}`", self.status))
        })?;
        Ok(StoredEmail {
            id: EmailId(self.id),
            to_address: self.to_address,
            subject: self.subject,
            template: self.template,
            body_text: self.body_text,
            body_html: self.body_html,
            status,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            next_attempt_at: self.next_attempt_at,
            locked_until: self.locked_until,
            last_error: self.last_error,
            created_at: self.created_at,
            sent_at: self.sent_at,
        })
    }
}

/// Writes a rendered email, due at once, on `conn` (a transaction: the caller's).
pub async fn insert(
    conn: &impl ConnectionTrait,
    id: EmailId,
    to: &str,
    template: &str,
    rendered: &Rendered,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let insert = Query::insert()
        .into_table(Emails::Table)
        .columns([
            Emails::Id,
            Emails::ToAddress,
            Emails::Subject,
            Emails::Template,
            Emails::BodyText,
            Emails::BodyHtml,
            Emails::Status,
            Emails::Attempts,
            Emails::NextAttemptAt,
            Emails::CreatedAt,
        ])
        .values_panic([
            id.as_uuid().into(),
            to.into(),
            rendered.subject.as_str().into(),
            template.into(),
            rendered.text.as_str().into(),
            rendered.html.as_str().into(),
            EmailStatus::Queued.as_str().into(),
            0.into(),
            now.into(),
            now.into(),
        ])
        .to_owned();
    conn.execute(&insert).await?;
    Ok(())
}

/// Rows a worker may take at `now`: due and queued, or abandoned mid-send.
fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(
            Expr::col(Emails::Status)
                .eq(EmailStatus::Queued.as_str())
                .and(Expr::col(Emails::NextAttemptAt).lte(now)),
        )
        .add(
            Expr::col(Emails::Status)
                .eq(EmailStatus::Sending.as_str())
                .and(Expr::col(Emails::LockedUntil).lt(now)),
        )
}

/// Claims the email that has waited longest among those claimable at `now`, for `lease`:
/// it becomes `sending` until `now + lease`, with one more attempt counted.
pub async fn claim_next(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: std::time::Duration,
) -> DbResult<Option<StoredEmail>> {
    let locked_until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    let candidate = Query::select()
        .column(Emails::Id)
        .from(Emails::Table)
        .cond_where(claimable(now))
        .order_by(Emails::NextAttemptAt, Order::Asc)
        .limit(1)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let claim = Query::update()
        .table(Emails::Table)
        .value(Emails::Status, EmailStatus::Sending.as_str())
        .value(Emails::LockedUntil, locked_until)
        .value(Emails::Attempts, Expr::col(Emails::Attempts).add(1))
        .cond_where(
            Condition::all()
                // `=` and not `IN`: PostgreSQL then runs the subquery once, before the update,
                // and the row it locks is the row updated. With `IN` it may plan a join that
                // finds a row another worker claimed meanwhile and returns nothing, although
                // other rows were free.
                .add(Expr::col(Emails::Id).eq(candidate))
                .add(claimable(now)),
        )
        .returning_all()
        .to_owned();
    let row = conn.query_one(&claim).await?;
    match row {
        Some(row) => Ok(Some(Row::from_query_result(&row, "")?.into_email()?)),
        None => Ok(None),
    }
}

/// Records a delivery. Only the claim that is still current (same attempt) may complete it.
pub async fn mark_sent(
    conn: &impl ConnectionTrait,
    email: &StoredEmail,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let update = Query::update()
        .table(Emails::Table)
        .value(Emails::Status, EmailStatus::Sent.as_str())
        .value(Emails::SentAt, now)
        .value(Emails::LockedUntil, Option::<DateTime<Utc>>::None)
        .cond_where(current_claim(email))
        .to_owned();
    Ok(conn.execute(&update).await?.rows_affected() == 1)
}

/// Records a failed attempt: queued again for `retry_at`, or dead when that is `None`.
pub async fn mark_failed(
    conn: &impl ConnectionTrait,
    email: &StoredEmail,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> DbResult<bool> {
    let mut update = Query::update();
    update
        .table(Emails::Table)
        .value(Emails::LastError, error)
        .value(Emails::LockedUntil, Option::<DateTime<Utc>>::None)
        .cond_where(current_claim(email));
    match retry_at {
        Some(at) => update
            .value(Emails::Status, EmailStatus::Queued.as_str())
            .value(Emails::NextAttemptAt, at),
        None => update.value(Emails::Status, EmailStatus::Dead.as_str()),
    };
    Ok(conn.execute(&update).await?.rows_affected() == 1)
}

/// The row is still `sending` under the claim that `email` came from: if the lease ran out and
/// another worker claimed it again, the attempt count has moved on.
fn current_claim(email: &StoredEmail) -> Condition {
    Condition::all()
        .add(Expr::col(Emails::Id).eq(email.id.as_uuid()))
        .add(Expr::col(Emails::Status).eq(EmailStatus::Sending.as_str()))
        .add(Expr::col(Emails::Attempts).eq(i64::from(email.attempts)))
}

/// One email by id.
pub async fn find(conn: &impl ConnectionTrait, id: EmailId) -> DbResult<Option<StoredEmail>> {
    let select = Query::select()
        .expr(Expr::cust("*"))
        .from(Emails::Table)
        .and_where(Expr::col(Emails::Id).eq(id.as_uuid()))
        .to_owned();
    match conn.query_one(&select).await? {
        Some(row) => Ok(Some(Row::from_query_result(&row, "")?.into_email()?)),
        None => Ok(None),
    }
}

/// Every email, oldest first (for operators and tests; the outbox is expected to stay small
/// enough, sent rows being cleaned up by a scheduled job once jobs exist).
pub async fn list(conn: &impl ConnectionTrait) -> DbResult<Vec<StoredEmail>> {
    let select = Query::select()
        .expr(Expr::cust("*"))
        .from(Emails::Table)
        .order_by(Emails::CreatedAt, Order::Asc)
        .order_by(Emails::Id, Order::Asc)
        .to_owned();
    conn.query_all(&select)
        .await?
        .iter()
        .map(|row| Row::from_query_result(row, "")?.into_email())
        .collect()
}
