//! The home feed: `GET /feed`.

use std::time::Duration;

use agora_core::UserId;
use agora_core::pagination::{CursorSort, PageRequest};
use agora_platform::realtime::{Event, Room};
use agora_social::post_view::page_of;
use agora_social::posts::queries::{self, Listing};
use agora_store::statements;
use agora_testkit::{Page, StatusCode, TestApp, TestUser, eventually};
use serde_json::{Value, json};

use crate::support::cursors::{assert_cursor_refused, bad_cursors, first_cursor};

use super::{publish, relate};

async fn feed_page(app: &TestApp, user: &TestUser, query: &str) -> Page<Value> {
    let response = app
        .get(&format!("/api/v1/feed{query}"))
        .bearer(&user.access_token)
        .send()
        .await;
    response.assert_status(StatusCode::OK);
    response.json()
}

fn contents(page: &Page<Value>) -> Vec<&str> {
    page.items
        .iter()
        .map(|post| post["content"].as_str().expect("content"))
        .collect()
}

#[tokio::test]
async fn the_feed_holds_own_and_followed_posts_newest_first_without_muted_or_blocked_authors() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    let erin = app.register("erin").await;
    for followed in [&bob, &carol, &dave] {
        relate(&app, &alice, "follow", followed).await;
    }
    publish(&app, &alice, "alice 1").await;
    publish(&app, &bob, "bob 1").await;
    publish(&app, &carol, "carol 1").await;
    publish(&app, &dave, "dave 1").await;
    publish(&app, &erin, "erin 1 (not followed)").await;
    publish(&app, &bob, "bob 2").await;

    let page = feed_page(&app, &alice, "").await;
    assert_eq!(
        contents(&page),
        ["bob 2", "dave 1", "carol 1", "bob 1", "alice 1"]
    );
    assert_eq!(page.items[0]["author"]["username"], "bob");

    // Muting a followed account hides it; a block either way hides it too (and ends the follow).
    relate(&app, &alice, "mute", &carol).await;
    relate(&app, &dave, "block", &alice).await;
    let page = feed_page(&app, &alice, "").await;
    assert_eq!(contents(&page), ["bob 2", "bob 1", "alice 1"]);

    // Following someone later brings their earlier posts in, in their place in time.
    relate(&app, &alice, "follow", &erin).await;
    let page = feed_page(&app, &alice, "").await;
    assert_eq!(
        contents(&page),
        ["bob 2", "erin 1 (not followed)", "bob 1", "alice 1"]
    );

    let anonymous = app.get("/api/v1/feed").send().await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_feed_cursor_holds_while_new_posts_arrive() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    relate(&app, &alice, "follow", &bob).await;
    for n in 1..=5 {
        publish(&app, &bob, &format!("post {n}")).await;
    }
    let first = feed_page(&app, &alice, "?limit=2").await;
    assert_eq!(contents(&first), ["post 5", "post 4"]);
    // New posts land above the first page; the next pages go on where the first stopped.
    publish(&app, &bob, "post 6").await;
    publish(&app, &alice, "post 7").await;
    let cursor = first.next_cursor.clone().expect("a next page");
    let second = feed_page(&app, &alice, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(contents(&second), ["post 3", "post 2"]);
    let cursor = second.next_cursor.clone().expect("a last page");
    let third = feed_page(&app, &alice, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(contents(&third), ["post 1"]);
    assert_eq!(third.next_cursor, None);
    // The new posts are on a fresh first page.
    assert_eq!(
        contents(&feed_page(&app, &alice, "?limit=2").await),
        ["post 7", "post 6"]
    );
}

#[tokio::test]
async fn the_feed_refuses_bad_cursors() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    publish(&app, &alice, "one").await;
    publish(&app, &alice, "two").await;
    let path = "/api/v1/feed?limit=1";
    let cursor = first_cursor(&app, &alice, path).await;
    for bad in bad_cursors(&cursor) {
        assert_cursor_refused(&app, &alice, path, &bad).await;
    }
}

