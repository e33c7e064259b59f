//! Helpers that tests of several areas share. An area's own helpers stay in its folder's
//! `mod.rs`; what is useful beyond this test binary goes to the `agora_testkit` crate.

pub mod cursors;

use agora_core::UserId;
use agora_platform::notifications::{self, Delivered, NewNotification};
use agora_testkit::{StatusCode, TestApp, TestResponse, TestUser, json};

/// Delivers a notification of `kind` to `to` as a product would (`notifications::notify` in
/// its own transaction), with a body, a link and the title in its payload. `None` when the
/// recipient's channels for `kind` keep it out of the inbox.
pub async fn notify(app: &TestApp, to: &TestUser, kind: &str, title: &str) -> Option<Delivered> {
    notifications::notify(
        app.db().writer(),
        NewNotification {
            user_id: to.id.parse::<UserId>().expect("a user id"),
            kind: kind.into(),
            actor_id: None,
            title: title.into(),
            body: Some("more".into()),
            link: Some(format!("/forum/topics/{title}")),
            payload: json!({ "title": title }),
        },
        agora_core::time::now(),
    )
    .await
    .expect("delivered")
}

/// A 429 `rate_limited` problem with `Retry-After` (whole seconds, at least one), the
/// `RateLimit-*` headers of the spent budget of `limit` requests, and a reset no sooner than
/// the retry.
#[track_caller]
pub fn assert_rate_limited(response: &TestResponse, limit: &str) {
    response.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry_after: u64 = response
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After is whole seconds");
    assert!(retry_after >= 1, "{retry_after}");
    assert_eq!(response.header("ratelimit-limit"), Some(limit));
    assert_eq!(response.header("ratelimit-remaining"), Some("0"));
    let reset: u64 = response
        .header("ratelimit-reset")
        .expect("RateLimit-Reset")
        .parse()
        .expect("seconds");
    assert!(
        reset >= retry_after,
        "reset {reset} < retry-after {retry_after}"
    );
}
