//! Durable jobs: retries with backoff until dead, a job picked up again after its worker died,
//! timeouts and panics as failed attempts, unique jobs, the scheduler firing once per tick
//! with two instances, and the admin endpoints. The queue runs on the real database; tests
//! drive workers with `run_due` at the times they choose, or run them live.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use agora_platform::AppState;
use agora_platform::jobs::queue::{self, JobFilter};
use agora_platform::jobs::schedule::Scheduler;
use agora_platform::jobs::{
    self, Enqueue, Enqueued, Job, JobContext, JobError, JobId, JobKind, JobKinds, JobStatus,
    RetryPolicy, Schedule, StoredJob, Worker, WorkerOptions,
};
use agora_testkit::{Server, TestApp, TestDatabase, services_without_server};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The test's own kind of job: its handler is whatever the test gives.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Probe {
    label: String,
}

impl Job for Probe {
    const KIND: &'static str = "test.probe";
}

fn probe(label: &str) -> Probe {
    Probe {
        label: label.to_owned(),
    }
}

const FAST_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    base_delay: Duration::from_secs(10),
    max_delay: Duration::from_secs(60),
};

fn worker(state: &AppState, kind: JobKind) -> Worker {
    let kinds = JobKinds::new([kind]).expect("one kind");
    Worker::new(
        state.clone(),
        kinds,
        WorkerOptions {
            lease_margin: Duration::ZERO,
            ..WorkerOptions::default()
        },
    )
}

async fn enqueue(state: &AppState, job: &Probe, now: DateTime<Utc>) -> JobId {
    let txn = state.db().begin().await.expect("a transaction");
    let id = jobs::enqueue(&txn, job, now).await.expect("enqueued");
    txn.commit().await.expect("the commit");
    id
}

async fn stored(state: &AppState, id: JobId) -> StoredJob {
    queue::find(state.db().reader(), id)
        .await
        .expect("the queue is readable")
        .expect("the job exists")
}

#[tokio::test]
async fn a_job_exists_only_if_its_transaction_commits() {
    let (state, _database) = services_without_server().await;
    let now = agora_core::time::now();
    let txn = state.db().begin().await.expect("a transaction");
    jobs::enqueue(&txn, &probe("rolled back"), now)
        .await
        .expect("enqueued");
    txn.rollback().await.expect("the rollback");
    let listed = queue::list(
        state.db().reader(),
        &JobFilter::default(),
        agora_core::pagination::PageNumber::first(100),
    )
    .await
    .expect("listed");
    assert_eq!((listed.items.len(), listed.total), (0, 0));

    let id = enqueue(&state, &probe("kept"), now).await;
    let job = stored(&state, id).await;
    assert_eq!(job.kind, "test.probe");
    assert_eq!(job.payload, json!({ "label": "kept" }));
    assert_eq!(
        (job.status, job.attempts, job.run_at),
        (JobStatus::Queued, 0, now)
    );
}

