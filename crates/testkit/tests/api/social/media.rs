//! Media on posts: `POST /posts` with `media` (the author's own uploads, up to 4) and the
//! media of the post view.

use std::io::Cursor;

use agora_core::UserId;
use agora_core::pagination::{CursorSort, PageRequest};
use agora_social::post_view::page_of;
use agora_social::posts::queries::Listing;
use agora_store::statements;
use agora_testkit::{StatusCode, TestApp, TestResponse, TestUser};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};

/// Uploads a PNG of `width` × `height` as `user`; returns its key.
async fn upload(app: &TestApp, user: &TestUser, width: u32, height: u32) -> String {
    let image = DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    }));
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .expect("the test image encodes");
    let boundary = "agora-social-media-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"chart.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&png);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = app
        .post("/api/v1/media/upload")
        .bearer(&user.access_token)
        .body(&format!("multipart/form-data; boundary={boundary}"), body)
        .send()
        .await;
    response.assert_status(StatusCode::CREATED);
    response.json::<Value>()["items"][0]["key"]
        .as_str()
        .expect("a key")
        .to_owned()
}

async fn publish(app: &TestApp, user: &TestUser, media: &[&str]) -> TestResponse {
    app.post("/api/v1/posts")
        .bearer(&user.access_token)
        .json(&json!({ "content": "Look at this chart $TSLA", "media": media }))
        .send()
        .await
}

#[tokio::test]
async fn a_post_shows_its_authors_uploads_in_order_with_urls() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let large = upload(&app, &alice, 600, 300).await;
    let small = upload(&app, &alice, 100, 80).await;
    let response = publish(&app, &alice, &[&large, &small]).await;
    response.assert_status(StatusCode::CREATED);
    let post: Value = response.json();
    let media = post["media"].as_array().expect("media");
    assert_eq!(media.len(), 2);
    assert_eq!(media[0]["key"], large.as_str());
    assert_eq!(media[0]["url"], format!("/media/{large}"));
    assert_eq!(media[0]["content_type"], "image/png");
    assert_eq!(media[0]["width"], 600);
    assert_eq!(media[0]["height"], 300);
    let thumbnail = media[0]["thumbnail_url"].as_str().expect("a thumbnail");
    assert!(thumbnail.ends_with("_256.png"), "{thumbnail}");
    // The thumbnail is served.
    app.get(thumbnail)
        .send()
        .await
        .assert_status(StatusCode::OK);
    // An image no larger than the thumbnail is its own.
    assert_eq!(media[1]["key"], small.as_str());
    assert_eq!(media[1]["thumbnail_url"], format!("/media/{small}"));

    let read: Value = app
        .get(&format!(
            "/api/v1/posts/{}",
            post["id"].as_str().expect("an id")
        ))
        .send()
        .await
        .json();
    assert_eq!(read["media"], post["media"]);
    let page: Value = app
        .get(&format!("/api/v1/users/{}/posts", alice.id))
        .send()
        .await
        .json();
    assert_eq!(page["items"][0]["media"], post["media"]);
    assert_eq!(app.count("post_media").await, 2);

    // A post without media shows none.
    let plain: Value = publish(&app, &alice, &[]).await.json();
    assert_eq!(plain["media"], json!([]));
}

#[tokio::test]
async fn another_users_upload_or_an_unknown_key_is_refused_naming_it() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let own = upload(&app, &alice, 50, 50).await;
    let bobs = upload(&app, &bob, 50, 50).await;
    let problem = publish(&app, &alice, &[&own, &bobs, "uploads/2026/12/nothing.png"])
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["media[1]", "media[2]"]);
    assert_eq!(app.count("posts").await, 0);
    assert_eq!(app.count("post_media").await, 0);
}

#[tokio::test]
async fn a_post_shows_at_most_four_uploads_each_once() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mut keys = Vec::new();
    for _ in 0..5 {
        keys.push(upload(&app, &alice, 40, 40).await);
    }
    let all: Vec<&str> = keys.iter().map(String::as_str).collect();
    let problem = publish(&app, &alice, &all)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem.errors[0].field, "media");
    assert_eq!(problem.errors[0].code.as_str(), "too_long");
    let problem = publish(&app, &alice, &[all[0], all[1], all[0]])
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem.errors[0].field, "media[2]");
    assert_eq!(problem.errors[0].code.as_str(), "duplicate");
    assert_eq!(app.count("posts").await, 0);
    let post: Value = publish(&app, &alice, &all[..4]).await.json();
    assert_eq!(post["media"].as_array().expect("media").len(), 4);
}

#[tokio::test]
async fn a_forgotten_upload_leaves_the_posts_that_showed_it() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let first = upload(&app, &alice, 50, 50).await;
    let second = upload(&app, &alice, 60, 60).await;
    let post: Value = publish(&app, &alice, &[&first, &second]).await.json();
    app.execute(&format!("DELETE FROM media WHERE key = '{first}'"))
        .await;
    let read: Value = app
        .get(&format!(
            "/api/v1/posts/{}",
            post["id"].as_str().expect("an id")
        ))
        .send()
        .await
        .json();
    let keys: Vec<&str> = read["media"]
        .as_array()
        .expect("media")
        .iter()
        .map(|m| m["key"].as_str().expect("a key"))
        .collect();
    assert_eq!(keys, [second.as_str()]);
}

/// Media and polls are loaded for the whole page: a page of posts that each show uploads and a
/// poll, some voted in by the viewer, costs the same number of statements whatever its size.
#[tokio::test]
async fn a_page_of_posts_with_media_and_polls_runs_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let reader = app.register("reader").await;
    for n in 0..12 {
        let first = upload(&app, &alice, 30, 30).await;
        let second = upload(&app, &alice, 300, 30).await;
        let post: Value = app
            .post("/api/v1/posts")
            .bearer(&alice.access_token)
            .json(&json!({
                "content": format!("post {n}"),
                "media": [first, second],
                "poll": { "options": ["a", "b", "c"], "duration_days": 1 },
            }))
            .send()
            .await
            .json();
        // The newest (11) among them.
        if n % 2 == 1 {
            let poll = post["poll"]["poll_id"].as_str().expect("a poll id");
            let option = post["poll"]["options"][1]["id"]
                .as_str()
                .expect("an option id");
            app.post(&format!("/api/v1/polls/{poll}/votes"))
                .bearer(&reader.access_token)
                .json(&json!({ "option_id": option }))
                .send()
                .await
                .assert_status(StatusCode::CREATED);
        }
    }
    let reader_id = UserId(reader.id.parse().expect("a user id"));
    let mut counts = Vec::new();
    for size in [1, 4, 12] {
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
        assert!(
            posts
                .items
                .iter()
                .all(|p| p.media.len() == 2 && p.poll.is_some())
        );
        let voted = posts.items[0].poll.as_ref().and_then(|p| p.voted_option_id);
        assert!(voted.is_some(), "the viewer's vote is on the page");
        counts.push(count);
    }
    assert!(
        counts.iter().all(|count| *count == counts[0]),
        "statements per page of 1, 4 and 12 posts: {counts:?}"
    );
}
