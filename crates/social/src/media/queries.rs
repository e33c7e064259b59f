//! The SQL of media on posts.

use agora_core::UserId;
use agora_platform::entities::media;
use agora_store::DbResult;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationDef, Set,
};
use uuid::Uuid;

use super::entity::{ActiveModel, Column, Entity, Model};

/// The uploads of `owner` among `keys`.
pub async fn uploads_of(
    conn: &impl ConnectionTrait,
    owner: UserId,
    keys: &[String],
) -> DbResult<Vec<media::Model>> {
    Ok(media::Entity::find()
        .filter(media::Column::UserId.eq(owner.0))
        .filter(media::Column::Key.is_in(keys.iter().cloned()))
        .all(conn)
        .await?)
}

/// Shows the uploads `media_ids` on the post `post_id`, in this order.
pub async fn insert(
    conn: &impl ConnectionTrait,
    post_id: Uuid,
    media_ids: &[Uuid],
) -> DbResult<()> {
    Entity::insert_many(media_ids.iter().enumerate().map(|(n, id)| ActiveModel {
        post_id: Set(post_id),
        // At most four media.
        position: Set(i16::try_from(n).unwrap_or(i16::MAX)),
        media_id: Set(*id),
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The uploads shown by `post_ids`, by post and position: one query for a page of posts.
pub async fn of_posts(
    conn: &impl ConnectionTrait,
    post_ids: &[Uuid],
) -> DbResult<Vec<(Model, media::Model)>> {
    let join: RelationDef = Entity::belongs_to(media::Entity)
        .from(Column::MediaId)
        .to(media::Column::Id)
        .into();
    let rows = Entity::find()
        .join(JoinType::InnerJoin, join)
        .filter(Column::PostId.is_in(post_ids.iter().copied()))
        .order_by_asc(Column::PostId)
        .order_by_asc(Column::Position)
        .select_also(media::Entity)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(shown, upload)| upload.map(|upload| (shown, upload)))
        .collect())
}
