//! The Lambda function's executable (`bootstrap` for the `provided.al2023` runtime): reads
//! invocations from the Lambda Runtime API and hands each to the registrar.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Error, LambdaEvent, service_fn};
use lisa_registrar::{Invocation, Outcome, Registrar};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let registrar = Arc::new(Registrar::from_env().await);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let registrar = Arc::clone(&registrar);
        async move {
            let invocation = Invocation {
                deadline: deadline(event.context.deadline),
                function_arn: event.context.invoked_function_arn.clone(),
            };
            // The invocation's result names the outcome only: the request carries a pre-signed URL.
            let summary = match registrar.run(event.payload, invocation).await? {
                Outcome::Answered(response) => format!("answered {:?}", response.status),
                Outcome::HandedOn(relayed) => format!("handed on (hop {})", relayed.hop),
            };
            Ok::<Value, Error>(Value::String(summary))
        }
    }))
    .await
}

/// The invocation's deadline (milliseconds since the Unix epoch) as an instant.
fn deadline(deadline_ms: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    Instant::now() + Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}
