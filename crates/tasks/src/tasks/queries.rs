//! The SQL of tasks, written once for SQLite and PostgreSQL with SeaORM.
//!
//! Every query is scoped by `user_id`: a task of another user is simply not found. Writes are
//! conditional on the version (`UPDATE … WHERE id = ? AND user_id = ? AND version = ?`), so of
//! two concurrent writers based on one version exactly one changes the row.
//!
//! Lists use keyset pagination: the cursor holds the sort value and id of the last row sent,
//! and the next page starts strictly after it. Rows added or removed meanwhile shift nothing,
//! so no row is sent twice or skipped (offsets would do both).

use std::collections::HashMap;

use agora_core::{ApiError, FieldCode, UserId};
use agora_store::DbResult;
use agora_store::query::like_contains;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, NullOrdering, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::entity::{tag, task};
use super::model::{SortKey, SortOrder, Task, TaskFilter, TaskId};
use super::rules::{Status, TaskContent};

/// The task `id` of `user`, with its tags.
pub async fn find(conn: &impl ConnectionTrait, user: UserId, id: TaskId) -> DbResult<Option<Task>> {
    let Some(row) = task::Entity::find_by_id(id.0)
        .filter(task::Column::UserId.eq(user.0))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let mut tags = tags_of(conn, &[row.id]).await?;
    let tags = tags.remove(&row.id).unwrap_or_default();
    Ok(Some(Task::from_row(row, tags)))
}

/// Creates a task at version 1.
pub async fn insert(
    conn: &impl ConnectionTrait,
    user: UserId,
    content: TaskContent,
    now: DateTime<Utc>,
) -> DbResult<Task> {
    let row = task::ActiveModel {
        id: Set(TaskId::new().0),
        user_id: Set(user.0),
        title: Set(content.title),
        description: Set(content.description),
        status: Set(content.status.as_str().to_owned()),
        priority: Set(content.priority.rank()),
        due_at: Set(content.due_at),
        created_at: Set(now),
        updated_at: Set(now),
        completed_at: Set(super::rules::completed_at(None, content.status, now)),
        version: Set(1),
    }
    .insert(conn)
    .await?;
    insert_tags(conn, user, row.id, &content.tags).await?;
    Ok(Task::from_row(row, content.tags))
}

/// How a conditional write went.
#[derive(Debug)]
pub enum Written<T> {
    Done(T),
    /// The task is at another version than the one the write was based on.
    Stale {
        current: i64,
    },
    /// No such task for this user.
    Missing,
}

/// Replaces the content of `current` if it is still at `expected` version.
pub async fn update(
    conn: &impl ConnectionTrait,
    current: &Task,
    expected: i64,
    content: TaskContent,
    now: DateTime<Utc>,
) -> DbResult<Written<Task>> {
    let completed_at = super::rules::completed_at(
        Some((current.status, current.completed_at)),
        content.status,
        now,
    );
    let result = task::Entity::update_many()
        .col_expr(task::Column::Title, Expr::value(&content.title))
        .col_expr(
            task::Column::Description,
            Expr::value(content.description.clone()),
        )
        .col_expr(task::Column::Status, Expr::value(content.status.as_str()))
        .col_expr(task::Column::Priority, Expr::value(content.priority.rank()))
        .col_expr(task::Column::DueAt, Expr::value(content.due_at))
        .col_expr(task::Column::CompletedAt, Expr::value(completed_at))
        .col_expr(task::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            task::Column::Version,
            Expr::col(task::Column::Version).add(1),
        )
        .filter(task::Column::Id.eq(current.id.0))
        .filter(task::Column::UserId.eq(current.user_id.0))
        .filter(task::Column::Version.eq(expected))
        .exec(conn)
        .await?;
    if result.rows_affected == 0 {
        return lost_race(conn, current.user_id, current.id).await;
    }
    if content.tags != current.tags {
        tag::Entity::delete_many()
            .filter(tag::Column::TaskId.eq(current.id.0))
            .exec(conn)
            .await?;
        insert_tags(conn, current.user_id, current.id.0, &content.tags).await?;
    }
    // What was just written, without reading it back.
    Ok(Written::Done(Task {
        completed: content.status == Status::Done,
        title: content.title,
        description: content.description,
        status: content.status,
        priority: content.priority,
        due_at: content.due_at,
        tags: content.tags,
        updated_at: now,
        completed_at,
        version: expected + 1,
        ..current.clone()
    }))
}

/// Deletes the task if it is still at `expected` version (its tags go with it).
pub async fn delete(
    conn: &impl ConnectionTrait,
    user: UserId,
    id: TaskId,
    expected: i64,
) -> DbResult<Written<()>> {
    let result = task::Entity::delete_many()
        .filter(task::Column::Id.eq(id.0))
        .filter(task::Column::UserId.eq(user.0))
        .filter(task::Column::Version.eq(expected))
        .exec(conn)
        .await?;
    if result.rows_affected == 0 {
        return lost_race(conn, user, id).await;
    }
    Ok(Written::Done(()))
}

