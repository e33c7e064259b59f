//! League scoring and leaderboards: `GET /fantasy/leagues/{id}/leaderboard[?race_id=]`. A whole
//! 2024 season drafted and scored in two leagues, checked against a computation of its own
//! from the recorded results; scoring again changes nothing, corrected results correct the
//! totals; ties share a rank; the cached leaderboards follow every change at once; who may
//! read them.

use std::collections::{BTreeMap, HashMap};

use agora_fantasy::jolpica::Jolpica;
use agora_fantasy::sync::{self as fantasy_sync, Request, Source, Summary, What};
use agora_testkit::jolpica::TestJolpica;
use agora_testkit::{StatusCode, TestApp, TestUser, json};
use serde_json::Value;

use super::{all, create_league, fixture, join, move_race, race, spawn_with, text, try_sync};

const SEASON: i32 = 2024;
const ROUNDS: i64 = 24;
const PLAYERS: usize = 4;
/// Rounds of 2024 with a sprint in the recorded data.
const SPRINTS: [i64; 6] = [5, 6, 11, 19, 21, 23];

/// Syncs `round`'s results (and the calendar, which puts the race back at its real start).
async fn sync_round(app: &TestApp, round: i64) -> Summary {
    let api = app
        .state()
        .service::<Jolpica>()
        .expect("the Jolpica service");
    let request = Request {
        season: SEASON,
        what: What::Results,
        round: Some(i32::try_from(round).expect("a round")),
    };
    fantasy_sync::run(app.state(), &Source::Api(api), request, &mut |_| {})
        .await
        .unwrap_or_else(|err| panic!("the sync of round {round} failed: {err}"))
}

async fn leaderboard(app: &TestApp, league: &Value, query: &str) -> Value {
    let response = app
        .get(&format!(
            "/api/v1/fantasy/leagues/{}/leaderboard{query}",
            text(&league["id"])
        ))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    response.json()
}

/// (constructor id, rank, points) of each line, in order.
fn lines(board: &Value) -> Vec<(String, u64, i64)> {
    board["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|line| {
            (
                text(&line["constructor"]["id"]).to_owned(),
                line["rank"].as_u64().expect("a rank"),
                line["points"].as_i64().expect("points"),
            )
        })
        .collect()
}

/// The fantasy points of each driver (by Jolpica id) in a recorded result list, computed here
/// from the published rules: 25-18-15-12-10-8-6-4-2-1 to the classified top ten, a point for the
/// fastest lap in the top ten; the sprint 8-7-6-5-4-3-2-1. `disqualified` names a driver whose
/// result is taken as not classified.
fn points_of(results: &Value, sprint: bool, disqualified: Option<&str>) -> HashMap<String, i64> {
    const RACE: [i64; 10] = [25, 18, 15, 12, 10, 8, 6, 4, 2, 1];
    const SPRINT: [i64; 8] = [8, 7, 6, 5, 4, 3, 2, 1];
    let mut points = HashMap::new();
    for result in results.as_array().expect("results") {
        let driver = text(&result["Driver"]["driverId"]).to_owned();
        let classified = text(&result["positionText"]).parse::<usize>().is_ok()
            && disqualified != Some(driver.as_str());
        let position: usize = text(&result["position"]).parse().expect("a position");
        let mut earned = 0;
        if classified {
            let table: &[i64] = if sprint { &SPRINT } else { &RACE };
            earned += table.get(position - 1).copied().unwrap_or(0);
            let fastest = result["FastestLap"]["rank"].as_str() == Some("1");
            if !sprint && fastest && position <= 10 {
                earned += 1;
            }
        }
        points.insert(driver, earned);
    }
    points
}

/// Each driver's points in `round` (race and sprint) from the recorded files.
fn round_points(round: i64, disqualified: Option<&str>) -> HashMap<String, i64> {
    let race = fixture(&format!("{SEASON}/results/round-{round:02}.json"));
    let mut points = points_of(
        &race["MRData"]["RaceTable"]["Races"][0]["Results"],
        false,
        disqualified,
    );
    if SPRINTS.contains(&round) {
        let sprint = fixture(&format!("{SEASON}/sprint/round-{round:02}.json"));
        for (driver, earned) in points_of(
            &sprint["MRData"]["RaceTable"]["Races"][0]["SprintResults"],
            true,
            None,
        ) {
            *points.entry(driver).or_default() += earned;
        }
    }
    points
}

