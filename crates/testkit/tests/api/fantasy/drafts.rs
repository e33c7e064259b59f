//! Drafts: `/fantasy/leagues/{id}/drafts/…` and `/fantasy/constructors/{id}/drafts/…`. The
//! first order shuffled by a seed that replays it, the rotation after, turns by the sequential
//! and snake methods, the picks' rules (two per constructor, a driver once per league and
//! race, not after the start), picks racing for one turn or one driver, the order set by hand,
//! the league's room, the turn's notification, the pick clock and the rotation job.

use std::time::Duration;

use agora_fantasy::drafts::jobs::{AutoPick, RotateDrafts};
use agora_fantasy::drafts::queries::{self as drafts, NewPick};
use agora_fantasy::drafts::rules::random_order;
use agora_testkit::jolpica::TestJolpica;
use agora_testkit::{Page, StatusCode, TestApp, TestResponse, TestUser, eventually, json};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{all, create_league, join, move_race, season_ahead, spawn_with, text};

/// A league of `players` constructors (each a user of its own), made by `boss`, who does not
/// play; 2025's last rounds ahead to draft for.
struct Game {
    app: TestApp,
    _jolpica: TestJolpica,
    boss: TestUser,
    league: Value,
    players: Vec<Player>,
    races: Vec<Value>,
}

#[derive(Clone)]
struct Player {
    user: TestUser,
    constructor: Value,
}

async fn game(method: &str, players: usize, env: &[(&str, &str)]) -> Game {
    let jolpica = TestJolpica::start().await;
    let app = spawn_with(&jolpica, env).await;
    let races = season_ahead(&app).await;
    let boss = app.register("boss").await;
    let seats = players.clamp(10, 20);
    let league = create_league(
        &app,
        &boss,
        json!({ "draft_method": method, "max_teams": seats }),
    )
    .await;
    let mut joined = Vec::new();
    for n in 0..players {
        let user = app.register(&format!("player{n}")).await;
        let constructor = join(&app, &user, &league, &format!("Team {n}")).await;
        joined.push(Player { user, constructor });
    }
    Game {
        app,
        _jolpica: jolpica,
        boss,
        league,
        players: joined,
        races,
    }
}

impl Game {
    fn league_id(&self) -> &str {
        text(&self.league["id"])
    }

    fn draft_path(&self, race: &Value) -> String {
        format!(
            "/api/v1/fantasy/leagues/{}/drafts/{}",
            self.league_id(),
            text(&race["id"])
        )
    }

    async fn initialize_as(&self, user: &TestUser, race: &Value) -> TestResponse {
        self.app
            .post(&format!(
                "/api/v1/fantasy/leagues/{}/drafts/initialize",
                self.league_id()
            ))
            .bearer(&user.access_token)
            .json(&json!({ "race_id": race["id"] }))
            .send()
            .await
    }

    /// The boss initializes the draft of `race` (201).
    async fn initialize(&self, race: &Value) -> Value {
        let response = self.initialize_as(&self.boss, race).await;
        response.assert_status(StatusCode::CREATED);
        response.json()
    }

    async fn draft(&self, race: &Value) -> Value {
        let response = self.app.get(&self.draft_path(race)).send().await;
        response.assert_status(StatusCode::OK);
        response.json()
    }

    async fn pick(&self, player: &Player, race: &Value, driver: &str) -> TestResponse {
        self.app
            .post(&format!(
                "/api/v1/fantasy/constructors/{}/drafts/{}/picks",
                text(&player.constructor["id"]),
                text(&race["id"])
            ))
            .bearer(&player.user.access_token)
            .json(&json!({ "driver_id": driver }))
            .send()
            .await
    }

    /// The player whose constructor is `constructor_id`.
    fn player(&self, constructor_id: &Value) -> &Player {
        self.players
            .iter()
            .find(|p| p.constructor["id"] == *constructor_id)
            .unwrap_or_else(|| panic!("no player has constructor {constructor_id}"))
    }

    /// The player whose turn it is in the draft of `race`.
    async fn on_turn(&self, race: &Value) -> Player {
        let draft = self.draft(race).await;
        self.player(&draft["next"]["constructor_id"]).clone()
    }

    /// The drivers of 2025, by id.
    async fn drivers(&self) -> Vec<String> {
        all(&self.app, "/api/v1/fantasy/drivers?season=2025")
            .await
            .iter()
            .map(|d| text(&d["id"]).to_owned())
            .collect()
    }
}

