//! The list of tasks: filters, sorts (tasks without a due date last), cursor pages that show
//! every task once while tasks come and go, and the page size setting.

use std::collections::HashSet;

use agora_testkit::{StatusCode, TestApp, TestUser, json};
use serde_json::Value;

use crate::support::cursors::{assert_cursor_refused, bad_cursors, first_cursor};

use super::{create, list, patch, task_path, tasks_path, text};

/// Every task of a list, following `next_cursor` (with `query` on each page).
async fn all_pages(app: &TestApp, user: &TestUser, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = list(app, user, query, cursor.as_deref()).await;
        items.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return items,
        }
    }
}

fn titles(items: &[Value]) -> Vec<&str> {
    items.iter().map(|task| text(&task["title"])).collect()
}

#[tokio::test]
async fn the_list_filters_by_words_status_priority_tag_due_dates_and_overdue() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    create(
        &app,
        &bob,
        json!({ "title": "Bob's milk", "tags": ["home"] }),
    )
    .await;
    for body in [
        json!({ "title": "Buy MILK", "tags": ["home"], "due_at": "2000-01-01T00:00:00Z" }),
        json!({ "title": "Pay rent", "description": "Before the 5th; milk money too", "priority": "high", "due_at": "2099-01-01T00:00:00Z" }),
        json!({ "title": "Fix 100% of bugs", "status": "in_progress", "tags": ["work"] }),
        json!({ "title": "Filed taxes", "status": "done", "due_at": "2001-01-01T00:00:00Z", "tags": ["home", "money"] }),
    ] {
        create(&app, &alice, body).await;
    }
    let cases = [
        ("q=milk", vec!["Pay rent", "Buy MILK"]),
        ("q=%25", vec!["Fix 100% of bugs"]),
        ("q=_", vec![]),
        ("status=done", vec!["Filed taxes"]),
        ("status=in_progress", vec!["Fix 100% of bugs"]),
        ("priority=high", vec!["Pay rent"]),
        ("tag=HOME", vec!["Filed taxes", "Buy MILK"]),
        ("tag=home&status=todo", vec!["Buy MILK"]),
        (
            "due_before=2050-01-01T00:00:00Z",
            vec!["Filed taxes", "Buy MILK"],
        ),
        (
            "due_after=2001-01-01T00:00:00Z",
            vec!["Filed taxes", "Pay rent"],
        ),
        ("overdue=true", vec!["Buy MILK"]),
        (
            "overdue=false",
            vec!["Filed taxes", "Fix 100% of bugs", "Pay rent"],
        ),
    ];
    for (query, expected) in cases {
        let items = all_pages(&app, &alice, query).await;
        let mut got = titles(&items);
        if query.starts_with("due_after") || query.starts_with("overdue=false") {
            got.sort_unstable();
        }
        assert_eq!(got, expected, "{query}");
    }
    for bad in [
        "status=later",
        "sort=title",
        "order=up",
        "limit=0",
        "limit=101",
        "due_before=soon",
        "color=red",
    ] {
        let response = app
            .get(&format!("{}?{bad}", tasks_path(&alice)))
            .bearer(&alice.access_token)
            .send()
            .await;
        response.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.problem().code, "validation_failed", "{bad}");
    }
}

