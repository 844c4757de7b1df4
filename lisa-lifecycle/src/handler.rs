//! The handler: from a schedule's event to the transition's outcome.
//!
//! [`LifecycleHandler::handle`] checks the pinned settings, reads the event, connects a
//! [`Deployer`] for the pinned deployment (preflight checks off: the function's role has no
//! quota or Availability Zone reads, and a start brings back capacity the model had) and runs
//! [`Deployer::run_scheduled`] with the time it is given as now. An event the model's schedule
//! does not want at that time, or too old, is refused and the refusal recorded on the model; a
//! model busy with another operation is tried again within the settings' window; a started
//! transition is followed to its end; all of it cut short before the invocation's deadline.
//! What happened is recorded on the model by the lifecycle and returned. Each invocation logs
//! one line of bounded length: the transition, the model and the outcome (or why the event was
//! refused), whatever the event or a stack's failure reason holds.

use std::time::Instant;

use lisa_constructs::model::schedule::{DueTransition, Timestamp};
use lisa_constructs::model::{RunOutcome, ScheduledRun};
use lisa_deploy::{Clients, Deployer, DeployerOptions};
use serde_json::Value;

use crate::error::LifecycleError;
use crate::event;
use crate::line::one_line;
use crate::settings::{Settings, SettingsError};

/// The longest log line the function writes, in bytes.
pub const LOG_LINE_MAX_BYTES: usize = 4096;

/// The clients and settings the handler uses.
#[derive(Debug, Clone)]
pub struct LifecycleHandler {
    /// The AWS clients (the function's own region and credentials).
    pub clients: Clients,
    /// The pinned settings, or why they cannot be used (every event is then refused).
    pub settings: Result<Settings, SettingsError>,
}

impl LifecycleHandler {
    /// Clients from the environment as Lambda sets it (region, credentials; `AWS_ENDPOINT_URL`
    /// is honoured) and the settings from the function's variables.
    pub async fn from_env() -> LifecycleHandler {
        LifecycleHandler {
            clients: Clients::load(None, None).await,
            settings: Settings::from_env(),
        }
    }

    /// Handles one invocation that arrived at `now` and whose deadline is `deadline`: the
    /// scheduled transition's outcome, or why it could not be carried out. Logs one line to
    /// standard error.
    pub async fn handle(
        &self,
        payload: &Value,
        deadline: Instant,
        now: Timestamp,
    ) -> Result<ScheduledRun, LifecycleError> {
        let accepted = self
            .settings
            .clone()
            .map_err(LifecycleError::from)
            .and_then(|settings| Ok((event::parse(payload)?, settings)));
        let (due, settings) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("{}", refused_line(&error));
                return Err(error);
            }
        };
        // Boxed: the lifecycle's future nests deep enough to exceed the compiler's query depth
        // inside the Lambda runtime's own futures.
        let result = Box::pin(self.run(&due, &settings, deadline, now)).await;
        eprintln!("{}", outcome_line(&settings.deployment_name, &due, &result));
        result
    }

    async fn run(
        &self,
        due: &DueTransition,
        settings: &Settings,
        deadline: Instant,
        now: Timestamp,
    ) -> Result<ScheduledRun, LifecycleError> {
        let options = DeployerOptions {
            deployment_name: settings.deployment_name.clone(),
            skip_preflight: true,
            ..DeployerOptions::default()
        };
        let deployer = Deployer::connect(self.clients.clone(), options)
            .await
            .map_err(|source| LifecycleError::Connect {
                deployment_name: settings.deployment_name.clone(),
                source,
            })?;
        deployer
            .run_scheduled(due, now, &settings.retry(deadline))
            .await
            .map_err(|source| LifecycleError::Transition {
                model_id: due.model_id.to_string(),
                action: due.action,
                source,
            })
    }
}

/// The log line of an event refused before it reached a model.
pub fn refused_line(error: &LifecycleError) -> String {
    one_line(
        &format!(
            "lisa-lifecycle: refused the event ({}): {error}",
            error.kind()
        ),
        LOG_LINE_MAX_BYTES,
    )
}

/// The log line of a transition of `due.model_id` in `deployment_name`: what, which model,
/// when it was due, and how it ended.
pub fn outcome_line(
    deployment_name: &str,
    due: &DueTransition,
    result: &Result<ScheduledRun, LifecycleError>,
) -> String {
    let outcome = match result {
        Ok(run) => match &run.reason {
            Some(reason) => format!("{}: {reason}", outcome_name(run.outcome)),
            None => outcome_name(run.outcome).to_owned(),
        },
        Err(error) => format!("failed ({}): {error}", error.kind()),
    };
    one_line(
        &format!(
            "lisa-lifecycle: scheduled {} of model {} in deployment {deployment_name} due {}: {outcome}",
            due.action, due.model_id, due.scheduled_time
        ),
        LOG_LINE_MAX_BYTES,
    )
}

