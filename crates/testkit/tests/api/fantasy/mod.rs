//! The fantasy product: the Jolpica client and the sync (against `TestJolpica`, a local API
//! over the recorded seasons of `fixtures/f1/`), the drivers' and races' routes, the
//! administrators' sync, leagues and constructors, and the drafts. A file per topic; the
//! helpers they share are here.

mod admin;
mod client;
mod drafts;
mod drivers;
mod jobs;
mod leaderboards;
mod leagues;
mod races;
mod sync;

use agora_fantasy::jolpica::{Jolpica, SyncError};
use agora_fantasy::races::entity::race;
use agora_fantasy::sync::{self as fantasy_sync, Request, Source, Summary, What};
use agora_testkit::jolpica::{TestJolpica, fixtures_dir};
use agora_testkit::{Page, StatusCode, TestApp, TestUser, json};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
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

/// The first round of 2025 without results in the recorded data: the drafts' tests play from
/// there.
const FIRST_UPCOMING: i64 = 19;

/// 2025 imported, its rounds from 19 on (which the recorded data has no results of) moved to
/// start a week apart from tomorrow: races to draft for. Returns them by round.
async fn season_ahead(app: &TestApp) -> Vec<Value> {
    sync(app, 2025).await;
    let now = agora_core::time::now();
    for round in FIRST_UPCOMING..=24 {
        let starts_at = now + chrono::Duration::days(1 + 7 * (round - FIRST_UPCOMING));
        move_round(app, round, starts_at).await;
    }
    let mut upcoming: Vec<Value> = all(app, "/api/v1/fantasy/races?season=2025")
        .await
        .into_iter()
        .filter(|race| race["round"].as_i64() >= Some(FIRST_UPCOMING))
        .collect();
    upcoming.sort_by_key(|race| race["round"].as_i64());
    upcoming
}

/// Moves 2025's round `round` to start at `starts_at`.
async fn move_round(app: &TestApp, round: i64, starts_at: DateTime<Utc>) {
    let round = i32::try_from(round).expect("a round");
    race::Entity::update_many()
        .col_expr(race::Column::StartsAt, Expr::value(starts_at))
        .filter(race::Column::Round.eq(round))
        .exec(app.db().writer())
        .await
        .expect("the race moved");
}

/// Moves the race `race` (as the API shows it) to start at `starts_at`.
async fn move_race(app: &TestApp, race: &Value, starts_at: DateTime<Utc>) {
    let id: uuid::Uuid = text(&race["id"]).parse().expect("a race id");
    race::Entity::update_many()
        .col_expr(race::Column::StartsAt, Expr::value(starts_at))
        .filter(race::Column::Id.eq(id))
        .exec(app.db().writer())
        .await
        .expect("the race moved");
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

/// A league created by `creator` (201), with `overrides` over a public league of 10 snake teams.
async fn create_league(app: &TestApp, creator: &TestUser, overrides: Value) -> Value {
    let mut body = json!({
        "name": "Paddock Club",
        "max_teams": 10,
        "is_private": false,
        "draft_method": "snake",
    });
    for (key, value) in overrides.as_object().expect("an object") {
        body[key] = value.clone();
    }
    let response = app
        .post("/api/v1/fantasy/leagues")
        .bearer(&creator.access_token)
        .json(&body)
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    response.json()
}

/// `user`'s constructor `team` in `league` (201).
async fn join(app: &TestApp, user: &TestUser, league: &Value, team: &str) -> Value {
    let response = try_join(app, user, text(&league["join_code"]), team).await;
    response.assert_status(StatusCode::CREATED);
    response.json()
}

async fn try_join(
    app: &TestApp,
    user: &TestUser,
    code: &str,
    team: &str,
) -> agora_testkit::TestResponse {
    app.post("/api/v1/fantasy/leagues/join")
        .bearer(&user.access_token)
        .json(&json!({ "code": code, "team_name": team }))
        .send()
        .await
}
