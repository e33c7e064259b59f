//! The rule for text in every request: no control characters.
//!
//! PostgreSQL refuses NUL in `text` (a 500 if it reached a query) while SQLite stores it
//! silently, and the other C0 controls have no business in user text either. So every string a
//! request brings is checked once, at the edge, the same way on both databases: the shared
//! extractors of [`crate::extract`] apply [`check`] to every string of a JSON body (keys too),
//! every query parameter and every path parameter, before a handler sees them. Tab, line feed
//! and carriage return pass there, because multi-line fields (a description, a post) hold them;
//! a field that must be one line says so with [`check_single_line`] in its own rules.

use std::fmt;

/// [`check`] as a JSON Schema `pattern` (ECMA-262, also read by Python's `re` and Rust's
/// `regex`): the OpenAPI document puts it on every request string that has no stricter
/// pattern, so clients and fuzzers know the rule.
pub const PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$";

/// [`check_single_line`] as a pattern, for one-line fields: `#[schema(pattern = …)]` takes a
/// literal only, so annotations spell it out; a test of the document checks they agree.
pub const SINGLE_LINE_PATTERN: &str = "^[^\\u0000-\\u001F]*$";

/// One line with at least one character that is not a space: a required name or title that
/// is trimmed before it is checked.
pub const NOT_BLANK_SINGLE_LINE_PATTERN: &str =
    "^[^\\u0000-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u001F]*$";

/// Text with at least one character that is not a space (line breaks and tabs allowed): a
/// required body, such as a post's, that is trimmed before it is checked.
pub const NOT_BLANK_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$";

/// Why a text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlCharacter(pub char);

impl fmt::Display for ControlCharacter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "must not contain control characters (found U+{:04X})",
            u32::from(self.0)
        )
    }
}

impl std::error::Error for ControlCharacter {}

impl From<ControlCharacter> for crate::error::Invalid {
    fn from(err: ControlCharacter) -> Self {
        crate::error::Invalid::new(crate::error::FieldCode::ControlCharacter, err.to_string())
    }
}

/// Refuses NUL and the other C0 control characters, except tab, line feed and carriage return.
pub fn check(text: &str) -> Result<(), ControlCharacter> {
    match text
        .chars()
        .find(|c| matches!(c, '\0'..='\u{1f}') && !matches!(c, '\t' | '\n' | '\r'))
    {
        Some(c) => Err(ControlCharacter(c)),
        None => Ok(()),
    }
}

/// [`check`], and no tab or line break either: for names, titles and other one-line fields.
pub fn check_single_line(text: &str) -> Result<(), ControlCharacter> {
    check(text)?;
    match text.chars().find(|c| matches!(c, '\t' | '\n' | '\r')) {
        Some(c) => Err(ControlCharacter(c)),
        None => Ok(()),
    }
}

/// An optional text field: longer than `max` characters is refused; then trimmed, and empty
/// is none.
pub fn optional_text(
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, crate::error::Invalid> {
    // Counted as sent, before trimming: the OpenAPI document's `maxLength` is about the value
    // sent, and a limit that padding could stretch would be no limit for a client's validator.
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        return Err(crate::error::Invalid::new(
            crate::error::FieldCode::TooLong,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()))
}

/// [`optional_text`] for a field of one line (a name, a place): tabs and line breaks are refused.
pub fn optional_line(
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, crate::error::Invalid> {
    // Checked before trimming, as the documented pattern says: a line break at either end is
    // refused too, not trimmed away.
    if let Some(line) = &value {
        check_single_line(line)?;
    }
    optional_text(value, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patterns_state_the_rules() {
        let any = regex::Regex::new(PATTERN).expect("PATTERN compiles");
        let one_line = regex::Regex::new(SINGLE_LINE_PATTERN).expect("compiles");
        let not_blank = regex::Regex::new(NOT_BLANK_SINGLE_LINE_PATTERN).expect("compiles");
        let not_blank_text = regex::Regex::new(NOT_BLANK_PATTERN).expect("compiles");
        for c in (0u32..=0x3000).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            assert_eq!(any.is_match(&text), check(&text).is_ok(), "{c:?}");
            assert_eq!(
                one_line.is_match(&text),
                check_single_line(&text).is_ok(),
                "{c:?}"
            );
            let alone = c.to_string();
            assert_eq!(
                not_blank_text.is_match(&alone),
                check(&alone).is_ok() && !alone.trim().is_empty(),
                "{c:?}"
            );
            let padded = format!("\n{c}\t");
            assert_eq!(
                not_blank_text.is_match(&padded),
                check(&padded).is_ok() && !padded.trim().is_empty(),
                "{c:?}"
            );
            assert_eq!(
                not_blank.is_match(&alone),
                check_single_line(&alone).is_ok() && !alone.trim().is_empty(),
                "{c:?}"
            );
        }
    }

    #[test]
    fn optional_texts_are_trimmed_and_bounded_by_characters() {
        assert_eq!(
            optional_text(Some("  hi ".into()), 5),
            Ok(Some("hi".into()))
        );
        assert_eq!(optional_text(Some("   ".into()), 5), Ok(None));
        assert_eq!(
            optional_text(Some("é".repeat(160)), 160).map(|v| v.map(|v| v.chars().count())),
            Ok(Some(160))
        );
        assert!(optional_text(Some("a".repeat(161)), 160).is_err());
        // Counted as sent: padding does not stretch the limit the schema states.
        assert!(optional_text(Some(format!(" {} ", "a".repeat(159))), 160).is_err());
        assert_eq!(
            optional_text(Some("a\nb".into()), 5),
            Ok(Some("a\nb".into()))
        );
        assert!(optional_line(Some("a\nb".into()), 5).is_err());
        assert!(optional_line(Some("\rab".into()), 5).is_err());
        assert_eq!(
            optional_line(Some(" a b ".into()), 5),
            Ok(Some("a b".into()))
        );
    }

    #[test]
    fn nul_and_other_c0_controls_are_refused() {
        for text in ["a\0b", "\u{1}", "bell\u{7}", "esc\u{1b}[31m", "\u{1f}"] {
            assert!(check(text).is_err(), "{text:?}");
        }
        assert_eq!(check("a\0b"), Err(ControlCharacter('\0')));
    }

    #[test]
    fn tabs_and_line_breaks_pass_unless_the_field_is_one_line() {
        let text = "line one\r\n\tline two";
        assert!(check(text).is_ok());
        assert_eq!(check_single_line(text), Err(ControlCharacter('\r')));
        assert!(check_single_line("Ünïcödé, emoji 🚀 and DEL\u{7f}").is_ok());
    }

    #[test]
    fn the_message_names_the_character() {
        assert_eq!(
            ControlCharacter('\0').to_string(),
            "must not contain control characters (found U+0000)"
        );
    }
}
