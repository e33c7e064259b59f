//! Single-use tokens sent by email: email verification (24 hours) and password reset (1 hour).
//!
//! The token is 256 random bits shown once (in the link) and stored only as its SHA-256. Using
//! one is a conditional update (`used_at IS NULL AND expires_at > now`), so of two concurrent
//! uses exactly one succeeds. Issuing a new token of a purpose deletes the user's unused ones,
//! so only the latest link works.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use agora_core::UserId;
use agora_store::DbResult;

use super::secrets::{new_token, token_hash};
use crate::entities::one_time_tokens;

pub use crate::entities::one_time_tokens::Purpose;

impl Purpose {
    /// How long a link stays valid.
    pub fn ttl(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::hours(24),
            Purpose::PasswordReset => Duration::hours(1),
        }
    }
}

/// Creates a token for `user`, replacing the unused ones of the same purpose.
pub async fn issue(
    conn: &impl ConnectionTrait,
    user: UserId,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> DbResult<String> {
    one_time_tokens::Entity::delete_many()
        .filter(one_time_tokens::Column::UserId.eq(user.0))
        .filter(one_time_tokens::Column::Purpose.eq(purpose))
        .filter(one_time_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    let token = new_token();
    one_time_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.0),
        purpose: Set(purpose),
        token_hash: Set(token_hash(&token)),
        created_at: Set(now),
        expires_at: Set(now + purpose.ttl()),
        used_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// What presenting a token led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redeemed {
    /// The token was valid and is now used up.
    Valid(UserId),
    Unknown,
    Expired,
    AlreadyUsed,
}

/// Uses up a token of `purpose`, at most once.
pub async fn redeem(
    conn: &impl ConnectionTrait,
    presented: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> DbResult<Redeemed> {
    let Some(token) = one_time_tokens::Entity::find()
        .filter(one_time_tokens::Column::TokenHash.eq(token_hash(presented)))
        .filter(one_time_tokens::Column::Purpose.eq(purpose))
        .one(conn)
        .await?
    else {
        return Ok(Redeemed::Unknown);
    };
    if token.used_at.is_some() {
        return Ok(Redeemed::AlreadyUsed);
    }
    if token.expires_at <= now {
        return Ok(Redeemed::Expired);
    }
    let claimed = one_time_tokens::Entity::update_many()
        .col_expr(one_time_tokens::Column::UsedAt, Expr::value(now))
        .filter(one_time_tokens::Column::Id.eq(token.id))
        .filter(one_time_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected;
    Ok(if claimed == 1 {
        Redeemed::Valid(UserId(token.user_id))
    } else {
        Redeemed::AlreadyUsed
    })
}
