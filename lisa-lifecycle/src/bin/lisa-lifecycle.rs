//! The lifecycle function's executable (packaged as `bootstrap` for the `provided.al2023`
//! runtime): reads invocations from the Lambda Runtime API and hands each to the handler; the
//! invocation's result is the transition's outcome as recorded on the model.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use lambda_runtime::{Error, LambdaEvent, service_fn};
use lisa_constructs::model::schedule::Timestamp;
use lisa_lifecycle::LifecycleHandler;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let lifecycle = Arc::new(LifecycleHandler::from_env().await);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let lifecycle = Arc::clone(&lifecycle);
        async move {
            let now = Timestamp::now();
            let left = event.context.deadline().duration_since(SystemTime::now());
            let deadline = Instant::now() + left.unwrap_or_default();
            lifecycle.handle(&event.payload, deadline, now).await
        }
    }))
    .await
}
