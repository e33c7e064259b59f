//! Leagues and constructors: `/fantasy/leagues[/{id}]`, `/fantasy/leagues/join`,
//! `/fantasy/constructors[/{id}]`. A league's join code, who sees a private league, the
//! creator's changes, and the join's rules: one constructor per user, a team name once per
//! league whatever its case, never more constructors than `max_teams`, even when users join
//! at the same moment.

use std::collections::BTreeSet;

use agora_fantasy::leagues::entity::DraftMethod;
use agora_fantasy::leagues::model::LeagueContent;
use agora_fantasy::leagues::queries as leagues;
use agora_testkit::{Page, StatusCode, TestApp, TestUser, json};
use serde_json::Value;

use super::{create_league, join, text, try_join};
use crate::support::cursors::{assert_cursor_refused, bad_cursors, first_cursor};

const ALPHABET: &str = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

async fn get(app: &TestApp, user: Option<&TestUser>, path: &str) -> agora_testkit::TestResponse {
    let mut request = app.get(path);
    if let Some(user) = user {
        request = request.bearer(&user.access_token);
    }
    request.send().await
}

fn league_path(league: &Value) -> String {
    format!("/api/v1/fantasy/leagues/{}", text(&league["id"]))
}

/// The names of the leagues `user` lists.
async fn listed(app: &TestApp, user: Option<&TestUser>, query: &str) -> Vec<String> {
    let response = get(
        app,
        user,
        &format!("/api/v1/fantasy/leagues?limit=100{query}"),
    )
    .await;
    response.assert_status(StatusCode::OK);
    let page: Page<Value> = response.json();
    page.items
        .iter()
        .map(|league| text(&league["name"]).to_owned())
        .collect()
}

#[tokio::test]
async fn a_league_is_created_with_a_join_code_and_its_creator_joins_like_anyone() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let response = app
        .post("/api/v1/fantasy/leagues")
        .bearer(&alice.access_token)
        .json(&json!({
            "name": "  Paddock Club ",
            "description": "Sunday mornings",
            "max_teams": 4,
            "is_private": false,
            "draft_method": "sequential",
        }))
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    let league: Value = response.json();
    assert_eq!(league["name"], "Paddock Club");
    assert_eq!(league["description"], "Sunday mornings");
    assert_eq!(league["max_teams"], 4);
    assert_eq!(league["team_count"], 0);
    assert_eq!(league["draft_method"], "sequential");
    assert_eq!(league["creator"]["username"], "alice");
    assert_eq!(league["is_member"], false);
    let code = text(&league["join_code"]);
    assert_eq!(code.len(), 8);
    assert!(code.chars().all(|c| ALPHABET.contains(c)), "{code}");
    let location = response.header("location").expect("Location").to_owned();
    assert_eq!(location, league_path(&league));
    let read = get(&app, None, &location).await;
    read.assert_status(StatusCode::OK);
    let read: Value = read.json();
    assert_eq!(
        read["join_code"], code,
        "a public league's code is shown to all"
    );

    // The creator plays by joining, with the code in any case.
    let constructor = join(
        &app,
        &alice,
        &json!({ "join_code": code.to_lowercase() }),
        "Red Arrows",
    )
    .await;
    assert_eq!(constructor["team_name"], "Red Arrows");
    assert_eq!(constructor["total_points"], 0);
    assert_eq!(constructor["user"]["username"], "alice");
    assert_eq!(constructor["league_id"], league["id"]);
    let mine: Value = get(&app, Some(&alice), &location).await.json();
    assert_eq!(mine["team_count"], 1);
    assert_eq!(mine["is_member"], true);
}

#[tokio::test]
async fn a_league_needs_a_name_and_2_to_20_teams() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let valid =
        json!({ "name": "League", "max_teams": 2, "is_private": true, "draft_method": "snake" });
    let anonymous = app
        .post("/api/v1/fantasy/leagues")
        .json(&valid)
        .send()
        .await;
    anonymous.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let long_description = "x".repeat(1001);
    for (change, field) in [
        (json!({ "max_teams": 1 }), "max_teams"),
        (json!({ "max_teams": 21 }), "max_teams"),
        (json!({ "name": " " }), "name"),
        (json!({ "name": "x".repeat(101) }), "name"),
        (json!({ "name": "two\nlines" }), "name"),
        (json!({ "description": long_description }), "description"),
        (json!({ "draft_method": "random" }), "draft_method"),
        (json!({ "join_code": "ABCDEFGH" }), "join_code"),
    ] {
        let mut body = valid.clone();
        for (key, value) in change.as_object().expect("an object") {
            body[key] = value.clone();
        }
        let response = app
            .post("/api/v1/fantasy/leagues")
            .bearer(&alice.access_token)
            .json(&body)
            .send()
            .await;
        let problem =
            response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(problem.errors[0].field, field, "{change}");
    }
    assert_eq!(app.count("fantasy_leagues").await, 0);
    for teams in [2, 20] {
        let mut body = valid.clone();
        body["max_teams"] = json!(teams);
        create_league(&app, &alice, body).await;
    }
}

