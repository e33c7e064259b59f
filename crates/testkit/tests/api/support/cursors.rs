//! Cursors as a client might misuse them: forged, tampered with, or taken from another sort or
//! another list. Every cursor list must answer each with a 422 on `cursor`
//! (`docs/api-conventions.md`, "Lists"); a product's list tests call these.

use agora_testkit::{StatusCode, TestApp, TestUser};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// The cursor of the first page of `path` (which must have a second page).
pub async fn first_cursor(app: &TestApp, user: &TestUser, path: &str) -> String {
    let response = app.get(path).bearer(&user.access_token).send().await;
    response.assert_status(StatusCode::OK);
    response.json::<Value>()["next_cursor"]
        .as_str()
        .unwrap_or_else(|| panic!("{path} has a next page"))
        .to_owned()
}

pub async fn assert_cursor_refused(app: &TestApp, user: &TestUser, path: &str, cursor: &str) {
    let separator = if path.contains('?') { '&' } else { '?' };
    let response = app
        .get(&format!("{path}{separator}cursor={cursor}"))
        .bearer(&user.access_token)
        .send()
        .await;
    response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let problem = response.problem();
    assert_eq!(problem.errors[0].field, "cursor", "{path} {cursor}");
}

/// What a cursor holds, for tests that change it as a client might.
pub fn open(cursor: &str) -> Value {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

pub fn seal(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("JSON"))
}

/// Random bytes in base64url, and base64url of JSON that is no cursor.
pub fn forged() -> Vec<String> {
    let random: [u8; 24] = rand::random();
    vec![
        URL_SAFE_NO_PAD.encode(random),
        seal(&json!({ "after": "0193a0b0-0000-7000-8000-000000000000" })),
        seal(&json!(["tasks"])),
        "not-a-cursor!".to_owned(),
    ]
}

/// `cursor` changed in ways that leave no readable key: cut short, a byte of the key replaced,
/// the key's value of another type, a key too short and too long.
pub fn tampered(cursor: &str) -> Vec<String> {
    let mut changed = Vec::new();
    changed.push(cursor[..cursor.len() - 3].to_owned());
    let value = open(cursor);
    let key = value[2].clone();
    let text = key.to_string();
    let last_digit = text
        .rfind(|c: char| c.is_ascii_hexdigit())
        .expect("a digit");
    let mut bytes = text.into_bytes();
    bytes[last_digit] = b'z';
    let broken_key: Value = serde_json::from_slice(&bytes).expect("still JSON");
    for key in [
        broken_key,
        json!(12),
        json!([true, false]),
        json!([]),
        json!([key, key]),
    ] {
        changed.push(seal(&json!([value[0], value[1], key])));
    }
    changed
}

/// Every forged cursor and every tampered version of `cursor`.
pub fn bad_cursors(cursor: &str) -> Vec<String> {
    let mut all = forged();
    all.extend(tampered(cursor));
    assert!(!all.iter().any(|bad| bad == cursor));
    all
}
