//! A WebSocket client for tests of `/api/v1/ws`: connect with a token or a ticket, send JSON
//! frames, and receive with a bounded wait, so a missing frame fails the test instead of
//! hanging it.

use std::net::SocketAddr;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use tokio_tungstenite::tungstenite;

/// How long a test waits for a frame it expects.
pub const RECEIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// A connected WebSocket.
pub struct TestSocket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// A refused upgrade: the status and the body.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub body: Value,
}

impl TestSocket {
    /// Connects to `/api/v1/ws` with `Authorization: Bearer {token}`.
    pub async fn connect(address: SocketAddr, token: &str) -> TestSocket {
        Self::try_connect(address, "", Some(token))
            .await
            .unwrap_or_else(|refused| panic!("the WebSocket was refused: {refused:?}"))
    }

    /// Connects to `/api/v1/ws{query}` (`?ticket=…`), with a bearer token if given.
    pub async fn try_connect(
        address: SocketAddr,
        query: &str,
        token: Option<&str>,
    ) -> Result<TestSocket, Refused> {
        let mut request = format!("ws://{address}/api/v1/ws{query}")
            .into_client_request()
            .expect("a WebSocket request");
        if let Some(token) = token {
            request.headers_mut().insert(
                http::header::AUTHORIZATION,
                format!("Bearer {token}").parse().expect("a header value"),
            );
        }
        match tokio::time::timeout(RECEIVE_TIMEOUT, tokio_tungstenite::connect_async(request))
            .await
            .expect("the WebSocket handshake finished in time")
        {
            Ok((stream, _)) => Ok(TestSocket { stream }),
            Err(Error::Http(response)) => Err(Refused {
                status: response.status().as_u16(),
                body: response
                    .body()
                    .as_deref()
                    .and_then(|b| serde_json::from_slice(b).ok())
                    .unwrap_or(Value::Null),
            }),
            Err(err) => panic!("the WebSocket handshake failed: {err}"),
        }
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(Message::text(text))
            .await
            .expect("the frame was sent");
    }

    pub async fn send_json(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    /// The next message of any kind (pings included), or `None` when the socket ended or
    /// failed; fails the test when nothing comes within [`RECEIVE_TIMEOUT`].
    pub async fn next_message(&mut self) -> Option<Message> {
        match tokio::time::timeout(RECEIVE_TIMEOUT, self.stream.next()).await {
            Ok(Some(Ok(message))) => Some(message),
            Ok(Some(Err(_)) | None) => None,
            Err(_) => panic!("no WebSocket frame within {RECEIVE_TIMEOUT:?}"),
        }
    }

    /// The next JSON text frame (pings and pongs skipped).
    pub async fn next_json(&mut self) -> Value {
        loop {
            match self.next_message().await {
                Some(Message::Text(text)) => {
                    return serde_json::from_str(text.as_str())
                        .unwrap_or_else(|err| panic!("not JSON ({err}): {text}"));
                }
                Some(Message::Ping(_) | Message::Pong(_)) => {}
                other => panic!("expected a JSON frame, got {other:?}"),
            }
        }
    }

    /// The next JSON frame whose `type` is `kind`, skipping others (presence, typing).
    pub async fn next_of_type(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.next_json().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// Subscribes to `room` and returns the `subscribed` acknowledgement; fails the test on
    /// an error frame.
    pub async fn subscribe(&mut self, room: &str) -> Value {
        self.send_json(json!({ "type": "subscribe", "room": room }))
            .await;
        self.expect_subscribed(room).await
    }

    /// Subscribes resuming after `last_event_id`; returns the acknowledgement.
    pub async fn subscribe_after(&mut self, room: &str, last_event_id: &str) -> Value {
        self.send_json(
            json!({ "type": "subscribe", "room": room, "last_event_id": last_event_id }),
        )
        .await;
        self.expect_subscribed(room).await
    }

    async fn expect_subscribed(&mut self, room: &str) -> Value {
        loop {
            let frame = self.next_json().await;
            match frame["type"].as_str() {
                Some("subscribed") if frame["room"] == room => return frame,
                Some("error") => panic!("subscribing to {room} failed: {frame}"),
                _ => {}
            }
        }
    }

    /// Reads until the server closes the socket; the close frame, if one came.
    pub async fn closed(&mut self) -> Option<CloseFrame> {
        loop {
            match self.next_message().await {
                Some(Message::Close(frame)) => return frame,
                None => return None,
                Some(_) => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}
