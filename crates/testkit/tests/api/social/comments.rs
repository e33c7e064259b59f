//! Comments: `POST`/`GET /posts/{id}/comments`, `GET`/`DELETE /comments/{id}`,
//! `GET /comments/{id}/replies`, and the post's room over a real WebSocket.

use agora_testkit::{StatusCode, TestApp, TestResponse, TestUser};
use serde_json::{Value, json};

use super::{id_of, notifications_of, post_by, read_post, relate};

async fn comment(
    app: &TestApp,
    user: &TestUser,
    post: &str,
    content: &str,
    parent: Option<&str>,
) -> TestResponse {
    app.post(&format!("/api/v1/posts/{post}/comments"))
        .bearer(&user.access_token)
        .json(&json!({ "content": content, "parent_id": parent }))
        .send()
        .await
}

async fn created(
    app: &TestApp,
    user: &TestUser,
    post: &str,
    content: &str,
    parent: Option<&str>,
) -> Value {
    let response = comment(app, user, post, content, parent).await;
    response.assert_status(StatusCode::CREATED);
    response.json()
}

async fn list(app: &TestApp, viewer: Option<&TestUser>, path: &str) -> Vec<Value> {
    let mut request = app.get(&format!("/api/v1{path}"));
    if let Some(viewer) = viewer {
        request = request.bearer(&viewer.access_token);
    }
    let response = request.send().await;
    response.assert_status(StatusCode::OK);
    response.json::<Value>()["items"]
        .as_array()
        .expect("items")
        .clone()
}

fn contents(items: &[Value]) -> Vec<Value> {
    items.iter().map(|c| c["content"].clone()).collect()
}

#[tokio::test]
async fn a_thread_has_replies_three_levels_deep_and_notifies_once_each() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let post = post_by(&app, &alice, "what about $AMD?").await;
    let post_id = id_of(&post);

    let response = comment(&app, &bob, post_id, "  cheap  ", None).await;
    response.assert_status(StatusCode::CREATED);
    let top: Value = response.json();
    assert_eq!(top["content"], "cheap");
    assert_eq!(
        (top["depth"].clone(), top["parent_id"].clone()),
        (json!(0), Value::Null)
    );
    let location = response.header("location").expect("a Location").to_owned();
    assert_eq!(location, format!("/api/v1/comments/{}", id_of(&top)));
    let read: Value = app
        .get(&location)
        .bearer(&bob.access_token)
        .send()
        .await
        .json();
    assert_eq!(read, top);

    let reply = created(&app, &carol, post_id, "no", Some(id_of(&top))).await;
    let deeper = created(&app, &bob, post_id, "yes", Some(id_of(&reply))).await;
    assert_eq!(deeper["depth"], 2);
    comment(&app, &carol, post_id, "too far", Some(id_of(&deeper)))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "too_deep");
    created(&app, &alice, post_id, "second", None).await;

    // The post lists its comments only, oldest first, each with its reply count.
    let top_level = list(&app, None, &format!("/posts/{post_id}/comments")).await;
    assert_eq!(contents(&top_level), [json!("cheap"), json!("second")]);
    assert_eq!(top_level[0]["reply_count"], 1);
    let replies = list(&app, None, &format!("/comments/{}/replies", id_of(&top))).await;
    assert_eq!(contents(&replies), [json!("no")]);
    assert_eq!(replies[0]["reply_count"], 1);
    assert_eq!(read_post(&app, None, post_id).await["comment_count"], 4);
    let first_page: Value = app
        .get(&format!("/api/v1/posts/{post_id}/comments?limit=1"))
        .send()
        .await
        .json();
    let cursor = first_page["next_cursor"].as_str().expect("a next page");
    let rest = list(
        &app,
        None,
        &format!("/posts/{post_id}/comments?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(contents(&rest), [json!("second")]);

    // Alice hears of every comment on her post, replies included, but not of her own; carol's
    // reply notifies bob as a reply, bob's deeper reply notifies carol.
    let comments = notifications_of(&app, &alice, "social.comment").await;
    assert_eq!(comments.len(), 3, "{comments:?}");
    assert_eq!(comments[2]["title"], "bob commented on your post");
    assert_eq!(notifications_of(&app, &bob, "social.reply").await.len(), 1);
    assert_eq!(
        notifications_of(&app, &carol, "social.reply").await.len(),
        1
    );
    assert_eq!(
        notifications_of(&app, &alice, "social.reply").await.len(),
        0
    );

    // A parent of another post, or none at all: 404; a blank comment: 422.
    let other = post_by(&app, &alice, "other").await;
    let response = comment(&app, &bob, id_of(&other), "x", Some(id_of(&top))).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    let problem = comment(&app, &bob, post_id, " ", None)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem.errors[0].field, "content");
}

