//! Likes: `POST /posts/{id}/reactions` and `POST /comments/{id}/reactions` toggle; counts kept
//! by the writes; one grouped notification per liked post.

use agora_testkit::{StatusCode, TestApp, TestUser};
use serde_json::{Value, json};

use super::{id_of, notifications_of, post_by, read_post, relate};

async fn like(app: &TestApp, user: &TestUser, id: &str) -> Value {
    let response = app
        .post(&format!("/api/v1/posts/{id}/reactions"))
        .bearer(&user.access_token)
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    response.json()
}

#[tokio::test]
async fn a_like_toggles_and_the_flags_are_each_viewers_own() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let post = post_by(&app, &alice, "$AAPL to the moon").await;
    let id = id_of(&post);
    assert_eq!(post["liked_by_me"], false);

    assert_eq!(
        like(&app, &bob, id).await,
        json!({ "liked": true, "like_count": 1 })
    );
    assert_eq!(read_post(&app, Some(&bob), id).await["liked_by_me"], true);
    assert_eq!(
        read_post(&app, Some(&carol), id).await["liked_by_me"],
        false
    );
    let anonymous = read_post(&app, None, id).await;
    assert_eq!(
        (
            anonymous["liked_by_me"].clone(),
            anonymous["like_count"].clone()
        ),
        (json!(false), json!(1))
    );

    assert_eq!(
        like(&app, &bob, id).await,
        json!({ "liked": false, "like_count": 0 })
    );
    assert_eq!(read_post(&app, Some(&bob), id).await["liked_by_me"], false);
    assert_eq!(app.count("post_likes").await, 0);

    // The timeline carries the flag too, and no one's but the viewer's.
    like(&app, &carol, id).await;
    let page: Value = app
        .get("/api/v1/posts")
        .bearer(&carol.access_token)
        .send()
        .await
        .json();
    assert_eq!(page["items"][0]["liked_by_me"], true);
    assert_eq!(page["items"][0]["like_count"], 1);

    let anonymous = app
        .post(&format!("/api/v1/posts/{id}/reactions"))
        .send()
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let missing = app
        .post("/api/v1/posts/0193a0b0-0000-7000-8000-000000000000/reactions")
        .bearer(&bob.access_token)
        .send()
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn concurrent_likes_count_once_each() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let post = post_by(&app, &alice, "hello").await;
    let id = id_of(&post);

    let (b, c) = tokio::join!(like(&app, &bob, id), like(&app, &carol, id));
    assert_eq!(
        (b["liked"].clone(), c["liked"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(read_post(&app, None, id).await["like_count"], 2);

    // The same user twice at once, from a like: one unlike and one like again, or (PostgreSQL,
    // both inserts conflicting with the like, then one delete waiting for the other) two
    // unlikes. Never two likes, and the count agrees with the rows either way.
    let (first, second) = tokio::join!(like(&app, &bob, id), like(&app, &bob, id));
    assert!(
        !(first["liked"] == true && second["liked"] == true),
        "{first} {second}"
    );
    let rows = app.count("post_likes").await;
    assert_eq!(read_post(&app, None, id).await["like_count"], rows);
    let bob_likes = read_post(&app, Some(&bob), id).await["liked_by_me"] == true;
    assert_eq!(bob_likes, first["liked"] == true || second["liked"] == true);
    assert_eq!(rows, if bob_likes { 2 } else { 1 });
}

#[tokio::test]
async fn fifty_likes_are_one_grouped_notification_and_none_across_a_block_or_mute() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let post = post_by(&app, &alice, "like me").await;
    let id = id_of(&post);
    let mut last = None;
    for n in 0..50 {
        let user = app.register(&format!("fan{n}")).await;
        like(&app, &user, id).await;
        last = Some(user);
    }
    let likes = notifications_of(&app, &alice, "social.like").await;
    assert_eq!(likes.len(), 1, "{likes:?}");
    assert_eq!(likes[0]["title"], "fan49 and 49 others liked your post");
    assert_eq!(likes[0]["payload"]["count"], 50);
    assert_eq!(likes[0]["payload"]["post_id"], id);
    let last = last.expect("a fan");
    assert_eq!(likes[0]["actor_id"], last.id.as_str());
    assert_eq!(read_post(&app, None, id).await["like_count"], 50);

    // Unlike does not un-notify; liking your own post, or from behind a block or mute,
    // notifies no one.
    like(&app, &last, id).await;
    assert_eq!(notifications_of(&app, &alice, "social.like").await.len(), 1);
    let bob = app.register("bob").await;
    let mine = post_by(&app, &bob, "mine").await;
    like(&app, &bob, id_of(&mine)).await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    relate(&app, &bob, "mute", &carol).await;
    like(&app, &carol, id_of(&mine)).await;
    relate(&app, &bob, "block", &dave).await;
    let blocked = app
        .post(&format!("/api/v1/posts/{}/reactions", id_of(&mine)))
        .bearer(&dave.access_token)
        .send()
        .await;
    assert_eq!(blocked.status, StatusCode::NOT_FOUND);
    assert!(notifications_of(&app, &bob, "social.like").await.is_empty());
    assert_eq!(read_post(&app, None, id_of(&mine)).await["like_count"], 2);
}

#[tokio::test]
async fn a_comment_like_toggles_and_shows_in_its_flag() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let post = post_by(&app, &alice, "talk").await;
    let comment: Value = app
        .post(&format!("/api/v1/posts/{}/comments", id_of(&post)))
        .bearer(&alice.access_token)
        .json(&json!({ "content": "first" }))
        .send()
        .await
        .json();
    let path = format!("/api/v1/comments/{}/reactions", id_of(&comment));
    let liked: Value = app
        .post(&path)
        .bearer(&bob.access_token)
        .send()
        .await
        .json();
    assert_eq!(liked, json!({ "liked": true, "like_count": 1 }));
    let seen: Value = app
        .get(&format!("/api/v1/comments/{}", id_of(&comment)))
        .bearer(&bob.access_token)
        .send()
        .await
        .json();
    assert_eq!(
        (seen["liked_by_me"].clone(), seen["like_count"].clone()),
        (json!(true), json!(1))
    );
    let likes = notifications_of(&app, &alice, "social.like").await;
    assert_eq!(likes[0]["title"], "bob liked your comment");
    let unliked: Value = app
        .post(&path)
        .bearer(&bob.access_token)
        .send()
        .await
        .json();
    assert_eq!(unliked, json!({ "liked": false, "like_count": 0 }));
}
