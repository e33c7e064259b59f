//! Serving: accept connections within limits, serve them until told to stop, then shut down
//! gracefully.
//!
//! The accept loop is ours (hyper-util's connection builder) rather than `axum::serve`, which
//! can neither time out a client that is slow to send its headers nor cap connections:
//!
//! - a global cap ([`Connections::max`], below the file-descriptor limit) and a cap per client
//!   address; a connection over either is closed as soon as it is accepted (a refusal is logged
//!   at most once per [`REFUSAL_LOG_EVERY`], with the count since the last line);
//! - a header-read timeout: the first request's line and headers must arrive within
//!   [`Connections::header_read_timeout`] of the connection opening, a later one's within that
//!   long of its first byte (a silent client, or slowloris, is closed);
//! - an idle timeout between two requests ([`Connections::keep_alive_timeout`]).
//!
//! Both timeouts are kept by a watchdog per connection that watches the bytes read and written
//! ([`Activity`]) and the requests in flight, so they apply to HTTP/1 and HTTP/2 alike, and to
//! the protocol detection before either. A request in flight is bounded by the request timeout
//! of the middleware, not here. A WebSocket keeps its connection's slot until it closes.
//!
//! Why not hyper's own `header_read_timeout`: it starts only once hyper-util has told HTTP/1
//! from HTTP/2 (a silent client never gets there), and it also bounds the idle time between
//! requests, which has a timeout of its own here (decision 0003).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use agora_core::config::{Config, Connections};
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::app::App;

/// File descriptors kept out of `max_connections = auto`: the database pool, Redis, log and
/// media files, the listener.
const RESERVED_DESCRIPTORS: u64 = 256;
/// The least `auto` gives, on a system with a very low descriptor limit.
const MIN_AUTO_CONNECTIONS: usize = 64;
/// A refused connection is logged at most this often.
pub const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);
/// The largest request head hyper buffers (its default is about 400 KiB). Heads within it but
/// over the middleware's limits get a problem document (`limit_request_head`); past it, hyper
/// answers 431 (or 414 for a URI over 64 KiB) itself, with an empty body.
const MAX_HEAD_BUFFER: usize = 128 * 1024;

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting connections,
/// lets in-flight requests finish (for at most the configured shutdown timeout), stops the
/// background workers and closes the database pool.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let App {
        state,
        router,
        worker,
        scheduler,
    } = app;
    let grace = state.config().server.shutdown_timeout;
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });

    let job_worker = tokio::spawn(worker.run(stopped(stop_rx.clone())));
    let wake_state = state.clone();
    tokio::spawn(scheduler.run(move || wake_state.jobs().wake(), stopped(stop_rx.clone())));

    // With Redis: revocations made on other instances, applied here.
    tokio::spawn(agora_platform::identity::follow_revocations(
        state.clone(),
        stopped(stop_rx.clone()),
    ));

    // Analytics: what the requests noted, written every few seconds (and once more below).
    tokio::spawn(agora_platform::analytics::run(
        state.clone(),
        stopped(stop_rx.clone()),
    ));

    // Real time: with Redis, events of every instance delivered here; presence kept alive.
    tokio::spawn(agora_platform::realtime::run(
        state.clone(),
        stopped(stop_rx.clone()),
    ));

    // `GET /metrics` on an address of its own, when there is one: a plain server, for the
    // scraper only (no limits, no middleware), stopped with the rest.
    if let Some(address) = state.config().server.metrics_listen {
        let metrics = TcpListener::bind(address).await.map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("cannot listen for metrics on {address}: {err}"),
            )
        })?;
        tracing::info!("metrics on http://{}/metrics", metrics.local_addr()?);
        let router = agora_platform::observability::metrics::own_address_router(state.clone());
        tokio::spawn(
            axum::serve(metrics, router)
                .with_graceful_shutdown(stopped(stop_rx.clone()))
                .into_future(),
        );
    }

    let graceful = GracefulShutdown::new();
    let (force_tx, force_rx) = watch::channel(false);
    accept_loop(
        &listener,
        router,
        state.config(),
        &graceful,
        &force_rx,
        stopped(stop_rx.clone()),
    )
    .await;
    drop(listener);
    tracing::info!("shutting down: no new connections, finishing in-flight requests");
    // Upgraded sockets are not in-flight requests: the HTTP connections they came from are
    // done, so they are told to close (1001, going away) here.
    state.realtime().shutdown();
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            ?grace,
            "in-flight requests did not finish in time; closing them"
        );
        force_tx.send_replace(true);
    }
    state.realtime().closed(grace).await;
    // The worker heard the same signal; it finishes the jobs it is running (each bounded by
    // its timeout). Aborted past the grace period, it leaves them to be claimed again once
    // their lease runs out.
    let abort = job_worker.abort_handle();
    if tokio::time::timeout(grace, job_worker).await.is_err() {
        tracing::warn!(?grace, "the job worker did not stop in time; aborting it");
        abort.abort();
    }
    // The last requests' activity, noted after the flushing task stopped.
    if let Err(err) = agora_platform::analytics::flush(&state).await {
        tracing::warn!(error = %err, "cannot write the last recorded activity");
    }
    state.db().close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Accepts connections until `stop` completes, each served on a task of its own.
