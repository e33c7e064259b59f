//! Fantasy points: the rule that turns a classified result into points (`rules.rs`, applied
//! when results are imported), and the league scoring that adds up each constructor's picks in
//! a race from them (`league.rs`, into `fantasy_scores`, `entity.rs`; decision 0031).

pub mod entity;
pub mod league;
pub mod rules;
