//! The API convention (`docs/api-conventions.md`) as a client meets it: `me` in `/users/{id}/…`
//! paths, `Location` and `ETag` on creates, 304 for a matching `If-None-Match`, one list
//! envelope and one set of parameter names.

use agora_testkit::{StatusCode, TestApp, TestUser, json};
use serde_json::Value;

async fn create_task(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    title: &str,
) -> (Value, String, String) {
    let response = app
        .post(path)
        .bearer(&user.access_token)
        .json(&json!({ "title": title }))
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    let location = response.header("location").expect("a Location").to_owned();
    let etag = response.header("etag").expect("an ETag").to_owned();
    (response.json(), location, etag)
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

#[tokio::test]
async fn me_in_a_tasks_path_is_the_caller_and_answers_as_the_id_does() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let by_id = format!("/api/v1/users/{}/tasks", alice.id);

    let (task, location, _) = create_task(&app, &alice, "/api/v1/users/me/tasks", "via me").await;
    assert_eq!(task["user_id"], alice.id);
    // The Location names the task by its owner's id: a link that means the same to anyone.
    assert_eq!(location, format!("{by_id}/{}", text(&task["id"])));

    let via_me = app
        .get("/api/v1/users/me/tasks")
        .bearer(&alice.access_token)
        .send()
        .await;
    via_me.assert_status(StatusCode::OK);
    assert_eq!(
        via_me.json::<Value>()["items"].as_array().map(Vec::len),
        Some(1)
    );
    let via_id = app.get(&by_id).bearer(&alice.access_token).send().await;
    assert_eq!(via_me.json::<Value>(), via_id.json::<Value>());

    let one_via_me = format!("/api/v1/users/me/tasks/{}", text(&task["id"]));
    let read = app
        .get(&one_via_me)
        .bearer(&alice.access_token)
        .send()
        .await;
    read.assert_status(StatusCode::OK);
    let read_by_id = app.get(&location).bearer(&alice.access_token).send().await;
    assert_eq!(read.json::<Value>(), read_by_id.json::<Value>());
    assert_eq!(read.header("etag"), read_by_id.header("etag"));

    let patched = app
        .patch(&one_via_me)
        .bearer(&alice.access_token)
        .header("if-match", "\"1\"")
        .json(&json!({ "title": "renamed via me" }))
        .send()
        .await;
    patched.assert_status(StatusCode::OK);
    assert_eq!(patched.json::<Value>()["title"], "renamed via me");
    assert_eq!(patched.header("etag"), Some("\"2\""));
}

#[tokio::test]
async fn me_without_a_token_is_a_401_and_another_users_id_is_a_403() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let anonymous = app.get("/api/v1/users/me/tasks").send().await;
    anonymous.assert_status(StatusCode::UNAUTHORIZED);
    let anonymous = app
        .post("/api/v1/users/me/tasks")
        .json(&json!({ "title": "nobody's" }))
        .send()
        .await;
    anonymous.assert_status(StatusCode::UNAUTHORIZED);

    let others = app
        .get(&format!("/api/v1/users/{}/tasks", alice.id))
        .bearer(&bob.access_token)
        .send()
        .await;
    others.assert_status(StatusCode::FORBIDDEN);
    // `me` is always the caller: bob's own (empty) list.
    let own = app
        .get("/api/v1/users/me/tasks")
        .bearer(&bob.access_token)
        .send()
        .await;
    own.assert_status(StatusCode::OK);
    assert_eq!(own.json::<Value>()["items"], json!([]));
}

