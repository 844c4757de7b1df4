//! The schedule as EventBridge Scheduler cron expressions: one schedule per transition time,
//! the days that share it grouped into one expression, all evaluated in the schedule's zone
//! (`ScheduleExpressionTimezone`).

use super::{Schedule, TimeOfDay, Transition, Weekday};
use std::collections::BTreeMap;

/// One EventBridge Scheduler schedule: a transition at a wall-clock time on some days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSchedule {
    /// What the schedule does.
    pub transition: Transition,
    /// At what wall-clock time in the schedule's zone.
    pub time: TimeOfDay,
    /// On which days, Monday first; all seven for every day.
    pub days: Vec<Weekday>,
}

impl CronSchedule {
    /// Whether it runs every day.
    pub fn every_day(&self) -> bool {
        self.days.len() == Weekday::ALL.len()
    }

    /// The `ScheduleExpression`: `cron(minutes hours day-of-month month day-of-week year)`,
    /// such as `cron(30 7 * * ? *)` every day or `cron(0 22 ? * MON,FRI *)` on some days.
    pub fn expression(&self) -> String {
        let (day_of_month, day_of_week) = if self.every_day() {
            ("*".to_owned(), "?".to_owned())
        } else {
            let names: Vec<&str> = self.days.iter().map(|day| day.cron_name()).collect();
            ("?".to_owned(), names.join(","))
        };
        format!(
            "cron({} {} {day_of_month} * {day_of_week} *)",
            self.time.minute(),
            self.time.hour()
        )
    }

    /// A short name that says what the schedule does, unique within one model's schedule and
    /// the same for the same schedule: `start-0730-daily`, `stop-0600-tue-sat`.
    pub fn name(&self) -> String {
        let days = if self.every_day() {
            "daily".to_owned()
        } else {
            let names: Vec<String> = self
                .days
                .iter()
                .map(|day| day.cron_name().to_ascii_lowercase())
                .collect();
            names.join("-")
        };
        format!(
            "{}-{:02}{:02}-{days}",
            self.transition,
            self.time.hour(),
            self.time.minute()
        )
    }
}

impl Schedule {
    /// The EventBridge Scheduler schedules that carry out this schedule, each to be evaluated in
    /// [`time_zone`](Schedule::time_zone): a daily schedule gives two, a weekday schedule one
    /// per transition time, ordered by transition, time and first day.
    pub fn cron_schedules(&self) -> Vec<CronSchedule> {
        let mut by_time: BTreeMap<(Transition, TimeOfDay), Vec<Weekday>> = BTreeMap::new();
        for day in Weekday::ALL {
            for (transition, time) in self.transitions_on(day) {
                by_time.entry((transition, time)).or_default().push(day);
            }
        }
        by_time
            .into_iter()
            .map(|((transition, time), days)| CronSchedule {
                transition,
                time,
                days,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crons(value: serde_json::Value) -> Vec<(String, String)> {
        Schedule::from_json_value(&value)
            .expect("valid")
            .cron_schedules()
            .iter()
            .map(|cron| (cron.name(), cron.expression()))
            .collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(name, expression)| ((*name).to_owned(), (*expression).to_owned()))
            .collect()
    }

    #[test]
    fn a_daily_schedule_is_two_cron_schedules() {
        assert_eq!(
            crons(
                json!({"timeZone": "Europe/Berlin", "daily": {"startTime": "22:00", "stopTime": "06:05"}})
            ),
            pairs(&[
                ("start-2200-daily", "cron(0 22 * * ? *)"),
                ("stop-0605-daily", "cron(5 6 * * ? *)"),
            ])
        );
    }

    #[test]
    fn weekdays_are_grouped_by_time_and_a_window_across_midnight_stops_the_next_day() {
        let nine_to_five = json!({"startTime": "09:00", "stopTime": "17:00"});
        assert_eq!(
            crons(json!({"timeZone": "America/New_York", "weekdays": {
                "monday": nine_to_five, "tuesday": nine_to_five, "wednesday": nine_to_five,
                "friday": {"startTime": "09:00", "stopTime": "23:30"},
                "sunday": {"startTime": "20:00", "stopTime": "02:00"}
            }})),
            pairs(&[
                (
                    "start-0900-mon-tue-wed-fri",
                    "cron(0 9 ? * MON,TUE,WED,FRI *)"
                ),
                ("start-2000-sun", "cron(0 20 ? * SUN *)"),
                ("stop-0200-mon", "cron(0 2 ? * MON *)"),
                ("stop-1700-mon-tue-wed", "cron(0 17 ? * MON,TUE,WED *)"),
                ("stop-2330-fri", "cron(30 23 ? * FRI *)"),
            ])
        );
    }

    #[test]
    fn the_same_window_on_every_weekday_is_a_daily_cron() {
        let window = json!({"startTime": "08:00", "stopTime": "18:00"});
        let days: serde_json::Map<String, serde_json::Value> = Weekday::NAMES
            .iter()
            .map(|day| ((*day).to_owned(), window.clone()))
            .collect();
        assert_eq!(
            crons(json!({"timeZone": "UTC", "weekdays": days})),
            pairs(&[
                ("start-0800-daily", "cron(0 8 * * ? *)"),
                ("stop-1800-daily", "cron(0 18 * * ? *)"),
            ])
        );
    }
}
