//! The Lambda function's executable (`bootstrap` for the `provided.al2023` runtime): reads
//! invocations from the Lambda Runtime API. An event naming a `lifecycleStage` goes to the
//! deployment gate, whose answer is the invocation's result; any other event goes to the
//! registrar, set up at its first event (the gate needs none of its settings or clients).

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use lambda_runtime::{Error, LambdaEvent, service_fn};
use lisa_registrar::{Gate, GateSettings, Handled, Invocation, Registrar, is_gate_event};
use serde_json::Value;
use tokio::sync::OnceCell;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let registrar = Arc::new(OnceCell::<Arc<Registrar>>::new());
    let gate = Arc::new(Gate::new(GateSettings::from_env()));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let registrar = Arc::clone(&registrar);
        let gate = Arc::clone(&gate);
        async move {
            let left = event.context.deadline().duration_since(SystemTime::now());
            let deadline = Instant::now() + left.unwrap_or_default();
            if is_gate_event(&event.payload) {
                let verdict = gate.run(event.payload, deadline).await;
                return Ok::<Value, Error>(verdict.to_response());
            }
            let registrar = registrar
                .get_or_init(|| async { Arc::new(Registrar::from_env().await) })
                .await;
            let invocation = Invocation {
                deadline,
                function_arn: event.context.invoked_function_arn.clone(),
            };
            // The invocation's result names the outcome only: the request carries a pre-signed URL.
            let summary = match registrar.run(event.payload, invocation).await? {
                Handled::Answered(response) => format!("answered {:?}", response.status),
                Handled::HandedOn(relayed) => format!("handed on (hop {})", relayed.hop),
            };
            Ok(Value::String(summary))
        }
    }))
    .await
}
