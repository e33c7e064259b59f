//! The pages behind the links of verification and reset emails, `{app_url}/verify-email` and
//! `{app_url}/reset-password`. `app_url` defaults to `public_url`: until a web application serves
//! these pages itself, the server answers them with small static pages of its own, whose script
//! posts the link's token to the API.
//!
//! Opening a link changes nothing (mail scanners fetch links before their owner does): the
//! person confirms with a button, which calls `POST /api/v1/auth/verify-email` or
//! `/auth/reset-password`. The pages are static and never echo the token, so nothing a link
//! carries reaches the HTML.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

const VERIFY_EMAIL: &str = include_str!("../../templates/pages/verify_email.html");
const RESET_PASSWORD: &str = include_str!("../../templates/pages/reset_password.html");
const SCRIPT: &str = include_str!("../../templates/pages/account.js");
const STYLE: &str = include_str!("../../templates/pages/account.css");

/// Scripts and styles from this server only, calls to this server only, no framing.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(verify_email_page))
        .routes(routes!(reset_password_page))
        // Assets of the pages, not part of the API description.
        .route(
            "/pages/account.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/pages/account.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
}

fn page(html: &'static str) -> impl IntoResponse {
    let headers: [(HeaderName, HeaderValue); 3] = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        ),
        // The address holds a token: keep it out of caches and history stores.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    (headers, html)
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

/// The page of an email verification link (`?token=…`): a button that confirms the address with
/// the link's token (`POST /api/v1/auth/verify-email`). For people, not API clients.
#[utoipa::path(get, path = "/verify-email", tag = "identity",
    responses(
        (status = 200, description = "The page (HTML)", body = String, content_type = "text/html"),
    ))]
async fn verify_email_page() -> impl IntoResponse {
    page(VERIFY_EMAIL)
}

/// The page of a password reset link (`?token=…`): a form for the new password, sent with the
/// link's token (`POST /api/v1/auth/reset-password`). For people, not API clients.
#[utoipa::path(get, path = "/reset-password", tag = "identity",
    responses(
        (status = 200, description = "The page (HTML)", body = String, content_type = "text/html"),
    ))]
async fn reset_password_page() -> impl IntoResponse {
    page(RESET_PASSWORD)
}
