//! Scheduled transitions: what the lifecycle function does when a model's schedule fires. A
//! transition is the lifecycle's own stop or start ([`Deployer::update`] with `enabled`), so
//! the registry, the stack and LiteLLM change exactly as they do for an administrator's.
//!
//! The rules:
//! - A model busy with another operation (creating, updating, stopping before a start, starting
//!   before a stop) is tried again with a doubling wait, within [`ScheduleRetry::within`]; after
//!   that the transition is skipped, and the skip and its reason are recorded on the model
//!   (`lastScheduledAction` in the API).
//! - A model already where the transition would take it, being deleted, or `Failed` is skipped
//!   at once, with its reason recorded.
//! - A stop by an administrator holds: a scheduled start skips a model stopped by hand unless
//!   its schedule says `resumeAfterManualStop`; starting it by hand hands it back to the
//!   schedule. A scheduled stop of a model started by hand stops it (the schedule's windows
//!   say when it runs).

use super::{Deployer, conflict};
use crate::error::{DeployError, Result};
use crate::registry::WriteError;
use lisa_constructs::ecs_model::schedule::LifecycleEvent;
use lisa_constructs::model::schedule::Transition;
use lisa_constructs::model::{ModelRecord, ModelStatus, ModelUpdate, RunOutcome, ScheduledRun};
use std::time::{Duration, Instant};

/// How long a transition waits for a busy model, and how often it looks again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleRetry {
    /// The longest a transition keeps trying before it is skipped.
    pub within: Duration,
    /// The first wait; each later one doubles, up to `longest_wait`.
    pub first_wait: Duration,
    /// The longest single wait.
    pub longest_wait: Duration,
}

impl ScheduleRetry {
    /// Tries for `within`, waiting 5 s first and at most a minute between two tries (both
    /// shortened to fit `within`).
    pub fn within(within: Duration) -> ScheduleRetry {
        ScheduleRetry {
            within,
            first_wait: Duration::from_secs(5).min(within / 4),
            longest_wait: Duration::from_secs(60).min(within / 2),
        }
    }
}

/// What one look at the model decided.
enum Attempt {
    /// The stop or start was started (and recorded with it).
    Done(ScheduledRun),
    /// Nothing to do, now or later.
    Skip(String),
    /// Another operation has the model; try again.
    Busy(String),
    /// There is no such model (nothing to record it on).
    Missing,
}

impl Deployer {
    /// Carries out a scheduled transition of `event.model_id`, retrying a busy model per
    /// `retry`; returns what happened, as recorded on the model (a model that does not exist
    /// gets a skip that is recorded nowhere). An AWS failure is an error, so the invocation can
    /// be retried.
    pub async fn run_scheduled(
        &self,
        event: &LifecycleEvent,
        retry: &ScheduleRetry,
    ) -> Result<ScheduledRun> {
        let started = Instant::now();
        let mut wait = retry.first_wait.max(Duration::from_millis(100));
        let mut tries = 0u32;
        loop {
            tries += 1;
            let reason = match self.attempt(event).await? {
                Attempt::Done(run) => return Ok(run),
                Attempt::Missing => {
                    return Ok(run(
                        event,
                        RunOutcome::Skipped,
                        Some("no such model".to_owned()),
                    ));
                }
                Attempt::Skip(reason) => return self.record_skip(event, reason).await,
                Attempt::Busy(reason) => reason,
            };
            if started.elapsed() + wait > retry.within {
                let reason = format!(
                    "{reason}; gave up after {tries} tries in {} s",
                    started.elapsed().as_secs()
                );
                return self.record_skip(event, reason).await;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(retry.longest_wait.max(wait));
        }
    }

    /// One look at the model: start the transition, or say why not.
    async fn attempt(&self, event: &LifecycleEvent) -> Result<Attempt> {
        let record = match self.get(&event.model_id).await {
            Ok(record) => record,
            Err(DeployError::Refused { .. }) => return Ok(Attempt::Missing),
            Err(error) => return Err(error),
        };
        let Some(schedule) = &record.definition.schedule else {
            return Ok(Attempt::Skip(
                "the model has no schedule any more".to_owned(),
            ));
        };
        let decision = decide(&record, event.action, schedule.resume_after_manual_stop());
        if let Some(attempt) = decision {
            return Ok(attempt);
        }
        let update = ModelUpdate {
            enabled: Some(event.action == Transition::Start),
            ..ModelUpdate::default()
        };
        let done = run(event, RunOutcome::Done, None);
        match self
            .update_by(&event.model_id, &update, Some(done.clone()))
            .await
        {
            Ok(_) => Ok(Attempt::Done(done)),
            // Another request got there first: look again.
            Err(DeployError::Conflict { current, .. }) => Ok(Attempt::Busy(format!(
                "another operation changed the model first (now {})",
                current.map_or("gone".to_owned(), |s| s.to_string())
            ))),
            Err(DeployError::Refused { refusal, .. }) => Ok(Attempt::Busy(refusal.to_string())),
            Err(error) => Err(error),
        }
    }

    /// Records a skipped transition on the model (a guarded write, read again when another
    /// write came first) and returns it.
    async fn record_skip(&self, event: &LifecycleEvent, reason: String) -> Result<ScheduledRun> {
        let skipped = run(event, RunOutcome::Skipped, Some(reason));
        for _ in 0..5 {
            let Some(mut record) = self.registry.get(&event.model_id).await? else {
                return Ok(skipped);
            };
            record.last_scheduled_run = Some(skipped.clone());
            match self.registry.replace(record).await {
                Ok(_) => return Ok(skipped),
                Err(WriteError::Conflict) => continue,
                Err(WriteError::Failed(error)) => return Err(error),
            }
        }
        Err(conflict(&event.model_id, None))
    }
}

/// What the model's status says about a transition: `None` to go ahead, or why not.
fn decide(
    record: &ModelRecord,
    action: Transition,
    resume_after_manual_stop: bool,
) -> Option<Attempt> {
    use ModelStatus as S;
    let busy = |status: ModelStatus| Some(Attempt::Busy(format!("the model is {status}")));
    let skip = |reason: String| Some(Attempt::Skip(reason));
    match (action, record.status) {
        (Transition::Stop, S::InService) => None,
        (Transition::Stop, S::Stopped | S::Stopping) => skip(format!("the model is {} already", record.status)),
        (Transition::Start, S::Stopped) if record.stopped_by_hand && !resume_after_manual_stop => skip(
            "the model was stopped by hand: scheduled starts resume once it is started by hand \
             (or with resumeAfterManualStop in its schedule)"
                .to_owned(),
        ),
        (Transition::Start, S::Stopped) => None,
        (Transition::Start, S::InService | S::Starting) => skip(format!("the model is {} already", record.status)),
        (_, S::Deleting) => skip("the model is being deleted".to_owned()),
        (_, S::Failed) => skip("the model is Failed: it can only be deleted".to_owned()),
        (_, status @ (S::Creating | S::Updating | S::Stopping | S::Starting)) => busy(status),
    }
}

fn run(event: &LifecycleEvent, outcome: RunOutcome, reason: Option<String>) -> ScheduledRun {
    ScheduledRun {
        action: event.action,
        scheduled_time: event.scheduled_time.clone(),
        ran_at: crate::registry::now(),
        outcome,
        reason,
    }
}
