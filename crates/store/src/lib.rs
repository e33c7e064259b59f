//! Agora's storage layer: the database (SQLite or PostgreSQL behind one handle) and schema
//! migrations. Object storage, the key-value cache and pub/sub join it in later issues.

pub mod db;
pub mod error;
pub mod migrate;

pub use db::{Db, DbOptions};
pub use error::{DbError, DbResult};
pub use migrate::{MIGRATIONS_TABLE, MigrationSource, MigrationState, Migrator};
pub use sea_orm;
pub use sea_orm_migration;
