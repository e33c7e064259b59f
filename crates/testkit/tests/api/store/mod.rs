//! The layer below HTTP: the database (migrations, SQLite's pragmas), Redis and the cache.

mod cache;
mod database;
mod redis;
