//! What makes two errors the same one (the fingerprint), and the caps on what is stored.

use sha2::{Digest, Sha256};

/// Longest message kept, in characters (longer is cut, with `…`).
pub const MESSAGE_CHARS: usize = 1000;
/// Longest detail (a stack, a cause) kept, in characters.
pub const DETAIL_CHARS: usize = 16 * 1024;

/// Where an error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Server,
    Client,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Server => "server",
            Source::Client => "client",
        }
    }
}

/// `message` with every word that holds a digit (numbers, ids, UUIDs, hashes) replaced by
/// `#`: "post 0193… not found" and "post 0194… not found" are one error.
pub fn normalize(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.chars().any(|c| c.is_ascii_digit()) {
            out.push('#');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in message.chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The fingerprint of an error: SHA-256 (hex) of its source, route template, kind and
/// normalised message.
pub fn fingerprint(source: Source, route: Option<&str>, kind: &str, message: &str) -> String {
    let mut hash = Sha256::new();
    for part in [
        source.as_str(),
        route.unwrap_or(""),
        kind,
        &normalize(message),
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hex::encode(hash.finalize())
}

/// `text` cut to `chars` characters (marked with `…` when cut).
pub fn cap(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_numbers_do_not_split_an_error() {
        assert_eq!(
            normalize("post 0193f2a4-77c1-7d0e-9b4c-1e2f3a4b5c6d not found after 12 ms"),
            "post # not found after # ms"
        );
        assert_eq!(
            fingerprint(
                Source::Server,
                Some("/api/v1/posts/{id}"),
                "internal",
                "row 17 gone"
            ),
            fingerprint(
                Source::Server,
                Some("/api/v1/posts/{id}"),
                "internal",
                "row 4242 gone"
            ),
        );
    }

    #[test]
    fn the_route_source_and_kind_do_split_errors() {
        let base = fingerprint(Source::Server, Some("/a"), "internal", "boom");
        assert_ne!(
            base,
            fingerprint(Source::Client, Some("/a"), "internal", "boom")
        );
        assert_ne!(
            base,
            fingerprint(Source::Server, Some("/b"), "internal", "boom")
        );
        assert_ne!(
            base,
            fingerprint(Source::Server, Some("/a"), "panic", "boom")
        );
        assert_ne!(
            base,
            fingerprint(Source::Server, Some("/a"), "internal", "bang")
        );
    }

    #[test]
    fn long_text_is_cut_on_a_character() {
        assert_eq!(cap("héllo", 2), "hé…");
        assert_eq!(cap("hi", 2), "hi");
    }
}