/// A page of the feed costs the same number of statements whatever the number of posts, authors
/// and their parts on it: everything a post shows is loaded for the whole page at once.
#[tokio::test]
async fn a_feed_page_runs_a_fixed_number_of_statements_whatever_its_size() {
    let app = TestApp::spawn().await;
    let reader = app.register("reader").await;
    let mut authors = Vec::new();
    for n in 0..6 {
        let author = app.register(&format!("author{n}")).await;
        relate(&app, &reader, "follow", &author).await;
        authors.push(author);
    }
    for round in 0..4 {
        for (n, author) in authors.iter().enumerate() {
            publish(&app, author, &format!("$AAPL round {round} by {n} @reader")).await;
        }
    }
    let reader_id = UserId(reader.id.parse().expect("a user id"));
    let mut counts = Vec::new();
    for size in [1, 5, 20] {
        let page = PageRequest {
            sort: CursorSort::new("feed", "newest"),
            limit: size,
            after: None,
        };
        let (posts, count) = statements::counted(page_of(
            app.state(),
            Listing::Feed(reader_id),
            Some(reader_id),
            &page,
        ))
        .await;
        let posts = posts.expect("a page");
        assert_eq!(posts.items.len(), size as usize);
        counts.push(count);
    }
    assert!(
        counts.iter().all(|count| *count == counts[0]),
        "statements per page of 1, 5 and 20 posts: {counts:?}"
    );
    // At least the page and its authors; and few.
    assert!(
        (2..=12).contains(&counts[0]),
        "statements per page: {}",
        counts[0]
    );
}

/// A new post is announced in the user room of each follower of its author, except those who
/// mute the author, as an ephemeral `feed.post` (no event id: nothing to resume from).
#[tokio::test]
async fn a_new_post_is_announced_live_to_followers_who_do_not_mute_its_author() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    relate(&app, &bob, "follow", &alice).await;
    relate(&app, &carol, "follow", &alice).await;
    relate(&app, &carol, "mute", &alice).await;
    let mut bobs = app.socket(&bob).await;
    bobs.subscribe(&format!("user:{}", bob.id)).await;
    let mut carols = app.socket(&carol).await;
    carols.subscribe(&format!("user:{}", carol.id)).await;

    let post_id = publish(&app, &alice, "fresh $NVDA take").await;
    let event = bobs.next_of_type("feed.post").await;
    assert_eq!(event["payload"]["post_id"], post_id.as_str());
    assert_eq!(event["payload"]["author_id"], alice.id.as_str());
    assert!(event.get("id").is_none(), "ephemeral: {event}");

    // Once the announcement has run, carol's room has had nothing of it: the next frame she
    // gets is one published after it.
    eventually(
        Duration::from_secs(10),
        "the announcement job",
        async || {
            let done = app
                .count("jobs WHERE kind = 'social.announce_post' AND status = 'succeeded'")
                .await;
            (done == 1).then_some(())
        },
    )
    .await;
    let room = Room::parse(&format!("user:{}", carol.id)).expect("a room");
    app.state()
        .realtime()
        .publish(Event::new(room, "marker", json!({})))
        .await;
    let next = loop {
        let frame = carols.next_json().await;
        if frame["type"] != "presence" {
            break frame;
        }
    };
    assert_eq!(next["type"], "marker", "{next}");
}