#[tokio::test]
async fn every_sort_orders_both_ways_with_tasks_without_due_date_last() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mut created = Vec::new();
    for (title, priority, due) in [
        ("a", "low", Some("2030-03-01T00:00:00Z")),
        ("b", "high", None),
        ("c", "medium", Some("2030-01-01T00:00:00Z")),
        ("d", "high", Some("2030-02-01T00:00:00Z")),
        ("e", "low", None),
    ] {
        created.push(
            create(
                &app,
                &alice,
                json!({ "title": title, "priority": priority, "due_at": due }),
            )
            .await,
        );
    }
    // Touch "a" so that it is the most recently updated.
    patch(
        &app,
        &alice,
        &created[0],
        json!({ "description": "touched", "version": 1 }),
    )
    .await
    .assert_status(StatusCode::OK);

    let cases = [
        ("", vec!["e", "d", "c", "b", "a"]),
        ("sort=created&order=asc", vec!["a", "b", "c", "d", "e"]),
        ("sort=updated", vec!["a", "e", "d", "c", "b"]),
        ("sort=due", vec!["c", "d", "a", "b", "e"]),
        ("sort=due&order=desc", vec!["a", "d", "c", "e", "b"]),
        ("sort=priority", vec!["d", "b", "c", "e", "a"]),
        ("sort=priority&order=asc", vec!["a", "e", "c", "b", "d"]),
    ];
    for (query, expected) in cases {
        // Pages of two, so that every sort also crosses page boundaries (and, for `due`, the
        // boundary between dated and undated tasks).
        let items = all_pages(&app, &alice, &format!("limit=2&{query}")).await;
        assert_eq!(titles(&items), expected, "{query}");
    }
}

#[tokio::test]
async fn cursor_pages_show_every_task_once_while_tasks_come_and_go() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        tasks.push(create(&app, &alice, json!({ "title": format!("task {i:02}") })).await);
    }
    // Newest first: page one holds tasks 11..8.
    let first = list(&app, &alice, "limit=4", None).await;
    assert_eq!(
        titles(&first.items),
        ["task 11", "task 10", "task 09", "task 08"]
    );

    // Meanwhile: a new task, one deleted from page one, one deleted from a later page.
    create(&app, &alice, json!({ "title": "new" })).await;
    for gone in [&tasks[10], &tasks[3]] {
        app.delete(&task_path(&alice, gone))
            .bearer(&alice.access_token)
            .header("if-match", "\"1\"")
            .send()
            .await
            .assert_status(StatusCode::NO_CONTENT);
    }
    let mut seen: Vec<String> = titles(&first.items).iter().map(|t| t.to_string()).collect();
    let mut cursor = first.next_cursor;
    while let Some(next) = cursor {
        let page = list(&app, &alice, "limit=4", Some(&next)).await;
        seen.extend(titles(&page.items).iter().map(|t| t.to_string()));
        cursor = page.next_cursor;
    }
    let expected: Vec<String> = (0..12)
        .rev()
        .filter(|i| *i != 3)
        .map(|i| format!("task {i:02}"))
        .collect();
    assert_eq!(seen, expected);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());
}

#[tokio::test]
async fn a_cursor_only_continues_the_list_it_came_from() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    for i in 0..3 {
        create(&app, &alice, json!({ "title": format!("t{i}") })).await;
    }
    let path = tasks_path(&alice);
    let cursor = first_cursor(&app, &alice, &format!("{path}?limit=1&sort=due")).await;
    for other_sort in ["limit=1&sort=created", "limit=1&sort=due&order=desc"] {
        assert_cursor_refused(&app, &alice, &format!("{path}?{other_sort}"), &cursor).await;
    }
    for bad in bad_cursors(&cursor) {
        assert_cursor_refused(&app, &alice, &format!("{path}?limit=1&sort=due"), &bad).await;
    }
}

#[tokio::test]
async fn the_page_size_setting_is_the_limit_of_a_list_that_gives_none() {
    let app = TestApp::builder()
        .env("AGORA_TASKS_PAGE_SIZE", "3")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    for i in 0..4 {
        create(&app, &alice, json!({ "title": format!("task {i}") })).await;
    }
    let page = list(&app, &alice, "", None).await;
    assert_eq!(titles(&page.items), ["task 3", "task 2", "task 1"]);
    assert!(page.next_cursor.is_some(), "{page:?}");
    // A limit in the request still wins, up to the largest.
    let page = list(&app, &alice, "limit=4", None).await;
    assert_eq!(page.items.len(), 4);
    assert_eq!(page.next_cursor, None);
}
