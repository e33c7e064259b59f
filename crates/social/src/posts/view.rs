//! A page of posts as clients see them: each row with its author, media, poll, the original it
//! reposts or quotes, and the viewer's flags. Every part is loaded for the whole page at once
//! (one query per part, whatever the page size), never per post.

use std::collections::HashMap;

use agora_core::UserId;
use agora_platform::entities::users;
use agora_platform::identity::model::UserSummary;
use agora_store::DbResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::PostId;
use super::entity::post;
use super::model::Post;
use crate::tickers::tickers_in;
use crate::{bookmarks, reactions, reposts};

/// `rows` as `viewer` sees them, in a fixed number of queries whatever their number. The
/// tickers are read again from the text (the extractor is exact and keeps their order);
/// `post_tickers` serves the ticker pages.
pub async fn views(
    conn: &impl ConnectionTrait,
    viewer: Option<UserId>,
    rows: Vec<post::Model>,
) -> DbResult<Vec<Post>> {
    let author_ids: Vec<Uuid> = rows.iter().map(|p| p.author_id).collect();
    let authors: HashMap<Uuid, users::Model> = users::Entity::find()
        .filter(users::Column::Id.is_in(author_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
    let mut media = crate::media::view::of_posts(conn, &ids).await?;
    let mut polls =
        crate::polls::view::of_posts(conn, &ids, viewer, agora_core::time::now()).await?;
    let originals = reposts::view::originals(conn, viewer, &rows).await?;
    // The viewer's flags are those of what they act on: a plain repost's original.
    let targets: Vec<Uuid> = rows
        .iter()
        .map(|p| p.repost_of_id.unwrap_or(p.id))
        .collect();
    let liked = reactions::queries::liked_posts(conn, viewer, &targets).await?;
    let reposted = reposts::queries::reposted(conn, viewer, &targets).await?;
    let bookmarked = bookmarks::queries::bookmarked(conn, viewer, &targets).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let author = authors.get(&row.author_id)?.clone();
            let target = row.repost_of_id.unwrap_or(row.id);
            let original = |id: Option<Uuid>| {
                id.map(|id| {
                    originals
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| reposts::model::Original::tombstone(PostId(id)))
                })
            };
            Some(Post {
                id: PostId(row.id),
                author: UserSummary::from(author),
                tickers: tickers_in(&row.content)
                    .into_iter()
                    .map(String::from)
                    .collect(),
                content: row.content,
                like_count: row.like_count,
                comment_count: row.comment_count,
                repost_count: row.repost_count,
                created_at: row.created_at,
                edited_at: row.edited_at,
                media: media.remove(&row.id).unwrap_or_default(),
                poll: polls.remove(&row.id),
                repost_of: original(row.repost_of_id),
                quote_of: original(row.quote_of_id),
                liked_by_me: liked.contains(&target),
                reposted_by_me: reposted.contains(&target),
                bookmarked_by_me: bookmarked.contains(&target),
            })
        })
        .collect())
}
