//! What keeps slow, numerous and eager clients from taking the server down: a time limit on a
//! request's headers (a client that trickles them, as slowloris does, is cut off; so is a
//! connection that sends nothing) and on the whole request, a cap on open connections of which
//! one client holds at most a share (see [`crate::slots`]), and a rate limit per client. Each
//! has a default here and a `lisa-ops serve` flag (the share follows `--max-connections`).

use crate::errors::ApiError;
use axum::extract::{Request, State};
use axum::http::header::{CONNECTION, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
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
/// One client holds at most this part of [`ServeOptions::max_connections`]: taking every place
/// then needs this many addresses (or /64s), not one, while a client still gets far more
/// connections than an admin tool or a browser opens (32 of the default 256).
pub(crate) const CLIENT_SHARE_DIVISOR: usize = 8;
/// One client may hold at least this many connections (or every one, when the cap is smaller):
/// HTTP/1 clients open a few at once (a browser six; a pooling client a second one when the
/// first is not back in its pool yet), and refusing them would fail well-behaved clients.
pub(crate) const MIN_CLIENT_SHARE: usize = 4;
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
    /// How many connections are open at once. One client holds at most
    /// [`ServeOptions::max_connections_per_client`] of them; its next connection is answered
    /// 429 and closed. At the cap, a new connection takes the place of an idle one (of the
    /// client holding the most); when none is idle, it is answered 503 and closed.
    pub max_connections: usize,
    /// Requests per client; `None` admits every request.
    pub rate_limit: Option<RateLimit>,
    /// At shutdown, how long the server waits for the requests and the operations under way.
    pub shutdown_timeout: Duration,
}

impl ServeOptions {
    /// How many of [`ServeOptions::max_connections`] one client (an IPv4 address, or an IPv6
    /// /64) may hold: an eighth (32 of the default 256), at least four, at most all.
    pub fn max_connections_per_client(&self) -> usize {
        self.max_connections
            .div_ceil(CLIENT_SHARE_DIVISOR)
            .max(MIN_CLIENT_SHARE)
            .min(self.max_connections)
    }
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

/// A token bucket per client: `burst` requests at once, then `per_second`. Over it a request
/// gets 429 with `Retry-After`. `GET /health` has a bucket of its own of the same size: it is
/// counted (a client looping on it is slowed like any other), yet a load balancer's checks
/// never fail for the API traffic behind them, nor the other way round.
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

/// Who the per-client limits count: an IPv4 address, or an IPv6 /64. One host is commonly
/// given a whole /64, so counting single IPv6 addresses would hand it countless shares. An
/// IPv4 client seen through a dual-stack listener (`::ffff:a.b.c.d`) is its IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ClientKey {
    V4(Ipv4Addr),
    /// The address with its lower 64 bits cleared.
    V6Network(u128),
}

impl ClientKey {
    pub(crate) fn of(address: IpAddr) -> ClientKey {
        match address {
            IpAddr::V4(v4) => ClientKey::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(v4),
                None => ClientKey::V6Network(v6.to_bits() & !u128::from(u64::MAX)),
            },
        }
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientKey::V4(v4) => v4.fmt(f),
            ClientKey::V6Network(network) => {
                write!(f, "{}/64", Ipv6Addr::from_bits(*network))
            }
        }
    }
}

/// Past this many client addresses, the full buckets are forgotten (a full bucket is the same
/// as a new one), so a flood from many addresses cannot grow the table without bound.
const MAX_TRACKED_CLIENTS: usize = 10_000;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of every client, for one kind of request.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    /// What the bucket counts, for the refusal's message.
    counts: &'static str,
    buckets: Mutex<HashMap<ClientKey, Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit, counts: &'static str) -> RateLimiter {
        RateLimiter {
            limit,
            counts,
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
    fn take(&self, client: ClientKey, now: Instant) -> Result<(), Duration> {
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

/// The buckets of the API's requests and those of `GET /health`.
#[derive(Debug)]
pub(crate) struct RateLimiters {
    requests: RateLimiter,
    health: RateLimiter,
}

impl RateLimiters {
    pub(crate) fn new(limit: RateLimit) -> RateLimiters {
        RateLimiters {
            requests: RateLimiter::new(limit, "requests"),
            health: RateLimiter::new(limit, "health checks"),
        }
    }
}

/// The rate-limit layer.
pub(crate) async fn rate_limit(
    State(limiters): State<Arc<RateLimiters>>,
    request: Request,
    next: Next,
) -> Response {
    let client = request
        .extensions()
        .get::<ClientAddress>()
        .map(|address| ClientKey::of(address.0.ip()));
    let Some(client) = client else {
        return next.run(request).await;
    };
    let limiter = if request.uri().path() == "/health" {
        &limiters.health
    } else {
        &limiters.requests
    };
    match limiter.take(client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                format!(
                    "more than {} {counts} at once or {} per second from {client}; retry after {seconds} s",
                    limiter.limit.burst,
                    limiter.limit.per_second,
                    counts = limiter.counts,
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
        let limiter = RateLimiter::new(
            RateLimit {
                per_second: 2,
                burst: 3,
            },
            "requests",
        );
        let client = ClientKey::of([127, 0, 0, 1].into());
        let other = ClientKey::of([127, 0, 0, 2].into());
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

    fn key(address: &str) -> ClientKey {
        ClientKey::of(address.parse().expect("an address"))
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_a_mapped_ipv4_client_its_address() {
        assert_eq!(key("2001:db8:1:2::7"), key("2001:db8:1:2:ffff::1"));
        assert_ne!(key("2001:db8:1:2::7"), key("2001:db8:1:3::7"));
        assert_eq!(key("2001:db8:1:2::7").to_string(), "2001:db8:1:2::/64");
        assert_eq!(key("::ffff:203.0.113.9"), key("203.0.113.9"));
        assert_eq!(key("::ffff:203.0.113.9").to_string(), "203.0.113.9");
        assert_ne!(key("203.0.113.9"), key("203.0.113.10"));
    }

    #[test]
    fn a_client_holds_an_eighth_of_the_connections_at_least_four_at_most_all() {
        let share = |max_connections| {
            ServeOptions {
                max_connections,
                ..ServeOptions::default()
            }
            .max_connections_per_client()
        };
        assert_eq!(ServeOptions::default().max_connections_per_client(), 32);
        assert_eq!(share(1), 1);
        assert_eq!(share(2), 2);
        assert_eq!(share(16), 4);
        assert_eq!(share(40), 5);
        assert_eq!(share(65_536), 8192);
    }
}