/// Ranks computed here: most points first, equal points share the rank of the first of them.
fn expected_ranks(points: &BTreeMap<String, i64>) -> HashMap<String, u64> {
    let mut sorted: Vec<i64> = points.values().copied().collect();
    sorted.sort_by(|a, b| b.cmp(a));
    points
        .iter()
        .map(|(id, p)| {
            let better = sorted.iter().filter(|q| *q > p).count();
            (id.clone(), better as u64 + 1)
        })
        .collect()
}

/// One league of the simulation: its constructors' ids by player, and what each constructor
/// picked in each round (drivers' Jolpica ids).
struct League {
    league: Value,
    constructors: Vec<Value>,
    picks: BTreeMap<(String, i64), Vec<String>>,
}

#[tokio::test]
async fn a_drafted_and_scored_2024_season_gives_the_totals_an_independent_computation_gives() {
    let jolpica = TestJolpica::start().await;
    // Every sync asks the API again, so a corrected answer is read; the season is a thousand
    // requests.
    let app = spawn_with(
        &jolpica,
        &[
            ("AGORA_FANTASY_JOLPICA_FRESH_FOR", "0s"),
            ("AGORA_RATE_LIMIT_GENERAL", "100000/1m"),
        ],
    )
    .await;
    for what in [What::Drivers, What::Calendar] {
        try_sync(&app, SEASON, what).await.expect("the season");
    }
    let drivers: Vec<(String, String)> = all(&app, "/api/v1/fantasy/drivers?season=2024")
        .await
        .iter()
        .map(|d| {
            (
                text(&d["id"]).to_owned(),
                text(&d["external_id"]).to_owned(),
            )
        })
        .collect();

    let boss = app.register("boss").await;
    let players: Vec<TestUser> = {
        let mut players = Vec::new();
        for n in 0..PLAYERS {
            players.push(app.register(&format!("player{n}")).await);
        }
        players
    };
    let mut leagues = Vec::new();
    for (name, method) in [
        ("Snake League", "snake"),
        ("Sequential League", "sequential"),
    ] {
        let league = create_league(
            &app,
            &boss,
            json!({ "name": name, "draft_method": method, "max_teams": 4 }),
        )
        .await;
        let mut constructors = Vec::new();
        for (n, player) in players.iter().enumerate() {
            constructors.push(join(&app, player, &league, &format!("{method} team {n}")).await);
        }
        leagues.push(League {
            league,
            constructors,
            picks: BTreeMap::new(),
        });
    }
    // Before any race: everyone 0, all first.
    let board = leaderboard(&app, &leagues[0].league, "").await;
    assert_eq!(
        lines(&board).iter().map(|l| (l.1, l.2)).collect::<Vec<_>>(),
        [(1, 0); PLAYERS]
    );

    // A member in the first league's room hears of the first race's scores.
    let room = format!("league:{}", text(&leagues[0].league["id"]));
    let mut socket = Some(app.socket(&players[0]).await);
    if let Some(socket) = socket.as_mut() {
        socket.subscribe(&room).await;
    }

    let now = agora_core::time::now();
    for round in 1..=ROUNDS {
        let race = race(&app, SEASON, round).await;
        move_race(&app, &race, now + chrono::Duration::days(1)).await;
        for (l, league) in leagues.iter_mut().enumerate() {
            let league_id = text(&league.league["id"]).to_owned();
            let response = app
                .post(&format!(
                    "/api/v1/fantasy/leagues/{league_id}/drafts/initialize"
                ))
                .bearer(&boss.access_token)
                .json(&json!({ "race_id": race["id"] }))
                .send()
                .await;
            response.assert_status(StatusCode::CREATED);
            let draft: Value = response.json();
            let total = draft["total_picks"].as_u64().expect("a count");
            assert_eq!(total, 2 * PLAYERS as u64);
            let mut taken = Vec::new();
            let path = format!(
                "/api/v1/fantasy/leagues/{league_id}/drafts/{}",
                text(&race["id"])
            );
            for n in 0..total {
                let draft: Value = app.get(&path).send().await.json();
                let on_turn = &draft["next"]["constructor_id"];
                let seat = league
                    .constructors
                    .iter()
                    .position(|c| c["id"] == *on_turn)
                    .unwrap_or_else(|| panic!("round {round}, pick {n}: no turn in {draft}"));
                // A spread of picks that differs by league, round and turn.
                let mut index = (round as usize * 7 + l * 3 + n as usize * 5) % drivers.len();
                while taken.contains(&index) {
                    index = (index + 1) % drivers.len();
                }
                taken.push(index);
                let (driver_id, external) = &drivers[index];
                let response = app
                    .post(&format!(
                        "/api/v1/fantasy/constructors/{}/drafts/{}/picks",
                        text(&league.constructors[seat]["id"]),
                        text(&race["id"])
                    ))
                    .bearer(&players[seat].access_token)
                    .json(&json!({ "driver_id": driver_id }))
                    .send()
                    .await;
                response.assert_status(StatusCode::CREATED);
                league
                    .picks
                    .entry((text(&league.constructors[seat]["id"]).to_owned(), round))
                    .or_default()
                    .push(external.clone());
            }
        }
        let summary = sync_round(&app, round).await;
        assert_eq!(
            summary.race_results,
            [i32::try_from(round).expect("a round")]
        );
        assert_eq!(
            summary.scores,
            2 * PLAYERS,
            "round {round}: every constructor scored"
        );
        if let Some(mut socket) = socket.take() {
            let event = socket.next_of_type("leaderboard.updated").await;
            assert_eq!(event["room"], room.as_str());
            assert_eq!(event["payload"]["race_id"], race["id"]);
            assert_eq!(event["payload"]["league_id"], leagues[0].league["id"]);
        }
    }

    // The totals and every race's points, computed here from the recorded files.
    let check = |disqualified: Option<(i64, &'static str)>| {
        let leagues = &leagues;
        let app = &app;
        async move {
            for league in leagues {
                let mut totals: BTreeMap<String, i64> = BTreeMap::new();
                for round in 1..=ROUNDS {
                    let dq = disqualified.and_then(|(r, d)| (r == round).then_some(d));
                    let points = round_points(round, dq);
                    let mut in_race: BTreeMap<String, i64> = BTreeMap::new();
                    for constructor in &league.constructors {
                        let id = text(&constructor["id"]).to_owned();
                        let earned: i64 = league.picks[&(id.clone(), round)]
                            .iter()
                            .map(|driver| points.get(driver).copied().unwrap_or(0))
                            .sum();
                        in_race.insert(id.clone(), earned);
                        *totals.entry(id).or_default() += earned;
                    }
                    let race = race(app, SEASON, round).await;
                    let board = leaderboard(
                        app,
                        &league.league,
                        &format!("?race_id={}", text(&race["id"])),
                    )
                    .await;
                    assert_eq!(board["race_id"], race["id"]);
                    let ranks = expected_ranks(&in_race);
                    for (id, rank, points) in lines(&board) {
                        assert_eq!(points, in_race[&id], "round {round}, constructor {id}");
                        assert_eq!(rank, ranks[&id], "round {round}, constructor {id}");
                    }
                }
                let board = leaderboard(app, &league.league, "").await;
                assert_eq!(board["race_id"], Value::Null);
                let ranks = expected_ranks(&totals);
                let listed = lines(&board);
                assert_eq!(listed.len(), PLAYERS);
                for (id, rank, points) in &listed {
                    assert_eq!(*points, totals[id], "constructor {id}");
                    assert_eq!(*rank, ranks[id], "constructor {id}");
                    let constructor: Value = app
                        .get(&format!("/api/v1/fantasy/constructors/{id}"))
                        .send()
                        .await
                        .json();
                    assert_eq!(constructor["total_points"], *points);
                }
                let listed_points: Vec<i64> = listed.iter().map(|l| l.2).collect();
                assert!(
                    listed_points.windows(2).all(|w| w[0] >= w[1]),
                    "most points first"
                );
            }
            leagues
                .iter()
                .flat_map(|league| league.picks.values().flatten())
                .count()
        }
    };
    assert_eq!(check(None).await, 2 * 2 * PLAYERS * ROUNDS as usize);
    assert_eq!(
        app.count("notifications WHERE kind = 'fantasy.race_scored'")
            .await,
        (2 * PLAYERS * ROUNDS as usize) as i64,
        "each constructor told of each race's score"
    );

    // Scoring the whole season again changes nothing.
    let again = try_sync(&app, SEASON, What::All).await.expect("the season");
    assert_eq!(again.race_results.len(), ROUNDS as usize);
    assert_eq!(again.scores, 0);
    check(None).await;

    // Round 1's winner disqualified afterwards: the corrected results correct the scores of
    // those who picked him, once.
    let winner = round_points(1, None)
        .into_iter()
        .max_by_key(|(_, points)| *points)
        .map(|(driver, _)| driver)
        .expect("a winner");
    let winner: &'static str = Box::leak(winner.into_boxed_str());
    let pickers = leagues
        .iter()
        .flat_map(|league| league.picks.iter())
        .filter(|((_, round), drivers)| *round == 1 && drivers.iter().any(|d| d == winner))
        .count();
    assert!(pickers > 0, "someone picked round 1's winner");
    jolpica.corrupt(
        "results/?limit=100&offset=0",
        "/MRData/RaceTable/Races/0/Results/0/positionText",
        json!("D"),
    );
    let corrected = sync_round(&app, 1).await;
    assert_eq!(corrected.scores, pickers);
    check(Some((1, winner))).await;
    let again = sync_round(&app, 1).await;
    assert_eq!(again.scores, 0);
    assert_eq!(
        app.count("notifications WHERE kind = 'fantasy.race_scored'")
            .await,
        (2 * PLAYERS * ROUNDS as usize + pickers) as i64,
        "a correction is told once"
    );
}

