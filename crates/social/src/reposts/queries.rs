//! The SQL of reposts (rows of `posts` with `repost_of_id`).

use agora_core::UserId;
use agora_store::DbResult;
use sea_orm::sea_query::SelectStatement;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use uuid::Uuid;

use crate::posts::PostId;
use crate::posts::entity::post;

/// The ids (as `id`) of the posts among `posts` that `viewer` has a live plain repost of: a part
/// of the post view's one statement of the viewer's flags (`crate::post_view::flags`).
pub fn reposted(viewer: UserId, posts: &[Uuid]) -> SelectStatement {
    post::Entity::find()
        .select_only()
        .column_as(post::Column::RepostOfId, "id")
        .filter(post::Column::AuthorId.eq(viewer.0))
        .filter(post::Column::RepostOfId.is_in(posts.iter().copied()))
        .filter(post::Column::DeletedAt.is_null())
        .into_query()
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
