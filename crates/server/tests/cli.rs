//! The `agora` binary as a person runs it: no configuration, a bad setting, the reference.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod telemetry;

const AGORA: &str = env!("CARGO_BIN_EXE_agora");

/// Runs `agora` in an empty directory with only the given variables set.
fn agora(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(AGORA);
    command.current_dir(dir).args(args).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    command.envs(env.iter().copied());
    command
}

#[test]
fn an_invalid_setting_stops_the_start_with_one_line_that_names_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = agora(dir.path(), &[], &[("AGORA_LISTEN", "localhost")])
        .output()
        .expect("agora runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        "error: invalid configuration: AGORA_LISTEN: `localhost` is not an address and port such as 127.0.0.1:8080"
    );
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

#[test]
fn a_module_the_server_does_not_have_stops_the_start_naming_the_known_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = agora(dir.path(), &[], &[("AGORA_MODULES", "tasks,chat")])
        .output()
        .expect("agora runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        "error: invalid configuration: AGORA_MODULES (`modules`): unknown module `chat`; modules are: social, forums, fantasy, tasks"
    );
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

#[test]
fn an_invalid_file_setting_names_the_file_and_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("agora.toml"),
        "request_timeout = \"soon\"\n",
    )
    .expect("write");
    let output = agora(dir.path(), &["config"], &[])
        .output()
        .expect("agora runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`request_timeout` in agora.toml: `soon` is not a duration"),
        "{stderr}"
    );
}

#[test]
fn production_without_secrets_refuses_to_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = agora(dir.path(), &[], &[("AGORA_ENV", "production")])
        .output()
        .expect("agora runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("AGORA_SECRET_KEY is required"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_committed_configuration_reference_is_current() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = agora(dir.path(), &["config", "--reference"], &[])
        .output()
        .expect("agora runs");
    assert!(output.status.success());
    let generated = String::from_utf8(output.stdout).expect("UTF-8");
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/configuration.md"
    ))
    .expect("docs/configuration.md exists");
    assert_eq!(
        committed, generated,
        "docs/configuration.md is stale: run `cargo run -- config --reference > docs/configuration.md`"
    );
}

#[test]
fn the_committed_error_reference_is_current() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = agora(dir.path(), &["errors"], &[])
        .output()
        .expect("agora runs");
    assert!(output.status.success());
    let generated = String::from_utf8(output.stdout).expect("UTF-8");
    for code in [
        "validation_failed",
        "invalid_credentials",
        "database_unavailable",
        "too_long",
    ] {
        assert!(generated.contains(&format!("`{code}`")), "{code} is listed");
    }
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md"))
            .expect("docs/errors.md exists");
    assert_eq!(
        committed, generated,
        "docs/errors.md is stale: run `cargo run -- errors > docs/errors.md`"
    );
}

#[test]
fn config_prints_the_effective_settings_without_secrets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = agora(
        dir.path(),
        &["config"],
        &[
            ("DATABASE_URL", "postgres://agora:hunter2@db.internal/agora"),
            (
                "AGORA_SECRET_KEY",
                "a-very-long-secret-value-of-more-than-32-chars",
            ),
        ],
    )
    .output()
    .expect("agora runs");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("database_url = \"postgres://agora:********@db.internal/agora\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("# DATABASE_URL: environment DATABASE_URL"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("hunter2") && !stdout.contains("a-very-long-secret"),
        "{stdout}"
    );
}

#[test]
fn a_module_setting_is_printed_and_a_bad_one_stops_the_start_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = agora(dir.path(), &["config"], &[("AGORA_TASKS_PAGE_SIZE", "7")])
        .output()
        .expect("agora runs");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "tasks.page_size = \"7\"  # AGORA_TASKS_PAGE_SIZE: environment AGORA_TASKS_PAGE_SIZE"
        ),
        "{stdout}"
    );

    std::fs::write(dir.path().join("agora.toml"), "[tasks]\npage_size = 0\n").expect("write");
    let output = agora(dir.path(), &[], &[]).output().expect("agora runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        "error: invalid configuration: `tasks.page_size` in agora.toml: `0` is not a whole number from 1 to 100"
    );
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

#[test]
fn openapi_prints_the_document_the_server_serves_without_touching_anything() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = agora(dir.path(), &["openapi"], &[("AGORA_MODULES", "tasks")])
        .output()
        .expect("agora runs");
    assert!(output.status.success(), "{output:?}");
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the document is JSON");
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().expect("paths");
    assert!(
        paths.contains_key("/api/v1/users/{user_id}/tasks"),
        "the enabled module"
    );
    assert!(paths.contains_key("/api/v1/auth/login"), "the platform");
    // Finished as served: public operations say so.
    assert_eq!(
        document["paths"]["/api/v1/auth/login"]["post"]["security"],
        serde_json::json!([])
    );
    // Nothing was created: no data directory, no database, no secret.
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("the folder").count(),
        0
    );
}