#[tokio::test]
async fn a_user_segment_that_is_neither_me_nor_an_id_names_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let simple = alice.id.replace('-', "");
    for segment in ["Me", "ME", "myself", simple.as_str()] {
        let response = app
            .get(&format!("/api/v1/users/{segment}/tasks"))
            .bearer(&alice.access_token)
            .send()
            .await;
        response.assert_status(StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_create_answers_location_and_etag_and_the_location_answers_the_same_body() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let (task, location, etag) = create_task(
        &app,
        &alice,
        &format!("/api/v1/users/{}/tasks", alice.id),
        "one",
    )
    .await;
    assert_eq!(etag, format!("\"{}\"", task["version"]));

    let read = app.get(&location).bearer(&alice.access_token).send().await;
    read.assert_status(StatusCode::OK);
    assert_eq!(read.json::<Value>(), task);
    assert_eq!(read.header("etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn a_replayed_create_answers_the_first_location_and_etag() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let send = || {
        app.post("/api/v1/users/me/tasks")
            .bearer(&alice.access_token)
            .header("idempotency-key", "create-once")
            .json(&json!({ "title": "once" }))
            .send()
    };
    let first = send().await;
    first.assert_status(StatusCode::CREATED);
    let again = send().await;
    again.assert_status(StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert!(first.header("location").is_some());
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.json::<Value>(), first.json::<Value>());
    assert_eq!(app.count("tasks").await, 1);
}

#[tokio::test]
async fn registering_answers_the_location_of_the_new_accounts_profile() {
    let app = TestApp::spawn().await;
    let response = app
        .post("/api/v1/auth/register")
        .json(&json!({
            "username": "carol",
            "email": "carol@example.com",
            "password": "correct horse battery staple",
        }))
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    let id = response.json::<Value>()["user"]["id"].clone();
    let location = response.header("location").expect("a Location");
    assert_eq!(location, format!("/api/v1/users/{}", text(&id)));
    let profile = app.get(location).send().await;
    profile.assert_status(StatusCode::OK);
    assert_eq!(profile.json::<Value>()["id"], id);
}

#[tokio::test]
async fn a_get_with_the_current_etag_is_not_modified_and_a_stale_one_is_answered_in_full() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let (task, location, etag) =
        create_task(&app, &alice, "/api/v1/users/me/tasks", "cached").await;
    let get = |if_none_match: &str| {
        app.get(&location)
            .bearer(&alice.access_token)
            .header("if-none-match", if_none_match)
            .send()
    };

    // The current tag, alone, weak, in a list, or `*`: 304, no body, the same ETag.
    for holding in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"7\", {etag}"),
        "*".to_owned(),
    ] {
        let response = get(&holding).await;
        assert_eq!(response.status, StatusCode::NOT_MODIFIED, "{holding}");
        assert!(response.body.is_empty(), "{holding}");
        assert_eq!(response.header("etag"), Some(etag.as_str()), "{holding}");
    }

    // After a write, the tag held is stale: the full answer with the new ETag.
    app.patch(&location)
        .bearer(&alice.access_token)
        .header("if-match", &etag)
        .json(&json!({ "title": "changed" }))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let stale = get(&etag).await;
    stale.assert_status(StatusCode::OK);
    assert_eq!(stale.header("etag"), Some("\"2\""));
    assert_eq!(stale.json::<Value>()["title"], "changed");
    assert_eq!(stale.json::<Value>()["id"], task["id"]);
}

#[tokio::test]
async fn a_malformed_if_none_match_is_ignored_and_star_needs_the_resource() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let (_, location, etag) = create_task(&app, &alice, "/api/v1/users/me/tasks", "t").await;
    for malformed in ["\"1", "W/1", "\"1\" \"2\"", "*, \"1\"", "not a tag"] {
        let response = app
            .get(&location)
            .bearer(&alice.access_token)
            .header("if-none-match", malformed)
            .send()
            .await;
        response.assert_status(StatusCode::OK);
        assert_eq!(response.header("etag"), Some(etag.as_str()), "{malformed}");
    }
    let missing = app
        .get("/api/v1/users/me/tasks/0193a8f2-7c1e-7000-8000-000000000000")
        .bearer(&alice.access_token)
        .header("if-none-match", "*")
        .send()
        .await;
    missing.assert_status(StatusCode::NOT_FOUND);
}

