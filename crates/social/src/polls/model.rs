//! Request and response types of polls.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{PollId, PollOptionId};

/// The poll of a new post (`POST /posts`, `poll`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPoll {
    /// 2 to 4 options of 1–80 characters after trimming, no two the same ignoring case
    /// (stored trimmed, in this order).
    #[schema(min_items = 2, max_items = 4)]
    pub options: Vec<String>,
    /// How long it takes votes: 1 to 7 days from publishing.
    #[schema(minimum = 1, maximum = 7)]
    pub duration_days: u32,
}

/// `POST /polls/{id}/votes`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CastVote {
    /// One of the poll's options.
    pub option_id: PollOptionId,
}

/// A poll's results as a viewer sees them (`GET /polls/{id}/results`, and `poll` on a post).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PollResults {
    pub poll_id: PollId,
    /// In the order the author gave them.
    pub options: Vec<OptionResult>,
    pub total_votes: i64,
    /// Whether voting has closed (`closes_at` has passed).
    pub expired: bool,
    pub closes_at: DateTime<Utc>,
    /// The option the viewer voted for; null without a vote or without a viewer.
    pub voted_option_id: Option<PollOptionId>,
}

/// One option of a poll with its votes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OptionResult {
    pub id: PollOptionId,
    pub label: String,
    pub votes: i64,
    /// Its share of the votes, in percent with one decimal; the options' shares add up to
    /// exactly 100 when there are votes (largest remainder method), and are all 0 without.
    #[schema(minimum = 0, maximum = 100)]
    pub percentage: f64,
}
