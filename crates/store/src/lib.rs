//! Agora's storage layer: the database (SQLite or PostgreSQL behind one handle), schema
//! migrations, the cache (in process, or in the shared Redis when configured) and the Redis
//! handle itself, and the object storage of media (a local folder or an S3 bucket).

pub mod cache;
pub mod db;
pub mod error;
pub mod fs;
pub mod keyset;
pub mod media_url;
pub mod migrate;
pub mod query;
pub mod redis;
pub mod statements;
pub mod storage;
pub mod transaction;

pub use crate::redis::Redis;

/// The problem codes the store answers with (`docs/errors.md`).
pub const ERROR_CODES: &[&agora_core::ErrorCode] =
    &[&error::DATABASE_UNAVAILABLE, &storage::STORAGE_UNAVAILABLE];
pub use cache::Cache;
pub use db::{Db, DbOptions, PoolUse, QueryTime};
pub use error::{DbError, DbResult};
pub use migrate::{MIGRATIONS_TABLE, MigrationSource, MigrationState, Migrator};
pub use sea_orm;
pub use sea_orm_migration;
pub use storage::{Storage, StorageError, StorageKey};
pub use transaction::Transaction;
