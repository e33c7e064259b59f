//! The SQL of moderation: the rules, their stamp (what tells a changed rule set), and the
//! queue's entries.

use agora_core::UserId;
use agora_core::pagination::PageRequest;
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::Value;
use uuid::Uuid;

use super::matching::{Action, MatchKind, RuleSpec};
use crate::entities::{moderation_queue as queue, moderation_rules as rules};

/// A rule to write.
pub struct RuleFields {
    pub pattern: String,
    pub kind: MatchKind,
    pub severity: i16,
    pub action: Action,
}

pub async fn list_rules(
    conn: &impl ConnectionTrait,
    page: &PageRequest<Uuid>,
) -> DbResult<Vec<rules::Model>> {
    let keyset = Keyset::new([], SortKey::desc(rules::Column::Id));
    let mut select = rules::Entity::find();
    if let Some(after) = page.after {
        select = select.filter(keyset.after([after.into()]));
    }
    keyset.order_by(QuerySelect::query(&mut select));
    Ok(select.limit(page.fetch()).all(conn).await?)
}

pub async fn find_rule(conn: &impl ConnectionTrait, id: Uuid) -> DbResult<Option<rules::Model>> {
    Ok(rules::Entity::find_by_id(id).one(conn).await?)
}

pub async fn insert_rule(
    conn: &impl ConnectionTrait,
    fields: RuleFields,
    by: UserId,
    now: DateTime<Utc>,
) -> DbResult<rules::Model> {
    Ok(rules::ActiveModel {
        id: Set(Uuid::now_v7()),
        pattern: Set(fields.pattern),
        match_kind: Set(fields.kind.as_str().to_owned()),
        severity: Set(fields.severity),
        action: Set(fields.action.as_str().to_owned()),
        created_by: Set(Some(by.0)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?)
}

pub async fn update_rule(
    conn: &impl ConnectionTrait,
    row: rules::Model,
    fields: RuleFields,
    now: DateTime<Utc>,
) -> DbResult<rules::Model> {
    let mut active: rules::ActiveModel = row.into();
    active.pattern = Set(fields.pattern);
    active.match_kind = Set(fields.kind.as_str().to_owned());
    active.severity = Set(fields.severity);
    active.action = Set(fields.action.as_str().to_owned());
    active.updated_at = Set(now);
    Ok(active.update(conn).await?)
}

pub async fn delete_rule(conn: &impl ConnectionTrait, id: Uuid) -> DbResult<bool> {
    Ok(rules::Entity::delete_by_id(id)
        .exec(conn)
        .await?
        .rows_affected
        > 0)
}

/// Every rule, as the matcher needs it (a row whose stored kind or action is unknown is
/// skipped).
pub async fn all_rules(conn: &impl ConnectionTrait) -> DbResult<Vec<RuleSpec>> {
    let rows = rules::Entity::find()
        .order_by_asc(rules::Column::Id)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(RuleSpec {
                id: row.id,
                kind: MatchKind::parse(&row.match_kind)?,
                action: Action::parse(&row.action)?,
                pattern: row.pattern,
            })
        })
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct StampRow {
    count: i64,
    latest: Option<DateTime<Utc>>,
}

/// What changes whenever the rules do: their number and the latest change (a create or an
/// update moves the latest change forward; a delete lowers the number).
pub async fn stamp(conn: &impl ConnectionTrait) -> DbResult<String> {
    let row = rules::Entity::find()
        .select_only()
        .expr_as(Func::count(Expr::col(rules::Column::Id)), "count")
        .expr_as(Func::max(Expr::col(rules::Column::UpdatedAt)), "latest")
        .into_model::<StampRow>()
        .one(conn)
        .await?;
    Ok(match row {
        Some(StampRow { count, latest }) => format!(
            "{count}:{}",
            latest.map(|at| at.timestamp_micros()).unwrap_or_default()
        ),
        None => "0:0".to_owned(),
    })
}

/// One flag of a queue entry.
pub struct NewFlag<'a> {
    pub target_type: &'a str,
    pub target_id: Uuid,
    pub author: Option<UserId>,
    pub preview: String,
    pub action: Option<Action>,
    pub flags: Vec<Value>,
}