#[tokio::test]
async fn a_failing_job_is_retried_with_growing_waits_then_kept_dead_with_its_last_error() {
    let (state, _database) = services_without_server().await;
    let dead_hook = Arc::new(AtomicU32::new(0));
    let hook = dead_hook.clone();
    let kind = JobKind::new(|ctx: JobContext, job: Probe| async move {
        Err::<(), _>(JobError::retry(format!(
            "{} failed on attempt {}",
            job.label, ctx.attempt
        )))
    })
    .retry(FAST_RETRY)
    .on_dead(move |_: JobContext, job: Probe, error: String| {
        let hook = hook.clone();
        async move {
            assert_eq!(job.label, "flaky");
            assert!(error.contains("attempt 3"), "{error}");
            hook.fetch_add(1, Ordering::SeqCst);
        }
    });
    let worker = worker(&state, kind);
    let start = agora_core::time::now();
    let id = enqueue(&state, &probe("flaky"), start).await;

    // Attempt 1 fails: due again 5–10 s later (10 s, less up to half of jitter).
    assert_eq!(worker.run_due(start, 10).await.expect("runs"), 1);
    let first = stored(&state, id).await;
    assert_eq!((first.status, first.attempts), (JobStatus::Queued, 1));
    assert_eq!(
        first.last_error.as_deref(),
        Some("flaky failed on attempt 1")
    );
    let wait = first.run_at - start;
    assert!(
        wait >= chrono::Duration::seconds(5) && wait <= chrono::Duration::seconds(11),
        "{wait}"
    );
    // Not before.
    let early = first.run_at - chrono::Duration::milliseconds(1);
    assert_eq!(worker.run_due(early, 10).await.expect("runs"), 0);

    // Attempt 2: the wait doubles (10–20 s).
    assert_eq!(worker.run_due(first.run_at, 10).await.expect("runs"), 1);
    let second = stored(&state, id).await;
    assert_eq!((second.status, second.attempts), (JobStatus::Queued, 2));
    let wait = second.run_at - first.run_at;
    assert!(
        wait >= chrono::Duration::seconds(10) && wait <= chrono::Duration::seconds(21),
        "{wait}"
    );

    // Attempt 3 of 3: dead, with its last error, and the kind's hook told once.
    assert_eq!(worker.run_due(second.run_at, 10).await.expect("runs"), 1);
    let dead = stored(&state, id).await;
    assert_eq!((dead.status, dead.attempts), (JobStatus::Dead, 3));
    assert_eq!(
        dead.last_error.as_deref(),
        Some("flaky failed on attempt 3")
    );
    assert!(dead.finished_at.is_some());
    assert_eq!(dead_hook.load(Ordering::SeqCst), 1);

    // Never run again, however late.
    let much_later = start + chrono::Duration::days(1);
    assert_eq!(worker.run_due(much_later, 10).await.expect("runs"), 0);

    // Until an operator retries it: queued now, attempts counted afresh.
    let retried = queue::retry(state.db().writer(), id, much_later)
        .await
        .expect("runs");
    assert_eq!(retried, Some(true));
    let again = stored(&state, id).await;
    assert_eq!(
        (again.status, again.attempts, again.run_at),
        (JobStatus::Queued, 0, much_later)
    );
    // A job that is not dead is left alone; an unknown one is not found.
    assert_eq!(
        queue::retry(state.db().writer(), id, much_later)
            .await
            .expect("runs"),
        Some(false)
    );
    assert_eq!(
        queue::retry(state.db().writer(), JobId::new(), much_later)
            .await
            .expect("runs"),
        None
    );
}

#[tokio::test]
async fn a_job_that_fails_then_succeeds_ends_succeeded() {
    let (state, _database) = services_without_server().await;
    let kind = JobKind::new(|ctx: JobContext, _: Probe| async move {
        if ctx.attempt < 2 {
            Err(JobError::retry("not yet"))
        } else {
            Ok(())
        }
    })
    .retry(FAST_RETRY);
    let worker = worker(&state, kind);
    let start = agora_core::time::now();
    let id = enqueue(&state, &probe("second time lucky"), start).await;
    worker.run_due(start, 10).await.expect("runs");
    let retry_at = stored(&state, id).await.run_at;
    worker.run_due(retry_at, 10).await.expect("runs");
    let job = stored(&state, id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 2));
    assert!(job.finished_at.is_some() && job.locked_until.is_none());
}

#[tokio::test]
async fn a_permanent_error_or_an_unreadable_payload_kills_the_job_at_once() {
    let (state, _database) = services_without_server().await;
    let kind = JobKind::new(|_: JobContext, _: Probe| async move {
        Err::<(), _>(JobError::permanent("the input is wrong"))
    })
    .retry(FAST_RETRY);
    let worker = worker(&state, kind);
    let now = agora_core::time::now();
    let id = enqueue(&state, &probe("bad"), now).await;
    // A row whose payload is not a Probe (written by an older release, say).
    let unreadable = queue::insert(
        state.db().writer(),
        Probe::KIND,
        &json!({ "unexpected": true }),
        Enqueue::default(),
        now,
    )
    .await
    .expect("inserted")
    .id();

    assert_eq!(worker.run_due(now, 10).await.expect("runs"), 2);
    let job = stored(&state, id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Dead, 1));
    assert_eq!(job.last_error.as_deref(), Some("the input is wrong"));
    let job = stored(&state, unreadable).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Dead, 1));
    assert!(
        job.last_error
            .unwrap_or_default()
            .contains("unreadable test.probe job")
    );
}

