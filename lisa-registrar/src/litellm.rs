//! The LiteLLM proxy's admin API, as far as registration needs it: `/model/info` (one entry by
//! id, or all), `/model/new`, `/model/delete`, and `/v1/models`. Authenticated with the master key
//! as a bearer token; transient failures (no connection, 429, 502-504) are retried a few times.

use std::time::Duration;

use crate::retry::pauses;
use backon::Retryable;
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How many times a call is tried when the failure is transient.
pub const ATTEMPTS: u32 = 3;
/// The pause before the first retry (doubled before each further one).
pub const RETRY_PAUSE: Duration = Duration::from_millis(300);

/// Why a call to LiteLLM failed. The messages name the endpoint and the call, never the key.
#[derive(Debug, thiserror::Error)]
pub enum LiteLlmError {
    /// No connection could be made.
    #[error(
        "cannot reach LiteLLM at {endpoint} ({call}): {message}; check the LiteLlmEndpoint parameter and that the registration function's network can reach the proxy"
    )]
    Unreachable {
        /// The proxy's base URL.
        endpoint: String,
        /// Method and path.
        call: String,
        /// The connection error.
        message: String,
    },
    /// No answer within the call's timeout.
    #[error("LiteLLM at {endpoint} did not answer {call} within {seconds} s")]
    Timeout {
        /// The proxy's base URL.
        endpoint: String,
        /// Method and path.
        call: String,
        /// The timeout.
        seconds: u64,
    },
    /// LiteLLM refused the call.
    #[error("LiteLLM at {endpoint} answered {status} to {call}: {detail}{hint}")]
    Status {
        /// The proxy's base URL.
        endpoint: String,
        /// Method and path.
        call: String,
        /// The HTTP status.
        status: u16,
        /// LiteLLM's own message.
        detail: String,
        /// What the operator can do about it.
        hint: &'static str,
    },
    /// The answer was not what LiteLLM's API describes.
    #[error("LiteLLM at {endpoint} gave an unreadable answer to {call}: {message}")]
    Unreadable {
        /// The proxy's base URL.
        endpoint: String,
        /// Method and path.
        call: String,
        /// What was wrong.
        message: String,
    },
}

impl LiteLlmError {
    fn is_transient(&self) -> bool {
        match self {
            LiteLlmError::Unreachable { .. } => true,
            LiteLlmError::Status { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            LiteLlmError::Timeout { .. } | LiteLlmError::Unreadable { .. } => false,
        }
    }
}

/// One model entry (a deployment in LiteLLM's words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// The name clients ask for.
    pub model_name: String,
    /// How LiteLLM routes to it (`model`, `api_base`, ...).
    pub litellm_params: Map<String, Value>,
    /// Metadata: `id`, `mode`, ...
    #[serde(default)]
    pub model_info: Map<String, Value>,
}

impl Deployment {
    /// `model_info.id`, if present.
    pub fn id(&self) -> Option<&str> {
        self.model_info.get("id").and_then(Value::as_str)
    }
}

#[derive(Deserialize)]
struct DataList<T> {
    data: Vec<T>,
}

/// A model as `/v1/models` lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ListedModel {
    /// The name clients ask for.
    pub id: String,
}

/// A client of one proxy.
#[derive(Debug, Clone)]
pub struct LiteLlmClient {
    http: reqwest::Client,
    endpoint: String,
    master_key: String,
    timeout: Duration,
}

impl LiteLlmClient {
    /// A client of the proxy at `endpoint` (its base URL), each call limited to `timeout`.
    pub fn new(
        http: reqwest::Client,
        endpoint: &str,
        master_key: String,
        timeout: Duration,
    ) -> LiteLlmClient {
        LiteLlmClient {
            http,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            master_key,
            timeout,
        }
    }

