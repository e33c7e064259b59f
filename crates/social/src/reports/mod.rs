//! Reports (`POST /reports`): a user tells the moderators about a post, a comment or a user,
//! once while the report is open. They wait in `reports` for the moderation queue; that queue
//! will move them to the platform, with a generic target, for the forums to use too
//! (docs/decisions/0024-search-trending-reports.md).
//!
//! - `routes.rs`: the handler; `model.rs`: request and response types; `queries.rs`: the SQL
//!   (whether each type of target exists, the insert); `entity.rs`: the typed row.

mod entity;
pub mod model;
pub mod queries;
pub mod routes;

use agora_core::ErrorCode;
use axum::http::StatusCode;

agora_core::id_type!(
    /// Identifies a report.
    ReportId
);

pub const ALREADY_REPORTED: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "already_reported",
    when: "A user reported a post, comment or user that their open report already names.",
    what_to_do: "Tell the user the moderators already have their report.",
};

pub const SELF_REPORT: ErrorCode = ErrorCode {
    status: StatusCode::UNPROCESSABLE_ENTITY,
    code: "self_report",
    when: "A user tried to report themselves.",
    what_to_do: "Do not offer to report the user's own profile.",
};
