//! The database: one handle over SQLite or PostgreSQL, chosen by the URL at run time.
//!
//! Queries are written once with SeaORM / SeaQuery, which render the SQL of the backend in use
//! (see `docs/decisions/0001-database.md`). The one difference this module owns is how writes
//! reach SQLite, which allows a single writer at a time:
//!
//! - On **SQLite**, [`Db::writer`] is a pool of exactly one connection and [`Db::reader`] a pool
//!   of read-only connections. Writers queue for the one connection inside the pool instead of
//!   racing for the file lock, so concurrent writes never fail with `database is locked`; readers
//!   never wait for writers (WAL mode). Every connection has a busy timeout as a second line of
//!   defence, `synchronous=NORMAL` (durable at each checkpoint, safe with WAL) and foreign keys on.
//! - On **PostgreSQL**, both are the same pool.
//!
//! Code that writes, or reads in order to write, uses [`Db::writer`] (or a transaction begun on
//! it); everything else uses [`Db::reader`]. On SQLite a write through the reader fails loudly
//! (the connection is read-only), so a mistake shows in the first test that runs it.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use agora_core::config::DatabaseKind;
use sea_orm::sqlx::Connection as _;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, SqlxPostgresConnector,
    SqlxSqliteConnector, Statement, TransactionTrait,
};

use crate::error::DbResult;
pub use crate::transaction::Transaction;

/// How long a SQLite query waits for a connection (its writes queue for the one writer) before
/// the request fails with 503. PostgreSQL's is [`DbOptions::acquire_timeout`].
const SQLITE_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long SQLite waits on a lock held by another process before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What [`Db::connect`] needs.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub url: String,
    pub kind: DatabaseKind,
    pub max_connections: u32,
    /// PostgreSQL: how long a query waits for a connection. sqlx keeps retrying a refused
    /// connection until then, so this is also how soon a request answers 503 while the server
    /// is down.
    pub acquire_timeout: Duration,
}

/// The database handle shared by every request. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    writer: DatabaseConnection,
    reader: DatabaseConnection,
    kind: DatabaseKind,
    query_time: Arc<QueryTime>,
}

/// The statements run through a [`Db`] and the time they took, for `/metrics`: two atomic
/// additions per statement, no lock.
#[derive(Debug, Default)]
pub struct QueryTime {
    statements: AtomicU64,
    failed: AtomicU64,
    micros: AtomicU64,
}

impl QueryTime {
    fn record(&self, info: &sea_orm::metric::Info<'_>) {
        self.statements.fetch_add(1, Ordering::Relaxed);
        if info.failed {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(info.elapsed.as_micros()).unwrap_or(u64::MAX);
        self.micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Statements run so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Statements that failed so far.
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// Their total time, in seconds.
    pub fn seconds(&self) -> f64 {
        self.micros.load(Ordering::Relaxed) as f64 / 1_000_000.0
    }
}

/// The connections of one pool: open, and idle among them.
#[derive(Debug, Clone, Copy)]
pub struct PoolUse {
    /// `writer` or `reader` (on PostgreSQL one pool, reported as `writer`).
    pub pool: &'static str,
    pub max: u32,
    pub open: u32,
    pub idle: usize,
}

/// What went wrong when connecting, in the words an operator searches for.
fn connect_failure(err: &sea_orm::sqlx::Error) -> String {
    match err {
        sea_orm::sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is the server running and listening there?)".to_owned()
        }
        other => other.to_string(),
    }
}

impl Db {
    /// Opens the pools. For SQLite the file (and its directory) is created when missing.
    pub async fn connect(options: &DbOptions) -> Result<Db, DbErr> {
        match options.kind {
            DatabaseKind::Sqlite => Self::connect_sqlite(options).await,
            DatabaseKind::Postgres => Self::connect_postgres(options).await,
        }
    }

