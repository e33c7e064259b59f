//! Which channels a user wants, per kind of notification: a row per kind the user has chosen
//! for, a `default` row for every other kind, and [`Channels::DEFAULT`] without either.

use agora_core::UserId;
use agora_store::DbResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DeriveIden, FromQueryResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(DeriveIden)]
enum NotificationPreferences {
    Table,
    UserId,
    Kind,
    InApp,
    EmailDigest,
    Realtime,
    UpdatedAt,
}

/// How a kind of notification reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Channels {
    /// Listed in the notifications and counted as unread.
    pub in_app: bool,
    /// Gathered, while unread, into one email a day.
    pub email_digest: bool,
    /// Pushed to open connections (`notification.created` on the `user:` room).
    pub realtime: bool,
}

impl Channels {
    /// Without a choice of the user's: in the app and in real time, no email.
    pub const DEFAULT: Channels = Channels {
        in_app: true,
        email_digest: false,
        realtime: true,
    };
}

/// The kind whose row applies to every kind without a row of its own.
pub const DEFAULT_KIND: &str = "default";

/// A kind is `area.event`: lowercase letters, digits, `_`, separated by dots, at most 64.
pub fn check_kind(kind: &str) -> Result<(), &'static str> {
    let valid = (1..=64).contains(&kind.len())
        && kind.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    if valid {
        Ok(())
    } else {
        Err(
            "must be lowercase words of letters, digits and `_` joined by dots (`forum.reply`), at most 64 characters",
        )
    }
}

#[derive(FromQueryResult)]
struct Row {
    kind: String,
    in_app: bool,
    email_digest: bool,
    realtime: bool,
}

impl Row {
    fn channels(&self) -> Channels {
        Channels {
            in_app: self.in_app,
            email_digest: self.email_digest,
            realtime: self.realtime,
        }
    }
}

/// The user's channels for `kind`.
pub async fn channels(conn: &impl ConnectionTrait, user: UserId, kind: &str) -> DbResult<Channels> {
    let rows = rows(
        conn,
        user,
        Some(Expr::col(NotificationPreferences::Kind).is_in([kind, DEFAULT_KIND])),
    )
    .await?;
    let chosen = |wanted: &str| {
        rows.iter()
            .find(|row| row.kind == wanted)
            .map(Row::channels)
    };
    Ok(chosen(kind)
        .or_else(|| chosen(DEFAULT_KIND))
        .unwrap_or(Channels::DEFAULT))
}

/// The user's choices, by kind (`default` included when chosen).
pub async fn list(conn: &impl ConnectionTrait, user: UserId) -> DbResult<Vec<(String, Channels)>> {
    Ok(rows(conn, user, None)
        .await?
        .into_iter()
        .map(|row| {
            let channels = row.channels();
            (row.kind, channels)
        })
        .collect())
}

/// The user's rows (of the kinds `which` picks), by kind.
async fn rows(
    conn: &impl ConnectionTrait,
    user: UserId,
    which: Option<sea_orm::sea_query::SimpleExpr>,
) -> DbResult<Vec<Row>> {
    let mut select = Query::select()
        .columns([
            NotificationPreferences::Kind,
            NotificationPreferences::InApp,
            NotificationPreferences::EmailDigest,
            NotificationPreferences::Realtime,
        ])
        .from(NotificationPreferences::Table)
        .and_where(Expr::col(NotificationPreferences::UserId).eq(user.0))
        .order_by(NotificationPreferences::Kind, Order::Asc)
        .to_owned();
    if let Some(which) = which {
        select.and_where(which);
    }
    Ok(conn
        .query_all(&select)
        .await?
        .iter()
        .map(|row| Row::from_query_result(row, ""))
        .collect::<Result<_, _>>()?)
}

/// Records the user's channels for `kind` (checked by [`check_kind`] before).
pub async fn set(
    conn: &impl ConnectionTrait,
    user: UserId,
    kind: &str,
    channels: Channels,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let upsert = Query::insert()
        .into_table(NotificationPreferences::Table)
        .columns([
            NotificationPreferences::UserId,
            NotificationPreferences::Kind,
            NotificationPreferences::InApp,
            NotificationPreferences::EmailDigest,
            NotificationPreferences::Realtime,
            NotificationPreferences::UpdatedAt,
        ])
        .values_panic([
            user.0.into(),
            kind.into(),
            channels.in_app.into(),
            channels.email_digest.into(),
            channels.realtime.into(),
            now.into(),
        ])
        .on_conflict(
            OnConflict::columns([
                NotificationPreferences::UserId,
                NotificationPreferences::Kind,
            ])
            .update_columns([
                NotificationPreferences::InApp,
                NotificationPreferences::EmailDigest,
                NotificationPreferences::Realtime,
                NotificationPreferences::UpdatedAt,
            ])
            .to_owned(),
        )
        .to_owned();
    conn.execute(&upsert).await?;
    Ok(())
}

/// Forgets the user's choice for `kind`; true when there was one.
pub async fn reset(conn: &impl ConnectionTrait, user: UserId, kind: &str) -> DbResult<bool> {
    let delete = Query::delete()
        .from_table(NotificationPreferences::Table)
        .and_where(Expr::col(NotificationPreferences::UserId).eq(user.0))
        .and_where(Expr::col(NotificationPreferences::Kind).eq(kind))
        .to_owned();
    Ok(conn.execute(&delete).await?.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_dotted_lowercase_words() {
        for good in [
            "forum.reply",
            "social.like",
            "default",
            "fantasy.pick_turn",
            "a1.b2.c3",
        ] {
            assert_eq!(check_kind(good), Ok(()), "{good}");
        }
        let long = "a".repeat(65);
        for bad in [
            "",
            "Forum.reply",
            "forum..reply",
            ".reply",
            "reply.",
            "forum reply",
            "forum-reply",
            long.as_str(),
        ] {
            assert!(check_kind(bad).is_err(), "{bad}");
        }
    }
}
