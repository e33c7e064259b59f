//! Notifications: what a product delivers with `notify` is listed, counted and marked read by
//! its recipient only; the recipient's channels per kind decide where it goes; the daily
//! digest gathers the unread ones into one email.

use agora_platform::email::outbox;
use agora_platform::notifications::digest;
use agora_testkit::{TestApp, TestUser};
use serde_json::{Value, json};

use crate::support::notify;

async fn unread(app: &TestApp, user: &TestUser) -> Value {
    let response = app
        .get("/api/v1/notifications/unread-count")
        .bearer(&user.access_token)
        .send()
        .await;
    assert_eq!(response.status, 200);
    response.json::<Value>()["unread"].clone()
}

async fn titles(app: &TestApp, user: &TestUser, query: &str) -> Vec<String> {
    let response = app
        .get(&format!("/api/v1/notifications{query}"))
        .bearer(&user.access_token)
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json::<Value>()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["title"].as_str().expect("a title").to_owned())
        .collect()
}

#[tokio::test]
async fn a_recipient_lists_counts_and_reads_its_notifications() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    for n in 1..=3 {
        notify(&app, &alice, "forum.reply", &format!("reply {n}")).await;
    }
    notify(&app, &bob, "forum.reply", "for bob").await;

    assert_eq!(unread(&app, &alice).await, 3);
    assert_eq!(
        titles(&app, &alice, "").await,
        ["reply 3", "reply 2", "reply 1"]
    );
    let response = app.get("/api/v1/notifications").send().await;
    assert_eq!(response.status, 401);

    // Pages of two, newest first.
    let response = app
        .get("/api/v1/notifications?limit=2")
        .bearer(&alice.access_token)
        .send()
        .await;
    let page: Value = response.json();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["items"][0]["link"], "/forum/topics/reply 3");
    assert_eq!(page["items"][0]["payload"], json!({ "title": "reply 3" }));
    assert_eq!(page["items"][0]["read_at"], Value::Null);
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let rest = titles(&app, &alice, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(rest, ["reply 1"]);
    let response = app
        .get("/api/v1/notifications?cursor=bm90IGFuIGlk")
        .bearer(&alice.access_token)
        .send()
        .await;
    assert_eq!(response.status, 422);

    // Read one: it stays listed, leaves the unread filter and the count.
    let id = page["items"][0]["id"].as_str().expect("an id").to_owned();
    let read = format!("/api/v1/notifications/{id}/read");
    let response = app.patch(&read).bearer(&alice.access_token).send().await;
    assert_eq!(response.status, 200, "{}", response.text());
    let first_read_at = response.json::<Value>()["read_at"].clone();
    assert!(first_read_at.is_string());
    // Again: the first time is kept.
    let response = app.patch(&read).bearer(&alice.access_token).send().await;
    assert_eq!(response.json::<Value>()["read_at"], first_read_at);
    assert_eq!(unread(&app, &alice).await, 2);
    assert_eq!(
        titles(&app, &alice, "?unread=true").await,
        ["reply 2", "reply 1"]
    );

    // Bob can neither read nor see Alice's.
    let response = app.patch(&read).bearer(&bob.access_token).send().await;
    assert_eq!(response.status, 404);
    assert_eq!(titles(&app, &bob, "").await, ["for bob"]);

    // Read all: only Alice's, and only the unread ones count.
    let response = app
        .post("/api/v1/notifications/read-all")
        .bearer(&alice.access_token)
        .send()
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json::<Value>()["count"], 2);
    assert_eq!(unread(&app, &alice).await, 0);
    assert_eq!(unread(&app, &bob).await, 1);
}

