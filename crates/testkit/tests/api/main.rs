//! Black-box tests of the HTTP API: the real application over HTTP on a fresh database per test.
//! Run on PostgreSQL with `AGORA_TEST_DATABASE=postgres`.
//!
//! One test binary holds every area (one module each), so the suite links once. The folders
//! follow the crates:
//!
//! - `tasks/`, `social/`, `fantasy/`: the products, a folder each (`forums/` joins when it is
//!   built), a file per resource, its helpers in `mod.rs`;
//! - `platform/`: the platform's areas (identity, media, real time, jobs, email, notifications,
//!   profiles), a file each, or a folder once an area needs several;
//! - `server/`: what every request meets (middleware, errors, hostile input, rate limits, list
//!   cursors, the OpenAPI document, health, connections, shutdown);
//! - `store/`: the database, Redis and the cache below the HTTP layer;
//! - `support/`: helpers that tests of several areas share (cursors a client might forge, a
//!   notification as a product sends it).

// Tests fail by panicking; `expect` names what was expected.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod fantasy;
mod platform;
mod server;
mod social;
mod store;
mod support;
mod tasks;
