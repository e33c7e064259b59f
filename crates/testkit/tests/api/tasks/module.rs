//! The module switch: with tasks off (`AGORA_MODULES`), its routes and its documentation are gone.

use agora_testkit::{StatusCode, TestApp, json};
use serde_json::Value;

use super::tasks_path;

#[tokio::test]
async fn with_the_module_off_its_routes_and_documentation_are_gone() {
    let on = TestApp::spawn().await;
    let doc: Value = on.get("/openapi.json").send().await.json();
    let documented = &doc["paths"]["/api/v1/users/{user_id}/tasks/{id}"];
    for method in ["get", "put", "patch", "delete"] {
        let responses = &documented[method]["responses"];
        assert!(responses["404"].is_object(), "{method}: {responses}");
    }
    assert!(documented["patch"]["responses"]["409"].is_object());

    let off = TestApp::builder()
        .env("AGORA_MODULES", "social,forums,fantasy")
        .spawn()
        .await;
    let alice = off.register("alice").await;
    let response = off
        .post(&tasks_path(&alice))
        .bearer(&alice.access_token)
        .json(&json!({ "title": "x" }))
        .send()
        .await;
    response.assert_status(StatusCode::NOT_FOUND);
    let doc: Value = off.get("/openapi.json").send().await.json();
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    assert!(
        !paths.keys().any(|path| path.contains("/tasks")),
        "{:?}",
        paths.keys()
    );
    assert!(paths.contains_key("/api/v1/auth/login"));
}
