//! Fantasy benchmark (issue 17): a full season imported from the local Jolpica fixture server,
//! and the leaderboards of a league of 20 constructors over 24 races.
//!
//! **Import.** Each run starts two fresh servers and databases, imports the 2024 season into
//! each (drivers, teams, the calendar, 24 races' and 6 sprints' results) through the HTTP client
//! from `TestJolpica`, then syncs it again: on one while every answer is still fresh in the
//! client's cache, on the other always asking again (conditional requests, answered 304).
//! Jolpica's own budget (4 requests a second) is lifted so the figure is the client's and the
//! import's work; with the real budget an import takes at least `requests / 4` seconds.
//!
//! **Leaderboards.** A league of 20 constructors drafts every race of 2024 over HTTP (until the
//! season's 24 drivers are taken), the season's results are synced (which scores them), then `GET
//! /fantasy/leagues/{id}/leaderboard` is read, the season's and a race's, first one request at
//! a time (the latency; target p99 under 5 ms, cached) and then by `<concurrency>` clients for
//! `<seconds>` (the throughput).
//!
//! `cargo run --release -p agora-bench --bin fantasy [-- <runs> <seconds> <concurrency>]`
//! (`AGORA_TEST_DATABASE=postgres` for PostgreSQL.)

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use agora_bench::{Latencies, load, ms};
use agora_fantasy::jolpica::Jolpica;
use agora_fantasy::races::entity::race;
use agora_fantasy::sync::{self, Request, Source, Summary, What};
use agora_testkit::TestApp;
use agora_testkit::jolpica::TestJolpica;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const SEASON: i32 = 2024;
const CONSTRUCTORS: usize = 20;
/// Sequential reads per leaderboard, after as many to warm up.
const READS: usize = 2_000;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut arg = |default: u64| args.next().and_then(|a| a.parse().ok()).unwrap_or(default);
    let (runs, seconds, concurrency) = (arg(5), arg(10), arg(64));
    let jolpica = TestJolpica::start().await;
    jolpica.etags(true);
    let import = imports(&jolpica, runs as usize).await;
    let leaderboards = leaderboards(&jolpica, seconds, concurrency as usize).await;
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "season": SEASON,
            "import": import,
            "leaderboards": leaderboards,
        }))
        .expect("JSON")
    );
}

async fn spawn(jolpica: &TestJolpica, fresh_for: &str) -> TestApp {
    TestApp::builder()
        .env("AGORA_FANTASY_JOLPICA_URL", jolpica.url())
        .env("AGORA_FANTASY_JOLPICA_BURST", "100000/1s")
        .env("AGORA_FANTASY_JOLPICA_SUSTAINED", "100000/1s")
        .env("AGORA_FANTASY_JOLPICA_FRESH_FOR", fresh_for)
        .env("AGORA_RATE_LIMIT_GENERAL", "1000000/1s")
        .spawn()
        .await
}

async fn imports(jolpica: &TestJolpica, runs: usize) -> Value {
    let (mut cold, mut fresh, mut revalidated) = (Vec::new(), Vec::new(), Vec::new());
    let mut requests = json!({});
    let mut backend = "";
    for _ in 0..runs {
        // The second sync of each server: at once (every answer still fresh in the client's
        // cache), and always asking again (`fresh_for = 0s`: conditional requests, 304s).
        for (fresh_for, again_samples) in [("10m", &mut fresh), ("0s", &mut revalidated)] {
            let app = spawn(jolpica, fresh_for).await;
            backend = app.db().kind_name();
            let (took, first) = timed_sync(&app, What::All).await;
            assert_eq!(first.races, 24);
            assert_eq!(first.race_results.len(), 24);
            cold.push(took);
            let (took, again) = timed_sync(&app, What::All).await;
            again_samples.push(took);
            requests["import"] = json!(first.tally);
            requests[if fresh_for == "0s" {
                "revalidated"
            } else {
                "fresh"
            }] = json!(again.tally);
        }
    }
    let summary = |samples: Vec<Duration>| {
        let latencies = Latencies::new(samples);
        json!({
            "p50_ms": ms(latencies.percentile(50.0)),
            "max_ms": ms(latencies.percentile(100.0)),
        })
    };
    json!({
        "database": backend,
        "runs": runs,
        "import": summary(cold),
        "sync_again_fresh": summary(fresh),
        "sync_again_revalidated": summary(revalidated),
        "requests": requests,
    })
}

async fn timed_sync(app: &TestApp, what: What) -> (Duration, Summary) {
    let api = app
        .state()
        .service::<Jolpica>()
        .expect("the Jolpica service");
    let request = Request {
        season: SEASON,
        what,
        round: None,
    };
    let started = Instant::now();
    let summary = sync::run(app.state(), &Source::Api(api), request, &mut |_| {})
        .await
        .expect("the import");
    (started.elapsed(), summary)
}

