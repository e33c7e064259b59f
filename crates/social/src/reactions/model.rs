//! Response types of likes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a like toggle left: whether the viewer now likes it, and its count.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Reaction {
    pub liked: bool,
    pub like_count: i64,
}
