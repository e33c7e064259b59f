use sea_orm::Iterable;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A durable job (`crate::jobs::queue` claims, records and lists them).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    /// The job's input: a JSON value, as text.
    pub payload: String,
    pub status: JobStatus,
    /// While the job waits or runs, no other job holds this key (a partial unique index).
    pub unique_key: Option<String>,
    pub attempts: i32,
    pub run_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where a job is in its life.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for `run_at` (its first run or a retry).
    Queued,
    /// Claimed by a worker until `locked_until`.
    Running,
    Succeeded,
    /// Gave up; `last_error` says why. Kept for an operator to see and retry.
    Dead,
}

impl JobStatus {
    pub const ALL: [JobStatus; 4] = [Self::Queued, Self::Running, Self::Succeeded, Self::Dead];

    /// The stored (and serialised) name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Dead => "dead",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::iter().find(|s| s.as_str() == value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_stored_and_serialised_by_the_same_name() {
        for status in JobStatus::iter() {
            assert_eq!(status.to_value(), status.as_str());
            assert_eq!(
                serde_json::to_value(status).ok(),
                Some(status.as_str().into())
            );
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(JobStatus::ALL.len(), JobStatus::iter().count());
    }
}
