//! The clock, at the precision the databases keep.
//!
//! PostgreSQL stores microseconds; a time with nanoseconds would come back different from what
//! was written, and a list cursor holding it would no longer match its row. Every time that is
//! stored, compared or put in a cursor goes through [`now`] or [`to_stored`].

use chrono::{DateTime, SubsecRound, Utc};

/// The current time, truncated to microseconds.
pub fn now() -> DateTime<Utc> {
    to_stored(Utc::now())
}

/// `time` truncated to microseconds, as the database will hold it.
pub fn to_stored(time: DateTime<Utc>) -> DateTime<Utc> {
    time.trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_keep_microseconds_and_drop_nanoseconds() {
        let time = DateTime::parse_from_rfc3339("2026-11-23T10:00:00.123456789Z")
            .map(|t| t.with_timezone(&Utc))
            .ok();
        let stored = time.map(to_stored).map(|t| t.to_rfc3339());
        assert_eq!(stored.as_deref(), Some("2026-11-23T10:00:00.123456+00:00"));
    }
}
