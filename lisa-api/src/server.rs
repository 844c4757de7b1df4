//! The server: accepts connections on a listener and serves the API on each, within the
//! [`ServeOptions`] limits, and shuts down in order: it stops accepting, lets each connection
//! finish its request, then waits for the operations under way ([`Operations`]), all within
//! the shutdown bound.

use crate::access_log;
use crate::limits::{self, ClientAddress, RateLimiter, ServeOptions};
use crate::operations::Operations;
use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower::Service;

/// How many connections over the cap are answered at once; past it, one is closed unanswered.
const MAX_REFUSALS_AT_ONCE: usize = 64;
/// How long a connection over the cap gets to take its answer.
const REFUSAL_TIME: Duration = Duration::from_secs(1);

/// What the shutdown left behind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stopped {
    /// The models whose operations were still running when the shutdown bound ran out.
    pub unfinished: Vec<String>,
}

/// Serves `router` on `listener` until `shutdown` completes, within `options`; then stops as
/// the module says. The operations of `router` must be `operations`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: &ServeOptions,
    operations: &Operations,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<Stopped> {
    let app = limited(router, options);
    let connections = Arc::new(Semaphore::new(options.max_connections));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS_AT_ONCE));
    let (closing, closed) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors, or a connection reset before it was accepted: neither
                // is the listener's end. Pause so a full table can drain.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        match Arc::clone(&connections).try_acquire_owned() {
            Ok(permit) => {
                let app = app.clone();
                let closed = closed.clone();
                let header_timeout = options.header_timeout;
                tokio::spawn(async move {
                    connection(stream, peer, app, header_timeout, closed).await;
                    drop(permit);
                });
            }
            Err(_) => {
                if let Ok(permit) = Arc::clone(&refusals).try_acquire_owned() {
                    tokio::spawn(async move {
                        refuse(stream).await;
                        drop(permit);
                    });
                }
            }
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let deadline = tokio::time::Instant::now() + options.shutdown_timeout;
    let all = u32::try_from(options.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout_at(deadline, connections.acquire_many(all)).await;
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    Ok(Stopped {
        unfinished: operations.drain(left).await,
    })
}

/// The router inside the limits: the access log outermost (so refusals are logged too), then
/// the rate limit, then the request's time limit.
fn limited(router: Router, options: &ServeOptions) -> Router {
    let router = router.layer(from_fn_with_state(
        options.request_timeout,
        limits::time_limit,
    ));
    let router = match options.rate_limit {
        Some(limit) => router.layer(from_fn_with_state(
            Arc::new(RateLimiter::new(limit)),
            limits::rate_limit,
        )),
        None => router,
    };
    router.layer(from_fn(access_log::log))
}

/// Serves one connection until it ends, or until the server closes (then after its request).
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    mut closed: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ClientAddress(peer));
        app.clone().call(request)
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let served = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(served);
    tokio::select! {
        _ = served.as_mut() => return,
        _ = closed.wait_for(|closed| *closed) => {}
    }
    served.as_mut().graceful_shutdown();
    let _ = served.await;
}

/// Answers a connection over the cap with 503 and closes it. What the client sent is read and
/// dropped for a moment, so the close does not reset the connection before the answer is read.
async fn refuse(mut stream: TcpStream) {
    let body = serde_json::json!({
        "error": "Unavailable",
        "message": "the server holds its most connections; retry shortly",
    })
    .to_string();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(REFUSAL_TIME, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        std::io::Result::Ok(())
    })
    .await;
}