/// The JSON schema a `$ref` points to, or the schema itself.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => &doc["components"]["schemas"][name],
        None => schema,
    }
}

/// Every operation of the document: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            all.push((method.clone(), path.clone(), operation.clone()));
        }
    }
    all
}

#[tokio::test]
async fn no_json_answer_is_a_bare_array_and_lists_hold_items() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").send().await.json();
    let mut lists = 0;
    for (method, path, operation) in operations(&doc) {
        let Some(responses) = operation["responses"].as_object() else {
            continue;
        };
        for (status, response) in responses {
            let schema = &response["content"]["application/json"]["schema"];
            if schema.is_null() || !status.starts_with('2') {
                continue;
            }
            let schema = resolve(&doc, schema);
            assert_ne!(schema["type"], "array", "{method} {path} {status}");
            if let Some(items) = schema["properties"]["items"].as_object() {
                assert_eq!(items["type"], "array", "{method} {path}");
                lists += 1;
            }
        }
    }
    // Tasks, notifications, preferences, sessions, the watchlist (twice), uploads, the audit
    // log, admin users and jobs.
    assert!(lists >= 10, "{lists} lists");
}

#[tokio::test]
async fn list_parameters_have_the_shared_names() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").send().await.json();
    for (method, path, operation) in operations(&doc) {
        let names: Vec<&str> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str())
            .collect();
        for name in &names {
            assert!(
                ![
                    "search",
                    "query",
                    "page_size",
                    "size",
                    "offset",
                    "after",
                    "order_by"
                ]
                .contains(name),
                "{method} {path}: `{name}` (search is `q`, pages are `limit` and `cursor`)"
            );
        }
        let numbered = names.contains(&"page") || names.contains(&"per_page");
        assert!(
            !numbered || path.starts_with("/api/v1/admin/"),
            "{method} {path}: numbered pages are for admin lists only"
        );
        assert!(
            !numbered || !names.contains(&"cursor"),
            "{method} {path}: a list is numbered or by cursor, not both"
        );
    }
}

#[tokio::test]
async fn the_document_states_location_on_creates_and_304_on_conditional_reads() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").send().await.json();
    // What is created here has no address of its own (a ticket is used once by `/ws`; a batch
    // of uploads has one `url` per item).
    let without_address = ["/api/v1/ws/ticket", "/api/v1/media/upload"];
    let mut creates = 0;
    let mut conditional = 0;
    for (method, path, operation) in operations(&doc) {
        if let Some(created) = operation["responses"].get("201")
            && !without_address.contains(&path.as_str())
        {
            creates += 1;
            let location = &created["headers"]["Location"];
            assert!(location.is_object(), "{method} {path}: no Location");
            assert!(location["description"].is_string(), "{method} {path}");
        }
        let takes_if_none_match = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["in"] == "header" && p["name"] == "If-None-Match");
        if takes_if_none_match {
            conditional += 1;
            let not_modified = &operation["responses"]["304"];
            assert!(not_modified.is_object(), "{method} {path}: no 304");
            assert!(
                not_modified["content"].is_null(),
                "{method} {path}: a 304 has no body"
            );
            assert!(
                not_modified["headers"]["ETag"].is_object(),
                "{method} {path}"
            );
            assert!(
                operation["responses"]["200"]["headers"]["ETag"].is_object(),
                "{method} {path}"
            );
        }
    }
    let task_create = &doc["paths"]["/api/v1/users/{user_id}/tasks"]["post"]["responses"]["201"];
    assert!(task_create["headers"]["ETag"]["description"].is_string());
    let user = &doc["paths"]["/api/v1/users/{user_id}/tasks"]["get"]["parameters"][0];
    assert_eq!(user["name"], "user_id");
    assert!(
        resolve(&doc, &user["schema"])["pattern"]
            .as_str()
            .is_some_and(|p| p.contains("me|")),
        "{user}"
    );
    assert!(creates >= 2, "{creates} creates");
    assert!(conditional >= 2, "{conditional} conditional reads");
}
