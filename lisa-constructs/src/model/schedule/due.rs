//! A transition that fell due: what the event a schedule sends must carry, whether the
//! lifecycle obeys it when it arrives, and what a started transition came to once the model
//! settled.
//!
//! The event reaches the lifecycle function asynchronously: EventBridge Scheduler retries a
//! delivery, Lambda retries a failed invocation, and anyone allowed to invoke the function can
//! send one. So an event is obeyed only when it agrees with the model's schedule at the time it
//! is decided, is not older than [`MAX_EVENT_AGE_SECONDS`] and is not dated ahead of that time
//! (beyond [`MAX_CLOCK_SKEW_SECONDS`]). [`decide`] says so, without I/O, from the event, the
//! model's record (its schedule, status and whether it is held) and the time.

use super::Transition;
use crate::model::status;
use crate::model::{ModelId, ModelRecord, ModelStatus, RunOutcome, ScheduledRun};
use jiff::Timestamp;
use std::fmt;

/// The oldest an event may be when it is decided, counted from its `scheduledTime`: a stop or
/// a start later than this is refused rather than carried out at a time nobody chose.
pub const MAX_EVENT_AGE_SECONDS: u32 = 15 * 60;

/// How far ahead of the deciding clock an event's `scheduledTime` may be: the scheduler's clock
/// and the function's may differ by a little, never by more.
pub const MAX_CLOCK_SKEW_SECONDS: u32 = 60;

/// The longest `scheduledTime` accepted, in bytes: an RFC 3339 time with nanoseconds and an
/// offset (`2026-12-05T21:00:00.123456789+05:30`).
pub const SCHEDULED_TIME_MAX_BYTES: usize = 35;

/// When a transition was due, read from an event's `scheduledTime`. It shows (and is recorded)
/// as RFC 3339 in UTC, never as the text it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScheduledTime(Timestamp);

/// Why a `scheduledTime` cannot be used. The messages never repeat the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduledTimeError {
    /// Longer than any RFC 3339 time.
    #[error(
        "scheduledTime is {length} bytes long; an RFC 3339 time has at most {SCHEDULED_TIME_MAX_BYTES}"
    )]
    TooLong {
        /// Its length in bytes.
        length: usize,
    },
    /// A character no RFC 3339 time has (a control character, a space, a letter...).
    #[error("scheduledTime has a character an RFC 3339 time does not have, at byte {at}")]
    Character {
        /// Where, in bytes from the start.
        at: usize,
    },
    /// Not a date and time with seconds and an offset.
    #[error(
        "scheduledTime is not an RFC 3339 date and time with seconds and an offset, such as 2026-12-05T21:00:00Z"
    )]
    NotRfc3339,
}

impl ScheduledTime {
    /// Reads an RFC 3339 date and time with an offset (`2026-12-05T21:00:00Z`,
    /// `2026-12-05T22:00:00.5+01:00`): at most [`SCHEDULED_TIME_MAX_BYTES`], only the characters
    /// such a time has, and the `YYYY-MM-DDTHH:MM:SS` shape (jiff alone would also take a week
    /// date, a bracketed zone or a missing seconds field).
    pub fn parse(text: &str) -> Result<ScheduledTime, ScheduledTimeError> {
        if text.len() > SCHEDULED_TIME_MAX_BYTES {
            return Err(ScheduledTimeError::TooLong { length: text.len() });
        }
        let bytes = text.as_bytes();
        if let Some(at) = bytes.iter().position(|b| {
            !matches!(
                b,
                b'0'..=b'9' | b'-' | b':' | b'.' | b'+' | b'T' | b't' | b'Z' | b'z'
            )
        }) {
            return Err(ScheduledTimeError::Character { at });
        }
        let shaped = bytes.len() >= 20
            && [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')]
                .iter()
                .all(|(at, separator)| bytes[*at] == *separator)
            && matches!(bytes[10], b'T' | b't');
        if !shaped {
            return Err(ScheduledTimeError::NotRfc3339);
        }
        text.parse::<Timestamp>()
            .map(ScheduledTime)
            .map_err(|_| ScheduledTimeError::NotRfc3339)
    }

    /// The instant.
    pub fn instant(self) -> Timestamp {
        self.0
    }
}

impl From<Timestamp> for ScheduledTime {
    fn from(instant: Timestamp) -> ScheduledTime {
        ScheduledTime(instant)
    }
}

impl fmt::Display for ScheduledTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A lifecycle event, read and checked: which model, which transition, and when it was due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTransition {
    /// The model.
    pub model_id: ModelId,
    /// Start or stop.
    pub action: Transition,
    /// When the scheduler said it was due.
    pub scheduled_time: ScheduledTime,
}

impl DueTransition {
    /// The record of this transition, decided at `at`.
    pub fn run(&self, at: Timestamp, outcome: RunOutcome, reason: Option<String>) -> ScheduledRun {
        ScheduledRun {
            action: self.action,
            scheduled_time: Some(self.scheduled_time.to_string()),
            ran_at: utc_seconds(at),
            outcome,
            reason,
        }
    }
}

/// What to do with a due transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Carry it out.
    Go,
    /// Do not obey the event (recorded as `refused`): the reason says which rule it breaks.
    Refuse(String),
    /// A start of a model an administrator holds stopped (recorded as `held`).
    Hold(String),
    /// Nothing to do, now or later (recorded as `skipped`).
    Skip(String),
    /// Another operation has the model: look again later.
    Busy(String),
}

