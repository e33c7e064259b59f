//! The Jolpica client as Jolpica's clients must be: it follows pages, retries 429s and 5xx
//! (after `Retry-After`), keeps to the request budget, and re-reads an unchanged season
//! cheaply.

use std::time::{Duration, Instant};

use agora_fantasy::jolpica::{ATTEMPTS, SyncError};
use agora_fantasy::sync::What;
use agora_testkit::TestApp;
use agora_testkit::jolpica::{Fault, TestJolpica};

use super::{spawn, spawn_with, sync, try_sync};

#[tokio::test]
async fn a_429_and_a_500_are_retried_after_retry_after() {
    let (app, jolpica) = spawn().await;
    jolpica.fail_next([
        Fault::TooManyRequests {
            retry_after: Some(1),
        },
        Fault::Status(500),
    ]);
    let started = Instant::now();
    let summary = sync(&app, 2023).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as asked"
    );
    assert_eq!(summary.race_results.len(), 22);
    let log = jolpica.log();
    let statuses: Vec<u16> = log.iter().take(3).map(|l| l.status).collect();
    assert_eq!(statuses, [429, 500, 200]);
    assert!(
        log[..3].iter().all(|l| l.target == log[0].target),
        "{log:?}"
    );
    assert_eq!(summary.tally.requests as usize, log.len());
}

#[tokio::test]
async fn a_server_that_keeps_failing_is_given_up_on_and_nothing_is_imported() {
    let (app, jolpica) = spawn().await;
    jolpica.fail_next((0..ATTEMPTS).map(|_| Fault::Status(503)));
    let err = try_sync(&app, 2024, What::All)
        .await
        .expect_err("Jolpica is down");
    assert!(matches!(err, SyncError::Unavailable { .. }), "{err}");
    assert!(err.to_string().contains("503"), "{err}");
    assert!(!err.is_permanent());
    assert_eq!(jolpica.log().len(), ATTEMPTS as usize);
    assert_eq!(app.count("fantasy_seasons").await, 0);
}

#[tokio::test]
async fn small_pages_are_followed_to_the_total_and_races_split_across_them_joined() {
    let jolpica = TestJolpica::start().await;
    jolpica.max_limit(7);
    let app = spawn_with(&jolpica, &[]).await;
    let summary = sync(&app, 2024).await;
    assert_eq!(summary.drivers, 24);
    assert_eq!(summary.races, 24);
    assert_eq!(summary.race_results.len(), 24);
    assert_eq!(summary.sprint_results.len(), 6);
    // 24 drivers in pages of 7.
    let drivers: Vec<String> = jolpica
        .log()
        .into_iter()
        .map(|l| l.target)
        .filter(|t| t.starts_with("/ergast/f1/2024/drivers/"))
        .collect();
    assert_eq!(
        drivers,
        [0, 7, 14, 21].map(|o| format!("/ergast/f1/2024/drivers/?limit=100&offset={o}"))
    );
    // Every row of every race, as with whole pages: 479 race results, 120 sprint results.
    assert_eq!(
        app.count("fantasy_results WHERE session = 'race'").await,
        479
    );
    assert_eq!(
        app.count("fantasy_results WHERE session = 'sprint'").await,
        120
    );
}

#[tokio::test]
async fn a_re_sync_of_an_unchanged_season_asks_conditionally_and_reads_nothing_again() {
    let jolpica = TestJolpica::start().await;
    let app = spawn_with(&jolpica, &[("AGORA_FANTASY_JOLPICA_FRESH_FOR", "0s")]).await;
    let first = sync(&app, 2024).await;
    assert_eq!(first.tally.not_modified, 0);
    jolpica.clear_log();
    let second = sync(&app, 2024).await;
    let log = jolpica.log();
    assert!(!log.is_empty());
    assert!(
        log.iter().all(|l| l.conditional && l.status == 304),
        "{log:?}"
    );
    assert_eq!(second.tally.requests, first.tally.requests);
    assert_eq!(second.tally.not_modified, second.tally.requests);
    assert_eq!(second.race_results, first.race_results);
}

#[tokio::test]
async fn within_the_fresh_period_a_re_sync_sends_no_request() {
    let (app, jolpica) = spawn().await;
    let first = sync(&app, 2023).await;
    // The season fits in: drivers, teams, calendar, 5 pages of results, 2 of sprints.
    assert_eq!(first.tally.requests, 10);
    jolpica.clear_log();
    let second = sync(&app, 2023).await;
    assert!(jolpica.log().is_empty());
    assert_eq!(second.tally.requests, 0);
    assert_eq!(second.tally.cached, first.tally.requests);
}

#[tokio::test]
async fn requests_keep_to_the_burst_budget() {
    let jolpica = TestJolpica::start().await;
    let app = spawn_with(&jolpica, &[("AGORA_FANTASY_JOLPICA_BURST", "2/1s")]).await;
    let started = Instant::now();
    let summary = sync(&app, 2023).await;
    // Ten requests: two at once, then one every half second.
    assert_eq!(summary.tally.requests, 10);
    assert!(
        started.elapsed() >= Duration::from_millis(3_800),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn instances_sharing_a_redis_share_the_cache() {
    let Some(redis_url) = agora_testkit::test_redis().await else {
        return;
    };
    let jolpica = TestJolpica::start().await;
    let prefix = agora_testkit::unique_redis_prefix();
    let shared = [
        ("REDIS_URL", redis_url.as_str()),
        ("AGORA_REDIS_PREFIX", prefix.as_str()),
    ];
    let one = spawn_with(&jolpica, &shared).await;
    let two = spawn_with(&jolpica, &shared).await;
    let first = sync(&one, 2023).await;
    assert_eq!(first.tally.requests, 10);
    // The second instance finds the first one's answers in the shared cache.
    let second = sync(&two, 2023).await;
    assert_eq!(second.tally.requests, 0);
    assert_eq!(second.tally.cached, 10);
}

#[tokio::test]
async fn instances_sharing_a_redis_share_the_budget() {
    let Some(redis_url) = agora_testkit::test_redis().await else {
        return;
    };
    let jolpica = TestJolpica::start().await;
    let prefix = agora_testkit::unique_redis_prefix();
    // Two requests a minute: once the first instance spent them, the second one's request
    // waits for about half a minute, however slowly this machine runs the test.
    let shared = [
        ("REDIS_URL", redis_url.as_str()),
        ("AGORA_REDIS_PREFIX", prefix.as_str()),
        ("AGORA_FANTASY_JOLPICA_BURST", "2/60s"),
    ];
    let one = spawn_with(&jolpica, &shared).await;
    let two = spawn_with(&jolpica, &shared).await;
    let mut tally = agora_fantasy::jolpica::Tally::default();
    for path in ["2023/drivers/", "2023/constructors/"] {
        jolpica_of(&one)
            .list(path, &mut tally)
            .await
            .expect("an answer");
    }
    assert_eq!(tally.requests, 2);
    let waited = tokio::time::timeout(
        Duration::from_secs(1),
        jolpica_of(&two).list("2024/drivers/", &mut tally),
    )
    .await;
    assert!(
        waited.is_err(),
        "the second instance waits for the shared budget"
    );
    assert_eq!(tally.requests, 2);
}

/// The Jolpica client of `app`.
fn jolpica_of(app: &TestApp) -> &agora_fantasy::jolpica::Jolpica {
    app.state()
        .service::<agora_fantasy::jolpica::Jolpica>()
        .expect("the service")
}
