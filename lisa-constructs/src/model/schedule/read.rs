//! Reads a schedule from JSON, every problem at its path, as the definition's reader does.

use super::super::bounds;
use super::super::error::{DefinitionError, ValidationErrors};
use super::super::reader::{self, Fields, describe};
use super::{Schedule, TimeOfDay, TimeZoneName, WeekWindows, Weekday, Window, Windows};
use serde_json::Value;

/// The fields of a schedule.
pub(crate) const SCHEDULE_FIELDS: &[&str] =
    &["timeZone", "daily", "weekdays", "resumeAfterManualStop"];
/// The fields of a window.
pub(crate) const WINDOW_FIELDS: &[&str] = &["startTime", "stopTime"];
/// Why a `weekdays` without a day is refused.
pub(crate) const NO_DAY: &str = "must set at least one of monday, tuesday, wednesday, thursday, \
     friday, saturday, sunday (a schedule without a window is no schedule: delete it instead)";

impl Schedule {
    /// A schedule of `windows` in the zone named `time_zone`, checked by the same rules as the
    /// JSON reader (paths in the errors are relative to the schedule).
    pub fn new(time_zone: &str, windows: Windows) -> Result<Schedule, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let zone = TimeZoneName::find(time_zone)
            .map_err(|message| errors.push("timeZone", message))
            .ok();
        if let Windows::Weekdays(week) = &windows {
            if week.iter().next().is_none() {
                errors.push("weekdays", NO_DAY);
            }
            for (day, message) in week.collisions() {
                errors.push(format!("weekdays.{day}.startTime"), message);
            }
        }
        errors.into_result(zone.map(|time_zone| Schedule {
            time_zone,
            windows,
            resume_after_manual_stop: false,
        }))
    }

    /// Reads and validates a schedule, every problem at once, paths relative to the schedule
    /// (`weekdays.monday.startTime`).
    pub fn from_json_value(value: &Value) -> Result<Schedule, ValidationErrors> {
        Self::from_json_value_at(value, "")
    }

    /// Reads and validates a schedule found at `base_path` of a larger payload: problems read
    /// `schedule.weekdays.monday.startTime: ...` for a base path of `schedule`.
    pub fn from_json_value_at(
        value: &Value,
        base_path: &str,
    ) -> Result<Schedule, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let schedule = read_schedule(&mut errors, base_path, value);
        errors.into_result(schedule)
    }

    /// Reads and validates a schedule from JSON text (the body of `PUT /models/{id}/schedule`):
    /// no duplicate keys, no payload beyond the Admin API's size limit.
    pub fn from_json_str(text: &str) -> Result<Schedule, DefinitionError> {
        let value = super::super::json_text::parse(text)?;
        Ok(Self::from_json_value(&value)?)
    }
}

/// Reads the schedule at `path`; `None` when anything is wrong (all of it reported).
pub(crate) fn read_schedule(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
) -> Option<Schedule> {
    if value.get("modelId").is_some() {
        // One hint instead of a dozen unknown fields for the most likely mistake.
        errors.push(
            path,
            "is a model definition, not a schedule: give its `schedule` object alone",
        );
        return None;
    }
    let mut f = Fields::open(errors, path, value, SCHEDULE_FIELDS)?;
    let time_zone = f.required("timeZone", read_time_zone);
    let windows = read_windows(&mut f);
    let resume_after_manual_stop = f.optional("resumeAfterManualStop", reader::boolean);
    if !f.ok() {
        return None;
    }
    Some(Schedule {
        time_zone: time_zone?,
        windows: windows?,
        resume_after_manual_stop: resume_after_manual_stop.unwrap_or(false),
    })
}

fn read_time_zone(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
) -> Option<TimeZoneName> {
    let name = reader::bounded_string(bounds::TIME_ZONE_MAX_BYTES)(errors, path, value)?;
    TimeZoneName::find(&name)
        .map_err(|message| errors.push(path, message))
        .ok()
}

/// Exactly one of `daily` and `weekdays`; both are read when both are given, so their own
/// problems are reported too.
fn read_windows(f: &mut Fields<'_, '_>) -> Option<Windows> {
    let daily = f.optional("daily", read_window);
    let weekdays = f.optional("weekdays", read_weekdays);
    match (f.has("daily"), f.has("weekdays")) {
        (true, true) => {
            f.error(
                "weekdays",
                "cannot be combined with daily: give one window for every day (daily) or a \
                 window per day of the week (weekdays)",
            );
            None
        }
        (false, false) => {
            // A misspelt field's "did you mean" says more than this.
            if f.ok() {
                let path = f.path.clone();
                f.errors.push(
                    path,
                    "must set daily (one window for every day) or weekdays (a window per day \
                     of the week)",
                );
            }
            None
        }
        (true, false) => daily.map(Windows::Daily),
        (false, true) => weekdays.map(Windows::Weekdays),
    }
}

fn read_window(errors: &mut ValidationErrors, path: &str, value: &Value) -> Option<Window> {
    let mut f = Fields::open(errors, path, value, WINDOW_FIELDS)?;
    let start = f.required("startTime", read_time_of_day);
    let stop = f.required("stopTime", read_time_of_day);
    let (start, stop) = (start?, stop?);
    let Some(window) = Window::new(start, stop) else {
        f.error(
            "stopTime",
            format!(
                "must differ from startTime ({start}): a window is shorter than a day (a model \
                 that runs all day needs no schedule)"
            ),
        );
        return None;
    };
    f.ok().then_some(window)
}

fn read_time_of_day(errors: &mut ValidationErrors, path: &str, value: &Value) -> Option<TimeOfDay> {
    let time = value.as_str().and_then(TimeOfDay::parse);
    if time.is_none() {
        errors.push(
            path,
            format!(
                "must be a time of day \"HH:MM\", 24-hour (00:00 to 23:59), found {}",
                describe(value)
            ),
        );
    }
    time
}

fn read_weekdays(errors: &mut ValidationErrors, path: &str, value: &Value) -> Option<WeekWindows> {
    let mut f = Fields::open(errors, path, value, &Weekday::NAMES)?;
    if !Weekday::NAMES.iter().any(|day| f.has(day)) {
        if f.ok() {
            let path = f.path.clone();
            f.errors.push(path, NO_DAY);
        }
        return None;
    }
    let mut week = WeekWindows::default();
    let mut every_day_read = true;
    for day in Weekday::ALL {
        if f.has(day.as_str()) {
            match f.optional(day.as_str(), read_window) {
                Some(window) => week.days[day.index()] = Some(window),
                None => every_day_read = false,
            }
        }
    }
    // Collisions among the days that were read: a broken day does not hide them.
    for (day, message) in week.collisions() {
        f.error(&format!("{day}.startTime"), message);
    }
    (every_day_read && f.ok()).then_some(week)
}
