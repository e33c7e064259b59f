//! The rules of a league as plain functions: its name, description and size, and its join
//! code (8 characters of an alphabet without the look-alikes I, L, O, 0 and 1, so a code read
//! aloud or copied by hand is typed right).

use agora_core::{FieldCode, Invalid};
use rand::Rng;

pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 1000;
pub const MIN_TEAMS: i32 = 2;
pub const MAX_TEAMS: i32 = 20;

/// The characters of a join code: capital letters and digits but I, L, O, 0 and 1.
pub const JOIN_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const JOIN_CODE_LENGTH: usize = 8;
/// [`join_code`] as the OpenAPI document states it (either case).
pub const JOIN_CODE_PATTERN: &str = "^[A-HJKMNP-Za-hjkmnp-z2-9]{8}$";

/// 1–100 characters of one line, once trimmed.
pub fn name(value: &str) -> Result<String, Invalid> {
    one_line(value, NAME_MAX)
}

/// At most 1,000 characters once trimmed; empty is none.
pub fn description(value: Option<String>) -> Result<Option<String>, Invalid> {
    agora_core::text::optional_text(value, DESCRIPTION_MAX)
}

/// 2 to 20 constructors.
pub fn max_teams(value: i32) -> Result<i32, Invalid> {
    if (MIN_TEAMS..=MAX_TEAMS).contains(&value) {
        Ok(value)
    } else {
        Err(Invalid::new(
            FieldCode::OutOfRange,
            format!("must be from {MIN_TEAMS} to {MAX_TEAMS}"),
        ))
    }
}

/// A required text of one line, trimmed, of 1 to `max` characters.
pub fn one_line(value: &str, max: usize) -> Result<String, Invalid> {
    // Checked before trimming, as the documented pattern says.
    agora_core::text::check_single_line(value)?;
    let value = value.trim();
    match value.chars().count() {
        0 => Err(Invalid::new(FieldCode::Required, "must not be empty")),
        n if n > max => Err(Invalid::new(
            FieldCode::TooLong,
            format!("must be at most {max} characters"),
        )),
        _ => Ok(value.to_owned()),
    }
}

/// A new join code from `rng`.
pub fn join_code(rng: &mut impl Rng) -> String {
    (0..JOIN_CODE_LENGTH)
        .map(|_| {
            let index = rng.random_range(0..JOIN_CODE_ALPHABET.len());
            char::from(JOIN_CODE_ALPHABET[index])
        })
        .collect()
}

/// A code as a user typed it, in the form it is stored: upper case, 8 characters of the
/// alphabet.
pub fn parse_join_code(value: &str) -> Result<String, Invalid> {
    let code = value.trim().to_ascii_uppercase();
    let valid =
        code.len() == JOIN_CODE_LENGTH && code.bytes().all(|b| JOIN_CODE_ALPHABET.contains(&b));
    if valid {
        Ok(code)
    } else {
        Err(Invalid::new(
            FieldCode::InvalidFormat,
            "must be the league's 8-character join code (letters and digits but I, L, O, 0 and 1)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_trimmed_line_of_1_to_100_characters() {
        assert_eq!(
            name("  Paddock Club ").ok(),
            Some("Paddock Club".to_owned())
        );
        assert_eq!(name("  ").map_err(|e| e.code), Err(FieldCode::Required));
        assert_eq!(
            name("a\nb").map_err(|e| e.code),
            Err(FieldCode::ControlCharacter)
        );
        assert_eq!(name(&"é".repeat(100)).map(|n| n.chars().count()), Ok(100));
        assert_eq!(
            name(&"é".repeat(101)).map_err(|e| e.code),
            Err(FieldCode::TooLong)
        );
    }

    #[test]
    fn a_league_has_2_to_20_teams() {
        assert!(max_teams(1).is_err());
        assert!(max_teams(21).is_err());
        assert_eq!(max_teams(2).ok(), Some(2));
        assert_eq!(max_teams(20).ok(), Some(20));
    }

    #[test]
    fn join_codes_use_the_unambiguous_alphabet_and_are_read_in_any_case() {
        let mut rng = rand::rng();
        for _ in 0..200 {
            let code = join_code(&mut rng);
            assert_eq!(code.len(), JOIN_CODE_LENGTH);
            assert!(!code.contains(['I', 'L', 'O', '0', '1']), "{code}");
            assert_eq!(
                parse_join_code(&code.to_lowercase()).ok(),
                Some(code.clone())
            );
            assert!(pattern().is_match(&code), "{code}");
        }
        for bad in [
            "ABCDEFG",
            "ABCDEFGHJ",
            "ABCDEFG1",
            "ABCDEFGO",
            "ABCD EFG",
            "",
        ] {
            assert!(parse_join_code(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_join_code(" abcdefgh ").ok(),
            Some("ABCDEFGH".to_owned())
        );
    }

    fn pattern() -> regex::Regex {
        regex::Regex::new(JOIN_CODE_PATTERN).expect("the pattern compiles")
    }

    #[test]
    fn the_documented_pattern_accepts_what_the_parser_accepts() {
        assert_eq!(JOIN_CODE_ALPHABET.len(), 31);
        for c in (0u8..=127).map(char::from) {
            let code = c.to_string().repeat(8);
            assert_eq!(
                pattern().is_match(&code),
                parse_join_code(&code).is_ok(),
                "{c:?}"
            );
        }
    }
}
