//! No public text skips the hook: every free-text field of a request body carries the mark
//! the screened types add (`x-agora-screened`), unless its operation is listed below with the
//! reason it needs no screening. A new route with a `content`, `bio`, `title`, … that is not
//! screened fails here.

use agora_testkit::TestApp;
use serde_json::{Value, json};

/// Property names that hold text other users read.
const FREE_TEXT: &[&str] = &[
    "content",
    "body",
    "bio",
    "display_name",
    "title",
    "description",
    "text",
    "comment",
    "details",
    "message",
    "summary",
    "caption",
    "note",
    "reason",
    "location",
    "name",
];

/// Operations whose text no other user reads, by a part of their path, and why.
const EXEMPT: &[(&str, &str)] = &[
    ("/tasks", "tasks are private to their owner"),
    (
        "/api/v1/reports",
        "a report's details are read by the moderators only",
    ),
    (
        "/api/v1/admin/",
        "operators' reasons go to the audit log, read by admins only",
    ),
    (
        "/api/v1/errors",
        "client error reports are read by admins only, in the error log",
    ),
];

fn exempt(path: &str) -> bool {
    EXEMPT.iter().any(|(part, _)| path.contains(part))
}

/// The free-text fields of request bodies without the mark: `METHOD path: field`.
fn unscreened(doc: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let Some(paths) = doc["paths"].as_object() else {
        return found;
    };
    for (path, operations) in paths {
        if exempt(path) {
            continue;
        }
        let Some(operations) = operations.as_object() else {
            continue;
        };
        for (method, operation) in operations {
            let Some(content) = operation["requestBody"]["content"].as_object() else {
                continue;
            };
            for media in content.values() {
                let mut seen = Vec::new();
                walk(doc, &media["schema"], &mut seen, &mut |field| {
                    found.push(format!("{} {path}: {field}", method.to_uppercase()));
                });
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Visits every property of `schema` (through `$ref`, `allOf`/`oneOf`/`anyOf`, nested objects
/// and arrays), reporting the free-text strings without the mark.
fn walk(doc: &Value, schema: &Value, seen: &mut Vec<String>, report: &mut impl FnMut(&str)) {
    if let Some(reference) = schema["$ref"].as_str() {
        if seen.iter().any(|s| s == reference) {
            return;
        }
        seen.push(reference.to_owned());
        let name = reference.trim_start_matches("#/components/schemas/");
        walk(doc, &doc["components"]["schemas"][name], seen, report);
        return;
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for part in schema[key].as_array().into_iter().flatten() {
            walk(doc, part, seen, report);
        }
    }
    walk_items(doc, &schema["items"], seen, report);
    let Some(properties) = schema["properties"].as_object() else {
        return;
    };
    for (name, property) in properties {
        if FREE_TEXT.contains(&name.as_str())
            && is_text(property)
            && property["x-agora-screened"] != json!(true)
        {
            report(name);
        }
        walk(doc, property, seen, report);
    }
}

fn walk_items(doc: &Value, items: &Value, seen: &mut Vec<String>, report: &mut impl FnMut(&str)) {
    if items.is_object() {
        walk(doc, items, seen, report);
    }
}

/// Whether a property holds a string (alone or with null).
fn is_text(property: &Value) -> bool {
    let string = |t: &Value| t == "string";
    match &property["type"] {
        Value::String(_) => string(&property["type"]),
        Value::Array(types) => types.iter().any(string),
        _ => ["oneOf", "anyOf", "allOf"].iter().any(|key| {
            property[*key]
                .as_array()
                .into_iter()
                .flatten()
                .any(|part| part["$ref"].is_null() && is_text(part))
        }),
    }
}

#[tokio::test]
async fn every_free_text_field_of_a_public_request_body_is_screened() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").send().await.json();
    let found = unscreened(&doc);
    assert!(
        found.is_empty(),
        "request bodies with user text that skips moderation (take the body as \
         `Screened<T>` and mark the field with x-agora-screened, or exempt the route with a \
         reason): {found:#?}"
    );
    // The check sees the screened fields it must see.
    let post = &doc["components"]["schemas"]["CreatePost"]["properties"]["content"];
    assert_eq!(post["x-agora-screened"], json!(true), "{post}");
}

#[test]
fn the_check_finds_a_route_that_skips_the_hook() {
    let doc = json!({
        "paths": {
            "/api/v1/forums/topics": { "post": { "requestBody": { "content": {
                "application/json": { "schema": { "$ref": "#/components/schemas/NewTopic" } } } } } },
            "/api/v1/posts": { "post": { "requestBody": { "content": {
                "application/json": { "schema": { "$ref": "#/components/schemas/CreatePost" } } } } } },
            "/api/v1/tasks": { "post": { "requestBody": { "content": {
                "application/json": { "schema": { "$ref": "#/components/schemas/NewTask" } } } } } },
        },
        "components": { "schemas": {
            "NewTopic": { "type": "object", "properties": {
                "title": { "type": "string" },
                "first_post": { "type": "object", "properties": {
                    "body": { "type": ["string", "null"] },
                    "body_format": { "type": "integer" } } },
                "tags": { "type": "array", "items": { "type": "string" } } } },
            "CreatePost": { "type": "object", "properties": {
                "content": { "type": "string", "x-agora-screened": true } } },
            "NewTask": { "type": "object", "properties": { "title": { "type": "string" } } },
        } },
    });
    assert_eq!(
        unscreened(&doc),
        [
            "POST /api/v1/forums/topics: body",
            "POST /api/v1/forums/topics: title"
        ]
    );
}
