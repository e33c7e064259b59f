//! List parameters and list bodies of API.md: cursor pagination for every list, numbered
//! pages (with a total) where an admin needs one, and [`Items`] for short lists that are not
//! paged. Every list is an object with `items`, never a bare array.
//!
//! A cursor names the list and the sort it was made for and holds the key of the last row
//! sent ([`Cursor`]); [`CursorPage::from_rows`] builds a page from rows fetched with one extra
//! row. The SQL side (ORDER BY and "after this key") is `agora_store::keyset`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
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

/// The list and the sort a cursor belongs to: `tasks` sorted `due.asc`. A cursor made for one
/// sort is refused by every other, since its key means nothing there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CursorSort {
    pub list: &'static str,
    pub sort: &'static str,
}

impl CursorSort {
    pub const fn new(list: &'static str, sort: &'static str) -> CursorSort {
        CursorSort { list, sort }
    }
}

/// A position in a list: the key (sort values and tie-breaker) of the last row sent, tagged with
/// the list and sort it was made for. On the wire it is opaque: base64url of the JSON array
/// `[list, sort, key]`. Clients must not build or read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor<K> {
    pub sort: CursorSort,
    pub key: K,
}

fn not_a_cursor() -> ApiError {
    ApiError::invalid_field(
        "cursor",
        FieldCode::InvalidFormat,
        "is not a cursor of this list",
    )
}

impl<K: Serialize> Cursor<K> {
    pub fn new(sort: CursorSort, key: K) -> Cursor<K> {
        Cursor { sort, key }
    }

    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(&(self.sort.list, self.sort.sort, &self.key))
            // A key is made of ids, numbers, times and strings, which always serialize.
            .unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }
}

impl<K: DeserializeOwned> Cursor<K> {
    /// The key of a cursor made for `sort`. Anything else (not base64, not a cursor, another
    /// list or sort, a key of the wrong shape or types) is a 422 on `cursor`.
    pub fn decode(text: &str, sort: CursorSort) -> Result<K, ApiError> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| not_a_cursor())?;
        let (list, sorted, key): (String, String, serde_json::Value) =
            serde_json::from_slice(&bytes).map_err(|_| not_a_cursor())?;
        if list != sort.list {
            return Err(ApiError::invalid_field(
                "cursor",
                FieldCode::InvalidFormat,
                "is a cursor of another list",
            ));
        }
        if sorted != sort.sort {
            return Err(ApiError::invalid_field(
                "cursor",
                FieldCode::InvalidFormat,
                "belongs to another sort or order of this list; start again without it",
            ));
        }
        serde_json::from_value(key).map_err(|_| not_a_cursor())
    }
}

/// `?limit=&cursor=`. A list's filter holds these two fields too (flattening does not mix with
/// `deny_unknown_fields`) and hands them over with [`CursorParams::resolve`].
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
    pub fn new(limit: Option<u64>, cursor: Option<&str>) -> CursorParams {
        CursorParams {
            limit,
            cursor: cursor.map(str::to_owned),
        }
    }

    /// The checked page size and the key to start after, for a list sorted by `sort`.
    pub fn resolve<K: DeserializeOwned>(
        &self,
        sort: CursorSort,
    ) -> Result<PageRequest<K>, ApiError> {
        Ok(PageRequest {
            sort,
            limit: check_limit("limit", self.limit)?,
            after: self
                .cursor
                .as_deref()
                .map(|text| Cursor::decode(text, sort))
                .transpose()?,
        })
    }
}

/// A checked request for one page of a cursor list.
#[derive(Debug, Clone)]
pub struct PageRequest<K> {
    pub sort: CursorSort,
    pub limit: u64,
    /// The key of the last row of the previous page.
    pub after: Option<K>,
}

impl<K> PageRequest<K> {
    /// How many rows to fetch: one more than the page, to tell whether another page follows.
    pub fn fetch(&self) -> u64 {
        self.limit.saturating_add(1)
    }

    /// The page of `rows` (fetched with [`PageRequest::fetch`]), its cursor made from the key
    /// of the last row kept.
    pub fn page<T>(&self, rows: Vec<T>, key: impl Fn(&T) -> K) -> CursorPage<T>
    where
        K: Serialize,
    {
        CursorPage::from_rows(rows, self.limit, |row| {
            Cursor::new(self.sort, key(row)).encode()
        })
    }
}

