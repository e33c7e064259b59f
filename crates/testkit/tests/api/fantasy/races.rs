//! `GET /fantasy/races`, `/races/{id}` and `/races/{id}/results`: the calendar with its
//! sessions and statuses, its filters, and the results as Jolpica gives them.

use agora_testkit::{StatusCode, json};
use serde_json::Value;

use super::{all, race, spawn, sync};

async fn results(app: &agora_testkit::TestApp, race: &Value, query: &str) -> Value {
    let response = app
        .get(&format!(
            "/api/v1/fantasy/races/{}/results{query}",
            race["id"].as_str().expect("an id")
        ))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    response.json()
}

#[tokio::test]
async fn races_are_filtered_by_country_and_status() {
    let (app, _jolpica) = spawn().await;
    sync(&app, 2024).await;
    let monaco = all(&app, "/api/v1/fantasy/races?country=monaco").await;
    assert_eq!(monaco.len(), 1);
    assert_eq!(monaco[0]["round"], 8);
    assert_eq!(monaco[0]["circuit"]["external_id"], "monaco");
    assert_eq!(monaco[0]["locality"], "Monte-Carlo");
    // Miami and Austin; Las Vegas is in the "United States" in this data.
    assert_eq!(
        all(&app, "/api/v1/fantasy/races?country=usa").await.len(),
        2
    );
    assert_eq!(
        all(&app, "/api/v1/fantasy/races?status=completed")
            .await
            .len(),
        24
    );
    assert!(
        all(&app, "/api/v1/fantasy/races?status=live")
            .await
            .is_empty()
    );
    assert!(
        all(&app, "/api/v1/fantasy/races?season=2030")
            .await
            .is_empty()
    );
    let page: agora_testkit::Page<Value> = app
        .get("/api/v1/fantasy/races?limit=20")
        .send()
        .await
        .json();
    assert_eq!(page.items.len(), 20);
    assert!(page.next_cursor.is_some());
}

#[tokio::test]
async fn a_race_that_has_started_without_results_is_live() {
    let (app, jolpica) = spawn().await;
    let start = agora_core::time::now() - chrono::Duration::hours(1);
    let base = "/MRData/RaceTable/Races/23";
    jolpica.corrupt(
        "/2025/races",
        &format!("{base}/date"),
        json!(start.format("%Y-%m-%d").to_string()),
    );
    jolpica.corrupt(
        "/2025/races",
        &format!("{base}/time"),
        json!(start.format("%H:%M:%SZ").to_string()),
    );
    sync(&app, 2025).await;
    let live = all(&app, "/api/v1/fantasy/races?season=2025&status=live").await;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0]["round"], 24);
    assert_eq!(race(&app, 2025, 24).await["status"], "live");
    assert_eq!(
        all(&app, "/api/v1/fantasy/races?season=2025&status=upcoming")
            .await
            .len(),
        5
    );
}

#[tokio::test]
async fn a_sprint_weekend_shows_its_sessions_and_both_classifications() {
    let (app, _jolpica) = spawn().await;
    sync(&app, 2024).await;
    let miami = race(&app, 2024, 6).await;
    assert_eq!(miami["has_sprint"], true);
    assert_eq!(miami["sessions"]["sprint"], "2024-05-04T16:00:00Z");
    assert!(miami["sessions"]["sprint_qualifying"].is_string());
    assert!(miami["sessions"]["second_practice"].is_null());
    let got: Value = app
        .get(&format!(
            "/api/v1/fantasy/races/{}",
            miami["id"].as_str().expect("an id")
        ))
        .send()
        .await
        .json();
    assert_eq!(got, miami);

    let both = results(&app, &miami, "").await;
    assert_eq!(both["race"]["round"], 6);
    let items = both["items"].as_array().expect("items");
    assert_eq!(items.len(), 40);
    assert!(items[..20].iter().all(|r| r["session"] == "race"));
    assert!(items[20..].iter().all(|r| r["session"] == "sprint"));
    let sprint = results(&app, &miami, "?session=sprint").await;
    let winner = &sprint["items"][0];
    assert_eq!(winner["driver"]["external_id"], "max_verstappen");
    assert_eq!(winner["points"], 8.0);
    assert_eq!(winner["fantasy_points"], 8);
    // The 2023–2024 sprints' fastest laps have no rank.
    assert!(
        sprint["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|r| r["fastest_lap"].is_null() || r["fastest_lap"]["rank"].is_null())
    );

    // 2025's calendar has no session times, but its sprint results tell the sprint weekends.
    sync(&app, 2025).await;
    let china = race(&app, 2025, 2).await;
    assert_eq!(china["has_sprint"], true);
    assert!(china["sessions"]["sprint"].is_null());
}

#[tokio::test]
async fn results_are_given_as_jolpica_has_them_with_the_rules_points() {
    let (app, _jolpica) = spawn().await;
    sync(&app, 2024).await;
    let monaco = race(&app, 2024, 8).await;
    let body = results(&app, &monaco, "?session=race").await;
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 20);
    let leclerc = &items[0];
    assert_eq!(leclerc["position"], 1);
    assert_eq!(leclerc["grid"], 1);
    assert_eq!(leclerc["team"]["external_id"], "ferrari");
    assert!(leclerc["time_millis"].is_i64());
    // No fastest laps were recorded in Monaco: Hamilton's 7 points hold Jolpica's bonus point,
    // which the rule cannot give without a rank.
    let hamilton = items
        .iter()
        .find(|r| r["driver"]["external_id"] == "hamilton")
        .expect("Hamilton");
    assert_eq!(hamilton["position"], 7);
    assert_eq!(hamilton["points"], 7.0);
    assert_eq!(hamilton["fantasy_points"], 6);
    assert!(hamilton["fastest_lap"].is_null());
    let retired = items.iter().filter(|r| r["classified"] == false).count();
    assert!(retired > 0);
    assert!(
        items
            .iter()
            .filter(|r| r["classified"] == false)
            .all(|r| r["fantasy_points"] == 0)
    );

    // Bahrain: Verstappen won with the fastest lap, 26 from Jolpica and from the rule.
    let bahrain = results(&app, &race(&app, 2024, 1).await, "?session=race").await;
    assert_eq!(bahrain["items"][0]["points"], 26.0);
    assert_eq!(bahrain["items"][0]["fastest_lap"]["rank"], 1);
    assert_eq!(bahrain["items"][0]["fantasy_points"], 26);
}

#[tokio::test]
async fn unknown_races_and_bad_parameters_are_refused() {
    let (app, _jolpica) = spawn().await;
    sync(&app, 2023).await;
    let missing = "0193a1b2-0000-7000-8000-000000000000";
    for path in [
        format!("/api/v1/fantasy/races/{missing}"),
        format!("/api/v1/fantasy/races/{missing}/results"),
        // A malformed id names no race either.
        "/api/v1/fantasy/races/not-an-id".to_owned(),
    ] {
        app.get(&path)
            .send()
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
    let bahrain = race(&app, 2023, 1).await;
    let id = bahrain["id"].as_str().expect("an id");
    for path in [
        format!("/api/v1/fantasy/races/{id}/results?session=qualifying"),
        "/api/v1/fantasy/races?season=2101".to_owned(),
        "/api/v1/fantasy/races?status=finished".to_owned(),
        format!("/api/v1/fantasy/races?country={}", "x".repeat(65)),
    ] {
        let response = app.get(&path).send().await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    }
}
