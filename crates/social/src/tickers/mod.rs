//! Ticker symbols (`AAPL`, `BRK.B`): what a symbol is ([`Ticker::parse`], for the watchlist
//! and ticker pages) and which tickers a post names ([`tickers_in`], `extract.rs`).

mod extract;
pub mod page;

pub use extract::{is_opening, tickers_in};

use agora_core::{FieldCode, Invalid};

/// A ticker symbol as stored: upper case, 1–10 letters or digits with at most one inner `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticker(String);

impl Ticker {
    /// Reads what a person typed: surrounding spaces and one leading `$` or `#` are dropped
    /// and letters are upper-cased (`$aapl` → `AAPL`).
    pub fn parse(value: &str) -> Result<Ticker, Invalid> {
        let symbol = value
            .trim()
            .trim_start_matches(['$', '#'])
            .to_ascii_uppercase();
        let valid = (1..=10).contains(&symbol.len())
            && symbol.split('.').count() <= 2
            && symbol
                .split('.')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()));
        if valid {
            Ok(Ticker(symbol))
        } else {
            Err(Invalid::new(
                FieldCode::InvalidFormat,
                format!("`{value}` is not a ticker symbol such as AAPL or BRK.B"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Ticker> for String {
    fn from(ticker: Ticker) -> String {
        ticker.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_upper_case_with_one_inner_dot() {
        assert_eq!(Ticker::parse("$aapl").map(String::from), Ok("AAPL".into()));
        assert_eq!(Ticker::parse("brk.b").map(String::from), Ok("BRK.B".into()));
        assert_eq!(
            Ticker::parse(" #msft ").map(String::from),
            Ok("MSFT".into())
        );
        for bad in [
            "",
            "$",
            "TOOLONGSYMBOL",
            "A..B",
            ".A",
            "A.B.C",
            "AA PL",
            "ÄPL",
        ] {
            assert!(Ticker::parse(bad).is_err(), "{bad}");
        }
    }
}
