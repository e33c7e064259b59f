//! The fantasy product: the Jolpica client and the sync (against `TestJolpica`, a local API
//! over the recorded seasons of `fixtures/f1/`), the drivers' and races' routes, and the
//! administrators' sync. A file per topic; the helpers they share are here.

mod admin;
mod client;
mod drivers;
mod jobs;
mod races;
mod sync;

use agora_fantasy::jolpica::{Jolpica, SyncError};
use agora_fantasy::sync::{self as fantasy_sync, Request, Source, Summary, What};
use agora_testkit::jolpica::{TestJolpica, fixtures_dir};
use agora_testkit::{Page, StatusCode, TestApp};
use serde_json::Value;

/// An application whose Jolpica is `jolpica`, with the variables of `env` set too. The
/// budget is wide (tests of the limiter narrow it).
async fn spawn_with(jolpica: &TestJolpica, env: &[(&str, &str)]) -> TestApp {
    let mut builder = TestApp::builder()
        .env("AGORA_FANTASY_JOLPICA_URL", jolpica.url())
        .env("AGORA_FANTASY_JOLPICA_BURST", "1000/1s")
        .env("AGORA_FANTASY_JOLPICA_TIMEOUT", "5s");
    for (name, value) in env {
        builder = builder.env(name, *value);
    }
    builder.spawn().await
}

async fn spawn() -> (TestApp, TestJolpica) {
    let jolpica = TestJolpica::start().await;
    let app = spawn_with(&jolpica, &[]).await;
    (app, jolpica)
}

/// Runs a sync of `season` from the app's Jolpica.
async fn try_sync(app: &TestApp, season: i32, what: What) -> Result<Summary, SyncError> {
    let api = app
        .state()
        .service::<Jolpica>()
        .expect("the Jolpica service");
    let request = Request {
        season,
        what,
        round: None,
    };
    fantasy_sync::run(app.state(), &Source::Api(api), request, &mut |_| {}).await
}

async fn sync(app: &TestApp, season: i32) -> Summary {
    try_sync(app, season, What::All)
        .await
        .unwrap_or_else(|err| panic!("the sync of {season} failed: {err}"))
}

/// Every item of a list, following its cursors (pages of 100).
async fn all(app: &TestApp, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut url = format!("{path}{separator}limit=100");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let response = app.get(&url).send().await;
        response.assert_status(StatusCode::OK);
        let page: Page<Value> = response.json();
        items.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return items,
        }
    }
}

/// The race of `season` at `round`, as the list shows it.
async fn race(app: &TestApp, season: i32, round: i64) -> Value {
    all(app, &format!("/api/v1/fantasy/races?season={season}"))
        .await
        .into_iter()
        .find(|race| race["round"] == round)
        .unwrap_or_else(|| panic!("no round {round} in {season}"))
}

/// The driver of `season` whose Jolpica id is `external_id`.
async fn driver(app: &TestApp, season: i32, external_id: &str) -> Value {
    all(app, &format!("/api/v1/fantasy/drivers?season={season}"))
        .await
        .into_iter()
        .find(|driver| driver["external_id"] == external_id)
        .unwrap_or_else(|| panic!("no driver {external_id} in {season}"))
}

/// A recorded answer of `fixtures/f1/`.
fn fixture(path: &str) -> Value {
    let text = std::fs::read_to_string(fixtures_dir().join(path))
        .unwrap_or_else(|err| panic!("cannot read fixture {path}: {err}"));
    serde_json::from_str(&text).expect("a JSON fixture")
}
