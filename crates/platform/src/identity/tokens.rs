//! Access tokens: short-lived JWTs signed by this server.
//!
//! The signing key is derived from the server secret (`AGORA_SECRET_KEY`), so every instance
//! sharing the secret signs and verifies alike, and no second secret has to be managed. The
//! default algorithm is EdDSA (Ed25519): asymmetric, so the public key can be published at
//! `/.well-known/jwks.json` for other services; HS256 is available by configuration for setups
//! that prefer a shared secret (then nothing is published).

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use agora_core::config::{JwtAlgorithm, Secret};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long an access token lives.
pub const ACCESS_TOKEN_TTL: Duration = Duration::minutes(15);
/// The audience of our tokens.
pub const AUDIENCE: &str = "agora";

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user.
    pub sub: Uuid,
    /// The session the token belongs to; revoking it stops the token.
    pub sid: Uuid,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: Uuid,
}

/// Why a token was refused. The client only ever learns "invalid or expired"; the reason is
/// for the operator's log ([`TokenService::log_refusal`]).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is invalid: {0}")]
    Invalid(String),
}

impl From<jsonwebtoken::errors::Error> for TokenError {
    fn from(err: jsonwebtoken::errors::Error) -> Self {
        use jsonwebtoken::errors::ErrorKind;
        match err.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::ImmatureSignature => {
                TokenError::Invalid("not valid yet (`nbf` is in the future)".to_owned())
            }
            ErrorKind::InvalidSignature => TokenError::Invalid(
                "bad signature (signed with another secret_key or jwt_algorithm?)".to_owned(),
            ),
            ErrorKind::InvalidAudience => TokenError::Invalid(format!("`aud` is not `{AUDIENCE}`")),
            other => TokenError::Invalid(format!("{other:?}")),
        }
    }
}

