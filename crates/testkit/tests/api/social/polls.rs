//! Polls: `POST /posts` with `poll`, `POST /polls/{id}/votes`, `GET /polls/{id}/results`, the
//! poll on the post view and the "poll ended" notification.

use std::time::Duration;

use agora_testkit::{StatusCode, TestApp, TestResponse, TestUser, eventually};
use serde_json::{Value, json};

async fn publish_poll(app: &TestApp, user: &TestUser, poll: Value) -> TestResponse {
    app.post("/api/v1/posts")
        .bearer(&user.access_token)
        .json(&json!({ "content": "Which way, $AAPL?", "poll": poll }))
        .send()
        .await
}

/// Publishes a poll of `options` lasting a day; returns the post.
async fn poll_post(app: &TestApp, user: &TestUser, options: &[&str]) -> Value {
    let response = publish_poll(app, user, json!({ "options": options, "duration_days": 1 })).await;
    response.assert_status(StatusCode::CREATED);
    response.json()
}

fn poll_id(post: &Value) -> String {
    post["poll"]["poll_id"]
        .as_str()
        .expect("a poll id")
        .to_owned()
}

fn option_id(post: &Value, n: usize) -> String {
    post["poll"]["options"][n]["id"]
        .as_str()
        .expect("an option id")
        .to_owned()
}

async fn vote(app: &TestApp, user: &TestUser, poll: &str, option: &str) -> TestResponse {
    app.post(&format!("/api/v1/polls/{poll}/votes"))
        .bearer(&user.access_token)
        .json(&json!({ "option_id": option }))
        .send()
        .await
}

async fn results(app: &TestApp, user: Option<&TestUser>, poll: &str) -> TestResponse {
    let request = app.get(&format!("/api/v1/polls/{poll}/results"));
    match user {
        Some(user) => request.bearer(&user.access_token),
        None => request,
    }
    .send()
    .await
}

#[tokio::test]
async fn a_post_carries_a_poll_with_trimmed_options_and_no_votes() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let post = poll_post(&app, &alice, &[" Up ", "Down", "Sideways"]).await;
    let poll = &post["poll"];
    let labels: Vec<&str> = poll["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["label"].as_str().expect("a label"))
        .collect();
    assert_eq!(labels, ["Up", "Down", "Sideways"]);
    assert_eq!(poll["total_votes"], 0);
    assert_eq!(poll["expired"], false);
    assert_eq!(poll["voted_option_id"], Value::Null);
    for option in poll["options"].as_array().expect("options") {
        assert_eq!(option["votes"], 0);
        assert_eq!(option["percentage"], 0.0);
    }
    // The same on a read, on the timeline, and as the results.
    let read: Value = app
        .get(&format!(
            "/api/v1/posts/{}",
            post["id"].as_str().expect("an id")
        ))
        .send()
        .await
        .json();
    assert_eq!(read["poll"], post["poll"]);
    let timeline: Value = app.get("/api/v1/posts").send().await.json();
    assert_eq!(timeline["items"][0]["poll"], post["poll"]);
    let results: Value = results(&app, None, &poll_id(&post)).await.json();
    assert_eq!(&results, poll);
    // A post without a poll has none.
    let plain: Value = app
        .post("/api/v1/posts")
        .bearer(&alice.access_token)
        .json(&json!({ "content": "no poll" }))
        .send()
        .await
        .json();
    assert_eq!(plain["poll"], Value::Null);
    assert_eq!(app.count("polls").await, 1);
    assert_eq!(app.count("poll_options").await, 3);
}

