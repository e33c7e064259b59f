//! Polls: a post may carry one (`POST /posts`, `poll`), with 2 to 4 options and a closing
//! time 1 to 7 days on; each user votes once (the primary key of `poll_votes`), the author
//! too, until it closes; each option's `vote_count` is kept by the vote's transaction. When it
//! closes, a job enqueued with the poll (due at `closes_at`) tells the author and the voters,
//! once (`ended_notified_at`).
//!
//! - `routes.rs`: the handlers; `model.rs`: request and response types; `queries.rs`: the
//!   SQL; `view.rs`: results, and the polls of a page of posts; `rules.rs`: what a poll may
//!   hold and the percentages; `ended.rs`: the job; `entity.rs`: the typed rows.

mod ended;
mod entity;
pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
pub mod view;

pub use ended::{PollEnded, ended_job};

use agora_core::{ApiError, ErrorCode};
use agora_platform::jobs::{self, Enqueue};
use agora_store::DbResult;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use model::NewPoll;

agora_core::id_type!(
    /// Identifies a poll.
    PollId
);

agora_core::id_type!(
    /// Identifies an option of a poll.
    PollOptionId
);

pub const POLL_CLOSED: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "poll_closed",
    when: "A vote arrived after the poll's `closes_at`.",
    what_to_do: "Show the results instead (`expired` is true); the poll takes no more votes.",
};

pub const ALREADY_VOTED: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "already_voted",
    when: "The caller has voted in this poll already; a vote cannot be changed.",
    what_to_do: "Show the results with `voted_option_id`.",
};

/// A poll of a request that kept the rules: its trimmed labels and how long it lasts.
#[derive(Debug, Clone)]
pub struct CheckedPoll {
    labels: Vec<String>,
    duration: chrono::Duration,
}

/// The poll of `POST /posts`, checked (422 naming `poll.options[n]` or `poll.duration_days`).
pub fn checked(poll: &NewPoll) -> Result<CheckedPoll, ApiError> {
    let mut errors = Vec::new();
    let labels = rules::options("poll.options", &poll.options).unwrap_or_else(|e| {
        errors.extend(e);
        Vec::new()
    });
    let duration =
        rules::duration_days("poll.duration_days", poll.duration_days).unwrap_or_else(|e| {
            errors.push(e);
            chrono::Duration::zero()
        });
    if errors.is_empty() {
        Ok(CheckedPoll { labels, duration })
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Writes `poll` for the new post `post_id` (in its transaction) and enqueues the job that
/// tells of its end, due when it closes.
pub async fn attach(
    conn: &impl ConnectionTrait,
    post_id: Uuid,
    poll: &CheckedPoll,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let closes_at = now + poll.duration;
    let row = queries::insert(conn, post_id, &poll.labels, closes_at, now).await?;
    jobs::enqueue_with(
        conn,
        &PollEnded {
            poll_id: PollId(row.id),
        },
        Enqueue {
            run_at: Some(closes_at),
            unique_key: Some(format!("social.poll_ended:{}", row.id)),
        },
        now,
    )
    .await?;
    Ok(())
}
