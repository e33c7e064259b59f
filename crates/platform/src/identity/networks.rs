//! Known networks: the client networks (IPv4 /24, IPv6 /64) each account has signed in from.
//!
//! The login throttle (`RateLimiter::check_login_account`) gives every (account, network) pair
//! a budget of its own and bounds all networks together with a looser account-wide budget.
//! When that one is spent, an attempt from a network that signed in to the account before still
//! proceeds: an attacker elsewhere slows the account down for strangers, not for its owner.
//! Only a salted hash of the network is stored (`Identity::hash_network`).

use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::entities::login_networks::{ActiveModel, Column, Entity};

/// Records that `user` signed in from the network of `network_hash` (now).
pub async fn remember(
    conn: &impl ConnectionTrait,
    user: Uuid,
    network_hash: String,
    now: DateTime<Utc>,
) -> DbResult<()> {
    Entity::insert(ActiveModel {
        user_id: Set(user),
        network_hash: Set(network_hash),
        first_seen_at: Set(now),
        last_seen_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([Column::UserId, Column::NetworkHash])
            .update_column(Column::LastSeenAt)
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Whether `user` has signed in from the network of `network_hash` before.
pub async fn is_known(
    conn: &impl ConnectionTrait,
    user: Uuid,
    network_hash: &str,
) -> DbResult<bool> {
    Ok(Entity::find()
        .filter(Column::UserId.eq(user))
        .filter(Column::NetworkHash.eq(network_hash))
        .one(conn)
        .await?
        .is_some())
}
