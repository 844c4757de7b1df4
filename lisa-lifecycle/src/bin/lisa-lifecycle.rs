//! The lifecycle function's executable (packaged as `bootstrap` for the `provided.al2023`
//! runtime): reads invocations from the Lambda Runtime API and hands each to the handler; the
//! invocation's result is the transition's outcome as recorded on the model.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Error, LambdaEvent, service_fn};
use lisa_constructs::model::schedule::Timestamp;
use lisa_lifecycle::Lifecycle;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let lifecycle = Arc::new(Lifecycle::from_env().await);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let lifecycle = Arc::clone(&lifecycle);
        async move {
            let now = Timestamp::now();
            lifecycle
                .handle(&event.payload, deadline(event.context.deadline), now)
                .await
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
