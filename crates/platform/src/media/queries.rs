//! The `media` table (one row per stored original, with its owner) and `media_usage` (the bytes
//! each user keeps, for the quota). Every write of a `media` row moves the counter in the same
//! transaction: [`insert`] charges it, refusing what would pass the quota; [`delete`] gives the
//! bytes back.

use agora_store::DbResult;
use agora_store::sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use agora_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Saved;
use crate::entities::{media, media_usage};

/// Records a stored original of `owner` and charges its size to the owner's usage, unless that
/// would pass `quota` (then nothing is written and `Ok(false)` is returned).
pub async fn insert(
    conn: &impl ConnectionTrait,
    owner: Uuid,
    saved: &Saved,
    now: DateTime<Utc>,
    quota: Option<u64>,
) -> DbResult<bool> {
    if !charge(conn, owner, saved.size, quota).await? {
        return Ok(false);
    }
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
    Ok(true)
}

/// Forgets the row of an original `key` of `owner` and gives its bytes back; returns them.
pub async fn delete(conn: &impl ConnectionTrait, owner: Uuid, key: &str) -> DbResult<i64> {
    let freed: i64 = media::Entity::find()
        .filter(media::Column::UserId.eq(owner))
        .filter(media::Column::Key.eq(key))
        .all(conn)
        .await?
        .iter()
        .map(|row| row.size)
        .sum();
    media::Entity::delete_many()
        .filter(media::Column::UserId.eq(owner))
        .filter(media::Column::Key.eq(key))
        .exec(conn)
        .await?;
    charge(conn, owner, -freed, None).await?;
    Ok(freed)
}

/// The size of `owner`'s original `key`, if it is recorded.
pub async fn size_of(conn: &impl ConnectionTrait, owner: Uuid, key: &str) -> DbResult<i64> {
    Ok(media::Entity::find()
        .filter(media::Column::UserId.eq(owner))
        .filter(media::Column::Key.eq(key))
        .one(conn)
        .await?
        .map_or(0, |row| row.size))
}

/// Bytes `owner` keeps now.
pub async fn usage(conn: &impl ConnectionTrait, owner: Uuid) -> DbResult<i64> {
    Ok(media_usage::Entity::find_by_id(owner)
        .one(conn)
        .await?
        .map_or(0, |row| row.bytes))
}

/// Adds `delta` bytes to `owner`'s usage (floored at zero), unless the result would pass
/// `quota`: then nothing changes and the answer is `false`. One statement (an upsert whose
/// update has a condition), so two concurrent uploads cannot both pass the check.
async fn charge(
    conn: &impl ConnectionTrait,
    owner: Uuid,
    delta: i64,
    quota: Option<u64>,
) -> DbResult<bool> {
    let quota = quota.map(|q| i64::try_from(q).unwrap_or(i64::MAX));
    if quota.is_some_and(|quota| delta > quota) {
        return Ok(false);
    }
    let sum = Expr::col((media_usage::Entity, media_usage::Column::Bytes)).add(delta);
    let mut on_conflict = OnConflict::column(media_usage::Column::UserId)
        .value(
            media_usage::Column::Bytes,
            Expr::case(sum.clone().lt(0), 0).finally(sum.clone()),
        )
        .to_owned();
    if let Some(quota) = quota.filter(|_| delta > 0) {
        on_conflict.action_and_where(sum.lte(quota));
    }
    let upsert = Query::insert()
        .into_table(media_usage::Entity)
        .columns([media_usage::Column::UserId, media_usage::Column::Bytes])
        .values_panic([owner.into(), Ord::max(delta, 0).into()])
        .on_conflict(on_conflict)
        .to_owned();
    let result = conn.execute(&upsert).await?;
    Ok(result.rows_affected() > 0)
}
