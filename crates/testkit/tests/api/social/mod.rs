//! The social network: a file per resource, its shared helpers here.

mod bookmarks;
mod comments;
mod edits;
mod feed;
mod graph;
mod likes;
mod media;
mod polls;
mod posts;
mod reports;
mod reposts;
mod search;
mod trending;
mod watchlist;

use agora_testkit::{StatusCode, TestApp, TestUser};
use serde_json::{Value, json};

/// Publishes `content` as `user`; the post.
async fn post_by(app: &TestApp, user: &TestUser, content: &str) -> Value {
    let response = app
        .post("/api/v1/posts")
        .bearer(&user.access_token)
        .json(&json!({ "content": content }))
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    response.json()
}

/// Publishes `content` as `user`; the new post's id.
async fn publish(app: &TestApp, user: &TestUser, content: &str) -> String {
    id_of(&post_by(app, user, content).await).to_owned()
}

/// The id of `value` (a post or comment).
fn id_of(value: &Value) -> &str {
    value["id"].as_str().expect("an id")
}

/// `who` holds `relation` (`mute`, `block`, `follow`) towards `whom`.
async fn relate(app: &TestApp, who: &TestUser, relation: &str, whom: &TestUser) {
    app.post(&format!("/api/v1/users/{}/{relation}", whom.id))
        .bearer(&who.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

/// `user`'s notifications of `kind`, newest first.
async fn notifications_of(app: &TestApp, user: &TestUser, kind: &str) -> Vec<Value> {
    let page: Value = app
        .get("/api/v1/notifications?limit=100")
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

/// The post `id` as `viewer` (or anyone) sees it.
async fn read_post(app: &TestApp, viewer: Option<&TestUser>, id: &str) -> Value {
    let mut request = app.get(&format!("/api/v1/posts/{id}"));
    if let Some(viewer) = viewer {
        request = request.bearer(&viewer.access_token);
    }
    let response = request.send().await;
    response.assert_status(StatusCode::OK);
    response.json()
}