/// Whether to carry out `due` on the model of `record` at `now`.
///
/// Refused, in this order: a model without a schedule; a `scheduledTime` more than
/// [`MAX_CLOCK_SKEW_SECONDS`] ahead of `now`; an action contrary to the state the schedule
/// wants at `now` (a 12:00 stop arriving at 13:05, after the 13:00 start: the model should
/// run); a `scheduledTime` more than [`MAX_EVENT_AGE_SECONDS`] before `now`. Then the model's
/// status decides: held by hand (a start of a model stopped by an administrator, unless the
/// schedule says `resumeAfterManualStop`), there already, being deleted or `Failed` (skipped),
/// busy with another operation, or go.
pub fn decide(due: &DueTransition, record: &ModelRecord, now: Timestamp) -> Decision {
    let Some(schedule) = &record.definition.schedule else {
        return Decision::Refuse("the model has no schedule".to_owned());
    };
    let due_at = due.scheduled_time.instant();
    let ahead = due_at.duration_since(now).as_secs();
    if ahead > i64::from(MAX_CLOCK_SKEW_SECONDS) {
        return Decision::Refuse(format!(
            "its scheduledTime {} is {} ahead of the time it arrived ({})",
            due.scheduled_time,
            span(ahead),
            utc_seconds(now)
        ));
    }
    // A clock a little behind the scheduler's must not see the transition as not yet due.
    let at = now.max(due_at);
    let running = schedule.running_at(at);
    if running != (due.action == Transition::Start) {
        let wanted = if running { "running" } else { "stopped" };
        let since = schedule
            .previous_action(at)
            .map_or_else(String::new, |last| {
                format!(
                    " since its {} at {} ({})",
                    last.transition,
                    utc_seconds(last.at_utc()),
                    last.local_time()
                )
            });
        return Decision::Refuse(format!(
            "the schedule wants the model {wanted} at {}{since}",
            utc_seconds(now)
        ));
    }
    let age = now.duration_since(due_at).as_secs();
    if age > i64::from(MAX_EVENT_AGE_SECONDS) {
        return Decision::Refuse(format!(
            "its scheduledTime {} was {} before it arrived ({}); an event older than {} is not obeyed",
            due.scheduled_time,
            span(age),
            utc_seconds(now),
            span(MAX_EVENT_AGE_SECONDS.into())
        ));
    }
    by_status(record, due.action, schedule.resume_after_manual_stop())
}

/// What the model's status says about a transition the schedule wants.
fn by_status(record: &ModelRecord, action: Transition, resume_after_manual_stop: bool) -> Decision {
    use ModelStatus as S;
    let status = record.status;
    match (action, status) {
        (Transition::Stop, S::InService) => Decision::Go,
        (Transition::Start, S::Stopped) if record.stopped_by_hand && !resume_after_manual_stop => {
            Decision::Hold(
                "an administrator stopped the model by hand: scheduled starts resume once it is \
                 started by hand (or with resumeAfterManualStop in its schedule)"
                    .to_owned(),
            )
        }
        (Transition::Start, S::Stopped) => Decision::Go,
        (Transition::Stop, S::Stopped | S::Stopping)
        | (Transition::Start, S::InService | S::Starting) => {
            Decision::Skip(format!("the model is {status} already"))
        }
        (_, S::Deleting) => Decision::Skip("the model is being deleted".to_owned()),
        (_, S::Failed) => Decision::Skip("the model is Failed: it can only be deleted".to_owned()),
        (_, S::Creating | S::Updating | S::Stopping | S::Starting) => {
            Decision::Busy(format!("the model is {status}"))
        }
    }
}

