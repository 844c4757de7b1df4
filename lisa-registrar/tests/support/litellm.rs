//! A stand-in of the LiteLLM proxy's model endpoints, built from LiteLLM's OpenAPI description:
//! every request is checked against it (and against the master key); entries are kept in memory
//! and answered in LiteLLM's shapes (as measured on a real 1.108.7 proxy for the read side).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::openapi::Contract;
use super::server::{self, Handler, Seen, Server};

/// How the stand-in misbehaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Like LiteLLM with a database.
    Normal,
    /// Every answer comes after this delay.
    Slow(Duration),
    /// `POST /model/new` is refused with this status and LiteLLM-shaped detail.
    RejectWrites(u16),
    /// Writes answer 200 and store nothing (a proxy without a database can do so).
    ForgetWrites,
}

#[derive(Debug, Default)]
pub struct State {
    pub entries: Vec<Value>,
    pub violations: Vec<String>,
    pub calls: Vec<String>,
}

pub struct LiteLlm {
    pub server: Server,
    pub state: Arc<Mutex<State>>,
}

impl LiteLlm {
    pub async fn start(master_key: &str, mode: Mode) -> LiteLlm {
        Self::start_with(master_key, mode, Vec::new()).await
    }

    pub async fn start_with(master_key: &str, mode: Mode, entries: Vec<Value>) -> LiteLlm {
        let contract = Arc::new(Contract::load());
        let state = Arc::new(Mutex::new(State {
            entries,
            ..State::default()
        }));
        let key = format!("Bearer {master_key}");
        let shared = Arc::clone(&state);
        let handler: Handler = Arc::new(move |seen: Seen| {
            let contract = Arc::clone(&contract);
            let state = Arc::clone(&shared);
            let key = key.clone();
            let mode = mode.clone();
            Box::pin(async move {
                if let Mode::Slow(delay) = mode {
                    tokio::time::sleep(delay).await;
                }
                let (status, body) = answer(&contract, &state, &key, &mode, seen);
                (status, Vec::new(), body)
            })
        });
        LiteLlm {
            server: server::serve(handler).await,
            state,
        }
    }

    pub fn entries(&self) -> Vec<Value> {
        self.state.lock().expect("not poisoned").entries.clone()
    }

    pub fn violations(&self) -> Vec<String> {
        self.state.lock().expect("not poisoned").violations.clone()
    }

    pub fn calls(&self) -> Vec<String> {
        self.state.lock().expect("not poisoned").calls.clone()
    }
}

fn id_of(entry: &Value) -> Option<&str> {
    entry.pointer("/model_info/id").and_then(Value::as_str)
}

fn answer(
    contract: &Contract,
    state: &Mutex<State>,
    key: &str,
    mode: &Mode,
    seen: Seen,
) -> (u16, String) {
    let mut state = state.lock().expect("not poisoned");
    let query: String = seen
        .query
        .iter()
        .map(|(k, v)| format!("?{k}={v}"))
        .collect();
    state
        .calls
        .push(format!("{} {}{query}", seen.method, seen.path));
    let problems = contract.check(&seen.method, &seen.path, &seen.query, &seen.body);
    if !problems.is_empty() {
        state.violations.extend(problems.iter().cloned());
        return (422, json!({"detail": problems}).to_string());
    }
    if seen.headers.get("authorization").map(String::as_str) != Some(key) {
        // What LiteLLM 1.108.7 answers to a wrong key.
        return (401, json!({"error": {"message": "Authentication Error, Invalid proxy server token passed.", "type": "auth_error", "code": "401"}}).to_string());
    }
    let body: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
    match (seen.method.as_str(), seen.path.as_str()) {
        ("GET", "/model/info") => {
            match seen.query.iter().find(|(k, _)| k == "litellm_model_id") {
                Some((_, id)) => match state.entries.iter().find(|e| id_of(e) == Some(id)) {
                    Some(e) => (200, json!({"data": [e]}).to_string()),
                    None => (400, json!({"detail": {"error": format!("Model id = {id} not found on litellm proxy")}}).to_string()),
                },
                None => (200, json!({"data": state.entries}).to_string()),
            }
        }
        ("GET", "/v1/models") => {
            let data: Vec<Value> = state
                .entries
                .iter()
                .map(|e| json!({"id": e["model_name"], "object": "model", "created": 1677610602, "owned_by": "openai"}))
                .collect();
            (200, json!({"data": data, "object": "list"}).to_string())
        }
        ("POST", "/model/new") => match mode {
            Mode::RejectWrites(status) => (
                *status,
                json!({"detail": {"error": format!("Invalid model params - api_base unreachable; master key {key} is fine")}}).to_string(),
            ),
            Mode::ForgetWrites => (200, json!({"model_id": id_of(&body)}).to_string()),
            _ => {
                let id = id_of(&body).map(str::to_owned);
                state.entries.push(body);
                (200, json!({"model_id": id, "model_name": "stored"}).to_string())
            }
        },
        ("POST", "/model/delete") => {
            let id = body["id"].as_str().unwrap_or_default().to_owned();
            if *mode == Mode::ForgetWrites {
                return (200, json!({"message": format!("Model: {id} deleted successfully")}).to_string());
            }
            let before = state.entries.len();
            state.entries.retain(|e| id_of(e) != Some(id.as_str()));
            if state.entries.len() == before {
                (400, json!({"detail": {"error": format!("Model with id={id} not found in db")}}).to_string())
            } else {
                (200, json!({"message": format!("Model: {id} deleted successfully")}).to_string())
            }
        }
        _ => (404, json!({"detail": "Not Found"}).to_string()),
    }
}
