//! The media of a post as clients see them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One upload shown by a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PostMedia {
    /// The upload's key (`POST /media/upload`).
    pub key: String,
    /// Where the file is served.
    pub url: String,
    /// For images: a version of at most 256 px on its longest side (the original when it is
    /// no larger). Null for videos.
    pub thumbnail_url: Option<String>,
    #[schema(example = "image/jpeg")]
    pub content_type: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
}
