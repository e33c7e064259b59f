//! Posts: `POST /posts`, `GET`/`DELETE /posts/{id}`, `GET /users/{user_id}/posts`.

use agora_testkit::{Page, StatusCode, TestApp, TestUser};
use serde_json::{Value, json};

use crate::support::cursors::{assert_cursor_refused, bad_cursors, first_cursor};

async fn publish(app: &TestApp, user: &TestUser, content: &str) -> agora_testkit::TestResponse {
    app.post("/api/v1/posts")
        .bearer(&user.access_token)
        .json(&json!({ "content": content }))
        .send()
        .await
}

async fn posts_count(app: &TestApp, user: &TestUser) -> i64 {
    let profile: Value = app
        .get(&format!("/api/v1/users/{}", user.id))
        .send()
        .await
        .json();
    profile["counts"]["posts"].as_i64().expect("a count")
}

async fn mentions_of(app: &TestApp, user: &TestUser) -> usize {
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
        .filter(|n| n["kind"] == "social.mention")
        .count()
}

#[tokio::test]
async fn a_post_links_its_tickers_notifies_whom_it_mentions_and_is_where_location_says() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    // Carol mutes alice: mentioned, not notified. Dave blocked alice: not even linked.
    app.post(&format!("/api/v1/users/{}/mute", alice.id))
        .bearer(&carol.access_token)
        .send()
        .await;
    app.post(&format!("/api/v1/users/{}/block", alice.id))
        .bearer(&dave.access_token)
        .send()
        .await;

    let response = publish(
        &app,
        &alice,
        "  Long $aapl and $BRK.B, not $100. cc @Bob @carol @dave @alice @nobody  ",
    )
    .await;
    response.assert_status(StatusCode::CREATED);
    let post: Value = response.json();
    assert_eq!(
        post["content"],
        "Long $aapl and $BRK.B, not $100. cc @Bob @carol @dave @alice @nobody"
    );
    assert_eq!(post["tickers"], json!(["AAPL", "BRK.B"]));
    assert_eq!(post["author"]["username"], "alice");
    assert_eq!(post["like_count"], 0);
    let location = response.header("location").expect("a Location").to_owned();
    assert_eq!(
        location,
        format!("/api/v1/posts/{}", post["id"].as_str().expect("an id"))
    );
    let read: Value = app.get(&location).send().await.json();
    assert_eq!(read, post);

    assert_eq!(app.count("post_tickers").await, 2);
    assert_eq!(app.count("post_mentions").await, 2, "bob and carol");
    assert_eq!(mentions_of(&app, &bob).await, 1);
    assert_eq!(mentions_of(&app, &carol).await, 0, "carol mutes alice");
    assert_eq!(mentions_of(&app, &dave).await, 0);
    assert_eq!(mentions_of(&app, &alice).await, 0);
    assert_eq!(posts_count(&app, &alice).await, 1);

    // Dave does not see the post of someone he blocked.
    let hidden = app.get(&location).bearer(&dave.access_token).send().await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_post_holds_1_to_2000_characters_after_trimming() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    for (content, code) in [
        (" \n ".to_owned(), "too_short"),
        ("é".repeat(2001), "too_long"),
    ] {
        let problem = publish(&app, &alice, &content)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(problem.errors[0].field, "content");
        assert_eq!(problem.errors[0].code.as_str(), code);
    }
    publish(&app, &alice, &"é".repeat(2000))
        .await
        .assert_status(StatusCode::CREATED);
    let anonymous = app
        .post("/api/v1/posts")
        .json(&json!({ "content": "hi" }))
        .send()
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("posts").await, 1);
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_publishes_once() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let send = || {
        app.post("/api/v1/posts")
            .bearer(&alice.access_token)
            .header("Idempotency-Key", "0193a0b0-post-key")
            .json(&json!({ "content": "once" }))
            .send()
    };
    let first: Value = send().await.json();
    let again = send().await;
    again.assert_status(StatusCode::CREATED);
    assert_eq!(again.json::<Value>()["id"], first["id"]);
    assert_eq!(app.count("posts").await, 1);
    assert_eq!(posts_count(&app, &alice).await, 1);
}

#[tokio::test]
async fn its_author_or_a_moderator_deletes_a_post_once() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let admin = app.admin("root").await;
    let first = publish(&app, &alice, "first").await.json::<Value>()["id"].clone();
    let second = publish(&app, &alice, "second").await.json::<Value>()["id"].clone();
    let delete = |user: &TestUser, id: &Value| {
        app.delete(&format!("/api/v1/posts/{}", id.as_str().expect("an id")))
            .bearer(&user.access_token)
            .send()
    };
    delete(&bob, &first)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    delete(&alice, &first)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    delete(&alice, &first)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    delete(&admin, &second)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let gone = app
        .get(&format!("/api/v1/posts/{}", first.as_str().expect("id")))
        .send()
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(posts_count(&app, &alice).await, 0);
    assert_eq!(
        app.count("posts WHERE deleted_at IS NOT NULL").await,
        2,
        "kept, marked"
    );
}