fn order_of(draft: &Value) -> Vec<String> {
    draft["order"]
        .as_array()
        .expect("an order")
        .iter()
        .map(|slot| text(&slot["constructor_id"]).to_owned())
        .collect()
}

fn pickers(draft: &Value) -> Vec<String> {
    draft["picks"]
        .as_array()
        .expect("picks")
        .iter()
        .map(|pick| text(&pick["constructor_id"]).to_owned())
        .collect()
}

fn time(value: &Value) -> DateTime<Utc> {
    text(value).parse().expect("an RFC 3339 time")
}

#[tokio::test]
async fn the_first_draft_is_shuffled_by_a_recorded_seed_that_replays_it() {
    let game = game("snake", 4, &[]).await;
    let race = &game.races[0];
    let response = game.initialize_as(&game.boss, race).await;
    response.assert_status(StatusCode::CREATED);
    assert_eq!(
        response.header("location"),
        Some(game.draft_path(race).as_str())
    );
    let draft: Value = response.json();
    assert_eq!(draft["origin"], "random");
    assert_eq!(draft["method"], "snake");
    assert_eq!(draft["status"], "open");
    assert_eq!(draft["picks_made"], 0);
    assert_eq!(draft["total_picks"], 8);
    let seed: u64 = text(&draft["seed"]).parse().expect("a 64-bit seed");
    // Replayed from the seed and the constructors in the order they joined.
    let mut joined: Vec<String> = game
        .players
        .iter()
        .map(|p| text(&p.constructor["id"]).to_owned())
        .collect();
    joined.sort();
    let order = order_of(&draft);
    assert_eq!(order, random_order(seed, &joined));
    assert_eq!(draft["order"][0]["position"], 1);
    assert_eq!(draft["next"]["pick_number"], 1);
    assert_eq!(draft["next"]["round"], 1);
    assert_eq!(draft["next"]["constructor_id"], order[0].as_str());
    assert_eq!(draft["next"]["ends_at"], Value::Null, "no clock by default");
    assert_eq!(game.draft(race).await, draft);
    assert_eq!(
        game.app
            .count("jobs WHERE kind = 'fantasy.auto_pick'")
            .await,
        0
    );
}

#[tokio::test]
async fn only_the_leagues_creator_initializes_a_draft_once_per_race_before_it_starts() {
    let game = game("snake", 2, &[]).await;
    let app = &game.app;
    let race = &game.races[0];
    game.initialize_as(&game.players[0].user, race)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let anonymous = app
        .post(&format!(
            "/api/v1/fantasy/leagues/{}/drafts/initialize",
            game.league_id()
        ))
        .json(&json!({ "race_id": race["id"] }))
        .send()
        .await;
    anonymous.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let unknown = json!({ "id": "0193a1b2-0000-7000-8000-000000000000" });
    let problem = game
        .initialize_as(&game.boss, &unknown)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem.errors[0].field, "race_id");

    game.initialize(race).await;
    game.initialize_as(&game.boss, race)
        .await
        .assert_problem(StatusCode::CONFLICT, "draft_exists");
    assert_eq!(app.count("fantasy_draft_orders").await, 1);

    let started = &game.races[1];
    move_race(
        app,
        started,
        agora_core::time::now() - chrono::Duration::minutes(1),
    )
    .await;
    game.initialize_as(&game.boss, started)
        .await
        .assert_problem(StatusCode::CONFLICT, "draft_closed");

    // A league of one constructor has no draft.
    let solo = create_league(app, &game.boss, json!({ "is_private": true })).await;
    join(app, &game.boss, &solo, "Alone").await;
    let response = app
        .post(&format!(
            "/api/v1/fantasy/leagues/{}/drafts/initialize",
            text(&solo["id"])
        ))
        .bearer(&game.boss.access_token)
        .json(&json!({ "race_id": race["id"] }))
        .send()
        .await;
    response.assert_problem(StatusCode::CONFLICT, "not_enough_constructors");
    // A private league is no one else's to initialize.
    let response = app
        .post(&format!(
            "/api/v1/fantasy/leagues/{}/drafts/initialize",
            text(&solo["id"])
        ))
        .bearer(&game.players[0].user.access_token)
        .json(&json!({ "race_id": race["id"] }))
        .send()
        .await;
    response.assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_later_races_order_is_the_previous_one_rotated_with_newcomers_last() {
    let game = game("snake", 3, &[]).await;
    let first = game.initialize(&game.races[0]).await;
    let newcomer = game.app.register("late").await;
    let late = join(&game.app, &newcomer, &game.league, "Late Team").await;
    let second = game.initialize(&game.races[1]).await;
    assert_eq!(second["origin"], "rotated");
    assert_eq!(second["seed"], Value::Null);
    let mut expected = order_of(&first);
    let head = expected.remove(0);
    expected.push(head);
    expected.push(text(&late["id"]).to_owned());
    assert_eq!(order_of(&second), expected);
}

