//! The real-time room of a post, `post:{id}`: its new and deleted comments and its counters.

use agora_core::{ApiError, UserId};
use agora_platform::AppState;
use agora_platform::identity::Viewer;
use agora_platform::realtime::{Event, Room, RoomKind};
use agora_store::DbResult;
use futures::future::BoxFuture;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use uuid::Uuid;

use crate::graph::queries as graph;
use crate::posts::entity::post;
use crate::posts::{PostId, queries as posts};

/// `post:{id}`: whoever may read the post (not deleted, no block between them and its author).
pub const POST_ROOMS: RoomKind = RoomKind {
    kind: "post",
    may_join,
};

fn may_join(
    state: AppState,
    viewer: Viewer,
    id: String,
) -> BoxFuture<'static, Result<bool, ApiError>> {
    Box::pin(async move {
        let Ok(id) = id.parse::<Uuid>() else {
            return Ok(false);
        };
        let db = state.db().reader();
        let Some(post) = posts::find(db, PostId(id)).await? else {
            return Ok(false);
        };
        Ok(!graph::blocked_between(db, viewer.user_id, UserId(post.author_id)).await?)
    })
}

/// `post.counters`: a post's counters after a like, comment or repost changed one.
#[derive(Debug, Clone, Serialize)]
pub struct Counters {
    pub post_id: PostId,
    pub like_count: i64,
    pub comment_count: i64,
    pub repost_count: i64,
}

/// The counters of `post` as the writer's transaction left them.
pub async fn counters(conn: &impl ConnectionTrait, post: PostId) -> DbResult<Option<Counters>> {
    Ok(posts::find_any(conn, post)
        .await?
        .as_ref()
        .map(Counters::of))
}

impl Counters {
    /// The counters of the post `row`.
    pub fn of(row: &post::Model) -> Counters {
        Counters {
            post_id: PostId(row.id),
            like_count: row.like_count,
            comment_count: row.comment_count,
            repost_count: row.repost_count,
        }
    }
}

/// Publishes `kind` with `payload` in the room of `post` (after the commit).
pub async fn publish(state: &AppState, post: PostId, kind: &str, payload: serde_json::Value) {
    // A uuid after `post:` is always a valid room name.
    if let Ok(room) = Room::parse(&format!("post:{}", post.0)) {
        state
            .realtime()
            .publish(Event::new(room, kind, payload))
            .await;
    }
}

/// Publishes `post.counters` (after the commit).
pub async fn publish_counters(state: &AppState, counters: Option<Counters>) {
    if let Some(counters) = counters {
        let post = counters.post_id;
        let payload = serde_json::to_value(counters).unwrap_or_default();
        publish(state, post, "post.counters", payload).await;
    }
}