    /// The proxy's base URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The entry with this id, or `None` when LiteLLM does not know it.
    pub async fn model(&self, id: &str) -> Result<Option<Deployment>, LiteLlmError> {
        let query = [("litellm_model_id", id)];
        match self.call(Method::GET, "/model/info", &query, None).await {
            Ok(value) => {
                let list: DataList<Deployment> = self.parse("GET /model/info", value)?;
                Ok(list.data.into_iter().find(|d| d.id() == Some(id)))
            }
            // LiteLLM answers 400 "Model id = ... not found on litellm proxy" for an unknown id.
            Err(LiteLlmError::Status {
                status: 400 | 404,
                detail,
                ..
            }) if detail.contains("not found") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every entry.
    pub async fn models(&self) -> Result<Vec<Deployment>, LiteLlmError> {
        let value = self.call(Method::GET, "/model/info", &[], None).await?;
        let list: DataList<Deployment> = self.parse("GET /model/info", value)?;
        Ok(list.data)
    }

    /// The model names clients can ask for (`/v1/models`).
    pub async fn model_names(&self) -> Result<Vec<String>, LiteLlmError> {
        let value = self.call(Method::GET, "/v1/models", &[], None).await?;
        let list: DataList<ListedModel> = self.parse("GET /v1/models", value)?;
        Ok(list.data.into_iter().map(|m| m.id).collect())
    }

    /// Adds an entry.
    pub async fn add(&self, deployment: &Deployment) -> Result<(), LiteLlmError> {
        let body = serde_json::to_value(deployment).map_err(|e| LiteLlmError::Unreadable {
            endpoint: self.endpoint.clone(),
            call: "POST /model/new".into(),
            message: e.to_string(),
        })?;
        self.call(Method::POST, "/model/new", &[], Some(body))
            .await
            .map(drop)
    }

    /// Removes the entry with this id.
    pub async fn delete(&self, id: &str) -> Result<(), LiteLlmError> {
        let body = serde_json::json!({ "id": id });
        self.call(Method::POST, "/model/delete", &[], Some(body))
            .await
            .map(drop)
    }

    fn parse<T: serde::de::DeserializeOwned>(
        &self,
        call: &str,
        value: Value,
    ) -> Result<T, LiteLlmError> {
        serde_json::from_value(value).map_err(|e| LiteLlmError::Unreadable {
            endpoint: self.endpoint.clone(),
            call: call.to_owned(),
            message: e.to_string(),
        })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Value, LiteLlmError> {
        (|| self.call_once(method.clone(), path, query, body.as_ref()))
            .retry(pauses(ATTEMPTS, RETRY_PAUSE))
            .when(LiteLlmError::is_transient)
            .notify(|e, _| eprintln!("lisa-registrar: retrying after: {e}"))
            .await
    }

    async fn call_once(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, LiteLlmError> {
        let call = format!("{method} {path}");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.endpoint))
            .bearer_auth(&self.master_key)
            .timeout(self.timeout);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                LiteLlmError::Timeout {
                    endpoint: self.endpoint.clone(),
                    call: call.clone(),
                    seconds: self.timeout.as_secs(),
                }
            } else {
                LiteLlmError::Unreachable {
                    endpoint: self.endpoint.clone(),
                    call: call.clone(),
                    message: crate::message::chain(&e.without_url()),
                }
            }
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let text = response.text().await.map_err(transport)?;
        if !status.is_success() {
            return Err(LiteLlmError::Status {
                endpoint: self.endpoint.clone(),
                call,
                status: status.as_u16(),
                detail: detail(&text),
                hint: hint(status),
            });
        }
        serde_json::from_str(&text).map_err(|e| LiteLlmError::Unreadable {
            endpoint: self.endpoint.clone(),
            call,
            message: format!("not JSON ({e})"),
        })
    }
}

/// LiteLLM's message out of an error body (`{"detail": ...}` or `{"error": {"message": ...}}`).
fn detail(body: &str) -> String {
    let text = match serde_json::from_str::<Value>(body) {
        Ok(value) => {
            let found = value
                .pointer("/detail/error")
                .or_else(|| value.pointer("/error/message"))
                .or_else(|| value.get("detail"))
                .unwrap_or(&value);
            match found {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }
        }
        Err(_) => body.to_owned(),
    };
    text.chars().take(500).collect()
}

fn hint(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 | 403 => "; check that the secret holds the proxy's current master key",
        404 => "; check that LiteLlmEndpoint is the proxy's base URL",
        400 | 422 => "; the proxy refused the model's parameters",
        500 => "; check the proxy's logs (a proxy without a database cannot store models)",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_come_from_litellm_error_shapes() {
        assert_eq!(
            detail(r#"{"detail":{"error":"Model id = x not found on litellm proxy"}}"#),
            "Model id = x not found on litellm proxy"
        );
        assert_eq!(detail(r#"{"error":{"message":"bad key"}}"#), "bad key");
        assert_eq!(detail("plain"), "plain");
    }
}