#[tokio::test]
async fn the_recipient_chooses_the_channels_of_each_kind() {
    let app = TestApp::spawn().await;
    let carol = app.register("carol").await;
    let preferences = "/api/v1/notifications/preferences";

    // Built in: in the app and in real time, no email.
    let response = app
        .get(preferences)
        .bearer(&carol.access_token)
        .send()
        .await;
    assert_eq!(
        response.json::<Value>(),
        json!({ "items": [{ "kind": "default", "in_app": true, "email_digest": false, "realtime": true }] })
    );
    let delivered = notify(&app, &carol, "social.like", "liked")
        .await
        .expect("delivered");
    assert!(delivered.realtime);

    // Likes: real time only; nothing is stored, nothing listed.
    let response = app
        .put(&format!("{preferences}/social.like"))
        .bearer(&carol.access_token)
        .json(&json!({ "in_app": false, "email_digest": false, "realtime": true }))
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let delivered = notify(&app, &carol, "social.like", "liked again").await;
    assert!(delivered.is_some_and(|d| d.realtime));
    assert_eq!(titles(&app, &carol, "").await, ["liked"]);

    // Every other kind: nothing at all.
    let response = app
        .put(&format!("{preferences}/default"))
        .bearer(&carol.access_token)
        .json(&json!({ "in_app": false, "email_digest": false, "realtime": false }))
        .send()
        .await;
    assert_eq!(response.status, 200);
    assert!(
        notify(&app, &carol, "forum.reply", "silenced")
            .await
            .is_none()
    );
    let response = app
        .get(preferences)
        .bearer(&carol.access_token)
        .send()
        .await;
    assert_eq!(
        response.json::<Value>(),
        json!({ "items": [
            { "kind": "default", "in_app": false, "email_digest": false, "realtime": false },
            { "kind": "social.like", "in_app": false, "email_digest": false, "realtime": true },
        ] })
    );

    // Forgetting the default brings the built-in channels back.
    let response = app
        .delete(&format!("{preferences}/default"))
        .bearer(&carol.access_token)
        .send()
        .await;
    assert_eq!(response.status, 204);
    assert!(notify(&app, &carol, "forum.reply", "heard").await.is_some());
    assert_eq!(titles(&app, &carol, "").await, ["heard", "liked"]);

    // Bad input: a kind that is not one, a channel missing or unknown.
    for (kind, body) in [
        (
            "Not A Kind",
            json!({ "in_app": true, "email_digest": true, "realtime": true }),
        ),
        ("forum.reply", json!({ "in_app": true })),
        (
            "forum.reply",
            json!({ "in_app": true, "email_digest": true, "realtime": true, "sms": true }),
        ),
    ] {
        let response = app
            .put(&format!("{preferences}/{}", kind.replace(' ', "%20")))
            .bearer(&carol.access_token)
            .json(&body)
            .send()
            .await;
        assert_eq!(response.status, 422, "{kind} {body}");
    }
}

#[tokio::test]
async fn the_digest_emails_each_unread_notification_once() {
    let app = TestApp::builder()
        .env("AGORA_JOBS_WORKERS", "0")
        .env("AGORA_APP_URL", "https://agora.example/app")
        .spawn()
        .await;
    let dave = app.register("dave").await;
    let erin = app.register("erin").await;
    let digest_on = json!({ "in_app": true, "email_digest": true, "realtime": false });
    for user in [&dave, &erin] {
        let response = app
            .put("/api/v1/notifications/preferences/forum.reply")
            .bearer(&user.access_token)
            .json(&digest_on)
            .send()
            .await;
        assert_eq!(response.status, 200);
    }
    notify(&app, &dave, "forum.reply", "first reply").await;
    notify(&app, &dave, "forum.reply", "second reply").await;
    // Not in the digest channel.
    notify(&app, &dave, "social.like", "a like").await;
    // Read before the digest: left out.
    notify(&app, &erin, "forum.reply", "already read").await;
    let response = app
        .post("/api/v1/notifications/read-all")
        .bearer(&erin.access_token)
        .send()
        .await;
    assert_eq!(response.status, 200);

    let sent = digest::send_digests(app.state(), agora_core::time::now())
        .await
        .expect("digests");
    assert_eq!(sent, 1);
    let digests: Vec<_> = outbox::list(app.db().reader())
        .await
        .expect("the outbox")
        .into_iter()
        .filter(|email| email.template == "notification_digest")
        .collect();
    assert_eq!(digests.len(), 1);
    let email = &digests[0];
    assert_eq!(email.to_address, "dave@example.com");
    assert_eq!(email.subject, "Your unread notifications");
    assert!(
        email.body_text.contains("- second reply"),
        "{}",
        email.body_text
    );
    assert!(
        email.body_text.contains("- first reply"),
        "{}",
        email.body_text
    );
    assert!(!email.body_text.contains("a like"), "{}", email.body_text);
    assert!(
        email
            .body_text
            .contains("https://agora.example/app/forum/topics/first%20reply"),
        "{}",
        email.body_text
    );
    assert!(
        email
            .body_text
            .contains("https://agora.example/app/notifications")
    );

    // Each notification is in one digest at most.
    let again = digest::send_digests(app.state(), agora_core::time::now())
        .await
        .expect("digests");
    assert_eq!(again, 0);
    // The notifications themselves stay unread in the app.
    assert_eq!(unread(&app, &dave).await, 3);
}