/// Why a conditional write changed nothing: another version, or no task at all.
async fn lost_race<T>(
    conn: &impl ConnectionTrait,
    user: UserId,
    id: TaskId,
) -> DbResult<Written<T>> {
    let current = task::Entity::find_by_id(id.0)
        .filter(task::Column::UserId.eq(user.0))
        .select_only()
        .column(task::Column::Version)
        .into_tuple::<i64>()
        .one(conn)
        .await?;
    Ok(current.map_or(Written::Missing, |current| Written::Stale { current }))
}

async fn insert_tags(
    conn: &impl ConnectionTrait,
    user: UserId,
    task_id: Uuid,
    tags: &[String],
) -> DbResult<()> {
    if tags.is_empty() {
        return Ok(());
    }
    tag::Entity::insert_many(tags.iter().map(|name| tag::ActiveModel {
        task_id: Set(task_id),
        tag: Set(name.clone()),
        user_id: Set(user.0),
    }))
    .exec(conn)
    .await?;
    Ok(())
}

/// The tags of each of `ids`, in name order.
async fn tags_of(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> DbResult<HashMap<Uuid, Vec<String>>> {
    let mut tags: HashMap<Uuid, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(tags);
    }
    let rows = tag::Entity::find()
        .filter(tag::Column::TaskId.is_in(ids.iter().copied()))
        .order_by_asc(tag::Column::Tag)
        .all(conn)
        .await?;
    for row in rows {
        tags.entry(row.task_id).or_default().push(row.tag);
    }
    Ok(tags)
}

/// A validated list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: TaskFilter,
    pub sort: SortKey,
    pub order: SortOrder,
    pub limit: u64,
    pub after: Option<Position>,
}

impl ListQuery {
    /// Checks the sort, limit and cursor of a list request.
    pub fn new(filter: TaskFilter) -> Result<ListQuery, ApiError> {
        let sort = filter.sort.unwrap_or_default();
        let order = filter.order.unwrap_or_else(|| sort.default_order());
        let limit = agora_core::pagination::check_limit("limit", filter.limit)?;
        let after = filter
            .cursor
            .as_deref()
            .map(|cursor| Position::decode(cursor, sort, order))
            .transpose()?;
        Ok(ListQuery {
            filter,
            sort,
            order,
            limit,
            after,
        })
    }
}

/// Where a page ends: the sort value and id of its last task. Encoded in the opaque cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub sort: SortKey,
    pub order: SortOrder,
    /// The sort value of the last task: a time (RFC 3339) or a priority rank; `None` for a
    /// task without a due date.
    pub value: Option<String>,
    pub id: Uuid,
}

impl Position {
    fn of(task: &Task, sort: SortKey, order: SortOrder) -> Position {
        let value = match sort {
            SortKey::Created => Some(task.created_at.to_rfc3339()),
            SortKey::Updated => Some(task.updated_at.to_rfc3339()),
            SortKey::Due => task.due_at.map(|t| t.to_rfc3339()),
            SortKey::Priority => Some(task.priority.rank().to_string()),
        };
        Position {
            sort,
            order,
            value,
            id: task.id.0,
        }
    }

    pub fn encode(&self) -> String {
        agora_core::pagination::encode_cursor(&serde_json::to_string(self).unwrap_or_default())
    }

    /// The position in a cursor, which must come from a list with this sort and order.
    pub fn decode(cursor: &str, sort: SortKey, order: SortOrder) -> Result<Position, ApiError> {
        let bad = |message: &str| {
            ApiError::invalid_field("cursor", FieldCode::InvalidFormat, message.to_owned())
        };
        let text = agora_core::pagination::decode_cursor(cursor)?;
        let position: Position =
            serde_json::from_str(&text).map_err(|_| bad("is not a cursor of this list"))?;
        if position.sort != sort || position.order != order {
            return Err(bad(
                "belongs to a list with another sort or order; start again",
            ));
        }
        // The value must be readable as what the sort compares.
        position
            .sort_value()
            .map_err(|()| bad("is not a cursor of this list"))?;
        Ok(position)
    }

    fn sort_value(&self) -> Result<Option<SimpleExpr>, ()> {
        let Some(value) = &self.value else {
            return if self.sort == SortKey::Due {
                Ok(None)
            } else {
                Err(())
            };
        };
        Ok(Some(match self.sort {
            SortKey::Priority => Expr::value(value.parse::<i16>().map_err(|_| ())?),
            SortKey::Created | SortKey::Updated | SortKey::Due => Expr::value(
                DateTime::parse_from_rfc3339(value)
                    .map_err(|_| ())?
                    .with_timezone(&Utc),
            ),
        }))
    }
}