#[tokio::test]
async fn a_run_that_overruns_its_timeout_or_panics_is_a_failed_attempt() {
    let (state, _database) = services_without_server().await;
    let kind = JobKind::new(|_: JobContext, job: Probe| async move {
        if job.label == "panics" {
            panic!("the handler has a bug");
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(())
    })
    .retry(FAST_RETRY)
    .timeout(Duration::from_millis(200));
    let worker = worker(&state, kind);
    let now = agora_core::time::now();
    let slow = enqueue(&state, &probe("slow"), now).await;
    let buggy = enqueue(&state, &probe("panics"), now).await;

    let started = std::time::Instant::now();
    assert_eq!(worker.run_due(now, 10).await.expect("runs"), 2);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let job = stored(&state, slow).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Queued, 1));
    assert_eq!(job.last_error.as_deref(), Some("timed out after 200ms"));
    let job = stored(&state, buggy).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Queued, 1));
    assert_eq!(
        job.last_error.as_deref(),
        Some("the handler panicked: the handler has a bug")
    );
}

#[tokio::test]
async fn a_job_whose_worker_died_mid_run_is_picked_up_after_its_lease() {
    let (state, _database) = services_without_server().await;
    // Worker A's handler never finishes by itself; A is killed while running it.
    let started = Arc::new(tokio::sync::Notify::new());
    let signal = started.clone();
    let hanging = JobKind::new(move |_: JobContext, _: Probe| {
        let signal = signal.clone();
        async move {
            signal.notify_one();
            std::future::pending::<()>().await;
            Ok(())
        }
    })
    .timeout(Duration::from_secs(5));
    let worker_a = worker(&state, hanging);
    let lease = worker_a.lease();
    let id = enqueue(&state, &probe("survivor"), agora_core::time::now()).await;
    let a = tokio::spawn(worker_a.run(std::future::pending()));
    tokio::time::timeout(Duration::from_secs(10), started.notified())
        .await
        .expect("worker A started the job");
    a.abort();
    let _ = a.await;

    let orphan = stored(&state, id).await;
    assert_eq!((orphan.status, orphan.attempts), (JobStatus::Running, 1));
    let locked_until = orphan.locked_until.expect("a lease");
    assert!(orphan.locked_by.is_some());
    let claimed_at = orphan.started_at.expect("a start");
    assert_eq!(
        locked_until - claimed_at,
        chrono::Duration::from_std(lease).expect("a lease")
    );

    // Worker B, with a handler that completes, leaves it alone while the lease lasts...
    let ran = Arc::new(AtomicU32::new(0));
    let count = ran.clone();
    let completing = JobKind::new(move |_: JobContext, _: Probe| {
        let count = count.clone();
        async move {
            count.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    })
    .timeout(Duration::from_secs(5));
    let worker_b = worker(&state, completing);
    let during = locked_until - chrono::Duration::milliseconds(1);
    assert_eq!(worker_b.run_due(during, 10).await.expect("runs"), 0);
    assert_eq!(stored(&state, id).await.status, JobStatus::Running);

    // ...and takes it over once it has run out.
    let after = locked_until + chrono::Duration::milliseconds(1);
    assert_eq!(worker_b.run_due(after, 10).await.expect("runs"), 1);
    let job = stored(&state, id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 2));
    assert_eq!(ran.load(Ordering::SeqCst), 1);

    // The first claim's late report no longer counts.
    let late = queue::record(
        state.db().writer(),
        &orphan,
        &queue::Outcome::Dead {
            error: "late".into(),
        },
        after,
    )
    .await
    .expect("runs");
    assert!(!late);
    assert_eq!(stored(&state, id).await.status, JobStatus::Succeeded);
}