/// Makes every pick of the draft of `race`, each by the player whose turn it is, trying it
/// first as someone else (refused); returns the draft then.
async fn pick_all(game: &Game, race: &Value) -> Value {
    let drivers = game.drivers().await;
    let total = game.draft(race).await["total_picks"]
        .as_u64()
        .expect("a count");
    for n in 0..total {
        let on_turn = game.on_turn(race).await;
        let other = game
            .players
            .iter()
            .find(|p| p.constructor["id"] != on_turn.constructor["id"])
            .expect("another player");
        let driver = &drivers[usize::try_from(n).expect("an index")];
        game.pick(other, race, driver)
            .await
            .assert_problem(StatusCode::CONFLICT, "not_your_turn");
        let response = game.pick(&on_turn, race, driver).await;
        response.assert_status(StatusCode::CREATED);
        let pick: Value = response.json();
        assert_eq!(pick["pick_number"], n + 1);
        assert_eq!(pick["driver"]["id"], driver.as_str());
        assert_eq!(pick["auto"], false);
    }
    game.draft(race).await
}

#[tokio::test]
async fn sequential_turns_follow_the_order_in_every_round() {
    let game = game("sequential", 3, &[]).await;
    let race = &game.races[0];
    let draft = game.initialize(race).await;
    let order = order_of(&draft);
    let done = pick_all(&game, race).await;
    let expected: Vec<String> = order.iter().chain(&order).cloned().collect();
    assert_eq!(pickers(&done), expected);
    assert_eq!(done["status"], "complete");
    assert_eq!(done["next"], Value::Null);
    let rounds: Vec<i64> = done["picks"]
        .as_array()
        .expect("picks")
        .iter()
        .map(|p| p["round"].as_i64().expect("a round"))
        .collect();
    assert_eq!(rounds, [1, 1, 1, 2, 2, 2]);
    // Two drivers each, and no third.
    let drivers = game.drivers().await;
    for player in &game.players {
        let path = format!(
            "/api/v1/fantasy/constructors/{}/drafts/{}",
            text(&player.constructor["id"]),
            text(&race["id"])
        );
        let picks: Value = game.app.get(&path).send().await.json();
        assert_eq!(picks["items"].as_array().expect("items").len(), 2);
        game.pick(player, race, &drivers[10])
            .await
            .assert_problem(StatusCode::CONFLICT, "draft_complete");
    }
    assert_eq!(game.app.count("fantasy_picks").await, 6);
}

#[tokio::test]
async fn snake_turns_reverse_the_order_every_other_round() {
    let game = game("snake", 3, &[]).await;
    let race = &game.races[0];
    let draft = game.initialize(race).await;
    let order = order_of(&draft);
    let done = pick_all(&game, race).await;
    let expected: Vec<String> = order.iter().chain(order.iter().rev()).cloned().collect();
    assert_eq!(pickers(&done), expected);
    assert_eq!(done["status"], "complete");
}

#[tokio::test]
async fn a_draft_of_more_picks_than_drivers_is_complete_when_the_field_is_taken() {
    // 12 constructors want 24 picks; 2025 has fewer drivers, each picked once.
    let game = game("snake", 12, &[]).await;
    let field = game.drivers().await.len();
    assert!(field < 24, "the season has {field} drivers");
    let race = &game.races[0];
    let draft = game.initialize(race).await;
    assert_eq!(draft["total_picks"], field);
    let done = pick_all(&game, race).await;
    assert_eq!(done["status"], "complete");
    assert_eq!(done["picks_made"], field);
    assert_eq!(done["next"], Value::Null);
    // The snake's second round reversed: its first constructors got a second driver, the
    // rest one.
    let order = order_of(&draft);
    let expected: Vec<String> = order
        .iter()
        .chain(order.iter().rev())
        .take(field)
        .cloned()
        .collect();
    assert_eq!(pickers(&done), expected);
    game.pick(&game.players[0], race, &game.drivers().await[0])
        .await
        .assert_problem(StatusCode::CONFLICT, "draft_complete");
}

