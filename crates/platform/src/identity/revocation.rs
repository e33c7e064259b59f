//! Revoked sessions, checked on every authenticated request.
//!
//! An access token lives 15 minutes and is not looked up in the database, so revoking a session
//! (logout, disable, refresh-token reuse, password reset) puts its id in this set until the last
//! token it issued has expired. The check is a hash-map look-up.
//!
//! This set is per process: it is filled on every revocation and, at start-up, from the sessions
//! revoked during the last token lifetime, so a restart forgets nothing. With several instances
//! on one Redis, each revocation is published there and applied by every instance
//! ([`super::follow_revocations`]), so a token stops everywhere within milliseconds; the check
//! itself stays a local look-up (no network round trip per request).

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::tokens::ACCESS_TOKEN_TTL;

#[derive(Default)]
pub struct Revocations {
    /// Session id → until when tokens of it may still be presented.
    revoked: RwLock<HashMap<Uuid, DateTime<Utc>>>,
}

impl Revocations {
    /// Marks `session` revoked as of `at`.
    pub fn revoke(&self, session: Uuid, at: DateTime<Utc>) {
        let until = at + ACCESS_TOKEN_TTL + chrono::Duration::minutes(1);
        let mut revoked = self.revoked.write().unwrap_or_else(|e| e.into_inner());
        // Forget entries whose tokens have all expired, so the map stays small.
        if revoked.len() > 1024 {
            let now = agora_core::time::now();
            revoked.retain(|_, until| *until > now);
        }
        revoked.insert(session, until);
    }

    pub fn is_revoked(&self, session: Uuid) -> bool {
        self.revoked
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&session)
    }
}

/// The message published for revoked sessions: `session@unix-seconds`, comma-separated.
pub fn encode(sessions: &[Uuid], at: DateTime<Utc>) -> String {
    sessions
        .iter()
        .map(|session| format!("{session}@{}", at.timestamp()))
        .collect::<Vec<_>>()
        .join(",")
}

/// The sessions of a published message; malformed entries are skipped.
pub fn decode(message: &str) -> Vec<(Uuid, DateTime<Utc>)> {
    message
        .split(',')
        .filter_map(|entry| {
            let (session, at) = entry.split_once('@')?;
            Some((
                session.parse().ok()?,
                DateTime::from_timestamp(at.parse().ok()?, 0)?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_message_round_trips_and_garbage_is_skipped() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let at = DateTime::from_timestamp(1_800_000_000, 0).expect("a time");
        assert_eq!(decode(&encode(&[a, b], at)), vec![(a, at), (b, at)]);
        assert_eq!(decode("nonsense,,x@y"), vec![]);
    }

    #[test]
    fn a_revoked_session_is_reported_and_others_are_not() {
        let revocations = Revocations::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        revocations.revoke(a, agora_core::time::now());
        assert!(revocations.is_revoked(a));
        assert!(!revocations.is_revoked(b));
    }
}
