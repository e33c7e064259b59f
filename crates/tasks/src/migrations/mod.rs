//! The tasks module's schema migrations, oldest first. Never edit one that has shipped.

use agora_store::sea_orm_migration::MigrationTrait;

mod m20261123_000100_tasks;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(m20261123_000100_tasks::Migration)]
}
