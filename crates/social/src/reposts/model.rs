//! Request and response types of reposts and quotes.

use agora_platform::identity::model::UserSummary;
use agora_platform::moderation::Screen;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::posts::PostId;

/// `POST /posts/{id}/reposts`: no body or `{}` for a plain repost, `comment` for a quote.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRepost {
    /// The quote's text, as a post's (`CreatePost.content`): its tickers are linked and its
    /// mentions notified.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$",
        extensions(("x-agora-screened" = json!(true)))
    )]
    pub comment: Option<String>,
}

impl Screen for CreateRepost {
    fn texts(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![("comment", self.comment.as_deref())]
    }
}

/// The post a repost shares or a quote comments on, nested once: its own original is only an
/// id (`quote_of_id`). When it was deleted, or its author's account is closed, or a block
/// between you and its author hides it, it is a tombstone: `id`, `deleted: true` and nulls.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Original {
    pub id: PostId,
    /// True for a tombstone: every other field is then null (or empty).
    pub deleted: bool,
    pub author: Option<UserSummary>,
    pub content: Option<String>,
    /// The tickers it names, upper case, in the order they first appear.
    pub tickers: Vec<String>,
    pub like_count: Option<i64>,
    pub comment_count: Option<i64>,
    pub repost_count: Option<i64>,
    pub created_at: Option<DateTime<Utc>>,
    /// The post it quotes in turn, as an id only.
    pub quote_of_id: Option<PostId>,
}

impl Original {
    pub fn tombstone(id: PostId) -> Original {
        Original {
            id,
            deleted: true,
            author: None,
            content: None,
            tickers: Vec::new(),
            like_count: None,
            comment_count: None,
            repost_count: None,
            created_at: None,
            quote_of_id: None,
        }
    }
}
