//! When a schedule's transitions happen, as instants: the next one after a given time, the last
//! one at or before it, and so whether the model should be running.
//!
//! Every transition is a wall-clock time on a local date in the schedule's zone, resolved the
//! way EventBridge Scheduler resolves a cron expression with `ScheduleExpressionTimezone`: a
//! wall-clock time that does not exist that night (clocks moved forward over it) is skipped, and
//! one that happens twice (clocks moved back over it) happens once, at its first occurrence.

use super::{Schedule, TimeOfDay, Transition, Weekday};
use jiff::civil::Date;
use jiff::tz::AmbiguousOffset;
use jiff::{Timestamp, Zoned};
use serde::{Serialize, Serializer};

/// How many local dates either side of an instant are searched for a transition. A week holds
/// at least one window of a valid schedule, and clock changes skip at most one night's
/// transitions, so three weeks always find one.
const HORIZON_DAYS: i16 = 21;

/// One transition at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledAction {
    /// Start or stop.
    pub transition: Transition,
    /// When, in the schedule's zone ([`Zoned::timestamp`] gives the instant in UTC).
    pub at: Zoned,
}

impl ScheduledAction {
    /// The instant, in UTC.
    pub fn at_utc(&self) -> Timestamp {
        self.at.timestamp()
    }

    /// The local time with its offset, RFC 3339: `2026-03-30T08:00:00+02:00`.
    pub fn local_time(&self) -> String {
        self.at.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }
}

// A `ScheduledAction` as the API shows it: `{"action": "start", "at": "2026-03-30T06:00:00Z",
// "localTime": "2026-03-30T08:00:00+02:00", "timeZone": "Europe/Berlin"}`. It both serializes
// the action and gives its JSON Schema, so the two cannot disagree.
/// A transition the schedule will run: the action and its instant, in UTC and in the
/// schedule's zone.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ScheduledAction", deny_unknown_fields)]
struct ShownAction<'a> {
    /// Whether the schedule will start or stop the model.
    action: Transition,
    /// When, in UTC (RFC 3339).
    #[schemars(extend("format" = "date-time"))]
    at: String,
    /// When, in the schedule's zone, with its offset (RFC 3339).
    #[schemars(extend("format" = "date-time"))]
    local_time: String,
    /// The schedule's IANA time zone.
    time_zone: &'a str,
}

impl ScheduledAction {
    fn shown(&self) -> ShownAction<'_> {
        ShownAction {
            action: self.transition,
            at: self.at_utc().to_string(),
            local_time: self.local_time(),
            time_zone: self.at.time_zone().iana_name().unwrap_or("UTC"),
        }
    }
}

impl Serialize for ScheduledAction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.shown().serialize(serializer)
    }
}

impl schemars::JsonSchema for ScheduledAction {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        ShownAction::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        ShownAction::json_schema(generator)
    }
}

impl Schedule {
    /// The first transition strictly after `after`. `None` only if none falls within three
    /// weeks, which no valid schedule allows.
    pub fn next_action(&self, after: Timestamp) -> Option<ScheduledAction> {
        self.actions_around(after, 1, HORIZON_DAYS)
            .into_iter()
            .filter(|action| action.at_utc() > after)
            .min_by_key(|action| (action.at_utc(), action.transition))
    }

    /// The last transition at or before `at`: the one that set the state the schedule wants
    /// at `at`.
    pub fn previous_action(&self, at: Timestamp) -> Option<ScheduledAction> {
        self.actions_around(at, HORIZON_DAYS, 1)
            .into_iter()
            .filter(|action| action.at_utc() <= at)
            .max_by_key(|action| (action.at_utc(), action.transition))
    }

    /// Whether the schedule has the model running at `at`: its last transition was a start.
    pub fn running_at(&self, at: Timestamp) -> bool {
        self.previous_action(at)
            .is_some_and(|action| action.transition == Transition::Start)
    }

    /// Every transition from `from` (included) to `to` (excluded), in order.
    pub fn actions_between(&self, from: Timestamp, to: Timestamp) -> Vec<ScheduledAction> {
        let zone = self.time_zone.zone();
        let first = from.to_zoned(zone.clone()).date();
        let last = to.to_zoned(zone.clone()).date();
        let mut actions: Vec<ScheduledAction> = local_dates(first, -1, last)
            .flat_map(|date| self.actions_on(date))
            .filter(|action| action.at_utc() >= from && action.at_utc() < to)
            .collect();
        actions.sort_by_key(|action| (action.at_utc(), action.transition));
        actions
    }

    /// The transitions of the local dates from `days_before` before the date of `instant` to
    /// `days_after` after it (a day either side covers clock changes around midnight).
    fn actions_around(
        &self,
        instant: Timestamp,
        days_before: i16,
        days_after: i16,
    ) -> Vec<ScheduledAction> {
        let date = instant.to_zoned(self.time_zone.zone().clone()).date();
        let last = date
            .checked_add(jiff::Span::new().days(days_after))
            .unwrap_or(date);
        local_dates(date, -days_before, last)
            .flat_map(|date| self.actions_on(date))
            .collect()
    }

    /// The transitions that happen on a local date, those the clock skips left out.
    fn actions_on(&self, date: Date) -> Vec<ScheduledAction> {
        self.transitions_on(Weekday::of(date))
            .into_iter()
            .filter_map(|(transition, time)| {
                let at = self.resolve(date, time)?;
                Some(ScheduledAction { transition, at })
            })
            .collect()
    }

    /// The instant of a wall-clock time on a local date: none in a gap, the first in a fold.
    fn resolve(&self, date: Date, time: TimeOfDay) -> Option<Zoned> {
        let zone = self.time_zone.zone();
        let local = date.to_datetime(time.to_civil());
        let offset = match zone.to_ambiguous_timestamp(local).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset,
            AmbiguousOffset::Fold { before, .. } => before,
            AmbiguousOffset::Gap { .. } => return None,
        };
        let instant = offset.to_timestamp(local).ok()?;
        Some(instant.to_zoned(zone.clone()))
    }
}

/// The local dates from `days_before` days before `first` to `last`, both included.
fn local_dates(first: Date, days_before: i16, last: Date) -> impl Iterator<Item = Date> {
    let start = first
        .checked_add(jiff::Span::new().days(days_before))
        .unwrap_or(first);
    std::iter::successors(Some(start), |date| date.tomorrow().ok())
        .take_while(move |date| *date <= last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_action_shows_its_instant_in_utc_and_in_the_zone() {
        let schedule = Schedule::from_json_value(&json!({
            "timeZone": "Europe/Berlin",
            "daily": {"startTime": "08:00", "stopTime": "20:00"}
        }))
        .expect("valid");
        let after: Timestamp = "2026-03-30T00:00:00Z".parse().expect("instant");
        let next = schedule.next_action(after).expect("a next action");
        assert_eq!(
            serde_json::to_value(&next).expect("serializes"),
            json!({
                "action": "start",
                "at": "2026-03-30T06:00:00Z",
                "localTime": "2026-03-30T08:00:00+02:00",
                "timeZone": "Europe/Berlin"
            })
        );
    }
}