async fn accept_loop(
    listener: &TcpListener,
    router: Router,
    config: &Config,
    graceful: &GracefulShutdown,
    force: &watch::Receiver<bool>,
    stop: impl Future<Output = ()>,
) {
    let limits = config.connections;
    let admission = Admission::new(config);
    match DESCRIPTOR_LIMIT.get() {
        Some(Ok((soft, hard))) => {
            tracing::info!(soft = soft, hard = hard, "file-descriptor limit raised");
        }
        Some(Err(err)) => {
            tracing::warn!(error = %err, limit = ?descriptor_limit(), "cannot raise the file-descriptor limit");
        }
        None => {}
    }
    tracing::info!(
        max_connections = admission.max,
        max_connections_per_address = limits.max_per_address,
        header_read_timeout = ?limits.header_read_timeout,
        keep_alive_timeout = ?limits.keep_alive_timeout,
        "connection limits"
    );
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        // Ours covers HTTP/2 and the protocol detection as well (see the module's comment).
        .header_read_timeout(None)
        .max_buf_size(MAX_HEAD_BUFFER);
    let builder = Arc::new(builder);
    let make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let accept_errors = RateLimitedLog::default();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors (EMFILE) or memory: the client waits in the backlog;
                    // pausing keeps the loop from spinning on an error that persists.
                    if let Some(missed) = accept_errors.should_log() {
                        tracing::error!(error = %err, refused_since_last_log = missed, "cannot accept a connection");
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let slot = match admission.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(refusal) => {
                admission.log_refusal(refusal, peer);
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // `ConnectInfo<SocketAddr>` reaches the extractors as it did with `axum::serve`.
        let Ok(router) = make_service.clone().oneshot(peer).await;
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(TrackedStream {
            stream,
            activity: activity.clone(),
            _slot: slot,
        });
        let service = TrackedService {
            router,
            activity: activity.clone(),
        };
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let mut force = force.clone();
        tokio::spawn(async move {
            let connection = builder.serve_connection_with_upgrades(io, service);
            let connection = watcher.watch(connection);
            tokio::select! {
                result = connection => {
                    if let Err(err) = result {
                        tracing::debug!(error = %err, %peer, "connection ended with an error");
                    }
                }
                reason = watchdog(&activity, limits) => {
                    tracing::debug!(%peer, reason, "closing a connection");
                }
                () = async { let _ = force.wait_for(|force| *force).await; } => {}
            }
        });
    }
}

/// Completes once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM. A second signal during the graceful shutdown that
/// follows ends the process at once (exit status 130), for the person who does not want to
/// wait for the drain.
pub async fn shutdown_signal() {
    one_signal().await;
    tokio::spawn(async {
        one_signal().await;
        tracing::warn!("second signal: exiting at once, without waiting for in-flight requests");
        std::process::exit(130);
    });
}

async fn one_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

/// What [`raise_descriptor_limit`] did, logged when serving starts (`main` runs before the
/// logs are set up).
static DESCRIPTOR_LIMIT: std::sync::OnceLock<Result<(u64, u64), String>> =
    std::sync::OnceLock::new();

/// Raises this process's soft limit on open files to its hard limit (systems often start
/// services at 1,024, which a few hundred idle clients exhaust). Called by `main` before
/// anything opens a file; [`serve`] logs the outcome.
pub fn raise_descriptor_limit() {
    #[cfg(unix)]
    let outcome = rlimit::Resource::NOFILE
        .get()
        .and_then(|(_, hard)| Ok((rlimit::increase_nofile_limit(hard)?, hard)))
        .map_err(|err| err.to_string());
    #[cfg(not(unix))]
    let outcome = Err("no descriptor limit on this system".to_owned());
    let _ = DESCRIPTOR_LIMIT.set(outcome);
}

/// The process's soft limit on open files, if the system has one.
fn descriptor_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rlimit::Resource::NOFILE.get().ok().map(|(soft, _)| soft)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Open connections per client address.
type AddressCounts = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// Decides whether an accepted connection may stay: within the global cap and its address's.
struct Admission {
    max: usize,
    global: Arc<Semaphore>,
    per_address: AddressCounts,
    max_per_address: usize,
    trusted_proxies: Vec<ipnet::IpNet>,
    refusals: RateLimitedLog,
}

#[derive(Debug, Clone, Copy)]
enum Refusal {
    TooManyConnections,
    TooManyFromAddress,
}

impl Admission {
    fn new(config: &Config) -> Admission {
        let max = config.connections.max.unwrap_or_else(|| {
            descriptor_limit().map_or(10_000, |limit| {
                usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS))
                    .unwrap_or(usize::MAX)
                    .clamp(MIN_AUTO_CONNECTIONS, Semaphore::MAX_PERMITS)
            })
        });
        Admission {
            max,
            global: Arc::new(Semaphore::new(max)),
            per_address: Arc::default(),
            max_per_address: config.connections.max_per_address,
            trusted_proxies: config.server.trusted_proxies.clone(),
            refusals: RateLimitedLog::default(),
        }
    }

    fn admit(&self, ip: IpAddr) -> Result<Slot, Refusal> {
        let permit = self
            .global
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::TooManyConnections)?;
        let ip = ip.to_canonical();
        // A proxy carries everyone's connections: only the global cap applies to it.
        if self.trusted_proxies.iter().any(|net| net.contains(&ip)) {
            return Ok(Slot {
                _permit: permit,
                address: None,
            });
        }
        let mut counts = self
            .per_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(ip).or_insert(0);
        if *count >= self.max_per_address {
            return Err(Refusal::TooManyFromAddress);
        }
        *count += 1;
        Ok(Slot {
            _permit: permit,
            address: Some((self.per_address.clone(), ip)),
        })
    }

    fn log_refusal(&self, refusal: Refusal, peer: SocketAddr) {
        if let Some(missed) = self.refusals.should_log() {
            match refusal {
                Refusal::TooManyConnections => tracing::warn!(
                    %peer, max_connections = self.max, refused_since_last_log = missed,
                    "connection refused: too many connections (max_connections)"
                ),
                Refusal::TooManyFromAddress => tracing::warn!(
                    %peer, max_connections_per_address = self.max_per_address,
                    refused_since_last_log = missed,
                    "connection refused: too many connections from this address (max_connections_per_address)"
                ),
            }
        }
    }
}

