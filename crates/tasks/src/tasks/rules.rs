//! The rules of a task, as plain functions: what a valid task is, how `status` and `completed`
//! relate, and when `completed_at` is set. No I/O; the routes call these before any query.

use agora_core::{FieldCode, FieldError, Invalid};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 10_000;
pub const TAGS_MAX: usize = 10;
pub const TAG_MAX: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Todo,
    InProgress,
    Done,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Todo => "todo",
            Status::InProgress => "in_progress",
            Status::Done => "done",
        }
    }

    /// The stored form back; anything else is a corrupt row, read as `todo`.
    pub fn from_stored(value: &str) -> Status {
        match value {
            "in_progress" => Status::InProgress,
            "done" => Status::Done,
            _ => Status::Todo,
        }
    }

    /// What `PATCH …/complete` turns it into: done becomes todo, anything else done.
    pub fn toggled(self) -> Status {
        match self {
            Status::Done => Status::Todo,
            Status::Todo | Status::InProgress => Status::Done,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Medium,
    High,
}

impl Priority {
    /// Stored as a number so that sorting by priority sorts by importance.
    pub fn rank(self) -> i16 {
        match self {
            Priority::Low => 1,
            Priority::Medium => 2,
            Priority::High => 3,
        }
    }

    pub fn from_rank(rank: i16) -> Priority {
        match rank {
            ..=1 => Priority::Low,
            2 => Priority::Medium,
            _ => Priority::High,
        }
    }
}

/// Everything a client decides about a task, validated. Create and replace build one from the
/// request; a partial update builds one from the current task and the changed fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskContent {
    pub title: String,
    pub description: Option<String>,
    pub status: Status,
    pub priority: Priority,
    pub due_at: Option<DateTime<Utc>>,
    pub tags: Vec<String>,
}

/// Collects the field errors of one request, so a client sees all of them at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn check<T>(&mut self, field: &str, result: Result<T, Invalid>) -> Option<T> {
        result
            .map_err(|invalid| self.0.push(invalid.at(field)))
            .ok()
    }

    pub fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// 1–200 characters once trimmed.
pub fn title(value: &str) -> Result<String, Invalid> {
    // Checked before trimming, as the documented pattern says.
    agora_core::text::check_single_line(value)?;
    let value = value.trim();
    match value.chars().count() {
        0 => Err(Invalid::new(FieldCode::Required, "must not be empty")),
        n if n > TITLE_MAX => Err(Invalid::new(
            FieldCode::TooLong,
            format!("must be at most {TITLE_MAX} characters"),
        )),
        _ => Ok(value.to_owned()),
    }
}

/// At most 10,000 characters; blank is no description.
pub fn description(value: Option<String>) -> Result<Option<String>, Invalid> {
    match value.filter(|v| !v.trim().is_empty()) {
        Some(v) if v.chars().count() > DESCRIPTION_MAX => Err(Invalid::new(
            FieldCode::TooLong,
            format!("must be at most {DESCRIPTION_MAX} characters"),
        )),
        other => Ok(other),
    }
}

/// At most 10 tags of 1–50 characters. Tags are case-insensitive: stored in lower case, the
/// same tag twice counts once, and they are kept in name order.
pub fn tags(values: Vec<String>) -> Result<Vec<String>, Invalid> {
    // Counted as sent, as the schema's `maxItems` says, before duplicates fold.
    if values.len() > TAGS_MAX {
        return Err(Invalid::new(
            FieldCode::TooLong,
            format!("at most {TAGS_MAX} tags"),
        ));
    }
    let mut tags: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        agora_core::text::check_single_line(&value)
            .map_err(|err| Invalid::new(FieldCode::ControlCharacter, format!("a tag {err}")))?;
        let tag = value.trim().to_lowercase();
        match tag.chars().count() {
            0 => return Err(Invalid::new(FieldCode::TooShort, "a tag must not be empty")),
            n if n > TAG_MAX => {
                return Err(Invalid::new(
                    FieldCode::TooLong,
                    format!("a tag must be at most {TAG_MAX} characters"),
                ));
            }
            _ if tags.contains(&tag) => {}
            _ => tags.push(tag),
        }
    }
    if tags.len() > TAGS_MAX {
        return Err(Invalid::new(
            FieldCode::TooLong,
            format!("at most {TAGS_MAX} tags"),
        ));
    }
    tags.sort_unstable();
    Ok(tags)
}

