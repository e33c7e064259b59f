//! Request and response types of edits.

use agora_platform::moderation::Screen;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `PATCH /posts/{id}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditPost {
    /// The new text, as for a new post: at most 2,000 characters, not blank; stored trimmed.
    /// Its tickers replace the old ones; users it newly mentions are linked and notified (up to
    /// 10 linked in all), old mentions stay.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$",
        extensions(("x-agora-screened" = json!(true)))
    )]
    pub content: String,
}

impl Screen for EditPost {
    fn texts(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![("content", Some(&self.content))]
    }
}

/// A former text of a post.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PostEdit {
    pub content: String,
    /// When it was written (published, or the edit before).
    pub written_at: DateTime<Utc>,
    /// When an edit replaced it.
    pub replaced_at: DateTime<Utc>,
}
