//! The fantasy module's schema migrations, oldest first. Never edit one that has shipped.

use agora_store::sea_orm_migration::MigrationTrait;

mod m20261204_000100_f1_data;
mod m20261205_000100_leagues_drafts;
mod m20261205_000200_league_scores;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261204_000100_f1_data::Migration),
        Box::new(m20261205_000100_leagues_drafts::Migration),
        Box::new(m20261205_000200_league_scores::Migration),
    ]
}
