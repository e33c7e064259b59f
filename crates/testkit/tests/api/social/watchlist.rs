//! The ticker watchlist: `/users/me/watchlist`.

use agora_testkit::TestApp;
use serde_json::{Value, json};

#[tokio::test]
async fn a_watchlist_holds_each_ticker_once_up_to_a_hundred() {
    let app = TestApp::spawn().await;
    let frank = app.register("frank").await;
    let add = |symbol: &str| {
        app.post("/api/v1/users/me/watchlist")
            .bearer(&frank.access_token)
            .json(&json!({ "symbol": symbol }))
            .send()
    };
    let symbols = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["symbol"].as_str().expect("a symbol").to_owned())
            .collect()
    };
    assert_eq!(add("$aapl").await.status, 200);
    assert_eq!(add("brk.b").await.status, 200);
    let response = add("AAPL").await;
    assert_eq!(response.status, 200);
    assert_eq!(symbols(&response.json()), ["AAPL", "BRK.B"]);
    for bad in ["", "NOT A TICKER", "A..B"] {
        assert_eq!(add(bad).await.status, 422, "{bad}");
    }

    let response = app
        .delete("/api/v1/users/me/watchlist/aapl")
        .bearer(&frank.access_token)
        .send()
        .await;
    assert_eq!(response.status, 204);
    let response = app
        .delete("/api/v1/users/me/watchlist/AAPL")
        .bearer(&frank.access_token)
        .send()
        .await;
    assert_eq!(response.status, 404);
    let response = app
        .get("/api/v1/users/me/watchlist")
        .bearer(&frank.access_token)
        .send()
        .await;
    assert_eq!(symbols(&response.json()), ["BRK.B"]);

    for n in 0..99 {
        assert_eq!(add(&format!("T{n}")).await.status, 200);
    }
    let response = add("ONEMORE").await;
    assert_eq!(response.status, 409, "{}", response.text());
    assert_eq!(app.count("watchlist_items").await, 100);
}