#[tokio::test]
async fn a_job_interrupted_on_its_last_attempt_is_dead_when_claimed_again() {
    let (state, _database) = services_without_server().await;
    let kind = JobKind::new(|_: JobContext, _: Probe| async move { Ok(()) })
        .retry(RetryPolicy {
            max_attempts: 1,
            ..FAST_RETRY
        })
        .timeout(Duration::from_secs(1));
    let worker = worker(&state, kind);
    let now = agora_core::time::now();
    let id = enqueue(&state, &probe("interrupted"), now).await;
    // Claimed, and its worker gone before reporting.
    worker.claim(now).await.expect("runs").expect("claimed");
    let after = now + chrono::Duration::seconds(2);
    assert_eq!(worker.run_due(after, 10).await.expect("runs"), 1);
    let job = stored(&state, id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Dead, 2));
    assert!(job.last_error.unwrap_or_default().contains("interrupted"));
}

#[tokio::test]
async fn concurrent_workers_run_each_job_exactly_once() {
    let (state, _database) = services_without_server().await;
    let runs = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let workers: Vec<Worker> = (0..4)
        .map(|_| {
            let runs = runs.clone();
            worker(
                &state,
                JobKind::new(move |_: JobContext, job: Probe| {
                    let runs = runs.clone();
                    async move {
                        runs.lock().expect("the list").push(job.label);
                        Ok(())
                    }
                }),
            )
        })
        .collect();
    let now = agora_core::time::now();
    for n in 0..40 {
        enqueue(&state, &probe(&format!("job {n}")), now).await;
    }
    let ran: usize = futures::future::join_all(workers.iter().map(|w| w.run_due(now, 100)))
        .await
        .into_iter()
        .map(|ran| ran.expect("runs"))
        .sum();
    assert_eq!(ran, 40);
    let mut runs = runs.lock().expect("the list").clone();
    runs.sort();
    runs.dedup();
    assert_eq!(runs.len(), 40, "each job ran once");
}

#[tokio::test]
async fn a_unique_job_is_enqueued_once_while_it_waits_or_runs() {
    let (state, _database) = services_without_server().await;
    let now = agora_core::time::now();
    let unique = || Enqueue {
        run_at: None,
        unique_key: Some("reindex:user:42".into()),
    };
    let first = jobs::enqueue_with(state.db().writer(), &probe("a"), unique(), now)
        .await
        .expect("enqueued");
    let Enqueued::Created(id) = first else {
        panic!("the first is created: {first:?}");
    };
    let second = jobs::enqueue_with(state.db().writer(), &probe("b"), unique(), now)
        .await
        .expect("enqueued");
    assert_eq!(second, Enqueued::Existing(id));

    // Concurrent enqueues inside transactions: one row in all.
    let attempts = (0..6).map(|n| {
        let state = state.clone();
        async move {
            let txn = state.db().begin().await.expect("a transaction");
            let outcome = jobs::enqueue_with(&txn, &probe(&format!("c{n}")), unique(), now)
                .await
                .expect("enqueued");
            txn.commit().await.expect("the commit");
            outcome
        }
    });
    for outcome in futures::future::join_all(attempts).await {
        assert_eq!(outcome, Enqueued::Existing(id));
    }

    // Once it has run, the key is free again.
    let worker = worker(
        &state,
        JobKind::new(|_: JobContext, _: Probe| async { Ok(()) }),
    );
    worker.run_due(now, 10).await.expect("runs");
    let third = jobs::enqueue_with(state.db().writer(), &probe("d"), unique(), now)
        .await
        .expect("enqueued");
    assert!(
        matches!(third, Enqueued::Created(other) if other != id),
        "{third:?}"
    );
}

const EVERY_SECOND: &[Schedule] = &[Schedule {
    kind: Probe::KIND,
    cron: "* * * * * *",
}];

fn probe_kinds() -> JobKinds {
    JobKinds::new([JobKind::new(|_: JobContext, _: Probe| async { Ok(()) })]).expect("one kind")
}

