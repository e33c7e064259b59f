//! List parameters and list bodies of API.md: cursor pagination for every list, and numbered
//! pages (with a total) for admin lists.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, FieldCode};

/// Default and largest page size.
pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;
/// Largest page number of a numbered list: its offset (at most 100 million rows) always fits the
/// databases' 64-bit integers, whatever a client sends.
pub const MAX_PAGE: u64 = 1_000_000;

/// A page size: absent means [`DEFAULT_LIMIT`], otherwise 1–[`MAX_LIMIT`].
pub fn check_limit(field: &str, value: Option<u64>) -> Result<u64, ApiError> {
    match value.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n),
        _ => Err(ApiError::invalid_field(
            field,
            FieldCode::OutOfRange,
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// `?limit=&cursor=`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CursorParams {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl CursorParams {
    pub fn limit(&self) -> Result<u64, ApiError> {
        check_limit("limit", self.limit)
    }

    /// The position the cursor encodes (what [`encode_cursor`] was given), if any.
    pub fn position(&self) -> Result<Option<String>, ApiError> {
        self.cursor.as_deref().map(decode_cursor).transpose()
    }
}

/// An opaque cursor for a position in a list (clients must not build or read them).
pub fn encode_cursor(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(position)
}

/// The position a cursor of [`encode_cursor`] holds; anything else is a 422 on `cursor`.
pub fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            ApiError::invalid_field(
                "cursor",
                FieldCode::InvalidFormat,
                "is not a cursor of this list",
            )
        })
}

/// One page of a cursor-paginated list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CursorPage<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// `?page=&per_page=` (admin lists).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// From 1 (default) to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

impl PageParams {
    /// `(page, per_page)`, both checked.
    pub fn resolve(&self) -> Result<(u64, u64), ApiError> {
        let page = match self.page.unwrap_or(1) {
            page @ 1..=MAX_PAGE => page,
            _ => {
                return Err(ApiError::invalid_field(
                    "page",
                    FieldCode::OutOfRange,
                    format!("must be between 1 and {MAX_PAGE}"),
                ));
            }
        };
        Ok((page, check_limit("per_page", self.per_page)?))
    }
}

/// One numbered page of a list, with the size of the whole list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NumberedPage<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_one_to_a_hundred_are_refused() {
        for (limit, ok) in [
            (None, true),
            (Some(1), true),
            (Some(100), true),
            (Some(0), false),
            (Some(101), false),
        ] {
            let params = CursorParams {
                limit,
                cursor: None,
            };
            assert_eq!(params.limit().is_ok(), ok, "{limit:?}");
        }
        assert_eq!(CursorParams::default().limit().ok(), Some(DEFAULT_LIMIT));
    }

    #[test]
    fn a_cursor_round_trips_and_garbage_is_a_field_error() {
        let params = CursorParams {
            limit: None,
            cursor: Some(encode_cursor("0193-abc")),
        };
        assert_eq!(
            params.position().ok().flatten().as_deref(),
            Some("0193-abc")
        );
        let garbage = CursorParams {
            limit: None,
            cursor: Some("%%%".to_owned()),
        };
        let err = garbage
            .position()
            .err()
            .map(|e| e.errors()[0].field.clone());
        assert_eq!(err.as_deref(), Some("cursor"));
    }

    #[test]
    fn pages_outside_one_to_a_million_are_refused() {
        for page in [0, MAX_PAGE + 1, i64::MAX as u64, u64::MAX] {
            let params = PageParams {
                page: Some(page),
                per_page: Some(MAX_LIMIT),
            };
            assert!(params.resolve().is_err(), "{page}");
        }
        let last = PageParams {
            page: Some(MAX_PAGE),
            per_page: Some(MAX_LIMIT),
        };
        let offset = last.resolve().map(|(page, per_page)| (page - 1) * per_page);
        assert!(offset.is_ok_and(|offset| i64::try_from(offset).is_ok()));
        assert_eq!(
            PageParams::default().resolve().ok(),
            Some((1, DEFAULT_LIMIT))
        );
    }
}
