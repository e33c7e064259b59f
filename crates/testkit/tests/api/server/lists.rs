//! Every list pages the same way: a cursor continues only the list and sort it came from, and a
//! forged, tampered or foreign cursor is a 422 on `cursor`, never a 500. Numbered admin lists
//! take no cursor at all.

use agora_testkit::{StatusCode, TestApp, TestUser, json};
use serde_json::Value;

use crate::support::cursors::{assert_cursor_refused, bad_cursors, first_cursor, open, seal};
use crate::support::notify;

/// An admin with two tasks, two notifications and two audit entries: every cursor list of
/// theirs has a second page at `limit=1`.
async fn admin_with_lists(app: &TestApp) -> TestUser {
    let admin = app.admin("root").await;
    for title in ["one", "two"] {
        let response = app
            .post(&format!("/api/v1/users/{}/tasks", admin.id))
            .bearer(&admin.access_token)
            .json(&json!({ "title": title, "due_at": "2030-01-01T00:00:00Z", "priority": "high" }))
            .send()
            .await;
        response.assert_status(StatusCode::CREATED);
        notify(app, &admin, "forum.reply", title).await;
    }
    let user = app.register("subject").await;
    let response = app
        .post(&format!("/api/v1/admin/users/{}/disable", user.id))
        .bearer(&admin.access_token)
        .json(&json!({ "reason": "spam" }))
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    admin
}

#[tokio::test]
async fn forged_and_tampered_cursors_are_refused_by_every_cursor_list() {
    let app = TestApp::spawn().await;
    let admin = admin_with_lists(&app).await;
    let tasks = format!("/api/v1/users/{}/tasks", admin.id);
    for (path, sorts) in [
        (
            tasks.clone(),
            vec![
                "sort=created",
                "sort=updated&order=asc",
                "sort=due",
                "sort=priority",
            ],
        ),
        ("/api/v1/notifications".to_owned(), vec![""]),
        ("/api/v1/admin/audit-log".to_owned(), vec![""]),
    ] {
        for sort in sorts {
            let list = format!("{path}?limit=1&{sort}");
            let cursor = first_cursor(&app, &admin, &list).await;
            // The real cursor is accepted, so what follows fails for the change alone.
            let next = app
                .get(&format!("{list}&cursor={cursor}"))
                .bearer(&admin.access_token)
                .send()
                .await;
            next.assert_status(StatusCode::OK);
            for bad in bad_cursors(&cursor) {
                assert_cursor_refused(&app, &admin, &list, &bad).await;
            }
        }
    }
}

#[tokio::test]
async fn a_cursor_from_another_sort_or_another_list_is_refused() {
    let app = TestApp::spawn().await;
    let admin = admin_with_lists(&app).await;
    let tasks = format!("/api/v1/users/{}/tasks", admin.id);
    let notifications = "/api/v1/notifications";
    let audit_log = "/api/v1/admin/audit-log";
    let by_created = first_cursor(&app, &admin, &format!("{tasks}?limit=1")).await;
    let by_due = first_cursor(&app, &admin, &format!("{tasks}?limit=1&sort=due")).await;
    let of_notifications = first_cursor(&app, &admin, &format!("{notifications}?limit=1")).await;
    let of_audit_log = first_cursor(&app, &admin, &format!("{audit_log}?limit=1")).await;

    // Another sort or order of the same list.
    assert_cursor_refused(&app, &admin, &format!("{tasks}?sort=due"), &by_created).await;
    assert_cursor_refused(&app, &admin, &format!("{tasks}?order=asc"), &by_created).await;
    assert_cursor_refused(&app, &admin, &format!("{tasks}?sort=priority"), &by_due).await;
    // Another list, whose key even has the same shape (an id).
    assert_cursor_refused(&app, &admin, audit_log, &of_notifications).await;
    assert_cursor_refused(&app, &admin, notifications, &of_audit_log).await;
    assert_cursor_refused(&app, &admin, notifications, &by_created).await;
    assert_cursor_refused(&app, &admin, &tasks, &of_notifications).await;
    // The key alone, relabelled for another list, is still refused by its types.
    let mut relabelled = open(&of_notifications);
    relabelled[0] = json!("tasks");
    relabelled[1] = json!("created.desc");
    assert_cursor_refused(&app, &admin, &tasks, &seal(&relabelled)).await;
}

#[tokio::test]
async fn numbered_admin_lists_take_pages_and_no_cursor() {
    let app = TestApp::spawn().await;
    let admin = admin_with_lists(&app).await;
    let cursor = first_cursor(&app, &admin, "/api/v1/notifications?limit=1").await;
    for list in ["/api/v1/admin/users", "/api/v1/admin/jobs"] {
        let response = app
            .get(&format!("{list}?per_page=1&page=2"))
            .bearer(&admin.access_token)
            .send()
            .await;
        response.assert_status(StatusCode::OK);
        let page: Value = response.json();
        assert_eq!(
            (page["page"].clone(), page["per_page"].clone()),
            (json!(2), json!(1))
        );
        assert!(page["total"].as_u64().is_some(), "{list}: {page}");
        let response = app
            .get(&format!("{list}?cursor={cursor}"))
            .bearer(&admin.access_token)
            .send()
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().contains("unknown field `cursor`"), "{list}");
    }
}