#[tokio::test]
async fn a_join_code_another_league_has_is_never_given_twice() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let league = create_league(&app, &alice, json!({})).await;
    let content = LeagueContent {
        name: "Copy".into(),
        description: None,
        max_teams: 4,
        is_private: false,
        draft_method: DraftMethod::Snake,
    };
    let user = alice.id.parse().expect("a user id");
    let clash = leagues::insert(
        app.db().writer(),
        user,
        &content,
        text(&league["join_code"]),
        agora_core::time::now(),
    )
    .await
    .expect("no error");
    assert!(
        clash.is_none(),
        "the code is taken: the caller draws another"
    );
    assert_eq!(app.count("fantasy_leagues").await, 1);
    // Codes drawn for many leagues differ.
    let mut codes = BTreeSet::new();
    for _ in 0..20 {
        let league = create_league(&app, &alice, json!({})).await;
        codes.insert(text(&league["join_code"]).to_owned());
    }
    assert_eq!(codes.len(), 20);
}

#[tokio::test]
async fn a_private_league_and_its_code_are_seen_by_its_creator_and_members_only() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let public = create_league(&app, &alice, json!({ "name": "Open Grid" })).await;
    let private = create_league(
        &app,
        &alice,
        json!({ "name": "Inner Circle", "is_private": true }),
    )
    .await;
    join(&app, &bob, &private, "Bob Racing").await;

    let path = league_path(&private);
    for outsider in [None, Some(&carol)] {
        get(&app, outsider, &path)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        assert_eq!(listed(&app, outsider, "").await, ["Open Grid"]);
        // Its constructors and the route to them are hidden too.
        let constructors: Page<Value> = get(
            &app,
            outsider,
            &format!(
                "/api/v1/fantasy/constructors?league_id={}",
                text(&private["id"])
            ),
        )
        .await
        .json();
        assert!(constructors.items.is_empty());
    }
    for insider in [&alice, &bob] {
        let league: Value = get(&app, Some(insider), &path).await.json();
        assert_eq!(league["join_code"], private["join_code"]);
        assert_eq!(
            listed(&app, Some(insider), "").await,
            ["Inner Circle", "Open Grid"]
        );
    }
    // The code works for anyone who has it: that is how a private league is joined.
    let constructor = join(&app, &carol, &private, "Carol GP").await;
    let league: Value = get(&app, Some(&carol), &path).await.json();
    assert_eq!(league["is_member"], true);
    let own = get(
        &app,
        Some(&carol),
        &format!("/api/v1/fantasy/constructors/{}", text(&constructor["id"])),
    )
    .await;
    own.assert_status(StatusCode::OK);
    get(
        &app,
        None,
        &format!("/api/v1/fantasy/constructors/{}", text(&constructor["id"])),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        get(&app, None, &league_path(&public)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn only_the_creator_changes_a_league_and_never_below_its_constructors() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let league = create_league(
        &app,
        &alice,
        json!({ "description": "old", "max_teams": 5 }),
    )
    .await;
    for (user, team) in [
        (&alice, "Alice"),
        (&bob, "Bob Racing"),
        (&carol, "Carol GP"),
    ] {
        join(&app, user, &league, team).await;
    }
    let path = league_path(&league);

    let by_bob = app
        .patch(&path)
        .bearer(&bob.access_token)
        .json(&json!({ "name": "Mine now" }))
        .send()
        .await;
    by_bob.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let anonymous = app.patch(&path).json(&json!({ "name": "x" })).send().await;
    anonymous.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");

    let too_small = app
        .patch(&path)
        .bearer(&alice.access_token)
        .json(&json!({ "max_teams": 1 }))
        .send()
        .await;
    too_small.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let below = app
        .patch(&path)
        .bearer(&alice.access_token)
        .json(&json!({ "max_teams": 2, "name": "Renamed" }))
        .send()
        .await;
    let problem = below.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem.errors[0].field, "max_teams");
    assert!(
        problem.errors[0].message.contains('3'),
        "{:?}",
        problem.errors
    );
    let unchanged: Value = get(&app, None, &path).await.json();
    assert_eq!(
        unchanged["name"], "Paddock Club",
        "nothing of a refused change is kept"
    );

    let response = app
        .patch(&path)
        .bearer(&alice.access_token)
        .json(&json!({ "name": "Renamed", "description": null, "max_teams": 3, "is_private": true, "draft_method": "sequential" }))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    let changed: Value = response.json();
    assert_eq!(changed["name"], "Renamed");
    assert_eq!(changed["description"], Value::Null);
    assert_eq!(changed["max_teams"], 3);
    assert_eq!(changed["is_private"], true);
    assert_eq!(changed["draft_method"], "sequential");
    assert_eq!(changed["join_code"], league["join_code"]);
    // A private league's outsider finds nothing to change.
    let dave = app.register("dave").await;
    let hidden = app
        .patch(&path)
        .bearer(&dave.access_token)
        .json(&json!({ "name": "x" }))
        .send()
        .await;
    hidden.assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_join_needs_a_code_of_a_league_and_a_team_name() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let league = create_league(&app, &alice, json!({})).await;
    let code = text(&league["join_code"]);
    let unknown = if code == "ABCDEFGH" {
        "HGFEDCBA"
    } else {
        "ABCDEFGH"
    };
    try_join(&app, &bob, unknown, "Bob Racing")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    for (code, team, field) in [
        ("ABCDEFG", "Bob Racing", "code"),
        ("ABCDEFG0", "Bob Racing", "code"),
        (code, " ", "team_name"),
        (code, &"x".repeat(51), "team_name"),
    ] {
        let response = try_join(&app, &bob, code, team).await;
        let problem =
            response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(problem.errors[0].field, field, "{code} {team}");
    }
    let anonymous = app
        .post("/api/v1/fantasy/leagues/join")
        .json(&json!({ "code": code, "team_name": "x" }))
        .send()
        .await;
    anonymous.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(app.count("fantasy_constructors").await, 0);
}