#[tokio::test]
async fn a_scheduled_job_is_enqueued_once_per_tick_by_two_instances() {
    let (state, _database) = services_without_server().await;
    let overrides = Default::default();
    let instance_a = Scheduler::new(state.db().clone(), EVERY_SECOND, &overrides, &probe_kinds())
        .expect("a valid schedule");
    let instance_b = Scheduler::new(state.db().clone(), EVERY_SECOND, &overrides, &probe_kinds())
        .expect("a valid schedule");
    let start = agora_core::time::now();

    // The first look registers the schedule, due at the next whole second.
    let (a, b) = tokio::join!(instance_a.tick(start), instance_b.tick(start));
    assert!(a.expect("ticks").is_empty() && b.expect("ticks").is_empty());
    let probes = |state: &AppState| {
        let db = state.db().clone();
        async move {
            queue::list(
                db.reader(),
                &JobFilter {
                    status: None,
                    kind: Some(Probe::KIND.into()),
                },
                agora_core::pagination::PageNumber::first(100),
            )
            .await
            .expect("listed")
            .total
        }
    };
    assert_eq!(probes(&state).await, 0);

    // Three ticks, each seen by both instances at once: one job per tick.
    let worker = worker(
        &state,
        JobKind::new(|_: JobContext, _: Probe| async { Ok(()) }),
    );
    let mut tick = start;
    for n in 1..=3u64 {
        tick += chrono::Duration::seconds(1);
        let (a, b) = tokio::join!(instance_a.tick(tick), instance_b.tick(tick));
        let fired = a.expect("ticks").len() + b.expect("ticks").len();
        assert_eq!(fired, 1, "tick {n}");
        assert_eq!(probes(&state).await, n);
        // Looking again within the same tick does nothing.
        assert!(instance_a.tick(tick).await.expect("ticks").is_empty());
        worker.run_due(tick, 10).await.expect("runs");
    }

    // While a run is still waiting, the next tick is skipped rather than piling up.
    tick += chrono::Duration::seconds(1);
    instance_a.tick(tick).await.expect("ticks");
    tick += chrono::Duration::seconds(1);
    instance_b.tick(tick).await.expect("ticks");
    assert_eq!(probes(&state).await, 4);
}

#[tokio::test]
async fn live_instances_share_the_schedule_and_the_bad_ones_do_not_start() {
    // `jobs.purge` every second on two servers over one database, for about three seconds.
    let database = TestDatabase::create().await;
    let builder = TestApp::builder().env("AGORA_SCHEDULES", "jobs.purge=* * * * * *");
    let config = builder.config(&database);
    let app_a = builder.spawn_on(database).await;
    let app_b = agora::build(config, false)
        .await
        .expect("instance B starts");
    let mut server_b = Server::start(app_b).await;
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let purges = app_a.count("jobs WHERE kind = 'jobs.purge'").await;
    // 2 to 4 ticks passed (the first look only registers); twice as many would be a duplicate.
    assert!((2..=4).contains(&purges), "{purges} purge jobs");
    let ran = app_a
        .count("jobs WHERE kind = 'jobs.purge' AND status = 'succeeded'")
        .await;
    assert!(ran >= purges - 1, "{ran} of {purges} ran");
    server_b.stop().await;

    // A schedule that does not exist, or a cron expression that does not parse, stops the start.
    for (value, message) in [
        ("jobs.purge=every minute", "is not valid"),
        ("nonsense.job=* * * * *", "not a schedule"),
    ] {
        let database = TestDatabase::create().await;
        let config = TestApp::builder()
            .env("AGORA_SCHEDULES", value)
            .config(&database);
        let err = agora::build(config, true)
            .await
            .err()
            .expect("the start fails");
        assert!(format!("{err:#}").contains(message), "{err:#}");
    }
}

