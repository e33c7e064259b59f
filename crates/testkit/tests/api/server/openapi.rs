//! The OpenAPI document and the docs page, both served from the binary.

use std::collections::HashSet;

use agora_testkit::{StatusCode, TestApp};
use serde_json::Value;

#[tokio::test]
async fn the_openapi_document_is_3_1_and_describes_the_routes() {
    let app = TestApp::spawn().await;
    let response = app.get("/openapi.json").send().await;
    response.assert_status(StatusCode::OK);
    let doc: Value = response.json();
    assert!(
        doc["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.1")
    );
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(doc["paths"]["/health"]["get"].is_object());
    let ready = &doc["paths"]["/health/ready"]["get"]["responses"];
    assert!(
        ready["200"].is_object() && ready["503"].is_object(),
        "{ready}"
    );
    let problem = &doc["components"]["schemas"]["Problem"]["properties"];
    for field in [
        "type",
        "title",
        "status",
        "detail",
        "code",
        "request_id",
        "errors",
    ] {
        assert!(problem[field].is_object(), "Problem lacks `{field}`");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn the_docs_page_and_its_assets_come_from_the_binary() {
    let app = TestApp::spawn().await;
    let response = app.get("/docs").send().await;
    assert!(response.status.is_redirection(), "{}", response.status);

    let page = app.get("/docs/").send().await;
    page.assert_status(StatusCode::OK);
    assert!(page.text().contains("swagger-ui"), "{}", page.text());
    assert!(!page.text().contains("cdn"), "no CDN at run time");

    for asset in [
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-initializer.js",
    ] {
        let response = app.get(&format!("/docs/{asset}")).send().await;
        response.assert_status(StatusCode::OK);
        assert!(response.body.len() > 100, "{asset} is empty");
    }
    let initializer = app.get("/docs/swagger-initializer.js").send().await.text();
    assert!(initializer.contains("/openapi.json"), "{initializer}");
}

#[tokio::test]
async fn with_no_modules_the_platform_still_serves() {
    let app = TestApp::builder()
        .env("AGORA_MODULES", "none")
        .spawn()
        .await;
    app.get("/health")
        .send()
        .await
        .assert_status(StatusCode::OK);
    let doc: Value = app.get("/openapi.json").send().await.json();
    let paths = doc["paths"].as_object().expect("paths");
    // Only the platform's own routes: identity, profiles, administration, notifications, real
    // time, media, analytics, the error log (`/users/{user_id}/tasks` is the tasks module's).
    let platform = [
        "/api/v1/errors",
        "/api/v1/auth/",
        "/api/v1/users/me",
        "/api/v1/admin/",
        "/api/v1/notifications",
        "/api/v1/ws",
        "/api/v1/media/",
        "/api/v1/metrics/",
    ];
    assert!(
        paths.keys().all(|p| !p.starts_with("/api/v1/")
            || p == "/api/v1/users/{user_id}"
            || platform.iter().any(|prefix| p.starts_with(prefix))),
        "no module routes: {:?}",
        paths.keys()
    );
}

#[tokio::test]
async fn the_identity_routes_of_the_contract_are_documented_with_their_errors() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").send().await.json();
    let paths = &doc["paths"];
    for (method, path) in [
        ("post", "/api/v1/auth/register"),
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/refresh"),
        ("post", "/api/v1/auth/logout"),
        ("post", "/api/v1/auth/logout-all"),
        ("get", "/api/v1/auth/me"),
        ("get", "/api/v1/auth/sessions"),
        ("delete", "/api/v1/auth/sessions/{id}"),
        ("post", "/api/v1/auth/verify"),
        ("post", "/api/v1/auth/request-password-reset"),
        ("post", "/api/v1/auth/reset-password"),
        ("post", "/api/v1/auth/verify-email"),
        ("post", "/api/v1/auth/resend-verification"),
        ("get", "/api/v1/admin/users"),
        ("patch", "/api/v1/admin/users/{id}"),
        ("post", "/api/v1/admin/users/{id}/disable"),
        ("post", "/api/v1/admin/users/{id}/enable"),
        ("get", "/api/v1/admin/audit-log"),
        ("get", "/.well-known/jwks.json"),
    ] {
        let operation = &paths[path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        assert!(
            operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{method} {path} has a tag"
        );
    }
    let login = &paths["/api/v1/auth/login"]["post"]["responses"];
    for status in ["200", "401", "403", "422", "429"] {
        assert!(login[status].is_object(), "login documents {status}");
    }
    assert!(
        login["401"]["content"]["application/problem+json"].is_object(),
        "errors are problem documents"
    );
}

/// Every `$ref` of `value`, with where it was found.
fn refs<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                if key == "$ref"
                    && let Some(target) = member.as_str()
                {
                    out.push((at.clone(), target));
                } else {
                    refs(member, format!("{at}/{key}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                refs(item, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                found.push((method.clone(), path.clone(), operation));
            }
        }
    }
    found
}

#[tokio::test]
async fn every_reference_in_the_document_resolves() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").send().await.json();
    let mut found = Vec::new();
    refs(&doc, String::new(), &mut found);
    assert!(!found.is_empty());
    let dangling: Vec<_> = found
        .iter()
        .filter(|(_, target)| {
            let pointer = target.strip_prefix('#').unwrap_or("-");
            doc.pointer(pointer).is_none()
        })
        .collect();
    assert!(dangling.is_empty(), "dangling references: {dangling:?}");
}

