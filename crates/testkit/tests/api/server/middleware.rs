//! Security headers, CORS and compression on real responses.

use agora_testkit::{StatusCode, TestApp};

#[tokio::test]
async fn api_responses_carry_the_security_headers() {
    let app = TestApp::spawn().await;
    let response = app.get("/health").send().await;
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(response.header("x-frame-options"), Some("DENY"));
    assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
    let csp = response.header("content-security-policy").expect("a CSP");
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert_eq!(
        response.header("strict-transport-security"),
        None,
        "no HSTS when not served over TLS"
    );
    // Errors carry them too.
    let response = app.get("/nope").send().await;
    assert_eq!(response.header("x-frame-options"), Some("DENY"));
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let app = TestApp::builder()
        .env("AGORA_PUBLIC_URL", "https://agora.example.com")
        .spawn()
        .await;
    let response = app.get("/health").send().await;
    assert_eq!(
        response.header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
}

#[tokio::test]
async fn the_docs_page_may_load_its_own_scripts_only() {
    let app = TestApp::spawn().await;
    let response = app.get("/docs/").send().await;
    response.assert_status(StatusCode::OK);
    let csp = response.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("http"), "no outside origin is allowed: {csp}");
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered_with_credentials() {
    let app = TestApp::builder()
        .env(
            "AGORA_CORS_ORIGINS",
            "https://app.example.com,http://localhost:3000",
        )
        .spawn()
        .await;
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, "/health")
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(
        response.header("access-control-allow-credentials"),
        Some("true")
    );
    let methods = response
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");
    let headers = response
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(headers.contains("authorization"), "{headers}");

    // A simple request from the origin is allowed too, and exposes the request id.
    let response = app
        .get("/health")
        .header("origin", "http://localhost:3000")
        .send()
        .await;
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert!(
        response
            .header("access-control-expose-headers")
            .unwrap_or_default()
            .contains("x-request-id")
    );
}

#[tokio::test]
async fn a_preflight_from_another_origin_is_not_allowed() {
    let app = TestApp::builder()
        .env("AGORA_CORS_ORIGINS", "https://app.example.com")
        .spawn()
        .await;
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, "/health")
        .header("origin", "https://evil.example.net")
        .header("access-control-request-method", "POST")
        .send()
        .await;
    assert_eq!(response.header("access-control-allow-origin"), None);
    let response = app
        .get("/health")
        .header("origin", "https://evil.example.net")
        .send()
        .await;
    assert_eq!(response.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn large_responses_are_gzipped_for_clients_that_accept_it() {
    let app = TestApp::spawn().await;
    let response = app
        .get("/openapi.json")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    assert_eq!(&response.body[..2], &[0x1f, 0x8b], "a gzip stream");

    let response = app.get("/openapi.json").send().await;
    assert_eq!(response.header("content-encoding"), None);
}

#[tokio::test]
async fn a_long_uri_is_refused_with_a_414_problem() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/tasks?q={}", "a".repeat(10 * 1024));
    let response = app.get(&path).send().await;
    let problem = response.assert_problem(StatusCode::URI_TOO_LONG, "uri_too_long");
    assert_eq!(problem.status, 414);
}

#[tokio::test]
async fn large_headers_are_refused_with_a_431_problem() {
    let app = TestApp::spawn().await;
    let mut request = app.get("/health");
    for n in 0..5 {
        request = request.header(&format!("x-big-{n}"), &"b".repeat(8 * 1024));
    }
    let response = request.send().await;
    let problem = response.assert_problem(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
    );
    assert_eq!(problem.status, 431);
}

/// Past hyper's own buffer the status is the same, without a body (decision 0003).
#[tokio::test]
async fn headers_past_the_servers_buffer_still_get_431() {
    let app = TestApp::spawn().await;
    let mut request = app.get("/health");
    for n in 0..20 {
        request = request.header(&format!("x-big-{n}"), &"b".repeat(8 * 1024));
    }
    let response = request.send().await;
    response.assert_status(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
}
