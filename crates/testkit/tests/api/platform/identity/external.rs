//! Tokens of an external identity provider, checked against a real JWKS served over HTTP by the
//! test (or a shared HS256 secret), and mapped to local accounts.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use agora_platform::entities::external_identities;
use agora_store::sea_orm::EntityTrait;
use agora_testkit::{Server, StatusCode, TestApp, TestAppBuilder, json};
use axum::Router;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

use super::me_status;

const ISSUER: &str = "https://idp.example/auth/v1";
const AUDIENCE: &str = "authenticated";
const SHARED_SECRET: &str = "shared-secret-of-the-provider-0123456789";

/// An identity provider: Ed25519 keys and a JWKS endpoint that counts its fetches.
struct Provider {
    keys: Vec<(String, SigningKey)>,
    published: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
    url: String,
    _server: tokio::task::JoinHandle<()>,
}

impl Provider {
    async fn start() -> Provider {
        let keys: Vec<(String, SigningKey)> = ["k1", "k2"]
            .iter()
            .map(|kid| ((*kid).to_owned(), SigningKey::from_bytes(&rand::random())))
            .collect();
        let published = Arc::new(Mutex::new(json!({ "keys": [] })));
        let fetches = Arc::new(AtomicUsize::new(0));
        let router = Router::new().route(
            "/jwks.json",
            get({
                let (published, fetches) = (published.clone(), fetches.clone());
                move || async move {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    let body = published.lock().map(|v| v.clone()).unwrap_or(Value::Null);
                    axum::Json(body)
                }
            }),
        );
        let (address, server) = Server::start_router(router).await;
        let provider = Provider {
            keys,
            published,
            fetches,
            url: format!("http://{address}/jwks.json"),
            _server: server,
        };
        provider.publish(&["k1"]);
        provider
    }

    /// Publishes the public keys named.
    fn publish(&self, kids: &[&str]) {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter(|(kid, _)| kids.contains(&kid.as_str()))
            .map(|(kid, key)| {
                json!({
                    "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": kid,
                    "x": URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes()),
                })
            })
            .collect();
        *self.published.lock().expect("lock") = json!({ "keys": keys });
    }

    fn sign(&self, kid: &str, claims: &Value) -> String {
        let (_, key) = self.keys.iter().find(|(k, _)| k == kid).expect("a key");
        let der = key.to_pkcs8_der().expect("PKCS#8");
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der.as_bytes()))
            .expect("a token")
    }

    fn app(&self) -> TestAppBuilder {
        TestApp::builder()
            .env("AGORA_AUTH_EXTERNAL_ISSUER", ISSUER)
            .env("AGORA_AUTH_EXTERNAL_AUDIENCE", AUDIENCE)
            .env("AGORA_AUTH_EXTERNAL_JWKS_URL", self.url.clone())
    }
}

/// Claims as Supabase issues them, for subject `sub`, valid for ten minutes.
fn claims(sub: &str) -> Value {
    let now = agora_core::time::now().timestamp();
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + 600,
        "email": format!("{sub}@idp.example"), "email_verified": true,
        "preferred_username": sub,
    })
}

#[tokio::test]
async fn a_provider_token_signs_in_a_local_account_created_on_first_sight() {
    let provider = Provider::start().await;
    let app = provider.app().spawn().await;
    let token = provider.sign("k1", &claims("ext_alice"));

    let (status, first) = me_status(&app, &token).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["username"], "ext_alice");
    assert_eq!(first["email"], "ext_alice@idp.example");
    assert_eq!(first["email_verified"], true);
    let (_, second) = me_status(&app, &provider.sign("k1", &claims("ext_alice"))).await;
    assert_eq!(
        second["id"], first["id"],
        "the same subject is the same account"
    );

    let mappings = external_identities::Entity::find()
        .all(app.db().reader())
        .await
        .expect("query");
    assert_eq!(mappings.len(), 1);
    assert_eq!(
        (mappings[0].issuer.as_str(), mappings[0].subject.as_str()),
        (ISSUER, "ext_alice")
    );
    assert_eq!(
        provider.fetches.load(Ordering::SeqCst),
        1,
        "the JWKS is cached"
    );

    let verified: Value = app
        .post("/api/v1/auth/verify")
        .json(&json!({ "token": token }))
        .send()
        .await
        .json();
    assert_eq!(verified["valid"], true);
    assert_eq!(verified["user_id"], first["id"]);
}