#[tokio::test]
async fn every_operation_has_a_unique_id_its_security_and_described_responses() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").send().await.json();
    let mut ids = HashSet::new();
    for (method, path, operation) in operations(&doc) {
        let id = operation["operationId"].as_str().unwrap_or_default();
        assert!(
            ids.insert(id.to_owned()),
            "operationId `{id}` of {method} {path} is used twice"
        );
        assert!(
            operation["security"].is_array(),
            "{method} {path} does not say its security"
        );
        assert!(
            operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{method} {path} has no tag"
        );
        for (status, response) in operation["responses"].as_object().into_iter().flatten() {
            assert!(
                response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{method} {path} {status} has no description"
            );
        }
    }
    let tags: HashSet<&str> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for (method, path, operation) in operations(&doc) {
        for tag in operation["tags"].as_array().into_iter().flatten() {
            let tag = tag.as_str().unwrap_or_default();
            assert!(
                tags.contains(tag),
                "{method} {path}: tag `{tag}` is not described"
            );
        }
    }
}

#[tokio::test]
async fn the_statuses_every_route_of_a_kind_can_answer_are_documented() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").send().await.json();
    for (method, path, operation) in operations(&doc) {
        let responses = &operation["responses"];
        let authenticated = operation["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        let mut expected: Vec<&str> = Vec::new();
        if operation.get("requestBody").is_some() {
            expected.extend(["400", "413", "415", "422"]);
        }
        if authenticated {
            expected.push("401");
        }
        if path.starts_with("/api/v1/") {
            expected.extend(["429", "503"]);
        }
        for status in expected {
            assert!(
                responses[status].is_object(),
                "{method} {path} does not document {status}"
            );
        }
    }
    // A public route says so, and every error response is a problem document, also those the
    // annotations list with a status and a description only.
    for (method, path, operation) in operations(&doc) {
        for (status, response) in operation["responses"].as_object().into_iter().flatten() {
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{method} {path} {status} is not a problem document"
                );
            }
        }
    }
    let login = &doc["paths"]["/api/v1/auth/login"]["post"];
    assert_eq!(login["security"], serde_json::json!([]));
    assert!(login["responses"]["415"]["content"]["application/problem+json"].is_object());
    let patch = &doc["paths"]["/api/v1/users/{user_id}/tasks/{id}"]["patch"]["responses"]["200"];
    assert!(patch["headers"]["ETag"].is_object(), "{patch}");
}

/// Every string a request carries states its rule: a pattern (the text rule of
/// `agora_core::text` at least), an enum or a format; and every pattern is a valid regular
/// expression that agrees with the server on a few samples.
#[tokio::test]
async fn every_request_string_states_its_rule_and_every_pattern_compiles() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").send().await.json();

    fn strings<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
        match value {
            Value::Object(map) => {
                let is_string = map.get("type").is_some_and(|t| {
                    t == "string"
                        || t.as_array()
                            .is_some_and(|a| a.iter().any(|k| k == "string"))
                });
                if is_string {
                    out.push((at.clone(), value));
                }
                for (key, child) in map {
                    if !matches!(key.as_str(), "example" | "examples" | "enum" | "default") {
                        strings(child, format!("{at}/{key}"), out);
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    strings(child, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    strings(&doc, String::new(), &mut found);
    let mut requests = 0;
    for (at, schema) in &found {
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            regex::Regex::new(pattern).unwrap_or_else(|err| panic!("{at}: {pattern}: {err}"));
        }
        let in_request = at.contains("/requestBody/") || at.contains("/parameters/");
        if in_request {
            requests += 1;
            assert!(
                ["pattern", "enum", "format", "const"]
                    .iter()
                    .any(|key| schema.get(*key).is_some()),
                "{at} states no rule: {schema}"
            );
        }
    }
    assert!(requests > 20, "request strings found: {requests}");

    // The text rule is on the components requests reach (a task's title), not on responses'.
    let title = &doc["components"]["schemas"]["CreateTask"]["properties"]["title"];
    let pattern =
        regex::Regex::new(title["pattern"].as_str().expect("a pattern")).expect("compiles");
    assert!(pattern.is_match("Buy milk") && !pattern.is_match("a\u{0}b"));

    // If-Match: what the server accepts, and nothing else.
    let (_, _, put) = operations(&doc)
        .into_iter()
        .find(|(method, path, _)| path.ends_with("/tasks/{id}") && method == "put")
        .expect("PUT a task");
    let if_match = put["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "If-Match"))
        .expect("If-Match");
    let pattern = regex::Regex::new(if_match["schema"]["pattern"].as_str().expect("a pattern"))
        .expect("compiles");
    for good in ["*", "\"3\"", "W/\"12\"", "7"] {
        assert!(pattern.is_match(good), "{good}");
    }
    for bad in ["", "\"0\"", "W/3", "03", "\"1\", \"2\""] {
        assert!(!pattern.is_match(bad), "{bad}");
    }
}
