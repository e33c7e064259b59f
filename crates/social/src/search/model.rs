//! The parameters and results of a search.

use agora_platform::identity::model::UserSummary;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::posts::model::Post;

/// `GET /search?q=&type=&limit=&cursor=`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for, 1–200 characters. Users: the start of a username (`@` optional) or
    /// display name. Posts: every word must appear; anything that is not a letter or a digit
    /// separates words (a search with no word finds nothing). Tickers: the start of a symbol
    /// (`$` or `#` optional).
    #[param(min_length = 1, max_length = 200)]
    pub q: String,
    /// What to look for; `all` (the default) answers the first 5 of each kind, without a cursor.
    #[serde(rename = "type")]
    #[param(rename = "type", inline)]
    pub kind: Option<SearchType>,
    /// 1–100, default 20 (ignored by `type=all`).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page of the same `q` and `type`.
    pub cursor: Option<String>,
}

/// The kinds of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchType {
    Users,
    Posts,
    Tickers,
    #[default]
    All,
}

/// What a search found. The three lists are always present: with one `type`, the other two
/// are empty and `next_cursor` pages the asked one; with `type=all`, each holds the first
/// few of its kind and `next_cursor` is null.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchResults {
    /// Active accounts: the one whose username is `q` first, then usernames that start with
    /// it, then display names that do, each group by username.
    pub users: Vec<UserSummary>,
    /// Best match first (PostgreSQL `ts_rank`, SQLite `bm25`), then newest first.
    pub posts: Vec<Post>,
    /// Symbols named by posts, in alphabetical order (the symbol `q` names first).
    pub tickers: Vec<TickerMatch>,
    /// Pass as `cursor`, with the same `q` and `type`, for the next page; null on the last
    /// page, and after the first 500 results (search more precisely rather than deeper).
    pub next_cursor: Option<String>,
}

/// A ticker symbol found by a search; `GET /tickers/{symbol}` is its page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TickerMatch {
    pub symbol: String,
}
