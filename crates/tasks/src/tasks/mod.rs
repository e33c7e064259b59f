//! Tasks: a user's own to-do items, with optimistic locking (plan: tasks.md).
//!
//! - `routes.rs`: the handlers (extract → rule → query → response) and the router;
//! - `model.rs`: request and response types and the list's parameters;
//! - `queries.rs`: the SQL, conditional writes and keyset pages;
//! - `rules.rs`: validation and the status rules, as plain functions;
//! - `entity.rs`: the typed rows.

mod entity;
pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
