//! Sessions and their rotating refresh tokens.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use agora_store::{Db, DbResult};

use super::model::AccountStatus;
use super::secrets::{new_token, token_hash};
pub use crate::entities::sessions::RevokedReason;
use crate::entities::{refresh_tokens, sessions, users};

/// How long a session lasts without being refreshed.
pub const SESSION_TTL: Duration = Duration::days(30);

/// Opens a session and returns it with its first refresh token.
pub async fn open(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    user_agent: Option<String>,
    ip_hash: Option<String>,
    now: DateTime<Utc>,
) -> DbResult<(sessions::Model, String)> {
    let session = sessions::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        user_agent: Set(user_agent),
        ip_hash: Set(ip_hash),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + SESSION_TTL),
        revoked_at: Set(None),
        revoked_reason: Set(None),
    }
    .insert(conn)
    .await?;
    let token = issue_refresh_token(conn, session.id, now).await?;
    Ok((session, token))
}

async fn issue_refresh_token(
    conn: &impl ConnectionTrait,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> DbResult<String> {
    let token = new_token();
    refresh_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(token_hash(&token)),
        created_at: Set(now),
        rotated_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// What presenting a refresh token led to.
// Returned once per refresh and matched at once, never stored: the size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Refresh {
    /// A new refresh token for a live session of an active user.
    Rotated {
        session: sessions::Model,
        user: users::Model,
        refresh_token: String,
    },
    /// Unknown token, or its session ended or expired.
    Invalid,
    /// The token had already been used: someone holds a copy. The session is now revoked.
    Reused { session_id: Uuid },
    /// The account is disabled.
    Disabled,
}

/// Exchanges a refresh token for a new one, in one transaction.
pub async fn refresh(db: &Db, presented: &str, now: DateTime<Utc>) -> DbResult<Refresh> {
    let txn = db.begin().await?;
    let Some(token) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash(presented)))
        .one(&txn)
        .await?
    else {
        return Ok(Refresh::Invalid);
    };
    let Some(session) = sessions::Entity::find_by_id(token.session_id)
        .one(&txn)
        .await?
    else {
        return Ok(Refresh::Invalid);
    };
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Ok(Refresh::Invalid);
    }
    // Conditional update: of two concurrent refreshes with one token, exactly one wins and the
    // other counts as reuse.
    let claimed = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RotatedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(token.id))
        .filter(refresh_tokens::Column::RotatedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if claimed == 0 {
        revoke_in(&txn, session.id, RevokedReason::RefreshTokenReuse, now).await?;
        txn.commit().await?;
        return Ok(Refresh::Reused {
            session_id: session.id,
        });
    }
    let Some(user) = users::Entity::find_by_id(session.user_id).one(&txn).await? else {
        return Ok(Refresh::Invalid);
    };
    if user.status != AccountStatus::Active {
        return Ok(Refresh::Disabled);
    }
    let refresh_token = issue_refresh_token(&txn, session.id, now).await?;
    let session = sessions::ActiveModel {
        id: Set(session.id),
        last_seen_at: Set(now),
        expires_at: Set(now + SESSION_TTL),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    txn.commit().await?;
    Ok(Refresh::Rotated {
        session,
        user,
        refresh_token,
    })
}

/// Revokes one session inside `conn`'s transaction. Returns whether it was live.
pub async fn revoke_in(
    conn: &impl ConnectionTrait,
    session_id: Uuid,
    reason: RevokedReason,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let changed = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .col_expr(sessions::Column::RevokedReason, Expr::value(reason))
        .filter(sessions::Column::Id.eq(session_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected;
    Ok(changed > 0)
}

/// Revokes session `session_id` if it is a live one of `user_id`; returns whether it was.
pub async fn revoke_own(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    session_id: Uuid,
    reason: RevokedReason,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let changed = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .col_expr(sessions::Column::RevokedReason, Expr::value(reason))
        .filter(sessions::Column::Id.eq(session_id))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected;
    Ok(changed > 0)
}

/// Revokes every live session of `user_id`; returns their ids.
pub async fn revoke_all_in(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    reason: RevokedReason,
    now: DateTime<Utc>,
) -> DbResult<Vec<Uuid>> {
    let live: Vec<Uuid> = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .col_expr(sessions::Column::RevokedReason, Expr::value(reason))
        .filter(sessions::Column::Id.is_in(live.clone()))
        .exec(conn)
        .await?;
    Ok(live)
}

/// The live sessions of a user, newest first.
pub async fn list_live(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> DbResult<Vec<sessions::Model>> {
    Ok(sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now))
        .order_by_desc(sessions::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// Sessions revoked since `since`, to refill the revocation set at start-up.
pub async fn revoked_since(
    conn: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> DbResult<Vec<(Uuid, DateTime<Utc>)>> {
    Ok(sessions::Entity::find()
        .filter(sessions::Column::RevokedAt.gt(since))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|s| s.revoked_at.map(|at| (s.id, at)))
        .collect())
}
