//! Serving: bind, serve until told to stop, then shut down gracefully.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::App;

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting connections,
/// lets in-flight requests finish (for at most the configured shutdown timeout), stops the
/// background workers and closes the database pool.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let App {
        state,
        router,
        worker,
        scheduler,
    } = app;
    let grace = state.config().shutdown_timeout;
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

    // Real time: with Redis, events of every instance delivered here; presence kept alive.
    tokio::spawn(agora_platform::realtime::run(
        state.clone(),
        stopped(stop_rx.clone()),
    ));

    let mut stopping = stop_rx.clone();
    let hub = state.realtime().clone();
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let mut stop_rx = stop_rx;
        let _ = stop_rx.wait_for(|stop| *stop).await;
        tracing::info!("shutting down: no new connections, finishing in-flight requests");
        // Upgraded sockets are not in-flight requests: axum does not wait for them, so they
        // are told to close (1001, going away) here.
        hub.shutdown();
    });

    let result = tokio::select! {
        result = server.into_future() => result,
        _ = async {
            let _ = stopping.wait_for(|stop| *stop).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(?grace, "in-flight requests did not finish in time; closing them");
            Ok(())
        }
    };
    state.realtime().closed(grace).await;
    // The worker heard the same signal; it finishes the jobs it is running (each bounded by
    // its timeout). Aborted past the grace period, it leaves them to be claimed again once
    // their lease runs out.
    let abort = job_worker.abort_handle();
    if tokio::time::timeout(grace, job_worker).await.is_err() {
        tracing::warn!(?grace, "the job worker did not stop in time; aborting it");
        abort.abort();
    }
    state.db().close().await;
    tracing::info!("stopped");
    result
}

/// Completes once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
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
