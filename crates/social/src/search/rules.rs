//! How the text of a search is read: its length, the words of a post search, and the
//! prefixes of the user and ticker searches.

use agora_core::{FieldCode, Invalid};

/// The most characters of `q`.
pub const QUERY_MAX: usize = 200;

/// The text searched for: 1 to [`QUERY_MAX`] characters as sent, trimmed. It may be blank
/// once trimmed (or hold no word at all): then nothing matches.
pub fn query(value: &str) -> Result<&str, Invalid> {
    if value.is_empty() {
        return Err(Invalid::new(FieldCode::TooShort, "say what to look for"));
    }
    let length = value.chars().count();
    if length > QUERY_MAX {
        return Err(Invalid::new(
            FieldCode::TooLong,
            format!("a search holds at most {QUERY_MAX} characters; this one has {length}"),
        ));
    }
    Ok(value.trim())
}

/// The words of a post search: the runs of letters and digits, as the SQLite tokenizer
/// (`unicode61`) cuts them; everything else separates words. Empty when there is nothing to
/// look for.
pub fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect()
}

/// An FTS5 query that finds the posts holding every word, whatever the words hold: each is a
/// quoted string (a `"` inside is doubled), so `AND`, `NEAR(`, `*` or `^` are words, never
/// query syntax.
pub fn fts5_query(words: &[&str]) -> String {
    words
        .iter()
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The start of a username or display name to look for: lower case, without one leading `@`.
pub fn name_prefix(text: &str) -> String {
    text.strip_prefix('@').unwrap_or(text).trim().to_lowercase()
}

/// The start of a ticker symbol to look for (`$aa` → `AA`), if `text` can start one: 1–10
/// letters, digits or dots after one leading `$` or `#`.
pub fn ticker_prefix(text: &str) -> Option<String> {
    let symbol = text.trim_start_matches(['$', '#']).to_ascii_uppercase();
    let valid = (1..=10).contains(&symbol.len())
        && symbol
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.');
    valid.then_some(symbol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_at_most_200_characters_and_trimmed() {
        assert_eq!(query("  moon  ").map_err(|e| e.code), Ok("moon"));
        assert_eq!(query("  ").map_err(|e| e.code), Ok(""));
        assert_eq!(query("").map_err(|e| e.code), Err(FieldCode::TooShort));
        assert_eq!(query(&"é".repeat(QUERY_MAX)).map(str::len), Ok(400));
        assert_eq!(
            query(&"é".repeat(QUERY_MAX + 1)).map_err(|e| e.code),
            Err(FieldCode::TooLong)
        );
    }

    #[test]
    fn words_are_runs_of_letters_and_digits() {
        assert_eq!(words("$AAPL to the moon!"), ["AAPL", "to", "the", "moon"]);
        assert_eq!(words("héllo, wörld 42"), ["héllo", "wörld", "42"]);
        for nothing in ["", "  ", "\"", "*", "()", "🚀🚀", "-+^:"] {
            assert!(words(nothing).is_empty(), "{nothing:?}");
        }
    }

    #[test]
    fn fts5_queries_quote_every_word() {
        assert_eq!(
            fts5_query(&words("AND NEAR(a b) c*")),
            r#""AND" "NEAR" "a" "b" "c""#
        );
        assert_eq!(fts5_query(&["a\"b"]), r#""a""b""#);
    }

    #[test]
    fn prefixes_are_normalised() {
        assert_eq!(name_prefix("@Alice"), "alice");
        assert_eq!(name_prefix("Émile"), "émile");
        assert_eq!(ticker_prefix("$aa"), Some("AA".to_owned()));
        assert_eq!(ticker_prefix("#brk.b"), Some("BRK.B".to_owned()));
        for not_a_ticker in ["", "$", "hello world", "ÄPL", "TOOLONGSYMBOL", "a%"] {
            assert_eq!(ticker_prefix(not_a_ticker), None, "{not_a_ticker}");
        }
    }
}
