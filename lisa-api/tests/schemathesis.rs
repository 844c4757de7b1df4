//! schemathesis against the API's own OpenAPI document, on a real server on 127.0.0.1 over the
//! in-memory lifecycle (once with operations under way, once with operations that end at
//! once): no 5xx, and every response matches the document. (`lisa-ops`'s serve
//! tests run it against the deployer on moto too.)

mod common;

use common::{Memory, Server, TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_matches_the_document_and_none_is_a_server_error() {
    let server = Server::start().await;
    let url = format!("{}/openapi.json", server.base);
    tokio::task::spawn_blocking(move || common::schemathesis(&url, TOKEN, 30, false))
        .await
        .expect("schemathesis passes");
    server.stop().await;
}

/// Over a lifecycle whose operations end at once, a created model takes the changes that need
/// a settled model (its schedule set and removed, a stop), so their 200s are checked too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answers_of_settled_models_match_the_document_too() {
    let server = Server::start_over(Memory::settling()).await;
    let url = format!("{}/openapi.json", server.base);
    tokio::task::spawn_blocking(move || common::schemathesis(&url, TOKEN, 30, false))
        .await
        .expect("schemathesis passes");
    server.stop().await;
}