#[tokio::test]
async fn a_driver_is_picked_once_per_league_and_race_and_only_from_the_races_season() {
    let game = game("snake", 2, &[]).await;
    let app = &game.app;
    let race = &game.races[0];
    game.initialize(race).await;
    let drivers = game.drivers().await;
    let first = game.on_turn(race).await;
    game.pick(&first, race, &drivers[0])
        .await
        .assert_status(StatusCode::CREATED);
    let second = game.on_turn(race).await;
    game.pick(&second, race, &drivers[0])
        .await
        .assert_problem(StatusCode::CONFLICT, "driver_taken");
    assert_eq!(app.count("fantasy_picks").await, 1);
    assert_eq!(
        game.draft(race).await["picks_made"],
        1,
        "the refused pick kept no turn"
    );

    super::sync(app, 2024).await;
    let of_2024 = all(app, "/api/v1/fantasy/drivers?season=2024").await;
    for driver in [
        text(&of_2024[0]["id"]),
        "0193a1b2-0000-7000-8000-000000000000",
    ] {
        let problem = game
            .pick(&second, race, driver)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(problem.errors[0].field, "driver_id");
    }
    // Someone else's constructor.
    let response = app
        .post(&format!(
            "/api/v1/fantasy/constructors/{}/drafts/{}/picks",
            text(&second.constructor["id"]),
            text(&race["id"])
        ))
        .bearer(&first.user.access_token)
        .json(&json!({ "driver_id": drivers[1] }))
        .send()
        .await;
    response.assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // Another league may pick the same driver for the same race.
    let other = create_league(app, &game.boss, json!({})).await;
    let mut others = Vec::new();
    for (n, player) in game.players.iter().enumerate() {
        others.push(join(app, &player.user, &other, &format!("Elsewhere {n}")).await);
    }
    let response = app
        .post(&format!(
            "/api/v1/fantasy/leagues/{}/drafts/initialize",
            text(&other["id"])
        ))
        .bearer(&game.boss.access_token)
        .json(&json!({ "race_id": race["id"] }))
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    let draft: Value = response.json();
    let on_turn = draft["next"]["constructor_id"].clone();
    let index = others
        .iter()
        .position(|c| c["id"] == on_turn)
        .expect("a constructor of the other league");
    let response = app
        .post(&format!(
            "/api/v1/fantasy/constructors/{}/drafts/{}/picks",
            text(&on_turn),
            text(&race["id"])
        ))
        .bearer(&game.players[index].user.access_token)
        .json(&json!({ "driver_id": drivers[0] }))
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn no_pick_is_made_once_the_race_has_started() {
    let game = game("snake", 2, &[]).await;
    let race = &game.races[0];
    game.initialize(race).await;
    let drivers = game.drivers().await;
    let first = game.on_turn(race).await;
    move_race(
        &game.app,
        race,
        agora_core::time::now() - chrono::Duration::seconds(1),
    )
    .await;
    game.pick(&first, race, &drivers[0])
        .await
        .assert_problem(StatusCode::CONFLICT, "draft_closed");
    let draft = game.draft(race).await;
    assert_eq!(draft["status"], "closed");
    assert_eq!(draft["next"], Value::Null);
    let mut order = order_of(&draft);
    order.reverse();
    let response = game
        .app
        .patch(&game.draft_path(race))
        .bearer(&game.boss.access_token)
        .json(&json!({ "order": order }))
        .send()
        .await;
    response.assert_problem(StatusCode::CONFLICT, "draft_closed");
    assert_eq!(game.app.count("fantasy_picks").await, 0);
}

#[tokio::test]
async fn the_creator_sets_the_order_by_hand_until_the_first_pick() {
    let game = game("sequential", 3, &[]).await;
    let app = &game.app;
    let race = &game.races[0];
    let draft = game.initialize(race).await;
    let mut order = order_of(&draft);
    order.reverse();
    let path = game.draft_path(race);
    let patch = |user: &TestUser, order: Value| {
        app.patch(&path)
            .bearer(&user.access_token)
            .json(&json!({ "order": order }))
            .send()
    };
    patch(&game.players[0].user, json!(order))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let stranger = create_league(app, &game.boss, json!({})).await;
    let outsider = join(app, &game.players[0].user, &stranger, "Elsewhere").await;
    for bad in [
        json!([order[0], order[1]]),
        json!([order[0], order[0], order[1]]),
        json!([order[0], order[1], outsider["id"]]),
        json!([order[0], order[1], order[2], outsider["id"]]),
    ] {
        let problem = patch(&game.boss, bad.clone())
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(problem.errors[0].field, "order", "{bad}");
    }
    let response = patch(&game.boss, json!(order)).await;
    response.assert_status(StatusCode::OK);
    let manual: Value = response.json();
    assert_eq!(manual["origin"], "manual");
    assert_eq!(manual["seed"], Value::Null);
    assert_eq!(order_of(&manual), order);
    assert_eq!(manual["next"]["constructor_id"], order[0].as_str());
    // The new first constructor is told it is their turn.
    let first = game.player(&manual["next"]["constructor_id"]);
    let turns = pick_turns(app, &first.user).await;
    assert!(!turns.is_empty());

    let drivers = game.drivers().await;
    game.pick(first, race, &drivers[0])
        .await
        .assert_status(StatusCode::CREATED);
    patch(&game.boss, json!(order_of(&draft)))
        .await
        .assert_problem(StatusCode::CONFLICT, "draft_started");
    assert_eq!(order_of(&game.draft(race).await), order);
}

#[tokio::test]
async fn of_simultaneous_picks_for_one_turn_exactly_one_is_made() {
    let game = game("snake", 2, &[]).await;
    let race = &game.races[0];
    game.initialize(race).await;
    let drivers = game.drivers().await;
    let first = game.on_turn(race).await;
    let answers = futures::future::join_all(
        drivers
            .iter()
            .take(8)
            .map(|driver| game.pick(&first, race, driver)),
    )
    .await;
    let made = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    assert_eq!(
        made,
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for refused in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        refused.assert_problem(StatusCode::CONFLICT, "not_your_turn");
    }
    assert_eq!(game.app.count("fantasy_picks").await, 1);
    let draft = game.draft(race).await;
    assert_eq!(draft["picks_made"], 1);
    assert_ne!(draft["next"]["constructor_id"], first.constructor["id"]);
}

#[tokio::test]
async fn of_simultaneous_picks_of_one_driver_exactly_one_is_made() {
    // In a snake of two, the second constructor picks twice in a row (picks 2 and 3): its
    // simultaneous picks of one driver may each find it their turn.
    let game = game("snake", 2, &[]).await;
    let race = &game.races[0];
    game.initialize(race).await;
    let drivers = game.drivers().await;
    let first = game.on_turn(race).await;
    game.pick(&first, race, &drivers[0])
        .await
        .assert_status(StatusCode::CREATED);
    let second = game.on_turn(race).await;
    let answers =
        futures::future::join_all((0..8).map(|_| game.pick(&second, race, &drivers[1]))).await;
    let made = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    assert_eq!(
        made,
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for refused in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        refused.assert_problem(StatusCode::CONFLICT, "driver_taken");
    }
    let draft = game.draft(race).await;
    assert_eq!(draft["picks_made"], 2);
    assert_eq!(draft["next"]["pick_number"], 3);
    assert_eq!(draft["next"]["constructor_id"], second.constructor["id"]);
    let of_driver = draft["picks"]
        .as_array()
        .expect("picks")
        .iter()
        .filter(|p| p["driver"]["id"] == drivers[1].as_str())
        .count();
    assert_eq!(of_driver, 1);
}

#[tokio::test]
async fn a_pick_number_the_database_holds_already_is_refused_by_its_unique_key() {
    let game = game("snake", 2, &[]).await;
    let race = &game.races[0];
    let draft = game.initialize(race).await;
    let drivers = game.drivers().await;
    let first = game.on_turn(race).await;
    // A row written past the draft's counter (as a writer that skipped it would): pick 1.
    let pick = NewPick {
        league: game.league_id().parse().expect("an id"),
        race: text(&race["id"]).parse().expect("an id"),
        constructor: text(&first.constructor["id"]).parse().expect("an id"),
        driver: drivers[5].parse().expect("an id"),
        pick_number: 1,
        auto: false,
    };
    drafts::insert_pick(game.app.db().writer(), pick, agora_core::time::now())
        .await
        .expect("written");
    game.pick(&first, race, &drivers[0])
        .await
        .assert_problem(StatusCode::CONFLICT, "not_your_turn");
    assert_eq!(game.draft(race).await["picks_made"], draft["picks_made"]);
}

#[tokio::test]
async fn a_repeated_pick_with_its_idempotency_key_answers_the_first_pick() {
    let game = game("snake", 2, &[]).await;
    let race = &game.races[0];
    game.initialize(race).await;
    let drivers = game.drivers().await;
    let first = game.on_turn(race).await;
    let path = format!(
        "/api/v1/fantasy/constructors/{}/drafts/{}/picks",
        text(&first.constructor["id"]),
        text(&race["id"])
    );
    let mut answers = Vec::new();
    for _ in 0..2 {
        let response = game
            .app
            .post(&path)
            .bearer(&first.user.access_token)
            .header("Idempotency-Key", "pick-1")
            .json(&json!({ "driver_id": drivers[0] }))
            .send()
            .await;
        response.assert_status(StatusCode::CREATED);
        answers.push(response.json::<Value>());
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(game.app.count("fantasy_picks").await, 1);
}

/// The `fantasy.pick_turn` notifications of `user`, newest first.
async fn pick_turns(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let page: Page<Value> = app
        .get("/api/v1/notifications")
        .bearer(&user.access_token)
        .send()
        .await
        .json();
    page.items
        .into_iter()
        .filter(|n| n["kind"] == "fantasy.pick_turn")
        .collect()
}

#[tokio::test]
async fn the_constructor_whose_turn_it_becomes_is_notified_by_its_channels() {
    let game = game("sequential", 2, &[]).await;
    let app = &game.app;
    let race = &game.races[0];
    let draft = game.initialize(race).await;
    let first = game.player(&draft["next"]["constructor_id"]).clone();
    let second = game
        .players
        .iter()
        .find(|p| p.constructor["id"] != first.constructor["id"])
        .expect("the other player")
        .clone();
    let told = pick_turns(app, &first.user).await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["payload"]["pick_number"], 1);
    assert_eq!(told[0]["payload"]["league_id"], game.league["id"]);
    assert_eq!(
        told[0]["link"],
        format!(
            "/fantasy/leagues/{}/drafts/{}",
            game.league_id(),
            text(&race["id"])
        )
    );
    assert!(pick_turns(app, &second.user).await.is_empty());

    // The second player wants no pick-turn notifications at all.
    let response = app
        .put("/api/v1/notifications/preferences/fantasy.pick_turn")
        .bearer(&second.user.access_token)
        .json(&json!({ "in_app": false, "email_digest": false, "realtime": false }))
        .send()
        .await;
    assert!(response.status.is_success(), "{}", response.text());
    let drivers = game.drivers().await;
    game.pick(&first, race, &drivers[0])
        .await
        .assert_status(StatusCode::CREATED);
    assert!(pick_turns(app, &second.user).await.is_empty());
    // With the channels back, their next turn is told (pick 4, after the first's pick 3).
    app.delete("/api/v1/notifications/preferences/fantasy.pick_turn")
        .bearer(&second.user.access_token)
        .send()
        .await;
    game.pick(&second, race, &drivers[1])
        .await
        .assert_status(StatusCode::CREATED);
    assert_eq!(pick_turns(app, &first.user).await.len(), 2);
    game.pick(&first, race, &drivers[2])
        .await
        .assert_status(StatusCode::CREATED);
    let told = pick_turns(app, &second.user).await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["payload"]["pick_number"], 4);
}

