//! One client cannot take the server from the others: a real server on 127.0.0.1, clients on
//! loopback addresses of their own (127.0.0.2, 127.0.0.3, ...; Linux routes all of 127/8 to the
//! loopback), so "one client" and "the admin" are different addresses as they are in
//! production.

mod common;
#[path = "common/raw.rs"]
mod raw;

use common::{Server, TOKEN};
use lisa_api::{DEFAULT_MAX_CONNECTIONS, ServeOptions};
use raw::{Answer, HEALTH, closed_within, connect_from, exchange, loopback, read_answer};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn address_of(server: &Server) -> SocketAddr {
    server
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("the server's address")
}

fn admin_get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: lisa\r\nAuthorization: Bearer {TOKEN}\r\n\r\n")
}

/// What a crowd of looping connections saw.
#[derive(Default)]
struct Crowd {
    /// Loops that have had at least one answer (or were closed unanswered).
    settled: AtomicUsize,
    stop: AtomicBool,
    statuses: std::sync::Mutex<BTreeMap<u16, usize>>,
}

impl Crowd {
    fn saw(&self, status: u16) {
        *self
            .statuses
            .lock()
            .expect("not poisoned")
            .entry(status)
            .or_default() += 1;
    }

    fn statuses(&self) -> BTreeMap<u16, usize> {
        self.statuses.lock().expect("not poisoned").clone()
    }
}

/// How long a crowd may run, whatever the test does.
const CROWD_AT_MOST: Duration = Duration::from_secs(30);

