//! The SQL of reports: whether a target exists (one function per type), and the insert.

use agora_core::UserId;
use agora_platform::entities::users;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::ReportId;
use super::entity::{ActiveModel, Model, ReportReason, ReportStatus, ReportTarget};
use crate::posts::entity::post;

/// Whether the target of a report exists.
pub async fn target_exists(
    conn: &impl ConnectionTrait,
    target_type: ReportTarget,
    id: Uuid,
) -> DbResult<bool> {
    match target_type {
        ReportTarget::Post => post_exists(conn, id).await,
        ReportTarget::Comment => comment_exists(conn, id).await,
        ReportTarget::User => user_exists(conn, id).await,
    }
}

/// A post that is not deleted.
async fn post_exists(conn: &impl ConnectionTrait, id: Uuid) -> DbResult<bool> {
    Ok(post::Entity::find_by_id(id)
        .filter(post::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .is_some())
}

/// A comment that is not deleted (the `comments` table of the conversations: `id`,
/// `deleted_at`).
async fn comment_exists(conn: &impl ConnectionTrait, id: Uuid) -> DbResult<bool> {
    let select = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new("comments"))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .and_where(Expr::col(Alias::new("deleted_at")).is_null())
        .to_owned();
    Ok(conn.query_one(&select).await?.is_some())
}

/// An active account.
async fn user_exists(conn: &impl ConnectionTrait, id: Uuid) -> DbResult<bool> {
    Ok(users::Entity::find_by_id(id)
        .filter(users::Column::Status.eq(users::AccountStatus::Active))
        .one(conn)
        .await?
        .is_some())
}

/// The author and the text of a report's target, for the moderation queue: a post's or a
/// comment's author and content; a user and their display name (or username).
pub async fn target_summary(
    conn: &impl ConnectionTrait,
    target_type: ReportTarget,
    id: Uuid,
) -> DbResult<Option<(Uuid, String)>> {
    Ok(match target_type {
        ReportTarget::Post => post::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|row| (row.author_id, row.content)),
        ReportTarget::Comment => crate::comments::entity::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|row| (row.author_id, row.content)),
        ReportTarget::User => users::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|row| (row.id, row.display_name.unwrap_or(row.username))),
    })
}

/// Records an open report. A second open report of the same target by the same reporter
/// breaks the unique index `ux_reports_open` (`DbError::is_unique_violation`).
pub async fn insert(
    conn: &impl ConnectionTrait,
    reporter: UserId,
    target_type: ReportTarget,
    target_id: Uuid,
    reason: ReportReason,
    details: Option<String>,
    now: DateTime<Utc>,
) -> DbResult<Model> {
    Ok(ActiveModel {
        id: Set(ReportId::new().0),
        reporter_id: Set(reporter.0),
        target_type: Set(target_type),
        target_id: Set(target_id),
        reason: Set(reason),
        details: Set(details),
        status: Set(ReportStatus::Open),
        created_at: Set(now),
        resolved_at: Set(None),
        resolved_by: Set(None),
    }
    .insert(conn)
    .await?)
}
