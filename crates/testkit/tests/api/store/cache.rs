//! The cache of read-mostly data: in process by default, shared through Redis when configured.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use agora_store::{Cache, Redis};
use agora_testkit::{test_redis, unique_redis_prefix};

async fn behaves_as_a_cache(cache: &Cache) {
    assert_eq!(cache.get::<u32>("answer").await, None);
    cache.set("answer", &42u32, Duration::from_secs(60)).await;
    assert_eq!(cache.get::<u32>("answer").await, Some(42));
    // A value of another shape is a miss, not an error.
    assert_eq!(cache.get::<Vec<String>>("answer").await, None);
    cache.invalidate("answer").await;
    assert_eq!(cache.get::<u32>("answer").await, None);

    let loads = AtomicUsize::new(0);
    for _ in 0..3 {
        let value: Result<String, ()> = cache
            .get_or_load("loaded", Duration::from_secs(60), || async {
                loads.fetch_add(1, Ordering::SeqCst);
                Ok("from the database".to_owned())
            })
            .await;
        assert_eq!(value.as_deref(), Ok("from the database"));
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    let failed: Result<String, &str> = cache
        .get_or_load("failing", Duration::from_secs(60), || async { Err("down") })
        .await;
    assert_eq!(failed, Err("down"));
    assert_eq!(cache.get::<String>("failing").await, None);

    cache
        .set("brief", &"soon gone", Duration::from_millis(1_000))
        .await;
    assert_eq!(
        cache.get::<String>("brief").await.as_deref(),
        Some("soon gone")
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(cache.get::<String>("brief").await, None);
}

#[tokio::test]
async fn the_in_process_cache_stores_invalidates_and_expires() {
    behaves_as_a_cache(&Cache::local()).await;
}

#[tokio::test]
async fn the_redis_cache_stores_invalidates_and_expires() {
    let Some(url) = test_redis().await else {
        return;
    };
    let redis = Redis::open(&url, &unique_redis_prefix()).expect("redis");
    behaves_as_a_cache(&Cache::shared(redis)).await;
}

#[tokio::test]
async fn with_redis_an_invalidation_on_one_instance_is_seen_by_the_other() {
    let Some(url) = test_redis().await else {
        return;
    };
    let prefix = unique_redis_prefix();
    let a = Cache::shared(Redis::open(&url, &prefix).expect("redis"));
    let b = Cache::shared(Redis::open(&url, &prefix).expect("redis"));
    a.set("profile:1", &"old name", Duration::from_secs(60))
        .await;
    assert_eq!(
        b.get::<String>("profile:1").await.as_deref(),
        Some("old name")
    );
    b.invalidate("profile:1").await;
    assert_eq!(a.get::<String>("profile:1").await, None);
}

#[tokio::test]
async fn an_unreachable_redis_is_a_miss_and_not_an_error() {
    let url = url::Url::parse("redis://127.0.0.1:9").expect("a URL");
    let cache = Cache::shared(Redis::open(&url, "agora-test:").expect("opened lazily"));
    let started = std::time::Instant::now();
    cache.set("key", &1u8, Duration::from_secs(60)).await;
    assert_eq!(cache.get::<u8>("key").await, None);
    cache.invalidate("key").await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