async fn leaderboards(jolpica: &TestJolpica, seconds: u64, concurrency: usize) -> Value {
    let app = spawn(jolpica, "10m").await;
    let started = Instant::now();
    for what in [What::Drivers, What::Calendar] {
        timed_sync(&app, what).await;
    }
    let drivers: Vec<String> = app
        .get("/api/v1/fantasy/drivers?season=2024&limit=100")
        .send()
        .await
        .json::<Value>()["items"]
        .as_array()
        .expect("drivers")
        .iter()
        .map(|d| d["id"].as_str().expect("an id").to_owned())
        .collect();
    let races: Vec<Value> = app
        .get("/api/v1/fantasy/races?season=2024&limit=100")
        .send()
        .await
        .json::<Value>()["items"]
        .as_array()
        .expect("races")
        .clone();
    // Every race a day apart from tomorrow, in round order: each can be drafted, each draft
    // after the first rotated from the one before.
    let now = agora_core::time::now();
    for (n, race) in races.iter().enumerate() {
        let id: uuid::Uuid = race["id"].as_str().expect("an id").parse().expect("a uuid");
        race::Entity::update_many()
            .col_expr(
                race::Column::StartsAt,
                Expr::value(now + chrono::Duration::days(1 + n as i64)),
            )
            .filter(race::Column::Id.eq(id))
            .exec(app.db().writer())
            .await
            .expect("the race moved");
    }

    let boss = app.register("boss").await;
    let league: Value = app
        .post("/api/v1/fantasy/leagues")
        .bearer(&boss.access_token)
        .json(&json!({
            "name": "Benchmark League",
            "max_teams": CONSTRUCTORS,
            "is_private": false,
            "draft_method": "snake",
        }))
        .send()
        .await
        .json();
    let league_id = league["id"].as_str().expect("an id").to_owned();
    let mut players = Vec::new();
    for n in 0..CONSTRUCTORS {
        let user = app.register(&format!("player{n}")).await;
        let constructor: Value = app
            .post("/api/v1/fantasy/leagues/join")
            .bearer(&user.access_token)
            .json(&json!({ "code": league["join_code"], "team_name": format!("Team {n}") }))
            .send()
            .await
            .json();
        players.push((user, constructor["id"].as_str().expect("an id").to_owned()));
    }
    for (round, race) in races.iter().enumerate() {
        let race_id = race["id"].as_str().expect("an id");
        let draft: Value = app
            .post(&format!(
                "/api/v1/fantasy/leagues/{league_id}/drafts/initialize"
            ))
            .bearer(&boss.access_token)
            .json(&json!({ "race_id": race_id }))
            .send()
            .await
            .json();
        // 40 picks wanted, but a driver goes once per race and 2024 had 24: the draft stops
        // when they are all taken (the last constructors of the snake's second round get one).
        let total = (draft["total_picks"].as_u64().expect("a count") as usize).min(drivers.len());
        for n in 0..total {
            let draft: Value = app
                .get(&format!(
                    "/api/v1/fantasy/leagues/{league_id}/drafts/{race_id}"
                ))
                .send()
                .await
                .json();
            let on_turn = draft["next"]["constructor_id"].as_str().expect("a turn");
            let (user, constructor) = players
                .iter()
                .find(|(_, id)| id == on_turn)
                .expect("a player");
            // Each race the field taken in another order.
            let driver = &drivers[(round * 5 + n) % drivers.len()];
            let response = app
                .post(&format!(
                    "/api/v1/fantasy/constructors/{constructor}/drafts/{race_id}/picks"
                ))
                .bearer(&user.access_token)
                .json(&json!({ "driver_id": driver }))
                .send()
                .await;
            assert_eq!(response.status, 201, "pick {n} of round {}", round + 1);
        }
    }
    let (scoring, summary) = timed_sync(&app, What::All).await;
    assert_eq!(summary.scores, CONSTRUCTORS * races.len());
    let setup = started.elapsed();

    let season = app.url(&format!("/api/v1/fantasy/leagues/{league_id}/leaderboard"));
    let monaco = format!(
        "{season}?race_id={}",
        races[7]["id"].as_str().expect("an id")
    );
    let client = reqwest::Client::new();
    let mut results = json!({
        "database": app.db().kind_name(),
        "constructors": CONSTRUCTORS,
        "races": races.len(),
        "setup_s": setup.as_secs_f64(),
        "season_sync_with_scoring_ms": ms(scoring),
    });
    for (name, url) in [("season", &season), ("race", &monaco)] {
        let read = |client: reqwest::Client, url: String| async move {
            let response = client.get(&url).send().await.expect("an answer");
            let ok = response.status() == 200;
            let body: Value = response.json().await.expect("JSON");
            ok && body["items"].as_array().map(Vec::len) == Some(CONSTRUCTORS)
        };
        for _ in 0..READS {
            assert!(read(client.clone(), url.clone()).await);
        }
        let mut samples = Vec::with_capacity(READS);
        for _ in 0..READS {
            let started = Instant::now();
            assert!(read(client.clone(), url.clone()).await);
            samples.push(started.elapsed());
        }
        let one_at_a_time = Latencies::new(samples);
        let (loaded, failures) = {
            let (client, url) = (client.clone(), url.clone());
            load(concurrency, Duration::from_secs(seconds), move |_| {
                read(client.clone(), url.clone())
            })
            .await
        };
        results[name] = json!({
            "one_at_a_time": {
                "p50_ms": ms(one_at_a_time.percentile(50.0)),
                "p99_ms": ms(one_at_a_time.percentile(99.0)),
                "max_ms": ms(one_at_a_time.percentile(100.0)),
            },
            "loaded": {
                "clients": concurrency,
                "requests_per_s": loaded.len() as f64 / seconds as f64,
                "p50_ms": ms(loaded.percentile(50.0)),
                "p99_ms": ms(loaded.percentile(99.0)),
                "failures": failures,
            },
        });
    }
    results
}