#[tokio::test]
async fn the_leagues_room_tells_its_members_of_each_turn_and_pick() {
    let game = game("snake", 2, &[]).await;
    let app = &game.app;
    let race = &game.races[0];
    let room = format!("league:{}", game.league_id());
    let mut member = app.socket(&game.players[0].user).await;
    member.subscribe(&room).await;
    let outsider = app.register("outsider").await;
    let mut refused = app.socket(&outsider).await;
    refused
        .send_json(json!({ "type": "subscribe", "room": room }))
        .await;
    let answer = refused.next_json().await;
    assert_eq!(answer["type"], "error");
    assert_eq!(answer["code"], "forbidden");

    let draft = game.initialize(race).await;
    let event = member.next_of_type("draft.order").await;
    assert_eq!(event["room"], room.as_str());
    assert_eq!(event["payload"]["race_id"], race["id"]);
    assert_eq!(event["payload"]["picks_made"], 0);
    assert_eq!(event["payload"]["next"], draft["next"]);
    assert_eq!(
        event["payload"]["order"],
        json!(order_of(&draft)),
        "the order of constructor ids"
    );

    let drivers = game.drivers().await;
    let first = game.on_turn(race).await;
    let response = game.pick(&first, race, &drivers[3]).await;
    response.assert_status(StatusCode::CREATED);
    let pick: Value = response.json();
    let event = member.next_of_type("draft.pick").await;
    assert_eq!(event["payload"], pick);
    let event = member.next_of_type("draft.order").await;
    assert_eq!(event["payload"]["picks_made"], 1);
    assert_eq!(event["payload"]["next"]["pick_number"], 2);
}

