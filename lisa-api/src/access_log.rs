//! One line per request on standard error: method, path, status and latency. Headers (and so
//! tokens) and bodies are never written.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

pub(crate) async fn log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "{method} {path} {status} {millis:.1}ms",
        status = response.status().as_u16()
    );
    response
}