#[tokio::test]
async fn a_users_posts_page_newest_first_without_deleted_ones() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            publish(&app, &alice, &format!("post {n}"))
                .await
                .json::<Value>()["id"]
                .clone(),
        );
    }
    app.delete(&format!("/api/v1/posts/{}", ids[2].as_str().expect("id")))
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let path = "/api/v1/users/me/posts?limit=2";
    let mut seen = Vec::new();
    let mut url = path.to_owned();
    loop {
        let page: Page<Value> = app
            .get(&url)
            .bearer(&alice.access_token)
            .send()
            .await
            .json();
        seen.extend(
            page.items
                .iter()
                .map(|p| p["content"].as_str().expect("text").to_owned()),
        );
        match page.next_cursor {
            Some(cursor) => url = format!("{path}&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["post 4", "post 3", "post 1", "post 0"]);
    let cursor = first_cursor(&app, &alice, path).await;
    for bad in bad_cursors(&cursor) {
        assert_cursor_refused(&app, &alice, path, &bad).await;
    }
    // A block hides them both ways.
    app.post(&format!("/api/v1/users/{}/block", bob.id))
        .bearer(&alice.access_token)
        .send()
        .await;
    let hidden = app
        .get(&format!("/api/v1/users/{}/posts", alice.id))
        .bearer(&bob.access_token)
        .send()
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

/// The contents of a list's first page.
async fn contents(app: &TestApp, viewer: Option<&TestUser>, path: &str) -> Vec<String> {
    let mut request = app.get(path);
    if let Some(viewer) = viewer {
        request = request.bearer(&viewer.access_token);
    }
    let response = request.send().await;
    response.assert_status(StatusCode::OK);
    let body: Value = response.json();
    let items = if body["posts"].is_object() {
        &body["posts"]["items"]
    } else {
        &body["items"]
    };
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["content"].as_str().expect("text").to_owned())
        .collect()
}

#[tokio::test]
async fn the_public_timeline_is_newest_first_without_muted_or_blocked_authors() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    publish(&app, &alice, "from alice").await;
    publish(&app, &bob, "from bob").await;
    publish(&app, &carol, "from carol").await;
    let everyone = ["from carol", "from bob", "from alice"];
    assert_eq!(contents(&app, None, "/api/v1/posts").await, everyone);

    app.post(&format!("/api/v1/users/{}/mute", bob.id))
        .bearer(&alice.access_token)
        .send()
        .await;
    app.post(&format!("/api/v1/users/{}/block", alice.id))
        .bearer(&carol.access_token)
        .send()
        .await;
    assert_eq!(
        contents(&app, Some(&alice), "/api/v1/posts").await,
        ["from alice"]
    );
    assert_eq!(
        contents(&app, Some(&carol), "/api/v1/posts").await,
        ["from carol", "from bob"]
    );
    assert_eq!(
        contents(&app, Some(&bob), "/api/v1/posts").await,
        everyone,
        "muting is private"
    );

    // A disabled account's posts leave the timeline.
    let admin = app.admin("root").await;
    app.post(&format!("/api/v1/admin/users/{}/disable", carol.id))
        .bearer(&admin.access_token)
        .json(&json!({ "reason": "spam" }))
        .send()
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(
        contents(&app, None, "/api/v1/posts").await,
        ["from bob", "from alice"]
    );

    let path = "/api/v1/posts?limit=1";
    let cursor = first_cursor(&app, &bob, path).await;
    for bad in bad_cursors(&cursor) {
        assert_cursor_refused(&app, &bob, path, &bad).await;
    }
}

#[tokio::test]
async fn a_ticker_page_shows_its_posts_and_who_watches_it() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    publish(&app, &alice, "$AAPL earnings").await;
    publish(&app, &alice, "$TSLA only").await;
    publish(&app, &bob, "#aapl and $tsla").await;
    app.post("/api/v1/users/me/watchlist")
        .bearer(&alice.access_token)
        .json(&json!({ "symbol": "aapl" }))
        .send()
        .await
        .assert_status(StatusCode::OK);

    let page: Value = app
        .get("/api/v1/tickers/$aapl")
        .bearer(&alice.access_token)
        .send()
        .await
        .json();
    assert_eq!(page["symbol"], "AAPL");
    assert_eq!(page["watcher_count"], 1);
    assert_eq!(page["watched_by_me"], true);
    assert_eq!(
        contents(&app, None, "/api/v1/tickers/AAPL").await,
        ["#aapl and $tsla", "$AAPL earnings"]
    );
    let anonymous: Value = app.get("/api/v1/tickers/AAPL").send().await.json();
    assert_eq!(anonymous["watched_by_me"], Value::Null);
    let bobs: Value = app
        .get("/api/v1/tickers/AAPL")
        .bearer(&bob.access_token)
        .send()
        .await
        .json();
    assert_eq!(bobs["watched_by_me"], false);
    assert_eq!(
        app.get("/api/v1/tickers/NOT%20ONE").send().await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        contents(&app, None, "/api/v1/tickers/MSFT")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_disabled_accounts_post_is_gone_until_it_is_enabled_again() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let post: Value = publish(&app, &alice, "soon gone").await.json();
    let path = format!("/api/v1/posts/{}", post["id"].as_str().expect("an id"));
    let admin = app.admin("root").await;
    let set = |action: &'static str| {
        app.post(&format!("/api/v1/admin/users/{}/{action}", alice.id))
            .bearer(&admin.access_token)
            .json(&json!({ "reason": "review" }))
            .send()
    };
    set("disable").await.assert_status(StatusCode::OK);
    assert_eq!(app.get(&path).send().await.status, StatusCode::NOT_FOUND);
    set("enable").await.assert_status(StatusCode::OK);
    assert_eq!(app.get(&path).send().await.status, StatusCode::OK);
}