/// What `notify_grouped` delivers for `group` to `to` from `actor`, titled with the count.
async fn notify_grouped(app: &TestApp, to: &TestUser, actor: &TestUser, group: &str) {
    use agora_core::UserId;
    use agora_platform::notifications::{self, NewNotification};
    notifications::notify_grouped(
        app.db().writer(),
        NewNotification {
            user_id: to.id.parse::<UserId>().expect("a user id"),
            kind: "social.like".into(),
            actor_id: Some(actor.id.parse::<UserId>().expect("a user id")),
            title: format!("{} liked it", actor.username),
            body: None,
            link: None,
            payload: json!({ "group": group }),
        },
        group,
        |count| format!("{} and {} more liked it", actor.username, count - 1),
        agora_core::time::now(),
    )
    .await
    .expect("delivered");
}

#[tokio::test]
async fn a_grouped_notification_grows_while_unread_then_a_new_group_starts() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    notify_grouped(&app, &alice, &bob, "post:1").await;
    notify_grouped(&app, &alice, &carol, "post:1").await;
    notify_grouped(&app, &alice, &bob, "post:2").await;
    notify_grouped(&app, &alice, &carol, "post:1").await;
    assert_eq!(unread(&app, &alice).await, 2);
    let page: Value = app
        .get("/api/v1/notifications")
        .bearer(&alice.access_token)
        .send()
        .await
        .json();
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    let first = items
        .iter()
        .find(|n| n["payload"]["group"] == "post:1")
        .expect("the group of post 1");
    assert_eq!(first["title"], "carol and 2 more liked it");
    assert_eq!(first["payload"]["count"], 3);
    assert_eq!(first["actor_id"], carol.id.as_str());
    let second = items
        .iter()
        .find(|n| n["payload"]["group"] == "post:2")
        .expect("the group of post 2");
    assert_eq!(second["title"], "bob liked it");
    assert_eq!(second["payload"]["count"], 1);

    // Read, the group is closed: the next one starts anew.
    app.post("/api/v1/notifications/read-all")
        .bearer(&alice.access_token)
        .send()
        .await;
    notify_grouped(&app, &alice, &bob, "post:1").await;
    assert_eq!(unread(&app, &alice).await, 1);
    assert_eq!(titles(&app, &alice, "?unread=true").await, ["bob liked it"]);
    assert_eq!(app.count("notifications").await, 3);
}

#[tokio::test]
async fn of_two_rows_a_group_started_at_once_only_the_newest_grows() {
    use agora_core::UserId;
    use agora_platform::entities::notifications;
    use agora_platform::notifications::{Channels, Notification, NotificationId, queries};
    use agora_store::sea_orm::EntityTrait;
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    // Two first likes committed at the same instant each started a row of the group.
    let first = Notification {
        id: NotificationId::new(),
        kind: "social.like".into(),
        actor_id: None,
        title: "bob liked it".into(),
        body: None,
        link: None,
        payload: json!({ "group": "post:1" }),
        read_at: None,
        created_at: agora_core::time::now(),
    };
    let second = Notification {
        id: NotificationId::new(),
        title: "carol liked it".into(),
        ..first.clone()
    };
    let channels = Channels {
        in_app: true,
        email_digest: false,
        realtime: false,
    };
    let to = alice.id.parse::<UserId>().expect("a user id");
    for row in [&first, &second] {
        queries::insert(app.db().writer(), to, row, channels, Some("post:1"))
            .await
            .expect("inserted");
    }
    notify_grouped(&app, &alice, &bob, "post:1").await;
    let group_count = async |row: &Notification| {
        notifications::Entity::find_by_id(row.id.as_uuid())
            .one(app.db().reader())
            .await
            .expect("read")
            .expect("the row")
            .group_count
    };
    assert_eq!(group_count(&second).await, 2, "the newest row joined");
    assert_eq!(
        group_count(&first).await,
        1,
        "the older one is left as it was"
    );
}
