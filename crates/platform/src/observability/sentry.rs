//! Server errors sent to Sentry when `SENTRY_DSN` is set.
//!
//! A `sentry::Client` of this application's own (not the process-wide hub of `sentry::init`:
//! two applications in one process, as in the tests, each report to their own DSN), fed by the
//! error log's task, so Sentry and the table see the same errors. Envelopes go out through the
//! HTTP client the server already has (reqwest over rustls with the ring provider), on the
//! runtime, never blocking a request.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use sentry::protocol::{Event, Exception, Level, User, Values};
use sentry::{ClientOptions, Envelope, Transport, TransportFactory, TransportOptions};

use super::ServerError;

/// How long one envelope may take to reach Sentry.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The Sentry client of an application.
#[derive(Clone)]
pub struct Sentry {
    client: Arc<sentry::Client>,
}

impl std::fmt::Debug for Sentry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sentry").finish_non_exhaustive()
    }
}

impl Sentry {
    /// A client for `dsn` (checked when the configuration was loaded), named after `environment`.
    pub fn new(dsn: &str, environment: &'static str) -> Result<Self, String> {
        let dsn: sentry::types::Dsn = dsn
            .parse()
            .map_err(|err| format!("SENTRY_DSN is not a Sentry DSN: {err}"))?;
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .build()
            .map_err(|err| format!("cannot make the HTTP client of Sentry: {err}"))?;
        let mut options = ClientOptions::default();
        options.dsn = Some(dsn);
        options.environment = Some(environment.into());
        options.release = Some(concat!("agora@", env!("CARGO_PKG_VERSION")).into());
        options.transport = Some(Arc::new(HttpTransportFactory { http }));
        // Requests' bodies, addresses and cookies never leave the server.
        options.send_default_pii = false;
        let client = sentry::Client::from(options);
        Ok(Sentry {
            client: Arc::new(client),
        })
    }

    /// Sends `error` (queued; sent on the runtime).
    pub fn capture(&self, error: &ServerError) {
        let mut tags = BTreeMap::new();
        if let Some(request_id) = &error.request_id {
            tags.insert("request_id".to_owned(), request_id.clone());
        }
        tags.insert("route".to_owned(), error.route.to_owned());
        tags.insert("method".to_owned(), error.method.clone());
        tags.insert("status".to_owned(), error.status.to_string());
        let event = Event {
            level: Level::Error,
            message: Some(error.message.clone()),
            transaction: Some(format!("{} {}", error.method, error.route)),
            exception: Values::from(vec![Exception {
                ty: error.kind.to_owned(),
                value: Some(error.message.clone()),
                ..Exception::default()
            }]),
            tags,
            user: error.user_id.map(|id| User {
                id: Some(id.to_string()),
                ..User::default()
            }),
            extra: error
                .detail
                .iter()
                .map(|detail| ("detail".to_owned(), detail.clone().into()))
                .collect(),
            ..Event::default()
        };
        self.client.capture_event(event, None);
    }
}

struct HttpTransportFactory {
    http: reqwest::Client,
}

impl TransportFactory for HttpTransportFactory {
    fn create_transport_with_options(&self, options: TransportOptions) -> Arc<dyn Transport> {
        let dsn = &options.dsn;
        Arc::new(HttpTransport {
            http: self.http.clone(),
            url: dsn.envelope_api_url().to_string(),
            auth: dsn.to_auth(Some(&options.user_agent)).to_string(),
            runtime: tokio::runtime::Handle::try_current().ok(),
        })
    }
}

/// Posts each envelope to the DSN's envelope endpoint from a task of the runtime.
struct HttpTransport {
    http: reqwest::Client,
    url: String,
    auth: String,
    runtime: Option<tokio::runtime::Handle>,
}

impl Transport for HttpTransport {
    fn send_envelope(&self, envelope: Envelope) {
        let Some(runtime) = &self.runtime else {
            return;
        };
        let mut body = Vec::new();
        if envelope.to_writer(&mut body).is_err() {
            return;
        }
        let request = self
            .http
            .post(&self.url)
            .header("X-Sentry-Auth", &self.auth)
            .header("Content-Type", "application/x-sentry-envelope")
            .body(body);
        runtime.spawn(async move {
            match request.send().await {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => {
                    tracing::warn!(
                        status = response.status().as_u16(),
                        "Sentry refused an event"
                    );
                }
                Err(err) => tracing::warn!(error = %err, "cannot send an event to Sentry"),
            }
        });
    }
}
