//! Search: `GET /search` over users, posts and tickers.

use agora_core::UserId;
use agora_social::search::routes as search_routes;
use agora_store::statements;
use agora_testkit::{StatusCode, TestApp, TestUser};
use serde_json::{Value, json};

use crate::support::cursors::{assert_cursor_refused, bad_cursors, first_cursor};

use super::{publish, relate};

/// `q` as a query parameter.
fn encoded(q: &str) -> String {
    url::form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

async fn search(app: &TestApp, viewer: Option<&TestUser>, query: &str) -> Value {
    let mut request = app.get(&format!("/api/v1/search?{query}"));
    if let Some(viewer) = viewer {
        request = request.bearer(&viewer.access_token);
    }
    let response = request.send().await;
    response.assert_status(StatusCode::OK);
    response.json()
}

fn field<'a>(results: &'a Value, list: &str, name: &str) -> Vec<&'a str> {
    results[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list} in {results}"))
        .iter()
        .map(|item| item[name].as_str().expect("a string"))
        .collect()
}

#[tokio::test]
async fn users_are_found_by_the_start_of_their_username_or_display_name_exact_first() {
    let app = TestApp::spawn().await;
    let viewer = app.register("viewer").await;
    let annabel = app.register("annabel").await;
    app.register("ann").await;
    app.register("joann").await;
    let zed = app.register("zed").await;
    app.patch("/api/v1/users/me")
        .bearer(&zed.access_token)
        .json(&json!({ "display_name": "Anne Zed" }))
        .send()
        .await
        .assert_status(StatusCode::OK);

    let found = search(&app, Some(&viewer), "type=users&q=%40Ann").await;
    assert_eq!(
        field(&found, "users", "username"),
        ["ann", "annabel", "zed"],
        "the exact username, then the prefixes, then the display names; not `joann`"
    );
    assert_eq!(found["posts"], json!([]));
    assert_eq!(found["tickers"], json!([]));
    assert_eq!(found["next_cursor"], Value::Null);

    // LIKE's wildcards are themselves.
    for wildcard in ["%25", "_", "a%25", "a_n"] {
        let found = search(&app, None, &format!("type=users&q={wildcard}")).await;
        assert_eq!(found["users"], json!([]), "{wildcard}");
    }

    // Pages of one kind.
    let first = search(&app, None, "type=users&q=ann&limit=2").await;
    assert_eq!(field(&first, "users", "username"), ["ann", "annabel"]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = search(
        &app,
        None,
        &format!("type=users&q=ann&limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(field(&second, "users", "username"), ["zed"]);
    assert_eq!(second["next_cursor"], Value::Null);
    // A cursor of another search, or of another type, is refused.
    for other in ["type=users&q=anna", "type=posts&q=ann", "type=all&q=ann"] {
        app.get(&format!("/api/v1/search?{other}&cursor={cursor}"))
            .send()
            .await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let path = "/api/v1/search?type=users&q=ann&limit=1";
    let cursor = first_cursor(&app, &viewer, path).await;
    for bad in bad_cursors(&cursor) {
        assert_cursor_refused(&app, &viewer, path, &bad).await;
    }

    // Blocks hide users either way; a disabled account is not found.
    relate(&app, &annabel, "block", &viewer).await;
    let found = search(&app, Some(&viewer), "type=users&q=ann").await;
    assert_eq!(field(&found, "users", "username"), ["ann", "zed"]);
    let found = search(&app, Some(&annabel), "type=users&q=view").await;
    assert_eq!(found["users"], json!([]), "nor the blocked by the blocker");
    let admin = app.admin("root").await;
    app.post(&format!("/api/v1/admin/users/{}/disable", zed.id))
        .bearer(&admin.access_token)
        .json(&json!({ "reason": "spam" }))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let found = search(&app, None, "type=users&q=ann").await;
    assert_eq!(field(&found, "users", "username"), ["ann", "annabel"]);
}

#[tokio::test]
async fn posts_are_found_by_their_words_best_match_first() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let once = publish(&app, &alice, "A rocket launch on Monday, with $TSLA").await;
    let twice = publish(&app, &bob, "Rocket fuel: the rocket is ready").await;
    publish(&app, &alice, "Nothing to see here").await;
    let found = search(&app, None, "type=posts&q=rocket").await;
    assert_eq!(
        field(&found, "posts", "id"),
        [twice.as_str(), once.as_str()],
        "naming the word twice ranks first"
    );
    assert_eq!(found["posts"][0]["author"]["username"], "bob");

    // Every word must appear, in any case and order; tickers are words.
    let found = search(&app, None, "type=posts&q=LAUNCH%20rocket").await;
    assert_eq!(field(&found, "posts", "id"), [once.as_str()]);
    let found = search(&app, None, "type=posts&q=%24tsla").await;
    assert_eq!(field(&found, "posts", "id"), [once.as_str()]);
    let brk = publish(&app, &bob, "Adding $BRK.B here").await;
    let found = search(&app, None, "type=posts&q=BRK.B").await;
    assert_eq!(field(&found, "posts", "id"), [brk.as_str()]);
    let found = search(&app, None, "type=posts&q=rocket%20mars").await;
    assert_eq!(found["posts"], json!([]));

    // A deleted post leaves the results.
    app.delete(&format!("/api/v1/posts/{twice}"))
        .bearer(&bob.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let found = search(&app, None, "type=posts&q=rocket").await;
    assert_eq!(field(&found, "posts", "id"), [once.as_str()]);

    // Pages.
    for n in 0..3 {
        publish(&app, &bob, &format!("moon number {n}")).await;
    }
    let first = search(&app, None, "type=posts&q=moon&limit=2").await;
    assert_eq!(first["posts"].as_array().map(Vec::len), Some(2));
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = search(
        &app,
        None,
        &format!("type=posts&q=moon&limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(second["posts"].as_array().map(Vec::len), Some(1));
    let mut seen = field(&first, "posts", "id");
    seen.extend(field(&second, "posts", "id"));
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 3);
}

#[tokio::test]
async fn posts_are_ranked_among_the_newest_matches_only() {
    let app = TestApp::builder()
        .env("AGORA_SOCIAL_SEARCH_CANDIDATES", "2")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let best_but_oldest = publish(&app, &alice, "comet comet comet comet").await;
    let newer = publish(&app, &alice, "a comet tonight").await;
    publish(&app, &alice, "nothing of the sky").await;
    let newest = publish(&app, &alice, "the comet comet again").await;
    let found = search(&app, None, "type=posts&q=comet").await;
    assert_eq!(
        field(&found, "posts", "id"),
        [newest.as_str(), newer.as_str()],
        "the two newest matches, the better first; the best match is older than them"
    );
    assert!(!field(&found, "posts", "id").contains(&best_but_oldest.as_str()));
}

#[tokio::test]
async fn a_blocked_or_muted_author_is_absent_from_post_results() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    publish(&app, &alice, "earnings call tonight").await;
    publish(&app, &bob, "earnings beat").await;
    relate(&app, &carol, "block", &alice).await;
    relate(&app, &alice, "block", &dave).await;
    relate(&app, &bob, "mute", &alice).await;
    let authors = |found: &Value| {
        let mut names: Vec<String> = found["posts"]
            .as_array()
            .expect("posts")
            .iter()
            .map(|post| {
                post["author"]["username"]
                    .as_str()
                    .expect("a name")
                    .to_owned()
            })
            .collect();
        names.sort();
        names
    };
    let q = "type=posts&q=earnings";
    assert_eq!(authors(&search(&app, None, q).await), ["alice", "bob"]);
    assert_eq!(
        authors(&search(&app, Some(&carol), q).await),
        ["bob"],
        "carol blocked alice"
    );
    assert_eq!(
        authors(&search(&app, Some(&dave), q).await),
        ["bob"],
        "alice blocked dave"
    );
    assert_eq!(
        authors(&search(&app, Some(&bob), q).await),
        ["bob"],
        "bob mutes alice"
    );
    // A muted user is still found by name; a blocked one is not.
    let found = search(&app, Some(&bob), "type=users&q=alice").await;
    assert_eq!(field(&found, "users", "username"), ["alice"]);
    let found = search(&app, Some(&carol), "type=users&q=alice").await;
    assert_eq!(found["users"], json!([]));
}

#[tokio::test]
async fn odd_text_finds_nothing_or_something_but_never_fails() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    publish(&app, &alice, "AND the NEAR term \"quoted\" 🚀 to the moon").await;
    for q in [
        "\"",
        "\"\"",
        "*",
        "**",
        "AND",
        "OR",
        "NOT",
        "NEAR(",
        "NEAR(a b",
        "a OR",
        "(",
        ")",
        "^a",
        "col:",
        "-",
        "+",
        "🚀",
        "🚀🚀 moon",
        "'",
        "\\",
        "%",
        "_",
        "' OR 1=1 --",
        "é",
        "$",
        "#",
        "@",
        " ",
        "\t",
        "a\"b",
        "{x}",
        "[x]",
    ] {
        for kind in ["all", "users", "posts", "tickers"] {
            let response = app
                .get(&format!("/api/v1/search?type={kind}&q={}", encoded(q)))
                .send()
                .await;
            assert_eq!(
                response.status,
                StatusCode::OK,
                "{kind} {q:?}: {}",
                response.text()
            );
        }
    }
    let found = search(
        &app,
        None,
        &format!("type=posts&q={}", encoded("NEAR(\"moon\" AND")),
    )
    .await;
    assert_eq!(
        found["posts"].as_array().map(Vec::len),
        Some(1),
        "its words are words"
    );

    // At most 200 characters; `q` is required and not empty.
    let longest = "m".repeat(200);
    search(&app, None, &format!("q={longest}")).await;
    let problem = app
        .get(&format!("/api/v1/search?q={}", "m".repeat(201)))
        .send()
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem.errors[0].field, "q");
    for bad in [
        "",
        "?q=",
        "?q=a&type=groups",
        "?q=a&limit=0",
        "?q=a&limit=101",
        "?q=a&sort=new",
    ] {
        app.get(&format!("/api/v1/search{bad}"))
            .send()
            .await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn tickers_are_found_by_the_start_of_their_symbol_and_all_answers_each_kind() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    app.register("aaron").await;
    publish(&app, &alice, "$AAPL $AA $AAL and $BRK.B").await;
    publish(&app, &alice, "$AAPL again, with aa in words").await;
    let found = search(&app, None, "type=tickers&q=%24aa").await;
    assert_eq!(field(&found, "tickers", "symbol"), ["AA", "AAL", "AAPL"]);
    let found = search(&app, None, "type=tickers&q=brk.").await;
    assert_eq!(field(&found, "tickers", "symbol"), ["BRK.B"]);
    let found = search(&app, None, "type=tickers&q=hello%20world").await;
    assert_eq!(found["tickers"], json!([]));
    let first = search(&app, None, "type=tickers&q=A&limit=2").await;
    assert_eq!(field(&first, "tickers", "symbol"), ["AA", "AAL"]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = search(
        &app,
        None,
        &format!("type=tickers&q=A&limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(field(&second, "tickers", "symbol"), ["AAPL"]);

    // `all` (the default): the first of each kind, no cursor.
    let found = search(&app, None, "q=aa").await;
    assert_eq!(field(&found, "users", "username"), ["aaron"]);
    assert_eq!(
        found["posts"].as_array().map(Vec::len),
        Some(2),
        "$AA and aa"
    );
    assert_eq!(field(&found, "tickers", "symbol"), ["AA", "AAL", "AAPL"]);
    assert_eq!(found["next_cursor"], Value::Null);
}

#[tokio::test]
async fn the_index_holds_the_posts_written_before_it_and_follows_edits() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let post = publish(&app, &alice, "older than the index").await;
    // Back to before the search index, and forward again: the posts are indexed.
    let migrator = agora::app::migrator();
    let status = migrator.status(app.db()).await.expect("status");
    let since_search = status
        .iter()
        .skip_while(|m| m.name != "m20261203_000600_search_trending_reports")
        .count() as u32;
    assert!(since_search > 0, "{status:?}");
    migrator
        .down(app.db(), since_search)
        .await
        .expect("reverts the search index");
    migrator.up(app.db()).await.expect("reapplies");
    let found = search(&app, None, "type=posts&q=older").await;
    assert_eq!(field(&found, "posts", "id"), [post.as_str()]);

    // A change of the text changes what finds the post.
    app.execute("UPDATE posts SET content = 'zebra crossing'")
        .await;
    let found = search(&app, None, "type=posts&q=older").await;
    assert_eq!(found["posts"], json!([]));
    let found = search(&app, None, "type=posts&q=zebra").await;
    assert_eq!(field(&found, "posts", "id"), [post.as_str()]);
}

/// A page of found posts costs the same number of statements whatever its size.
#[tokio::test]
async fn a_page_of_found_posts_runs_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    let reader = app.register("reader").await;
    for n in 0..6 {
        let author = app.register(&format!("author{n}")).await;
        for round in 0..4 {
            publish(
                &app,
                &author,
                &format!("$AAPL rally, round {round} @reader"),
            )
            .await;
        }
    }
    let reader_id = UserId(reader.id.parse().expect("a user id"));
    let mut counts = Vec::new();
    for size in [1, 5, 20] {
        let (posts, count) = statements::counted(search_routes::posts(
            app.db().reader(),
            "rally",
            Some(reader_id),
            1_000,
            0,
            size,
        ))
        .await;
        assert_eq!(posts.expect("a page").len(), size as usize);
        counts.push(count);
    }
    assert!(
        counts.iter().all(|count| *count == counts[0]),
        "statements per page of 1, 5 and 20 posts: {counts:?}"
    );
    assert!(
        (2..=12).contains(&counts[0]),
        "statements per page: {}",
        counts[0]
    );
}
