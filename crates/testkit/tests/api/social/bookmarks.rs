//! Bookmarks: `POST`/`DELETE /posts/{id}/bookmarks`, `GET /bookmarks`.

use agora_testkit::{StatusCode, TestApp, TestUser};
use serde_json::Value;

use super::{id_of, post_by, read_post, relate};

async fn bookmarks(app: &TestApp, user: &TestUser, query: &str) -> Value {
    let response = app
        .get(&format!("/api/v1/bookmarks{query}"))
        .bearer(&user.access_token)
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    response.json()
}

fn contents(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["content"].as_str().expect("content").to_owned())
        .collect()
}

#[tokio::test]
async fn bookmarks_list_newest_first_without_deleted_or_blocked_posts() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let one = post_by(&app, &alice, "one").await;
    let two = post_by(&app, &alice, "two").await;
    let three = post_by(&app, &carol, "three").await;
    for post in [&two, &one, &three] {
        for _ in 0..2 {
            app.post(&format!("/api/v1/posts/{}/bookmarks", id_of(post)))
                .bearer(&bob.access_token)
                .send()
                .await
                .assert_status(StatusCode::NO_CONTENT);
        }
    }
    assert_eq!(app.count("bookmarks").await, 3, "twice is once");
    assert_eq!(
        contents(&bookmarks(&app, &bob, "").await),
        ["three", "one", "two"]
    );
    let first = bookmarks(&app, &bob, "?limit=2").await;
    assert_eq!(contents(&first), ["three", "one"]);
    assert_eq!(first["items"][0]["bookmarked_by_me"], true);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    assert_eq!(
        contents(&bookmarks(&app, &bob, &format!("?limit=2&cursor={cursor}")).await),
        ["two"]
    );

    // Only bob's: the flag is his, the list is his.
    assert_eq!(
        read_post(&app, Some(&alice), id_of(&one)).await["bookmarked_by_me"],
        false
    );
    assert_eq!(
        read_post(&app, Some(&bob), id_of(&one)).await["bookmarked_by_me"],
        true
    );
    assert_eq!(
        contents(&bookmarks(&app, &alice, "").await),
        Vec::<String>::new()
    );

    // A deleted post and a blocked author leave the list; a removed bookmark too (twice is fine).
    app.delete(&format!("/api/v1/posts/{}", id_of(&two)))
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    relate(&app, &carol, "block", &bob).await;
    assert_eq!(contents(&bookmarks(&app, &bob, "").await), ["one"]);
    for _ in 0..2 {
        app.delete(&format!("/api/v1/posts/{}/bookmarks", id_of(&one)))
            .bearer(&bob.access_token)
            .send()
            .await
            .assert_status(StatusCode::NO_CONTENT);
    }
    assert_eq!(
        contents(&bookmarks(&app, &bob, "").await),
        Vec::<String>::new()
    );
    let blocked = app
        .post(&format!("/api/v1/posts/{}/bookmarks", id_of(&three)))
        .bearer(&bob.access_token)
        .send()
        .await;
    assert_eq!(blocked.status, StatusCode::NOT_FOUND);
    let anonymous = app.get("/api/v1/bookmarks").send().await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
