//! When a post may be edited.

use chrono::{DateTime, Duration, Utc};

/// Whether a post published at `created_at` may still be edited at `now` with a window of
/// `minutes` (0: never). The window's end itself is outside it.
pub fn within_window(created_at: DateTime<Utc>, now: DateTime<Utc>, minutes: u32) -> bool {
    now < created_at + Duration::minutes(i64::from(minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_counts_from_publishing_and_ends_at_its_end() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        assert!(within_window(at, at, 15));
        assert!(within_window(at, at + Duration::seconds(899), 15));
        assert!(!within_window(at, at + Duration::minutes(15), 15));
        assert!(!within_window(at, at, 0));
    }
}