/// The outcome as `lastScheduledAction.outcome` spells it.
fn outcome_name(outcome: RunOutcome) -> &'static str {
    match outcome {
        RunOutcome::Done => "done",
        RunOutcome::Started => "started",
        RunOutcome::Failed => "failed",
        RunOutcome::Skipped => "skipped",
        RunOutcome::Held => "held",
        RunOutcome::Refused => "refused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lisa_constructs::model::schedule::Transition;

    fn stop() -> DueTransition {
        DueTransition {
            model_id: lisa_constructs::model::ModelId::parse("m1").expect("valid"),
            action: Transition::Stop,
            scheduled_time: lisa_constructs::model::schedule::ScheduledTime::parse(
                "2026-12-05T21:00:00Z",
            )
            .expect("a time"),
        }
    }

    fn ran(outcome: RunOutcome, reason: Option<&str>) -> ScheduledRun {
        ScheduledRun {
            action: Transition::Stop,
            scheduled_time: Some("2026-12-05T21:00:00Z".into()),
            ran_at: "2026-12-05T21:00:02Z".into(),
            outcome,
            reason: reason.map(str::to_owned),
        }
    }

    #[test]
    fn one_line_says_what_which_model_and_how_it_ended() {
        assert_eq!(
            outcome_line("lisa", &stop(), &Ok(ran(RunOutcome::Done, None))),
            "lisa-lifecycle: scheduled stop of model m1 in deployment lisa due 2026-12-05T21:00:00Z: done"
        );
        let skipped = outcome_line(
            "lisa",
            &stop(),
            &Ok(ran(
                RunOutcome::Skipped,
                Some("the model is Stopped already"),
            )),
        );
        assert!(
            skipped.ends_with(": skipped: the model is Stopped already"),
            "{skipped}"
        );
        let failed = outcome_line(
            "lisa",
            &stop(),
            &Err(LifecycleError::Transition {
                model_id: "m1".into(),
                action: Transition::Stop,
                source: lisa_deploy::DeployError::Preflight("x".into()),
            }),
        );
        assert!(failed.contains(": failed (TransitionFailed): "), "{failed}");
        for line in [&skipped, &failed] {
            assert!(!line.contains('\n'), "{line}");
        }
    }

    #[test]
    fn a_log_line_is_one_bounded_line_whatever_the_event_or_the_outcome_holds() {
        let forged = "stop\nlisa-lifecycle: scheduled stop of model m2 in deployment lisa: done";
        let huge = "x".repeat(300_000);
        for action in [forged, huge.as_str()] {
            let payload = serde_json::json!({
                "modelId": "m1",
                "action": action,
                "scheduledTime": "2026-12-05T21:00:00Z",
            });
            let error = LifecycleError::from(event::parse(&payload).expect_err("malformed"));
            let line = refused_line(&error);
            assert!(!line.contains(['\n', '\r']), "{line}");
            assert!(line.len() <= LOG_LINE_MAX_BYTES, "{} bytes", line.len());
        }
        let reason = "UPDATE_FAILED\nlisa-lifecycle: scheduled stop of model m2: done";
        let line = outcome_line("lisa", &stop(), &Ok(ran(RunOutcome::Skipped, Some(reason))));
        assert!(!line.contains(['\n', '\r']), "{line}");
        assert!(line.contains("UPDATE_FAILED\\nlisa-lifecycle"), "{line}");
    }

    #[tokio::test]
    async fn without_the_deployment_every_event_is_refused_before_any_call() {
        // The endpoint is closed: a call would fail with another message.
        let clients = Clients::with_static_credentials(
            "http://127.0.0.1:9",
            "us-east-1",
            "testing",
            "testing",
        )
        .await;
        let lifecycle = LifecycleHandler {
            clients,
            settings: Settings::read(|_| None),
        };
        let event = serde_json::json!({"modelId": "m1", "action": "stop"});
        let error = lifecycle
            .handle(&event, Instant::now(), Timestamp::now())
            .await
            .expect_err("not configured");
        assert_eq!(error.kind(), "NotConfigured");
        assert!(
            error.to_string().contains("LISA_DEPLOYMENT_NAME"),
            "{error}"
        );

        let lifecycle = LifecycleHandler {
            settings: Ok(Settings {
                deployment_name: "lisa".into(),
                retry_within: std::time::Duration::ZERO,
            }),
            ..lifecycle
        };
        let error = lifecycle
            .handle(
                &serde_json::json!({"modelId": "m1"}),
                Instant::now(),
                Timestamp::now(),
            )
            .await
            .expect_err("malformed");
        assert_eq!(error.kind(), "MalformedEvent");
        assert!(error.to_string().contains("`action`"), "{error}");
    }
}