/// A feed page is read author by author (a few hundred authors at most) or by one scan of the
/// newest posts: both give the same pages.
#[tokio::test]
async fn both_ways_of_reading_a_feed_give_the_same_pages() {
    let app = TestApp::spawn().await;
    let reader = app.register("reader").await;
    let mut authors = Vec::new();
    for n in 0..4 {
        let author = app.register(&format!("author{n}")).await;
        relate(&app, &reader, "follow", &author).await;
        authors.push(author);
    }
    let stranger = app.register("stranger").await;
    relate(&app, &reader, "mute", &authors[3]).await;
    for round in 0..5 {
        for author in authors.iter().chain([&reader, &stranger]) {
            publish(&app, author, &format!("round {round}")).await;
        }
    }
    let reader_id = UserId(reader.id.parse().expect("a user id"));
    let db = app.state().db().reader();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = PageRequest {
            sort: CursorSort::new("feed", "newest"),
            limit: 4,
            after,
        };
        let one_by_one = queries::feed(db, reader_id, &page, 400)
            .await
            .expect("a page");
        let by_scan = queries::feed(db, reader_id, &page, 0)
            .await
            .expect("a page");
        let ids = |rows: &[agora_social::posts::entity::post::Model]| {
            rows.iter().map(|row| row.id).collect::<Vec<_>>()
        };
        assert_eq!(ids(&one_by_one), ids(&by_scan), "page {pages}");
        pages += 1;
        if one_by_one.len() <= 4 {
            break;
        }
        let last = &one_by_one[3];
        after = Some((last.created_at, last.id));
    }
    // Three followed authors and the reader, five rounds: 20 posts in pages of 4 (the last one
    // tells there is no more).
    assert_eq!(pages, 5);
}

/// A followed account's plain repost does not bring back an author the reader mutes or is
/// blocked from, in the feed (both ways of reading it) or the public timeline; a quote is its
/// author's own words and stays.
#[tokio::test]
async fn a_repost_does_not_bring_back_a_muted_or_blocked_author() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    relate(&app, &alice, "follow", &bob).await;
    let carols = publish(&app, &carol, "carol's take").await;
    let daves = publish(&app, &dave, "dave's take").await;
    let share = |id: String, body: Option<Value>| {
        let mut request = app
            .post(&format!("/api/v1/posts/{id}/reposts"))
            .bearer(&bob.access_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            request.send().await.assert_status(StatusCode::CREATED);
        }
    };
    share(carols.clone(), None).await;
    share(daves.clone(), None).await;
    share(carols.clone(), Some(json!({ "comment": "bob on carol" }))).await;

    let reposted = |page: &Page<Value>| -> Vec<String> {
        page.items
            .iter()
            .filter(|post| post["content"] == "")
            .map(|post| {
                post["repost_of"]["id"]
                    .as_str()
                    .expect("an original")
                    .to_owned()
            })
            .collect()
    };
    let before = feed_page(&app, &alice, "").await;
    assert_eq!(reposted(&before), [daves.clone(), carols.clone()]);

    relate(&app, &alice, "mute", &carol).await;
    relate(&app, &dave, "block", &alice).await;
    let after = feed_page(&app, &alice, "").await;
    assert_eq!(reposted(&after), Vec::<String>::new());
    assert_eq!(contents(&after), ["bob on carol"]);

    let reader_id = UserId(alice.id.parse().expect("a user id"));
    let page = PageRequest {
        sort: CursorSort::new("feed", "newest"),
        limit: 20,
        after: None,
    };
    let db = app.state().db().reader();
    for one_by_one in [400, 0] {
        let rows = queries::feed(db, reader_id, &page, one_by_one)
            .await
            .expect("a page");
        let contents: Vec<_> = rows.iter().map(|row| row.content.as_str()).collect();
        assert_eq!(
            contents,
            ["bob on carol"],
            "read with one_by_one = {one_by_one}"
        );
    }

    let timeline = |user: &TestUser| {
        let request = app.get("/api/v1/posts").bearer(&user.access_token);
        async move {
            let response = request.send().await;
            response.assert_status(StatusCode::OK);
            response.json::<Page<Value>>()
        }
    };
    assert_eq!(reposted(&timeline(&alice).await), Vec::<String>::new());
    assert_eq!(
        reposted(&timeline(&bob).await),
        [daves, carols],
        "muting is private"
    );
}
