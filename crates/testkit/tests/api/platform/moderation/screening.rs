//! The hook on user text: rejected words refused where users write (posts, edits, quotes,
//! comments, the profile), look-alikes caught, innocent words let through, and what a `hide`
//! or a `flag` does.

use agora_testkit::{StatusCode, TestApp, TestUser};
use serde_json::{Value, json};

use super::{add_rule, make_moderator, try_post};

fn assert_rejected_at(response: &agora_testkit::TestResponse, field: &str) {
    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "content_rejected");
    assert_eq!(problem.errors.len(), 1, "{}", response.text());
    assert_eq!(problem.errors[0].field, field);
    // The message names the field, never the rule.
    assert!(
        !problem.detail.to_lowercase().contains("scam"),
        "{}",
        problem.detail
    );
    assert!(problem.detail.contains(field), "{}", problem.detail);
}

#[tokio::test]
async fn a_rejected_word_is_refused_in_a_post_an_edit_a_quote_a_comment_a_profile_and_a_registration()
 {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    let response = try_post(&app, &alice, "clean words").await;
    response.assert_status(StatusCode::CREATED);
    let post: Value = response.json();
    let post_id = post["id"].as_str().expect("an id");
    add_rule(&app, &admin, "scam", "word", "reject").await;

    assert_rejected_at(
        &try_post(&app, &alice, "what a scam this is").await,
        "content",
    );
    let edit = app
        .patch(&format!("/api/v1/posts/{post_id}"))
        .bearer(&alice.access_token)
        .json(&json!({ "content": "a scam after all" }))
        .send()
        .await;
    assert_rejected_at(&edit, "content");
    let quote = app
        .post(&format!("/api/v1/posts/{post_id}/reposts"))
        .bearer(&alice.access_token)
        .json(&json!({ "comment": "scam!" }))
        .send()
        .await;
    assert_rejected_at(&quote, "comment");
    let comment = app
        .post(&format!("/api/v1/posts/{post_id}/comments"))
        .bearer(&alice.access_token)
        .json(&json!({ "content": "Scam." }))
        .send()
        .await;
    assert_rejected_at(&comment, "content");
    for field in ["bio", "display_name"] {
        let profile = app
            .patch("/api/v1/users/me")
            .bearer(&alice.access_token)
            .json(&json!({ field: "scam artist" }))
            .send()
            .await;
        assert_rejected_at(&profile, field);
    }

    let register = app
        .post("/api/v1/auth/register")
        .json(&json!({
            "username": "eve",
            "email": "eve@example.com",
            "password": agora_testkit::TEST_PASSWORD,
            "display_name": "Scam Lord",
        }))
        .send()
        .await;
    assert_rejected_at(&register, "display_name");

    assert_eq!(app.count("users").await, 2);
    assert_eq!(app.count("posts").await, 1);
    assert_eq!(app.count("comments").await, 0);
    let me: Value = app
        .get("/api/v1/users/me")
        .bearer(&alice.access_token)
        .send()
        .await
        .json();
    assert!(me["bio"].is_null() && me["display_name"].is_null(), "{me}");
    let read: Value = app
        .get(&format!("/api/v1/posts/{post_id}"))
        .send()
        .await
        .json();
    assert_eq!(read["content"], "clean words");
}

#[tokio::test]
async fn look_alikes_of_a_rejected_word_are_caught_and_innocent_words_are_not() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    add_rule(&app, &admin, "scam", "word", "reject").await;
    add_rule(&app, &admin, "ass", "word", "reject").await;
    for text in [
        "ＳＣＡＭ",
        "a scаm (Cyrillic а)",
        "5c4m",
        "s c a m",
        "s.c.a.m",
        "s\u{200B}cam",
    ] {
        assert_rejected_at(&try_post(&app, &alice, text).await, "content");
    }
    for text in ["a class act", "scampi for dinner", "an assessment"] {
        try_post(&app, &alice, text)
            .await
            .assert_status(StatusCode::CREATED);
    }
}

/// The post `id` as `viewer` (or no one) reads it: the status.
async fn read_status(app: &TestApp, viewer: Option<&TestUser>, path: &str) -> StatusCode {
    let mut request = app.get(path);
    if let Some(viewer) = viewer {
        request = request.bearer(&viewer.access_token);
    }
    request.send().await.status
}