#[tokio::test]
async fn with_no_configuration_it_serves_health_docs_and_openapi_then_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let mut child = agora(dir.path(), &[], &[("AGORA_LISTEN", &listen)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("agora starts");

    let base = format!("http://{listen}");
    agora_platform::tls::install_crypto_provider();
    let client = reqwest::Client::new();
    let mut healthy = false;
    while started.elapsed() < Duration::from_secs(30) {
        if let Ok(response) = client.get(format!("{base}/health")).send().await
            && response.status() == 200
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(healthy, "/health did not answer within 30 s");
    eprintln!("time from start to healthy: {:?}", started.elapsed());

    for path in ["/health/ready", "/docs/", "/openapi.json"] {
        let response = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect(path);
        assert_eq!(response.status(), 200, "{path}");
    }
    assert!(
        dir.path().join("data/agora.db").exists(),
        "SQLite under ./data"
    );
    assert!(
        dir.path().join("data/secrets/secret_key").exists(),
        "a generated secret"
    );

    stop_with_sigterm(&mut child).await;
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read");
    assert!(stderr.contains("Agora listening on http://"), "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
    assert!(
        !stderr.contains('\x1b'),
        "colour escape codes in logs that go to a pipe: {stderr:?}"
    );
}

/// The modes of what the server created under its data directory: nobody else may read the
/// database (password hashes) or the secrets.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_database_it_creates_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = agora(dir.path(), &[], &[("AGORA_LISTEN", &listen)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("agora starts");
    let started = Instant::now();
    while TcpStream::connect(&listen).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not listening within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mode = |path: &str| {
        std::fs::metadata(dir.path().join(path))
            .unwrap_or_else(|err| panic!("{path}: {err}"))
            .permissions()
            .mode()
            & 0o777
    };
    let modes = [
        ("data", mode("data")),
        ("data/agora.db", mode("data/agora.db")),
        ("data/secrets", mode("data/secrets")),
        ("data/secrets/secret_key", mode("data/secrets/secret_key")),
    ];
    for suffix in ["-wal", "-shm"] {
        let path = format!("data/agora.db{suffix}");
        if dir.path().join(&path).exists() {
            assert_eq!(mode(&path), 0o600, "{path}");
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        modes,
        [
            ("data", 0o700),
            ("data/agora.db", 0o600),
            ("data/secrets", 0o700),
            ("data/secrets/secret_key", 0o600),
        ]
    );
}

/// A second Ctrl-C during the drain ends the process at once instead of being ignored.
#[cfg(unix)]
#[tokio::test]
async fn a_second_signal_during_the_drain_exits_at_once() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = agora(
        dir.path(),
        &[],
        &[
            ("AGORA_LISTEN", &listen),
            ("AGORA_SHUTDOWN_TIMEOUT", "60s"),
            ("AGORA_HEADER_READ_TIMEOUT", "60s"),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("agora starts");
    // The port is bound before the server is built (a busy port stops the start before any
    // side effect), so a connection alone does not mean the signal handlers are in place: wait
    // for an answer.
    let started = Instant::now();
    loop {
        if let Ok(mut probe) = TcpStream::connect(&listen) {
            let _ =
                probe.write_all(b"GET /health HTTP/1.1\r\nHost: lo\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            let _ = std::io::Read::read_to_string(&mut probe, &mut answer);
            if answer.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not serving within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut slow = TcpStream::connect(&listen).expect("a second connection");
    // A request whose head never completes holds the drain open (up to the timeouts above).
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: lo")
        .expect("half a request");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let pid = child.id().to_string();
    let interrupt = || {
        let status = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(status.success());
    };
    interrupt();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the first signal should start a drain, not end the process"
    );
    interrupt();
    let deadline = Instant::now() + Duration::from_secs(5);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("the second signal was ignored: still draining after 5 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(exit.code(), Some(130), "exit status {exit}");
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read");
    assert!(stderr.contains("second signal"), "{stderr}");
}

/// A data directory with its SQLite database, for commands run one after another on it.
struct DataDir {
    dir: tempfile::TempDir,
    database_url: String,
}

impl DataDir {
    fn new() -> DataDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = format!("sqlite://{}/agora.db", dir.path().display());
        DataDir { dir, database_url }
    }

    /// Runs `agora args` there: its exit code, stdout and stderr.
    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let env = [
            ("DATABASE_URL", self.database_url.as_str()),
            ("RUST_LOG", "warn"),
        ];
        let output = agora(self.dir.path(), args, &env)
            .output()
            .expect("agora runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code(), stdout, stderr)
    }

    /// Its database, as the test's own handle (close it before the next command).
    async fn open(&self) -> agora_store::Db {
        let config = agora_core::config::Config::load(
            None,
            |name| (name == "DATABASE_URL").then(|| self.database_url.clone()),
            &agora::app::settings_sections(),
        )
        .expect("a configuration");
        agora::app::connect(&config).await.expect("the database")
    }
}

/// Sends SIGTERM to a running `agora` and waits (at most 15 s) for a clean exit.
async fn stop_with_sigterm(child: &mut std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(Instant::now() < deadline, "agora did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(exit.success(), "exit status {exit}");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("an address")
        .port()
}

#[test]
fn admin_create_makes_the_first_admin_once_with_a_generated_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    let create = || {
        agora(
            dir.path(),
            &[
                "admin",
                "create",
                "--email",
                "root@example.com",
                "--username",
                "root",
            ],
            &[("RUST_LOG", "warn")],
        )
        .output()
        .expect("agora runs")
    };
    let output = create();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("created admin root (root@example.com)"),
        "{stdout}"
    );
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("generated password (shown once): "))
        .expect("a generated password");
    assert!(password.len() >= 32, "{password}");

    let again = create();
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("the username root is already taken"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn admin_create_reads_a_password_from_stdin_and_applies_the_policy() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = agora(
        dir.path(),
        &[
            "admin",
            "create",
            "--email",
            "a@example.com",
            "--username",
            "admin2",
            "--password-stdin",
        ],
        &[("RUST_LOG", "warn")],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("agora runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"password1\n")
        .expect("write");
    let output = child.wait_with_output().expect("agora ends");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the password is one of the most common"),
        "{stderr}"
    );
}

#[tokio::test]
async fn jobs_commands_list_count_retry_and_purge_the_queue() {
    use agora_platform::jobs::Enqueue;
    use agora_platform::jobs::queue::{self, Outcome};

    let data = DataDir::new();
    let run = |args: &[&str]| data.run(args);
    let (code, _, stderr) = run(&["migrate", "up"]);
    assert_eq!(code, Some(0), "{stderr}");

    // Two jobs of a kind no server runs: one waiting, one dead after a failure.
    let db = data.open().await;
    let now = agora_core::time::now();
    let payload = serde_json::json!({});
    for _ in 0..2 {
        queue::insert(db.writer(), "test.cli", &payload, Enqueue::default(), now)
            .await
            .expect("enqueued");
    }
    let lease = now + chrono::Duration::minutes(1);
    let claimed = queue::claim_next(db.writer(), &["test.cli"], now, lease, "test")
        .await
        .expect("claims")
        .expect("a job");
    let dead = Outcome::Dead {
        error: "the relay said no".into(),
    };
    assert!(
        queue::record(db.writer(), &claimed, &dead, now)
            .await
            .expect("records")
    );
    db.close().await;

    let (code, stdout, stderr) = run(&["jobs", "list", "--status", "dead"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains(&claimed.id.to_string()), "{stdout}");
    assert!(stdout.contains("the relay said no"), "{stdout}");
    assert!(stdout.contains("1 of 1 job(s)"), "{stdout}");

    let (_, stdout, _) = run(&["jobs", "stats"]);
    let line = stdout
        .lines()
        .find(|line| line.starts_with("test.cli"))
        .unwrap_or_else(|| panic!("{stdout}"));
    let counts: Vec<&str> = line.split_whitespace().skip(1).collect();
    // queued, due, retrying, running, succeeded, dead
    assert_eq!(counts, ["1", "1", "0", "0", "0", "1"], "{stdout}");

    let (code, stdout, _) = run(&["jobs", "retry", "--dead"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("queued 1 dead job(s) again"), "{stdout}");
    let (_, stdout, _) = run(&["jobs", "list", "--status", "queued"]);
    assert!(stdout.contains("2 of 2 job(s)"), "{stdout}");
    let (_, stdout, _) = run(&["jobs", "retry", &claimed.id.to_string()]);
    assert!(stdout.contains("not dead; left alone"), "{stdout}");

    let (code, stdout, _) = run(&[
        "jobs",
        "purge",
        "--status",
        "succeeded",
        "--older-than",
        "1d",
    ]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("deleted 0 succeeded job(s)"), "{stdout}");
    // Only finished jobs can be purged: clap refuses the rest.
    let (code, _, stderr) = run(&["jobs", "purge", "--status", "queued"]);
    assert_eq!(code, Some(2), "{stderr}");
    let (code, _, stderr) = run(&["jobs", "purge", "--status", "dead", "--older-than", "soon"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("`soon` is not a duration"), "{stderr}");

    let (_, stdout, _) = run(&["jobs", "schedules"]);
    assert!(stdout.contains("jobs.purge"), "{stdout}");
    assert!(stdout.contains("idempotency.purge"), "{stdout}");
}

#[tokio::test]
async fn a_modules_command_runs_under_its_name_tasks_export_prints_a_users_tasks() {
    use agora_tasks::tasks::queries;
    use agora_tasks::tasks::rules::{Priority, Status, TaskContent};

    let data = DataDir::new();
    let run = |args: &[&str]| data.run(args);
    let (code, _, stderr) = run(&[
        "admin",
        "create",
        "--email",
        "root@example.com",
        "--username",
        "root",
    ]);
    assert_eq!(code, Some(0), "{stderr}");

    let db = data.open().await;
    let root = agora_platform::identity::users::find_by_login(db.reader(), None, Some("root"))
        .await
        .expect("reads")
        .expect("root exists");
    let start = agora_core::time::now();
    // More than one page of the list (100), so the command follows the cursor.
    for n in 0..105 {
        let content = TaskContent {
            title: format!("task {n}"),
            description: None,
            status: Status::Todo,
            priority: Priority::Medium,
            due_at: None,
            tags: Vec::new(),
        };
        let at = start + chrono::Duration::seconds(n);
        queries::insert(db.writer(), agora_core::UserId(root.id), content, at)
            .await
            .expect("inserted");
    }
    db.close().await;

    let (code, stdout, stderr) = run(&["tasks", "export", "--user", "root"]);
    assert_eq!(code, Some(0), "{stderr}");
    let titles: Vec<String> = stdout
        .lines()
        .map(|line| {
            let task: serde_json::Value = serde_json::from_str(line).expect("one JSON task a line");
            task["title"].as_str().expect("a title").to_owned()
        })
        .collect();
    let expected: Vec<String> = (0..105).map(|n| format!("task {n}")).collect();
    assert_eq!(titles, expected, "every task once, oldest first");

    let (code, _, stderr) = run(&["tasks", "export", "--user", "nobody"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("no account has the username or email `nobody`"),
        "{stderr}"
    );

    let (code, _, stderr) = run(&["tasks"]);
    assert_eq!(code, Some(2), "clap asks for a subcommand: {stderr}");
    let (code, stdout, _) = run(&["--help"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("tasks"),
        "the module's command is listed: {stdout}"
    );
}

#[tokio::test]
async fn fantasy_import_reads_a_folder_in_one_transaction_with_a_line_per_step() {
    use agora_store::sea_orm::{ConnectionTrait, Statement};

    let fixtures = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testkit/fixtures/f1"
    ));
    let data = DataDir::new();
    let seasons = async |data: &DataDir| -> i64 {
        let db = data.open().await;
        let sql = "SELECT COUNT(*) AS n FROM fantasy_seasons";
        let row = db
            .reader()
            .query_one_raw(Statement::from_string(db.backend(), sql))
            .await
            .expect("a count")
            .expect("a row");
        let n = row.try_get::<i64>("", "n").expect("a number");
        db.close().await;
        n
    };

    // A folder whose last results file has a grid that is not a number.
    let broken = tempfile::tempdir().expect("temp dir");
    let season = broken.path().join("2023");
    std::fs::create_dir_all(season.join("results")).expect("a folder");
    for file in [
        "drivers.json",
        "constructors.json",
        "races.json",
        "results/round-01.json",
    ] {
        std::fs::copy(fixtures.join("2023").join(file), season.join(file)).expect("copied");
    }
    let last = season.join("results/round-22.json");
    let text = std::fs::read_to_string(fixtures.join("2023/results/round-22.json")).expect("read");
    std::fs::write(&last, text.replacen("\"grid\": \"", "\"grid\": \"P", 1)).expect("written");
    let broken_dir = broken.path().to_str().expect("UTF-8");
    let (code, _, stderr) = data.run(&[
        "fantasy", "import", "--season", "2023", "--from", broken_dir,
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("round-22.json"), "{stderr}");
    assert!(
        stderr.contains("MRData.RaceTable.Races[0].Results[0].grid"),
        "{stderr}"
    );
    assert_eq!(seasons(&data).await, 0, "nothing was imported");

    let dir = fixtures.to_str().expect("UTF-8");
    let (code, stdout, stderr) =
        data.run(&["fantasy", "import", "--season", "2023", "--from", dir]);
    assert_eq!(code, Some(0), "{stderr}");
    for line in [
        "season 2023: 22 drivers",
        "season 2023: 10 teams",
        "season 2023: 22 races in the calendar",
        "season 2023: results of 22 races",
        "season 2023: results of 6 sprints",
        "season 2023: written in one transaction",
    ] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
    assert_eq!(seasons(&data).await, 1);

    let (code, _, stderr) = data.run(&["fantasy", "import", "--season", "1900"]);
    assert_eq!(code, Some(2), "clap refuses the season: {stderr}");
}
