//! The sync of real seasons through the HTTP client: the known facts of 2023–2025, one
//! transaction per import, re-imports, corrections, and `agora fantasy import --from`.

use agora_fantasy::jolpica::SyncError;
use agora_fantasy::sync::What;
use agora_testkit::jolpica::{TestJolpica, fixtures_dir};
use agora_testkit::{StatusCode, TestApp, json};

use super::{all, driver, fixture, race, spawn, spawn_with, sync, try_sync};

/// The fields of the first result (the winner) of a race's results.
async fn winner(app: &TestApp, race: &serde_json::Value) -> String {
    let response = app
        .get(&format!(
            "/api/v1/fantasy/races/{}/results?session=race",
            race["id"].as_str().expect("an id")
        ))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    let body: serde_json::Value = response.json();
    body["items"][0]["driver"]["external_id"]
        .as_str()
        .expect("a winner")
        .to_owned()
}

#[tokio::test]
async fn importing_2023_gives_the_real_results_and_verstappens_575_points() {
    let (app, _jolpica) = spawn().await;
    let summary = sync(&app, 2023).await;
    assert_eq!(summary.races, 22);
    assert_eq!(summary.race_results.len(), 22);
    assert_eq!(summary.sprint_results, [4, 9, 12, 17, 18, 20]);
    assert_eq!(summary.drivers, 22);
    assert_eq!(summary.teams, 10);

    let bahrain = race(&app, 2023, 1).await;
    assert_eq!(bahrain["circuit"]["external_id"], "bahrain");
    assert_eq!(bahrain["status"], "completed");
    assert_eq!(winner(&app, &bahrain).await, "max_verstappen");

    // Race and sprint points as Jolpica gives them add up to the championship's standings.
    let standings = fixture("2023/driverstandings.json");
    let verstappen =
        &standings["MRData"]["StandingsTable"]["StandingsLists"][0]["DriverStandings"][0];
    assert_eq!(verstappen["Driver"]["driverId"], "max_verstappen");
    assert_eq!(verstappen["points"], "575");
    let mut points = 0.0;
    for race in all(&app, "/api/v1/fantasy/races?season=2023").await {
        let body: serde_json::Value = app
            .get(&format!(
                "/api/v1/fantasy/races/{}/results",
                race["id"].as_str().expect("an id")
            ))
            .send()
            .await
            .json();
        for result in body["items"].as_array().expect("results") {
            if result["driver"]["external_id"] == "max_verstappen" {
                points += result["points"].as_f64().expect("points");
            }
        }
    }
    assert_eq!(points, 575.0);
}

#[tokio::test]
async fn importing_2024_gives_24_rounds_and_leclerc_winning_monaco() {
    let (app, _jolpica) = spawn().await;
    sync(&app, 2024).await;
    let races = all(&app, "/api/v1/fantasy/races?season=2024").await;
    assert_eq!(races.len(), 24);
    let rounds: Vec<i64> = races
        .iter()
        .map(|r| r["round"].as_i64().expect("a round"))
        .collect();
    assert_eq!(rounds, (1..=24).collect::<Vec<i64>>());
    let monaco = race(&app, 2024, 8).await;
    assert_eq!(monaco["name"], "Monaco Grand Prix");
    assert_eq!(monaco["starts_at"], "2024-05-26T13:00:00Z");
    assert_eq!(winner(&app, &monaco).await, "leclerc");
    // Sargeant did not race in Australia: 19 results.
    assert_eq!(
        app.count(
            "fantasy_results r JOIN fantasy_races x ON x.id = r.race_id \
             WHERE x.round = 3 AND r.session = 'race'"
        )
        .await,
        19
    );
}

#[tokio::test]
async fn the_partial_2025_season_has_18_completed_rounds_and_the_rest_upcoming() {
    let (app, _jolpica) = spawn().await;
    let summary = sync(&app, 2025).await;
    assert_eq!(summary.races, 24);
    assert_eq!(summary.race_results, (1..=18).collect::<Vec<i32>>());
    let completed = all(&app, "/api/v1/fantasy/races?season=2025&status=completed").await;
    assert_eq!(completed.len(), 18);
    let upcoming = all(&app, "/api/v1/fantasy/races?season=2025&status=upcoming").await;
    let rounds: Vec<i64> = upcoming
        .iter()
        .map(|r| r["round"].as_i64().expect("a round"))
        .collect();
    assert_eq!(rounds, (19..=24).collect::<Vec<i64>>());
    let singapore = race(&app, 2025, 19).await;
    let body: serde_json::Value = app
        .get(&format!(
            "/api/v1/fantasy/races/{}/results",
            singapore["id"].as_str().expect("an id")
        ))
        .send()
        .await
        .json();
    assert_eq!(body["items"], json!([]));
}