/// One page of a cursor-paginated list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CursorPage<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> CursorPage<T> {
    /// `rows` fetched with `limit + 1`: the first `limit`, and when there were more, the
    /// cursor of the last of those.
    pub fn from_rows(
        mut rows: Vec<T>,
        limit: u64,
        cursor_of: impl FnOnce(&T) -> String,
    ) -> CursorPage<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(cursor_of)
        } else {
            None
        };
        CursorPage {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> CursorPage<U> {
        CursorPage {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// A short list that is not paged (a watchlist, a batch of uploads, notification preferences):
/// the same `items` as a [`CursorPage`], without a cursor. Never a bare JSON array, so that a
/// list can gain members (a cursor, a count) without breaking its clients.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

impl<T> Items<T> {
    pub fn new(items: Vec<T>) -> Items<T> {
        Items { items }
    }
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
    /// The page asked for, both numbers checked.
    pub fn resolve(&self) -> Result<PageNumber, ApiError> {
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
        Ok(PageNumber {
            page,
            per_page: check_limit("per_page", self.per_page)?,
        })
    }
}

/// A checked request for one numbered page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNumber {
    pub page: u64,
    pub per_page: u64,
}

impl PageNumber {
    /// The first page of `per_page` rows (unchecked: for callers other than clients).
    pub const fn first(per_page: u64) -> PageNumber {
        PageNumber { page: 1, per_page }
    }

    /// Rows before this page (at most about 100 million: see [`MAX_PAGE`]).
    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    pub fn with<T>(&self, items: Vec<T>, total: u64) -> NumberedPage<T> {
        NumberedPage {
            items,
            page: self.page,
            per_page: self.per_page,
            total,
        }
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

impl<T> NumberedPage<T> {
    /// The same page with each item turned into what the response shows.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> NumberedPage<U> {
        NumberedPage {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            per_page: self.per_page,
            total: self.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    const TASKS_DUE: CursorSort = CursorSort::new("tasks", "due.asc");

    fn field_of(err: ApiError) -> String {
        err.errors()[0].field.clone()
    }

    #[test]
    fn limits_outside_one_to_a_hundred_are_refused() {
        for (limit, ok) in [
            (None, true),
            (Some(1), true),
            (Some(100), true),
            (Some(0), false),
            (Some(101), false),
        ] {
            let params = CursorParams::new(limit, None);
            assert_eq!(params.resolve::<Uuid>(TASKS_DUE).is_ok(), ok, "{limit:?}");
        }
        let default = CursorParams::default().resolve::<Uuid>(TASKS_DUE);
        assert_eq!(default.ok().map(|r| r.limit), Some(DEFAULT_LIMIT));
    }

    #[test]
    fn a_cursor_is_only_accepted_by_its_own_list_and_sort() {
        let id = Uuid::now_v7();
        let text = Cursor::new(TASKS_DUE, (Some("2026-01-01T00:00:00Z"), id)).encode();
        let key = Cursor::<(Option<String>, Uuid)>::decode(&text, TASKS_DUE);
        assert_eq!(
            key.ok(),
            Some((Some("2026-01-01T00:00:00Z".to_owned()), id))
        );
        for other in [
            CursorSort::new("tasks", "due.desc"),
            CursorSort::new("notifications", "due.asc"),
        ] {
            let err = Cursor::<(Option<String>, Uuid)>::decode(&text, other).err();
            assert_eq!(err.map(field_of).as_deref(), Some("cursor"), "{other:?}");
        }
    }

    #[test]
    fn garbage_and_keys_of_the_wrong_shape_are_field_errors() {
        let wrong_shape = Cursor::new(TASKS_DUE, ("not a time", "not an id")).encode();
        let too_long = Cursor::new(TASKS_DUE, (1, Uuid::nil(), 3)).encode();
        for text in [
            "%%%".to_owned(),
            String::new(),
            URL_SAFE_NO_PAD.encode("{\"a\":1}"),
            URL_SAFE_NO_PAD.encode("[\"tasks\",\"due.asc\"]"),
            wrong_shape,
            too_long,
        ] {
            let err = Cursor::<(i16, Uuid)>::decode(&text, TASKS_DUE).err();
            assert_eq!(err.map(field_of).as_deref(), Some("cursor"), "{text}");
        }
    }

    proptest! {
        #[test]
        fn every_cursor_round_trips(rank in any::<i16>(), id in any::<u128>()) {
            let key = (rank, Uuid::from_u128(id));
            let text = Cursor::new(TASKS_DUE, key).encode();
            prop_assert_eq!(Cursor::<(i16, Uuid)>::decode(&text, TASKS_DUE).ok(), Some(key));
        }

        #[test]
        fn no_text_makes_decoding_fail_other_than_with_a_cursor_error(text in ".*") {
            if let Err(err) = Cursor::<(i16, Uuid)>::decode(&text, TASKS_DUE) {
                prop_assert_eq!(field_of(err), "cursor");
            }
        }
    }

    #[test]
    fn a_page_keeps_limit_rows_and_points_after_the_last_of_them() {
        let request = PageRequest::<u32> {
            sort: TASKS_DUE,
            limit: 2,
            after: None,
        };
        assert_eq!(request.fetch(), 3);
        let page = request.page(vec![1, 2, 3], |n| *n);
        assert_eq!(page.items, [1, 2]);
        let next = page
            .next_cursor
            .as_deref()
            .map(|c| Cursor::<u32>::decode(c, TASKS_DUE));
        assert_eq!(next.and_then(Result::ok), Some(2));
        let last = request.page(vec![1, 2], |n| *n);
        assert_eq!((last.items.len(), last.next_cursor), (2, None));
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
        let offset = last.resolve().map(|page| page.offset());
        assert!(offset.is_ok_and(|offset| i64::try_from(offset).is_ok()));
        assert_eq!(
            PageParams::default().resolve().ok(),
            Some(PageNumber {
                page: 1,
                per_page: DEFAULT_LIMIT
            })
        );
    }
}
