//! The clock, at the precision the databases keep, and the one rule for times clients send.
//!
//! PostgreSQL stores microseconds; a time with nanoseconds would come back different from what
//! was written, and a list cursor holding it would no longer match its row. Every time that is
//! stored, compared or put in a cursor goes through [`now`] or [`to_stored`].
//!
//! A time in a request is a [`Timestamp`]: RFC 3339 with a four-digit year (0001–9999). chrono
//! alone also reads `+10000-01-01T00:00:00Z`, which no RFC 3339 client can read back, which
//! PostgreSQL and SQLite order differently (SQLite compares the stored text), and which cannot
//! round-trip through a list cursor.

use std::fmt;

use chrono::{DateTime, Datelike, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

/// A time sent by a client: RFC 3339, in the years 0001–9999, kept to the microsecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ToSchema)]
#[schema(value_type = String, format = DateTime, example = "2026-01-31T12:00:00Z")]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Parses an RFC 3339 time (any offset, turned to UTC); years outside 0001–9999 are refused.
    pub fn parse(text: &str) -> Result<Timestamp, String> {
        const RULE: &str = "must be an RFC 3339 time in the years 0001 to 9999, like \
                            2026-01-31T12:00:00Z";
        let time = DateTime::parse_from_rfc3339(text)
            .map_err(|err| format!("{RULE} ({err})"))?
            .with_timezone(&Utc);
        if !(1..=9999).contains(&time.year()) {
            return Err(format!("{RULE} (in UTC)"));
        }
        Ok(Timestamp(to_stored(time)))
    }

    pub fn get(self) -> DateTime<Utc> {
        self.0
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(time: Timestamp) -> Self {
        time.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// The current time, truncated to microseconds. The only caller of `Utc::now` (clippy's
/// `disallowed-methods` refuses it elsewhere).
#[allow(clippy::disallowed_methods)]
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
    fn a_timestamp_is_rfc3339_in_the_years_1_to_9999() {
        for text in [
            "+10000-01-01T00:00:00Z",
            "-0001-01-01T00:00:00Z",
            "0000-12-31T23:59:59Z",
            "0001-01-01T00:30:00+01:00",
            "9999-12-31T23:00:00-01:00",
            "2026-01-31",
            "2026-01-31 12:00:00",
            "",
        ] {
            assert!(Timestamp::parse(text).is_err(), "{text}");
        }
        for text in [
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
            "2026-01-31T12:00:00+02:00",
        ] {
            assert!(Timestamp::parse(text).is_ok(), "{text}");
        }
        let parsed = Timestamp::parse("2026-01-31T14:00:00.1234567+02:00").map(|t| t.to_string());
        assert_eq!(parsed.as_deref(), Ok("2026-01-31T12:00:00.123456Z"));
    }

    #[test]
    fn a_timestamp_in_json_names_the_rule() {
        let err = serde_json::from_str::<Timestamp>("\"+10000-01-01T00:00:00Z\"")
            .map_err(|e| e.to_string());
        assert!(err.is_err_and(|e| e.contains("0001 to 9999")));
    }

    #[test]
    fn stored_times_keep_microseconds_and_drop_nanoseconds() {
        let time = DateTime::parse_from_rfc3339("2026-11-23T10:00:00.123456789Z")
            .map(|t| t.with_timezone(&Utc))
            .ok();
        let stored = time.map(to_stored).map(|t| t.to_rfc3339());
        assert_eq!(stored.as_deref(), Some("2026-11-23T10:00:00.123456+00:00"));
    }
}
