//! Search (`GET /search`): users by the start of their username or display name, posts by
//! full text with ranking, and tickers by the start of their symbol; one kind a page at a time,
//! or the first few of each.
//!
//! - `routes.rs`: the handler; `model.rs`: parameters and results; `queries.rs`: the SQL (the
//!   post search is one function over two backends: PostgreSQL `tsvector` + GIN, SQLite FTS5);
//!   `rules.rs`: how the query text is read.
//!
//! Blocks either way hide users and their posts; mutes hide posts, not names. Why, and the
//! pagination of ranked results: docs/decisions/0024-search-trending-reports.md.

pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
