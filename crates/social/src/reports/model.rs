//! The request and response of `POST /reports`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ReportId;
pub use super::entity::{ReportReason, ReportStatus, ReportTarget};

/// `POST /reports`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReport {
    pub target_type: ReportTarget,
    /// The post, comment or user reported: one that exists (not deleted; an active account).
    pub target_id: Uuid,
    pub reason: ReportReason,
    /// What the moderators should know: at most 1,000 characters, trimmed; blank is none.
    #[schema(max_length = 1000)]
    pub details: Option<String>,
}

/// A report, as its reporter sent it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub id: ReportId,
    pub target_type: ReportTarget,
    pub target_id: Uuid,
    pub reason: ReportReason,
    pub details: Option<String>,
    pub status: ReportStatus,
    pub created_at: DateTime<Utc>,
}
