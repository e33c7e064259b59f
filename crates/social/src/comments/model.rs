//! Request and response types of comments.

use agora_platform::identity::model::UserSummary;
use agora_platform::moderation::Screen;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::CommentId;
use crate::posts::PostId;

/// `POST /posts/{id}/comments`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateComment {
    /// At most 2,000 characters, not blank; stored trimmed (as a post's).
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$",
        extensions(("x-agora-screened" = json!(true)))
    )]
    pub content: String,
    /// The comment of the same post this one answers; threads are three levels deep (a
    /// reply to a reply of a reply is `too_deep`).
    pub parent_id: Option<CommentId>,
}

impl Screen for CreateComment {
    fn texts(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![("content", Some(&self.content))]
    }
}

/// A comment as anyone may see it. A deleted comment with replies stays in its thread as a
/// tombstone: `deleted: true`, `author` and `content` null.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Comment {
    pub id: CommentId,
    pub post_id: PostId,
    /// The comment it answers; null for a comment on the post.
    pub parent_id: Option<CommentId>,
    /// 0 for a comment on the post, 1 for a reply, 2 for a reply to a reply.
    pub depth: i16,
    pub author: Option<UserSummary>,
    pub content: Option<String>,
    pub deleted: bool,
    pub like_count: i64,
    /// Its replies that are not deleted (`GET /comments/{id}/replies`).
    pub reply_count: i64,
    /// Whether the viewer likes it (false without a viewer).
    pub liked_by_me: bool,
    pub created_at: DateTime<Utc>,
}

/// `?limit=&cursor=` of a list of comments.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommentPage {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