/// Opens the target's entry, or adds to the open one (its strictest action kept).
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    new: NewFlag<'_>,
    now: DateTime<Utc>,
) -> DbResult<queue::Model> {
    if let Some(open) = open_entry(conn, new.target_type, new.target_id).await? {
        let mut flags = match &open.flags {
            Value::Array(flags) => flags.clone(),
            _ => Vec::new(),
        };
        flags.extend(new.flags);
        let action = open
            .action
            .as_deref()
            .and_then(Action::parse)
            .max(new.action);
        let mut active: queue::ActiveModel = open.into();
        active.flags = Set(Value::Array(flags));
        active.action = Set(action.map(|a| a.as_str().to_owned()));
        active.preview = Set(new.preview);
        active.updated_at = Set(now);
        return Ok(active.update(conn).await?);
    }
    Ok(queue::ActiveModel {
        id: Set(Uuid::now_v7()),
        target_type: Set(new.target_type.to_owned()),
        target_id: Set(new.target_id),
        author_id: Set(new.author.map(|a| a.0)),
        preview: Set(new.preview),
        status: Set(OPEN.to_owned()),
        action: Set(new.action.map(|a| a.as_str().to_owned())),
        flags: Set(Value::Array(new.flags)),
        created_at: Set(now),
        updated_at: Set(now),
        resolved_at: Set(None),
        resolved_by: Set(None),
        resolution_reason: Set(None),
    }
    .insert(conn)
    .await?)
}

pub const OPEN: &str = "open";
pub const RESTORED: &str = "restored";
pub const REMOVED: &str = "removed";

pub async fn open_entry(
    conn: &impl ConnectionTrait,
    target_type: &str,
    target_id: Uuid,
) -> DbResult<Option<queue::Model>> {
    Ok(queue::Entity::find()
        .filter(queue::Column::TargetType.eq(target_type))
        .filter(queue::Column::TargetId.eq(target_id))
        .filter(queue::Column::Status.eq(OPEN))
        .one(conn)
        .await?)
}

pub async fn find_entry(conn: &impl ConnectionTrait, id: Uuid) -> DbResult<Option<queue::Model>> {
    Ok(queue::Entity::find_by_id(id).one(conn).await?)
}

/// Open entries, oldest first (the order they are worked through), by id (UUIDv7).
pub async fn list_open(
    conn: &impl ConnectionTrait,
    page: &PageRequest<Uuid>,
) -> DbResult<Vec<queue::Model>> {
    let keyset = Keyset::new([], SortKey::asc(queue::Column::Id));
    let mut select = queue::Entity::find().filter(queue::Column::Status.eq(OPEN));
    if let Some(after) = page.after {
        select = select.filter(keyset.after([after.into()]));
    }
    keyset.order_by(QuerySelect::query(&mut select));
    Ok(select.limit(page.fetch()).all(conn).await?)
}

/// Closes an open entry; false when it was no longer open.
pub async fn resolve(
    conn: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
    by: UserId,
    reason: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let done = queue::Entity::update_many()
        .col_expr(queue::Column::Status, Expr::value(status))
        .col_expr(queue::Column::ResolvedAt, Expr::value(now))
        .col_expr(queue::Column::ResolvedBy, Expr::value(by.0))
        .col_expr(queue::Column::ResolutionReason, Expr::value(reason))
        .col_expr(queue::Column::UpdatedAt, Expr::value(now))
        .filter(queue::Column::Id.eq(id))
        .filter(queue::Column::Status.eq(OPEN))
        .exec(conn)
        .await?;
    Ok(done.rows_affected > 0)
}

/// A user's removed content, newest first.
pub async fn removals_of(
    conn: &impl ConnectionTrait,
    author: UserId,
    page: &PageRequest<Uuid>,
) -> DbResult<Vec<queue::Model>> {
    let keyset = Keyset::new([], SortKey::desc(queue::Column::Id));
    let mut select = queue::Entity::find()
        .filter(queue::Column::AuthorId.eq(author.0))
        .filter(queue::Column::Status.eq(REMOVED));
    if let Some(after) = page.after {
        select = select.filter(keyset.after([after.into()]));
    }
    keyset.order_by(QuerySelect::query(&mut select));
    Ok(select.limit(page.fetch()).all(conn).await?)
}

