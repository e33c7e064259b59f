//! A page of comments as clients see them, in a fixed number of queries.

use std::collections::HashMap;

use agora_core::UserId;
use agora_platform::entities::users;
use agora_platform::identity::model::UserSummary;
use agora_store::DbResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::CommentId;
use super::entity::Model;
use super::model::Comment;
use crate::posts::PostId;
use crate::reactions;

/// `rows` as `viewer` sees them: their authors in one query, the viewer's likes in another. A
/// deleted row is a tombstone.
pub async fn views(
    conn: &impl ConnectionTrait,
    viewer: Option<UserId>,
    rows: Vec<Model>,
) -> DbResult<Vec<Comment>> {
    let author_ids: Vec<Uuid> = rows
        .iter()
        .filter(|c| c.deleted_at.is_none())
        .map(|c| c.author_id)
        .collect();
    let authors: HashMap<Uuid, users::Model> = if author_ids.is_empty() {
        HashMap::new()
    } else {
        users::Entity::find()
            .filter(users::Column::Id.is_in(author_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect()
    };
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let liked = reactions::queries::liked_comments(conn, viewer, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let deleted = row.deleted_at.is_some();
            Comment {
                id: CommentId(row.id),
                post_id: PostId(row.post_id),
                parent_id: row.parent_id.map(CommentId),
                depth: row.depth,
                author: if deleted {
                    None
                } else {
                    authors.get(&row.author_id).cloned().map(UserSummary::from)
                },
                content: (!deleted).then_some(row.content),
                deleted,
                like_count: row.like_count,
                reply_count: row.reply_count,
                liked_by_me: liked.contains(&row.id),
                created_at: row.created_at,
            }
        })
        .collect())
}
