//! Which channels a user wants, per kind of notification: a row per kind the user has chosen
//! for, a `default` row for every other kind, and [`Channels::DEFAULT`] without either. The
//! rules are here; reading and writing the rows is `super::queries`'s.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::notification_preferences as preferences;

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

impl From<&preferences::Model> for Channels {
    fn from(row: &preferences::Model) -> Self {
        Channels {
            in_app: row.in_app,
            email_digest: row.email_digest,
            realtime: row.realtime,
        }
    }
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