#[tokio::test]
async fn a_poll_has_2_to_4_distinct_options_of_1_to_80_characters_and_lasts_1_to_7_days() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let long = "x".repeat(81);
    for (poll, field, code) in [
        (
            json!({ "options": ["a", "b", "c", "d", "e"], "duration_days": 1 }),
            "poll.options",
            "too_long",
        ),
        (
            json!({ "options": ["a"], "duration_days": 1 }),
            "poll.options",
            "too_short",
        ),
        (
            json!({ "options": ["Yes", " yes "], "duration_days": 1 }),
            "poll.options[1]",
            "duplicate",
        ),
        (
            json!({ "options": ["a", "  "], "duration_days": 1 }),
            "poll.options[1]",
            "too_short",
        ),
        (
            json!({ "options": ["a", long], "duration_days": 1 }),
            "poll.options[1]",
            "too_long",
        ),
        (
            json!({ "options": ["a", "b"], "duration_days": 0 }),
            "poll.duration_days",
            "out_of_range",
        ),
        (
            json!({ "options": ["a", "b"], "duration_days": 8 }),
            "poll.duration_days",
            "out_of_range",
        ),
    ] {
        let problem = publish_poll(&app, &alice, poll.clone())
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(problem.errors[0].field, field, "{poll}");
        assert_eq!(problem.errors[0].code.as_str(), code, "{poll}");
    }
    let unknown = publish_poll(
        &app,
        &alice,
        json!({ "options": ["a", "b"], "duration_days": 1, "x": 1 }),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("posts").await, 0);
    assert_eq!(app.count("polls").await, 0);
    publish_poll(
        &app,
        &alice,
        json!({ "options": ["a", "b", "c", "d"], "duration_days": 7 }),
    )
    .await
    .assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn each_user_votes_once_and_sees_their_vote_in_the_results() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let post = poll_post(&app, &alice, &["Up", "Down"]).await;
    let poll = poll_id(&post);
    let up = option_id(&post, 0);
    let down = option_id(&post, 1);

    let response = vote(&app, &bob, &poll, &up).await;
    response.assert_status(StatusCode::CREATED);
    assert_eq!(
        response.header("location"),
        Some(format!("/api/v1/polls/{poll}/results").as_str())
    );
    let counted: Value = response.json();
    assert_eq!(counted["total_votes"], 1);
    assert_eq!(counted["voted_option_id"], up.as_str());
    assert_eq!(counted["options"][0]["votes"], 1);
    assert_eq!(counted["options"][0]["percentage"], 100.0);
    assert_eq!(counted["options"][1]["percentage"], 0.0);

    // A second vote, even for the other option, is refused and changes nothing.
    vote(&app, &bob, &poll, &down)
        .await
        .assert_problem(StatusCode::CONFLICT, "already_voted");
    let seen: Value = results(&app, Some(&bob), &poll).await.json();
    assert_eq!(seen["total_votes"], 1);
    assert_eq!(seen["voted_option_id"], up.as_str());
    // Others see the count without a vote of theirs; so does the post view.
    let anonymous: Value = results(&app, None, &poll).await.json();
    assert_eq!(anonymous["voted_option_id"], Value::Null);
    let by_alice: Value = results(&app, Some(&alice), &poll).await.json();
    assert_eq!(by_alice["voted_option_id"], Value::Null);
    let read: Value = app
        .get(&format!(
            "/api/v1/posts/{}",
            post["id"].as_str().expect("an id")
        ))
        .bearer(&bob.access_token)
        .send()
        .await
        .json();
    assert_eq!(read["poll"]["voted_option_id"], up.as_str());
    assert_eq!(read["poll"]["options"][0]["votes"], 1);

    // Its author may vote too.
    vote(&app, &alice, &poll, &down)
        .await
        .assert_status(StatusCode::CREATED);
    assert_eq!(app.count("poll_votes").await, 2);
}

#[tokio::test]
async fn a_vote_names_an_option_of_the_poll_and_a_poll_that_exists() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let first = poll_post(&app, &alice, &["a", "b"]).await;
    let second = poll_post(&app, &alice, &["c", "d"]).await;
    let problem = vote(&app, &bob, &poll_id(&first), &option_id(&second, 0))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem.errors[0].field, "option_id");
    let missing = "0193a0b0-0000-7000-8000-000000000000";
    vote(&app, &bob, missing, &option_id(&first, 0))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    results(&app, None, missing)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let anonymous = app
        .post(&format!("/api/v1/polls/{}/votes", poll_id(&first)))
        .json(&json!({ "option_id": option_id(&first, 0) }))
        .send()
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("poll_votes").await, 0);
}

#[tokio::test]
async fn two_concurrent_votes_of_one_user_count_once() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let post = poll_post(&app, &alice, &["Up", "Down"]).await;
    let poll = poll_id(&post);
    let (up, down) = (option_id(&post, 0), option_id(&post, 1));
    for _ in 0..3 {
        app.execute("DELETE FROM poll_votes").await;
        app.execute("UPDATE poll_options SET vote_count = 0").await;
        let (first, second) =
            tokio::join!(vote(&app, &bob, &poll, &up), vote(&app, &bob, &poll, &down));
        let mut statuses = [first.status, second.status];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
        let seen: Value = results(&app, None, &poll).await.json();
        assert_eq!(seen["total_votes"], 1);
        assert_eq!(app.count("poll_votes").await, 1);
    }
}

#[tokio::test]
async fn a_closed_poll_takes_no_vote_and_says_it_expired() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let post = poll_post(&app, &alice, &["Up", "Down"]).await;
    let poll = poll_id(&post);
    // It closed the moment it opened.
    app.execute("UPDATE polls SET closes_at = created_at").await;
    vote(&app, &bob, &poll, &option_id(&post, 0))
        .await
        .assert_problem(StatusCode::CONFLICT, "poll_closed");
    let seen: Value = results(&app, Some(&bob), &poll).await.json();
    assert_eq!(seen["expired"], true);
    assert_eq!(seen["total_votes"], 0);
    assert_eq!(app.count("poll_votes").await, 0);
}

