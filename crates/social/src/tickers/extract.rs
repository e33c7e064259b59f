//! Finding the tickers a post names: `$AAPL`, `#TSLA`, `$BRK.B`.
//!
//! A cashtag is `$` or `#`, then 1–5 ASCII letters, then optionally a share-class suffix of `.`
//! and 1–2 letters; it is upper-cased, and each ticker is listed once, in the order it first
//! appears. What people write around prices and links decides the rest:
//!
//! - it starts a word: at the start of the text, after white space, or after an opening
//!   bracket or quote (`($AAPL)`, `"$AAPL"`), or right after another cashtag and a `/`
//!   (`$AAPL/$MSFT`, a pair);
//! - it ends a word: the next character is not a letter, digit, `_`, `$`, `#` or `@`, nor a
//!   `.` and letters that are no class (so `$AAPL.` at the end of a sentence is `AAPL`, while
//!   `$AAPLX1`, `$TOOLONG` and `$AAPL.com` are nothing);
//! - money is not a ticker: `$100`, `$5.99`, `$1.2B` start with a digit;
//! - nothing inside a link or an e-mail address counts: a word holding `://`, starting with
//!   `www.`, or holding `@` is skipped whole (`https://x.com/#AAPL`, `me$AAPL@mail.com`).

use super::Ticker;

/// The most letters of a ticker's root (`GOOGL`) and of its class suffix (`BRK.B`, `RDS.A`).
const ROOT_MAX: usize = 5;
const CLASS_MAX: usize = 2;

/// The tickers `text` names, upper-cased, each once, in order of first appearance.
pub fn tickers_in(text: &str) -> Vec<Ticker> {
    let mut found: Vec<Ticker> = Vec::new();
    for word in text.split(char::is_whitespace) {
        if is_link_or_address(word) {
            continue;
        }
        for symbol in cashtags_in_word(word) {
            if !found.iter().any(|t| t.as_str() == symbol) {
                found.push(Ticker(symbol));
            }
        }
    }
    found
}

fn is_link_or_address(word: &str) -> bool {
    word.contains("://")
        || word.contains('@')
        || word
            .get(..4)
            .is_some_and(|start| start.eq_ignore_ascii_case("www."))
}

/// The cashtags of one word (no white space in it).
fn cashtags_in_word(word: &str) -> Vec<String> {
    let bytes = word.as_bytes();
    let mut symbols = Vec::new();
    // Where the last cashtag ended: a `/` right after it may start another.
    let mut last_end = None;
    let mut previous: Option<(usize, char)> = None;
    let mut chars = word.char_indices();
    while let Some((at, c)) = chars.next() {
        let starts_word = match previous {
            None => true,
            Some((before, '/')) => last_end == Some(before),
            Some((_, p)) => is_opening(p),
        };
        if (c == '$' || c == '#')
            && starts_word
            && let Some((symbol, end)) = cashtag_at(bytes, at + 1)
        {
            symbols.push(symbol);
            last_end = Some(end);
            // The cashtag is ASCII: skip its characters.
            for _ in at + 1..end {
                chars.next();
            }
            previous = Some((end - 1, char::from(bytes[end - 1])));
            continue;
        }
        previous = Some((at, c));
    }
    symbols
}

/// Brackets, quotes and emphasis marks that may stand before a cashtag or a mention (the start
/// of a word that is not the start of the text).
pub fn is_opening(c: char) -> bool {
    matches!(
        c,
        '(' | '[' | '{' | '<' | '"' | '\'' | '*' | '“' | '‘' | '«' | '„' | '¡' | '¿'
    )
}

/// The symbol that starts at `start` (just after the `$` or `#`) and the index after it, if
/// one does and it ends a word.
fn cashtag_at(bytes: &[u8], start: usize) -> Option<(String, usize)> {
    let root = letters(bytes, start);
    if root == 0 || root > ROOT_MAX {
        return None;
    }
    let mut end = start + root;
    // A share class: `.B`. A full stop ending a sentence (`$AAPL. Then…`) ends the ticker;
    // a `.` followed by anything else that is no class continues the word (`$BRK.BBB`,
    // `$AAPL.com`), which is then no ticker.
    if bytes.get(end) == Some(&b'.') {
        let class = letters(bytes, end + 1);
        if (1..=CLASS_MAX).contains(&class) && ends_word(bytes, end + 1 + class) {
            end += 1 + class;
        } else if class > 0 {
            return None;
        }
    }
    if !ends_word(bytes, end) {
        return None;
    }
    let symbol = std::str::from_utf8(&bytes[start..end])
        .ok()?
        .to_ascii_uppercase();
    Some((symbol, end))
}

/// How many ASCII letters stand from `from` on.
fn letters(bytes: &[u8], from: usize) -> usize {
    bytes.get(from..).map_or(0, |rest| {
        rest.iter().take_while(|b| b.is_ascii_alphabetic()).count()
    })
}

