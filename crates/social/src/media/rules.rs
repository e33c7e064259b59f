//! How many media a post may show.

use agora_core::{FieldCode, FieldError};

/// The most media of a post.
pub const MEDIA_MAX: usize = 4;

/// The media keys of a new post (`media`): at most 4, none twice. Every failure is reported.
pub fn keys(keys: &[String]) -> Result<(), Vec<FieldError>> {
    if keys.len() > MEDIA_MAX {
        return Err(vec![FieldError::new(
            "media",
            FieldCode::TooLong,
            format!(
                "a post shows at most {MEDIA_MAX} media; this one has {}",
                keys.len()
            ),
        )]);
    }
    let errors: Vec<FieldError> = keys
        .iter()
        .enumerate()
        .filter(|(n, key)| keys[..*n].contains(key))
        .map(|(n, _)| {
            FieldError::new(
                format!("media[{n}]"),
                FieldCode::Duplicate,
                "the same upload twice",
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn at_most_four_media_none_twice() {
        assert!(keys(&[]).is_ok());
        assert!(keys(&of(&["a", "b", "c", "d"])).is_ok());
        let too_many = keys(&of(&["a", "b", "c", "d", "e"])).unwrap_err();
        assert_eq!(
            (too_many[0].field.as_str(), too_many[0].code),
            ("media", FieldCode::TooLong)
        );
        let twice = keys(&of(&["a", "b", "a"])).unwrap_err();
        assert_eq!(twice.len(), 1);
        assert_eq!(
            (twice[0].field.as_str(), twice[0].code),
            ("media[2]", FieldCode::Duplicate)
        );
    }
}
