//! Scheduled transitions: what the lifecycle function does when a model's schedule fires. A
//! transition is the lifecycle's own stop or start ([`Deployer::update`] with `enabled`), so
//! the registry, the stack and LiteLLM change exactly as they do for an administrator's.
//!
//! The rules ([`due::decide`] holds them, without I/O; each look at the model asks it):
//! - An event is obeyed only when it agrees with what the model's schedule wants at the time
//!   it is decided, is at most [`due::MAX_EVENT_AGE_SECONDS`] old and is not dated ahead of
//!   that time; otherwise it is refused, and the refusal recorded on the model.
//! - A model busy with another operation (creating, updating, stopping before a start, starting
//!   before a stop) is tried again with a doubling wait, within [`ScheduleRetry::within`]; after
//!   that the transition is skipped, and the skip and its reason are recorded on the model
//!   (`lastScheduledAction` in the API).
//! - A model already where the transition would take it, being deleted, or `Failed` is skipped
//!   at once, with its reason recorded.
//! - A stop by an administrator holds: a scheduled start of a model stopped (or held stopped)
//!   by hand is recorded as held unless its schedule says `resumeAfterManualStop`; starting it
//!   by hand hands it back to the schedule. A scheduled stop of a model started by hand stops
//!   it (the schedule's windows say when it runs).
//! - An event carried out already (the same transition due at the same time, recorded as
//!   `started` or `done`: a second delivery) is not decided again: it follows or reports that
//!   run ([`due::carried_out`]).
//! - A transition carried out is recorded as `started` with its stack operation, then followed
//!   for up to [`ScheduleRetry::settle_within`]: once the model settles it is recorded as
//!   `done` (the model is where the transition was to take it) or `failed` with the reason
//!   (the stack failed or rolled back). One that cannot start is recorded as `failed` with the
//!   error, and the error is returned so the invocation can be tried again.

use super::{Deployer, conflict};
use crate::error::{DeployError, Result};
use crate::registry::WriteError;
use lisa_constructs::model::schedule::due::{self, Decision, DueTransition};
use lisa_constructs::model::schedule::{Timestamp, Transition};
use lisa_constructs::model::{ModelUpdate, RunOutcome, ScheduledRun};
use std::time::{Duration, Instant};

/// How long a transition waits for a busy model, how often it looks again, and how long it
/// follows the stop or start it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleRetry {
    /// The longest a transition keeps trying before it is skipped.
    pub within: Duration,
    /// The first wait; each later one doubles, up to `longest_wait`.
    pub first_wait: Duration,
    /// The longest single wait.
    pub longest_wait: Duration,
    /// The longest a started stop or start is followed, from the first look at the model, to
    /// record its outcome; one still under way then (or not followed at all, for zero) stays
    /// recorded as `started`, for [`Deployer::settle_scheduled`] to settle.
    pub settle_within: Duration,
}

impl ScheduleRetry {
    /// Tries for `within`, waiting 5 s first and at most a minute between two tries (both
    /// shortened to fit `within`), and follows a started transition for as long.
    pub fn within(within: Duration) -> ScheduleRetry {
        ScheduleRetry {
            within,
            first_wait: Duration::from_secs(5).min(within / 4),
            longest_wait: Duration::from_secs(60).min(within / 2),
            settle_within: within,
        }
    }

    /// The same, following a started transition for at most `settle_within`.
    pub fn settling_within(self, settle_within: Duration) -> ScheduleRetry {
        ScheduleRetry {
            settle_within,
            ..self
        }
    }
}

/// How an attempt to start the transition went.
enum Begun {
    /// Its stack operation started; the run is recorded as started.
    Started(ScheduledRun),
    /// Another operation got the model first; look again.
    Busy(String),
    /// It could not start.
    Failed(DeployError),
}

