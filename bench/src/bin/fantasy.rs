//! Fantasy benchmark (issue 17): a full season imported from the local Jolpica fixture server.
//!
//! Each run starts two fresh servers and databases, imports the 2024 season into each (drivers,
//! teams, the calendar, 24 races' and 6 sprints' results) through the HTTP client from
//! `TestJolpica`, then syncs it again: on one while every answer is still fresh in the client's
//! cache, on the other always asking again (conditional requests, answered 304). Jolpica's own budget (4 requests a second)
//! is lifted so the figure is the client's and the import's work; with the real budget an import
//! takes at least `requests / 4` seconds.
//!
//! `cargo run --release -p agora-bench --bin fantasy [-- <runs>]`
//! (`AGORA_TEST_DATABASE=postgres` for PostgreSQL.)

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Instant;

use agora_bench::{Latencies, ms};
use agora_fantasy::jolpica::Jolpica;
use agora_fantasy::sync::{self, Request, Source, Summary, What};
use agora_testkit::TestApp;
use agora_testkit::jolpica::TestJolpica;
use serde_json::json;

const SEASON: i32 = 2024;

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let jolpica = TestJolpica::start().await;
    jolpica.etags(true);
    let (mut cold, mut fresh, mut revalidated) = (Vec::new(), Vec::new(), Vec::new());
    let mut requests = json!({});
    let mut backend = "";
    for _ in 0..runs {
        // The second sync of each server: at once (every answer still fresh in the client's
        // cache), and always asking again (`fresh_for = 0s`: conditional requests, 304s).
        for (fresh_for, again_samples) in [("10m", &mut fresh), ("0s", &mut revalidated)] {
            let app = TestApp::builder()
                .env("AGORA_FANTASY_JOLPICA_URL", jolpica.url())
                .env("AGORA_FANTASY_JOLPICA_BURST", "100000/1s")
                .env("AGORA_FANTASY_JOLPICA_SUSTAINED", "100000/1s")
                .env("AGORA_FANTASY_JOLPICA_FRESH_FOR", fresh_for)
                .spawn()
                .await;
            backend = app.db().kind_name();
            let (took, first) = timed_sync(&app).await;
            assert_eq!(first.races, 24);
            assert_eq!(first.race_results.len(), 24);
            cold.push(took);
            let (took, again) = timed_sync(&app).await;
            again_samples.push(took);
            requests["import"] = json!(first.tally);
            requests[if fresh_for == "0s" {
                "revalidated"
            } else {
                "fresh"
            }] = json!(again.tally);
        }
    }
    let summary = |samples: Vec<std::time::Duration>| {
        let latencies = Latencies::new(samples);
        json!({
            "p50_ms": ms(latencies.percentile(50.0)),
            "max_ms": ms(latencies.percentile(100.0)),
        })
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "database": backend,
            "season": SEASON,
            "runs": runs,
            "import": summary(cold),
            "sync_again_fresh": summary(fresh),
            "sync_again_revalidated": summary(revalidated),
            "requests": requests,
        }))
        .expect("JSON")
    );
}

async fn timed_sync(app: &TestApp) -> (std::time::Duration, Summary) {
    let api = app
        .state()
        .service::<Jolpica>()
        .expect("the Jolpica service");
    let request = Request {
        season: SEASON,
        what: What::All,
        round: None,
    };
    let started = Instant::now();
    let summary = sync::run(app.state(), &Source::Api(api), request, &mut |_| {})
        .await
        .expect("the import");
    (started.elapsed(), summary)
}
