//! Schema migrations: every crate contributes its own, the server runs them all in name order.
//!
//! A migration is a SeaORM migration (`up` and `down`) written with SeaQuery's schema builder,
//! so one definition creates the right DDL on SQLite and PostgreSQL. Names start with a date
//! stamp (`m20261123_000001_...`), which orders the migrations of every crate on one time line.
//! Each runs in its own transaction on both backends (SQLite has transactional DDL too), so a
//! failed migration leaves nothing half done.
//!
//! Every crate's migrations always run, whichever modules are enabled: the schema is the same
//! on every instance, and enabling a module later needs no migration step.

use sea_orm::DbErr;
use sea_orm::sea_query::{ForeignKey, ForeignKeyAction, ForeignKeyCreateStatement};
use sea_orm_migration::sea_orm::DynIden;
use sea_orm_migration::{MigrationTrait, MigratorTraitSelf};

use crate::Db;

/// The table that records which migrations have been applied.
pub const MIGRATIONS_TABLE: &str = "schema_migrations";

/// A crate's list of migrations.
pub type MigrationSource = fn() -> Vec<Box<dyn MigrationTrait>>;

/// `table.column` refers to the `id` of `to`, and its row goes when that row goes: the
/// foreign key of nearly every table (a post with its author, a pick with its league).
pub fn cascade_fk(
    table: &'static str,
    column: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// The migrations of every crate, in name order.
pub struct Migrator {
    sources: Vec<MigrationSource>,
}

/// Where one migration stands in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    pub name: String,
    pub applied: bool,
}

impl Migrator {
    /// Panics when two migrations share a name: that is a build mistake, caught by the first test
    /// that builds a migrator.
    pub fn new(sources: Vec<MigrationSource>) -> Self {
        let migrator = Self { sources };
        let names: Vec<String> = migrator
            .migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        for pair in names.windows(2) {
            assert_ne!(pair[0], pair[1], "two migrations are named {}", pair[0]);
        }
        migrator
    }

    /// Applies every pending migration; returns how many were applied.
    pub async fn up(&self, db: &Db) -> Result<usize, DbErr> {
        let pending = self.get_pending_migrations(db.writer()).await?.len();
        MigratorTraitSelf::up(self, db.writer(), None).await?;
        Ok(pending)
    }

    /// Reverts the last `steps` applied migrations.
    pub async fn down(&self, db: &Db, steps: u32) -> Result<(), DbErr> {
        MigratorTraitSelf::down(self, db.writer(), Some(steps)).await
    }

    /// Every known migration and whether it is applied, without changing the database.
    pub async fn status(&self, db: &Db) -> Result<Vec<MigrationState>, DbErr> {
        Ok(self
            .get_migration_with_status_read_only(db.reader())
            .await?
            .into_iter()
            .map(|m| MigrationState {
                name: m.name().to_owned(),
                applied: m.status() == sea_orm_migration::MigrationStatus::Applied,
            })
            .collect())
    }
}

impl MigratorTraitSelf for Migrator {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        let mut all: Vec<Box<dyn MigrationTrait>> =
            self.sources.iter().flat_map(|source| source()).collect();
        all.sort_by(|a, b| a.name().cmp(b.name()));
        all
    }

    fn migration_table_name(&self) -> DynIden {
        use sea_orm_migration::sea_orm::sea_query::IntoIden;
        MIGRATIONS_TABLE.into_iden()
    }
}