/// The unverified `iss` of a JWT: to route it to the right verifier (which then checks
/// everything, `iss` included), and to say in the log whose token was refused.
pub(crate) fn unverified_issuer(token: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Issuer {
        iss: Option<String>,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<Issuer>(&bytes).ok()?.iss
}

/// Issues and verifies access tokens.
pub struct TokenService {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    key_id: String,
    validation: Validation,
    issuer: String,
    /// The public key set, empty for HS256.
    jwks: serde_json::Value,
    /// Tokens whose signature was checked, with their claims: a client sends the same token
    /// with every request for 15 minutes, and an Ed25519 check costs ~50 µs where this look-up
    /// costs ~1 µs. Keyed by the whole token, so only that exact string is trusted; expiry is
    /// still checked on every use, and revocation by the caller.
    verified: RwLock<HashMap<Box<str>, AccessClaims>>,
    /// When a refusal was last logged at INFO (Unix seconds), and how many were not since.
    last_refusal_logged: AtomicI64,
    refusals_not_logged: AtomicU64,
}

/// At most one refused token per this many seconds is logged at INFO (the others at DEBUG):
/// enough to tell an operator why, not a way for anyone to fill the log.
const REFUSAL_LOG_EVERY_SECONDS: i64 = 10;

/// The most tokens remembered as verified (~4 MB); past it, expired ones are dropped, and if
/// that is not enough, all.
const VERIFIED_CACHE_SIZE: usize = 10_000;
/// Leeway on `exp`, for clocks that disagree a little.
const LEEWAY_SECONDS: i64 = 5;

/// Derives 32 bytes for one purpose from the server secret (HMAC-SHA256 as a KDF).
pub fn derive_key(secret: &Secret, purpose: &str) -> [u8; 32] {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

impl TokenService {
    pub fn new(
        secret: &Secret,
        algorithm: JwtAlgorithm,
        issuer: &str,
    ) -> Result<TokenService, String> {
        let (algorithm, encoding, decoding, key_id, jwks) = match algorithm {
            JwtAlgorithm::EdDsa => {
                let signing = SigningKey::from_bytes(&derive_key(secret, "agora/jwt/ed25519/v1"));
                let der = signing
                    .to_pkcs8_der()
                    .map_err(|e| format!("cannot encode the signing key: {e}"))?;
                let public = signing.verifying_key().to_bytes();
                let x = URL_SAFE_NO_PAD.encode(public);
                let key_id = hex::encode(&Sha256::digest(public)[..8]);
                let decoding = DecodingKey::from_ed_components(&x)
                    .map_err(|e| format!("cannot build the verifying key: {e}"))?;
                let jwks = serde_json::json!({ "keys": [{
                    "kty": "OKP", "crv": "Ed25519", "x": x,
                    "use": "sig", "alg": "EdDSA", "kid": key_id,
                }]});
                (
                    Algorithm::EdDSA,
                    EncodingKey::from_ed_der(der.as_bytes()),
                    decoding,
                    key_id,
                    jwks,
                )
            }
            JwtAlgorithm::Hs256 => {
                let key = derive_key(secret, "agora/jwt/hs256/v1");
                let key_id = hex::encode(&Sha256::digest(key)[..8]);
                (
                    Algorithm::HS256,
                    EncodingKey::from_secret(&key),
                    DecodingKey::from_secret(&key),
                    key_id,
                    serde_json::json!({ "keys": [] }),
                )
            }
        };
        // Only our algorithm is accepted: `none`, and tokens signed with another algorithm
        // (e.g. HS256 "signed" with our public key), fail before any signature check.
        let mut validation = Validation::new(algorithm);
        // We never set `nbf`; a token that carries one in the future is not ours to accept yet.
        validation.validate_nbf = true;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[AUDIENCE]);
        validation.required_spec_claims =
            HashSet::from(["exp", "iat", "iss", "aud", "sub"].map(str::to_owned));
        validation.leeway = LEEWAY_SECONDS as u64;
        Ok(TokenService {
            algorithm,
            encoding,
            decoding,
            key_id,
            validation,
            issuer: issuer.to_owned(),
            jwks,
            verified: RwLock::new(HashMap::new()),
            last_refusal_logged: AtomicI64::new(i64::MIN),
            refusals_not_logged: AtomicU64::new(0),
        })
    }

    /// A token for `user` in `session`, valid for [`ACCESS_TOKEN_TTL`] from `now`.
    pub fn issue(
        &self,
        user: Uuid,
        session: Uuid,
        role: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, AccessClaims), String> {
        let claims = AccessClaims {
            sub: user,
            sid: session,
            role: role.to_owned(),
            iat: now.timestamp(),
            exp: (now + ACCESS_TOKEN_TTL).timestamp(),
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            jti: Uuid::now_v7(),
        };
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.key_id.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map(|token| (token, claims))
            .map_err(|e| format!("cannot sign a token: {e}"))
    }

    /// Checks signature, algorithm, issuer, audience, expiry and `nbf`, then what a signed token
    /// of ours can only carry if our key leaked or a bug signed it (defence in depth): an `iat`
    /// in the future, a lifetime longer than [`ACCESS_TOKEN_TTL`], a role we do not know.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        self.verify_at(token, agora_core::time::now().timestamp())
    }

    /// [`TokenService::verify`] at the time `now` (Unix seconds) for the expiry of a token
    /// already verified; a token seen for the first time is checked against the clock.
    pub fn verify_at(&self, token: &str, now: i64) -> Result<AccessClaims, TokenError> {
        let cached = self
            .verified
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned();
        if let Some(claims) = cached {
            return if now > claims.exp + LEEWAY_SECONDS {
                Err(TokenError::Expired)
            } else {
                Ok(claims)
            };
        }
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| self.describe(err, token))?;
        if claims.iat > now + LEEWAY_SECONDS {
            return Err(TokenError::Invalid(
                "issued in the future (`iat` is ahead of this server's clock)".to_owned(),
            ));
        }
        if claims.exp - claims.iat > ACCESS_TOKEN_TTL.num_seconds() {
            return Err(TokenError::Invalid(format!(
                "lives {} s, longer than the {} s access tokens live",
                claims.exp - claims.iat,
                ACCESS_TOKEN_TTL.num_seconds()
            )));
        }
        if super::model::Role::parse(&claims.role).is_none() {
            return Err(TokenError::Invalid(format!(
                "unknown role `{}`",
                claims.role.chars().take(32).collect::<String>()
            )));
        }
        let mut verified = self.verified.write().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= VERIFIED_CACHE_SIZE {
            verified.retain(|_, claims| claims.exp + LEEWAY_SECONDS >= now);
            if verified.len() >= VERIFIED_CACHE_SIZE {
                verified.clear();
            }
        }
        verified.insert(token.into(), claims.clone());
        Ok(claims)
    }

    /// A refusal with what an operator needs to fix a setup: whose issuer, against ours.
    fn describe(&self, err: jsonwebtoken::errors::Error, token: &str) -> TokenError {
        if matches!(err.kind(), jsonwebtoken::errors::ErrorKind::InvalidIssuer) {
            return TokenError::Invalid(format!(
                "issued by `{}`, but this server's issuer is `{}`: instances that accept each \
                 other's tokens need the same public_url",
                unverified_issuer(token).unwrap_or_default(),
                self.issuer
            ));
        }
        TokenError::from(err)
    }

    /// Logs why a token was refused: expired ones at DEBUG (that is routine); others at INFO,
    /// at most one per [`REFUSAL_LOG_EVERY_SECONDS`] (with the count of those not logged),
    /// the rest at DEBUG. Returns whether it logged at INFO.
    pub fn log_refusal(&self, err: &TokenError) -> bool {
        self.log_refusal_at(err, agora_core::time::now().timestamp())
    }

    fn log_refusal_at(&self, err: &TokenError, now: i64) -> bool {
        let TokenError::Invalid(reason) = err else {
            tracing::debug!("access token refused: expired");
            return false;
        };
        let last = self.last_refusal_logged.load(Ordering::Relaxed);
        let due = now.saturating_sub(last) >= REFUSAL_LOG_EVERY_SECONDS
            && self
                .last_refusal_logged
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok();
        if due {
            let not_logged = self.refusals_not_logged.swap(0, Ordering::Relaxed);
            tracing::info!(reason = %reason, similar_not_logged = not_logged, "access token refused");
        } else {
            self.refusals_not_logged.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(reason = %reason, "access token refused");
        }
        due
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The public keys that verify our tokens, as a JWK set.
    pub fn jwks(&self) -> &serde_json::Value {
        &self.jwks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(algorithm: JwtAlgorithm) -> TokenService {
        let secret = Secret::new("0123456789abcdef0123456789abcdef-test");
        TokenService::new(&secret, algorithm, "https://agora.test/").expect("keys")
    }

    #[test]
    fn a_token_verifies_and_carries_its_claims() {
        for algorithm in [JwtAlgorithm::EdDsa, JwtAlgorithm::Hs256] {
            let tokens = service(algorithm);
            let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
            let (token, issued) = tokens
                .issue(user, session, "user", agora_core::time::now())
                .expect("issue");
            let claims = tokens.verify(&token).expect("valid");
            assert_eq!(claims, issued);
            assert_eq!(claims.exp - claims.iat, 15 * 60);
        }
    }

    #[test]
    fn an_expired_token_is_refused() {
        let tokens = service(JwtAlgorithm::EdDsa);
        let long_ago = agora_core::time::now() - Duration::minutes(20);
        let (token, _) = tokens
            .issue(Uuid::now_v7(), Uuid::now_v7(), "user", long_ago)
            .expect("issue");
        assert_eq!(tokens.verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn a_verified_token_is_remembered_but_still_expires_and_lookalikes_are_checked() {
        let tokens = service(JwtAlgorithm::EdDsa);
        let (token, claims) = tokens
            .issue(
                Uuid::now_v7(),
                Uuid::now_v7(),
                "user",
                agora_core::time::now(),
            )
            .expect("issue");
        assert_eq!(tokens.verify(&token), Ok(claims.clone()));
        assert_eq!(tokens.verify(&token), Ok(claims.clone()), "from the cache");
        assert_eq!(
            tokens.verify_at(&token, claims.exp + LEEWAY_SECONDS + 1),
            Err(TokenError::Expired)
        );
        // Another signature on the same claims is not the cached token: checked, and refused.
        let (head, _) = token.rsplit_once('.').expect("a JWT");
        let forged = format!("{head}.{}", URL_SAFE_NO_PAD.encode([0u8; 64]));
        assert!(matches!(
            tokens.verify(&forged),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn a_tampered_token_is_refused() {
        let tokens = service(JwtAlgorithm::EdDsa);
        let (token, _) = tokens
            .issue(
                Uuid::now_v7(),
                Uuid::now_v7(),
                "user",
                agora_core::time::now(),
            )
            .expect("issue");
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).expect("base64"))
                .expect("json");
        claims["role"] = "admin".into();
        parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
        assert!(matches!(
            tokens.verify(&parts.join(".")),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn another_servers_key_is_refused() {
        let ours = service(JwtAlgorithm::EdDsa);
        let theirs = TokenService::new(
            &Secret::new("another-secret-another-secret-another"),
            JwtAlgorithm::EdDsa,
            "https://agora.test/",
        )
        .expect("keys");
        let (token, _) = theirs
            .issue(
                Uuid::now_v7(),
                Uuid::now_v7(),
                "admin",
                agora_core::time::now(),
            )
            .expect("issue");
        assert!(ours.verify(&token).is_err());
    }

    /// Signs arbitrary claims with the service's own key, as a leaked key or a bug would.
    fn sign(tokens: &TokenService, claims: serde_json::Value) -> String {
        let mut header = Header::new(tokens.algorithm);
        header.kid = Some(tokens.key_id.clone());
        jsonwebtoken::encode(&header, &claims, &tokens.encoding).expect("sign")
    }

    fn claims(tokens: &TokenService, iat: i64, exp: i64, role: &str) -> serde_json::Value {
        serde_json::json!({
            "sub": Uuid::now_v7(), "sid": Uuid::now_v7(), "role": role,
            "iat": iat, "exp": exp, "iss": tokens.issuer(), "aud": AUDIENCE, "jti": Uuid::now_v7(),
        })
    }

    #[test]
    fn well_signed_tokens_with_impossible_claims_are_refused() {
        let tokens = service(JwtAlgorithm::EdDsa);
        let now = agora_core::time::now().timestamp();
        let ttl = ACCESS_TOKEN_TTL.num_seconds();
        // The control: what we issue passes.
        assert!(
            tokens
                .verify(&sign(&tokens, claims(&tokens, now, now + ttl, "user")))
                .is_ok()
        );

        let future_iat = sign(
            &tokens,
            claims(&tokens, now + 3600, now + 3600 + ttl, "user"),
        );
        let too_long = sign(&tokens, claims(&tokens, now, now + 30 * 24 * 3600, "user"));
        let unknown_role = sign(&tokens, claims(&tokens, now, now + ttl, "superuser"));
        let mut not_yet = claims(&tokens, now, now + ttl, "user");
        not_yet["nbf"] = (now + 600).into();
        let not_yet = sign(&tokens, not_yet);
        for (name, token) in [
            ("iat in the future", future_iat),
            ("lifetime over the configured one", too_long),
            ("unknown role", unknown_role),
            ("nbf in the future", not_yet),
        ] {
            assert!(
                matches!(tokens.verify(&token), Err(TokenError::Invalid(_))),
                "{name} was accepted"
            );
        }
    }

    #[test]
    fn a_token_of_another_issuer_is_refused_with_both_issuers_named() {
        let ours = service(JwtAlgorithm::EdDsa);
        let same_secret = TokenService::new(
            &Secret::new("0123456789abcdef0123456789abcdef-test"),
            JwtAlgorithm::EdDsa,
            "http://127.0.0.1:8081/",
        )
        .expect("keys");
        let (token, _) = same_secret
            .issue(
                Uuid::now_v7(),
                Uuid::now_v7(),
                "user",
                agora_core::time::now(),
            )
            .expect("issue");
        let Err(TokenError::Invalid(reason)) = ours.verify(&token) else {
            panic!("accepted a token of another issuer");
        };
        assert!(reason.contains("http://127.0.0.1:8081/"), "{reason}");
        assert!(reason.contains("https://agora.test/"), "{reason}");
        assert!(reason.contains("public_url"), "{reason}");
    }

    #[test]
    fn refusals_are_logged_at_info_at_most_once_per_interval() {
        let tokens = service(JwtAlgorithm::EdDsa);
        let refused = TokenError::Invalid("bad signature".to_owned());
        assert!(tokens.log_refusal_at(&refused, 1_000));
        assert!(!tokens.log_refusal_at(&refused, 1_001));
        assert!(!tokens.log_refusal_at(&refused, 1_009));
        assert!(
            !tokens.log_refusal_at(&TokenError::Expired, 1_020),
            "expiry is routine"
        );
        assert!(tokens.log_refusal_at(&refused, 1_010 + REFUSAL_LOG_EVERY_SECONDS));
    }

    #[test]
    fn the_jwks_publishes_the_ed25519_public_key() {
        let tokens = service(JwtAlgorithm::EdDsa);
        let key = &tokens.jwks()["keys"][0];
        assert_eq!(key["kty"], "OKP");
        assert_eq!(key["crv"], "Ed25519");
        let x = key["x"].as_str().expect("x");
        assert_eq!(URL_SAFE_NO_PAD.decode(x).expect("base64url").len(), 32);
        assert!(
            service(JwtAlgorithm::Hs256).jwks()["keys"]
                .as_array()
                .expect("array")
                .is_empty()
        );
    }
}