    async fn connect_sqlite(options: &DbOptions) -> Result<Db, DbErr> {
        let connect = SqliteConnectOptions::from_str(&options.url)
            .map_err(|e| DbErr::Custom(format!("invalid SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        let file = connect.get_filename();
        if let Some(dir) = file.parent() {
            create_dir(dir)?;
        }
        // Made here, private, before SQLite makes it with the umask's mode (0644 usually):
        // it holds password hashes. SQLite gives the -wal and -shm files the same mode.
        if file.as_os_str() != ":memory:" && !file.as_os_str().is_empty() {
            crate::fs::create_private_file(file)
                .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", file.display())))?;
        }

        // The writer first: it creates the file and switches it to WAL, which read-only
        // connections cannot do.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(SQLITE_ACQUIRE_TIMEOUT)
            .connect_with(connect.clone())
            .await
            .map_err(sqlx_err)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(SQLITE_ACQUIRE_TIMEOUT)
            .connect_with(connect.read_only(true))
            .await
            .map_err(sqlx_err)?;
        Ok(Db::counted(
            SqlxSqliteConnector::from_sqlx_sqlite_pool(writer),
            SqlxSqliteConnector::from_sqlx_sqlite_pool(reader),
            DatabaseKind::Sqlite,
        ))
    }

    async fn connect_postgres(options: &DbOptions) -> Result<Db, DbErr> {
        let mut connect = PgConnectOptions::from_str(&options.url)
            .map_err(|e| DbErr::Custom(format!("invalid PostgreSQL URL: {e}")))?;
        // `agora` in `pg_stat_activity`, unless the URL names the connections otherwise (the
        // tests name them after their schema, to end them before dropping it).
        if connect.get_application_name().is_none() {
            connect = connect.application_name("agora");
        }
        // One connection first, outside the pool: the pool would retry a refused connection
        // until its timeout and then report only "pool timed out"; this names the cause.
        let first = sea_orm::sqlx::PgConnection::connect_with(&connect)
            .await
            .map_err(|err| {
                DbErr::Custom(format!(
                    "cannot connect to PostgreSQL at {}:{}: {}",
                    connect.get_host(),
                    connect.get_port(),
                    connect_failure(&err)
                ))
            })?;
        let _ = first.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(sqlx_err)?;
        let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
        Ok(Db::counted(conn.clone(), conn, DatabaseKind::Postgres))
    }

    fn counted(
        mut writer: DatabaseConnection,
        mut reader: DatabaseConnection,
        kind: DatabaseKind,
    ) -> Db {
        // Every statement, transactions included, is seen by `statements::counted` and timed
        // for `/metrics`.
        let query_time = Arc::new(QueryTime::default());
        for conn in [&mut writer, &mut reader] {
            let query_time = query_time.clone();
            conn.set_metric_callback(move |info| {
                crate::statements::record();
                query_time.record(info);
            });
        }
        Db {
            writer,
            reader,
            kind,
            query_time,
        }
    }

    /// How many statements ran through this handle and how long they took.
    pub fn query_time(&self) -> &QueryTime {
        &self.query_time
    }

    /// The use of the connection pools, read now.
    pub fn pool_use(&self) -> Vec<PoolUse> {
        let mut pools = Vec::with_capacity(2);
        // By the connections' own backend: asking a pool of the other kind panics.
        match self.writer.get_database_backend() {
            DbBackend::Sqlite => {
                for (name, conn) in [("writer", &self.writer), ("reader", &self.reader)] {
                    let pool = conn.get_sqlite_connection_pool();
                    pools.push(PoolUse {
                        pool: name,
                        max: pool.options().get_max_connections(),
                        open: pool.size(),
                        idle: pool.num_idle(),
                    });
                }
            }
            DbBackend::Postgres => {
                let pool = self.writer.get_postgres_connection_pool();
                pools.push(PoolUse {
                    pool: "writer",
                    max: pool.options().get_max_connections(),
                    open: pool.size(),
                    idle: pool.num_idle(),
                });
            }
            _ => {}
        }
        pools
    }

    /// Connection for queries that only read.
    pub fn reader(&self) -> &DatabaseConnection {
        &self.reader
    }

    /// Connection for writes and for reads that decide a write.
    pub fn writer(&self) -> &DatabaseConnection {
        &self.writer
    }

    /// Begins a transaction on the writer. Every multi-row write is one transaction.
    pub async fn begin(&self) -> DbResult<Transaction> {
        Transaction::begin(&self.writer).await
    }

    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    pub fn backend(&self) -> DbBackend {
        self.writer.get_database_backend()
    }

    /// A short name for logs: `sqlite` or `postgres`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            DatabaseKind::Sqlite => "sqlite",
            DatabaseKind::Postgres => "postgres",
        }
    }

    /// Proves the database can serve requests: a reader reads the migrations table (the schema
    /// is there and not locked against readers), and the writer takes the write lock in a
    /// transaction that changes nothing (no other process or transaction is blocking writes).
    pub async fn ping(&self, migrations_table: &str) -> Result<(), DbErr> {
        let backend = self.backend();
        self.reader
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT 1 FROM {migrations_table} LIMIT 1"),
            ))
            .await?;
        let txn = self.writer.begin().await?;
        txn.execute_raw(Statement::from_string(
            backend,
            format!("UPDATE {migrations_table} SET version = version WHERE 1 = 0"),
        ))
        .await?;
        txn.rollback().await
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        for conn in [&self.reader, &self.writer] {
            if let Err(err) = conn.close_by_ref().await {
                tracing::warn!(error = %err, "closing the database pool failed");
            }
        }
    }
}

fn create_dir(dir: &Path) -> Result<(), DbErr> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    crate::fs::create_private_dir_all(dir)
        .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))
}

fn sqlx_err(err: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Conn(sea_orm::RuntimeErr::SqlxError(err.into()))
}