/// Whether a cashtag may end before `at`: the end of the word, or a character that cannot
/// continue one (punctuation, a non-ASCII character), but not a letter, digit, `_`, `$`, `#`
/// or `@`.
fn ends_word(bytes: &[u8], at: usize) -> bool {
    match bytes.get(at) {
        None => true,
        Some(b) => !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'#' | b'@')),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn symbols(text: &str) -> Vec<String> {
        tickers_in(text).into_iter().map(String::from).collect()
    }

    /// What people write, and what a reader would call the tickers in it.
    #[test]
    fn real_world_strings() {
        let cases: &[(&str, &[&str])] = &[
            ("$AAPL to the moon", &["AAPL"]),
            ("Long $aapl and #tsla", &["AAPL", "TSLA"]),
            ("$BRK.B beats $brk.a", &["BRK.B", "BRK.A"]),
            ("Bought $AAPL. Then sold.", &["AAPL"]),
            ("($NVDA), [$AMD] and \"$INTC\"", &["NVDA", "AMD", "INTC"]),
            ("“$MSFT” is up", &["MSFT"]),
            ("$AAPL/$MSFT ratio", &["AAPL", "MSFT"]),
            ("$AAPL $AAPL $aapl", &["AAPL"]),
            ("$AAPL's earnings", &["AAPL"]),
            ("$AAPL-led rally", &["AAPL"]),
            ("$AAPL, $GOOGL; $META!", &["AAPL", "GOOGL", "META"]),
            ("it costs $100", &[]),
            ("only $5.99 today", &[]),
            ("a $1.2B deal", &[]),
            ("$TOOLONG is not one", &[]),
            ("$AAPL1 is not one", &[]),
            ("$AAPL_X is not one", &[]),
            ("US$AAPL is not one", &[]),
            ("foo#TSLA bar", &[]),
            ("see https://example.com/#AAPL", &[]),
            ("see www.example.com/$AAPL", &[]),
            ("mail me$AAPL@example.com", &[]),
            ("@alice $AAPL", &["AAPL"]),
            ("$$AAPL", &[]),
            ("$", &[]),
            ("#", &[]),
            ("$.B", &[]),
            ("$BRK.", &["BRK"]),
            ("$BRK.BBB", &[]),
            ("$AAPL.com is a site", &[]),
            ("$AAPL.US", &["AAPL.US"]),
            ("#1 stock", &[]),
            ("$ AAPL", &[]),
            ("tab\t$AAPL\nnewline $TSLA", &["AAPL", "TSLA"]),
            ("¡$AAPL!", &["AAPL"]),
            ("Ĝ$AAPL is inside a word", &[]),
            ("foo_$AAPL", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(symbols(text), *expected, "{text:?}");
        }
    }

    proptest! {
        /// Whatever the text, extraction ends, and what it finds is upper case, of the
        /// documented shape, and listed once.
        #[test]
        fn anything_gives_well_formed_distinct_tickers(text in "\\PC{0,200}") {
            let found = symbols(&text);
            for symbol in &found {
                let (root, class) = symbol.split_once('.').unwrap_or((symbol, ""));
                prop_assert!((1..=ROOT_MAX).contains(&root.len()), "{symbol}");
                prop_assert!(class.len() <= CLASS_MAX, "{symbol}");
                prop_assert!(symbol.bytes().all(|b| b.is_ascii_uppercase() || b == b'.'));
            }
            let mut distinct = found.clone();
            distinct.dedup();
            distinct.sort();
            distinct.dedup();
            prop_assert_eq!(distinct.len(), found.len());
        }

        /// A cashtag written as its own word is found, whatever words stand around it.
        #[test]
        fn a_cashtag_between_words_is_found(
            before in "[a-z ,.!?]{0,30}",
            root in "[A-Za-z]{1,5}",
            sigil in "[$#]",
            after in "[a-z ,.!?]{0,30}",
        ) {
            let text = format!("{before} {sigil}{root} {after}");
            prop_assert!(symbols(&text).contains(&root.to_ascii_uppercase()), "{text:?}");
        }

        /// Prices are never tickers.
        #[test]
        fn money_is_not_a_ticker(dollars in 0u32..1_000_000, cents in 0u32..100) {
            let text = format!("${dollars} or ${dollars}.{cents:02} or #{dollars}");
            prop_assert!(symbols(&text).is_empty(), "{text:?}");
        }

        /// Nothing in a link counts, whatever its path holds.
        #[test]
        fn nothing_inside_a_link_counts(path in "[A-Za-z$#/.]{0,40}") {
            let text = format!("https://example.com/{path}");
            prop_assert!(symbols(&text).is_empty(), "{text:?}");
        }

        /// Extraction is stable: writing the found tickers back as cashtags finds them again.
        #[test]
        fn found_tickers_written_back_are_found_again(text in "\\PC{0,200}") {
            let found = symbols(&text);
            let again = found.iter().map(|s| format!("${s}")).collect::<Vec<_>>().join(" ");
            prop_assert_eq!(symbols(&again), found);
        }
    }
}