#[tokio::test]
async fn drafts_are_read_by_whoever_may_see_the_league() {
    let game = game("snake", 2, &[]).await;
    let app = &game.app;
    let race = &game.races[0];
    app.get(&game.draft_path(race))
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    game.initialize(race).await;
    app.get(&game.draft_path(race))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let response = app
        .patch(&format!("/api/v1/fantasy/leagues/{}", game.league_id()))
        .bearer(&game.boss.access_token)
        .json(&json!({ "is_private": true }))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    let picks_path = format!(
        "/api/v1/fantasy/constructors/{}/drafts/{}",
        text(&game.players[0].constructor["id"]),
        text(&race["id"])
    );
    for path in [game.draft_path(race), picks_path.clone()] {
        app.get(&path)
            .send()
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.get(&path)
            .bearer(&game.players[1].user.access_token)
            .send()
            .await
            .assert_status(StatusCode::OK);
    }
    let picks: Value = app
        .get(&picks_path)
        .bearer(&game.boss.access_token)
        .send()
        .await
        .json();
    assert_eq!(picks["items"], json!([]));
    assert_eq!(picks["constructor_id"], game.players[0].constructor["id"]);
}

#[tokio::test]
async fn with_a_pick_clock_a_turn_let_pass_is_taken_with_the_best_driver_left() {
    let game = game("snake", 2, &[("AGORA_FANTASY_PICK_CLOCK", "1s")]).await;
    let app = &game.app;
    let race = &game.races[0];
    let draft = game.initialize(race).await;
    let started = time(&draft["next"]["started_at"]);
    assert_eq!(
        time(&draft["next"]["ends_at"]),
        started + chrono::Duration::seconds(1)
    );
    let done = eventually(
        Duration::from_secs(30),
        "every pick is made by the clock",
        async || {
            let draft = game.draft(race).await;
            (draft["status"] == "complete").then_some(draft)
        },
    )
    .await;
    let picks = done["picks"].as_array().expect("picks");
    assert_eq!(picks.len(), 4);
    assert!(picks.iter().all(|p| p["auto"] == true));
    // The best drivers of the season by fantasy points, active ones, in order.
    let mut field: Vec<Value> = all(app, "/api/v1/fantasy/drivers?season=2025&status=active").await;
    field.sort_by_key(|d| std::cmp::Reverse(d["total_points"].as_i64()));
    let best: Vec<&Value> = field.iter().take(4).map(|d| &d["id"]).collect();
    let picked: Vec<&Value> = picks.iter().map(|p| &p["driver"]["id"]).collect();
    assert_eq!(picked, best);
    assert_eq!(pickers(&done), {
        let order = order_of(&done);
        vec![
            order[0].clone(),
            order[1].clone(),
            order[1].clone(),
            order[0].clone(),
        ]
    });
}

