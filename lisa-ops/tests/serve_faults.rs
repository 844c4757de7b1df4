//! `lisa-ops serve` under faults and abuse, as a process on 127.0.0.1 against moto's server:
//!
//! - a client that hangs up while its create is inside its AWS calls (moto's launcher holds
//!   DescribeChangeSet, between the registry write and ExecuteChangeSet), and a SIGTERM in the
//!   same window: the operation still runs to its end, and afterwards the registry and the stack
//!   agree (the model is InService, its stack CREATE_COMPLETE);
//! - with the default limits: a client that trickles its headers (slowloris) is cut off, one
//!   address holds at most 32 connections (its next is answered 429 while other addresses are
//!   served), at the cap of 256 a new client takes the place of an idle connection, and a
//!   burst over the rate limit gets 429 with Retry-After;
//! - the flags that set each limit.
//!
//! Clients that must be told apart connect from addresses of their own (127.0.0.2, ...).
//! Needs `LISA_MOTO_ENDPOINT` (scripts/test.sh starts moto's server).

#[path = "../../lisa-api/tests/common/raw.rs"]
mod raw;
mod support;

use raw::{HEALTH, closed_within, connect_from, exchange, loopback};
use reqwest::StatusCode;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::{Server, TOKEN, deploy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TITAN: &str = include_str!("../../examples/models/titan-express-v1.json");
const TITAN_ID: &str = "titan-express-v1";
/// The defaults the README states for `serve`.
const DEFAULT_MAX_CONNECTIONS: usize = 256;
const DEFAULT_CONNECTIONS_PER_CLIENT: usize = 32;
const DEFAULT_RATE_BURST: usize = 20;

/// Makes moto's launcher hold the next call of `action` whose request names `matching` for
/// `seconds` (scripts/moto-server.py, `/moto-api/fault/delay`).
async fn delay(action: &str, seconds: u32, matching: &str) {
    let url = format!(
        "{}/moto-api/fault/delay?action={action}&seconds={seconds}&match={matching}",
        deploy::endpoint()
    );
    let response = reqwest::Client::new()
        .post(url)
        .send()
        .await
        .expect("moto answers");
    assert!(response.status().is_success(), "the fault is set");
}

/// Sends a request on a connection of its own and returns the connection without reading.
async fn send_only(server: &Server, method: &str, path: &str, body: &str) -> TcpStream {
    let mut stream = TcpStream::connect(&server.address).await.expect("connects");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        server.address,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("sends");
    stream
}

/// Waits until the model's record is in the registry: its operation has written it and is now
/// in its stack calls.
async fn recorded(deployment: &deploy::Deployment, model_id: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while deployment.deployer.get(model_id).await.is_err() {
        assert!(Instant::now() < deadline, "{model_id} was never recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What the stack of `model_id` is, as CloudFormation (moto) says.
async fn stack_status(deployment: &deploy::Deployment, model_id: &str) -> String {
    let stack = format!("{}-{model_id}", deployment.name);
    match deployment.deployer.stacks().describe(&stack).await {
        Ok(Some(info)) => info.status.as_str().to_owned(),
        Ok(None) => "(no stack)".to_owned(),
        Err(error) => format!("(unreadable: {error})"),
    }
}

/// Waits until the registry says the model is `wanted`, then checks the stack agrees: the
/// operation that was started ran to its end, and no record claims what its stack is not.
async fn settled_and_agreeing(deployment: &deploy::Deployment, model_id: &str, wanted: &str) {
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let status = match deployment.deployer.get(model_id).await {
            Ok(record) => record.status.to_string(),
            Err(error) => format!("(unreadable: {error})"),
        };
        if status == wanted {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{model_id} is recorded {status} but never became {wanted}; its stack is {}",
            stack_status(deployment, model_id).await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        stack_status(deployment, model_id).await,
        "CREATE_COMPLETE",
        "{model_id} is {wanted} in the registry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_inside_a_create_does_not_cancel_it() {
    let deployment = deploy::deployment("hangup").await;
    let server = Server::start(&deployment.name);
    let stack = format!("{}-{TITAN_ID}", deployment.name);
    delay("DescribeChangeSet", 3, &stack).await;
    let client = send_only(&server, "POST", "/models", TITAN).await;
    recorded(&deployment, TITAN_ID).await;
    drop(client);
    settled_and_agreeing(&deployment, TITAN_ID, "InService").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_waits_for_the_operation_under_way_before_the_server_exits() {
    let deployment = deploy::deployment("drain").await;
    let mut server = Server::start(&deployment.name);
    let stack = format!("{}-{TITAN_ID}", deployment.name);
    delay("DescribeChangeSet", 3, &stack).await;
    let client = send_only(&server, "POST", "/models", TITAN).await;
    recorded(&deployment, TITAN_ID).await;
    drop(client);
    server.terminate();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.exited() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server never exited");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
    // When the process ended, its operation had executed the change set.
    let at_exit = stack_status(&deployment, TITAN_ID).await;
    assert!(
        at_exit.starts_with("CREATE_"),
        "the server exited with the stack {at_exit}; log: {:?}",
        server.log.lock().expect("not poisoned")
    );
    settled_and_agreeing(&deployment, TITAN_ID, "InService").await;
}

fn address_of(server: &Server) -> SocketAddr {
    server.address.parse().expect("the server's address")
}

/// `GET /health` on a connection of its own from `from`: the status.
async fn health_from(server: &Server, from: u8) -> u16 {
    let mut stream = connect_from(loopback(from), address_of(server))
        .await
        .expect("connects");
    exchange(&mut stream, HEALTH)
        .await
        .expect("exchange")
        .map_or(0, |answer| answer.status)
}

/// The status code of a raw HTTP/1.1 answer.
async fn answer_status(stream: &mut TcpStream) -> String {
    let mut text = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut text)).await;
    String::from_utf8_lossy(&text).into_owned()
}

/// Slowloris: headers one line a second. The default header timeout (10 s) cuts it off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_client_trickling_its_headers_is_cut_off() {
    let deployment = deploy::deployment("slowloris").await;
    let server = Server::start(&deployment.name);
    let started = Instant::now();
    let mut slow = TcpStream::connect(&server.address).await.expect("connects");
    slow.write_all(b"GET /models HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("sends");
    let mut cut_off = false;
    for line in 0..25 {
        if closed_within(&mut slow, Duration::from_secs(1)).await {
            cut_off = true;
            break;
        }
        if slow
            .write_all(format!("X-Slow-{line}: 1\r\n").as_bytes())
            .await
            .is_err()
        {
            cut_off = true;
            break;
        }
    }
    assert!(
        cut_off,
        "a client trickling its headers kept its connection {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

/// One address holds at most 32 connections: the next is answered 429 with Retry-After at
/// once, while another address is served; once they close, the address is served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_one_address_holds_at_most_32_connections() {
    let deployment = deploy::deployment("share").await;
    let server = Server::start(&deployment.name);
    let address = address_of(&server);
    let mut held = Vec::new();
    for _ in 0..DEFAULT_CONNECTIONS_PER_CLIENT {
        held.push(connect_from(loopback(2), address).await.expect("connects"));
    }
    let mut extra = connect_from(loopback(2), address).await.expect("connects");
    let refused = exchange(&mut extra, HEALTH)
        .await
        .expect("exchange")
        .expect("an answer");
    assert!(
        refused.status == 429 && refused.header("retry-after") == Some("1"),
        "connection {} from one address got {refused:?}",
        DEFAULT_CONNECTIONS_PER_CLIENT + 1
    );
    assert_eq!(health_from(&server, 3).await, 200, "another address");
    drop(held);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(health_from(&server, 2).await, 200, "its places are free");
}

/// The connection cap (256): with every place held by idle connections (eight addresses, 32
/// each), a new client takes the place of the longest idle one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_at_the_cap_a_new_client_takes_the_place_of_an_idle_connection() {
    let deployment = deploy::deployment("cap").await;
    let server = Server::start(&deployment.name);
    let address = address_of(&server);
    let mut idle = Vec::new();
    for client in 0..DEFAULT_MAX_CONNECTIONS / DEFAULT_CONNECTIONS_PER_CLIENT {
        let from = loopback(2 + u8::try_from(client).expect("a few clients"));
        for _ in 0..DEFAULT_CONNECTIONS_PER_CLIENT {
            idle.push(connect_from(from, address).await.expect("connects"));
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        health_from(&server, 20).await,
        200,
        "connection {} is served",
        DEFAULT_MAX_CONNECTIONS + 1
    );
    assert!(
        closed_within(&mut idle[0], Duration::from_secs(2)).await,
        "the longest idle connection gave its place"
    );
}

/// A burst over the rate limit (20 at once, then 10 a second) gets 429 with Retry-After; the
/// health checks have a bucket of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_burst_over_the_rate_limit_gets_429_with_retry_after() {
    let deployment = deploy::deployment("burst").await;
    let server = Server::start(&deployment.name);
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..60 {
        let response = http
            .get(format!("{}/openapi.json", server.base))
            .send()
            .await
            .expect("answers");
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
        }
        statuses.push(response.status().as_u16());
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited > 0, "no 429 in a burst of 60: {statuses:?}");
    assert!(
        statuses[..DEFAULT_RATE_BURST].iter().all(|s| *s == 200),
        "the burst allowance is served: {statuses:?}"
    );
    assert!(retry_after.is_some_and(|s| s >= 1), "{retry_after:?}");
    let health = http
        .get(format!("{}/health", server.base))
        .send()
        .await
        .expect("answers");
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flags_set_each_limit() {
    let deployment = deploy::deployment("flags").await;
    let server = Server::start_with(
        &deployment.name,
        &[
            "--request-timeout",
            "2",
            "--max-connections",
            "2",
            "--rate-limit",
            "1",
            "--rate-burst",
            "3",
            "--header-timeout",
            "30",
        ],
    );

    // A body that trickles past the request timeout: 408.
    let mut slow = TcpStream::connect(&server.address).await.expect("connects");
    slow.write_all(
        format!("PUT /models/{TITAN_ID} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 100\r\n\r\n{{")
            .as_bytes(),
    )
    .await
    .expect("sends");
    let answer = answer_status(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    drop(slow);

    // Two places: at the cap, a new address takes the place of the longest idle connection.
    let address = address_of(&server);
    let mut first = connect_from(loopback(2), address).await.expect("connects");
    let answer = exchange(&mut first, HEALTH).await.expect("exchange");
    assert_eq!(answer.map(|a| a.status), Some(200));
    let mut second = connect_from(loopback(3), address).await.expect("connects");
    let answer = exchange(&mut second, HEALTH).await.expect("exchange");
    assert_eq!(answer.map(|a| a.status), Some(200));
    assert_eq!(health_from(&server, 4).await, 200, "an idle place is taken");
    assert!(
        closed_within(&mut first, Duration::from_secs(2)).await,
        "two places: the longest idle connection gave its place"
    );
    drop(second);

    // Three at once, then one a second (health checks have a bucket of their own).
    let http = reqwest::Client::builder()
        .local_address(loopback(5))
        .build()
        .expect("client");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = http
            .get(format!("{}/openapi.json", server.base))
            .send()
            .await
            .expect("answers");
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
}

#[test]
fn serve_help_documents_every_limit() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lisa-ops"))
        .args(["serve", "--help"])
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--header-timeout",
        "--request-timeout",
        "--max-connections",
        "--rate-limit",
        "--rate-burst",
        "--shutdown-timeout",
    ] {
        assert!(help.contains(flag), "{flag} in:\n{help}");
    }
}
