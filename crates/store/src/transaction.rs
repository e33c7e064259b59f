//! A database transaction whose own operations fail with the store's [`DbError`].
//!
//! sea-orm's `DatabaseTransaction` answers `begin` and `commit` with its `DbErr`, which a handler
//! cannot turn into an `ApiError` by `?` (neither type is ours, so no `From` can join them).
//! [`Transaction`] wraps it: `begin`, `commit` and `rollback` return [`DbResult`], it implements
//! `ConnectionTrait` (so entities and SeaQuery statements run on `&txn` as before) and it
//! dereferences to the `DatabaseTransaction` for functions that take one by name.

use std::ops::Deref;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, Statement, TransactionTrait,
};

use crate::error::{DbError, DbResult};

/// An open transaction; dropped without [`Transaction::commit`], it rolls back.
#[derive(Debug)]
pub struct Transaction(DatabaseTransaction);

impl Transaction {
    pub(crate) async fn begin(conn: &DatabaseConnection) -> DbResult<Self> {
        Ok(Self(conn.begin().await?))
    }

    pub async fn commit(self) -> DbResult<()> {
        self.0.commit().await.map_err(DbError::from)
    }

    pub async fn rollback(self) -> DbResult<()> {
        self.0.rollback().await.map_err(DbError::from)
    }

    /// A savepoint inside this transaction: committing it keeps its changes in this one,
    /// dropping it undoes only them.
    pub async fn savepoint(&self) -> DbResult<Transaction> {
        Ok(Self(self.0.begin().await?))
    }
}

impl Deref for Transaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.0
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Transaction {
    fn get_database_backend(&self) -> DbBackend {
        self.0.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.0.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.0.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.0.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.0.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.0.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.0.is_mock_connection()
    }
}
