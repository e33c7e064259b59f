use std::time::Duration;

use agora_core::config::DatabaseKind;
use agora_testkit::{StatusCode, TestApp, TestDatabase, eventually, postgres_url, test_database};
use serde_json::Value;

#[tokio::test]
async fn health_answers_ok_with_the_version() {
    let app = TestApp::spawn().await;
    let response = app.get("/health").send().await;
    response.assert_status(StatusCode::OK);
    let body: Value = response.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn ready_reports_the_database_up_with_its_latency() {
    let app = TestApp::spawn().await;
    let response = app.get("/health/ready").send().await;
    response.assert_status(StatusCode::OK);
    let body: Value = response.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["database"]["status"], "up");
    assert!(body["checks"]["database"]["latency_ms"].is_number());
}

#[tokio::test]
async fn ready_is_503_while_the_database_is_locked_and_recovers_by_itself() {
    let app = TestApp::builder()
        .env("AGORA_HEALTH_TIMEOUT", "300ms")
        .spawn()
        .await;
    app.get("/health/ready")
        .send()
        .await
        .assert_status(StatusCode::OK);

    // Another client takes an exclusive lock that keeps our readers out.
    let lock = ExclusiveLock::take(app.database()).await;
    let response = app.get("/health/ready").send().await;
    let problem =
        response.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "dependency_unavailable");
    assert!(problem.detail.contains("database"), "{}", problem.detail);
    assert_eq!(problem.extensions["checks"]["database"]["status"], "down");

    lock.release().await;
    // No restart: the next checks find the database again.
    let ready = poll_until_ready(&app, Duration::from_secs(15)).await;
    assert!(
        ready,
        "/health/ready did not return to 200 after the lock was released"
    );
}

#[tokio::test]
async fn ready_is_503_when_postgres_is_unreachable_and_recovers_when_it_returns() {
    if test_database() != DatabaseKind::Postgres {
        return; // Only a networked database can become unreachable.
    }
    // The application reaches PostgreSQL through a proxy the test can cut.
    let proxy = agora_testkit::proxy::TcpProxy::start(postgres_address()).await;
    let mut database = TestDatabase::create().await;
    database.url = database
        .url
        .replacen(&postgres_address(), &proxy.address().to_string(), 1);
    let app = TestApp::builder()
        .env("AGORA_HEALTH_TIMEOUT", "500ms")
        .spawn_on(database)
        .await;
    app.get("/health/ready")
        .send()
        .await
        .assert_status(StatusCode::OK);

    proxy.cut();
    let response = app.get("/health/ready").send().await;
    response.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.problem().extensions["checks"]["database"]["status"],
        "down"
    );

    proxy.restore();
    assert!(poll_until_ready(&app, Duration::from_secs(20)).await);
}

#[tokio::test]
async fn while_postgres_is_unreachable_a_request_answers_503_within_about_a_second() {
    if test_database() != DatabaseKind::Postgres {
        return;
    }
    let proxy = agora_testkit::proxy::TcpProxy::start(postgres_address()).await;
    let mut database = TestDatabase::create().await;
    database.url = database
        .url
        .replacen(&postgres_address(), &proxy.address().to_string(), 1);
    let app = TestApp::builder().spawn_on(database).await;
    app.register("alice").await;

    proxy.cut();
    // The pool's open connections are gone: each query must open a new one, which is refused.
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let response = app.get("/api/v1/users/alice").send().await;
        let waited = started.elapsed();
        response.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable");
        assert!(response.header("retry-after").is_some());
        assert!(waited < Duration::from_millis(2500), "waited {waited:?}");
    }
    proxy.restore();
    eventually(
        Duration::from_secs(10),
        "requests succeed again",
        async || {
            (app.get("/api/v1/users/alice").send().await.status == StatusCode::OK).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn a_closed_postgres_port_is_named_as_refused_at_start() {
    if test_database() != DatabaseKind::Postgres {
        return;
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = closed.local_addr().expect("an address").port();
    drop(closed);
    let mut database = TestDatabase::create().await;
    database.url = database
        .url
        .replacen(&postgres_address(), &format!("127.0.0.1:{port}"), 1);
    let config = TestApp::builder().config(&database);
    let started = std::time::Instant::now();
    let err = agora::app::connect(&config)
        .await
        .err()
        .map(|err| format!("{err:#}"))
        .unwrap_or_default();
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("connection refused"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

async fn poll_until_ready(app: &TestApp, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if app.get("/health/ready").send().await.status == StatusCode::OK {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn postgres_address() -> String {
    let url = url::Url::parse(&postgres_url()).expect("a valid AGORA_TEST_POSTGRES_URL");
    format!(
        "{}:{}",
        url.host_str().unwrap_or("127.0.0.1"),
        url.port().unwrap_or(5432)
    )
}

/// A lock held by a second client that blocks our writes (and, on PostgreSQL, our reads).
enum ExclusiveLock {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl ExclusiveLock {
    async fn take(database: &TestDatabase) -> Self {
        use sqlx::Connection;
        match database.kind {
            DatabaseKind::Sqlite => {
                // Like a backup tool or a person in the sqlite3 shell holding a write
                // transaction open.
                let mut conn = sqlx::SqliteConnection::connect(&database.url)
                    .await
                    .expect("a second SQLite connection");
                sqlx::raw_sql("BEGIN IMMEDIATE")
                    .execute(&mut conn)
                    .await
                    .expect("the write lock");
                ExclusiveLock::Sqlite(conn)
            }
            DatabaseKind::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&database.url)
                    .await
                    .expect("a second PostgreSQL connection");
                for sql in [
                    "BEGIN",
                    "LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE",
                ] {
                    sqlx::raw_sql(sql).execute(&mut conn).await.expect(sql);
                }
                ExclusiveLock::Postgres(conn)
            }
        }
    }

    async fn release(self) {
        use sqlx::Connection;
        match self {
            ExclusiveLock::Sqlite(mut conn) => {
                sqlx::raw_sql("ROLLBACK")
                    .execute(&mut conn)
                    .await
                    .expect("rollback");
                conn.close().await.expect("close");
            }
            ExclusiveLock::Postgres(mut conn) => {
                sqlx::raw_sql("ROLLBACK")
                    .execute(&mut conn)
                    .await
                    .expect("rollback");
                conn.close().await.expect("close");
            }
        }
    }
}