fn sort_column(sort: SortKey) -> task::Column {
    match sort {
        SortKey::Created => task::Column::CreatedAt,
        SortKey::Updated => task::Column::UpdatedAt,
        SortKey::Due => task::Column::DueAt,
        SortKey::Priority => task::Column::Priority,
    }
}

/// One page of `user`'s tasks and the cursor of the next page, if there is one.
pub async fn list(
    conn: &impl ConnectionTrait,
    user: UserId,
    query: &ListQuery,
    now: DateTime<Utc>,
) -> DbResult<(Vec<Task>, Option<String>)> {
    let column = sort_column(query.sort);
    let (order, beyond): (Order, fn(Expr, SimpleExpr) -> SimpleExpr) = match query.order {
        SortOrder::Asc => (Order::Asc, |a, b| a.gt(b)),
        SortOrder::Desc => (Order::Desc, |a, b| a.lt(b)),
    };

    let mut select = task::Entity::find()
        .filter(task::Column::UserId.eq(user.0))
        .filter(filter_condition(user, &query.filter, now));
    if let Some(after) = &query.after {
        // `value` was checked by `Position::decode`.
        let value = after.sort_value().ok().flatten();
        let id = Expr::value(after.id);
        let col = || Expr::col((task::Entity, column));
        let id_col = || Expr::col((task::Entity, task::Column::Id));
        select = select.filter(match value {
            // (value, id) beyond the last row's; tasks without a due date come after all others.
            Some(value) => {
                let mut next = Condition::any()
                    .add(beyond(col(), value.clone()))
                    .add(col().eq(value).and(beyond(id_col(), id)));
                if query.sort == SortKey::Due {
                    next = next.add(col().is_null());
                }
                next
            }
            // Inside the block of tasks without a due date: only ids beyond.
            None => Condition::all()
                .add(col().is_null())
                .add(beyond(id_col(), id)),
        });
    }
    // NULLS LAST only where there are nulls: PostgreSQL walks an index backwards only for the
    // null ordering it was built with.
    let select = if query.sort == SortKey::Due {
        select.order_by_with_nulls(column, order.clone(), NullOrdering::Last)
    } else {
        select.order_by(column, order.clone())
    };
    let rows = select
        .order_by(task::Column::Id, order)
        .limit(query.limit + 1)
        .all(conn)
        .await?;

    let more = rows.len() as u64 > query.limit;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut tags = tags_of(conn, &ids).await?;
    let tasks: Vec<Task> = rows
        .into_iter()
        .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
        .map(|row| {
            let tags = tags.remove(&row.id).unwrap_or_default();
            Task::from_row(row, tags)
        })
        .collect();
    let next = more
        .then(|| tasks.last())
        .flatten()
        .map(|last| Position::of(last, query.sort, query.order).encode());
    Ok((tasks, next))
}

fn filter_condition(user: UserId, filter: &TaskFilter, now: DateTime<Utc>) -> Condition {
    let mut all = Condition::all();
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = || like_contains(&q.to_lowercase());
        let lower = |column: task::Column| Func::lower(Expr::col((task::Entity, column)));
        all = all.add(
            Condition::any()
                .add(Expr::expr(lower(task::Column::Title)).like(pattern()))
                .add(Expr::expr(lower(task::Column::Description)).like(pattern())),
        );
    }
    if let Some(status) = filter.status {
        all = all.add(task::Column::Status.eq(status.as_str()));
    }
    if let Some(priority) = filter.priority {
        all = all.add(task::Column::Priority.eq(priority.rank()));
    }
    if let Some(tag_name) = filter.tag.as_deref() {
        all = all.add(
            task::Column::Id.in_subquery(
                Query::select()
                    .column(tag::Column::TaskId)
                    .from(tag::Entity)
                    .and_where(tag::Column::UserId.eq(user.0))
                    .and_where(tag::Column::Tag.eq(tag_name.trim().to_lowercase()))
                    .to_owned(),
            ),
        );
    }
    if let Some(before) = filter.due_before {
        all = all.add(task::Column::DueAt.lt(before.get()));
    }
    if let Some(after) = filter.due_after {
        all = all.add(task::Column::DueAt.gte(after.get()));
    }
    match filter.overdue {
        Some(true) => {
            all = all
                .add(task::Column::DueAt.lt(now))
                .add(task::Column::Status.ne(Status::Done.as_str()));
        }
        Some(false) => {
            all = all.add(
                Condition::any()
                    .add(task::Column::DueAt.is_null())
                    .add(task::Column::DueAt.gte(now))
                    .add(task::Column::Status.eq(Status::Done.as_str())),
            );
        }
        None => {}
    }
    all
}
