//! The `notifications` and `notification_preferences` tables: storing, listing and marking a
//! recipient's notifications, the digest's look-ups, and the channels chosen per kind. Every
//! function is scoped by the recipient.

use agora_core::UserId;
use agora_core::pagination::PageRequest;
use agora_store::DbResult;
use agora_store::keyset::{Keyset, SortKey};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::Notification;
use super::preferences::{Channels, DEFAULT_KIND};
use crate::entities::notification_preferences as preferences;
use crate::entities::notifications::{self, Column};

/// Stores `notification` for `user`, on the channels that keep a row.
pub async fn insert(
    conn: &impl ConnectionTrait,
    user: UserId,
    notification: &Notification,
    channels: Channels,
    group_key: Option<&str>,
) -> DbResult<()> {
    notifications::ActiveModel {
        id: Set(notification.id.as_uuid()),
        user_id: Set(user.0),
        kind: Set(notification.kind.clone()),
        actor_id: Set(notification.actor_id.map(|id| id.0)),
        title: Set(notification.title.clone()),
        body: Set(notification.body.clone()),
        link: Set(notification.link.clone()),
        payload: Set(notification.payload.to_string()),
        in_app: Set(channels.in_app),
        digest: Set(channels.email_digest),
        emailed_at: Set(None),
        read_at: Set(None),
        created_at: Set(notification.created_at),
        group_key: Set(group_key.map(str::to_owned)),
        group_count: Set(1),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Joins one more notification to `user`'s unread row of `group`, if there is one: its count
/// grows by one (atomically), its actor becomes `actor`; the row as it now is. One statement
/// that locks one row, the newest unread of the group: two first notifications at the same
/// instant may have started two rows (decision 0023), and an update of all of them locked them
/// in no fixed order, so two concurrent joins could deadlock.
pub async fn join_group(
    conn: &impl ConnectionTrait,
    user: UserId,
    group: &str,
    actor: Option<UserId>,
) -> DbResult<Option<notifications::Model>> {
    let newest_unread = Query::select()
        .column(Column::Id)
        .from(notifications::Entity)
        .cond_where(
            of(user)
                .add(Column::GroupKey.eq(group))
                .add(Column::ReadAt.is_null()),
        )
        .order_by(Column::Id, Order::Desc)
        .limit(1)
        .to_owned();
    Ok(notifications::Entity::update_many()
        .col_expr(Column::GroupCount, Expr::col(Column::GroupCount).add(1))
        .col_expr(Column::ActorId, Expr::value(actor.map(|a| a.0)))
        .filter(Column::Id.in_subquery(newest_unread))
        .exec_with_returning(conn)
        .await?
        .pop())
}

/// Rewrites the title and payload of notification `id` (a group that grew).
pub async fn retell(
    conn: &impl ConnectionTrait,
    id: Uuid,
    title: &str,
    payload: &serde_json::Value,
) -> DbResult<()> {
    notifications::Entity::update_many()
        .col_expr(Column::Title, Expr::value(title))
        .col_expr(Column::Payload, Expr::value(payload.to_string()))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// `user`'s rows.
fn of(user: UserId) -> Condition {
    Condition::all().add(Column::UserId.eq(user.0))
}

/// A page of `user`'s in-app notifications (only the unread ones with `unread_only`), newest
/// first, with one row more than the page when there is a next one.
pub async fn list(
    conn: &impl ConnectionTrait,
    user: UserId,
    unread_only: bool,
    page: &PageRequest<Uuid>,
) -> DbResult<Vec<notifications::Model>> {
    // Ids are UUIDv7: their order is the order of creation.
    let keyset = Keyset::new([], SortKey::desc(Column::Id));
    let mut condition = of(user).add(Column::InApp.eq(true));
    if unread_only {
        condition = condition.add(Column::ReadAt.is_null());
    }
    if let Some(after) = page.after {
        condition = condition.add(keyset.after([after.into()]));
    }
    let mut query = notifications::Entity::find().filter(condition);
    keyset.order_by(QuerySelect::query(&mut query));
    Ok(query.limit(page.fetch()).all(conn).await?)
}

/// Marks `user`'s notification `id` read at `now`, unless it was already (the first time
/// stays); `None` when `user` has no such notification.
pub async fn mark_read(
    conn: &impl ConnectionTrait,
    user: UserId,
    id: Uuid,
    now: DateTime<Utc>,
) -> DbResult<Option<notifications::Model>> {
    let this = of(user).add(Column::Id.eq(id));
    notifications::Entity::update_many()
        .col_expr(Column::ReadAt, Expr::value(now))
        .filter(this.clone().add(Column::ReadAt.is_null()))
        .exec(conn)
        .await?;
    Ok(notifications::Entity::find().filter(this).one(conn).await?)
}

/// Marks every unread notification of `user` read; returns how many there were.
pub async fn mark_all_read(
    conn: &impl ConnectionTrait,
    user: UserId,
    now: DateTime<Utc>,
) -> DbResult<u64> {
    Ok(notifications::Entity::update_many()
        .col_expr(Column::ReadAt, Expr::value(now))
        .filter(of(user).add(Column::ReadAt.is_null()))
        .exec(conn)
        .await?
        .rows_affected)
}

/// The recipient's unread notifications (of the `in_app` channel).
pub async fn unread_count(conn: &impl ConnectionTrait, user: UserId) -> DbResult<u64> {
    Ok(notifications::Entity::find()
        .filter(of(user))
        .filter(Column::InApp.eq(true))
        .filter(Column::ReadAt.is_null())
        .count(conn)
        .await?)
}

/// Waiting for a digest: in the digest channel, not yet emailed, unread.
fn waiting() -> Condition {
    Condition::all()
        .add(Column::Digest.eq(true))
        .add(Column::EmailedAt.is_null())
        .add(Column::ReadAt.is_null())
}

/// Up to `limit` users with notifications waiting for a digest.
pub async fn users_waiting_for_digest(
    conn: &impl ConnectionTrait,
    limit: u64,
) -> DbResult<Vec<Uuid>> {
    Ok(notifications::Entity::find()
        .select_only()
        .column(Column::UserId)
        .distinct()
        .filter(waiting())
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?)
}

/// The newest `limit` notifications of `user` waiting for a digest.
pub async fn waiting_for_digest(
    conn: &impl ConnectionTrait,
    user: UserId,
    limit: u64,
) -> DbResult<Vec<notifications::Model>> {
    Ok(notifications::Entity::find()
        .filter(waiting().add(Column::UserId.eq(user.0)))
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Every notification of `user` waiting for a digest is in one now (or passed over).
pub async fn mark_emailed(
    conn: &impl ConnectionTrait,
    user: UserId,
    now: DateTime<Utc>,
) -> DbResult<u64> {
    Ok(notifications::Entity::update_many()
        .col_expr(Column::EmailedAt, Expr::value(now))
        .filter(waiting().add(Column::UserId.eq(user.0)))
        .exec(conn)
        .await?
        .rows_affected)
}

/// `user`'s channel choices (of `kinds`, or all), by kind.
pub async fn preferences(
    conn: &impl ConnectionTrait,
    user: UserId,
    kinds: Option<&[&str]>,
) -> DbResult<Vec<preferences::Model>> {
    let mut query = preferences::Entity::find()
        .filter(preferences::Column::UserId.eq(user.0))
        .order_by_asc(preferences::Column::Kind);
    if let Some(kinds) = kinds {
        query = query.filter(preferences::Column::Kind.is_in(kinds.iter().copied()));
    }
    Ok(query.all(conn).await?)
}

/// Records `user`'s channels for `kind` (an upsert: one row per user and kind).
pub async fn set_preference(
    conn: &impl ConnectionTrait,
    user: UserId,
    kind: &str,
    channels: Channels,
    now: DateTime<Utc>,
) -> DbResult<()> {
    use preferences::Column as C;
    let row = preferences::ActiveModel {
        user_id: Set(user.0),
        kind: Set(kind.to_owned()),
        in_app: Set(channels.in_app),
        email_digest: Set(channels.email_digest),
        realtime: Set(channels.realtime),
        updated_at: Set(now),
    };
    preferences::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([C::UserId, C::Kind])
                .update_columns([C::InApp, C::EmailDigest, C::Realtime, C::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Forgets `user`'s choice for `kind`; true when there was one.
pub async fn reset_preference(
    conn: &impl ConnectionTrait,
    user: UserId,
    kind: &str,
) -> DbResult<bool> {
    Ok(preferences::Entity::delete_many()
        .filter(preferences::Column::UserId.eq(user.0))
        .filter(preferences::Column::Kind.eq(kind))
        .exec(conn)
        .await?
        .rows_affected
        > 0)
}

/// The user's channels for `kind`: its row, else the `default` row, else [`Channels::DEFAULT`].
pub async fn channels(conn: &impl ConnectionTrait, user: UserId, kind: &str) -> DbResult<Channels> {
    let rows = preferences(conn, user, Some(&[kind, DEFAULT_KIND])).await?;
    let chosen = |wanted: &str| {
        rows.iter()
            .find(|row| row.kind == wanted)
            .map(Channels::from)
    };
    Ok(chosen(kind)
        .or_else(|| chosen(DEFAULT_KIND))
        .unwrap_or(Channels::DEFAULT))
}

/// The user's choices, by kind (`default` included when chosen).
pub async fn channels_by_kind(
    conn: &impl ConnectionTrait,
    user: UserId,
) -> DbResult<Vec<(String, Channels)>> {
    Ok(preferences(conn, user, None)
        .await?
        .into_iter()
        .map(|row| (row.kind.clone(), Channels::from(&row)))
        .collect())
}
