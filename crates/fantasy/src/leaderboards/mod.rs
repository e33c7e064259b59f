//! A league's leaderboards (plan: fantasy-f1.md, 5.3): the season's, by each constructor's
//! `total_points`, and a race's, by its scores in that race (`crate::scoring::league` writes
//! both), ranked with ties sharing a rank (1, 2, 2, 4).
//!
//! Both are read from one cached entry per league: its constructors and all their scores,
//! under a key named by the league's standings version, which every change to them raises in
//! its own transaction (a score, a new constructor, a team name removed). A reader that sees
//! the new version reads the new standings; nothing has to be deleted after a commit, and with
//! Redis every instance shares the entries. Decision 0031.
//!
//! - `routes.rs`: `GET /fantasy/leagues/{id}/leaderboard`; `model.rs`: its parameters and
//!   view; `queries.rs`: the standings and their cache; `rules.rs`: the order and the ranks.

pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;
