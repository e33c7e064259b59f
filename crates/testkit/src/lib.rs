//! Test harness for Agora's black-box tests.
//!
//! [`TestApp::spawn`] starts the real application (the same router, middleware and migrations
//! as `agora serve`) on a random port over a fresh database of its own, so tests run in parallel
//! and never share state:
//!
//! - `AGORA_TEST_DATABASE=sqlite` (default): a new SQLite file in a temporary directory;
//! - `AGORA_TEST_DATABASE=postgres`: a new schema in the database at `AGORA_TEST_POSTGRES_URL`
//!   (default `postgres://agora:agora@127.0.0.1:5432/agora_test`), dropped when the test ends.
//!
//! Requests go through a real HTTP client ([`TestClient`]) and come back as [`TestResponse`],
//! which reads JSON bodies and problem documents.
//!
//! Helpers keep tests short without hiding what they check: [`TestApp::register`],
//! [`TestApp::login`] and [`TestApp::admin`] give a signed-in [`TestUser`];
//! [`TestResponse::assert_problem`] checks a problem's status and code; [`Page`] reads a cursor
//! list; [`eventually`] waits, bounded, for what the server does after answering (such as the
//! `.eml` file of [`TestApp::written_eml`]).
//!
//! Tests of what Redis shares use the Redis at `AGORA_TEST_REDIS_URL` (default
//! `redis://127.0.0.1:6379`) through [`test_redis`], each under a key prefix of its own
//! ([`unique_redis_prefix`]), so they run in parallel on one Redis.

// A test harness fails the test, with a message, when something it needs is missing.
#![allow(clippy::expect_used)]

pub mod jolpica;
pub mod proxy;
pub mod s3;
pub mod smtp;
pub mod ws;

pub use s3::TestS3;

use std::collections::HashMap;
use std::net::SocketAddr;

use agora::App;
use agora::app::Assembly;
use agora_core::Problem;
use agora_core::config::{Config, DatabaseKind};
use agora_platform::realtime::RoomKind;
use agora_platform::{AppState, Module};
use agora_store::Db;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use http::{HeaderMap, StatusCode, header};
pub use serde_json::json;

/// A secret that satisfies the configuration rules; tests need not generate one.
pub const TEST_SECRET_KEY: &str = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz";

const DEFAULT_POSTGRES_URL: &str = "postgres://agora:agora@127.0.0.1:5432/agora_test";
const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// Which database the suite runs on, from `AGORA_TEST_DATABASE`.
pub fn test_database() -> DatabaseKind {
    match std::env::var("AGORA_TEST_DATABASE").as_deref() {
        Ok("postgres") | Ok("postgresql") => DatabaseKind::Postgres,
        _ => DatabaseKind::Sqlite,
    }
}