#[tokio::test]
async fn a_cached_leaderboard_shows_a_new_constructor_at_once_and_only_to_who_may_see_the_league() {
    let jolpica = TestJolpica::start().await;
    let app = spawn_with(&jolpica, &[]).await;
    try_sync(&app, SEASON, What::Calendar)
        .await
        .expect("the calendar");
    let boss = app.register("boss").await;
    let (ann, bob, eve) = (
        app.register("ann").await,
        app.register("bob").await,
        app.register("eve").await,
    );
    let league = create_league(&app, &boss, json!({ "is_private": true })).await;
    join(&app, &ann, &league, "Zebra").await;
    let path = format!(
        "/api/v1/fantasy/leagues/{}/leaderboard",
        text(&league["id"])
    );
    let read = |user: &TestUser, query: &str| {
        app.get(&format!("{path}{query}"))
            .bearer(&user.access_token)
            .send()
    };
    let board: Value = read(&ann, "").await.json();
    assert_eq!(board["items"].as_array().map(Vec::len), Some(1));

    // Read (and cached) just before: the join is seen at once, ties listed by team name.
    join(&app, &bob, &league, "alpha").await;
    let board: Value = read(&ann, "").await.json();
    let teams: Vec<(&str, u64)> = board["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|line| {
            (
                text(&line["constructor"]["team_name"]),
                line["rank"].as_u64().expect("a rank"),
            )
        })
        .collect();
    assert_eq!(teams, [("alpha", 1), ("Zebra", 1)]);

    // A private league's leaderboard is its members' and creator's.
    read(&eve, "")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get(&path)
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    read(&boss, "").await.assert_status(StatusCode::OK);

    // A race by id; one that is not is refused on the field.
    let monaco = race(&app, SEASON, 8).await;
    let board: Value = read(&bob, &format!("?race_id={}", text(&monaco["id"])))
        .await
        .json();
    assert_eq!(board["race_id"], monaco["id"]);
    read(&bob, &format!("?race_id={}", uuid::Uuid::now_v7()))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    read(&bob, "?race_id=monaco")
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}
