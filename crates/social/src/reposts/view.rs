//! The originals of the reposts and quotes in a page of posts, in one query.

use std::collections::HashMap;

use agora_core::UserId;
use agora_platform::entities::users;
use agora_platform::identity::model::UserSummary;
use agora_store::DbResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::model::Original;
use crate::graph::queries as graph;
use crate::posts::PostId;
use crate::posts::entity::post;
use crate::tickers::tickers_in;

/// The live originals that `rows` repost or quote, with their authors, by id, as `viewer` may
/// see them; one query (none when no row reposts or quotes). An original missing from the map
/// shows as a tombstone.
pub async fn originals(
    conn: &impl ConnectionTrait,
    viewer: Option<UserId>,
    rows: &[post::Model],
) -> DbResult<HashMap<Uuid, Original>> {
    let ids: Vec<Uuid> = rows
        .iter()
        .flat_map(|row| [row.repost_of_id, row.quote_of_id])
        .flatten()
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut select = post::Entity::find()
        .join(
            JoinType::InnerJoin,
            post::Entity::belongs_to(users::Entity)
                .from(post::Column::AuthorId)
                .to(users::Column::Id)
                .into(),
        )
        .filter(post::Column::Id.is_in(ids))
        .filter(post::Column::DeletedAt.is_null())
        .filter(users::Column::Status.eq(users::AccountStatus::Active));
    if let Some(viewer) = viewer {
        select = select
            .filter(post::Column::AuthorId.not_in_subquery(graph::blocked_either_way(viewer)));
    }
    let found = select.select_also(users::Entity).all(conn).await?;
    Ok(found
        .into_iter()
        .filter_map(|(row, author)| {
            let author = author?;
            Some((
                row.id,
                Original {
                    id: PostId(row.id),
                    deleted: false,
                    author: Some(UserSummary::from(author)),
                    tickers: tickers_in(&row.content)
                        .into_iter()
                        .map(String::from)
                        .collect(),
                    content: Some(row.content),
                    like_count: Some(row.like_count),
                    comment_count: Some(row.comment_count),
                    repost_count: Some(row.repost_count),
                    created_at: Some(row.created_at),
                    // Nested once: a plain repost's own original is never the target (reposts
                    // resolve to the original when made), a quote's is shown as an id.
                    quote_of_id: row.quote_of_id.map(PostId),
                },
            ))
        })
        .collect())
}
