//! Agora's storage layer: the database (SQLite or PostgreSQL behind one handle), schema
//! migrations and, when configured, the shared Redis. Object storage, the key-value cache and
//! pub/sub join it in later issues.

pub mod db;
pub mod error;
pub mod migrate;
pub mod query;
pub mod redis;

pub use crate::redis::Redis;
pub use db::{Db, DbOptions};
pub use error::{DbError, DbResult};
pub use migrate::{MIGRATIONS_TABLE, MigrationSource, MigrationState, Migrator};
pub use sea_orm;
pub use sea_orm_migration;
