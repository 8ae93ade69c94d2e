//! The HTTP server loop: accepts connections on a listener and serves the router on each,
//! within bounds that keep one misbehaving client from taking the site down.
//!
//! `axum::serve` has no header-read timeout, no bound on open connections and no deadline on
//! graceful shutdown; a probe with 1,100 half-sent requests made every normal request time
//! out, and SIGTERM left the server running while any client held a connection. This loop
//! uses hyper's own connection builder behind [`crate::connection::Connection`] and adds:
//! - a bound on open connections: past it the loop stops accepting, so further clients wait
//!   in the kernel's backlog, costing no file descriptor, until a connection closes;
//! - the header-read timeout, which also closes keep-alive connections left idle (the
//!   connection starts it whenever it waits for the next request's head);
//! - kept pages answered by the connection itself, before hyper;
//! - graceful shutdown with a deadline: open requests may finish, then every connection is
//!   dropped.
//!
//! The request timeout is a layer of the router (see [`crate::router`]).

use axum::extract::ConnectInfo;
use axum::Router;
use futures_util::TryFutureExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// The `[server]` section of the configuration: the bounds of the HTTP server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerLimits {
    /// Seconds a client may take to send a request's headers, and the longest a keep-alive
    /// connection may stay idle between requests.
    pub header_read_timeout_seconds: f64,
    /// Seconds a request may take from its headers to the end of its answer (408 after).
    pub request_timeout_seconds: f64,
    /// Connections served at once; more wait in the listener's backlog. Keep it below the
    /// process's open-file limit (`ulimit -n`) less the database and index files.
    pub max_connections: usize,
    /// Seconds open requests get to finish after SIGTERM or Ctrl-C before the server exits.
    pub shutdown_grace_seconds: f64,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout_seconds: 10.0,
            request_timeout_seconds: 30.0,
            max_connections: 512,
            shutdown_grace_seconds: 10.0,
        }
    }
}

fn seconds(s: f64) -> Duration {
    Duration::from_secs_f64(if s.is_finite() && s > 0.0 { s } else { 1.0 })
}

impl ServerLimits {
    /// The header-read timeout.
    pub fn header_read_timeout(&self) -> Duration {
        seconds(self.header_read_timeout_seconds)
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        seconds(self.request_timeout_seconds)
    }

    /// The shutdown deadline.
    pub fn shutdown_grace(&self) -> Duration {
        seconds(self.shutdown_grace_seconds)
    }
}

/// Connections open right now; shared with whoever wants to watch (tests, metrics).
#[derive(Debug, Default, Clone)]
pub struct ConnectionCount(Arc<AtomicUsize>);

impl ConnectionCount {
    /// How many connections are being served.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open requests finish
/// for at most the grace period and drops what is left. Each request carries the peer's
/// address as [`ConnectInfo`]. Each connection asks `answerer` first about every request
/// head (see [`crate::kept_pages`]); its answers skip hyper and the router.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    answerer: Option<crate::connection::Answerer>,
    limits: ServerLimits,
    open: ConnectionCount,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    // No header-read timeout here: the connection keeps it (see `crate::connection`).
    builder.keep_alive(true);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Finished connections are reaped so the set does not grow with the site's uptime.
        while connections.try_join_next().is_some() {}
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: wait a
                    // moment rather than spin, and keep serving the connections we have.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = router.clone();
        let handback = crate::connection::Handback::default();
        let signal = handback.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let signal = signal.clone();
            app.clone()
                .oneshot(req)
                .map_ok(move |resp| resp.map(|body| signal.wrap(body)))
        });
        let conn = graceful.watch(builder.serve_connection(
            TokioIo::new(crate::connection::Connection::new(
                stream,
                answerer.clone(),
                limits.header_read_timeout(),
                handback,
            )),
            service,
        ));
        let open = open.clone();
        open.0.fetch_add(1, Ordering::SeqCst);
        connections.spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            open.0.fetch_sub(1, Ordering::SeqCst);
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(limits.shutdown_grace()) => {
            tracing::warn!(
                open = open.get(),
                "connections still open after the shutdown grace period; closing them"
            );
        }
    }
    connections.shutdown().await;
    Ok(())
}
