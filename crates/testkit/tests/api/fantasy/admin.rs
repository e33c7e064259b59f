//! `POST /fantasy/admin/sync`: administrators only; the sync runs as a job.

use std::time::Duration;

use agora_testkit::{StatusCode, eventually, json};

use super::spawn;

#[tokio::test]
async fn only_an_administrator_may_ask_for_a_sync() {
    let (app, jolpica) = spawn().await;
    let body = json!({ "season": 2023, "what": "all" });
    let anonymous = app
        .post("/api/v1/fantasy/admin/sync")
        .json(&body)
        .send()
        .await;
    anonymous.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let alice = app.register("alice").await;
    let user = app
        .post("/api/v1/fantasy/admin/sync")
        .bearer(&alice.access_token)
        .json(&body)
        .send()
        .await;
    user.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert!(jolpica.log().is_empty());
    assert_eq!(app.count("jobs WHERE kind = 'fantasy.sync'").await, 0);
}

#[tokio::test]
async fn an_administrators_sync_is_queued_and_runs() {
    let (app, jolpica) = spawn().await;
    let root = app.admin("root").await;
    let response = app
        .post("/api/v1/fantasy/admin/sync")
        .bearer(&root.access_token)
        .json(&json!({ "season": 2023, "what": "drivers" }))
        .send()
        .await;
    response.assert_status(StatusCode::ACCEPTED);
    let accepted: serde_json::Value = response.json();
    let job = accepted["job_id"].as_str().expect("a job id").to_owned();
    assert_eq!(
        response.header("location"),
        Some(format!("/api/v1/admin/jobs/{job}").as_str())
    );
    assert_eq!(accepted["what"], "drivers");
    eventually(
        Duration::from_secs(20),
        "the sync job succeeded",
        async || {
            let job: serde_json::Value = app
                .get(&format!("/api/v1/admin/jobs/{job}"))
                .bearer(&root.access_token)
                .send()
                .await
                .json();
            (job["status"] == "succeeded").then_some(())
        },
    )
    .await;
    assert_eq!(app.count("fantasy_drivers").await, 22);
    assert_eq!(
        app.count("fantasy_races").await,
        0,
        "only the drivers were asked for"
    );
    assert!(jolpica.log().iter().all(|l| !l.target.contains("results")));
}

#[tokio::test]
async fn a_sync_of_a_season_out_of_range_or_of_an_unknown_kind_is_refused() {
    let (app, _jolpica) = spawn().await;
    let root = app.admin("root").await;
    for body in [
        json!({ "season": 1949, "what": "all" }),
        json!({ "season": 2101, "what": "all" }),
        json!({ "season": 2024, "what": "everything" }),
        json!({ "season": "2024", "what": "all" }),
        json!({ "season": 2024 }),
        json!({ "season": 2024, "what": "all", "extra": 1 }),
    ] {
        let response = app
            .post("/api/v1/fantasy/admin/sync")
            .bearer(&root.access_token)
            .json(&body)
            .send()
            .await;
        response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
}