/// One keep-alive connection from `from` sending `GET /health` again and again (a short pause
/// between requests) until the crowd stops; when the server closes it, it connects again, as
/// a client that wants to hold its place would.
async fn health_loop(server: SocketAddr, from: IpAddr, crowd: Arc<Crowd>) {
    let started = Instant::now();
    let mut settled = false;
    let mut settle = |crowd: &Crowd| {
        if !settled {
            settled = true;
            crowd.settled.fetch_add(1, Ordering::SeqCst);
        }
    };
    while !crowd.stop.load(Ordering::SeqCst) && started.elapsed() < CROWD_AT_MOST {
        if let Ok(mut stream) = connect_from(from, server).await {
            while !crowd.stop.load(Ordering::SeqCst) && started.elapsed() < CROWD_AT_MOST {
                match exchange(&mut stream, HEALTH).await {
                    Ok(Some(answer)) => {
                        crowd.saw(answer.status);
                        settle(&crowd);
                        if answer.closes() {
                            break;
                        }
                    }
                    Ok(None) | Err(_) => {
                        crowd.saw(0);
                        settle(&crowd);
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    settle(&crowd);
}

/// Starts `count` health loops from `from` and waits until each has had its first answer.
async fn crowd_from(
    server: SocketAddr,
    from: IpAddr,
    count: usize,
) -> (Arc<Crowd>, Vec<tokio::task::JoinHandle<()>>) {
    let crowd = Arc::new(Crowd::default());
    let loops = (0..count)
        .map(|_| tokio::spawn(health_loop(server, from, Arc::clone(&crowd))))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while crowd.settled.load(Ordering::SeqCst) < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (crowd, loops)
}

async fn disperse(crowd: &Crowd, loops: Vec<tokio::task::JoinHandle<()>>) {
    crowd.stop.store(true, Ordering::SeqCst);
    for looping in loops {
        looping.await.expect("the loop ends");
    }
}

/// The admin's `GET /models` from `from`, on a connection of its own, within 10 s.
async fn admin_from(server: SocketAddr, from: IpAddr) -> Result<Answer, String> {
    let attempt = async {
        let mut stream = connect_from(from, server)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        exchange(&mut stream, &admin_get("/models"))
            .await
            .map_err(|e| format!("exchange: {e}"))?
            .ok_or_else(|| "closed without an answer".to_owned())
    };
    tokio::time::timeout(Duration::from_secs(10), attempt)
        .await
        .unwrap_or_else(|_| Err("no answer within 10 s".to_owned()))
}

/// The review's case, with the limits as shipped: one anonymous address keeps the cap's worth
/// of keep-alive connections looping on `GET /health`; an admin from another address is still
/// answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_looping_on_health_cannot_lock_an_admin_out() {
    let server = Server::start_with(ServeOptions::default()).await;
    let address = address_of(&server);
    let (crowd, loops) = crowd_from(address, loopback(2), DEFAULT_MAX_CONNECTIONS).await;
    let asked = Instant::now();
    let answer = admin_from(address, loopback(3)).await;
    let took = asked.elapsed();
    let statuses = crowd.statuses();
    disperse(&crowd, loops).await;
    eprintln!("the admin was answered in {took:?}; the crowd's answers: {statuses:?}");
    let answer = answer.unwrap_or_else(|e| panic!("the admin got no answer: {e}"));
    assert_eq!(
        answer.status, 200,
        "the admin was answered {answer:?} while one address looped on /health (its answers: {statuses:?})"
    );
    assert!(answer.body.contains("\"models\""), "{answer:?}");
    server.stop().await;
}

/// A keep-alive connection from `from` that has been answered once and is now idle.
async fn idle_from(server: SocketAddr, from: IpAddr) -> TcpStream {
    let mut stream = connect_from(from, server).await.expect("connects");
    let answer = exchange(&mut stream, HEALTH)
        .await
        .expect("exchange")
        .expect("an answer");
    assert_eq!(answer.status, 200, "{answer:?}");
    stream
}

/// A connection from `from` whose request is under way: the server has asked for its body
/// (`100 Continue`, sent once the handler reads it) and waits for it.
async fn serving_from(server: SocketAddr, from: IpAddr) -> TcpStream {
    let mut stream = connect_from(from, server).await.expect("connects");
    let head = format!(
        "POST /models HTTP/1.1\r\nHost: lisa\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("sends");
    let answer = tokio::time::timeout(Duration::from_secs(10), read_answer(&mut stream))
        .await
        .expect("the server asks for the body")
        .expect("reads")
        .expect("an answer");
    assert_eq!(answer.status, 100, "{answer:?}");
    stream
}

/// A request on a fresh connection from `from`, retried while the answer is `retried` (the
/// server frees a place a moment after a client closes).
async fn answered_from(server: SocketAddr, from: IpAddr, request: &str, retried: u16) -> Answer {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut stream = connect_from(from, server).await.expect("connects");
        let answer = exchange(&mut stream, request)
            .await
            .expect("exchange")
            .expect("an answer");
        if answer.status != retried || Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn with_max_connections(max_connections: usize) -> ServeOptions {
    ServeOptions {
        max_connections,
        ..ServeOptions::default()
    }
}

/// A client holding its share (four of 16 places) is refused a fifth at once, 429 with
/// Retry-After, while another client is served; once one of its connections closes, it may
/// open another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_at_its_share_is_refused_while_another_is_served() {
    let options = with_max_connections(16);
    let share = options.max_connections_per_client();
    assert_eq!(share, 4);
    let server = Server::start_with(options).await;
    let address = address_of(&server);
    let mut held = Vec::new();
    for _ in 0..share {
        held.push(idle_from(address, loopback(2)).await);
    }

    let mut extra = connect_from(loopback(2), address).await.expect("connects");
    let refused = exchange(&mut extra, HEALTH)
        .await
        .expect("exchange")
        .expect("an answer");
    assert_eq!(refused.status, 429, "{refused:?}");
    assert_eq!(refused.header("retry-after"), Some("1"), "{refused:?}");
    assert!(refused.closes(), "{refused:?}");
    assert!(
        refused
            .body
            .contains("127.0.0.2 holds 4 of the server's 16 connections, the most one client may"),
        "{refused:?}"
    );
    assert!(closed_within(&mut extra, Duration::from_secs(2)).await);

    let admin = admin_from(address, loopback(3)).await.expect("answered");
    assert_eq!(admin.status, 200, "{admin:?}");
    let health = answered_from(address, loopback(3), HEALTH, 0).await;
    assert_eq!(health.status, 200, "{health:?}");

    // The held connections still serve their client.
    let again = exchange(&mut held[1], HEALTH)
        .await
        .expect("exchange")
        .expect("an answer");
    assert_eq!(again.status, 200, "{again:?}");

    drop(held.remove(0));
    let after = answered_from(address, loopback(2), HEALTH, 429).await;
    assert_eq!(
        after.status, 200,
        "a place of its own is free again: {after:?}"
    );
    server.stop().await;
}

/// At the cap (four places, held by four clients), a new client takes the place of the
/// longest idle connection; the others stay open and served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_a_new_client_takes_the_place_of_an_idle_connection() {
    let server = Server::start_with(with_max_connections(4)).await;
    let address = address_of(&server);
    let mut idle = Vec::new();
    for last in 2..=5 {
        idle.push(idle_from(address, loopback(last)).await);
    }
    let admin = admin_from(address, loopback(6)).await.expect("answered");
    assert_eq!(admin.status, 200, "{admin:?}");
    assert!(
        closed_within(&mut idle[0], Duration::from_secs(2)).await,
        "the longest idle connection gave its place"
    );
    for (stream, last) in idle[1..].iter_mut().zip(3..) {
        let answer = exchange(stream, HEALTH)
            .await
            .expect("exchange")
            .unwrap_or_else(|| panic!("the connection from 127.0.0.{last} was closed"));
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    server.stop().await;
}

/// At the cap, connections trickling their request heads (slowloris) count as idle: a new
/// client takes the place of the longest one, which is closed within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_a_connection_trickling_its_head_gives_its_place() {
    let server = Server::start_with(with_max_connections(4)).await;
    let address = address_of(&server);
    let mut slow = Vec::new();
    for last in 2..=5 {
        let mut stream = connect_from(loopback(last), address)
            .await
            .expect("connects");
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: lisa\r\n")
            .await
            .expect("sends");
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let admin = admin_from(address, loopback(6)).await.expect("answered");
    assert_eq!(admin.status, 200, "{admin:?}");
    let started = Instant::now();
    assert!(
        closed_within(&mut slow[0], Duration::from_secs(3)).await,
        "the longest trickling connection gave its place"
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "it took {took:?} to close");
    // A head still trickling holds the stop up to the header timeout: close them first.
    drop(slow);
    server.stop().await;
}

/// At the cap with every place serving a request, a new connection is answered 503 with
/// Retry-After; when a place frees, it is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_with_every_place_serving_a_new_connection_gets_503() {
    let server = Server::start_with(with_max_connections(2)).await;
    let address = address_of(&server);
    let mut busy = vec![
        serving_from(address, loopback(2)).await,
        serving_from(address, loopback(3)).await,
    ];
    let mut extra = connect_from(loopback(4), address).await.expect("connects");
    let refused = exchange(&mut extra, HEALTH)
        .await
        .expect("exchange")
        .expect("an answer");
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.header("retry-after"), Some("1"), "{refused:?}");
    assert!(refused.body.contains("\"Unavailable\""), "{refused:?}");
    drop(busy.remove(0));
    let served = answered_from(address, loopback(4), HEALTH, 503).await;
    assert_eq!(served.status, 200, "{served:?}");
    drop(busy);
    server.stop().await;
}

/// `GET /health` is counted, in a bucket of its own: a client looping on it gets 429 with
/// Retry-After, and its API requests are still served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_are_rate_limited_in_a_bucket_of_their_own() {
    let server = Server::start_with(ServeOptions::default()).await;
    let address = address_of(&server);
    let mut stream = connect_from(loopback(2), address).await.expect("connects");
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..60 {
        let answer = exchange(&mut stream, HEALTH)
            .await
            .expect("exchange")
            .expect("an answer");
        statuses.push(answer.status);
        if answer.status == 429 {
            limited = Some(answer);
        }
    }
    let limited = limited.unwrap_or_else(|| panic!("no 429 in 60 health checks: {statuses:?}"));
    assert!(
        statuses[..lisa_api::DEFAULT_RATE_BURST as usize]
            .iter()
            .all(|s| *s == 200),
        "{statuses:?}"
    );
    assert!(limited.header("retry-after").is_some(), "{limited:?}");
    assert!(limited.body.contains("health checks"), "{limited:?}");
    let admin = exchange(&mut stream, &admin_get("/models"))
        .await
        .expect("exchange")
        .expect("an answer");
    assert_eq!(admin.status, 200, "the API's bucket is its own: {admin:?}");
    server.stop().await;
}

/// The shutdown is not held up by a crowd looping on /health nor by idle keep-alive
/// connections; afterwards nothing is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_stops_promptly_under_a_crowd() {
    let server = Server::start_with(ServeOptions::default()).await;
    let address = address_of(&server);
    let (crowd, loops) = crowd_from(address, loopback(2), 64).await;
    let mut idle = Vec::new();
    for last in 3..=10 {
        idle.push(idle_from(address, loopback(last)).await);
    }
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("the server stops within 10 s");
    let took = started.elapsed();
    for stream in &mut idle {
        assert!(closed_within(stream, Duration::from_secs(1)).await);
    }
    assert!(
        connect_from(loopback(11), address).await.is_err(),
        "nothing is accepted after the stop"
    );
    disperse(&crowd, loops).await;
    assert!(took < Duration::from_secs(3), "the stop took {took:?}");
}
