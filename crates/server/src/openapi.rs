//! The OpenAPI 3.1 document, generated from the handlers' annotations, and the Swagger UI that
//! browses it. Both are served from the binary: the UI's files are embedded at build time
//! (`utoipa-swagger-ui`'s `vendored` feature), so `/docs` needs no CDN and no download.

use agora_core::{FieldError, Problem};
use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi as _};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Agora API",
        description = "One API for Agora's products: the social network, the organizations' \
            forums, the F1 fantasy league and tasks, on one shared core. Errors are RFC 9457 \
            problem documents (`application/problem+json`); clients switch on their `code`.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    // Relative: the document describes the server that serves it, wherever it is mounted.
    servers((url = "/", description = "The server that serves this document")),
    // `UserRef` is named only by path parameters, which do not bring their schemas along.
    components(schemas(Problem, FieldError, agora_platform::identity::UserRef)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Lists `tags` (a module's) in the document, each once.
pub fn add_tags(doc: &mut OpenApi, tags: &[agora_platform::Tag]) {
    let listed = doc.tags.get_or_insert_with(Vec::new);
    for tag in tags {
        if !listed.iter().any(|t| t.name == tag.name) {
            listed.push(
                utoipa::openapi::tag::TagBuilder::new()
                    .name(tag.name)
                    .description(Some(tag.description))
                    .build(),
            );
        }
    }
}

/// The document before the modules add their tags and paths.
pub fn base() -> OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// Completes the document with what holds for whole classes of routes, so that no annotation
/// can forget it and the fuzzer in CI finds every status a route can answer documented:
///
/// - every operation says its security: `security: []` on the public ones;
/// - the problem responses every route of a class can give: 400, 413, 415 and 422 with a
///   request body, 422 with query parameters, 401 with a bearer token, 404 with path
///   parameters, and 408, 429 and 503 (timeout, rate limit, database down) on `/api/v1`;
/// - every 4xx and 5xx response is a problem document (`application/problem+json`, the
///   `Problem` schema), so an annotation lists only its status and description;
/// - every response has a description, and the headers the middleware adds: `X-Request-Id`
///   everywhere, `RateLimit-*` on `/api/v1`, `Retry-After` on 429 and 503, `ETag` where a
///   route takes `If-Match` or `If-None-Match`, `Idempotent-Replayed` where it takes
///   `Idempotency-Key`;
/// - 304 Not Modified (no body, with its `ETag`) where a route takes `If-None-Match`
///   (`agora_core::version::IfNoneMatch`);
/// - the descriptions of `Location` and `ETag` where an annotation lists them on a 201
///   (`headers(("Location" = String), ("ETag" = String))`, answered by `agora_core::Created`).
///
/// The document is edited as JSON (utoipa's types have no way to add to every operation, and
/// do not read their own JSON back), and served as that JSON.
pub fn finish(doc: OpenApi) -> Value {
    let mut value = serde_json::to_value(&doc).unwrap_or_else(|err| {
        tracing::error!(error = %err, "cannot write the OpenAPI document");
        json!({})
    });
    if let Some(paths) = value.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, operation) in item.iter_mut() {
                if !matches!(
                    method.as_str(),
                    "get" | "put" | "post" | "delete" | "patch" | "head" | "options"
                ) {
                    continue;
                }
                if let Some(operation) = operation.as_object_mut() {
                    finish_operation(path, operation);
                }
            }
        }
    }
    state_the_text_rule(&mut value);
    value
}

/// Gives every string a request can carry, in a body or a parameter, the rule of
/// `agora_core::text` (no control characters) as a `pattern`, unless it states a stricter one
/// (its own pattern, an enum, a format): the extractors refuse such text everywhere, so the
/// document says so everywhere. Components are changed when a request reaches them.
fn state_the_text_rule(doc: &mut Value) {
    let mut pending: Vec<String> = Vec::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in paths
            .values_mut()
            .filter_map(Value::as_object_mut)
            .flat_map(|item| item.values_mut())
        {
            if let Some(body) = operation.get_mut("requestBody") {
                collect_refs(body, &mut pending);
                add_text_pattern(body);
            }
            for parameter in operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                let name = parameter
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase);
                let pattern = match name.as_deref() {
                    Some("if-match") => Some(agora_core::version::IF_MATCH_PATTERN),
                    Some("idempotency-key") => Some(agora_platform::idempotency::KEY_PATTERN),
                    _ => None,
                };
                if let (Some(pattern), Some(schema)) = (
                    pattern,
                    parameter.get_mut("schema").and_then(Value::as_object_mut),
                ) {
                    schema.insert("pattern".into(), json!(pattern));
                }
                collect_refs(parameter, &mut pending);
                add_text_pattern(parameter);
            }
        }
    }
    let Some(components) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let mut reached = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !reached.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = components.get(&name) {
            collect_refs(schema, &mut pending);
        }
    }
    for name in &reached {
        if let Some(schema) = components.get_mut(name) {
            add_text_pattern(schema);
        }
    }
}

/// The names of the components `value` refers to (`#/components/schemas/{name}`).
fn collect_refs(value: &Value, names: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                names.push(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, names));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, names)),
        _ => {}
    }
}