/// Reconciles `status` with the boolean `completed` that simpler clients send: `true` is
/// `done`; `false` is `todo` unless the task is already not done (then it stays as it is).
/// Both may be sent when they agree.
pub fn status(
    current: Option<Status>,
    status: Option<Status>,
    completed: Option<bool>,
) -> Result<Option<Status>, Invalid> {
    match (status, completed) {
        (Some(status), Some(completed)) if (status == Status::Done) != completed => {
            Err(Invalid::new(
                FieldCode::Invalid,
                format!(
                    "`status` {} contradicts `completed` {completed}",
                    status.as_str()
                ),
            ))
        }
        (Some(status), _) => Ok(Some(status)),
        (None, Some(true)) => Ok(Some(Status::Done)),
        (None, Some(false)) => Ok(Some(match current {
            Some(Status::Done) | None => Status::Todo,
            Some(other) => other,
        })),
        (None, None) => Ok(None),
    }
}

/// When a task was completed: kept while it stays done, set when it becomes done, cleared when
/// it is reopened.
pub fn completed_at(
    before: Option<(Status, Option<DateTime<Utc>>)>,
    after: Status,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match (before, after) {
        (_, Status::Todo | Status::InProgress) => None,
        (Some((Status::Done, Some(at))), Status::Done) => Some(at),
        (_, Status::Done) => Some(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_one_to_two_hundred_characters() {
        assert_eq!(title("  Buy milk ").ok().as_deref(), Some("Buy milk"));
        assert!(title("   ").is_err());
        assert!(title(&"é".repeat(200)).is_ok());
        assert!(title(&"é".repeat(201)).is_err());
        assert!(title("two\nlines").is_err());
        // One line everywhere, as the documented pattern says: a tab is refused even at an end.
        assert!(title("\tindented ").is_err());
    }

    #[test]
    fn a_blank_description_is_none_and_long_ones_are_refused() {
        assert_eq!(description(Some("  ".into())), Ok(None));
        assert!(description(Some("x".repeat(10_000))).is_ok());
        assert!(description(Some("x".repeat(10_001))).is_err());
    }

    #[test]
    fn tags_are_lower_case_merged_and_at_most_ten() {
        let merged = tags(vec!["Work".into(), "Home".into(), " home ".into()]);
        assert_eq!(merged, Ok(vec!["home".to_owned(), "work".to_owned()]));
        assert!(tags((0..10).map(|i| format!("t{i}")).collect()).is_ok());
        assert!(tags((0..11).map(|i| format!("t{i}")).collect()).is_err());
        // Ten spellings of one tag are one tag; eleven items are too many as sent (`maxItems`).
        let spellings = |n| (0..n).map(|i| if i % 2 == 0 { "Home" } else { "HOME " });
        assert_eq!(
            tags(spellings(10).map(str::to_owned).collect()).map(|t| t.len()),
            Ok(1)
        );
        assert!(tags(spellings(11).map(str::to_owned).collect()).is_err());
        assert!(tags(vec![" ".into()]).is_err());
        assert!(tags(vec!["a\tb".into()]).is_err());
        assert!(tags(vec!["x".repeat(51)]).is_err());
    }

    #[test]
    fn completed_maps_to_status_and_must_agree_with_it() {
        use Status::*;
        assert_eq!(status(None, None, Some(true)), Ok(Some(Done)));
        assert_eq!(status(Some(Done), None, Some(false)), Ok(Some(Todo)));
        assert_eq!(
            status(Some(InProgress), None, Some(false)),
            Ok(Some(InProgress))
        );
        assert_eq!(status(None, Some(Done), Some(true)), Ok(Some(Done)));
        assert!(status(None, Some(Todo), Some(true)).is_err());
        assert_eq!(status(Some(Todo), None, None), Ok(None));
    }

    #[test]
    fn completed_at_is_set_on_completion_kept_while_done_and_cleared_on_reopening() {
        let earlier = DateTime::<Utc>::MIN_UTC;
        let now = agora_core::time::now();
        assert_eq!(completed_at(None, Status::Done, now), Some(now));
        assert_eq!(
            completed_at(Some((Status::Todo, None)), Status::Done, now),
            Some(now)
        );
        assert_eq!(
            completed_at(Some((Status::Done, Some(earlier))), Status::Done, now),
            Some(earlier)
        );
        assert_eq!(
            completed_at(Some((Status::Done, Some(earlier))), Status::Todo, now),
            None
        );
    }

    #[test]
    fn toggling_completes_an_open_task_and_reopens_a_done_one() {
        assert_eq!(Status::Todo.toggled(), Status::Done);
        assert_eq!(Status::InProgress.toggled(), Status::Done);
        assert_eq!(Status::Done.toggled(), Status::Todo);
    }

    #[test]
    fn priorities_round_trip_through_their_rank_in_order() {
        for p in [Priority::Low, Priority::Medium, Priority::High] {
            assert_eq!(Priority::from_rank(p.rank()), p);
        }
        assert!(Priority::Low.rank() < Priority::High.rank());
    }
}