/// A connection's place under the caps, given back when the connection (or the WebSocket it
/// became) is dropped.
struct Slot {
    _permit: OwnedSemaphorePermit,
    address: Option<(AddressCounts, IpAddr)>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some((counts, ip)) = &self.address {
            let mut counts = counts.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(count) = counts.get_mut(ip) {
                *count -= 1;
                if *count == 0 {
                    counts.remove(ip);
                }
            }
        }
    }
}

/// Says when to log an event that may repeat thousands of times a second: at most once per
/// [`REFUSAL_LOG_EVERY`], with how many were not logged since.
#[derive(Default)]
struct RateLimitedLog {
    /// Milliseconds since `epoch` of the last line (0: none yet).
    last: AtomicU64,
    missed: AtomicU64,
    epoch: std::sync::OnceLock<Instant>,
}

impl RateLimitedLog {
    fn should_log(&self) -> Option<u64> {
        let epoch = *self.epoch.get_or_init(Instant::now);
        let now = u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX) + 1;
        let last = self.last.load(Ordering::Relaxed);
        let every = u64::try_from(REFUSAL_LOG_EVERY.as_millis()).unwrap_or(u64::MAX);
        if last != 0 && now.saturating_sub(last) < every {
            self.missed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        if self
            .last
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            self.missed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Some(self.missed.swap(0, Ordering::Relaxed))
    }
}