/// The PostgreSQL server tests use, from `AGORA_TEST_POSTGRES_URL`.
pub fn postgres_url() -> String {
    std::env::var("AGORA_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// The Redis tests use, from `AGORA_TEST_REDIS_URL`, once it has answered a `PING`.
///
/// When the variable is not set and no Redis answers at the default address, prints why and
/// returns `None`: the caller returns, and the test passes without having run (a developer
/// without Redis can still run the suite). When the variable is set (as in CI), an unreachable
/// Redis fails the test.
pub async fn test_redis() -> Option<url::Url> {
    let configured = std::env::var("AGORA_TEST_REDIS_URL")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let url = configured
        .clone()
        .unwrap_or_else(|| DEFAULT_REDIS_URL.to_owned());
    let parsed = url::Url::parse(&url)
        .unwrap_or_else(|err| panic!("AGORA_TEST_REDIS_URL `{url}` is not a URL: {err}"));
    let redis = agora_store::Redis::open(&parsed, "agora-test:")
        .unwrap_or_else(|err| panic!("cannot use the test Redis at {url}: {err}"));
    let answer = tokio::time::timeout(std::time::Duration::from_secs(3), redis.ping()).await;
    match (answer, configured) {
        (Ok(Ok(())), _) => Some(parsed),
        (outcome, Some(_)) => panic!(
            "the test Redis at {url} (AGORA_TEST_REDIS_URL) does not answer: {}",
            match outcome {
                Ok(Err(err)) => err.to_string(),
                _ => "no answer within 3s".to_owned(),
            }
        ),
        (_, None) => {
            eprintln!(
                "SKIPPED: no Redis answers at {url}; start one (scripts/redis-for-tests.sh) or \
                 set AGORA_TEST_REDIS_URL to run the Redis tests"
            );
            None
        }
    }
}

/// Polls `check` every 20 ms until it gives a value, and returns that value; fails the test,
/// naming `what`, when `within` passes first. For what the server does after it has answered
/// (an email written by the job worker, a revocation heard through Redis, a socket closed).
pub async fn eventually<T>(
    within: std::time::Duration,
    what: impl std::fmt::Display,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {within:?}: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A page of a cursor list, as clients read it (`docs/api-conventions.md`, "Lists").
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The `cursor` of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// A Redis key prefix no other test uses (`AGORA_REDIS_PREFIX`).
pub fn unique_redis_prefix() -> String {
    format!("agora-test:{}:", uuid::Uuid::now_v7().simple())
}

/// A fresh, empty database for one test: a SQLite file or a PostgreSQL schema.
pub struct TestDatabase {
    /// The `DATABASE_URL` that reaches it.
    pub url: String,
    pub kind: DatabaseKind,
    /// Holds the SQLite file (and the data directory) until the test ends.
    pub dir: tempfile::TempDir,
    /// The PostgreSQL schema to drop at the end.
    schema: Option<String>,
}

impl TestDatabase {
    pub async fn create() -> Self {
        Self::create_on(test_database()).await
    }

    pub async fn create_on(kind: DatabaseKind) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory for the test");
        match kind {
            DatabaseKind::Sqlite => Self {
                url: format!("sqlite://{}", dir.path().join("agora.db").display()),
                kind,
                dir,
                schema: None,
            },
            DatabaseKind::Postgres => {
                let base = postgres_url();
                let schema = format!("test_{}", uuid::Uuid::now_v7().simple());
                run_on_postgres(&base, &format!("CREATE SCHEMA \"{schema}\"")).await;
                let separator = if base.contains('?') { '&' } else { '?' };
                Self {
                    url: format!(
                        "{base}{separator}options[search_path]={schema}&application_name={schema}"
                    ),
                    kind,
                    dir,
                    schema: Some(schema),
                }
            }
        }
    }
}

impl TestDatabase {
    /// Another handle on the same database, for a second instance of the application (its own
    /// data directory); the database lives as long as the first handle.
    pub fn second_handle(&self) -> TestDatabase {
        TestDatabase {
            url: self.url.clone(),
            kind: self.kind,
            dir: tempfile::tempdir().expect("a temporary directory for the test"),
            schema: None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(schema) = self.schema.take() {
            // Drop cannot await; a short-lived thread with its own runtime does the clean-up.
            let base = postgres_url();
            let _ = std::thread::spawn(move || {
                if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    // The test's runtime is blocked on this thread, so a task of its server
                    // caught inside a transaction would hold its locks for ever and the drop
                    // would wait for ever: its connections (named after the schema) end first.
                    runtime.block_on(run_on_postgres(
                        &base,
                        &format!(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                             WHERE application_name = '{schema}' AND pid <> pg_backend_pid(); \
                             DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                        ),
                    ));
                }
            })
            .join();
        }
    }
}

/// Runs one statement on the test PostgreSQL server, outside any test schema.
pub async fn run_on_postgres(url: &str, sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap_or_else(|err| {
        panic!(
            "cannot reach the test PostgreSQL at {url} ({err}); start it or set AGORA_TEST_POSTGRES_URL"
        )
    });
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|err| panic!("`{sql}` failed: {err}"));
    let _ = conn.close().await;
}

/// Builds a [`TestApp`] with settings of the test's choosing.
pub struct TestAppBuilder {
    env: HashMap<String, String>,
    migrate: bool,
    assembly: Assembly,
}

impl TestAppBuilder {
    /// Sets a configuration variable, as the environment would (`AGORA_MODULES`, ...).
    pub fn env(mut self, name: &str, value: impl Into<String>) -> Self {
        self.env.insert(name.to_owned(), value.into());
        self
    }

    /// Adds a kind of real-time room, as a module would declare it.
    pub fn room_kind(mut self, kind: RoomKind) -> Self {
        self.assembly = self.assembly.with_room(kind);
        self
    }

    /// Adds a module of the test's own, on whatever `AGORA_MODULES` says: its settings are
    /// loaded, its services built, its routes, jobs and schedules registered as a product's.
    pub fn module(mut self, module: Module) -> Self {
        self.assembly = self.assembly.with_module(module);
        self
    }

    /// Leaves out metrics, the error log and analytics (the benchmark that prices them).
    pub fn without_observation(mut self) -> Self {
        self.assembly = self.assembly.without_observation();
        self
    }

    /// Starts without applying migrations (`--no-migrate`).
    pub fn without_migrations(mut self) -> Self {
        self.migrate = false;
        self
    }

    pub async fn spawn(self) -> TestApp {
        let database = TestDatabase::create().await;
        self.spawn_on(database).await
    }

    /// Starts the application on a database the test prepared.
    pub async fn spawn_on(self, database: TestDatabase) -> TestApp {
        let config = self.config(&database);
        let app = self
            .assembly
            .build(config, self.migrate)
            .await
            .unwrap_or_else(|err| panic!("the application failed to start: {err:#}"));
        let state = app.state.clone();
        let server = Server::start(app).await;
        TestApp {
            client: TestClient::new(server.address),
            state,
            server,
            database,
        }
    }

    /// The configuration a test app runs with: defaults, the test's database and data
    /// directory, a random port, and the variables set on the builder.
    pub fn config(&self, database: &TestDatabase) -> Config {
        let mut env: HashMap<String, String> = HashMap::from([
            ("AGORA_LISTEN".into(), "127.0.0.1:0".into()),
            (
                "AGORA_DATA_DIR".into(),
                database.dir.path().display().to_string(),
            ),
            ("DATABASE_URL".into(), database.url.clone()),
            ("AGORA_SECRET_KEY".into(), TEST_SECRET_KEY.into()),
            ("AGORA_DATABASE_MAX_CONNECTIONS".into(), "4".into()),
            // Tests sign many accounts up and in from one address; the tests of these limits set
            // them back (tests/api/server/ratelimit.rs, tests/api/platform/identity/limits.rs).
            ("AGORA_RATE_LIMIT_LOGIN".into(), "10000/1m".into()),
            ("AGORA_RATE_LIMIT_LOGIN_ACCOUNT".into(), "10000/1m".into()),
            ("AGORA_RATE_LIMIT_REGISTER".into(), "10000/1m".into()),
            ("AGORA_RATE_LIMIT_PASSWORD_RESET".into(), "10000/1m".into()),
        ]);
        env.extend(self.env.clone());
        Config::load(
            None,
            |name| env.get(name).cloned(),
            &self.assembly.settings_sections(),
        )
        .unwrap_or_else(|err| panic!("invalid test configuration: {err}"))
    }
}

/// The application's services over a fresh, migrated database, with no server and hence no
/// job worker but the ones the test drives (`Worker::run_due`) at the times it chooses.
pub async fn services_without_server() -> (AppState, TestDatabase) {
    let database = TestDatabase::create().await;
    let config = TestApp::builder().config(&database);
    let db = agora::app::connect(&config)
        .await
        .expect("the test database");
    agora::app::migrator()
        .up(&db)
        .await
        .expect("the migrations apply");
    let state = AppState::new(config, db).expect("the services start");
    (state, database)
}

/// A configuration for tests that build their own router (no database is opened).
pub fn test_config(env: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("AGORA_SECRET_KEY".into(), TEST_SECRET_KEY.into()),
        ("DATABASE_URL".into(), "sqlite://unused.db".into()),
    ]);
    vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    Config::load(
        None,
        |name| vars.get(name).cloned(),
        &agora::app::settings_sections(),
    )
    .unwrap_or_else(|err| panic!("invalid test configuration: {err}"))
}

