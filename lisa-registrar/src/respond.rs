//! The answer to CloudFormation: a JSON document PUT to the request's pre-signed ResponseURL with
//! an empty Content-Type (the URL's signature covers it).

use std::collections::HashMap;
use std::time::Duration;

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus,
};
use reqwest::header::CONTENT_TYPE;

use crate::error::RegistrarError;
use crate::retry::pauses;
use backon::Retryable;

/// How many times the PUT is tried.
pub const ATTEMPTS: u32 = 3;

/// The request fields every answer echoes.
#[derive(Debug, Clone, PartialEq)]
pub struct Echo {
    /// Where the answer goes.
    pub response_url: String,
    /// The stack.
    pub stack_id: String,
    /// The request.
    pub request_id: String,
    /// The resource in the template.
    pub logical_resource_id: String,
}

/// A success, with the resource's id and attributes.
pub fn success(
    echo: &Echo,
    physical_id: &str,
    data: HashMap<String, String>,
) -> CloudFormationCustomResourceResponse {
    document(
        echo,
        CloudFormationCustomResourceResponseStatus::Success,
        None,
        physical_id,
        data,
    )
}

/// A success that did nothing, with the reason (for the function's log and the stack's events).
pub fn declined(
    echo: &Echo,
    physical_id: &str,
    reason: String,
) -> CloudFormationCustomResourceResponse {
    document(
        echo,
        CloudFormationCustomResourceResponseStatus::Success,
        Some(reason),
        physical_id,
        HashMap::new(),
    )
}

/// A failure, with the reason an operator reads in the stack's events.
pub fn failure(
    echo: &Echo,
    physical_id: &str,
    reason: String,
) -> CloudFormationCustomResourceResponse {
    document(
        echo,
        CloudFormationCustomResourceResponseStatus::Failed,
        Some(reason),
        physical_id,
        HashMap::new(),
    )
}

fn document(
    echo: &Echo,
    status: CloudFormationCustomResourceResponseStatus,
    reason: Option<String>,
    physical_id: &str,
    data: HashMap<String, String>,
) -> CloudFormationCustomResourceResponse {
    let mut response = CloudFormationCustomResourceResponse::default();
    response.status = status;
    response.reason = reason;
    response.physical_resource_id = physical_id.to_owned();
    response.stack_id = echo.stack_id.clone();
    response.request_id = echo.request_id.clone();
    response.logical_resource_id = echo.logical_resource_id.clone();
    response.no_echo = false;
    response.data = data;
    response
}

/// PUTs the answer, retrying a failed attempt; each attempt limited to `timeout`.
pub async fn send(
    http: &reqwest::Client,
    response_url: &str,
    response: &CloudFormationCustomResourceResponse,
    timeout: Duration,
) -> Result<(), RegistrarError> {
    let body = serde_json::to_vec(response).map_err(|e| RegistrarError::Answer {
        message: e.to_string(),
    })?;
    (|| async {
        match http
            .put(response_url)
            .header(CONTENT_TYPE, "")
            .body(body.clone())
            .timeout(timeout)
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("HTTP {}", r.status())),
            Err(e) => Err(e.without_url().to_string()),
        }
    })
    .retry(pauses(ATTEMPTS, Duration::from_millis(200)))
    .await
    .map_err(|message| RegistrarError::Answer { message })
}
