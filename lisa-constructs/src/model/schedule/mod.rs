//! A model's schedule: the hours it runs and the hours it sleeps, in a time zone of its own.
//!
//! # The JSON shape
//!
//! A schedule names an IANA time zone and either one window for every day or a window per day
//! of the week. It is the body of `PUT /models/{modelId}/schedule`, and the same object will be
//! a definition's optional `schedule` field; "no schedule" is its absence.
//!
//! ```json
//! {"timeZone": "Europe/Berlin", "daily": {"startTime": "08:00", "stopTime": "20:00"}}
//! ```
//!
//! ```json
//! {
//!   "timeZone": "America/New_York",
//!   "weekdays": {
//!     "monday": {"startTime": "07:30", "stopTime": "19:00"},
//!     "tuesday": {"startTime": "07:30", "stopTime": "19:00"},
//!     "friday": {"startTime": "22:00", "stopTime": "06:00"}
//!   }
//! }
//! ```
//!
//! `resumeAfterManualStop` (optional, false when absent) says what a scheduled start does to a
//! model an administrator stopped by hand: by default the stop holds, and scheduled starts skip
//! the model (each skip recorded with its reason) until it is started by hand; with `true` the
//! next scheduled start starts it.
//!
//! Which of `daily` and `weekdays` is present says what kind of schedule it is, so there is no
//! separate type field that could contradict it. A day left out of `weekdays` (or `null`) has no
//! window: the model stays as the previous window left it.
//!
//! # Rules
//!
//! - `timeZone` is a name of the IANA time zone database as bundled with this library, spelled
//!   exactly (`Europe/Berlin`, not `europe/berlin`); a fixed offset such as `+02:00` is not a name.
//! - Exactly one of `daily` and `weekdays`; `weekdays` sets at least one day.
//! - `startTime` and `stopTime` are `HH:MM` on the 24-hour clock (`00:00` to `23:59`), and differ.
//! - A window whose stop comes before its start crosses midnight (`22:00` to `06:00`). A weekday's
//!   window belongs to the day it starts: Friday's `22:00`–`06:00` stops on Saturday at `06:00`.
//! - Weekday windows neither overlap nor touch: Saturday's window cannot start at or before the
//!   minute Friday's stops, because a stop and a start in the same minute run in no set order.
//! - Unknown fields are refused, with the closest known field when one is near.
//!
//! # Daylight-saving time
//!
//! The deployed schedule is one EventBridge Scheduler cron schedule per transition, evaluated in
//! `timeZone` ([`Schedule::cron_schedules`]). EventBridge Scheduler skips an invocation whose
//! wall-clock time does not exist (a start at 02:30 on the night Europe/Berlin moves from 02:00
//! to 03:00 does not happen: the model stays as it was until the next transition) and runs one
//! whose wall-clock time happens twice only once. AWS does not say which of the two; this module
//! takes the first (02:30 summer time on the night Europe/Berlin moves from 03:00 back to 02:00).
//! [`Schedule::next_action`] and [`Schedule::running_at`] follow the same rules, so what the API
//! shows is what the schedules do.

mod cron;
pub mod due;
mod read;
mod schema;
mod time;
mod transitions;
mod zone;

pub use cron::CronSchedule;
pub use due::{DueTransition, ScheduledTime};
/// The instant type of the schedule's methods, so their callers need no clock library of
/// their own.
pub use jiff::Timestamp;
pub use schema::schedule_schema;
pub use time::{TimeOfDay, Weekday};
pub use transitions::ScheduledAction;
pub use zone::{TimeZoneName, time_zone_names};

pub(crate) use read::read_schedule;
pub(crate) use schema::{BEYOND_SCHEMA_MESSAGES, schedule_defs};

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

/// When a model runs: windows in a time zone. Built only through validation, so every schedule
/// holds a known zone and windows that neither overlap nor touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    time_zone: TimeZoneName,
    windows: Windows,
    resume_after_manual_stop: bool,
}

/// The windows of a schedule: the same every day, or one per day of the week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Windows {
    /// The same window every day.
    Daily(Window),
    /// Each day of the week its own window, or none.
    Weekdays(WeekWindows),
}

/// One running period: the model starts at `start` and stops at `stop` (the next day when
/// `stop` is earlier than `start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    start: TimeOfDay,
    stop: TimeOfDay,
}

/// A window for each day of the week that has one, Monday first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WeekWindows {
    days: [Option<Window>; 7],
}

/// What a scheduled transition does to the model.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ScheduledTransition")]
pub enum Transition {
    /// The lifecycle's start: the model is deployed with capacity and registered again.
    Start,
    /// The lifecycle's stop: the model is deregistered and its instances removed.
    Stop,
}

impl Transition {
    /// The wire name: `start` or `stop`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Start => "start",
            Transition::Stop => "stop",
        }
    }
}

impl std::fmt::Display for Transition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Window {
    /// A window from `start` to `stop`; `None` when they are the same minute.
    pub fn new(start: TimeOfDay, stop: TimeOfDay) -> Option<Window> {
        (start != stop).then_some(Window { start, stop })
    }

    /// When the model starts.
    pub fn start(self) -> TimeOfDay {
        self.start
    }

    /// When the model stops.
    pub fn stop(self) -> TimeOfDay {
        self.stop
    }

    /// Whether the window stops on the day after it starts.
    pub fn crosses_midnight(self) -> bool {
        self.stop < self.start
    }
}

impl WeekWindows {
    /// Windows for the given days; later entries for the same day replace earlier ones.
    pub fn new(days: impl IntoIterator<Item = (Weekday, Window)>) -> WeekWindows {
        let mut week = WeekWindows::default();
        for (day, window) in days {
            week.days[day.index()] = Some(window);
        }
        week
    }