/// A running application, stopped when dropped.
pub struct TestApp {
    pub client: TestClient,
    state: AppState,
    server: Server,
    database: TestDatabase,
}

impl TestApp {
    /// The application with default settings over a fresh database.
    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            env: HashMap::new(),
            migrate: true,
            assembly: Assembly::default(),
        }
    }

    pub fn address(&self) -> SocketAddr {
        self.server.address
    }

    pub fn url(&self, path: &str) -> String {
        self.client.url(path)
    }

    /// The application's database, to check what a request left behind.
    pub fn db(&self) -> &Db {
        self.state.db()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// `SELECT COUNT(*) FROM {from}`: how many rows a request left behind
    /// (`app.count("tasks WHERE status = 'done'")`).
    pub async fn count(&self, from: &str) -> i64 {
        self.try_count(from)
            .await
            .unwrap_or_else(|err| panic!("counting rows of `{from}` failed: {err}"))
    }

    /// [`TestApp::count`] for a test that expects the query may fail (a missing table).
    pub async fn try_count(&self, from: &str) -> Result<i64, agora_store::sea_orm::DbErr> {
        use agora_store::sea_orm::{ConnectionTrait, DbErr, Statement};
        let sql = format!("SELECT COUNT(*) AS n FROM {from}");
        self.db()
            .reader()
            .query_one_raw(Statement::from_string(self.db().backend(), sql))
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("COUNT(*) returned no row".into()))?
            .try_get::<i64>("", "n")
    }

    /// Runs one statement on the application's database (to age a row, say); returns the
    /// number of rows it changed.
    pub async fn execute(&self, sql: &str) -> u64 {
        use agora_store::sea_orm::{ConnectionTrait, Statement};
        self.db()
            .writer()
            .execute_raw(Statement::from_string(self.db().backend(), sql.to_owned()))
            .await
            .unwrap_or_else(|err| panic!("`{sql}` failed: {err}"))
            .rows_affected()
    }

    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    /// The folder the log email transport writes `{email id}.eml` files to.
    pub fn mail_dir(&self) -> std::path::PathBuf {
        self.database.dir.path().join("mail")
    }

    /// The `.eml` file the log transport wrote for the email `id`, once the job worker has
    /// written it (within 10 s).
    pub async fn written_eml(&self, id: impl std::fmt::Display) -> String {
        let file = self.mail_dir().join(format!("{id}.eml"));
        eventually(
            std::time::Duration::from_secs(10),
            format_args!("{} is written", file.display()),
            async || std::fs::read_to_string(&file).ok(),
        )
        .await
    }

    pub fn get(&self, path: &str) -> TestRequest {
        self.client.get(path)
    }

    pub fn post(&self, path: &str) -> TestRequest {
        self.client.post(path)
    }

    pub fn put(&self, path: &str) -> TestRequest {
        self.client.put(path)
    }

    pub fn patch(&self, path: &str) -> TestRequest {
        self.client.patch(path)
    }

    pub fn delete(&self, path: &str) -> TestRequest {
        self.client.delete(path)
    }

    /// Registers `username` (email `{username}@example.com`, password [`TEST_PASSWORD`]) and
    /// returns the signed-in account.
    pub async fn register(&self, username: &str) -> TestUser {
        let response = self
            .post("/api/v1/auth/register")
            .json(&json!({
                "username": username,
                "email": format!("{username}@example.com"),
                "password": TEST_PASSWORD,
            }))
            .send()
            .await;
        response.assert_status(StatusCode::CREATED);
        TestUser::from_auth(&response.json())
    }

    /// Creates an admin as `agora admin create` does, and signs it in.
    pub async fn admin(&self, username: &str) -> TestUser {
        agora_platform::identity::users::create_admin(
            self.state.identity(),
            self.db(),
            username,
            &format!("{username}@example.com"),
            Some(TEST_PASSWORD.to_owned()),
        )
        .await
        .unwrap_or_else(|err| panic!("cannot create the admin {username}: {err}"));
        self.login(username).await
    }

    /// Signs `username` in again (password [`TEST_PASSWORD`]): another session of the account.
    pub async fn login(&self, username: &str) -> TestUser {
        let response = self
            .post("/api/v1/auth/login")
            .json(&json!({ "username": username, "password": TEST_PASSWORD }))
            .send()
            .await;
        response.assert_status(StatusCode::OK);
        TestUser::from_auth(&response.json())
    }

    /// A WebSocket to `/api/v1/ws` signed in as `user`.
    pub async fn socket(&self, user: &TestUser) -> ws::TestSocket {
        ws::TestSocket::connect(self.address(), &user.access_token).await
    }

    /// Asks the server to shut down gracefully and waits until it has.
    pub async fn shutdown(mut self) {
        self.server.stop().await;
    }
}