#[tokio::test]
async fn the_pick_clocks_job_picks_once_however_often_and_late_it_runs() {
    let game = game("snake", 2, &[("AGORA_FANTASY_PICK_CLOCK", "1h")]).await;
    let app = &game.app;
    let race = &game.races[0];
    let draft = game.initialize(race).await;
    // One job for the turn, due when its clock runs out.
    assert_eq!(
        app.count("jobs WHERE kind = 'fantasy.auto_pick' AND status = 'queued'")
            .await,
        1
    );
    let job = AutoPick {
        league_id: game.league_id().parse().expect("an id"),
        race_id: text(&race["id"]).parse().expect("an id"),
        pick_number: 1,
        turn_started_at: time(&draft["next"]["started_at"]),
    };
    // The same turn's job twice, due now (a retry, a late run).
    let now = agora_core::time::now();
    agora_platform::jobs::enqueue(app.db().writer(), &job, now)
        .await
        .expect("queued");
    agora_platform::jobs::enqueue(app.db().writer(), &job, now)
        .await
        .expect("queued");
    app.state().jobs().wake();
    eventually(Duration::from_secs(20), "both runs are done", async || {
        let done = app
            .count("jobs WHERE kind = 'fantasy.auto_pick' AND status = 'succeeded'")
            .await;
        (done == 2).then_some(())
    })
    .await;
    let after = game.draft(race).await;
    assert_eq!(after["picks_made"], 1);
    assert_eq!(after["picks"][0]["auto"], true);
    assert_eq!(
        after["picks"][0]["constructor_id"],
        draft["next"]["constructor_id"]
    );
    assert_eq!(after["next"]["pick_number"], 2);

    // Turn 2 is taken by hand; its clock's job, run early, leaves it as it is.
    let second = game.on_turn(race).await;
    let drivers = game.drivers().await;
    let free = drivers
        .iter()
        .find(|d| after["picks"][0]["driver"]["id"] != d.as_str())
        .expect("a driver left");
    game.pick(&second, race, free)
        .await
        .assert_status(StatusCode::CREATED);
    let stale = AutoPick {
        pick_number: 2,
        turn_started_at: time(&after["next"]["started_at"]),
        ..job
    };
    agora_platform::jobs::enqueue(app.db().writer(), &stale, agora_core::time::now())
        .await
        .expect("queued");
    app.state().jobs().wake();
    eventually(
        Duration::from_secs(20),
        "the stale run is done",
        async || {
            let done = app
                .count("jobs WHERE kind = 'fantasy.auto_pick' AND status = 'succeeded'")
                .await;
            (done == 3).then_some(())
        },
    )
    .await;
    let last = game.draft(race).await;
    assert_eq!(last["picks_made"], 2);
    assert_eq!(last["picks"][1]["auto"], false);
}

