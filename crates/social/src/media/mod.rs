//! Media on posts: up to 4 of the author's own uploads (`POST /media/upload` of the platform),
//! named by key in `POST /posts` and shown in that order (`post_media`). A key that is not an
//! upload of the author (someone else's, or none) is a 422 naming it (`media[1]`): a post
//! cannot borrow another user's file.
//!
//! An upload's row (`media`) going away takes it off the posts that show it (the foreign key
//! cascades), so a post never points at a missing file; today the platform forgets an upload
//! only when it is the profile picture being replaced or removed.
//!
//! - `model.rs`: the media of a post as clients see it; `queries.rs`: the SQL; `view.rs`: the
//!   media of a page of posts in one query; `rules.rs`: how many and no duplicates;
//!   `entity.rs`: the typed row.

mod entity;
pub mod model;
pub mod queries;
pub mod rules;
pub mod view;

use agora_core::{ApiError, ApiResult, FieldCode, UserId};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// Attaches the uploads `keys` (checked by [`rules::keys`]) to the new post `post_id` of
/// `author`, in order; each must be one of `author`'s uploads (422 at `media[n]` otherwise).
pub async fn attach(
    conn: &impl ConnectionTrait,
    author: UserId,
    post_id: Uuid,
    keys: &[String],
) -> ApiResult<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let owned = queries::uploads_of(conn, author, keys).await?;
    let mut ids = Vec::with_capacity(keys.len());
    let mut errors = Vec::new();
    for (n, key) in keys.iter().enumerate() {
        match owned.iter().find(|m| &m.key == key) {
            Some(upload) => ids.push(upload.id),
            None => errors.push(agora_core::FieldError::new(
                format!("media[{n}]"),
                FieldCode::Invalid,
                "not one of your uploads",
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    queries::insert(conn, post_id, &ids).await?;
    Ok(())
}
