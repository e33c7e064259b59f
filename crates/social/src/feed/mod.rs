//! The home feed (`GET /feed`): the reader's own posts and those of the accounts they follow,
//! reposts included, newest first, without the authors they mute or are blocked from either way.
//!
//! New posts of followed accounts are announced live over the WebSocket service (`live.rs`).
//!
//! It reads the posts of the followed accounts when asked (fan-out on read, over the index
//! `(author_id, created_at, id)`); why, with the measurements: docs/decisions/0025-home-feed.md.

pub mod live;
pub mod routes;