impl Deployer {
    /// Carries out the scheduled transition `due`, decided at `now` (and at `now` plus the time
    /// spent since, on later looks), retrying a busy model and following a started transition
    /// per `retry`. Returns what happened, as recorded on the model (a model that does not
    /// exist gets a skip recorded nowhere). An AWS failure is an error, so the invocation can
    /// be retried; one that kept the transition from starting is recorded as `failed` first.
    pub async fn run_scheduled(
        &self,
        due: &DueTransition,
        now: Timestamp,
        retry: &ScheduleRetry,
    ) -> Result<ScheduledRun> {
        let started = Instant::now();
        let model_id = due.model_id.as_str();
        let mut wait = retry.first_wait.max(Duration::from_millis(100));
        let mut tries = 0u32;
        loop {
            tries += 1;
            let at = later(now, started.elapsed());
            let record = match self.get(model_id).await {
                Ok(record) => record,
                Err(DeployError::Refused { .. }) => {
                    let reason = "no such model".to_owned();
                    return Ok(due.run(at, RunOutcome::Skipped, Some(reason)));
                }
                Err(error) => return Err(error),
            };
            if let Some(run) = due::carried_out(due, &record) {
                let left = retry.settle_within.saturating_sub(started.elapsed());
                return match run.outcome {
                    RunOutcome::Started => Box::pin(self.follow(due, run.clone(), left)).await,
                    _ => Ok(run.clone()),
                };
            }
            let reason = match due::decide(due, &record, at) {
                // Boxed, both: a stack operation's future is large, and a caller's future
                // holding it inline can overflow a thread's stack in an unoptimized build.
                Decision::Go => match Box::pin(self.begin(due, at)).await {
                    Begun::Started(run) => {
                        let left = retry.settle_within.saturating_sub(started.elapsed());
                        return Box::pin(self.follow(due, run, left)).await;
                    }
                    Begun::Busy(reason) => reason,
                    Begun::Failed(error) => {
                        let failed = due.run(at, RunOutcome::Failed, Some(error.to_string()));
                        // The error is the answer; a record that could not be written as well
                        // does not replace it.
                        let _ = self.record_run(model_id, failed).await;
                        return Err(error);
                    }
                },
                Decision::Busy(reason) => reason,
                Decision::Refuse(reason) => {
                    let run = due.run(at, RunOutcome::Refused, Some(reason));
                    return self.record_run(model_id, run).await;
                }
                Decision::Hold(reason) => {
                    let run = due.run(at, RunOutcome::Held, Some(reason));
                    return self.record_run(model_id, run).await;
                }
                Decision::Skip(reason) => {
                    let run = due.run(at, RunOutcome::Skipped, Some(reason));
                    return self.record_run(model_id, run).await;
                }
            };
            if started.elapsed() + wait > retry.within {
                let reason = format!(
                    "{reason}; gave up after {tries} tries in {} s",
                    started.elapsed().as_secs()
                );
                let at = later(now, started.elapsed());
                let run = due.run(at, RunOutcome::Skipped, Some(reason));
                return self.record_run(model_id, run).await;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(retry.longest_wait.max(wait));
        }
    }

    /// Starts the stop or start, recording it as started with its working status.
    async fn begin(&self, due: &DueTransition, at: Timestamp) -> Begun {
        let update = ModelUpdate {
            enabled: Some(due.action == Transition::Start),
            ..ModelUpdate::default()
        };
        let run = due.run(at, RunOutcome::Started, None);
        match self
            .update_by(due.model_id.as_str(), &update, Some(run.clone()))
            .await
        {
            Ok(_) => Begun::Started(run),
            Err(DeployError::Conflict { current, .. }) => Begun::Busy(format!(
                "another operation changed the model first (now {})",
                current.map_or("gone".to_owned(), |s| s.to_string())
            )),
            Err(DeployError::Refused { refusal, .. }) => Begun::Busy(refusal.to_string()),
            Err(error) => Begun::Failed(error),
        }
    }

    /// Follows the started `run` for at most `within` (not at all for zero): what it came to,
    /// or still `started`.
    async fn follow(
        &self,
        due: &DueTransition,
        run: ScheduledRun,
        within: Duration,
    ) -> Result<ScheduledRun> {
        if within.is_zero() {
            return Ok(run);
        }
        match self.settle_scheduled(due.model_id.as_str(), within).await? {
            Some(recorded) if same_run(&recorded, &run) => Ok(recorded),
            // Replaced by a later run: this one's outcome is no longer the record's to say.
            Some(_) => Ok(run),
            None => {
                let mut gone = run;
                gone.outcome = RunOutcome::Failed;
                gone.reason = Some(format!(
                    "the model was deleted before the {} settled",
                    due.action
                ));
                Ok(gone)
            }
        }
    }

    /// Settles the model's last scheduled run when it is recorded as `started`: follows the
    /// model's operation for at most `within` and, once the model settles, records what the
    /// transition came to (`done`, or `failed` with the model's failure reason). Returns the
    /// model's last scheduled run as recorded then (still `started` when its operation is
    /// under way after `within`), or `None` when the model has none or no longer exists.
    pub async fn settle_scheduled(
        &self,
        model_id: &str,
        within: Duration,
    ) -> Result<Option<ScheduledRun>> {
        let until = Instant::now() + within;
        loop {
            let Some(record) = self.find(model_id).await? else {
                return Ok(None);
            };
            let Some(run) = record.last_scheduled_run.clone() else {
                return Ok(None);
            };
            if run.outcome != RunOutcome::Started {
                return Ok(Some(run));
            }
            if let Some(settled) = due::settle(&run, &record) {
                let mut next = record;
                next.last_scheduled_run = Some(settled.clone());
                match self.registry.replace(next).await {
                    Ok(_) => return Ok(Some(settled)),
                    // Another write came first: look again.
                    Err(WriteError::Conflict) => continue,
                    Err(WriteError::Failed(error)) => return Err(error),
                }
            }
            let pause = self.options.polling.pause();
            if Instant::now() + pause > until {
                return Ok(Some(run));
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// Records `run` as the model's last scheduled run (a guarded write, read again when
    /// another write came first) and returns it.
    async fn record_run(&self, model_id: &str, run: ScheduledRun) -> Result<ScheduledRun> {
        for _ in 0..5 {
            let Some(mut record) = self.registry.get(model_id).await? else {
                return Ok(run);
            };
            record.last_scheduled_run = Some(run.clone());
            match self.registry.replace(record).await {
                Ok(_) => return Ok(run),
                Err(WriteError::Conflict) => continue,
                Err(WriteError::Failed(error)) => return Err(error),
            }
        }
        Err(conflict(model_id, None))
    }
}

/// The same transition, decided at the same time (whatever became of it).
fn same_run(a: &ScheduledRun, b: &ScheduledRun) -> bool {
    (a.action, &a.scheduled_time, &a.ran_at) == (b.action, &b.scheduled_time, &b.ran_at)
}

/// `now` plus `elapsed`: the deciding clock of a later look.
fn later(now: Timestamp, elapsed: Duration) -> Timestamp {
    now.saturating_add(elapsed).unwrap_or(now)
}