/// The run recorded for `due` if it was carried out already: the same transition due at the
/// same time, recorded as `started` or `done`. A second delivery of an event (the scheduler and
/// Lambda deliver at least once) is that run, not a new decision: it must neither stop or start
/// the model again nor overwrite the record of what happened. An event recorded with any other
/// outcome is decided again (a retry after a stop that could not start tries it again).
pub fn carried_out<'a>(due: &DueTransition, record: &'a ModelRecord) -> Option<&'a ScheduledRun> {
    record.last_scheduled_run.as_ref().filter(|run| {
        matches!(run.outcome, RunOutcome::Started | RunOutcome::Done)
            && run.action == due.action
            && run.scheduled_time.as_deref() == Some(due.scheduled_time.to_string().as_str())
    })
}

/// What a started transition came to, once its model settled: `done` when the model is where
/// the transition was to take it, `failed` (with the model's failure reason) when not; `None`
/// while the model's operation is under way, or when `run` is not a started one.
pub fn settle(run: &ScheduledRun, record: &ModelRecord) -> Option<ScheduledRun> {
    if run.outcome != RunOutcome::Started || status::is_working(record.status) {
        return None;
    }
    let wanted = match run.action {
        Transition::Stop => ModelStatus::Stopped,
        Transition::Start => ModelStatus::InService,
    };
    let mut settled = run.clone();
    if record.status == wanted {
        settled.outcome = RunOutcome::Done;
        settled.reason = None;
    } else {
        settled.outcome = RunOutcome::Failed;
        let why = record
            .failure_reason
            .as_deref()
            .map_or_else(String::new, |reason| format!(": {reason}"));
        settled.reason = Some(format!(
            "the {} ended with the model {}{why}",
            run.action, record.status
        ));
    }
    Some(settled)
}

