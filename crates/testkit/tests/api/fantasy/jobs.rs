//! The scheduled syncs: a job after each race still to come, at its expected end plus the
//! grace period, and what that job does when it runs.

use std::time::Duration;

use agora_fantasy::sync::What;
use agora_fantasy::sync::jobs::SyncRound;
use agora_testkit::{StatusCode, eventually, json};
use chrono::{DateTime, Timelike, Utc};
use serde_json::Value;

use super::{all, race, spawn, sync, try_sync};

#[tokio::test]
async fn a_race_still_to_come_gets_a_results_sync_after_its_end_and_grace() {
    let (app, jolpica) = spawn().await;
    let start = (agora_core::time::now() + chrono::Duration::days(2))
        .with_nanosecond(0)
        .expect("a time");
    let last = "/MRData/RaceTable/Races/23";
    jolpica.corrupt(
        "/2025/races",
        &format!("{last}/date"),
        json!(start.format("%Y-%m-%d").to_string()),
    );
    jolpica.corrupt(
        "/2025/races",
        &format!("{last}/time"),
        json!(start.format("%H:%M:%SZ").to_string()),
    );
    let summary = sync(&app, 2025).await;
    assert_eq!(summary.scheduled, 1);
    assert_eq!(race(&app, 2025, 24).await["status"], "upcoming");

    let root = app.admin("root").await;
    let response = app
        .get("/api/v1/admin/jobs?kind=fantasy.sync_round")
        .bearer(&root.access_token)
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    let jobs: Value = response.json();
    let job = &jobs["items"][0];
    assert_eq!(job["payload"], json!({ "season": 2025, "round": 24 }));
    let run_at: DateTime<Utc> = job["run_at"]
        .as_str()
        .expect("a time")
        .parse()
        .expect("RFC 3339");
    // Two hours of racing, then the default grace of an hour.
    assert_eq!(run_at, start + chrono::Duration::hours(3));

    // Syncing again schedules nothing more.
    assert_eq!(sync(&app, 2025).await.scheduled, 0);
    assert_eq!(app.count("jobs WHERE kind = 'fantasy.sync_round'").await, 1);
}

#[tokio::test]
async fn the_job_after_a_race_imports_that_rounds_results() {
    let (app, jolpica) = spawn().await;
    try_sync(&app, 2024, What::Calendar)
        .await
        .expect("the calendar");
    assert!(
        all(&app, "/api/v1/fantasy/races?status=completed")
            .await
            .is_empty()
    );
    jolpica.clear_log();

    let job = SyncRound {
        season: 2024,
        round: 8,
    };
    agora_platform::jobs::enqueue(app.db().writer(), &job, agora_core::time::now())
        .await
        .expect("enqueued");
    app.state().jobs().wake();
    eventually(
        Duration::from_secs(20),
        "Monaco's results are in",
        async || {
            let monaco = race(&app, 2024, 8).await;
            (monaco["status"] == "completed").then_some(())
        },
    )
    .await;
    let completed = all(&app, "/api/v1/fantasy/races?status=completed").await;
    assert_eq!(completed.len(), 1, "only that round");
    let asked: Vec<String> = jolpica.log().into_iter().map(|l| l.target).collect();
    assert!(
        asked.iter().all(|t| t.starts_with("/ergast/f1/2024/8/")),
        "{asked:?}"
    );
    assert_eq!(
        app.count("fantasy_drivers").await,
        20,
        "the drivers of its results"
    );
}
