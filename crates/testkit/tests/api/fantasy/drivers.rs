//! `GET /fantasy/drivers[/{id}]`: a season's field by name, its filters, and the fantasy
//! points of the scoring rule.

use std::collections::BTreeSet;

use agora_testkit::{StatusCode, json};
use serde_json::Value;

use super::{all, driver, fixture, spawn, sync};

fn ids(drivers: &[Value]) -> Vec<&str> {
    drivers
        .iter()
        .map(|d| d["external_id"].as_str().expect("an id"))
        .collect()
}

/// The drivers of a round's results file.
fn drivers_of(path: &str) -> BTreeSet<String> {
    let doc = fixture(path);
    doc["MRData"]["RaceTable"]["Races"][0]["Results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["Driver"]["driverId"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn drivers_are_listed_by_family_name_and_filtered() {
    let (app, _jolpica) = spawn().await;
    sync(&app, 2023).await;
    sync(&app, 2024).await;

    // Without a season: the latest imported.
    let field = all(&app, "/api/v1/fantasy/drivers").await;
    assert_eq!(field.len(), 24);
    assert!(field.iter().all(|d| d["season"] == 2024));
    // By family name (the order of accented names is the database's collation).
    assert_eq!(field[0]["family_name"], "Albon");
    assert_eq!(field[23]["family_name"], "Zhou");
    assert_eq!(
        all(&app, "/api/v1/fantasy/drivers?season=2023").await.len(),
        22
    );

    // Bearman's latest result is with Haas.
    let ferrari = all(&app, "/api/v1/fantasy/drivers?season=2024&team=ferrari").await;
    assert_eq!(ids(&ferrari), ["leclerc", "sainz"]);
    assert_eq!(ferrari[0]["team"]["name"], "Ferrari");
    assert!(
        all(&app, "/api/v1/fantasy/drivers?team=nobody")
            .await
            .is_empty()
    );

    // Inactive: not in the season's last race.
    let last_race = drivers_of("2024/results/round-24.json");
    let expected: BTreeSet<String> = ids(&field)
        .into_iter()
        .filter(|id| !last_race.contains(*id))
        .map(str::to_owned)
        .collect();
    assert_eq!(expected.len(), 4, "{expected:?}");
    let inactive = all(&app, "/api/v1/fantasy/drivers?status=inactive").await;
    let inactive: BTreeSet<String> = ids(&inactive).into_iter().map(str::to_owned).collect();
    assert_eq!(inactive, expected);
    assert_eq!(
        all(&app, "/api/v1/fantasy/drivers?status=active")
            .await
            .len(),
        20
    );

    // Any case, in the names, the code or the id.
    let found = all(&app, "/api/v1/fantasy/drivers?q=VER").await;
    assert_eq!(ids(&found), ["bearman", "max_verstappen"]);
    let found = all(&app, "/api/v1/fantasy/drivers?q=max%20verst").await;
    assert_eq!(ids(&found), ["max_verstappen"]);
    let found = all(&app, "/api/v1/fantasy/drivers?q=100%25").await;
    assert!(found.is_empty(), "a % is a character, not a pattern");

    // Pages of five, every driver once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = "/api/v1/fantasy/drivers?season=2024&limit=5".to_owned();
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page: agora_testkit::Page<Value> = app.get(&url).send().await.json();
        assert!(page.items.len() <= 5);
        seen.extend(
            page.items
                .iter()
                .map(|d| d["id"].as_str().expect("an id").to_owned()),
        );
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 24);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 24);
}