#[tokio::test]
async fn a_deleted_comment_with_replies_stays_as_a_tombstone_and_counts_follow() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let post = post_by(&app, &alice, "thread").await;
    let post_id = id_of(&post);
    let top = created(&app, &bob, post_id, "parent", None).await;
    let reply = created(&app, &carol, post_id, "child", Some(id_of(&top))).await;
    let lonely = created(&app, &carol, post_id, "alone", None).await;

    // Only its author, the post's author or a moderator.
    let response = app
        .delete(&format!("/api/v1/comments/{}", id_of(&top)))
        .bearer(&carol.access_token)
        .send()
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    app.delete(&format!("/api/v1/comments/{}", id_of(&top)))
        .bearer(&bob.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.delete(&format!("/api/v1/comments/{}", id_of(&lonely)))
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let again = app
        .delete(&format!("/api/v1/comments/{}", id_of(&lonely)))
        .bearer(&alice.access_token)
        .send()
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    let top_level = list(&app, None, &format!("/posts/{post_id}/comments")).await;
    assert_eq!(
        top_level.len(),
        1,
        "the tombstone holds the thread; the lonely one is gone"
    );
    assert_eq!(top_level[0]["id"], id_of(&top));
    assert_eq!(top_level[0]["deleted"], true);
    assert_eq!(top_level[0]["content"], Value::Null);
    assert_eq!(top_level[0]["author"], Value::Null);
    let replies = list(&app, None, &format!("/comments/{}/replies", id_of(&top))).await;
    assert_eq!(contents(&replies), [json!("child")]);
    assert_eq!(read_post(&app, None, post_id).await["comment_count"], 1);

    // Once its last reply is gone, the tombstone goes too.
    app.delete(&format!("/api/v1/comments/{}", id_of(&reply)))
        .bearer(&carol.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert!(
        list(&app, None, &format!("/posts/{post_id}/comments"))
            .await
            .is_empty()
    );
    assert_eq!(read_post(&app, None, post_id).await["comment_count"], 0);
}

#[tokio::test]
async fn blocked_and_muted_authors_comments_are_left_out_and_a_blocked_user_cannot_comment() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    let post = post_by(&app, &alice, "open thread").await;
    let post_id = id_of(&post);
    created(&app, &bob, post_id, "from bob", None).await;
    created(&app, &carol, post_id, "from carol", None).await;

    relate(&app, &dave, "block", &bob).await;
    relate(&app, &dave, "mute", &carol).await;
    assert!(
        list(&app, Some(&dave), &format!("/posts/{post_id}/comments"))
            .await
            .is_empty()
    );
    assert_eq!(
        list(&app, None, &format!("/posts/{post_id}/comments"))
            .await
            .len(),
        2
    );

    // Alice blocks bob: he cannot comment on her post (404), and she no longer sees his comment.
    relate(&app, &alice, "block", &bob).await;
    let response = comment(&app, &bob, post_id, "still here", None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    let seen = list(&app, Some(&alice), &format!("/posts/{post_id}/comments")).await;
    assert_eq!(contents(&seen), [json!("from carol")]);
    // Carol's comment notified alice; nobody who mutes carol is notified of her replies.
    relate(&app, &alice, "mute", &carol).await;
    created(&app, &carol, post_id, "muted", None).await;
    assert_eq!(
        notifications_of(&app, &alice, "social.comment").await.len(),
        2
    );
}

#[tokio::test]
async fn the_post_room_receives_new_and_deleted_comments_and_counters() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let post = post_by(&app, &alice, "live").await;
    let post_id = id_of(&post);
    let room = format!("post:{post_id}");

    let mut socket = app.socket(&bob).await;
    socket.subscribe(&room).await;
    let new = created(&app, &alice, post_id, "hello room", None).await;
    let event = socket.next_of_type("comment.created").await;
    assert_eq!(event["room"], room.as_str());
    assert_eq!(event["payload"]["id"], id_of(&new));
    assert_eq!(event["payload"]["content"], "hello room");
    let counters = socket.next_of_type("post.counters").await;
    assert_eq!(
        counters["payload"],
        json!({
            "post_id": post_id, "like_count": 0, "comment_count": 1, "repost_count": 0,
        })
    );

    app.post(&format!("/api/v1/posts/{post_id}/reactions"))
        .bearer(&bob.access_token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let counters = socket.next_of_type("post.counters").await;
    assert_eq!(counters["payload"]["like_count"], 1);

    app.delete(&format!("/api/v1/comments/{}", id_of(&new)))
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let deleted = socket.next_of_type("comment.deleted").await;
    assert_eq!(deleted["payload"]["id"], id_of(&new));

    // Who is blocked by the author, and a post that does not exist, cannot join.
    relate(&app, &alice, "block", &carol).await;
    let mut blocked = app.socket(&carol).await;
    for room in [
        room.clone(),
        "post:0193a0b0-0000-7000-8000-000000000000".to_owned(),
        "post:nope".to_owned(),
    ] {
        blocked
            .send_json(json!({ "type": "subscribe", "room": room }))
            .await;
        let error = blocked.next_json().await;
        assert_eq!(
            (error["type"].as_str(), error["code"].as_str()),
            (Some("error"), Some("forbidden")),
            "{error}"
        );
    }
}
