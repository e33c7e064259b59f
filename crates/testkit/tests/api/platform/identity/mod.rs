//! Identity: accounts, tokens and sessions, sign-in limits, recovery by email, external
//! providers, and the admin routes over accounts. The helpers here read and forge our own
//! tokens.

mod accounts;
mod admin;
mod external;
mod limits;
mod recovery;
mod sessions;

use agora_core::config::Secret;
use agora_platform::identity::tokens::derive_key;
use agora_testkit::{StatusCode, TEST_SECRET_KEY, TestApp, json};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

async fn me_status(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let response = app.get("/api/v1/auth/me").bearer(token).send().await;
    (
        response.status,
        serde_json::from_slice(&response.body).unwrap_or(Value::Null),
    )
}

async fn refresh(app: &TestApp, token: &str) -> agora_testkit::TestResponse {
    app.post("/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
}

/// Signs `claims` with the server's own Ed25519 key (derived from the test secret as the server
/// derives it), so a test can forge tokens that differ from real ones in one claim only.
fn sign_with_server_key(claims: &Value) -> String {
    let secret = Secret::new(TEST_SECRET_KEY);
    let key = ed25519_dalek::SigningKey::from_bytes(&derive_key(&secret, "agora/jwt/ed25519/v1"));
    let der = key.to_pkcs8_der().expect("a PKCS#8 key");
    jsonwebtoken::encode(
        &Header::new(Algorithm::EdDSA),
        claims,
        &EncodingKey::from_ed_der(der.as_bytes()),
    )
    .expect("a signed token")
}

/// The claims of a real token, decoded without checking (to copy and alter them).
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}