/// A driver's 2024 fantasy points worked out from the recorded results by hand (the Grand
/// Prix table, the fastest lap's point in the top ten, the sprint table), their races, and the
/// sum of Jolpica's points.
fn by_hand_2024(driver: &str) -> (i64, i64, f64) {
    const RACE: [i64; 10] = [25, 18, 15, 12, 10, 8, 6, 4, 2, 1];
    const SPRINT: [i64; 8] = [8, 7, 6, 5, 4, 3, 2, 1];
    let (mut total, mut races, mut given) = (0, 0, 0.0);
    for (folder, key, table) in [
        ("results", "Results", &RACE[..]),
        ("sprint", "SprintResults", &SPRINT[..]),
    ] {
        let dir = agora_testkit::jolpica::fixtures_dir()
            .join("2024")
            .join(folder);
        for entry in std::fs::read_dir(dir).expect("a folder") {
            let text = std::fs::read_to_string(entry.expect("an entry").path()).expect("a file");
            let doc: Value = serde_json::from_str(&text).expect("JSON");
            let rows = doc["MRData"]["RaceTable"]["Races"][0][key]
                .as_array()
                .expect("rows");
            for result in rows.iter().filter(|r| r["Driver"]["driverId"] == driver) {
                given += result["points"]
                    .as_str()
                    .expect("points")
                    .parse::<f64>()
                    .expect("a number");
                if key == "Results" {
                    races += 1;
                }
                let text = result["positionText"].as_str().expect("text");
                let Ok(position) = text.parse::<usize>() else {
                    continue;
                };
                total += table.get(position - 1).copied().unwrap_or(0);
                if key == "Results" && position <= 10 && result["FastestLap"]["rank"] == "1" {
                    total += 1;
                }
            }
        }
    }
    (total, races, given)
}

#[tokio::test]
async fn a_drivers_points_are_the_scoring_rules_not_jolpicas() {
    let (app, _jolpica) = spawn().await;
    sync(&app, 2024).await;
    let listed = driver(&app, 2024, "max_verstappen").await;
    let response = app
        .get(&format!(
            "/api/v1/fantasy/drivers/{}",
            listed["id"].as_str().expect("an id")
        ))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    let verstappen: Value = response.json();
    assert_eq!(verstappen, listed);
    let (total, races, given) = by_hand_2024("max_verstappen");
    assert_eq!(verstappen["total_points"], total);
    assert_eq!(given, 437.0);
    assert_eq!(verstappen["races_scored"], races);
    assert_eq!(races, 24);
    let average = (total as f64 / races as f64 * 100.0).round() / 100.0;
    assert_eq!(verstappen["average_points"], json!(average));
    assert_eq!(verstappen["code"], "VER");
    assert_eq!(
        verstappen["number"], 1,
        "the car number of 2024, not his permanent 33"
    );
    assert_eq!(verstappen["permanent_number"], 33);
    assert_eq!(verstappen["team"]["external_id"], "red_bull");
    assert_eq!(verstappen["status"], "active");

    // Jolpica's points are not copied: Monaco has no fastest-lap ranks, so Hamilton's bonus
    // point there (in his 7) is not the rule's.
    let hamilton = driver(&app, 2024, "hamilton").await;
    let (total, _, given) = by_hand_2024("hamilton");
    assert_eq!(hamilton["total_points"], total);
    assert_eq!(
        f64::from(u32::try_from(total).expect("points")),
        given - 1.0
    );
}

#[tokio::test]
async fn unknown_drivers_and_bad_parameters_are_refused() {
    let (app, _jolpica) = spawn().await;
    sync(&app, 2023).await;
    let missing = app
        .get(&format!("/api/v1/fantasy/drivers/{}", uuid_like()))
        .send()
        .await;
    missing.assert_problem(StatusCode::NOT_FOUND, "not_found");
    let long = "x".repeat(101);
    for query in [
        "season=1949".to_owned(),
        "season=twenty".to_owned(),
        "status=retired".to_owned(),
        format!("q={long}"),
        "limit=0".to_owned(),
        "cursor=abc".to_owned(),
        "colour=red".to_owned(),
    ] {
        let response = app
            .get(&format!("/api/v1/fantasy/drivers?{query}"))
            .send()
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
    // A season never imported has no drivers.
    assert!(
        all(&app, "/api/v1/fantasy/drivers?season=2030")
            .await
            .is_empty()
    );
}

fn uuid_like() -> &'static str {
    "0193a1b2-0000-7000-8000-000000000000"
}
