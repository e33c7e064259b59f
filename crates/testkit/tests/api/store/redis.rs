//! The shared Redis handle (`agora_store::Redis`): what the identity code keeps there
//! (revoked sessions) must be found by every instance, under the deployment's prefix only,
//! and must go away by itself.

use std::time::Duration;

use agora_store::Redis;
use agora_testkit::{test_redis, unique_redis_prefix};

#[tokio::test]
async fn values_set_with_a_ttl_are_seen_under_the_prefix_and_expire() {
    let Some(url) = test_redis().await else {
        return;
    };
    let prefix = unique_redis_prefix();
    let instance_a = Redis::open(&url, &prefix).expect("a usable URL");
    let instance_b = Redis::open(&url, &prefix).expect("a usable URL");
    let other_deployment = Redis::open(&url, &unique_redis_prefix()).expect("a usable URL");
    instance_a.ping().await.expect("PING");

    let name = "session:revoked:0190b3c2-0000-7000-8000-000000000001";
    assert!(!instance_b.exists(name).await.expect("EXISTS"));
    instance_a
        .set_with_ttl(name, "1", Duration::from_millis(300))
        .await
        .expect("SET");
    assert!(instance_b.exists(name).await.expect("EXISTS"));
    assert_eq!(
        instance_b.get(name).await.expect("GET").as_deref(),
        Some("1")
    );
    assert!(!other_deployment.exists(name).await.expect("EXISTS"));
    assert_eq!(instance_a.key(name), format!("{prefix}{name}"));

    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!instance_b.exists(name).await.expect("EXISTS"), "expired");

    instance_a
        .set_with_ttl(name, "2", Duration::from_secs(60))
        .await
        .expect("SET");
    assert!(instance_b.delete(name).await.expect("DEL"));
    assert!(!instance_a.delete(name).await.expect("DEL"), "already gone");
    assert_eq!(instance_a.get(name).await.expect("GET"), None);
}
