//! What a post may hold.

use agora_core::{FieldCode, Invalid};

/// The most characters of a post, after trimming.
pub const CONTENT_MAX: usize = 2_000;

/// A post's text: at most 2,000 characters (Unicode scalar values) as sent, not blank, and
/// trimmed. The length is checked before trimming, as the document's `maxLength` states it.
pub fn content(value: &str) -> Result<String, Invalid> {
    let length = value.chars().count();
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new(FieldCode::TooShort, "a post needs some text"));
    }
    if length > CONTENT_MAX {
        return Err(Invalid::new(
            FieldCode::TooLong,
            format!("a post holds at most {CONTENT_MAX} characters; this one has {length}"),
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_trimmed_and_1_to_2000_characters() {
        assert_eq!(
            content("  hello \n").map_err(|e| e.code),
            Ok("hello".to_owned())
        );
        assert_eq!(
            content(" \n\t ").map_err(|e| e.code),
            Err(FieldCode::TooShort)
        );
        let longest = "é".repeat(CONTENT_MAX);
        assert_eq!(
            content(&longest).map(|c| c.chars().count()),
            Ok(CONTENT_MAX)
        );
        let too_long = "é".repeat(CONTENT_MAX + 1);
        assert_eq!(
            content(&too_long).map_err(|e| e.code),
            Err(FieldCode::TooLong)
        );
    }
}
