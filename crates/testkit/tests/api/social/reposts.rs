//! Reposts and quotes: `POST`/`DELETE /posts/{id}/reposts`; the original in the post view.

use agora_testkit::{StatusCode, TestApp, TestUser};
use serde_json::{Value, json};

use super::{id_of, notifications_of, post_by, read_post, relate};

async fn repost(
    app: &TestApp,
    user: &TestUser,
    id: &str,
    body: Option<Value>,
) -> agora_testkit::TestResponse {
    let mut request = app
        .post(&format!("/api/v1/posts/{id}/reposts"))
        .bearer(&user.access_token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await
}

#[tokio::test]
async fn a_repost_shows_its_original_counts_once_and_twice_is_a_conflict() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let original = post_by(&app, &alice, "$TSLA earnings").await;
    let id = id_of(&original);

    let response = repost(&app, &bob, id, None).await;
    response.assert_status(StatusCode::CREATED);
    let shared: Value = response.json();
    assert_eq!(shared["content"], "");
    assert_eq!(shared["repost_of"]["id"], id);
    assert_eq!(shared["repost_of"]["deleted"], false);
    assert_eq!(shared["repost_of"]["content"], "$TSLA earnings");
    assert_eq!(shared["repost_of"]["author"]["username"], "alice");
    assert_eq!(shared["quote_of"], Value::Null);
    assert_eq!(shared["reposted_by_me"], true);
    let location = response.header("location").expect("a Location").to_owned();
    let read: Value = app
        .get(&location)
        .bearer(&bob.access_token)
        .send()
        .await
        .json();
    assert_eq!(read, shared);

    assert_eq!(
        read_post(&app, Some(&bob), id).await["reposted_by_me"],
        true
    );
    assert_eq!(
        read_post(&app, Some(&alice), id).await["reposted_by_me"],
        false
    );
    assert_eq!(read_post(&app, None, id).await["repost_count"], 1);
    let reposts = notifications_of(&app, &alice, "social.repost").await;
    assert_eq!(reposts.len(), 1);
    assert_eq!(reposts[0]["title"], "bob reposted your post");

    // Twice, even through the repost itself or with `{}`: 409.
    repost(&app, &bob, id, Some(json!({})))
        .await
        .assert_problem(StatusCode::CONFLICT, "already_reposted");
    repost(&app, &bob, id_of(&shared), None)
        .await
        .assert_problem(StatusCode::CONFLICT, "already_reposted");
    // Twice at once: one of them.
    let carol = app.register("carol").await;
    let (a, b) = tokio::join!(
        repost(&app, &carol, id, None),
        repost(&app, &carol, id, None)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    assert_eq!(read_post(&app, None, id).await["repost_count"], 2);

    // The timeline shows the repost as an item with its original.
    let page: Value = app.get("/api/v1/posts").send().await.json();
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["repost_of"]["id"], id);

    // Undo: gone from the counts and the flag; undoing again is a 404.
    app.delete(&format!("/api/v1/posts/{id}/reposts"))
        .bearer(&bob.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let after = read_post(&app, Some(&bob), id).await;
    assert_eq!(
        (
            after["repost_count"].clone(),
            after["reposted_by_me"].clone()
        ),
        (json!(1), json!(false))
    );
    let again = app
        .delete(&format!("/api/v1/posts/{id}/reposts"))
        .bearer(&bob.access_token)
        .send()
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    repost(&app, &bob, id, None)
        .await
        .assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn a_quote_is_a_post_that_shows_its_original_and_a_tombstone_once_deleted() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let original = post_by(&app, &alice, "buy $NVDA").await;
    let id = id_of(&original);

    let response = repost(
        &app,
        &bob,
        id,
        Some(json!({ "comment": "  no, sell $NVDA @alice " })),
    )
    .await;
    response.assert_status(StatusCode::CREATED);
    let quote: Value = response.json();
    assert_eq!(quote["content"], "no, sell $NVDA @alice");
    assert_eq!(quote["tickers"], json!(["NVDA"]));
    assert_eq!(quote["quote_of"]["id"], id);
    assert_eq!(quote["quote_of"]["content"], "buy $NVDA");
    assert_eq!(quote["repost_of"], Value::Null);
    assert_eq!(
        quote["reposted_by_me"], false,
        "a quote is not a plain repost"
    );
    assert_eq!(read_post(&app, None, id).await["repost_count"], 1);
    assert_eq!(
        notifications_of(&app, &alice, "social.quote").await.len(),
        1
    );
    assert_eq!(
        notifications_of(&app, &alice, "social.mention").await.len(),
        1
    );

    // A quote of the quote shows it, with its own original as an id only.
    let carol = app.register("carol").await;
    let outer: Value = repost(
        &app,
        &carol,
        id_of(&quote),
        Some(json!({ "comment": "lol" })),
    )
    .await
    .json();
    assert_eq!(outer["quote_of"]["id"], id_of(&quote));
    assert_eq!(outer["quote_of"]["quote_of_id"], id);

    // A blank quote is refused as a post would be.
    let problem = repost(&app, &carol, id, Some(json!({ "comment": " " })))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem.errors[0].field, "comment");

    app.delete(&format!("/api/v1/posts/{id}"))
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let quote = read_post(&app, None, id_of(&quote)).await;
    assert_eq!(
        quote["quote_of"],
        json!({
            "id": id, "deleted": true, "author": null, "content": null, "tickers": [],
            "like_count": null, "comment_count": null, "repost_count": null,
            "created_at": null, "quote_of_id": null,
        })
    );
    // A deleted post cannot be reposted.
    let gone = repost(&app, &carol, id, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_block_hides_the_original_and_forbids_reposting_it() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let original = post_by(&app, &alice, "mine").await;
    let id = id_of(&original);
    let shared: Value = repost(&app, &carol, id, None).await.json();

    relate(&app, &alice, "block", &bob).await;
    let response = repost(&app, &bob, id, None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    // Carol's repost, read by bob: alice's post is a tombstone for him.
    let seen = read_post(&app, Some(&bob), id_of(&shared)).await;
    assert_eq!(seen["repost_of"]["deleted"], true);
    assert_eq!(seen["repost_of"]["content"], Value::Null);
    // Reposting your own post is allowed, and notifies no one.
    repost(&app, &alice, id, None)
        .await
        .assert_status(StatusCode::CREATED);
    assert_eq!(
        notifications_of(&app, &alice, "social.repost").await.len(),
        1,
        "carol's"
    );
}

/// A page of reposts and quotes costs the same number of statements whatever its size: their
/// originals, and the viewer's flags, are loaded for the whole page at once.
#[tokio::test]
async fn a_page_of_reposts_and_quotes_runs_a_fixed_number_of_statements() {
    use agora_core::UserId;
    use agora_core::pagination::{CursorSort, PageRequest};
    use agora_social::post_view::page_of;
    use agora_social::posts::queries::Listing;
    use agora_store::statements;

    let app = TestApp::spawn().await;
    let reader = app.register("reader").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    for round in 0..4 {
        let post = post_by(&app, &alice, &format!("$AAPL round {round}")).await;
        let id = id_of(&post);
        repost(
            &app,
            &bob,
            id,
            Some(json!({ "comment": format!("quote {round}") })),
        )
        .await;
        repost(&app, &reader, id, None).await;
        app.post(&format!("/api/v1/posts/{id}/reactions"))
            .bearer(&reader.access_token)
            .send()
            .await;
    }
    let reader_id = UserId(reader.id.parse().expect("a user id"));
    let mut counts = Vec::new();
    for size in [3, 6, 12] {
        let page = PageRequest {
            sort: CursorSort::new("posts", "newest"),
            limit: size,
            after: None,
        };
        let (posts, count) = statements::counted(page_of(
            app.state(),
            Listing::Everyone,
            Some(reader_id),
            &page,
        ))
        .await;
        let posts = posts.expect("a page");
        assert_eq!(posts.items.len(), size as usize);
        assert!(posts.items[0].repost_of.is_some() && posts.items[0].liked_by_me);
        counts.push(count);
    }
    assert!(
        counts.iter().all(|count| *count == counts[0]),
        "statements per page of 3, 6 and 12 posts: {counts:?}"
    );
}

#[tokio::test]
async fn a_quote_retried_with_its_idempotency_key_is_published_once() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let original = post_by(&app, &alice, "$NVDA guidance").await;
    let id = id_of(&original);
    let quote = |body: Value| {
        app.post(&format!("/api/v1/posts/{id}/reposts"))
            .bearer(&bob.access_token)
            .header("Idempotency-Key", "0193a0b0-quote-key")
            .json(&body)
    };

    let first = quote(json!({ "comment": "too rich" })).send().await;
    first.assert_status(StatusCode::CREATED);
    let retried = quote(json!({ "comment": "too rich" })).send().await;
    retried.assert_status(StatusCode::CREATED);
    assert_eq!(retried.header("idempotent-replayed"), Some("true"));
    assert_eq!(retried.json::<Value>()["id"], first.json::<Value>()["id"]);
    assert_eq!(read_post(&app, None, id).await["repost_count"], 1);
    assert_eq!(
        notifications_of(&app, &alice, "social.quote").await.len(),
        1
    );

    quote(json!({ "comment": "another text" }))
        .send()
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
}
