//! Black-box tests of the HTTP API: the real application over HTTP on a fresh database per test.
//! Run on PostgreSQL with `AGORA_TEST_DATABASE=postgres`.
//!
//! One test binary holds every area (one module each), so the suite links once.

// Tests fail by panicking; `expect` names what was expected.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod admin;
mod cache;
mod connections;
mod conventions;
mod database;
mod email;
mod errors;
mod external_auth;
mod health;
mod hostile_input;
mod identity;
mod identity_limits;
mod jobs;
mod lists;
mod media;
mod middleware;
mod notifications;
mod openapi;
mod profiles;
mod ratelimit;
mod realtime;
mod recovery;
mod redis;
mod shutdown;
mod tasks;