#[tokio::test]
async fn after_a_race_the_next_races_draft_opens_with_the_order_rotated_once() {
    let game = game("snake", 3, &[]).await;
    let app = &game.app;
    let (race, next) = (&game.races[0], &game.races[1]);
    let first = game.initialize(race).await;
    let now = agora_core::time::now();
    // Nothing to do while the race has not ended.
    assert_eq!(
        agora_fantasy::drafts::jobs::rotate(app.state(), now)
            .await
            .expect("the rotation runs"),
        0
    );
    move_race(app, race, now - chrono::Duration::hours(3)).await;
    agora_platform::jobs::enqueue(app.db().writer(), &RotateDrafts::default(), now)
        .await
        .expect("queued");
    app.state().jobs().wake();
    let opened = eventually(
        Duration::from_secs(20),
        "the next draft is open",
        async || {
            let response = app.get(&game.draft_path(next)).send().await;
            (response.status == StatusCode::OK).then(|| response.json::<Value>())
        },
    )
    .await;
    assert_eq!(opened["origin"], "rotated");
    let mut expected = order_of(&first);
    let head = expected.remove(0);
    expected.push(head);
    assert_eq!(order_of(&opened), expected);
    // Its first constructor is told.
    let told = pick_turns(app, &game.player(&opened["next"]["constructor_id"]).user).await;
    assert!(told.iter().any(|n| n["payload"]["race_id"] == next["id"]));
    // Run again: nothing more.
    assert_eq!(
        agora_fantasy::drafts::jobs::rotate(app.state(), agora_core::time::now())
            .await
            .expect("the rotation runs"),
        0
    );
    assert_eq!(app.count("fantasy_draft_orders").await, 2);
}

#[tokio::test]
async fn an_order_set_again_restarts_the_clock_and_the_old_turns_job_does_nothing() {
    let game = game("sequential", 2, &[("AGORA_FANTASY_PICK_CLOCK", "1h")]).await;
    let app = &game.app;
    let race = &game.races[0];
    let draft = game.initialize(race).await;
    let mut order = order_of(&draft);
    order.reverse();
    let response = app
        .patch(&game.draft_path(race))
        .bearer(&game.boss.access_token)
        .json(&json!({ "order": order }))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    let manual: Value = response.json();
    let restarted = time(&manual["next"]["started_at"]);
    assert!(restarted > time(&draft["next"]["started_at"]));
    assert_eq!(
        time(&manual["next"]["ends_at"]),
        restarted + chrono::Duration::hours(1)
    );
    // A job for each turn 1: the first order's and the new one's.
    assert_eq!(
        app.count("jobs WHERE kind = 'fantasy.auto_pick' AND status = 'queued'")
            .await,
        2
    );
    // The first order's turn 1 has passed: its job, run now, picks nothing.
    let old = AutoPick {
        league_id: game.league_id().parse().expect("an id"),
        race_id: text(&race["id"]).parse().expect("an id"),
        pick_number: 1,
        turn_started_at: time(&draft["next"]["started_at"]),
    };
    agora_platform::jobs::enqueue(app.db().writer(), &old, agora_core::time::now())
        .await
        .expect("queued");
    app.state().jobs().wake();
    eventually(
        Duration::from_secs(20),
        "the old turn's run is done",
        async || {
            let done = app
                .count("jobs WHERE kind = 'fantasy.auto_pick' AND status = 'succeeded'")
                .await;
            (done == 1).then_some(())
        },
    )
    .await;
    assert_eq!(game.draft(race).await["picks_made"], 0);
}