/// RFC 3339 in UTC, whole seconds: how the record writes times.
fn utc_seconds(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A number of seconds for a message: `45 s`, `65 min 0 s`.
fn span(seconds: i64) -> String {
    if seconds.abs() < 60 {
        format!("{seconds} s")
    } else {
        format!("{} min {} s", seconds / 60, (seconds % 60).abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn at(text: &str) -> Timestamp {
        text.parse().expect("an instant")
    }

    /// Runs from 13:00 to 12:00 the next day (UTC): stopped for one hour, 12:00 to 13:00.
    fn lunch_break() -> Value {
        json!({"timeZone": "UTC", "daily": {"startTime": "13:00", "stopTime": "12:00"}})
    }

    fn record(schedule: Option<Value>, status: ModelStatus) -> ModelRecord {
        let mut definition = json!({
            "modelId": "m1", "modelName": "bedrock/x", "modelType": "textgen",
        });
        if let Some(schedule) = schedule {
            definition["schedule"] = schedule;
        }
        ModelRecord::for_tests(&definition, status)
    }

    fn due(action: Transition, scheduled_time: &str) -> DueTransition {
        DueTransition {
            model_id: ModelId::parse("m1").expect("valid"),
            action,
            scheduled_time: ScheduledTime::parse(scheduled_time).expect("a time"),
        }
    }

    fn refusal(decision: Decision) -> String {
        match decision {
            Decision::Refuse(reason) => reason,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn an_event_on_time_and_agreeing_with_the_schedule_goes_ahead() {
        let running = record(Some(lunch_break()), ModelStatus::InService);
        let stop = due(Transition::Stop, "2026-12-05T12:00:00Z");
        assert_eq!(
            decide(&stop, &running, at("2026-12-05T12:00:01Z")),
            Decision::Go
        );
        // Late, within the bound.
        assert_eq!(
            decide(&stop, &running, at("2026-12-05T12:14:59Z")),
            Decision::Go
        );
        // The function's clock a little behind the scheduler's.
        assert_eq!(
            decide(&stop, &running, at("2026-12-05T11:59:30Z")),
            Decision::Go
        );
        let stopped = record(Some(lunch_break()), ModelStatus::Stopped);
        let start = due(Transition::Start, "2026-12-05T13:00:00Z");
        assert_eq!(
            decide(&start, &stopped, at("2026-12-05T13:00:02Z")),
            Decision::Go
        );
    }

    #[test]
    fn a_stop_arriving_after_the_next_start_is_refused() {
        let running = record(Some(lunch_break()), ModelStatus::InService);
        let stop = due(Transition::Stop, "2026-12-05T12:00:00Z");
        let reason = refusal(decide(&stop, &running, at("2026-12-05T13:05:00Z")));
        assert_eq!(
            reason,
            "the schedule wants the model running at 2026-12-05T13:05:00Z since its start at \
             2026-12-05T13:00:00Z (2026-12-05T13:00:00+00:00)"
        );
        // A start arriving after the next stop, likewise.
        let stopped = record(Some(lunch_break()), ModelStatus::Stopped);
        let start = due(Transition::Start, "2026-12-04T13:00:00Z");
        let reason = refusal(decide(&start, &stopped, at("2026-12-05T12:01:00Z")));
        assert!(reason.starts_with("the schedule wants the model stopped at 2026-12-05T12:01:00Z since its stop at 2026-12-05T12:00:00Z"), "{reason}");
    }

    #[test]
    fn an_event_older_than_the_bound_is_refused() {
        // Stopped from 20:00 to 08:00 in Berlin: a stop at 19:00 UTC is still what the
        // schedule wants 20 minutes later, but too late to obey.
        let schedule = json!({"timeZone": "Europe/Berlin", "daily": {"startTime": "08:00", "stopTime": "20:00"}});
        let running = record(Some(schedule), ModelStatus::InService);
        let stop = due(Transition::Stop, "2026-12-05T19:00:00Z");
        assert_eq!(
            decide(&stop, &running, at("2026-12-05T19:15:00Z")),
            Decision::Go
        );
        let reason = refusal(decide(&stop, &running, at("2026-12-05T19:15:01Z")));
        assert_eq!(
            reason,
            "its scheduledTime 2026-12-05T19:00:00Z was 15 min 1 s before it arrived \
             (2026-12-05T19:15:01Z); an event older than 15 min 0 s is not obeyed"
        );
    }

    #[test]
    fn an_event_dated_ahead_of_the_clock_or_for_a_model_without_schedule_is_refused() {
        let running = record(Some(lunch_break()), ModelStatus::InService);
        let stop = due(Transition::Stop, "2026-12-05T12:00:00Z");
        let reason = refusal(decide(&stop, &running, at("2026-12-05T11:58:59Z")));
        assert!(
            reason.contains("is 1 min 1 s ahead of the time it arrived"),
            "{reason}"
        );
        let unscheduled = record(None, ModelStatus::InService);
        assert_eq!(
            refusal(decide(&stop, &unscheduled, at("2026-12-05T12:00:00Z"))),
            "the model has no schedule"
        );
    }

    #[test]
    fn the_status_decides_an_obeyed_event() {
        use ModelStatus as S;
        let now = at("2026-12-05T12:00:05Z");
        let stop = due(Transition::Stop, "2026-12-05T12:00:00Z");
        let with = |status| record(Some(lunch_break()), status);
        assert_eq!(decide(&stop, &with(S::InService), now), Decision::Go);
        for (status, expected) in [
            (
                S::Stopped,
                Decision::Skip("the model is Stopped already".into()),
            ),
            (
                S::Stopping,
                Decision::Skip("the model is Stopping already".into()),
            ),
            (
                S::Deleting,
                Decision::Skip("the model is being deleted".into()),
            ),
            (S::Updating, Decision::Busy("the model is Updating".into())),
            (S::Starting, Decision::Busy("the model is Starting".into())),
            (S::Creating, Decision::Busy("the model is Creating".into())),
        ] {
            assert_eq!(decide(&stop, &with(status), now), expected, "{status}");
        }
        assert!(matches!(
            decide(&stop, &with(S::Failed), now),
            Decision::Skip(_)
        ));
    }

    #[test]
    fn a_model_stopped_by_hand_is_held_against_scheduled_starts() {
        let start = due(Transition::Start, "2026-12-05T13:00:00Z");
        let now = at("2026-12-05T13:00:05Z");
        let mut held = record(Some(lunch_break()), ModelStatus::Stopped);
        held.stopped_by_hand = true;
        let decision = decide(&start, &held, now);
        assert!(
            matches!(&decision, Decision::Hold(reason) if reason.contains("stopped the model by hand")),
            "{decision:?}"
        );
        let mut resuming = lunch_break();
        resuming["resumeAfterManualStop"] = json!(true);
        let mut resumes = record(Some(resuming), ModelStatus::Stopped);
        resumes.stopped_by_hand = true;
        assert_eq!(decide(&start, &resumes, now), Decision::Go);
    }

    #[test]
    fn scheduled_times_are_short_rfc_3339_times_with_an_offset() {
        for (text, shown) in [
            ("2026-12-05T21:00:00Z", "2026-12-05T21:00:00Z"),
            ("2026-12-05t21:00:00z", "2026-12-05T21:00:00Z"),
            ("2026-12-05T22:00:00+01:00", "2026-12-05T21:00:00Z"),
            ("2026-12-05T21:00:00.5Z", "2026-12-05T21:00:00.5Z"),
            (
                "2026-12-05T22:00:00.123456789+01:00",
                "2026-12-05T21:00:00.123456789Z",
            ),
        ] {
            let time = ScheduledTime::parse(text).expect(text);
            assert_eq!(time.to_string(), shown);
        }
        let long = "2".repeat(300_000);
        for (text, error) in [
            (
                long.as_str(),
                ScheduledTimeError::TooLong { length: 300_000 },
            ),
            (
                "2026-12-05T21:00:00Z\n",
                ScheduledTimeError::Character { at: 20 },
            ),
            (
                "2026-12-05 21:00:00Z",
                ScheduledTimeError::Character { at: 10 },
            ),
            (
                "2026-12-05T21:00:00Z[UTC]",
                ScheduledTimeError::Character { at: 20 },
            ),
            ("2026-12-05T21:00:00", ScheduledTimeError::NotRfc3339),
            ("2026-12-05T21:00Z", ScheduledTimeError::NotRfc3339),
            ("20261205T210000Z", ScheduledTimeError::NotRfc3339),
            ("2026-13-05T21:00:00Z", ScheduledTimeError::NotRfc3339),
            ("", ScheduledTimeError::NotRfc3339),
        ] {
            assert_eq!(ScheduledTime::parse(text), Err(error.clone()), "{text:?}");
            let message = error.to_string();
            assert!(message.starts_with("scheduledTime "), "{message}");
        }
    }

    #[test]
    fn an_event_carried_out_already_is_known_by_its_transition_and_time() {
        let stop = due(Transition::Stop, "2026-12-05T12:00:00Z");
        let mut model = record(Some(lunch_break()), ModelStatus::Stopping);
        assert_eq!(carried_out(&stop, &model), None);
        for outcome in [RunOutcome::Started, RunOutcome::Done] {
            let run = stop.run(at("2026-12-05T12:00:01Z"), outcome, None);
            model.last_scheduled_run = Some(run.clone());
            assert_eq!(carried_out(&stop, &model), Some(&run));
            // Another time, or the other transition, is another event.
            let next_day = due(Transition::Stop, "2026-12-06T12:00:00Z");
            assert_eq!(carried_out(&next_day, &model), None);
            let start = due(Transition::Start, "2026-12-05T12:00:00Z");
            assert_eq!(carried_out(&start, &model), None);
        }
        for outcome in [
            RunOutcome::Failed,
            RunOutcome::Skipped,
            RunOutcome::Held,
            RunOutcome::Refused,
        ] {
            model.last_scheduled_run = Some(stop.run(at("2026-12-05T12:00:01Z"), outcome, None));
            assert_eq!(carried_out(&stop, &model), None, "{outcome:?}");
        }
    }

    #[test]
    fn a_started_run_settles_as_done_or_failed_with_the_reason() {
        use ModelStatus as S;
        let stop = due(Transition::Stop, "2026-12-05T12:00:00Z");
        let started = stop.run(at("2026-12-05T12:00:01Z"), RunOutcome::Started, None);
        assert_eq!(started.ran_at, "2026-12-05T12:00:01Z");
        assert_eq!(
            started.scheduled_time.as_deref(),
            Some("2026-12-05T12:00:00Z")
        );
        assert_eq!(settle(&started, &record(None, S::Stopping)), None);
        let done = settle(&started, &record(None, S::Stopped)).expect("settled");
        assert_eq!(
            (done.outcome, done.reason.as_deref()),
            (RunOutcome::Done, None)
        );
        let mut rolled_back = record(None, S::InService);
        rolled_back.failure_reason = Some("Registration: LiteLLM refused the change".into());
        let failed = settle(&started, &rolled_back).expect("settled");
        assert_eq!(failed.outcome, RunOutcome::Failed);
        assert_eq!(
            failed.reason.as_deref(),
            Some(
                "the stop ended with the model InService: Registration: LiteLLM refused the change"
            )
        );
        assert_eq!(failed.ran_at, started.ran_at);
        // Only a started run settles.
        assert_eq!(settle(&done, &record(None, S::InService)), None);
    }
}
