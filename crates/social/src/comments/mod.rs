//! Comments on posts: threads three levels deep (a comment, its replies, their replies), a
//! post's comments and a comment's replies as separate lists, soft delete that leaves a
//! tombstone while replies hang from it, and the post's real-time room (`room.rs`).
//!
//! - `routes.rs`: the handlers; `model.rs`: request and response types; `queries.rs`: the SQL;
//!   `view.rs`: a page of comments as clients see them; `rules.rs`: the depth limit;
//!   `room.rs`: `post:{id}` (who may join, what is published); `entity.rs`: the typed row.
//!
//! Counters (`posts.comment_count`, `comments.reply_count`, `comments.like_count`) change in the
//! transaction of the write that changes them.

pub(crate) mod entity;
pub mod model;
pub mod queries;
pub mod room;
pub mod routes;
pub mod rules;
pub mod view;

use agora_core::ErrorCode;
use axum::http::StatusCode;

agora_core::id_type!(
    /// Identifies a comment.
    CommentId
);

pub const TOO_DEEP: ErrorCode = ErrorCode {
    status: StatusCode::UNPROCESSABLE_ENTITY,
    code: "too_deep",
    when: "A reply answered a comment already at the deepest level of its thread (three levels).",
    what_to_do: "Reply to the comment it answers instead (its `parent_id`).",
};
