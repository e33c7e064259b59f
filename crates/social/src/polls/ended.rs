//! The end of a poll: its author and its voters are told once, by a job enqueued with the
//! poll and due at `closes_at`.

use agora_core::{UserId, time};
use agora_platform::jobs::{Job, JobContext, JobError, JobKind};
use agora_platform::notifications::{self, NewNotification};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{PollId, queries, view};
use crate::posts::PostId;
use crate::posts::queries as posts;

/// Tell the author and the voters of a poll that it has ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PollEnded {
    pub poll_id: PollId,
}

impl Job for PollEnded {
    const KIND: &'static str = "social.poll_ended";
}

/// What runs [`PollEnded`] jobs.
pub fn ended_job() -> JobKind {
    JobKind::new(|ctx: JobContext, job: PollEnded| async move { run(ctx, job).await })
}

/// Run again (at least once delivery), it notifies nobody twice: the first run that marks the
/// poll (`ended_notified_at`) notifies, in the same transaction. A poll whose post is gone is
/// marked, and nobody is told.
async fn run(ctx: JobContext, job: PollEnded) -> Result<(), JobError> {
    let state = ctx.state;
    let now = time::now();
    let txn = state.db().begin().await?;
    let Some(poll) = queries::find(&txn, job.poll_id).await? else {
        return Ok(());
    };
    if poll.ended_notified_at.is_some() {
        return Ok(());
    }
    if poll.closes_at > now {
        return Err(JobError::retry("the poll has not closed yet"));
    }
    if !queries::mark_ended(&txn, job.poll_id, now).await? {
        return Ok(());
    }
    let Some(post) = posts::find(&txn, PostId(poll.post_id)).await? else {
        txn.commit().await?;
        return Ok(());
    };
    let author = UserId(post.author_id);
    let options = queries::options_of(&txn, job.poll_id).await?;
    let results = view::results(&poll, &options, None, now);
    let link = format!("/posts/{}", post.id);
    let body: String = post.content.chars().take(140).collect();
    let payload = json!({ "poll_id": job.poll_id, "post_id": post.id, "results": results });
    let mut delivered = vec![
        notifications::notify(
            &txn,
            NewNotification {
                user_id: author,
                kind: "social.poll_ended".to_owned(),
                actor_id: None,
                title: "Your poll has ended".to_owned(),
                body: Some(body.clone()),
                link: Some(link.clone()),
                payload: payload.clone(),
            },
            now,
        )
        .await?,
    ];
    for voter in queries::voters_to_notify(&txn, job.poll_id, author).await? {
        delivered.push(
            notifications::notify(
                &txn,
                NewNotification {
                    user_id: voter,
                    kind: "social.poll_ended".to_owned(),
                    actor_id: Some(author),
                    title: "A poll you voted in has ended".to_owned(),
                    body: Some(body.clone()),
                    link: Some(link.clone()),
                    payload: payload.clone(),
                },
                now,
            )
            .await?,
        );
    }
    txn.commit().await?;
    for delivered in delivered {
        notifications::after_commit(&state, delivered).await;
    }
    Ok(())
}