#[tokio::test]
async fn admins_see_the_queue_and_retry_and_purge_jobs() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let member = app.register("member").await;
    // A kind no worker of this server runs, made dead by hand.
    let now = agora_core::time::now();
    let dead = queue::insert(
        app.db().writer(),
        "test.orphan",
        &json!({ "n": 1 }),
        Enqueue::default(),
        now,
    )
    .await
    .expect("inserted")
    .id();
    queue::insert(
        app.db().writer(),
        "test.orphan",
        &json!({ "n": 2 }),
        Enqueue::default(),
        now,
    )
    .await
    .expect("inserted");
    app.execute(
        r#"UPDATE jobs SET status = 'dead', attempts = 10, last_error = 'boom' WHERE payload = '{"n":1}'"#,
    )
    .await;

    let response = app
        .get("/api/v1/admin/jobs/stats")
        .bearer(&member.access_token)
        .send()
        .await;
    assert_eq!(response.status, 403);
    // The scheduler records its schedules a moment after the start, one by one: wait until the
    // one this test reads is there (bounded).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let overview: serde_json::Value = loop {
        let response = app
            .get("/api/v1/admin/jobs/stats")
            .bearer(&admin.access_token)
            .send()
            .await;
        assert_eq!(response.status, 200, "{}", response.text());
        let overview: serde_json::Value = response.json();
        let recorded = overview["schedules"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["name"] == "jobs.purge"));
        if recorded || tokio::time::Instant::now() >= deadline {
            break overview;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let orphan = overview["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .find(|k| k["kind"] == "test.orphan")
        .expect("the kind is listed")
        .clone();
    assert_eq!(
        (
            &orphan["queued"],
            &orphan["due"],
            &orphan["dead"],
            &orphan["running"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(0))
    );
    let schedules: Vec<&str> = overview["schedules"]
        .as_array()
        .expect("schedules")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(schedules.contains(&"jobs.purge"), "{overview}");

    let response = app
        .get("/api/v1/admin/jobs?status=dead")
        .bearer(&admin.access_token)
        .send()
        .await;
    assert_eq!(response.status, 200);
    let page: serde_json::Value = response.json();
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["id"], dead.to_string());
    assert_eq!(page["items"][0]["last_error"], "boom");
    assert_eq!(page["items"][0]["payload"], json!({ "n": 1 }));
    let response = app
        .get("/api/v1/admin/jobs?status=lost")
        .bearer(&admin.access_token)
        .send()
        .await;
    assert_eq!(response.status, 422);

    let retry = format!("/api/v1/admin/jobs/{dead}/retry");
    let response = app.post(&retry).bearer(&admin.access_token).send().await;
    assert_eq!(response.status, 200, "{}", response.text());
    let job: serde_json::Value = response.json();
    assert_eq!(
        (&job["status"], &job["attempts"]),
        (&json!("queued"), &json!(0))
    );
    let response = app.post(&retry).bearer(&admin.access_token).send().await;
    assert_eq!(response.status, 409);
    let response = app
        .post(&format!("/api/v1/admin/jobs/{}/retry", JobId::new()))
        .bearer(&admin.access_token)
        .send()
        .await;
    assert_eq!(response.status, 404);
    let response = app
        .get("/api/v1/admin/jobs/not-an-id")
        .bearer(&admin.access_token)
        .send()
        .await;
    // A malformed id names no job (the API's rule for every path).
    assert_eq!(response.status, 404);
    assert_eq!(app.count("audit_log WHERE action = 'job.retried'").await, 1);

    // Purge: only finished jobs, with a readable age.
    for body in [
        json!({ "status": "queued" }),
        json!({ "status": "dead", "older_than": "a while" }),
    ] {
        let response = app
            .post("/api/v1/admin/jobs/purge")
            .bearer(&admin.access_token)
            .json(&body)
            .send()
            .await;
        assert_eq!(response.status, 422, "{body}");
    }
    app.execute(
        "UPDATE jobs SET status = 'succeeded', finished_at = created_at WHERE kind = 'test.orphan'",
    )
    .await;
    let response = app
        .post("/api/v1/admin/jobs/purge")
        .bearer(&admin.access_token)
        .json(&json!({ "status": "succeeded", "older_than": "1d" }))
        .send()
        .await;
    assert_eq!(response.json::<serde_json::Value>()["count"], 0);
    let response = app
        .post("/api/v1/admin/jobs/purge")
        .bearer(&admin.access_token)
        .json(&json!({ "status": "succeeded" }))
        .send()
        .await;
    assert_eq!(response.status, 200);
    // Both, and whatever else has succeeded by now (the sign-up emails).
    let purged = response.json::<serde_json::Value>()["count"].as_u64();
    assert!(purged >= Some(2), "{purged:?}");
    assert_eq!(app.count("jobs WHERE kind = 'test.orphan'").await, 0);
}
