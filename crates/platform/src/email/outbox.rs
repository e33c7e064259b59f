//! The `emails` table: the messages written into the outbox and what became of them. Delivery
//! itself is an `email.send` job (`super::send_job`); this module records its outcome.

use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
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
    LastError,
    CreatedAt,
    SentAt,
}

/// Where an email is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailStatus {
    /// Waiting for its job (the first attempt or a retry).
    Queued,
    Sent,
    /// Gave up; `last_error` says why. Kept for an operator to see.
    Dead,
}

impl EmailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Queued => "queued",
            EmailStatus::Sent => "sent",
            EmailStatus::Dead => "dead",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        [Self::Queued, Self::Sent, Self::Dead]
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
    /// Attempts made so far (as of the last one recorded).
    pub attempts: u32,
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
            last_error: self.last_error,
            created_at: self.created_at,
            sent_at: self.sent_at,
        })
    }
}

/// Writes a rendered email on `conn` (a transaction: the caller's); `super::enqueue` adds its job.
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
        ])
        .to_owned();
    conn.execute(&insert).await?;
    Ok(())
}

/// Records the delivery of the email (on its `attempts`-th attempt).
pub async fn mark_sent(
    conn: &impl ConnectionTrait,
    id: EmailId,
    attempts: u32,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let update = Query::update()
        .table(Emails::Table)
        .value(Emails::Status, EmailStatus::Sent.as_str())
        .value(Emails::Attempts, i64::from(attempts))
        .value(Emails::SentAt, now)
        .and_where(Expr::col(Emails::Id).eq(id.as_uuid()))
        .to_owned();
    conn.execute(&update).await?;
    Ok(())
}

/// Records a failed attempt (the `attempts`-th) and why; the job queue decides what follows.
pub async fn record_failure(
    conn: &impl ConnectionTrait,
    id: EmailId,
    attempts: u32,
    error: &str,
) -> DbResult<()> {
    let update = Query::update()
        .table(Emails::Table)
        .value(Emails::Attempts, i64::from(attempts))
        .value(Emails::LastError, error)
        .and_where(Expr::col(Emails::Id).eq(id.as_uuid()))
        .and_where(Expr::col(Emails::Status).eq(EmailStatus::Queued.as_str()))
        .to_owned();
    conn.execute(&update).await?;
    Ok(())
}

/// Gives up on the email: its job is dead, with `error` as the last word.
pub async fn mark_dead(conn: &impl ConnectionTrait, id: EmailId, error: &str) -> DbResult<()> {
    let update = Query::update()
        .table(Emails::Table)
        .value(Emails::Status, EmailStatus::Dead.as_str())
        .value(Emails::LastError, error)
        .and_where(Expr::col(Emails::Id).eq(id.as_uuid()))
        .and_where(Expr::col(Emails::Status).eq(EmailStatus::Queued.as_str()))
        .to_owned();
    conn.execute(&update).await?;
    Ok(())
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

/// Every email, oldest first (for tests and operators on a small outbox).
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
