//! Graceful shutdown: stop accepting, finish what is in flight, close the pool.

use std::time::Duration;

use agora_testkit::{Server, StatusCode, TestApp, TestClient};
use axum::Router;
use axum::routing::get;

#[tokio::test]
async fn a_request_in_flight_at_shutdown_still_completes() {
    let app = TestApp::spawn().await;
    let state = app.state().clone();
    let router = agora::middleware::apply(
        Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(500)).await;
                "finished"
            }),
        ),
        state.config(),
    );
    let mut server = Server::start(
        agora::app::Assembly::default()
            .app(state, router)
            .expect("the app"),
    )
    .await;
    let client = TestClient::new(server.address);

    let in_flight = tokio::spawn({
        let client = client.clone();
        async move { client.get("/slow").send().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.stop().await;

    let response = in_flight.await.expect("the request task");
    response.assert_status(StatusCode::OK);
    assert_eq!(response.text(), "finished");

    // The listener is closed: new connections are refused.
    let refused = reqwest::get(format!("http://{}/slow", server.address)).await;
    assert!(refused.is_err(), "the server still accepts connections");
}
