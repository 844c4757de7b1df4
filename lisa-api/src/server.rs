//! The server: accepts connections on a listener and serves the API on each, within the
//! [`ServeOptions`] limits (the connection places shared between clients as [`crate::slots`]
//! says), and shuts down in order: it stops accepting, lets each connection finish its
//! request, then waits for the operations under way ([`Operations`]), all within the shutdown
//! bound.

use crate::access_log;
use crate::limits::{self, ClientAddress, RateLimiters, ServeOptions};
use crate::operations::Operations;
use crate::slots::{RECLAIM_GRACE, Refusal, Slot, Slots};
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

/// How many refused connections are answered at once; past it, one is closed unanswered.
const MAX_REFUSALS_AT_ONCE: usize = 64;
/// How long a refused connection gets to take its answer.
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
    let slots = Slots::new(
        options.max_connections,
        options.max_connections_per_client(),
    );
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
        match slots.admit(peer.ip()) {
            Ok(slot) => {
                let app = app.clone();
                let closed = closed.clone();
                let header_timeout = options.header_timeout;
                tokio::spawn(connection(stream, peer, app, header_timeout, slot, closed));
            }
            Err(refusal) => {
                if let Ok(permit) = Arc::clone(&refusals).try_acquire_owned() {
                    tokio::spawn(async move {
                        refuse(stream, refusal).await;
                        drop(permit);
                    });
                }
            }
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let deadline = tokio::time::Instant::now() + options.shutdown_timeout;
    let _ = tokio::time::timeout_at(deadline, slots.closed()).await;
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
            Arc::new(RateLimiters::new(limit)),
            limits::rate_limit,
        )),
        None => router,
    };
    router.layer(from_fn(access_log::log))
}

/// Serves one connection in its `slot` until it ends; or, when the server closes, until its
/// request is answered; or, when a new connection takes its place, within [`RECLAIM_GRACE`].
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    slot: Slot,
    mut closed: watch::Receiver<bool>,
) {
    let tracker = slot.tracker();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ClientAddress(peer));
        let serving = tracker.serving();
        let answer = app.clone().call(request);
        async move {
            let answer = answer.await;
            drop(serving);
            answer
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let served = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(served);
    let reclaimed = tokio::select! {
        _ = served.as_mut() => return,
        _ = closed.wait_for(|closed| *closed) => false,
        () = slot.reclaimed() => true,
    };
    served.as_mut().graceful_shutdown();
    if reclaimed {
        let _ = tokio::time::timeout(RECLAIM_GRACE, served).await;
    } else {
        let _ = served.await;
    }
}

/// Answers a refused connection (429 when its client holds its share, 503 when every place
/// serves a request) and closes it. What the client sent is read and dropped for a moment, so
/// the close does not reset the connection before the answer is read.
async fn refuse(mut stream: TcpStream, refusal: Refusal) {
    let (status, body) = match refusal {
        Refusal::Share { client, share, cap } => (
            "429 Too Many Requests",
            serde_json::json!({
                "error": "TooManyRequests",
                "message": format!("{client} holds {share} of the server's {cap} connections, the most one client may; send on one of them, or retry when one has closed"),
            }),
        ),
        Refusal::Full => (
            "503 Service Unavailable",
            serde_json::json!({
                "error": "Unavailable",
                "message": "every connection the server holds is serving a request; retry shortly",
            }),
        ),
    };
    let body = body.to_string();
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
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
