//! Profile pictures: a still image only; a new one replaces the old one and deletes its files,
//! and a replaced or deleted picture gives its bytes back to the quota.

use agora_testkit::StatusCode;
use image::ImageFormat;
use serde_json::Value;

use super::support::{encode, fetch, file, gradient, noise};
use super::{Backend, MediaApp};

async fn a_new_profile_picture_replaces_and_deletes_the_old_one(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let first = media
        .set_picture(
            &alice,
            file(
                "me.jpg",
                "image/jpeg",
                encode(gradient(500, 500), ImageFormat::Jpeg),
            ),
        )
        .await;
    first.assert_status(StatusCode::OK);
    let first_url = first.json::<Value>()["profile_picture_url"]
        .as_str()
        .expect("a picture url")
        .to_owned();
    assert!(first_url.starts_with("/media/avatars/"), "{first_url}");
    let first_files = media.stored();
    assert_eq!(
        first_files.len(),
        3,
        "the picture, 64 and 256: {first_files:?}"
    );

    let second = media
        .set_picture(
            &alice,
            file(
                "me2.png",
                "image/png",
                encode(gradient(80, 80), ImageFormat::Png),
            ),
        )
        .await;
    second.assert_status(StatusCode::OK);
    let second_url = second.json::<Value>()["profile_picture_url"]
        .as_str()
        .expect("a picture url")
        .to_owned();
    let me: Value = media
        .app
        .get("/api/v1/auth/me")
        .bearer(&alice.access_token)
        .send()
        .await
        .json();
    assert_eq!(me["profile_picture_url"], second_url.as_str());
    let now = media.stored();
    assert!(
        first_files.iter().all(|old| !now.contains(old)),
        "old files remain: {now:?}"
    );
    assert_eq!(now.len(), 2, "the picture and its 64 px thumbnail: {now:?}");
    assert_eq!(
        fetch(&media.app, &first_url).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(media.app.count("media").await, 1);

    let deleted = media
        .app
        .delete("/api/v1/users/me/profile-picture")
        .bearer(&alice.access_token)
        .send()
        .await;
    deleted.assert_status(StatusCode::NO_CONTENT);
    assert!(media.stored().is_empty(), "{:?}", media.stored());
    assert_eq!(media.app.count("media").await, 0);
    let me: Value = media
        .app
        .get("/api/v1/auth/me")
        .bearer(&alice.access_token)
        .send()
        .await
        .json();
    assert!(me["profile_picture_url"].is_null());
}

async fn a_profile_picture_must_be_a_still_image(backend: Backend) {
    let media = MediaApp::spawn(backend).await;
    let alice = media.app.register("alice").await;
    let response = media
        .set_picture(
            &alice,
            file(
                "me.gif",
                "image/gif",
                encode(gradient(20, 20), ImageFormat::Gif),
            ),
        )
        .await;
    response.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert!(media.stored().is_empty());
}

/// Replacing or deleting the profile picture gives its bytes back: with a quota smaller than
/// two pictures, a second one fits only because the first is gone.
async fn a_replaced_or_deleted_picture_gives_its_bytes_back(backend: Backend) {
    let media = MediaApp::spawn_with(backend, &[("AGORA_MEDIA_QUOTA_UNVERIFIED", "400KiB")]).await;
    let alice = media.app.register("alice").await;
    // Noise does not compress: each PNG is about 235 kB, stored as a PNG of the same size.
    let picture = encode(noise(280, 280), ImageFormat::Png);
    for round in 0..3 {
        let response = media
            .set_picture(&alice, file("me.png", "image/png", picture.clone()))
            .await;
        response.assert_status(StatusCode::OK);
        assert_eq!(
            media
                .app
                .count("media_usage WHERE bytes > 200000 AND bytes < 409600")
                .await,
            1,
            "round {round}: one picture counted"
        );
    }
    // An upload beside the picture does not fit.
    let response = media
        .upload(&alice, &[file("me.png", "image/png", picture.clone())])
        .await;
    response.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded");
    media
        .app
        .delete("/api/v1/users/me/profile-picture")
        .bearer(&alice.access_token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(media.app.count("media_usage WHERE bytes = 0").await, 1);
    media
        .upload(&alice, &[file("me.png", "image/png", picture)])
        .await
        .assert_status(StatusCode::CREATED);
}

on_each_backend!(
    a_new_profile_picture_replaces_and_deletes_the_old_one,
    a_profile_picture_must_be_a_still_image,
    a_replaced_or_deleted_picture_gives_its_bytes_back,
);
