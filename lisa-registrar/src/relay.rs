//! Handing a request on to a fresh invocation of the function, when a hosted model's load takes
//! longer than one invocation may run. The envelope keeps the time the request was first seen,
//! so the load budget is counted once across all invocations.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::RegistrarError;

/// The most invocations one request may take (at 900 s each, more than the longest
/// `ServiceTimeout` of 3600 s needs).
pub const MAX_HOPS: u32 = 8;

/// The event a fresh invocation receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relayed {
    /// Marks the envelope (and its format).
    pub lisa_relay: u32,
    /// When the first invocation saw the request, in milliseconds since the Unix epoch.
    pub first_seen_ms: u64,
    /// How many invocations handled it before.
    pub hop: u32,
    /// CloudFormation's request, unchanged.
    pub request: Value,
}

impl Relayed {
    /// The envelope's format version.
    pub const VERSION: u32 = 1;

    /// Reads an envelope, or `None` when the event is CloudFormation's own request.
    pub fn from_event(event: &Value) -> Option<Relayed> {
        event.get("lisaRelay")?;
        serde_json::from_value(event.clone()).ok()
    }
}

/// Invokes the function asynchronously with the envelope.
pub async fn hand_on(
    client: &Client,
    function_arn: &str,
    relayed: &Relayed,
) -> Result<(), RegistrarError> {
    let payload = serde_json::to_vec(relayed).map_err(|e| RegistrarError::Relay {
        function: function_arn.to_owned(),
        message: e.to_string(),
    })?;
    client
        .invoke()
        .function_name(function_arn)
        .invocation_type(InvocationType::Event)
        .payload(Blob::new(payload))
        .send()
        .await
        .map_err(|e| RegistrarError::Relay {
            function: function_arn.to_owned(),
            message: crate::message::aws_message(&e),
        })?;
    Ok(())
}
