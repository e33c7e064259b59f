//! Edits of posts: `PATCH /posts/{id}` within the edit window, and `GET /posts/{id}/edits`.

use agora_testkit::{StatusCode, TestApp, TestResponse, TestUser};
use serde_json::{Value, json};

use super::post_by as publish;

async fn edit(app: &TestApp, user: &TestUser, post: &Value, content: &str) -> TestResponse {
    app.patch(&format!(
        "/api/v1/posts/{}",
        post["id"].as_str().expect("an id")
    ))
    .bearer(&user.access_token)
    .json(&json!({ "content": content }))
    .send()
    .await
}

async fn history(app: &TestApp, user: Option<&TestUser>, post: &Value) -> TestResponse {
    let request = app.get(&format!(
        "/api/v1/posts/{}/edits",
        post["id"].as_str().expect("an id")
    ));
    match user {
        Some(user) => request.bearer(&user.access_token),
        None => request,
    }
    .send()
    .await
}

async fn ticker_page(app: &TestApp, symbol: &str) -> usize {
    let page: Value = app
        .get(&format!("/api/v1/tickers/{symbol}"))
        .send()
        .await
        .json();
    page["posts"]["items"].as_array().expect("items").len()
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
async fn an_edit_keeps_the_former_text_relinks_tickers_and_notifies_new_mentions() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let post = publish(&app, &alice, "Long $AAPL cc @bob").await;
    assert_eq!(post["edited_at"], Value::Null);
    assert_eq!(mentions_of(&app, &bob).await, 1);

    let response = edit(&app, &alice, &post, "  Long $TSLA instead cc @bob @carol ").await;
    response.assert_status(StatusCode::OK);
    let edited: Value = response.json();
    assert_eq!(edited["content"], "Long $TSLA instead cc @bob @carol");
    assert_eq!(edited["tickers"], json!(["TSLA"]));
    assert_eq!(edited["id"], post["id"]);
    assert!(edited["edited_at"].is_string());
    let read: Value = app
        .get(&format!(
            "/api/v1/posts/{}",
            post["id"].as_str().expect("an id")
        ))
        .send()
        .await
        .json();
    assert_eq!(read, edited);

    // Ticker pages follow the new text.
    assert_eq!(app.count("post_tickers WHERE symbol = 'TSLA'").await, 1);
    assert_eq!(app.count("post_tickers WHERE symbol = 'AAPL'").await, 0);
    assert_eq!(ticker_page(&app, "AAPL").await, 0);
    assert_eq!(ticker_page(&app, "TSLA").await, 1);
    // Carol is newly mentioned and told; bob is not told twice.
    assert_eq!(mentions_of(&app, &bob).await, 1);
    assert_eq!(mentions_of(&app, &carol).await, 1);
    assert_eq!(app.count("post_mentions").await, 2);

    // A second edit; the history lists the former texts, the latest replaced first.
    edit(&app, &alice, &post, "Third take")
        .await
        .assert_status(StatusCode::OK);
    let items: Value = history(&app, None, &post).await.json();
    let contents: Vec<&str> = items["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["content"].as_str().expect("a content"))
        .collect();
    assert_eq!(
        contents,
        ["Long $TSLA instead cc @bob @carol", "Long $AAPL cc @bob"]
    );
    assert_eq!(items["items"][1]["written_at"], post["created_at"]);
    assert_eq!(items["items"][0]["written_at"], edited["edited_at"]);
    // Old mentions stay.
    assert_eq!(app.count("post_mentions").await, 2);
}

#[tokio::test]
async fn the_same_text_again_changes_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let post = publish(&app, &alice, "Same $AAPL").await;
    let response = edit(&app, &alice, &post, "  Same $AAPL ").await;
    response.assert_status(StatusCode::OK);
    let same: Value = response.json();
    assert_eq!(same, post);
    assert_eq!(app.count("post_edits").await, 0);
    let items: Value = history(&app, None, &post).await.json();
    assert_eq!(items["items"], json!([]));
}

#[tokio::test]
async fn only_the_author_edits_a_post_that_exists_with_valid_text() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let post = publish(&app, &alice, "Mine").await;
    edit(&app, &bob, &post, "Yours now")
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let problem = edit(&app, &alice, &post, "   ")
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem.errors[0].field, "content");
    let problem = edit(&app, &alice, &post, &"é".repeat(2001))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem.errors[0].code.as_str(), "too_long");
    let anonymous = app
        .patch(&format!(
            "/api/v1/posts/{}",
            post["id"].as_str().expect("an id")
        ))
        .json(&json!({ "content": "x" }))
        .send()
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    app.delete(&format!(
        "/api/v1/posts/{}",
        post["id"].as_str().expect("an id")
    ))
    .bearer(&alice.access_token)
    .send()
    .await
    .assert_status(StatusCode::NO_CONTENT);
    edit(&app, &alice, &post, "Too late")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    history(&app, None, &post)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(app.count("post_edits").await, 0);
}

#[tokio::test]
async fn after_the_edit_window_a_post_is_not_edited() {
    let app = TestApp::builder()
        .env("AGORA_SOCIAL_EDIT_WINDOW_MINUTES", "0")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let post = publish(&app, &alice, "Set in stone").await;
    edit(&app, &alice, &post, "Changed")
        .await
        .assert_problem(StatusCode::CONFLICT, "edit_window_closed");
    assert_eq!(app.count("post_edits").await, 0);

    // With the default window (15 minutes), a post published 16 minutes ago is closed too.
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let post = publish(&app, &alice, "Old news").await;
    edit(&app, &alice, &post, "Fresh news")
        .await
        .assert_status(StatusCode::OK);
    let aged = match app.db().backend() {
        agora_store::sea_orm::DatabaseBackend::Postgres => {
            "UPDATE posts SET created_at = created_at - INTERVAL '16 minutes'"
        }
        _ => {
            "UPDATE posts SET created_at = strftime('%Y-%m-%d %H:%M:%f', created_at, '-16 minutes') || '+00:00'"
        }
    };
    app.execute(aged).await;
    edit(&app, &alice, &post, "Newer news")
        .await
        .assert_problem(StatusCode::CONFLICT, "edit_window_closed");
}

#[tokio::test]
async fn the_history_is_hidden_across_a_block() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let post = publish(&app, &alice, "First").await;
    edit(&app, &alice, &post, "Second")
        .await
        .assert_status(StatusCode::OK);
    let seen: Value = history(&app, Some(&bob), &post).await.json();
    assert_eq!(seen["items"].as_array().expect("items").len(), 1);
    app.post(&format!("/api/v1/users/{}/block", alice.id))
        .bearer(&bob.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    history(&app, Some(&bob), &post)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}
