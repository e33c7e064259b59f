//! The tasks product: a user's own tasks, optimistic locking, lists, idempotent creates, and the
//! module switch. A file per topic; the helpers they share are here.

mod idempotency;
mod lists;
mod module;
mod writes;

use agora_testkit::{Page, StatusCode, TestApp, TestUser};
use serde_json::Value;

fn tasks_path(user: &TestUser) -> String {
    format!("/api/v1/users/{}/tasks", user.id)
}

fn task_path(user: &TestUser, task: &Value) -> String {
    format!("{}/{}", tasks_path(user), text(&task["id"]))
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

async fn create(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let response = app
        .post(&tasks_path(user))
        .bearer(&user.access_token)
        .json(&body)
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    response.json()
}

async fn patch(
    app: &TestApp,
    user: &TestUser,
    task: &Value,
    body: Value,
) -> agora_testkit::TestResponse {
    app.patch(&task_path(user, task))
        .bearer(&user.access_token)
        .json(&body)
        .send()
        .await
}

/// One page of `user`'s tasks with `query` (and `cursor`), which must be a 200.
async fn list(app: &TestApp, user: &TestUser, query: &str, cursor: Option<&str>) -> Page<Value> {
    let mut url = format!("{}?{query}", tasks_path(user));
    if let Some(cursor) = cursor {
        url.push_str(&format!("&cursor={cursor}"));
    }
    let response = app.get(&url).bearer(&user.access_token).send().await;
    response.assert_status(StatusCode::OK);
    response.json()
}
