//! Polls as viewers see them: the results of one, and those of a page of posts in one query.

use std::collections::HashMap;

use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::entity::{option, poll};
use super::model::{OptionResult, PollResults};
use super::{PollId, PollOptionId, queries, rules};

/// The results of `poll` from its `options` (in order), for a viewer who voted `voted`, at
/// `now`.
pub fn results(
    poll: &poll::Model,
    options: &[option::Model],
    voted: Option<Uuid>,
    now: DateTime<Utc>,
) -> PollResults {
    let counts: Vec<u64> = options
        .iter()
        .map(|o| u64::try_from(o.vote_count).unwrap_or(0))
        .collect();
    let shares = rules::shares_in_tenths(&counts);
    PollResults {
        poll_id: PollId(poll.id),
        options: options
            .iter()
            .zip(shares)
            .map(|(o, tenths)| OptionResult {
                id: PollOptionId(o.id),
                label: o.label.clone(),
                votes: o.vote_count,
                percentage: f64::from(tenths) / 10.0,
            })
            .collect(),
        total_votes: options.iter().map(|o| o.vote_count).sum(),
        expired: poll.closes_at <= now,
        closes_at: poll.closes_at,
        voted_option_id: voted.map(PollOptionId),
    }
}

/// The polls of `post_ids` by post id, with the options the viewer voted for (`voted`, by post
/// id; read with the viewer's other flags, `crate::post_view::flags`): one query whatever the
/// number of posts.
pub async fn of_posts(
    conn: &impl ConnectionTrait,
    post_ids: &[Uuid],
    voted: &HashMap<Uuid, Uuid>,
    now: DateTime<Utc>,
) -> DbResult<HashMap<Uuid, PollResults>> {
    if post_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = queries::options_of_posts(conn, post_ids).await?;
    // Rows come by poll, then position.
    let mut polls: Vec<(poll::Model, Vec<option::Model>)> = Vec::new();
    for (option, poll) in rows {
        match polls.last_mut() {
            Some((last, options)) if last.id == poll.id => options.push(option),
            _ => polls.push((poll, vec![option])),
        }
    }
    Ok(polls
        .into_iter()
        .map(|(poll, options)| {
            let voted = voted.get(&poll.post_id).copied();
            (poll.post_id, results(&poll, &options, voted, now))
        })
        .collect())
}
