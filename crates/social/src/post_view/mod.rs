//! Posts as clients see them: each row with its author, media, poll, the original it reposts or
//! quotes, and the viewer's flags. Every part is loaded for the whole page at once (one query
//! per part, whatever the page size), never per post.
//!
//! The top of the crate: it brings together posts and what hangs on them (media, polls,
//! reposts, likes, bookmarks), which do not know each other; their routes answer with its
//! views.

pub mod flags;

use std::collections::HashMap;

use agora_core::pagination::{CursorPage, PageRequest};
use agora_core::{ApiResult, UserId, time};
use agora_platform::AppState;
use agora_platform::entities::users;
use agora_platform::identity::model::UserSummary;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::posts::PostId;
use crate::posts::entity::post;
use crate::posts::model::Post;
use crate::posts::queries::{self, Listing};
use crate::tickers::tickers_in;
use crate::{media, polls, reposts};

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
    // The viewer's flags are those of what they act on: a plain repost's original.
    let targets: Vec<Uuid> = rows
        .iter()
        .map(|p| p.repost_of_id.unwrap_or(p.id))
        .collect();
    let flags = flags::of(conn, viewer, &targets, &ids).await?;
    let mut media = media::view::of_posts(conn, &ids).await?;
    let mut polls = polls::view::of_posts(conn, &ids, &flags.voted, time::now()).await?;
    let originals = reposts::view::originals(conn, viewer, &rows).await?;
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
                liked_by_me: flags.liked.contains(&target),
                reposted_by_me: flags.reposted.contains(&target),
                bookmarked_by_me: flags.bookmarked.contains(&target),
            })
        })
        .collect())
}

/// A page of `listing` as `viewer` sees it.
pub async fn page_of(
    state: &AppState,
    listing: Listing<'_>,
    viewer: Option<UserId>,
    page: &PageRequest<(DateTime<Utc>, Uuid)>,
) -> ApiResult<CursorPage<Post>> {
    let db = state.db().reader();
    let rows = queries::listing(db, listing, viewer, page).await?;
    let page = page.page(rows, |row| (row.created_at, row.id));
    Ok(CursorPage {
        items: views(db, viewer, page.items).await?,
        next_cursor: page.next_cursor,
    })
}
