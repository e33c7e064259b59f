//! Follows, mutes and blocks: `/users/{user_id}/follow|mute|block`, the followers and
//! following lists, `/content-filters`.

use agora_testkit::{Page, StatusCode, TestApp, TestUser};
use serde::Deserialize;
use serde_json::Value;

use crate::support::cursors::{assert_cursor_refused, bad_cursors, first_cursor, open, seal};

#[derive(Debug, Deserialize)]
struct Related {
    user: Summary,
}

#[derive(Debug, Deserialize)]
struct Summary {
    username: String,
}

async fn act(app: &TestApp, user: &TestUser, method: &str, target: &str, what: &str) -> StatusCode {
    let path = format!("/api/v1/users/{target}/{what}");
    let request = match method {
        "POST" => app.post(&path),
        _ => app.delete(&path),
    };
    request.bearer(&user.access_token).send().await.status
}

async fn follow(app: &TestApp, user: &TestUser, target: &TestUser) -> StatusCode {
    act(app, user, "POST", &target.id, "follow").await
}

/// The usernames of a list's first page.
async fn names(app: &TestApp, viewer: Option<&TestUser>, path: &str) -> Vec<String> {
    let mut request = app.get(path);
    if let Some(viewer) = viewer {
        request = request.bearer(&viewer.access_token);
    }
    let response = request.send().await;
    response.assert_status(StatusCode::OK);
    response
        .json::<Page<Related>>()
        .items
        .into_iter()
        .map(|r| r.user.username)
        .collect()
}

/// (followers, following) of `user`'s public profile.
async fn counts(app: &TestApp, user: &TestUser) -> (i64, i64) {
    let profile: Value = app
        .get(&format!("/api/v1/users/{}", user.id))
        .send()
        .await
        .json();
    let counts = &profile["counts"];
    (
        counts["followers"].as_i64().expect("followers"),
        counts["following"].as_i64().expect("following"),
    )
}

#[tokio::test]
async fn following_counts_on_both_profiles_once_and_notifies_the_followed() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    assert_eq!(follow(&app, &alice, &bob).await, StatusCode::NO_CONTENT);
    assert_eq!(
        follow(&app, &alice, &bob).await,
        StatusCode::NO_CONTENT,
        "again: no change"
    );
    assert_eq!(counts(&app, &bob).await, (1, 0));
    assert_eq!(counts(&app, &alice).await, (0, 1));
    assert_eq!(app.count("user_relations").await, 1);

    let notifications: Value = app
        .get("/api/v1/notifications")
        .bearer(&bob.access_token)
        .send()
        .await
        .json();
    let items = notifications["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "one notification for two follow requests");
    assert_eq!(items[0]["kind"], "social.follow");
    assert_eq!(items[0]["payload"]["follower"]["username"], "alice");

    assert_eq!(
        names(&app, None, &format!("/api/v1/users/{}/followers", bob.id)).await,
        ["alice"]
    );
    assert_eq!(
        names(&app, Some(&alice), "/api/v1/users/me/following").await,
        ["bob"]
    );

    assert_eq!(
        act(&app, &alice, "DELETE", &bob.id, "follow").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        act(&app, &alice, "DELETE", &bob.id, "follow").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(counts(&app, &bob).await, (0, 0));
    assert_eq!(counts(&app, &alice).await, (0, 0));
}

#[tokio::test]
async fn nobody_follows_mutes_or_blocks_themselves_or_a_missing_user() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    for what in ["follow", "mute", "block"] {
        for target in ["me", alice.id.as_str()] {
            let response = app
                .post(&format!("/api/v1/users/{target}/{what}"))
                .bearer(&alice.access_token)
                .send()
                .await;
            response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "self_relation");
        }
        let missing = "0193a0b0-0000-7000-8000-000000000000";
        assert_eq!(
            act(&app, &alice, "POST", missing, what).await,
            StatusCode::NOT_FOUND
        );
        let anonymous = app
            .post(&format!("/api/v1/users/{missing}/{what}"))
            .send()
            .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.count("user_relations").await, 0);
}