#[tokio::test]
async fn a_malformed_answer_imports_nothing_and_names_the_url_and_the_field() {
    let (app, jolpica) = spawn().await;
    // The last page of 2024's results: everything before it has been read already.
    jolpica.corrupt(
        "/2024/results",
        "/MRData/RaceTable/Races/0/Results/3/grid",
        json!("P4"),
    );
    let err = try_sync(&app, 2024, What::All)
        .await
        .expect_err("a grid of `P4`");
    let SyncError::Malformed { source, field, .. } = &err else {
        panic!("not a malformed answer: {err}");
    };
    assert!(
        source.contains("/ergast/f1/2024/results/?limit=100&offset=0"),
        "{source}"
    );
    assert_eq!(field, "MRData.RaceTable.Races[0].Results[3].grid");
    assert!(
        err.to_string().contains("`P4` is not a whole number"),
        "{err}"
    );
    assert_eq!(counts(&app).await, [0, 0, 0, 0, 0], "nothing was written");
}

#[tokio::test]
async fn a_malformed_re_import_leaves_the_season_as_it_was() {
    let jolpica = TestJolpica::start().await;
    let app = spawn_with(&jolpica, &[("AGORA_FANTASY_JOLPICA_FRESH_FOR", "0s")]).await;
    sync(&app, 2023).await;
    let before = app.count("fantasy_results").await;
    jolpica.corrupt("/2023/sprint", "/MRData/total", json!(12));
    let err = try_sync(&app, 2023, What::All)
        .await
        .expect_err("a bare number");
    assert!(err.to_string().contains("MRData.total"), "{err}");
    assert_eq!(app.count("fantasy_results").await, before);
    assert_eq!(
        app.count("fantasy_races WHERE results_at IS NOT NULL")
            .await,
        22
    );
}

/// Rows of each of the module's tables.
async fn counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push(app.count(table).await);
    }
    counts
}

const TABLES: [&str; 5] = [
    "fantasy_seasons",
    "fantasy_teams",
    "fantasy_drivers",
    "fantasy_races",
    "fantasy_results",
];

#[tokio::test]
async fn importing_again_changes_nothing_and_a_correction_replaces_the_old_result() {
    let jolpica = TestJolpica::start().await;
    let app = spawn_with(&jolpica, &[("AGORA_FANTASY_JOLPICA_FRESH_FOR", "0s")]).await;
    sync(&app, 2024).await;
    let first = counts(&app).await;
    assert_eq!(first[..4], [1, 10, 24, 24]);
    let verstappen = driver(&app, 2024, "max_verstappen").await;

    sync(&app, 2024).await;
    assert_eq!(counts(&app).await, first);
    assert_eq!(driver(&app, 2024, "max_verstappen").await, verstappen);

    // Jolpica corrects Bahrain: the winner is now listed as disqualified.
    let first_page = "/2024/results/?limit=100&offset=0";
    let bahrain_winner = "/MRData/RaceTable/Races/0/Results/0";
    jolpica.corrupt(
        first_page,
        &format!("{bahrain_winner}/positionText"),
        json!("D"),
    );
    jolpica.corrupt(
        first_page,
        &format!("{bahrain_winner}/status"),
        json!("Disqualified"),
    );
    sync(&app, 2024).await;
    assert_eq!(counts(&app).await, first);
    let bahrain = race(&app, 2024, 1).await;
    let body: serde_json::Value = app
        .get(&format!(
            "/api/v1/fantasy/races/{}/results?session=race",
            bahrain["id"].as_str().expect("an id")
        ))
        .send()
        .await
        .json();
    let first_row = &body["items"][0];
    assert_eq!(first_row["driver"]["external_id"], "max_verstappen");
    assert_eq!(first_row["status"], "Disqualified");
    assert_eq!(first_row["classified"], false);
    assert_eq!(first_row["fantasy_points"], 0);
    let after = driver(&app, 2024, "max_verstappen").await;
    assert_eq!(
        after["total_points"].as_i64().expect("points"),
        verstappen["total_points"].as_i64().expect("points") - 26,
        "the 25 points of the win and the fastest lap's bonus are gone"
    );
}

#[tokio::test]
async fn the_import_command_reads_a_folder_laid_out_like_the_api() {
    let (app, jolpica) = spawn().await;
    let command = agora_fantasy::command::COMMAND;
    let dir = fixtures_dir();
    let matches = (command.cli)()
        .try_get_matches_from([
            "fantasy",
            "import",
            "--season",
            "2024",
            "--from",
            dir.to_str().expect("a UTF-8 path"),
        ])
        .expect("the arguments parse");
    (command.run)(app.state().clone(), matches)
        .await
        .expect("the import succeeds");
    assert!(jolpica.log().is_empty(), "the API was not asked");
    assert_eq!(app.count("fantasy_races").await, 24);
    assert_eq!(
        app.count("fantasy_races WHERE results_at IS NOT NULL")
            .await,
        24
    );
    assert_eq!(winner(&app, &race(&app, 2024, 8).await).await, "leclerc");

    let refused = (command.cli)().try_get_matches_from(["fantasy", "import", "--season", "1900"]);
    assert!(refused.is_err(), "a season out of range is refused");
}
