//! The database layer on the backend under test: migrations, SQLite's pragmas and single
//! writer, and concurrent writes.

use agora::app::migrator;
use agora_core::config::DatabaseKind;
use agora_store::sea_orm::{ConnectionTrait, Statement};
use agora_testkit::{TestApp, TestDatabase};

#[tokio::test]
async fn migrations_are_applied_at_start_and_recorded() {
    let app = TestApp::spawn().await;
    let status = migrator().status(app.db()).await.expect("status");
    assert!(!status.is_empty());
    assert!(status.iter().all(|m| m.applied), "{status:?}");
}

#[tokio::test]
async fn every_migration_reverts_and_reapplies_cleanly() {
    let app = TestApp::spawn().await;
    let migrator = migrator();
    let count = migrator.status(app.db()).await.expect("status").len() as u32;

    migrator
        .down(app.db(), count)
        .await
        .expect("every migration reverts");
    let status = migrator.status(app.db()).await.expect("status");
    assert!(status.iter().all(|m| !m.applied), "{status:?}");
    // Dropped tables are gone.
    assert!(app.try_count("users").await.is_err());

    let applied = migrator
        .up(app.db())
        .await
        .expect("every migration reapplies");
    assert_eq!(applied as u32, count);
    assert_eq!(app.try_count("users").await.expect("users exists again"), 0);
}

#[tokio::test]
async fn emails_waiting_before_the_job_queue_existed_get_a_job_each() {
    use agora_store::sea_orm::sea_query::Query;

    // No worker: the test looks at the job before anything runs it.
    let app = TestApp::builder()
        .env("AGORA_JOBS_WORKERS", "0")
        .spawn()
        .await;
    let migrator = migrator();
    let status = migrator.status(app.db()).await.expect("status");
    let after_jobs = status
        .iter()
        .skip_while(|m| m.name != "m20261123_000005_jobs")
        .count() as u32;
    migrator
        .down(app.db(), after_jobs)
        .await
        .expect("reverts to the outbox's own queue");
    // An email waiting in the old outbox, with one failed attempt behind it.
    let id = uuid::Uuid::now_v7();
    let now = agora_core::time::now();
    let insert = Query::insert()
        .into_table("emails")
        .columns([
            "id",
            "to_address",
            "subject",
            "template",
            "body_text",
            "body_html",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
        ])
        .values_panic([
            id.into(),
            "old@example.com".into(),
            "Hello".into(),
            "verify_email".into(),
            "text".into(),
            "<p>html</p>".into(),
            "queued".into(),
            1.into(),
            now.into(),
            now.into(),
        ])
        .to_owned();
    app.db().writer().execute(&insert).await.expect("inserted");

    migrator.up(app.db()).await.expect("reapplies");
    let jobs = agora_platform::jobs::queue::list(
        app.db().reader(),
        &agora_platform::jobs::queue::JobFilter::default(),
        agora_core::pagination::PageNumber::first(10),
    )
    .await
    .expect("listed")
    .items;
    let job = jobs
        .iter()
        .find(|job| job.payload["email_id"] == id.to_string())
        .expect("the waiting email has a job");
    assert_eq!(
        (job.kind.as_str(), job.attempts, job.run_at),
        ("email.send", 1, now)
    );
    assert_eq!(
        app.try_count("emails WHERE status = 'queued'").await.ok(),
        Some(1)
    );
}

#[tokio::test]
async fn without_migrations_the_start_is_refused_naming_the_pending_ones() {
    let database = TestDatabase::create().await;
    let config = TestApp::builder().config(&database);
    let err = agora::app::build(config.clone(), false)
        .await
        .err()
        .map(|err| format!("{err:#}"))
        .unwrap_or_default();
    assert!(
        err.contains("no schema yet") && err.contains("agora migrate up"),
        "{err}"
    );
    // Once migrated, the same start succeeds.
    agora::app::build(config.clone(), true)
        .await
        .expect("a migrating start");
    agora::app::build(config, false)
        .await
        .expect("a start without migrations on a migrated database");
}

#[tokio::test]
async fn concurrent_writes_all_succeed() {
    let app = TestApp::spawn().await;
    let writes = (0..64).map(|i| {
        let db = app.db().clone();
        tokio::spawn(async move {
            // A read-then-write transaction: the shape that fails with `database is locked`
            // when several SQLite connections race to upgrade their locks.
            let txn = db.begin().await?;
            let backend = txn.get_database_backend();
            txn.query_one_raw(Statement::from_string(
                backend,
                "SELECT COUNT(*) FROM users",
            ))
            .await?;
            insert_user(&txn, i).await?;
            txn.commit().await
        })
    });
    let reads = (0..64).map(|_| {
        let db = app.db().clone();
        tokio::spawn(async move {
            let backend = db.backend();
            db.reader()
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT COUNT(*) FROM users",
                ))
                .await
                .map(drop)
        })
    });
    let writes = futures::future::join_all(writes);
    let reads = futures::future::join_all(reads);
    let (writes, reads) = tokio::join!(writes, reads);
    for result in writes {
        result.expect("task").expect("every write succeeds");
    }
    for result in reads {
        result.expect("task").expect("every read succeeds");
    }
    assert_eq!(app.try_count("users").await.expect("count"), 64);
}

#[tokio::test]
async fn a_unique_constraint_stops_a_duplicate() {
    let app = TestApp::spawn().await;
    insert_user(app.db().writer(), 1)
        .await
        .expect("first insert");
    let err = insert_user(app.db().writer(), 1)
        .await
        .expect_err("duplicate");
    assert!(agora_store::DbError(err).is_unique_violation());
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_and_a_read_only_reader() {
    let app = TestApp::spawn().await;
    if app.database().kind != DatabaseKind::Sqlite {
        return;
    }
    let writer = app.db().writer();
    assert_eq!(pragma(writer, "journal_mode").await, "wal");
    assert_eq!(pragma(writer, "foreign_keys").await, "1");
    assert_eq!(pragma(writer, "synchronous").await, "1", "NORMAL");
    assert_ne!(pragma(writer, "busy_timeout").await, "0");

    let err = insert_user(app.db().reader(), 1)
        .await
        .expect_err("read-only");
    assert!(err.to_string().contains("readonly"), "{err}");
}

async fn pragma(conn: &impl ConnectionTrait, name: &str) -> String {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            format!("PRAGMA {name}"),
        ))
        .await
        .expect("pragma")
        .expect("a row");
    row.try_get_by_index::<String>(0)
        .or_else(|_| row.try_get_by_index::<i64>(0).map(|v| v.to_string()))
        .expect("a value")
}

async fn insert_user(
    conn: &impl ConnectionTrait,
    i: i32,
) -> Result<(), agora_store::sea_orm::DbErr> {
    use agora_store::sea_orm::sea_query::{Expr, Query};
    let now = agora_core::time::now();
    let insert = Query::insert()
        .into_table("users")
        .columns([
            "id",
            "username",
            "username_key",
            "email",
            "email_key",
            "created_at",
            "updated_at",
        ])
        .values_panic([
            Expr::val(uuid::Uuid::now_v7()),
            Expr::val(format!("User{i}")),
            Expr::val(format!("user{i}")),
            Expr::val(format!("User{i}@example.com")),
            Expr::val(format!("user{i}@example.com")),
            Expr::val(now),
            Expr::val(now),
        ])
        .to_owned();
    conn.execute(&insert).await.map(drop)
}