fn add_text_pattern(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(Value::String(kind)) => kind == "string",
                Some(Value::Array(kinds)) => kinds.iter().any(|k| k == "string"),
                _ => false,
            };
            let states_a_rule = ["pattern", "enum", "format", "const"]
                .iter()
                .any(|key| map.contains_key(*key));
            if is_string && !states_a_rule {
                map.insert("pattern".into(), json!(agora_core::text::PATTERN));
            }
            for (key, child) in map.iter_mut() {
                if !matches!(key.as_str(), "example" | "examples" | "default" | "enum") {
                    add_text_pattern(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(add_text_pattern),
        _ => {}
    }
}

fn finish_operation(path: &str, operation: &mut Map<String, Value>) {
    let authenticated = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|requirements| requirements.iter().any(|r| r.get("bearer").is_some()));
    if !operation.contains_key("security") {
        operation.insert("security".into(), json!([]));
    }
    let parameters: Vec<(String, String)> = operation
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                p.get("in")?.as_str()?.to_owned(),
                p.get("name")?.as_str()?.to_ascii_lowercase(),
            ))
        })
        .collect();
    let has = |place: &str, name: Option<&str>| {
        parameters
            .iter()
            .any(|(p, n)| p == place && name.is_none_or(|name| n == name))
    };
    let body = operation.contains_key("requestBody");
    let api = path.starts_with("/api/v1/");
    let conditional_read = has("header", Some("if-none-match"));

    let mut added: Vec<(u16, &str)> = Vec::new();
    if body {
        added.extend([
            (
                400,
                "The body is malformed (not JSON, or a broken multipart form)",
            ),
            (413, "The body is over the size limit"),
            (415, "The body is not of a type this route takes"),
            (
                422,
                "A field is invalid: `errors` lists each, under its path",
            ),
        ]);
    }
    if has("query", None) {
        added.push((422, "A query parameter is invalid: `errors` names it"));
    }
    if authenticated {
        added.push((
            401,
            "No valid access token (`unauthorized`, `invalid_token`)",
        ));
    }
    if path.contains('{') {
        added.push((
            404,
            "Nothing at this path (a malformed id names nothing either)",
        ));
    }
    if api {
        added.extend([
            (408, "The request took longer than the request timeout"),
            (
                429,
                "Over a rate limit (`rate_limited`): retry after `Retry-After` seconds",
            ),
            (
                503,
                "A dependency (the database) is unavailable: retry after `Retry-After`",
            ),
        ]);
    }
    let responses = operation
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else {
        return;
    };
    for (status, description) in added {
        responses
            .entry(status.to_string())
            .or_insert_with(|| problem_response(description));
    }
    if conditional_read {
        responses.entry("304").or_insert_with(|| {
            json!({ "description": "Not Modified: `If-None-Match` holds the current `ETag` (no body)" })
        });
    }
    let etag = has("header", Some("if-match")) || conditional_read;
    let replayed = has("header", Some("idempotency-key"));
    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else {
            continue;
        };
        if response
            .get("description")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            let reason = status
                .parse::<u16>()
                .ok()
                .and_then(|code| http::StatusCode::from_u16(code).ok())
                .and_then(|code| code.canonical_reason())
                .unwrap_or("Response");
            response.insert("description".into(), json!(reason));
        }
        if (status.starts_with('4') || status.starts_with('5')) && !response.contains_key("content")
        {
            response.insert("content".into(), problem_content());
        }
        let headers = response
            .entry("headers")
            .or_insert_with(|| json!({}))
            .as_object_mut();
        let Some(headers) = headers else {
            continue;
        };
        // Headers an annotation lists by name only get the shared description.
        for (name, description) in [
            ("Location", LOCATION_DESCRIPTION),
            ("ETag", ETAG_DESCRIPTION),
        ] {
            if let Some(header) = headers.get_mut(name).and_then(Value::as_object_mut) {
                header
                    .entry("description")
                    .or_insert_with(|| json!(description));
            }
        }
        let mut add = |name: &str, description: &str, schema: Value| {
            headers
                .entry(name)
                .or_insert_with(|| json!({ "description": description, "schema": schema }));
        };
        add(
            "X-Request-Id",
            "The request's id (echoed when the client sent one); problem documents quote it",
            json!({ "type": "string" }),
        );
        let success = status.starts_with('2') || status == "304";
        if api {
            add(
                "RateLimit-Limit",
                "The budget of the tightest rate limit this request spent",
                json!({ "type": "integer" }),
            );
            add(
                "RateLimit-Remaining",
                "What is left of that budget",
                json!({ "type": "integer" }),
            );
            add(
                "RateLimit-Reset",
                "Seconds until that budget is whole again",
                json!({ "type": "integer" }),
            );
        }
        if status == "429" || status == "503" {
            add(
                "Retry-After",
                "Seconds to wait before retrying",
                json!({ "type": "integer" }),
            );
        }
        if success && etag {
            add("ETag", ETAG_DESCRIPTION, json!({ "type": "string" }));
        }
        if success && replayed {
            add(
                "Idempotent-Replayed",
                "`true` when this is the stored answer to an earlier request with the same key",
                json!({ "type": "string", "enum": ["true"] }),
            );
        }
    }
}

const LOCATION_DESCRIPTION: &str =
    "Where the created resource is read: an absolute path under `/api/v1`";
const ETAG_DESCRIPTION: &str = "The entity tag of what is answered, for a versioned resource its version (`\"3\"`): send it in `If-Match` to write, in `If-None-Match` to read again";

fn problem_response(description: &str) -> Value {
    json!({ "description": description, "content": problem_content() })
}

fn problem_content() -> Value {
    json!({
        agora_core::error::PROBLEM_JSON: {
            "schema": { "$ref": "#/components/schemas/Problem" }
        }
    })
}