#[tokio::test]
async fn a_taken_username_gets_a_suffix_and_our_own_tokens_still_work() {
    let provider = Provider::start().await;
    let app = provider.app().spawn().await;
    let local = app.register("bob").await;
    let (status, external) = me_status(&app, &provider.sign("k1", &claims("bob"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(external["id"].as_str(), Some(local.id.as_str()));
    assert!(
        external["username"]
            .as_str()
            .is_some_and(|u| u.starts_with("bob_")),
        "{external}"
    );
    assert_eq!(me_status(&app, &local.access_token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn first_requests_of_one_subject_at_once_create_one_account() {
    let provider = Provider::start().await;
    let app = provider.app().spawn().await;
    let token = provider.sign("k1", &claims("racer"));
    let results = futures::future::join_all((0..4).map(|_| me_status(&app, &token))).await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, StatusCode::OK, "{body}");
            body["id"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn wrong_audience_issuer_expiry_or_not_before_are_refused() {
    let provider = Provider::start().await;
    let app = provider.app().spawn().await;
    let now = agora_core::time::now().timestamp();
    let cases = [
        ("aud", json!("another-app"), "invalid_token"),
        ("exp", json!(now - 120), "token_expired"),
        ("nbf", json!(now + 300), "invalid_token"),
        // Another issuer is not routed to the provider at all: our own keys refuse it.
        ("iss", json!("https://evil.example/"), "invalid_token"),
    ];
    for (claim, value, code) in cases {
        let mut forged = claims("carol");
        forged[claim] = value;
        let (status, problem) = me_status(&app, &provider.sign("k1", &forged)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{claim}");
        assert_eq!(problem["code"], code, "{claim}");
    }
    // Within the leeway, a little clock skew is tolerated.
    let mut skewed = claims("carol");
    skewed["nbf"] = json!(now + 10);
    assert_eq!(
        me_status(&app, &provider.sign("k1", &skewed)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn alg_none_and_hmac_with_the_public_key_are_refused() {
    let provider = Provider::start().await;
    let app = provider.app().spawn().await;
    let payload = URL_SAFE_NO_PAD.encode(claims("dave").to_string());
    let none = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1"}"#)
    );
    assert_eq!(me_status(&app, &none).await.0, StatusCode::UNAUTHORIZED);

    let public_key = provider.keys[0].1.verifying_key().to_bytes();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".to_owned());
    let confused = jsonwebtoken::encode(
        &header,
        &claims("dave"),
        &EncodingKey::from_secret(&public_key),
    )
    .expect("token");
    let (status, problem) = me_status(&app, &confused).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "invalid_token");
}

#[tokio::test]
async fn a_rotated_key_is_fetched_when_a_token_names_it() {
    let provider = Provider::start().await;
    let app = provider
        .app()
        .env("AGORA_AUTH_EXTERNAL_JWKS_REFRESH", "1ms")
        .spawn()
        .await;
    assert_eq!(
        me_status(&app, &provider.sign("k1", &claims("erin")))
            .await
            .0,
        StatusCode::OK
    );
    provider.publish(&["k1", "k2"]);
    assert_eq!(
        me_status(&app, &provider.sign("k2", &claims("erin")))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unknown_key_ids_do_not_flood_the_provider() {
    let provider = Provider::start().await;
    let app = provider.app().spawn().await;
    assert_eq!(
        me_status(&app, &provider.sign("k1", &claims("frank")))
            .await
            .0,
        StatusCode::OK
    );
    // k2 is not published: refused, and asked for at most once per refresh interval (30 s).
    for _ in 0..5 {
        assert_eq!(
            me_status(&app, &provider.sign("k2", &claims("frank")))
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_unreachable_provider_is_a_401_not_a_500() {
    let app = TestApp::builder()
        .env("AGORA_AUTH_EXTERNAL_ISSUER", ISSUER)
        .env("AGORA_AUTH_EXTERNAL_AUDIENCE", AUDIENCE)
        .env(
            "AGORA_AUTH_EXTERNAL_JWKS_URL",
            "http://127.0.0.1:9/jwks.json",
        )
        .spawn()
        .await;
    let provider = Provider::start().await;
    let (status, problem) = me_status(&app, &provider.sign("k1", &claims("gina"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "invalid_token");
}

#[tokio::test]
async fn a_disabled_local_account_is_refused_with_a_provider_token() {
    let provider = Provider::start().await;
    let app = provider.app().spawn().await;
    let admin = app.admin("root").await;
    let token = provider.sign("k1", &claims("harry"));
    let (_, user) = me_status(&app, &token).await;
    app.post(&format!(
        "/api/v1/admin/users/{}/disable",
        user["id"].as_str().expect("id")
    ))
    .bearer(&admin.access_token)
    .json(&json!({ "reason": "abuse" }))
    .send()
    .await
    .assert_status(StatusCode::OK);
    let (status, problem) = me_status(&app, &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["code"], "account_disabled");
}

#[tokio::test]
async fn a_shared_secret_provider_accepts_hs256_only() {
    let app = TestApp::builder()
        .env("AGORA_AUTH_EXTERNAL_ISSUER", ISSUER)
        .env("AGORA_AUTH_EXTERNAL_AUDIENCE", AUDIENCE)
        .env("AGORA_AUTH_EXTERNAL_SECRET", SHARED_SECRET)
        .spawn()
        .await;
    let signed = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims("ivy"),
        &EncodingKey::from_secret(SHARED_SECRET.as_bytes()),
    )
    .expect("token");
    assert_eq!(me_status(&app, &signed).await.0, StatusCode::OK);

    let wrong_secret = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims("ivy"),
        &EncodingKey::from_secret(b"not-the-shared-secret-0123456789abcdef"),
    )
    .expect("token");
    assert_eq!(
        me_status(&app, &wrong_secret).await.0,
        StatusCode::UNAUTHORIZED
    );

    let provider = Provider::start().await;
    let other_algorithm = provider.sign("k1", &claims("ivy"));
    assert_eq!(
        me_status(&app, &other_algorithm).await.0,
        StatusCode::UNAUTHORIZED
    );
}
