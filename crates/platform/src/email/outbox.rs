//! The `emails` table: the messages written into the outbox and what became of them. Delivery
//! itself is an `email.send` job (`super::send_job`); this module records its outcome.

use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use super::EmailId;
use super::templates::Rendered;
use crate::entities::emails::{self, Column};

pub use crate::entities::emails::EmailStatus;

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

impl From<emails::Model> for StoredEmail {
    fn from(row: emails::Model) -> Self {
        StoredEmail {
            id: EmailId(row.id),
            to_address: row.to_address,
            subject: row.subject,
            template: row.template,
            body_text: row.body_text,
            body_html: row.body_html,
            status: row.status,
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            last_error: row.last_error,
            created_at: row.created_at,
            sent_at: row.sent_at,
        }
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
        .into_table(emails::Entity)
        .columns([
            Column::Id,
            Column::ToAddress,
            Column::Subject,
            Column::Template,
            Column::BodyText,
            Column::BodyHtml,
            Column::Status,
            Column::Attempts,
            Column::CreatedAt,
        ])
        .values_panic([
            id.as_uuid().into(),
            to.into(),
            rendered.subject.as_str().into(),
            template.into(),
            rendered.text.as_str().into(),
            rendered.html.as_str().into(),
            EmailStatus::Queued.into(),
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
        .table(emails::Entity)
        .value(Column::Status, EmailStatus::Sent)
        .value(Column::Attempts, i64::from(attempts))
        .value(Column::SentAt, now)
        .and_where(Expr::col(Column::Id).eq(id.as_uuid()))
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
        .table(emails::Entity)
        .value(Column::Attempts, i64::from(attempts))
        .value(Column::LastError, error)
        .and_where(Expr::col(Column::Id).eq(id.as_uuid()))
        .and_where(Expr::col(Column::Status).eq(EmailStatus::Queued))
        .to_owned();
    conn.execute(&update).await?;
    Ok(())
}

/// Gives up on the email: its job is dead, with `error` as the last word.
pub async fn mark_dead(conn: &impl ConnectionTrait, id: EmailId, error: &str) -> DbResult<()> {
    let update = Query::update()
        .table(emails::Entity)
        .value(Column::Status, EmailStatus::Dead)
        .value(Column::LastError, error)
        .and_where(Expr::col(Column::Id).eq(id.as_uuid()))
        .and_where(Expr::col(Column::Status).eq(EmailStatus::Queued))
        .to_owned();
    conn.execute(&update).await?;
    Ok(())
}

/// One email by id.
pub async fn find(conn: &impl ConnectionTrait, id: EmailId) -> DbResult<Option<StoredEmail>> {
    Ok(emails::Entity::find_by_id(id.as_uuid())
        .one(conn)
        .await?
        .map(StoredEmail::from))
}

/// Every email, oldest first (for tests and operators on a small outbox).
pub async fn list(conn: &impl ConnectionTrait) -> DbResult<Vec<StoredEmail>> {
    Ok(emails::Entity::find()
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(StoredEmail::from)
        .collect())
}

/// How many emails of the outbox are in each status (`/metrics`: sent, queued, dead).
pub async fn count_by_status(
    conn: &impl ConnectionTrait,
) -> DbResult<Vec<(emails::EmailStatus, i64)>> {
    use sea_orm::QuerySelect;
    Ok(emails::Entity::find()
        .select_only()
        .column(Column::Status)
        .column_as(Expr::col(Column::Id).count(), "emails")
        .group_by(Column::Status)
        .into_tuple::<(emails::EmailStatus, i64)>()
        .all(conn)
        .await?)
}