#[tokio::test]
async fn a_block_ends_follows_both_ways_and_hides_each_side_from_the_other() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    follow(&app, &alice, &bob).await;
    follow(&app, &bob, &alice).await;
    follow(&app, &carol, &alice).await;
    follow(&app, &bob, &carol).await;

    assert_eq!(
        act(&app, &alice, "POST", &bob.id, "block").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        counts(&app, &alice).await,
        (1, 0),
        "carol still follows alice"
    );
    assert_eq!(counts(&app, &bob).await, (0, 1), "bob still follows carol");

    // Bob cannot follow alice again, nor see her lists; alice must unblock first.
    assert_eq!(follow(&app, &bob, &alice).await, StatusCode::NOT_FOUND);
    let response = app
        .post(&format!("/api/v1/users/{}/follow", bob.id))
        .bearer(&alice.access_token)
        .send()
        .await;
    response.assert_problem(StatusCode::CONFLICT, "blocked");
    let hidden = app
        .get(&format!("/api/v1/users/{}/followers", alice.id))
        .bearer(&bob.access_token)
        .send()
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    // In others' lists, each is left out for the other.
    let carol_followers = format!("/api/v1/users/{}/followers", carol.id);
    assert_eq!(
        names(&app, Some(&alice), &carol_followers).await,
        Vec::<String>::new()
    );
    assert_eq!(names(&app, None, &carol_followers).await, ["bob"]);
    let carol_following = format!("/api/v1/users/{}/following", carol.id);
    assert_eq!(
        names(&app, Some(&bob), &carol_following).await,
        Vec::<String>::new()
    );
    assert_eq!(names(&app, Some(&carol), &carol_following).await, ["alice"]);

    // Unblocking does not bring the follows back.
    assert_eq!(
        act(&app, &alice, "DELETE", &bob.id, "block").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(counts(&app, &bob).await, (0, 1));
    assert_eq!(follow(&app, &bob, &alice).await, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn content_filters_list_the_callers_mutes_and_blocks() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    assert_eq!(
        act(&app, &alice, "POST", &bob.id, "mute").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        act(&app, &alice, "POST", &bob.id, "mute").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        act(&app, &alice, "POST", &carol.id, "block").await,
        StatusCode::NO_CONTENT
    );
    let mutes = names(&app, Some(&alice), "/api/v1/content-filters?kind=mute").await;
    assert_eq!(mutes, ["bob"]);
    let blocks = names(&app, Some(&alice), "/api/v1/content-filters?kind=block").await;
    assert_eq!(blocks, ["carol"]);
    assert_eq!(
        names(&app, Some(&bob), "/api/v1/content-filters?kind=mute").await,
        Vec::<String>::new()
    );
    assert_eq!(
        app.get("/api/v1/content-filters?kind=mute")
            .send()
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        act(&app, &alice, "DELETE", &bob.id, "mute").await,
        StatusCode::NO_CONTENT
    );
    assert!(
        names(&app, Some(&alice), "/api/v1/content-filters?kind=mute")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_follower_lists_page_newest_first_and_refuse_bad_cursors() {
    let app = TestApp::spawn().await;
    let star = app.register("star").await;
    let mut fans = Vec::new();
    for n in 0..5 {
        let fan = app.register(&format!("fan{n}")).await;
        follow(&app, &fan, &star).await;
        fans.push(fan);
    }
    let path = format!("/api/v1/users/{}/followers?limit=2", star.id);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(cursor) => format!("{path}&cursor={cursor}"),
            None => path.clone(),
        };
        let page: Page<Related> = app.get(&url).send().await.json();
        seen.extend(page.items.into_iter().map(|r| r.user.username));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["fan4", "fan3", "fan2", "fan1", "fan0"]);

    let first = first_cursor(&app, &star, &path).await;
    for bad in bad_cursors(&first) {
        assert_cursor_refused(&app, &star, &path, &bad).await;
    }
    // A cursor of the followers list does not continue the following list.
    let mut other = open(&first);
    other[0] = "following".into();
    let following = format!("/api/v1/users/{}/following?limit=2", fans[0].id);
    assert_cursor_refused(&app, &star, &following, &first).await;
    assert_cursor_refused(&app, &star, &path, &seal(&other)).await;
}

/// `followed_by_me` of `user`'s public profile as `viewer` sees it, or the status when it is
/// not found.
async fn followed_by_me(
    app: &TestApp,
    viewer: Option<&TestUser>,
    user: &TestUser,
) -> Result<Value, StatusCode> {
    let mut request = app.get(&format!("/api/v1/users/{}", user.username));
    if let Some(viewer) = viewer {
        request = request.bearer(&viewer.access_token);
    }
    let response = request.send().await;
    if response.status != StatusCode::OK {
        return Err(response.status);
    }
    Ok(response.json::<Value>()["followed_by_me"].clone())
}

#[tokio::test]
async fn a_public_profile_says_whether_the_viewer_follows_and_a_block_hides_it() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    assert_eq!(followed_by_me(&app, None, &bob).await, Ok(Value::Null));
    assert_eq!(
        followed_by_me(&app, Some(&alice), &bob).await,
        Ok(Value::Bool(false))
    );
    follow(&app, &alice, &bob).await;
    assert_eq!(
        followed_by_me(&app, Some(&alice), &bob).await,
        Ok(Value::Bool(true))
    );
    assert_eq!(
        followed_by_me(&app, Some(&bob), &bob).await,
        Ok(Value::Null),
        "one's own"
    );

    act(&app, &bob, "POST", &alice.id, "block").await;
    assert_eq!(
        followed_by_me(&app, Some(&alice), &bob).await,
        Err(StatusCode::NOT_FOUND)
    );
    assert_eq!(
        followed_by_me(&app, Some(&bob), &alice).await,
        Err(StatusCode::NOT_FOUND)
    );
    assert_eq!(
        followed_by_me(&app, None, &bob).await,
        Ok(Value::Null),
        "others still see it"
    );
}

#[tokio::test]
async fn without_the_social_module_a_profile_has_no_follows_to_tell() {
    let app = TestApp::builder()
        .env("AGORA_MODULES", "tasks")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    assert_eq!(
        followed_by_me(&app, Some(&alice), &bob).await,
        Ok(Value::Null)
    );
    assert_eq!(
        act(&app, &alice, "POST", &bob.id, "follow").await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn concurrent_follows_of_one_pair_count_once() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let follows = (0..8).map(|_| follow(&app, &alice, &bob));
    for status in futures::future::join_all(follows).await {
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    assert_eq!(app.count("user_relations").await, 1);
    assert_eq!(counts(&app, &bob).await, (1, 0));
    assert_eq!(counts(&app, &alice).await, (0, 1));
    assert_eq!(
        app.count("notifications WHERE kind = 'social.follow'")
            .await,
        1
    );
}