#[tokio::test]
async fn a_user_has_one_constructor_per_league_and_a_team_name_is_taken_whatever_its_case() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let league = create_league(&app, &alice, json!({})).await;
    let code = text(&league["join_code"]);
    join(&app, &alice, &league, "Écurie Rouge").await;
    try_join(&app, &alice, code, "Another Team")
        .await
        .assert_problem(StatusCode::CONFLICT, "already_joined");
    try_join(&app, &bob, code, "  ÉCURIE rouge ")
        .await
        .assert_problem(StatusCode::CONFLICT, "team_name_taken");
    // The refused joins took no seat.
    let read: Value = get(&app, None, &league_path(&league)).await.json();
    assert_eq!(read["team_count"], 1);
    // The same name in another league is another team.
    let other = create_league(&app, &bob, json!({})).await;
    join(&app, &bob, &other, "Écurie Rouge").await;
    join(&app, &bob, &league, "Ecurie Rouge").await;
}

#[tokio::test]
async fn a_full_league_refuses_the_next_join() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let league = create_league(&app, &alice, json!({ "max_teams": 2 })).await;
    for name in ["bob", "carol"] {
        let user = app.register(name).await;
        join(&app, &user, &league, name).await;
    }
    let dave = app.register("dave").await;
    try_join(&app, &dave, text(&league["join_code"]), "Dave")
        .await
        .assert_problem(StatusCode::CONFLICT, "league_full");
    assert_eq!(app.count("fantasy_constructors").await, 2);
    // Raised by its creator, it takes one more.
    let response = app
        .patch(&league_path(&league))
        .bearer(&alice.access_token)
        .json(&json!({ "max_teams": 3 }))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    join(&app, &dave, &league, "Dave").await;
}

#[tokio::test]
async fn users_joining_at_the_same_moment_never_overfill_a_league() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let league = create_league(&app, &alice, json!({ "max_teams": 3 })).await;
    let mut users = Vec::new();
    for n in 0..10 {
        users.push(app.register(&format!("racer{n}")).await);
    }
    let code = text(&league["join_code"]).to_owned();
    let names: Vec<String> = (0..users.len()).map(|n| format!("Team {n}")).collect();
    let answers = futures::future::join_all(
        users
            .iter()
            .zip(&names)
            .map(|(user, name)| try_join(&app, user, &code, name)),
    )
    .await;
    let joined = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    assert_eq!(
        joined,
        3,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for answer in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        answer.assert_problem(StatusCode::CONFLICT, "league_full");
    }
    assert_eq!(app.count("fantasy_constructors").await, 3);
    let read: Value = get(&app, None, &league_path(&league)).await.json();
    assert_eq!(read["team_count"], 3);
}

#[tokio::test]
async fn a_repeated_join_with_its_idempotency_key_answers_the_first_constructor() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let league = create_league(&app, &alice, json!({})).await;
    let body = json!({ "code": league["join_code"], "team_name": "Red Arrows" });
    let mut answers = Vec::new();
    for _ in 0..2 {
        let response = app
            .post("/api/v1/fantasy/leagues/join")
            .bearer(&alice.access_token)
            .header("Idempotency-Key", "join-1")
            .json(&body)
            .send()
            .await;
        response.assert_status(StatusCode::CREATED);
        answers.push(response.json::<Value>());
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(app.count("fantasy_constructors").await, 1);
}

