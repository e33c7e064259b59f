//! Finding the people a post mentions: `@alice`.
//!
//! A mention is `@` and a username (3–30 ASCII letters, digits or `_`, the rule of
//! `agora_platform::identity::names::Username`) that starts a word (the start of the text,
//! white space, or an opening bracket or quote before it) and ends one (not followed by a
//! letter, digit, `_` or `@`). So `bob@example.com` mentions nobody, and `@alice.` at the end
//! of a sentence is `alice`. Names are returned in the form uniqueness is checked on
//! (lower case), each once, in order of first appearance; which of them are accounts is for
//! the caller to look up.

use crate::tickers::is_opening;

/// The shortest and longest username.
const NAME_MIN: usize = 3;
const NAME_MAX: usize = 30;

/// The usernames `text` mentions, lower-cased, each once, in order of first appearance.
pub fn mentions_in(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut previous: Option<char> = None;
    for (at, c) in text.char_indices() {
        let starts_word = previous.is_none_or(|p| p.is_whitespace() || is_opening(p));
        if c == '@' && starts_word {
            let name: String = text[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let next = text[at + 1 + name.len()..].chars().next();
            let ends_word =
                next.is_none_or(|n| !(n.is_ascii_alphanumeric() || n == '_' || n == '@'));
            if (NAME_MIN..=NAME_MAX).contains(&name.len()) && ends_word {
                let key = name.to_ascii_lowercase();
                if !found.contains(&key) {
                    found.push(key);
                }
            }
        }
        previous = Some(c);
    }
    found
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn real_world_strings() {
        let cases: &[(&str, &[&str])] = &[
            ("@alice what do you think?", &["alice"]),
            ("cc @Alice @bob_99 and @ALICE", &["alice", "bob_99"]),
            ("thanks @carol.", &["carol"]),
            ("(@dave) and \"@erin\"", &["dave", "erin"]),
            ("write to bob@example.com", &[]),
            ("@al is too short", &[]),
            ("@a_name_that_is_far_too_long_to_be_one", &[]),
            ("@@alice", &[]),
            ("@alice@example.com", &[]),
            ("@", &[]),
            ("email@ frank", &[]),
            ("@frank's idea", &["frank"]),
            ("@grace, @heidi; @ivan!", &["grace", "heidi", "ivan"]),
            ("@jürgen", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(mentions_in(text), *expected, "{text:?}");
        }
    }

    proptest! {
        /// Whatever the text, every mention found is a well-formed, lower-case name, once.
        #[test]
        fn anything_gives_well_formed_distinct_names(text in "\\PC{0,200}") {
            let found = mentions_in(&text);
            for name in &found {
                prop_assert!((NAME_MIN..=NAME_MAX).contains(&name.len()), "{name}");
                prop_assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
            }
            let mut distinct = found.clone();
            distinct.sort();
            distinct.dedup();
            prop_assert_eq!(distinct.len(), found.len());
        }

        /// A mention written as its own word is found; the same name inside an address is not.
        #[test]
        fn a_mention_is_found_and_an_address_is_not(name in "[A-Za-z0-9_]{3,30}") {
            let mention = format!("hi @{name} there");
            prop_assert_eq!(mentions_in(&mention), vec![name.to_ascii_lowercase()]);
            let address = format!("mail x{name}@example.com");
            prop_assert!(mentions_in(&address).is_empty(), "{address}");
        }
    }
}