#[tokio::test]
async fn percentages_add_up_to_a_hundred() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let post = poll_post(&app, &alice, &["a", "b", "c"]).await;
    let poll = poll_id(&post);
    for (n, name) in ["bob", "carol", "dave"].into_iter().enumerate() {
        let voter = app.register(name).await;
        vote(&app, &voter, &poll, &option_id(&post, n))
            .await
            .assert_status(StatusCode::CREATED);
    }
    let seen: Value = results(&app, None, &poll).await.json();
    let shares: Vec<f64> = seen["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["percentage"].as_f64().expect("a percentage"))
        .collect();
    let mut sorted = shares.clone();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(sorted, [33.3, 33.3, 33.4], "{shares:?}");
    let tenths: i64 = shares.iter().map(|s| (s * 10.0).round() as i64).sum();
    assert_eq!(tenths, 1000);
    assert_eq!(seen["total_votes"], 3);
}

#[tokio::test]
async fn a_blocked_authors_poll_is_not_found_and_a_deleted_posts_poll_neither() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let post = poll_post(&app, &alice, &["Up", "Down"]).await;
    let poll = poll_id(&post);
    app.post(&format!("/api/v1/users/{}/block", bob.id))
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    vote(&app, &bob, &poll, &option_id(&post, 0))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    results(&app, Some(&bob), &poll)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.delete(&format!(
        "/api/v1/posts/{}",
        post["id"].as_str().expect("an id")
    ))
    .bearer(&alice.access_token)
    .send()
    .await
    .assert_status(StatusCode::NO_CONTENT);
    vote(&app, &carol, &poll, &option_id(&post, 0))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    results(&app, None, &poll)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

async fn notifications_of(app: &TestApp, user: &TestUser, kind: &str) -> Vec<Value> {
    let page: Value = app
        .get("/api/v1/notifications")
        .bearer(&user.access_token)
        .send()
        .await
        .json();
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|n| n["kind"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_end_of_a_poll_is_told_once_to_its_author_and_voters_but_not_to_those_who_mute_the_author()
 {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    let post = poll_post(&app, &alice, &["Up", "Down"]).await;
    let poll = poll_id(&post);
    for voter in [&bob, &carol] {
        vote(&app, voter, &poll, &option_id(&post, 0))
            .await
            .assert_status(StatusCode::CREATED);
    }
    // Carol mutes alice after voting: she is not told. Dave did not vote.
    app.post(&format!("/api/v1/users/{}/mute", alice.id))
        .bearer(&carol.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(app.count("jobs WHERE kind = 'social.poll_ended'").await, 1);
    assert!(
        notifications_of(&app, &alice, "social.poll_ended")
            .await
            .is_empty()
    );

    // The poll closes; its job, due then, runs.
    app.execute("UPDATE polls SET closes_at = created_at").await;
    app.execute("UPDATE jobs SET run_at = created_at WHERE kind = 'social.poll_ended'")
        .await;
    app.state().jobs().wake();
    eventually(
        Duration::from_secs(10),
        "the poll's end is notified",
        async || {
            (app.count("jobs WHERE kind = 'social.poll_ended' AND status = 'succeeded'")
                .await
                == 1)
                .then_some(())
        },
    )
    .await;
    let told = notifications_of(&app, &alice, "social.poll_ended").await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["payload"]["poll_id"], poll.as_str());
    assert_eq!(told[0]["payload"]["results"]["total_votes"], 2);
    assert_eq!(told[0]["payload"]["results"]["expired"], true);
    assert_eq!(
        notifications_of(&app, &bob, "social.poll_ended")
            .await
            .len(),
        1
    );
    assert!(
        notifications_of(&app, &carol, "social.poll_ended")
            .await
            .is_empty()
    );
    assert!(
        notifications_of(&app, &dave, "social.poll_ended")
            .await
            .is_empty()
    );

    // Run again (delivery is at least once), it tells nobody twice.
    app.execute("UPDATE jobs SET status = 'queued', run_at = created_at, attempts = 0 WHERE kind = 'social.poll_ended'")
        .await;
    app.state().jobs().wake();
    eventually(Duration::from_secs(10), "the job runs again", async || {
        (app.count("jobs WHERE kind = 'social.poll_ended' AND status = 'succeeded'")
            .await
            == 1)
            .then_some(())
    })
    .await;
    assert_eq!(
        notifications_of(&app, &alice, "social.poll_ended")
            .await
            .len(),
        1
    );
    assert_eq!(
        notifications_of(&app, &bob, "social.poll_ended")
            .await
            .len(),
        1
    );
}
