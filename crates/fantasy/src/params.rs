//! Checks of the parameters several routes share: a season, a bounded text.

use agora_core::{ApiError, FieldCode};

/// Seasons Jolpica has, and some to come: the range a `season` parameter accepts.
pub const FIRST_SEASON: i32 = 1950;
pub const LAST_SEASON: i32 = 2100;

/// `season` in the accepted range, else a 422 on `field`.
pub fn check_season(field: &str, season: i32) -> Result<i32, ApiError> {
    if (FIRST_SEASON..=LAST_SEASON).contains(&season) {
        Ok(season)
    } else {
        Err(ApiError::invalid_field(
            field,
            FieldCode::OutOfRange,
            format!("must be a season from {FIRST_SEASON} to {LAST_SEASON}"),
        ))
    }
}

/// A text parameter of at most `max` characters (trimmed; empty means absent).
pub fn check_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match value.map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) if text.chars().count() > max => Err(ApiError::invalid_field(
            field,
            FieldCode::TooLong,
            format!("must be at most {max} characters"),
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasons_outside_the_range_are_refused() {
        assert!(check_season("season", 1949).is_err());
        assert!(check_season("season", 2101).is_err());
        assert_eq!(check_season("season", 2024).ok(), Some(2024));
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(check_text("q", Some("  "), 3).ok(), Some(None));
        assert_eq!(
            check_text("q", Some(" abc "), 3).ok(),
            Some(Some("abc".to_owned()))
        );
        assert!(check_text("q", Some("abcd"), 3).is_err());
    }
}