/// How many entries are open.
pub async fn count_open(conn: &impl ConnectionTrait) -> DbResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(queue::Entity::find()
        .filter(queue::Column::Status.eq(OPEN))
        .count(conn)
        .await?)
}

/// The kind of report target (`reports.target_type`) of a kind of queue entry.
pub fn report_type_of(entry_type: &str) -> &str {
    match entry_type {
        crate::moderation::PROFILE_TARGET => "user",
        other => other,
    }
}

/// One open report of a queue entry's target.
#[derive(Debug, FromQueryResult)]
pub struct ReportRow {
    pub id: Uuid,
    pub reporter_id: Uuid,
    pub target_type: String,
    pub target_id: Uuid,
    pub reason: String,
    pub details: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The `reports` table (users' reports, written by `POST /reports`).
fn reports() -> sea_orm::sea_query::Alias {
    sea_orm::sea_query::Alias::new("reports")
}

/// The open reports of these targets (entry kind, id), oldest first.
pub async fn open_reports(
    conn: &impl ConnectionTrait,
    targets: &[(String, Uuid)],
) -> DbResult<Vec<ReportRow>> {
    use sea_orm::sea_query::{Alias, Cond, Order, Query};
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let mut any = Cond::any();
    for (kind, id) in targets {
        any = any.add(
            Cond::all()
                .add(Expr::col(Alias::new("target_type")).eq(report_type_of(kind)))
                .add(Expr::col(Alias::new("target_id")).eq(*id)),
        );
    }
    let select = Query::select()
        .columns(
            [
                "id",
                "reporter_id",
                "target_type",
                "target_id",
                "reason",
                "details",
                "created_at",
            ]
            .map(Alias::new),
        )
        .from(reports())
        .cond_where(any)
        .and_where(Expr::col(Alias::new("status")).eq(OPEN))
        .order_by(Alias::new("created_at"), Order::Asc)
        .to_owned();
    let statement = conn.get_database_backend().build(&select);
    Ok(ReportRow::find_by_statement(statement).all(conn).await?)
}

/// Closes the open reports of a target (`resolved` when it was removed, `dismissed` when
/// restored); the reporters, to tell them.
pub async fn close_reports(
    conn: &impl ConnectionTrait,
    entry_type: &str,
    target_id: Uuid,
    status: &str,
    by: UserId,
    now: DateTime<Utc>,
) -> DbResult<Vec<Uuid>> {
    use sea_orm::sea_query::{Alias, Query};
    let open = open_reports(conn, &[(entry_type.to_owned(), target_id)]).await?;
    let update = Query::update()
        .table(reports())
        .value(Alias::new("status"), status)
        .value(Alias::new("resolved_at"), now)
        .value(Alias::new("resolved_by"), by.0)
        .and_where(Expr::col(Alias::new("target_type")).eq(report_type_of(entry_type)))
        .and_where(Expr::col(Alias::new("target_id")).eq(target_id))
        .and_where(Expr::col(Alias::new("status")).eq(OPEN))
        .to_owned();
    conn.execute(&update).await?;
    let mut reporters: Vec<Uuid> = open.into_iter().map(|r| r.reporter_id).collect();
    reporters.sort();
    reporters.dedup();
    Ok(reporters)
}

/// How many reports are open.
pub async fn count_open_reports(conn: &impl ConnectionTrait) -> DbResult<i64> {
    use sea_orm::sea_query::{Alias, Query};
    let select = Query::select()
        .expr_as(Func::count(Expr::col(Alias::new("id"))), Alias::new("n"))
        .from(reports())
        .and_where(Expr::col(Alias::new("status")).eq(OPEN))
        .to_owned();
    let row = conn.query_one(&select).await?;
    Ok(match row {
        Some(row) => row.try_get::<i64>("", "n")?,
        None => 0,
    })
}