    /// The window of `day`, if it has one.
    pub fn get(&self, day: Weekday) -> Option<Window> {
        self.days[day.index()]
    }

    /// The days that have a window, Monday first.
    pub fn iter(&self) -> impl Iterator<Item = (Weekday, Window)> + '_ {
        Weekday::ALL
            .into_iter()
            .filter_map(|day| self.get(day).map(|window| (day, window)))
    }

    /// Each day whose window starts at or before the stop of the previous day's window (one
    /// that crosses midnight), with the reason; Sunday's window is Monday's previous.
    pub(crate) fn collisions(&self) -> Vec<(Weekday, String)> {
        Weekday::ALL
            .into_iter()
            .filter_map(|day| {
                let earlier = day.previous();
                let before = self.get(earlier).filter(|w| w.crosses_midnight())?;
                let window = self.get(day)?;
                let message = if window.start == before.stop {
                    format!(
                        "starts at {}, the minute {earlier}'s window ({} to {}) stops: windows \
                         may not touch, as a stop and a start in the same minute run in no set \
                         order; merge the two windows or leave a gap",
                        window.start, before.start, before.stop
                    )
                } else if window.start < before.stop {
                    format!(
                        "starts at {}, before {earlier}'s window ({} to {}) stops at {} on \
                         {day}: windows may not overlap",
                        window.start, before.start, before.stop, before.stop
                    )
                } else {
                    return None;
                };
                Some((day, message))
            })
            .collect()
    }
}

impl Schedule {
    /// The IANA name of the schedule's zone, as EventBridge Scheduler's
    /// `ScheduleExpressionTimezone` takes it.
    pub fn time_zone(&self) -> &TimeZoneName {
        &self.time_zone
    }

    /// The schedule's windows.
    pub fn windows(&self) -> &Windows {
        &self.windows
    }

    /// Whether a scheduled start also starts a model that was stopped by hand
    /// (`resumeAfterManualStop`; false when absent: a stop by hand holds until a start by hand).
    pub fn resume_after_manual_stop(&self) -> bool {
        self.resume_after_manual_stop
    }

    /// The same schedule with `resumeAfterManualStop` set.
    pub fn with_resume_after_manual_stop(mut self, resume: bool) -> Schedule {
        self.resume_after_manual_stop = resume;
        self
    }

    /// The local transitions on a day of the week: the start and stop of the day's own window
    /// (its stop only when it ends that day) and the stop of the previous day's window when it
    /// crosses midnight. The cron schedules and the transition times both come from here.
    pub(crate) fn transitions_on(&self, day: Weekday) -> Vec<(Transition, TimeOfDay)> {
        match &self.windows {
            Windows::Daily(window) => vec![
                (Transition::Start, window.start),
                (Transition::Stop, window.stop),
            ],
            Windows::Weekdays(week) => {
                let mut transitions = Vec::new();
                if let Some(before) = week.get(day.previous()).filter(|w| w.crosses_midnight()) {
                    transitions.push((Transition::Stop, before.stop));
                }
                if let Some(window) = week.get(day) {
                    transitions.push((Transition::Start, window.start));
                    if !window.crosses_midnight() {
                        transitions.push((Transition::Stop, window.stop));
                    }
                }
                transitions
            }
        }
    }
}

/// The canonical JSON: `timeZone`, then `daily` or `weekdays` with only the days that have a
/// window, so it reads back to the same schedule.
impl Serialize for Schedule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Schedule", 3)?;
        object.serialize_field("timeZone", self.time_zone.as_str())?;
        match &self.windows {
            Windows::Daily(window) => object.serialize_field("daily", window)?,
            Windows::Weekdays(week) => object.serialize_field("weekdays", week)?,
        }
        if self.resume_after_manual_stop {
            object.serialize_field("resumeAfterManualStop", &true)?;
        }
        object.end()
    }
}

impl Serialize for Window {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Window", 2)?;
        object.serialize_field("startTime", &self.start)?;
        object.serialize_field("stopTime", &self.stop)?;
        object.end()
    }
}

impl Serialize for WeekWindows {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (day, window) in self.iter() {
            map.serialize_entry(day.as_str(), &window)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_schedule_serializes_to_the_json_it_was_read_from() {
        for value in [
            json!({"timeZone": "Europe/Berlin", "daily": {"startTime": "08:00", "stopTime": "20:00"}}),
            json!({"timeZone": "America/New_York", "weekdays": {
                "monday": {"startTime": "07:30", "stopTime": "19:00"},
                "friday": {"startTime": "22:00", "stopTime": "06:00"}
            }}),
        ] {
            let schedule = Schedule::from_json_value(&value).expect("valid");
            assert_eq!(serde_json::to_value(&schedule).expect("serializes"), value);
        }
    }

    #[test]
    fn new_applies_the_readers_rules() {
        let at = |text: &str| TimeOfDay::parse(text).expect("time");
        let friday = Window::new(at("22:00"), at("06:00")).expect("window");
        let saturday = Window::new(at("06:00"), at("12:00")).expect("window");
        let week = WeekWindows::new([(Weekday::Friday, friday), (Weekday::Saturday, saturday)]);
        let errors = Schedule::new("Europe/Berln", Windows::Weekdays(week)).expect_err("invalid");
        let paths: Vec<&str> = errors.errors().iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["timeZone", "weekdays.saturday.startTime"]);
        assert!(Schedule::new("Europe/Berlin", Windows::Daily(friday)).is_ok());
    }
}