#[tokio::test]
async fn constructors_are_listed_by_league_and_user_in_the_order_they_joined() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let first = create_league(&app, &alice, json!({ "name": "First" })).await;
    let second = create_league(&app, &bob, json!({ "name": "Second" })).await;
    join(&app, &alice, &first, "A1").await;
    join(&app, &bob, &first, "B1").await;
    join(&app, &alice, &second, "A2").await;

    let teams = |page: &Page<Value>| -> Vec<String> {
        page.items
            .iter()
            .map(|c| text(&c["team_name"]).to_owned())
            .collect()
    };
    let of_first: Page<Value> = get(
        &app,
        None,
        &format!(
            "/api/v1/fantasy/constructors?league_id={}",
            text(&first["id"])
        ),
    )
    .await
    .json();
    assert_eq!(teams(&of_first), ["A1", "B1"]);
    let mine: Page<Value> = get(
        &app,
        Some(&alice),
        "/api/v1/fantasy/constructors?user_id=me",
    )
    .await
    .json();
    assert_eq!(teams(&mine), ["A1", "A2"]);
    get(&app, None, "/api/v1/fantasy/constructors?user_id=me")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    for bad in ["league_id=nope", "user_id=you", "limit=0", "colour=red"] {
        let response = get(&app, None, &format!("/api/v1/fantasy/constructors?{bad}")).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    get(
        &app,
        None,
        "/api/v1/fantasy/constructors/0193a1b2-0000-7000-8000-000000000000",
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");

    // Pages of one, every constructor once; cursors are checked.
    let path = "/api/v1/fantasy/constructors?limit=1";
    let cursor = first_cursor(&app, &alice, path).await;
    for bad in bad_cursors(&cursor) {
        assert_cursor_refused(&app, &alice, path, &bad).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(cursor) => format!("{path}&cursor={cursor}"),
            None => path.to_owned(),
        };
        let page: Page<Value> = get(&app, None, &url).await.json();
        seen.extend(teams(&page));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["A1", "B1", "A2"]);
}

#[tokio::test]
async fn leagues_are_listed_newest_first_and_found_by_name() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    for name in ["Monza Tifosi", "Silverstone Club", "Monaco Yachts"] {
        create_league(&app, &alice, json!({ "name": name })).await;
    }
    assert_eq!(
        listed(&app, None, "").await,
        ["Monaco Yachts", "Silverstone Club", "Monza Tifosi"]
    );
    assert_eq!(
        listed(&app, None, "&q=mon").await,
        ["Monaco Yachts", "Monza Tifosi"]
    );
    assert_eq!(
        listed(&app, None, "&q=CLUB%20silver").await,
        ["Silverstone Club"]
    );
    assert!(listed(&app, None, "&q=100%25").await.is_empty());
    let path = "/api/v1/fantasy/leagues?limit=1";
    let cursor = first_cursor(&app, &alice, path).await;
    for bad in bad_cursors(&cursor) {
        assert_cursor_refused(&app, &alice, path, &bad).await;
    }
    let long = "x".repeat(101);
    let response = get(&app, None, &format!("/api/v1/fantasy/leagues?q={long}")).await;
    response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn league_names_and_team_names_meet_the_content_rules() {
    let app = TestApp::spawn().await;
    let root = app.admin("root").await;
    for (pattern, action) in [("forbidden", "reject"), ("suspicious", "flag")] {
        let response = app
            .post("/api/v1/admin/moderation-rules")
            .bearer(&root.access_token)
            .json(&json!({ "pattern": pattern, "match": "word", "severity": 3, "action": action }))
            .send()
            .await;
        response.assert_status(StatusCode::CREATED);
    }
    let alice = app.register("alice").await;
    let refused = app
        .post("/api/v1/fantasy/leagues")
        .bearer(&alice.access_token)
        .json(&json!({ "name": "A forbidden league", "max_teams": 4, "is_private": false, "draft_method": "snake" }))
        .send()
        .await;
    let problem = refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "content_rejected");
    assert_eq!(problem.errors[0].field, "name");
    let league = create_league(&app, &alice, json!({ "description": "a suspicious one" })).await;
    let refused = try_join(&app, &alice, text(&league["join_code"]), "Forbidden Racing").await;
    let problem = refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "content_rejected");
    assert_eq!(problem.errors[0].field, "team_name");
    // The flagged league is on the moderators' queue.
    let queue: Value = app
        .get("/api/v1/admin/moderation-queue")
        .bearer(&root.access_token)
        .send()
        .await
        .json();
    let entries = queue["items"].as_array().expect("entries");
    assert!(
        entries
            .iter()
            .any(|e| e["target"]["type"] == "fantasy_league" && e["target"]["id"] == league["id"]),
        "{queue}"
    );
}
