//! Races: a season's calendar with session times, and the results of each race and sprint
//! (plan: fantasy-f1.md, 3.2 and 5.1). Read-only over HTTP; the import writes them.
//!
//! - `routes.rs`: `GET /fantasy/races`, `/races/{id}`, `/races/{id}/results`;
//! - `model.rs`: the list's parameters, the race's and the result's views;
//! - `rules.rs`: a race's status from its times and results;
//! - `queries.rs`: the import's upserts and replacements, the list and the look-ups;
//! - `entity.rs`: the typed rows.

pub mod entity;
pub mod model;
pub mod queries;
pub mod routes;
pub mod rules;

agora_core::id_type!(
    /// Identifies a race (one round of one season).
    RaceId
);
