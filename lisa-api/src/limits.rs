//! What keeps slow, numerous and eager clients from taking the server down: a time limit on a
//! request's headers (a client that trickles them, as slowloris does, is cut off; so is a
//! connection that sends nothing) and on the whole request, a cap on open connections, and a
//! rate limit per client address. Each has a default here and a `lisa-ops serve` flag.

use crate::errors::ApiError;
use axum::extract::{Request, State};
use axum::http::header::{CONNECTION, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Default of [`ServeOptions::header_timeout`].
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default of [`ServeOptions::request_timeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default of [`ServeOptions::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Default of [`RateLimit::per_second`].
pub const DEFAULT_RATE_PER_SECOND: u32 = 10;
/// Default of [`RateLimit::burst`].
pub const DEFAULT_RATE_BURST: u32 = 20;
/// Default of [`ServeOptions::shutdown_timeout`].
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(60);

/// How the server limits its clients, and how long it waits at shutdown.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeOptions {
    /// How long a connection may take to send a request's headers (also an idle keep-alive
    /// connection's wait for its next request); the connection is closed after it.
    pub header_timeout: Duration,
    /// How long a request may take from its headers to its answer, reading its body included;
    /// 408 after it. An operation the request started goes on.
    pub request_timeout: Duration,
    /// How many connections are open at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// Requests per client address; `None` admits every request.
    pub rate_limit: Option<RateLimit>,
    /// At shutdown, how long the server waits for the requests and the operations under way.
    pub shutdown_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            rate_limit: Some(RateLimit::default()),
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }
}

/// A token bucket per client address: `burst` requests at once, then `per_second`. Over it a
/// request gets 429 with `Retry-After`. `GET /health` is not counted, so a load balancer's
/// checks never fail for the traffic behind them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests per second, sustained.
    pub per_second: u32,
    /// Requests at once.
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: DEFAULT_RATE_PER_SECOND,
            burst: DEFAULT_RATE_BURST,
        }
    }
}

/// The address of the client that sent a request (a request extension the server sets).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddress(pub SocketAddr);

/// Past this many client addresses, the full buckets are forgotten (a full bucket is the same
/// as a new one), so a flood from many addresses cannot grow the table without bound.
const MAX_TRACKED_CLIENTS: usize = 10_000;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of every client address.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refill(&self, bucket: &mut Bucket, now: Instant) {
        let earned = now.saturating_duration_since(bucket.at).as_secs_f64()
            * f64::from(self.limit.per_second);
        bucket.tokens = (bucket.tokens + earned).min(f64::from(self.limit.burst));
        bucket.at = now;
    }

    /// Takes a request from `client`'s bucket; when it is empty, how long until it is not.
    fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let burst = f64::from(self.limit.burst);
        if buckets.len() >= MAX_TRACKED_CLIENTS {
            buckets.retain(|_, bucket| {
                self.refill(bucket, now);
                bucket.tokens < burst
            });
            if buckets.len() >= MAX_TRACKED_CLIENTS {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        self.refill(bucket, now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let per_second = f64::from(self.limit.per_second.max(1));
        Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
    }
}

/// The rate-limit layer.
pub(crate) async fn rate_limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let client = request
        .extensions()
        .get::<ClientAddress>()
        .map(|address| address.0.ip());
    let Some(client) = client.filter(|_| request.uri().path() != "/health") else {
        return next.run(request).await;
    };
    match limiter.take(client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                format!(
                    "more than {} requests at once or {} per second from {client}; retry after {seconds} s",
                    limiter.limit.burst, limiter.limit.per_second
                ),
            )
            .into_response();
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
    }
}

/// The whole-request time limit layer.
pub(crate) async fn time_limit(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut response = ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeout",
                format!(
                    "the request did not complete within {} s; an operation it started goes on: read the model to see where it is",
                    limit.as_secs_f64()
                ),
            )
            .into_response();
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_admits_its_burst_then_its_rate() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 2,
            burst: 3,
        });
        let client: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [127, 0, 0, 2].into();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take(client, start).is_ok());
        }
        let wait = limiter.take(client, start).expect_err("the burst is spent");
        assert_eq!(wait, Duration::from_millis(500));
        assert!(
            limiter.take(other, start).is_ok(),
            "each address has its own"
        );
        let later = start + Duration::from_millis(500);
        assert!(limiter.take(client, later).is_ok());
        assert!(limiter.take(client, later).is_err());
    }
}