/// What a connection's watchdog needs to know: when it opened, whether a request is in flight,
/// when the head of the next one started arriving, and when the connection last did anything.
/// Times are milliseconds since the connection opened.
struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    requests: AtomicU64,
    /// When the first byte read while no request was in flight arrived, plus one (0: none).
    head_started: AtomicU64,
    /// The end of the last response, or the last byte written.
    last_active: AtomicU64,
    /// Wakes the watchdog when its deadline may have moved closer: a request head started,
    /// a request ended.
    changed: tokio::sync::Notify,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            head_started: AtomicU64::new(0),
            last_active: AtomicU64::new(0),
            changed: tokio::sync::Notify::new(),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn read(&self) {
        if self.in_flight.load(Ordering::Relaxed) == 0 {
            let now = self.now() + 1;
            if self
                .head_started
                .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                self.changed.notify_one();
            }
        }
    }

    fn wrote(&self) {
        self.last_active.store(self.now(), Ordering::Relaxed);
    }

    fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.head_started.store(0, Ordering::Relaxed);
    }

    fn request_ended(&self) {
        self.last_active.store(self.now(), Ordering::Relaxed);
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.changed.notify_one();
    }

    /// When the connection must close if nothing changes (ms since it opened), and why; `None`
    /// while a request is in flight.
    fn deadline(&self, limits: Connections) -> Option<(u64, &'static str)> {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let header = millis(limits.header_read_timeout);
        if self.requests.load(Ordering::Relaxed) == 0 {
            return Some((
                header,
                "no complete request head within header_read_timeout",
            ));
        }
        match self.head_started.load(Ordering::Relaxed) {
            0 => Some((
                self.last_active
                    .load(Ordering::Relaxed)
                    .saturating_add(millis(limits.keep_alive_timeout)),
                "idle for keep_alive_timeout",
            )),
            started => Some((
                (started - 1).saturating_add(header),
                "no complete request head within header_read_timeout",
            )),
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Completes, with the reason, when the connection has been silent, slow or idle too long.
async fn watchdog(activity: &Activity, limits: Connections) -> &'static str {
    loop {
        match activity.deadline(limits) {
            // A request in flight: wait for it to end.
            None => activity.changed.notified().await,
            Some((deadline, reason)) => {
                let now = activity.now();
                if now >= deadline {
                    return reason;
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(deadline - now)) => {}
                    () = activity.changed.notified() => {}
                }
            }
        }
    }
}

/// The TCP stream, recording reads and writes in the connection's [`Activity`] and holding
/// its [`Slot`] for as long as it is open.
struct TrackedStream {
    stream: TcpStream,
    activity: Arc<Activity>,
    _slot: Slot,
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        result
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The router as hyper calls it, counting the requests in flight on the connection.
#[derive(Clone)]
struct TrackedService<S> {
    router: S,
    activity: Arc<Activity>,
}

impl<S> hyper::service::Service<hyper::Request<Incoming>> for TrackedService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        let in_flight = InFlight::start(self.activity.clone());
        let router = self.router.clone();
        Box::pin(async move {
            let response = router.oneshot(request.map(Body::new)).await;
            drop(in_flight);
            response
        })
    }
}

/// A request in flight, until dropped (answered, or cancelled with its connection).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> InFlight {
        activity.request_started();
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_ended();
    }
}
