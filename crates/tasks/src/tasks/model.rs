//! What the task routes read and write: request bodies (create, replace, partial update), the
//! task as clients see it, and the list's query parameters.

use agora_core::UserId;
use agora_core::time::Timestamp;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::entity::task;
use super::rules::{self, Priority, Problems, Status, TaskContent};

agora_core::id_type!(
    /// Identifies a task.
    TaskId
);

/// A tag of a task as a request sends it: 1–50 characters on one line, not blank; compared
/// without case. Only a schema: tags travel as strings.
#[derive(ToSchema)]
#[schema(
    min_length = 1,
    max_length = 50,
    pattern = "^[^\\u0000-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u001F]*$"
)]
pub struct TaskTag(pub String);

/// A task.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Task {
    pub id: TaskId,
    pub user_id: UserId,
    pub title: String,
    pub description: Option<String>,
    pub status: Status,
    /// `status == "done"`, for clients that only know done and not done.
    pub completed: bool,
    pub priority: Priority,
    pub due_at: Option<DateTime<Utc>>,
    /// Lower case, at most 10.
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Send it back (or the `ETag`, in `If-Match`) with the next write.
    pub version: i64,
}

impl Task {
    pub fn from_row(row: task::Model, tags: Vec<String>) -> Task {
        let status = Status::from_stored(&row.status);
        Task {
            id: TaskId(row.id),
            user_id: UserId(row.user_id),
            title: row.title,
            description: row.description,
            status,
            completed: status == Status::Done,
            priority: Priority::from_rank(row.priority),
            due_at: row.due_at,
            tags,
            created_at: row.created_at,
            updated_at: row.updated_at,
            completed_at: row.completed_at,
            version: row.version,
        }
    }

    pub fn content(&self) -> TaskContent {
        TaskContent {
            title: self.title.clone(),
            description: self.description.clone(),
            status: self.status,
            priority: self.priority,
            due_at: self.due_at,
            tags: self.tags.clone(),
        }
    }
}

/// A new task. Only `title` is required; `status` defaults to `todo` (or comes from
/// `completed`), `priority` to `medium`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    /// 1–200 characters on one line.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u001F]*$"
    )]
    pub title: String,
    /// At most 10,000 characters.
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    pub status: Option<Status>,
    /// `true` is `status: done`; may be sent instead of `status`.
    pub completed: Option<bool>,
    pub priority: Option<Priority>,
    pub due_at: Option<Timestamp>,
    /// At most 10 tags of 1–50 characters; case-insensitive.
    #[schema(value_type = Option<Vec<TaskTag>>, max_items = 10)]
    pub tags: Option<Vec<String>>,
}

impl CreateTask {
    /// The task this describes, or every invalid field.
    pub fn content(self) -> Result<TaskContent, Vec<agora_core::FieldError>> {
        self.content_over(None)
    }

    /// The same, for a request that replaces a task now at status `current` (which decides
    /// what `completed: false` means).
    fn content_over(
        self,
        current: Option<Status>,
    ) -> Result<TaskContent, Vec<agora_core::FieldError>> {
        let mut problems = Problems::default();
        let title = problems.check("title", rules::title(&self.title));
        let description = problems.check("description", rules::description(self.description));
        let status = problems.check(
            "status",
            rules::status(current, self.status, self.completed),
        );
        let tags = problems.check("tags", rules::tags(self.tags.unwrap_or_default()));
        problems.into_result()?;
        Ok(TaskContent {
            title: title.unwrap_or_default(),
            description: description.flatten(),
            status: status.flatten().unwrap_or(Status::Todo),
            priority: self.priority.unwrap_or(Priority::Medium),
            due_at: self.due_at.map(Timestamp::get),
            tags: tags.unwrap_or_default(),
        })
    }
}

/// The whole task, replacing every field (`PUT`): what is left out takes its default.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceTask {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u001F]*$"
    )]
    pub title: String,
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    pub status: Option<Status>,
    pub completed: Option<bool>,
    pub priority: Option<Priority>,
    pub due_at: Option<Timestamp>,
    #[schema(value_type = Option<Vec<TaskTag>>, max_items = 10)]
    pub tags: Option<Vec<String>>,
    /// The version this change is based on (or send `If-Match`).
    #[schema(minimum = 1)]
    pub version: Option<i64>,
}

