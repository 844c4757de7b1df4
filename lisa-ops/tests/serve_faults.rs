//! `lisa-ops serve` under faults and abuse, as a process on 127.0.0.1 against moto's server:
//!
//! - a client that hangs up while its create is inside its AWS calls (moto's launcher holds
//!   DescribeChangeSet, between the registry write and ExecuteChangeSet), and a SIGTERM in the
//!   same window: the operation still runs to its end, and afterwards the registry and the stack
//!   agree (the model is InService, its stack CREATE_COMPLETE);
//! - with the default limits: a client that trickles its headers (slowloris) is cut off, a
//!   connection over the cap is answered 503 (and a place frees when a connection closes), and
//!   a burst over the rate limit gets 429 with Retry-After;
//! - the flags that set each limit.
//!
//! Needs `LISA_MOTO_ENDPOINT` (scripts/test.sh starts moto's server).

mod support;

use reqwest::StatusCode;
use std::time::{Duration, Instant};
use support::{Server, TOKEN, deploy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TITAN: &str = include_str!("../../examples/models/titan-express-v1.json");
const TITAN_ID: &str = "titan-express-v1";
/// The defaults the README states for `serve`.
const DEFAULT_MAX_CONNECTIONS: usize = 256;
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

/// Whether the server closed the connection: a read that ends (or fails) within `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout(wait, stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_elapsed) => return false,
        }
    }
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

/// The connection cap (256): idle connections hold every place; one more is answered 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_connection_over_the_cap_is_answered_503() {
    let deployment = deploy::deployment("cap").await;
    let server = Server::start(&deployment.name);
    let mut idle = Vec::new();
    for _ in 0..DEFAULT_MAX_CONNECTIONS {
        idle.push(TcpStream::connect(&server.address).await.expect("connects"));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut extra = TcpStream::connect(&server.address).await.expect("connects");
    extra
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("sends");
    let answer = answer_status(&mut extra).await;
    assert!(
        answer.starts_with("HTTP/1.1 503") && answer.to_lowercase().contains("retry-after: 1"),
        "connection {} got: {answer:?}",
        DEFAULT_MAX_CONNECTIONS + 1
    );
    drop(idle);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let health = reqwest::get(format!("{}/health", server.base))
        .await
        .expect("answers");
    assert_eq!(health.status(), StatusCode::OK, "a place is free again");
}

/// A burst over the rate limit (20 at once, then 10 a second) gets 429 with Retry-After; the
/// health check is not counted.
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

    // Two connections held, the third is refused. On a busy machine the server may take the
    // two later than a moment after they connect: until it has, a third is answered, so it is
    // tried again (each answered try spends a token of the rate limit, given back below).
    let first = TcpStream::connect(&server.address).await.expect("connects");
    let second = TcpStream::connect(&server.address).await.expect("connects");
    let mut tries = 0;
    let refused = loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        tries += 1;
        let mut third = TcpStream::connect(&server.address).await.expect("connects");
        third
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("sends");
        let answer = answer_status(&mut third).await;
        if answer.starts_with("HTTP/1.1 503") || tries == 20 {
            break answer;
        }
    };
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused:?}");
    drop((first, second));
    // The rate limit gives a token back each second.
    let refill = if tries > 1 { 3000 } else { 0 };
    tokio::time::sleep(Duration::from_millis(300 + refill)).await;

    // Three at once, then one a second.
    let http = reqwest::Client::new();
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
