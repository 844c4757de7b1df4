//! A stand-in model server for the deployment gate: plays vLLM, TGI or TEI on their documented
//! routes, healthy, warming up (503 everywhere, or an answer slower than any gate waits) or wrong
//! (the model missing from its list, inference refused with a 400 or failing with a 500, a
//! malformed inference answer).
//! It checks the inference requests it gets (the served model name, a one-token limit, the
//! prompt) and answers 422 to any other, so a gate sending wrong requests fails its tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::server::{self, Handler, Reply, Seen, Server};

/// The directory the model stack starts TGI and TEI from, which they report as their model.
pub const WEIGHTS_DIR: &str = "/models";

/// The server played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Vllm,
    Tgi,
    Tei,
}

/// How it behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Healthy,
    /// 503 on every route.
    Warming,
    /// Answers nothing for a minute.
    Hanging,
    /// The model list does not show the model.
    MissingModel,
    /// Inference answers 400.
    InferenceRejected,
    /// Inference answers 500 (the server is up but cannot run the model).
    InferenceError,
    /// Inference answers 200 with the wrong shape.
    MalformedInference,
}

pub struct ModelServer {
    pub server: Server,
    pub flavor: Flavor,
    behaviour: Arc<Mutex<Behaviour>>,
    calls: Arc<Mutex<Vec<String>>>,
}

impl ModelServer {
    /// Serves `served` (vLLM's served model name; TGI and TEI report [`WEIGHTS_DIR`]).
    pub async fn start(flavor: Flavor, served: &str, behaviour: Behaviour) -> ModelServer {
        let behaviour = Arc::new(Mutex::new(behaviour));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let (b, c, served) = (
            Arc::clone(&behaviour),
            Arc::clone(&calls),
            served.to_owned(),
        );
        let handler: Handler = Arc::new(move |seen: Seen| {
            c.lock()
                .expect("not poisoned")
                .push(format!("{} {}", seen.method, seen.path));
            let now = *b.lock().expect("not poisoned");
            let served = served.clone();
            Box::pin(async move {
                if now == Behaviour::Hanging {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
                answer(flavor, &served, now, &seen)
            })
        });
        ModelServer {
            server: server::serve(handler).await,
            flavor,
            behaviour,
            calls,
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().expect("not poisoned") = behaviour;
    }

    /// `METHOD /path` of each request received, in order.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().expect("not poisoned").clone()
    }
}

fn reply(status: u16, body: Value) -> Reply {
    (status, Vec::new(), body.to_string())
}

fn answer(flavor: Flavor, served: &str, behaviour: Behaviour, seen: &Seen) -> Reply {
    if behaviour == Behaviour::Warming {
        return reply(503, json!({"error": "loading", "error_type": "unhealthy"}));
    }
    let body: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
    match (flavor, seen.method.as_str(), seen.path.as_str()) {
        (_, "GET", "/health") => (200, Vec::new(), String::new()),
        (Flavor::Vllm, "GET", "/v1/models") => reply(200, vllm_models(served, behaviour)),
        (Flavor::Tgi | Flavor::Tei, "GET", "/info") => reply(200, info(behaviour)),
        (_, "POST", _) if behaviour == Behaviour::InferenceError => reply(
            500,
            json!({"error": "CUDA error: an illegal memory access was encountered"}),
        ),
        (_, "POST", _) if behaviour == Behaviour::InferenceRejected => reply(
            400,
            json!({"error": "rejected", "error_type": "validation"}),
        ),
        (Flavor::Vllm, "POST", "/v1/completions") => {
            let ok =
                body["model"] == served && body["max_tokens"] == 1 && body["prompt"].is_string();
            checked(ok, behaviour, completion(served), json!({"choices": []}))
        }
        (Flavor::Vllm, "POST", "/v1/embeddings") => {
            let ok = body["model"] == served && body["input"].is_string();
            let malformed = json!({"data": [{"embedding": []}]});
            checked(ok, behaviour, openai_embedding(served), malformed)
        }
        (Flavor::Tgi, "POST", "/generate") => {
            let ok = body["inputs"].is_string() && body["parameters"]["max_new_tokens"] == 1;
            let good = json!({"generated_text": " pong"});
            checked(ok, behaviour, good, json!({"text": " pong"}))
        }
        (Flavor::Tei, "POST", "/embed") => {
            let ok = body["inputs"].is_string();
            checked(ok, behaviour, json!([[0.25, -0.5, 0.125]]), json!([[]]))
        }
        _ => reply(404, json!({"error": "not found"})),
    }
}

/// 422 for a request the real server would not take; the malformed answer when asked for.
fn checked(request_ok: bool, behaviour: Behaviour, good: Value, malformed: Value) -> Reply {
    if !request_ok {
        return reply(422, json!({"error": "unexpected request"}));
    }
    if behaviour == Behaviour::MalformedInference {
        reply(200, malformed)
    } else {
        reply(200, good)
    }
}

fn vllm_models(served: &str, behaviour: Behaviour) -> Value {
    let id = if behaviour == Behaviour::MissingModel {
        "someone/else"
    } else {
        served
    };
    json!({"object": "list", "data": [{"id": id, "object": "model", "owned_by": "vllm"}]})
}

fn info(behaviour: Behaviour) -> Value {
    let model_id = if behaviour == Behaviour::MissingModel {
        "someone/else"
    } else {
        WEIGHTS_DIR
    };
    json!({"model_id": model_id, "model_dtype": "float16", "version": "3.0.0"})
}

fn completion(served: &str) -> Value {
    json!({
        "id": "cmpl-1",
        "object": "text_completion",
        "model": served,
        "choices": [{"index": 0, "text": " pong", "finish_reason": "length"}],
    })
}

fn openai_embedding(served: &str) -> Value {
    json!({
        "object": "list",
        "model": served,
        "data": [{"object": "embedding", "index": 0, "embedding": [0.25, -0.5, 0.125]}],
    })
}
