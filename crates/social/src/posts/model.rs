//! Request and response types of posts.

use agora_platform::identity::model::UserSummary;
use agora_platform::moderation::Screen;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::PostId;
use crate::media::model::PostMedia;
use crate::polls::model::{NewPoll, PollResults};
pub use crate::reposts::model::Original;

/// `POST /posts`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePost {
    /// At most 2,000 characters, not blank; stored trimmed. `$AAPL`, `#TSLA` and `$BRK.B`
    /// name tickers; `@username` mentions a user: of the first 10 distinct names, those that
    /// are accounts are linked and notified (not across a block; those who mute the author are
    /// linked, not notified).
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$",
        extensions(("x-agora-screened" = json!(true)))
    )]
    pub content: String,
    /// Up to 4 keys of the author's own uploads (`POST /media/upload`), shown in this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 4)]
    pub media: Vec<String>,
    /// A poll to attach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<NewPoll>,
}

impl Screen for CreatePost {
    fn texts(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![("content", Some(&self.content))]
    }
}

/// A post as anyone may see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Post {
    pub id: PostId,
    pub author: UserSummary,
    pub content: String,
    /// The tickers it names, upper case, in the order they first appear.
    pub tickers: Vec<String>,
    pub like_count: i64,
    pub comment_count: i64,
    pub repost_count: i64,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    /// Its uploads, in order.
    pub media: Vec<PostMedia>,
    /// Its poll, with the results and the viewer's vote.
    pub poll: Option<PollResults>,
    /// A plain repost (its `content` is empty): the post it shares. Likes, bookmarks, comments
    /// and reposts of a plain repost go to this original, and the flags below are the original's.
    pub repost_of: Option<Original>,
    /// A quote: the post it comments on.
    pub quote_of: Option<Original>,
    /// Whether the viewer likes it (false without a viewer).
    pub liked_by_me: bool,
    /// Whether the viewer has a plain repost of it.
    pub reposted_by_me: bool,
    /// Whether the viewer bookmarked it.
    pub bookmarked_by_me: bool,
}

/// `?limit=&cursor=` of a list of posts.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PostPage {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
