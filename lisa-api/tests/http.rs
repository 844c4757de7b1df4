//! The HTTP layer over a real server on 127.0.0.1: authentication, the seed's shapes, and clear
//! 4xx answers for bad input with nothing stored. The lifecycle behind it is an in-memory
//! service here (the deployer's own tests cover the lifecycle against moto).

mod common;

use common::{Server, TOKEN};
use reqwest::StatusCode;
use serde_json::json;

const MISTRAL: &str = include_str!("../../examples/models/mistral-vllm.json");
const TITAN: &str = include_str!("../../examples/models/titan-express-v1.json");

#[tokio::test]
async fn the_seed_lifecycle_answers_with_the_seed_shapes() {
    let server = Server::start().await;
    let (status, body) = server.admin("POST", "/models", Some(MISTRAL)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["model"]["modelId"], "mistral-vllm");
    assert_eq!(body["model"]["status"], "Creating");
    assert_eq!(body["model"]["instanceType"], "g5.xlarge");

    let (status, body) = server.admin("POST", "/models", Some(TITAN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = server.admin("GET", "/models", None).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = body["models"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["modelId"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["mistral-vllm", "titan-express-v1"]);

    let (status, body) = server.admin("GET", "/models/titan-express-v1", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["model"]["modelName"],
        "bedrock/amazon.titan-text-express-v1"
    );

    let (status, body) = server
        .admin(
            "PUT",
            "/models/mistral-vllm",
            Some(r#"{"streaming": true, "modelType": "textgen"}"#),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["model"]["status"], "Updating");

    let (status, body) = server
        .admin("PUT", "/models/mistral-vllm", Some(r#"{"enabled": false}"#))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the service refuses: {body}"
    );
    assert_eq!(body["error"], "Refused");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("Updating"),
        "{body}"
    );

    let (status, body) = server.admin("DELETE", "/models/mistral-vllm", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"status": "success", "message": "Model mistral-vllm has been deleted successfully."})
    );
    let (status, body) = server.admin("GET", "/models/mistral-vllm", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "NotFound");
    server.stop().await;
}

#[tokio::test]
async fn without_a_valid_token_nothing_is_revealed_or_changed() {
    let server = Server::start().await;
    server.admin("POST", "/models", Some(TITAN)).await;
    let mut answers = Vec::new();
    for token in [
        None,
        Some("wrong-token-0123456789abc"),
        Some(""),
        Some(&TOKEN[1..]),
    ] {
        for (method, path, body) in [
            ("GET", "/models", None),
            ("GET", "/models/titan-express-v1", None),
            ("GET", "/models/absent-model", None),
            ("GET", "/models/Not_An_Id", None),
            ("POST", "/models", Some(MISTRAL)),
            (
                "PUT",
                "/models/titan-express-v1",
                Some(r#"{"enabled": false}"#),
            ),
            ("DELETE", "/models/titan-express-v1", None),
        ] {
            let (status, body) = server.call(method, path, token, body).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {token:?}"
            );
            answers.push(body);
        }
    }
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "every refusal is the same answer"
    );
    assert!(!answers[0].to_string().contains("titan"));
    let (_, body) = server.admin("GET", "/models", None).await;
    assert_eq!(
        body["models"].as_array().expect("list").len(),
        1,
        "nothing was created or deleted"
    );
    assert_eq!(
        body["models"][0]["status"], "Creating",
        "nothing was updated"
    );

    let (status, _) = server.call("GET", "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, document) = server.call("GET", "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    server.stop().await;
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_stores_nothing() {
    let server = Server::start().await;
    let huge = format!(
        r#"{{"modelId": "big", "modelName": "{}", "modelType": "textgen"}}"#,
        "x".repeat(lisa_api::BODY_LIMIT)
    );
    let cases: Vec<(&str, &str, Option<&str>, StatusCode, &str)> = vec![
        (
            "POST",
            "/models",
            Some(&MISTRAL[..MISTRAL.len() / 2]),
            StatusCode::BAD_REQUEST,
            "Malformed",
        ),
        (
            "POST",
            "/models",
            Some(""),
            StatusCode::BAD_REQUEST,
            "Malformed",
        ),
        (
            "POST",
            "/models",
            Some("[1, 2]"),
            StatusCode::BAD_REQUEST,
            "Invalid",
        ),
        (
            "POST",
            "/models",
            Some(r#"{"modelId": 7, "modelName": true, "modelType": "chat"}"#),
            StatusCode::BAD_REQUEST,
            "Invalid",
        ),
        (
            "POST",
            "/models",
            Some(&huge),
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLarge",
        ),
        (
            "PUT",
            "/models/titan-express-v1",
            Some(r#"{"enabled": false, "autoScalingInstanceConfig": {"minCapacity": 1}}"#),
            StatusCode::BAD_REQUEST,
            "Invalid",
        ),
        (
            "PUT",
            "/models/titan-express-v1",
            Some("{}"),
            StatusCode::BAD_REQUEST,
            "Invalid",
        ),
        (
            "PUT",
            "/models/absent",
            Some(r#"{"streaming": false}"#),
            StatusCode::NOT_FOUND,
            "NotFound",
        ),
        (
            "DELETE",
            "/models/absent",
            None,
            StatusCode::NOT_FOUND,
            "NotFound",
        ),
        (
            "GET",
            "/models/UPPER",
            None,
            StatusCode::NOT_FOUND,
            "NotFound",
        ),
        ("GET", "/nowhere", None, StatusCode::NOT_FOUND, "NotFound"),
        (
            "PATCH",
            "/models",
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
        ),
        (
            "POST",
            "/models/titan-express-v1",
            Some(TITAN),
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
        ),
    ];
    for (method, path, body, expected, code) in cases {
        let (status, answer) = server.admin(method, path, body).await;
        assert_eq!(status, expected, "{method} {path}: {answer}");
        assert_eq!(answer["error"], code, "{method} {path}: {answer}");
        assert!(
            answer["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{answer}"
        );
    }
    let (_, answer) = server
        .admin(
            "POST",
            "/models",
            Some(r#"{"modelId": 7, "modelName": true, "modelType": "chat"}"#),
        )
        .await;
    let paths: Vec<&str> = answer["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["path"].as_str().expect("path"))
        .collect();
    assert_eq!(paths, ["modelId", "modelName", "modelType"], "{answer}");
    let (_, answer) = server.admin("GET", "/models", None).await;
    assert_eq!(answer, json!({"models": []}), "nothing was stored");
    server.stop().await;
}

/// A payload of the other kind gets one problem saying what it is, as `lisa-synth validate`
/// says, rather than every field it lacks or does not allow.
#[tokio::test]
async fn a_payload_of_the_other_kind_is_named_as_such() {
    let server = Server::start().await;
    let (status, answer) = server
        .admin("POST", "/models", Some(r#"{"streaming": false}"#))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(
        answer["errors"],
        json!([{"path": "", "message": lisa_constructs::model::payload_kind::UPDATE_GIVEN_AS_DEFINITION}]),
        "{answer}"
    );
    server.admin("POST", "/models", Some(TITAN)).await;
    let (status, answer) = server
        .admin("PUT", "/models/titan-express-v1", Some(TITAN))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(
        answer["errors"],
        json!([{"path": "", "message": lisa_constructs::model::payload_kind::DEFINITION_GIVEN_AS_UPDATE}]),
        "{answer}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_duplicate_create_is_a_conflict() {
    let server = Server::start().await;
    assert_eq!(
        server.admin("POST", "/models", Some(TITAN)).await.0,
        StatusCode::OK
    );
    let (status, body) = server.admin("POST", "/models", Some(TITAN)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "AlreadyExists");
    server.stop().await;
}
