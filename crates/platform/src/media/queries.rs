//! The `media` table: one row per stored original, with its owner.

use agora_store::DbResult;
use agora_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Saved;
use crate::entities::media;

pub async fn insert(
    conn: &impl ConnectionTrait,
    owner: Uuid,
    saved: &Saved,
    now: DateTime<Utc>,
) -> DbResult<()> {
    media::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(owner),
        key: Set(saved.key.to_string()),
        content_type: Set(saved.kind.content_type().to_owned()),
        size: Set(saved.size),
        width: Set(saved.width),
        height: Set(saved.height),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Forgets the row of an original `key` of `owner`.
pub async fn delete(conn: &impl ConnectionTrait, owner: Uuid, key: &str) -> DbResult<()> {
    media::Entity::delete_many()
        .filter(media::Column::UserId.eq(owner))
        .filter(media::Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(())
}
