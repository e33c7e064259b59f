//! The SQL of reposts (rows of `posts` with `repost_of_id`).

use std::collections::HashSet;

use agora_core::UserId;
use agora_store::DbResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::posts::PostId;
use crate::posts::entity::post;

/// Which of `posts` `viewer` has a live plain repost of (none without a viewer; one query).
pub async fn reposted(
    conn: &impl ConnectionTrait,
    viewer: Option<UserId>,
    posts: &[Uuid],
) -> DbResult<HashSet<Uuid>> {
    let Some(viewer) = viewer else {
        return Ok(HashSet::new());
    };
    let ids: Vec<Option<Uuid>> = post::Entity::find()
        .select_only()
        .column(post::Column::RepostOfId)
        .filter(post::Column::AuthorId.eq(viewer.0))
        .filter(post::Column::RepostOfId.is_in(posts.iter().copied()))
        .filter(post::Column::DeletedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().flatten().collect())
}

/// `user`'s live plain repost of `original`.
pub async fn plain_repost(
    conn: &impl ConnectionTrait,
    user: UserId,
    original: PostId,
) -> DbResult<Option<post::Model>> {
    Ok(post::Entity::find()
        .filter(post::Column::AuthorId.eq(user.0))
        .filter(post::Column::RepostOfId.eq(original.0))
        .filter(post::Column::DeletedAt.is_null())
        .one(conn)
        .await?)
}
