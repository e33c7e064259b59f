//! A constructor's team name: one line of 1 to 50 characters, unique in its league whatever
//! its case (`Red Arrows` and `red arrows` are one name).

use agora_core::Invalid;

pub const TEAM_NAME_MAX: usize = 50;

/// The name as stored: trimmed, 1–50 characters of one line.
pub fn team_name(value: &str) -> Result<String, Invalid> {
    crate::leagues::rules::one_line(value, TEAM_NAME_MAX)
}

/// What two names must not share in one league: the name lower-cased (Unicode's rules, so
/// `ÉCURIE` and `écurie` are one name).
pub fn team_key(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use agora_core::FieldCode;

    use super::*;

    #[test]
    fn team_names_are_one_line_of_1_to_50_characters() {
        assert_eq!(
            team_name(" Red Arrows ").ok(),
            Some("Red Arrows".to_owned())
        );
        assert_eq!(team_name("").map_err(|e| e.code), Err(FieldCode::Required));
        assert_eq!(
            team_name(&"x".repeat(51)).map_err(|e| e.code),
            Err(FieldCode::TooLong)
        );
        assert_eq!(
            team_name("a\tb").map_err(|e| e.code),
            Err(FieldCode::ControlCharacter)
        );
    }

    #[test]
    fn names_differing_in_case_share_a_key() {
        assert_eq!(team_key("Red Arrows"), team_key("RED ARROWS"));
        assert_eq!(team_key("ÉCURIE"), team_key("écurie"));
        assert_ne!(team_key("Red Arrows"), team_key("Red Arrow"));
    }
}
