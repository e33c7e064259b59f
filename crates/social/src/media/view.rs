//! The media of a page of posts, in one query.

use std::collections::HashMap;

use agora_platform::entities::media;
use agora_platform::media::url_of;
use agora_store::{DbResult, StorageKey};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::model::PostMedia;
use super::queries;

/// The longest side of the thumbnail a post shows.
const THUMBNAIL: u32 = 256;

/// The media of `post_ids` by post id, in order.
pub async fn of_posts(
    conn: &impl ConnectionTrait,
    post_ids: &[Uuid],
) -> DbResult<HashMap<Uuid, Vec<PostMedia>>> {
    if post_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut media: HashMap<Uuid, Vec<PostMedia>> = HashMap::new();
    for (shown, upload) in queries::of_posts(conn, post_ids).await? {
        media.entry(shown.post_id).or_default().push(item(&upload));
    }
    Ok(media)
}

/// An upload as a post shows it. The platform writes a thumbnail of a size only for images
/// larger than that size (`agora_platform::media::process`); smaller ones are their own.
fn item(upload: &media::Model) -> PostMedia {
    let is_image = upload.content_type.starts_with("image/");
    let thumbnail_url = is_image.then(|| {
        let longest = upload.width.max(upload.height).unwrap_or(0);
        match StorageKey::parse(&upload.key) {
            Ok(key) if u32::try_from(longest).unwrap_or(0) > THUMBNAIL => {
                url_of(key.variant(&THUMBNAIL.to_string()).as_str())
            }
            _ => url_of(&upload.key),
        }
    });
    PostMedia {
        key: upload.key.clone(),
        url: url_of(&upload.key),
        thumbnail_url,
        content_type: upload.content_type.clone(),
        width: upload.width,
        height: upload.height,
    }
}