/// The ids of a list's items as `viewer` sees it.
async fn ids_in(app: &TestApp, viewer: Option<&TestUser>, path: &str) -> Vec<String> {
    let mut request = app.get(path);
    if let Some(viewer) = viewer {
        request = request.bearer(&viewer.access_token);
    }
    let page: Value = request.send().await.json();
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_hidden_post_is_seen_by_its_author_and_the_moderators_only() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    make_moderator(&app, &admin, &carol).await;
    add_rule(&app, &admin, "pump it", "phrase", "hide").await;

    let response = try_post(&app, &alice, "PUMP...IT now").await;
    response.assert_status(StatusCode::CREATED);
    let hidden: Value = response.json();
    let hidden = hidden["id"].as_str().expect("an id").to_owned();
    let shown: Value = try_post(&app, &alice, "a fine post").await.json();
    let shown = shown["id"].as_str().expect("an id").to_owned();

    let path = format!("/api/v1/posts/{hidden}");
    assert_eq!(read_status(&app, None, &path).await, StatusCode::NOT_FOUND);
    assert_eq!(
        read_status(&app, Some(&bob), &path).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(read_status(&app, Some(&alice), &path).await, StatusCode::OK);
    assert_eq!(read_status(&app, Some(&carol), &path).await, StatusCode::OK);
    assert_eq!(read_status(&app, Some(&admin), &path).await, StatusCode::OK);

    for list in [
        "/api/v1/posts",
        &format!("/api/v1/users/{}/posts", alice.id),
    ] {
        assert_eq!(
            ids_in(&app, None, list).await,
            std::slice::from_ref(&shown),
            "{list}"
        );
        assert_eq!(
            ids_in(&app, Some(&bob), list).await,
            std::slice::from_ref(&shown),
            "{list}"
        );
        assert_eq!(
            ids_in(&app, Some(&alice), list).await,
            [shown.clone(), hidden.clone()],
            "{list}"
        );
    }
    // Others cannot act on it either.
    app.post(&format!("/api/v1/posts/{hidden}/comments"))
        .bearer(&bob.access_token)
        .json(&json!({ "content": "hi" }))
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(app.count("moderation_queue").await, 1);
}

#[tokio::test]
async fn a_hidden_comment_is_left_out_of_the_thread_except_for_its_author() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    add_rule(&app, &admin, "spam", "word", "hide").await;
    let post: Value = try_post(&app, &bob, "a post").await.json();
    let post = post["id"].as_str().expect("an id");
    let response = app
        .post(&format!("/api/v1/posts/{post}/comments"))
        .bearer(&alice.access_token)
        .json(&json!({ "content": "buy my SPAM" }))
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    let comment: Value = response.json();
    let comment = comment["id"].as_str().expect("an id").to_owned();
    let thread = format!("/api/v1/posts/{post}/comments");
    assert!(ids_in(&app, Some(&bob), &thread).await.is_empty());
    assert!(ids_in(&app, None, &thread).await.is_empty());
    assert_eq!(
        ids_in(&app, Some(&alice), &thread).await,
        std::slice::from_ref(&comment)
    );
    let path = format!("/api/v1/comments/{comment}");
    assert_eq!(
        read_status(&app, Some(&bob), &path).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(read_status(&app, Some(&alice), &path).await, StatusCode::OK);
    assert_eq!(read_status(&app, Some(&admin), &path).await, StatusCode::OK);
}

#[tokio::test]
async fn a_flagged_post_is_published_and_queued() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    add_rule(&app, &admin, "moon", "word", "flag").await;
    let response = try_post(&app, &alice, "to the MOON").await;
    response.assert_status(StatusCode::CREATED);
    let post: Value = response.json();
    let path = format!("/api/v1/posts/{}", post["id"].as_str().expect("an id"));
    assert_eq!(read_status(&app, Some(&bob), &path).await, StatusCode::OK);
    assert_eq!(app.count("moderation_queue").await, 1);
    // A flagged bio is kept, and queued too.
    app.patch("/api/v1/users/me")
        .bearer(&alice.access_token)
        .json(&json!({ "bio": "moon boy" }))
        .send()
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(app.count("moderation_queue").await, 2);
}

#[tokio::test]
async fn a_rule_that_would_hide_a_profile_rejects_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin("root").await;
    let alice = app.register("alice").await;
    add_rule(&app, &admin, "spam", "word", "hide").await;
    let response = app
        .patch("/api/v1/users/me")
        .bearer(&alice.access_token)
        .json(&json!({ "bio": "spam king" }))
        .send()
        .await;
    let problem = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "content_rejected");
    assert_eq!(problem.errors[0].field, "bio");
}
