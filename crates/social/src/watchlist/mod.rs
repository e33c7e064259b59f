//! The ticker watchlist: `/users/me/watchlist`, the tickers a user follows, at most 100, each
//! once. (Its table, `watchlist_items`, was created by the platform's migration
//! `m20261123_000009_profiles` before the watchlist became the social network's; shipped
//! migrations are never edited, so it stays there: docs/decisions/0018-module-contract.md.)
//!
//! - `routes.rs`: the handlers; `model.rs`: request and response types; `queries.rs`: the
//!   SQL; `entity.rs`: the typed row.

mod entity;
pub mod model;
pub mod queries;
pub mod routes;

/// How many tickers a watchlist holds.
pub const WATCHLIST_MAX: usize = 100;
