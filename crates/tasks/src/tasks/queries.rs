//! The SQL of tasks, written once for SQLite and PostgreSQL with SeaORM.
//!
//! Every query is scoped by `user_id`: a task of another user is simply not found. Writes are
//! conditional on the version (`UPDATE … WHERE id = ? AND user_id = ? AND version = ?`), so of
//! two concurrent writers based on one version exactly one changes the row.
//!
//! Lists use keyset pagination (`agora_store::keyset`): the cursor holds the sort value and id
//! of the last task sent, and the next page starts strictly after it.

use std::collections::HashMap;

use agora_core::pagination::{Cursor, CursorPage, CursorParams, CursorSort};
use agora_core::{ApiError, UserId};
use agora_store::DbResult;
use agora_store::keyset::{self, Keyset};
use agora_store::query::like_contains;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, Value};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::de::DeserializeOwned;
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
    /// The key of the last task of the previous page: its sort value (null for a task without
    /// a due date) and id.
    pub after: Option<[Value; 2]>,
}

impl ListQuery {
    /// Checks the sort, limit and cursor of a list request; `page_size` is the limit when it
    /// gives none (`tasks.page_size`).
    pub fn new(filter: TaskFilter, page_size: u64) -> Result<ListQuery, ApiError> {
        let sort = filter.sort.unwrap_or_default();
        let order = filter.order.unwrap_or_else(|| sort.default_order());
        let params = CursorParams::new(
            Some(filter.limit.unwrap_or(page_size)),
            filter.cursor.as_deref(),
        );
        let tag = cursor_sort(sort, order);
        // The key's types follow the sort, so a cursor whose value cannot be compared with
        // the sort's column is refused here rather than by the database.
        let (limit, after) = match sort {
            SortKey::Created | SortKey::Updated => resolve::<DateTime<Utc>>(&params, tag)?,
            SortKey::Due => resolve::<Option<DateTime<Utc>>>(&params, tag)?,
            SortKey::Priority => resolve::<i16>(&params, tag)?,
        };
        Ok(ListQuery {
            filter,
            sort,
            order,
            limit,
            after,
        })
    }

    fn keyset(&self) -> Keyset {
        let column = (
            task::Entity,
            match self.sort {
                SortKey::Created => task::Column::CreatedAt,
                SortKey::Updated => task::Column::UpdatedAt,
                SortKey::Due => task::Column::DueAt,
                SortKey::Priority => task::Column::Priority,
            },
        );
        let id = (task::Entity, task::Column::Id);
        let (key, id) = match self.order {
            SortOrder::Asc => (keyset::SortKey::asc(column), keyset::SortKey::asc(id)),
            SortOrder::Desc => (keyset::SortKey::desc(column), keyset::SortKey::desc(id)),
        };
        // Tasks without a due date come after all others, in either order.
        let key = if self.sort == SortKey::Due {
            key.nulls_last()
        } else {
            key
        };
        Keyset::new([key], id)
    }

    /// The cursor that continues the list after `task`.
    fn cursor_after(&self, task: &task::Model) -> String {
        let tag = cursor_sort(self.sort, self.order);
        match self.sort {
            SortKey::Created => Cursor::new(tag, (task.created_at, task.id)).encode(),
            SortKey::Updated => Cursor::new(tag, (task.updated_at, task.id)).encode(),
            SortKey::Due => Cursor::new(tag, (task.due_at, task.id)).encode(),
            SortKey::Priority => Cursor::new(tag, (task.priority, task.id)).encode(),
        }
    }
}

/// The page size and the key to start after, for a sort on a column of type `V`.
fn resolve<V: DeserializeOwned + Into<Value>>(
    params: &CursorParams,
    tag: CursorSort,
) -> Result<(u64, Option<[Value; 2]>), ApiError> {
    let page = params.resolve::<(V, Uuid)>(tag)?;
    let after = page.after.map(|(value, id)| [value.into(), id.into()]);
    Ok((page.limit, after))
}

/// What a cursor of the task list is tagged with: it continues only the sort and order it came
/// from.
fn cursor_sort(sort: SortKey, order: SortOrder) -> CursorSort {
    let name = match (sort, order) {
        (SortKey::Created, SortOrder::Asc) => "created.asc",
        (SortKey::Created, SortOrder::Desc) => "created.desc",
        (SortKey::Updated, SortOrder::Asc) => "updated.asc",
        (SortKey::Updated, SortOrder::Desc) => "updated.desc",
        (SortKey::Due, SortOrder::Asc) => "due.asc",
        (SortKey::Due, SortOrder::Desc) => "due.desc",
        (SortKey::Priority, SortOrder::Asc) => "priority.asc",
        (SortKey::Priority, SortOrder::Desc) => "priority.desc",
    };
    CursorSort::new("tasks", name)
}

/// One page of `user`'s tasks.
pub async fn list(
    conn: &impl ConnectionTrait,
    user: UserId,
    query: &ListQuery,
    now: DateTime<Utc>,
) -> DbResult<CursorPage<Task>> {
    let keyset = query.keyset();
    let mut select = task::Entity::find()
        .filter(task::Column::UserId.eq(user.0))
        .filter(filter_condition(user, &query.filter, now));
    if let Some(after) = &query.after {
        select = select.filter(keyset.after(after.clone()));
    }
    keyset.order_by(QuerySelect::query(&mut select));
    let rows = select
        .limit(query.limit.saturating_add(1))
        .all(conn)
        .await?;
    let page = CursorPage::from_rows(rows, query.limit, |last| query.cursor_after(last));
    let ids: Vec<Uuid> = page.items.iter().map(|row| row.id).collect();
    let mut tags = tags_of(conn, &ids).await?;
    Ok(page.map(|row| {
        let tags = tags.remove(&row.id).unwrap_or_default();
        Task::from_row(row, tags)
    }))
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
