//! New posts announced live: once a post is published, a job sends `feed.post` to the user room
//! of each follower of its author (not those who mute the author), so a client can show "3 new
//! posts" above its feed without polling.
//!
//! The announcement is a hint: an ephemeral event (not kept in the rooms' backlog, which would
//! otherwise hold an event for every follower of a large account, connected or not); a client
//! that missed one reads the feed again. A job rather than work in the request: the request
//! answers without waiting for a large account's followers, and the worker bounds how many
//! announcements run at once.

use agora_core::UserId;
use agora_platform::jobs::{self, Job, JobContext, JobError, JobKind};
use agora_platform::realtime::{Event, Room};
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::graph::queries as graph;
use crate::posts::{PostId, queries as posts};

/// The followers read at a time.
const BATCH: u64 = 1000;

/// Announce a new post to its author's followers.
#[derive(Debug, Serialize, Deserialize)]
pub struct AnnouncePost {
    pub post_id: PostId,
}

impl Job for AnnouncePost {
    const KIND: &'static str = "social.announce_post";
}

/// Enqueues the announcement of the new post `post_id`, in its transaction.
pub async fn announce(
    conn: &impl ConnectionTrait,
    post_id: PostId,
    now: DateTime<Utc>,
) -> DbResult<()> {
    jobs::enqueue(conn, &AnnouncePost { post_id }, now).await?;
    Ok(())
}

pub fn job() -> JobKind {
    JobKind::new(run)
}

async fn run(ctx: JobContext, job: AnnouncePost) -> Result<(), JobError> {
    let db = ctx.state.db().reader();
    // Deleted before its announcement: nothing to show.
    let Some(post) = posts::find(db, job.post_id).await? else {
        return Ok(());
    };
    let author = UserId(post.author_id);
    let payload = json!({
        "post_id": job.post_id,
        "author_id": author,
        "created_at": post.created_at,
    });
    let mut after = None;
    loop {
        let followers = graph::audience(db, author, after, BATCH).await?;
        for follower in &followers {
            let event = Event::ephemeral(Room::user(follower.0), "feed.post", payload.clone());
            ctx.state.realtime().publish(event).await;
        }
        if (followers.len() as u64) < BATCH {
            return Ok(());
        }
        after = followers.last().copied();
    }
}
