//! A page of posts as clients see them: each row with its author and, as the issue fills them in,
//! its media, poll, quoted post and the viewer's flags. Every part is loaded for the whole page
//! at once (one query per part, whatever the page size), never per post.

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

/// `rows` as clients see them, with their authors, in one query whatever their number. The
/// tickers are read again from the text (the extractor is exact and keeps their order);
/// `post_tickers` serves the ticker pages.
pub async fn views(
    conn: &impl ConnectionTrait,
    viewer: Option<UserId>,
    rows: Vec<post::Model>,
) -> DbResult<Vec<Post>> {
    // The viewer's flags (liked, reposted, bookmarked, voted) join here.
    let _ = viewer;
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
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let author = authors.get(&row.author_id)?.clone();
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
            })
        })
        .collect())
}