impl ReplaceTask {
    pub fn content(self, current: &Task) -> Result<TaskContent, Vec<agora_core::FieldError>> {
        CreateTask {
            title: self.title,
            description: self.description,
            status: self.status,
            completed: self.completed,
            priority: self.priority,
            due_at: self.due_at,
            tags: self.tags,
        }
        .content_over(Some(current.status))
    }
}

/// Some fields of a task (`PATCH`): absent fields stay; `null` clears `description` and
/// `due_at`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTask {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u001F]*$"
    )]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "agora_core::extract::nullable")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub description: Option<Option<String>>,
    pub status: Option<Status>,
    pub completed: Option<bool>,
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "agora_core::extract::nullable")]
    #[schema(value_type = Option<Timestamp>)]
    pub due_at: Option<Option<Timestamp>>,
    #[schema(value_type = Option<Vec<TaskTag>>, max_items = 10)]
    pub tags: Option<Vec<String>>,
    /// The version this change is based on (or send `If-Match`).
    #[schema(minimum = 1)]
    pub version: Option<i64>,
}

impl UpdateTask {
    /// `current` with this request's changes applied, or every invalid field.
    pub fn apply_to(self, current: &Task) -> Result<TaskContent, Vec<agora_core::FieldError>> {
        let mut problems = Problems::default();
        let mut content = current.content();
        if let Some(title) = self.title {
            content.title = problems
                .check("title", rules::title(&title))
                .unwrap_or_default();
        }
        if let Some(description) = self.description {
            content.description = problems
                .check("description", rules::description(description))
                .flatten();
        }
        let status = rules::status(Some(current.status), self.status, self.completed);
        if let Some(Some(status)) = problems.check("status", status) {
            content.status = status;
        }
        if let Some(priority) = self.priority {
            content.priority = priority;
        }
        if let Some(due_at) = self.due_at {
            content.due_at = due_at.map(Timestamp::get);
        }
        if let Some(tags) = self.tags {
            content.tags = problems
                .check("tags", rules::tags(tags))
                .unwrap_or_default();
        }
        problems.into_result().map(|()| content)
    }
}

/// The optional body of `PATCH …/complete`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionOnly {
    #[schema(minimum = 1)]
    pub version: Option<i64>,
}

/// What the list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    #[default]
    Created,
    Updated,
    /// Tasks without a due date come last, in either order.
    Due,
    Priority,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    Asc,
    Desc,
}

impl SortKey {
    /// Newest, most recently changed and most important first; the earliest due date first.
    pub fn default_order(self) -> SortOrder {
        match self {
            SortKey::Due => SortOrder::Asc,
            SortKey::Created | SortKey::Updated | SortKey::Priority => SortOrder::Desc,
        }
    }
}

/// `GET /users/{user_id}/tasks` parameters. Filters combine with AND.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaskFilter {
    /// Words to find in the title or the description (any case).
    pub q: Option<String>,
    #[param(inline)]
    pub status: Option<Status>,
    #[param(inline)]
    pub priority: Option<Priority>,
    /// Tasks with this tag.
    pub tag: Option<String>,
    /// Tasks due before this time.
    #[param(inline)]
    pub due_before: Option<Timestamp>,
    /// Tasks due at or after this time.
    #[param(inline)]
    pub due_after: Option<Timestamp>,
    /// `true`: only tasks past their due date and not done; `false`: only the others.
    pub overdue: Option<bool>,
    /// `created` (default), `updated`, `due` or `priority`.
    #[param(inline)]
    pub sort: Option<SortKey>,
    /// `asc` or `desc`; by default newest / most important first, and earliest due first.
    #[param(inline)]
    pub order: Option<SortOrder>,
    /// 1–100; default 20 (the `tasks.page_size` setting).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page (with the same sort and order).
    pub cursor: Option<String>,
}