/// The password of the accounts tests make.
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// A signed-in account of a test.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub username: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestUser {
    /// From the body of a register, login or refresh response.
    pub fn from_auth(auth: &serde_json::Value) -> TestUser {
        let text = |value: &serde_json::Value| value.as_str().map(str::to_owned);
        (|| {
            Some(TestUser {
                id: text(&auth["user"]["id"])?,
                username: text(&auth["user"]["username"])?,
                access_token: text(&auth["access_token"])?,
                refresh_token: text(&auth["refresh_token"])?,
            })
        })()
        .unwrap_or_else(|| panic!("not a sign-in response: {auth}"))
    }
}

/// A server task and the means to stop it.
pub struct Server {
    pub address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Serves `app` on a random local port with the real serving loop.
    pub async fn start(app: App) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free local port");
        let address = listener.local_addr().expect("a bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(agora::serve::serve(listener, app, async move {
            let _ = stopped.await;
        }));
        Server {
            address,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Serves any router (with whatever middleware the test applied) on a random local port,
    /// with the connection's address available to extractors as `agora serve` does.
    pub async fn start_router(router: axum::Router) -> (SocketAddr, JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free local port");
        let address = listener.local_addr().expect("a bound address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        (address, task)
    }

    /// Signals shutdown and waits for the serving loop to end.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            match task.await {
                Ok(result) => result.expect("the server stopped cleanly"),
                Err(err) => panic!("the server task failed: {err}"),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// An HTTP client bound to one server.
#[derive(Clone)]
pub struct TestClient {
    base: String,
    http: reqwest::Client,
}

impl TestClient {
    pub fn new(address: SocketAddr) -> Self {
        agora_platform::tls::install_crypto_provider();
        Self {
            base: format!("http://{address}"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn request(&self, method: Method, path: &str) -> TestRequest {
        TestRequest {
            inner: self.http.request(method, self.url(path)),
        }
    }

    pub fn get(&self, path: &str) -> TestRequest {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> TestRequest {
        self.request(Method::POST, path)
    }

    pub fn put(&self, path: &str) -> TestRequest {
        self.request(Method::PUT, path)
    }

    pub fn patch(&self, path: &str) -> TestRequest {
        self.request(Method::PATCH, path)
    }

    pub fn delete(&self, path: &str) -> TestRequest {
        self.request(Method::DELETE, path)
    }
}

/// A request being built.
pub struct TestRequest {
    inner: reqwest::RequestBuilder,
}

impl TestRequest {
    pub fn json(self, body: &impl Serialize) -> Self {
        Self {
            inner: self.inner.json(body),
        }
    }

    /// A raw body with the given content type.
    pub fn body(self, content_type: &str, body: impl Into<reqwest::Body>) -> Self {
        Self {
            inner: self
                .inner
                .header(header::CONTENT_TYPE, content_type)
                .body(body),
        }
    }

    pub fn header(self, name: &str, value: &str) -> Self {
        Self {
            inner: self.inner.header(name, value),
        }
    }

    pub fn bearer(self, token: &str) -> Self {
        Self {
            inner: self.inner.bearer_auth(token),
        }
    }

    pub async fn send(self) -> TestResponse {
        let response = self
            .inner
            .send()
            .await
            .expect("the request reached the server");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("the response body").to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }
}

/// A response, fully read.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as `T`; fails the test with the body when it does not parse.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "the {} response is not the expected JSON ({err}): {}",
                self.status,
                self.text()
            )
        })
    }

    /// The problem document of an error response, checking its content type.
    pub fn problem(&self) -> Problem {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "a {} response must be a problem document: {}",
            self.status,
            self.text()
        );
        self.json()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem document of an error response, after checking its status and its `code`.
    #[track_caller]
    pub fn assert_problem(&self, status: StatusCode, code: &str) -> Problem {
        self.assert_status(status);
        let problem = self.problem();
        assert_eq!(problem.code, code, "unexpected problem: {}", self.text());
        problem
    }

    /// Fails the test, showing the body, unless the status is `expected`.
    #[track_caller]
    pub fn assert_status(&self, expected: StatusCode) -> &Self {
        assert_eq!(
            self.status,
            expected,
            "unexpected status; body: {}",
            self.text()
        );
        self
    }
}
