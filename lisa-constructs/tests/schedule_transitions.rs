//! When a schedule's transitions happen, over whole years and on the nights the clocks change.
//!
//! The deployed schedules are EventBridge Scheduler cron expressions evaluated in the
//! schedule's zone, which skip a wall-clock time the clocks jump over and run one they pass
//! twice only once. Two kinds of test hold the computation to that: hand-worked DST nights of
//! Europe/Berlin, America/New_York and Australia/Sydney, with the UTC instants written out; and
//! an evaluator of the cron expressions themselves (`cron_oracle`), run over a whole year and
//! over random schedules, zones and instants, which the computation must agree with.

use jiff::civil::{Date, Weekday as CivilWeekday};
use jiff::tz::AmbiguousOffset;
use jiff::{Timestamp, ToSpan};
use lisa_constructs::model::schedule::{Schedule, ScheduledAction, Transition};
use proptest::prelude::*;
use serde_json::{Value, json};

fn schedule(value: Value) -> Schedule {
    Schedule::from_json_value(&value).unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn daily(zone: &str, start: &str, stop: &str) -> Schedule {
    schedule(json!({"timeZone": zone, "daily": {"startTime": start, "stopTime": stop}}))
}

fn utc(text: &str) -> Timestamp {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Actions as `(instant in UTC, action, local time)`, to compare with hand-worked ones.
fn described(actions: &[ScheduledAction]) -> Vec<(String, &'static str, String)> {
    actions
        .iter()
        .map(|a| {
            (
                a.at_utc().to_string(),
                a.transition.as_str(),
                a.local_time(),
            )
        })
        .collect()
}

fn expected(rows: &[(&str, &'static str, &str)]) -> Vec<(String, &'static str, String)> {
    rows.iter()
        .map(|(at, action, local)| ((*at).to_owned(), *action, (*local).to_owned()))
        .collect()
}

/// The start and end of a calendar year in the schedule's zone.
fn local_year(schedule: &Schedule, year: i16) -> (Timestamp, Timestamp) {
    let zone = schedule.time_zone().zone();
    let at = |year: i16| {
        zone.to_timestamp(jiff::civil::date(year, 1, 1).at(0, 0, 0, 0))
            .expect("midnight on the first of January exists")
    };
    (at(year), at(year + 1))
}

fn civil_weekday(cron_name: &str) -> CivilWeekday {
    match cron_name {
        "MON" => CivilWeekday::Monday,
        "TUE" => CivilWeekday::Tuesday,
        "WED" => CivilWeekday::Wednesday,
        "THU" => CivilWeekday::Thursday,
        "FRI" => CivilWeekday::Friday,
        "SAT" => CivilWeekday::Saturday,
        "SUN" => CivilWeekday::Sunday,
        other => panic!("{other} is no cron day name"),
    }
}

/// What EventBridge Scheduler would run from `from` (included) to `to` (excluded), read from
/// the schedule's cron expressions alone: each expression on each local date whose day it
/// names, skipped when the clocks jump over its time, once (the first time) when they pass it
/// twice.
fn cron_oracle(
    schedule: &Schedule,
    from: Timestamp,
    to: Timestamp,
) -> Vec<(Timestamp, Transition)> {
    let zone = schedule.time_zone().zone().clone();
    let first = from
        .to_zoned(zone.clone())
        .date()
        .yesterday()
        .expect("a date");
    let last = to.to_zoned(zone.clone()).date().tomorrow().expect("a date");
    let mut runs = Vec::new();
    for cron in schedule.cron_schedules() {
        let expression = cron.expression();
        let fields: Vec<&str> = expression
            .strip_prefix("cron(")
            .and_then(|e| e.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{expression} is not cron(...)"))
            .split(' ')
            .collect();
        let [minute, hour, day_of_month, month, day_of_week, year] = fields[..] else {
            panic!("{expression} does not have six fields");
        };
        assert_eq!((month, year), ("*", "*"), "{expression}");
        let days: Vec<CivilWeekday> = match (day_of_month, day_of_week) {
            ("*", "?") => ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
                .map(civil_weekday)
                .to_vec(),
            ("?", list) => list.split(',').map(civil_weekday).collect(),
            _ => panic!("{expression}: one of day-of-month and day-of-week must be ?"),
        };
        let hour: i8 = hour.parse().expect("an hour");
        let minute: i8 = minute.parse().expect("a minute");
        let mut date: Date = first;
        while date <= last {
            if days.contains(&date.weekday()) {
                let local = date.at(hour, minute, 0, 0);
                let offset = match zone.to_ambiguous_timestamp(local).offset() {
                    AmbiguousOffset::Unambiguous { offset } => Some(offset),
                    AmbiguousOffset::Fold { before, .. } => Some(before),
                    AmbiguousOffset::Gap { .. } => None,
                };
                let at = offset.map(|o| o.to_timestamp(local).expect("an instant"));
                if let Some(at) = at.filter(|at| *at >= from && *at < to) {
                    runs.push((at, cron.transition));
                }
            }
            date = date.tomorrow().expect("a date");
        }
    }
    runs.sort();
    runs
}

fn instants(actions: &[ScheduledAction]) -> Vec<(Timestamp, Transition)> {
    actions.iter().map(|a| (a.at_utc(), a.transition)).collect()
}

/// Between two consecutive actions, the next, the previous and the state agree with them.
fn assert_consistent(schedule: &Schedule, actions: &[ScheduledAction]) {
    for pair in actions.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert_eq!(schedule.next_action(a.at_utc()).as_ref(), Some(b));
        let just_before_b = b.at_utc().checked_sub(1.second()).expect("an instant");
        assert_eq!(schedule.previous_action(just_before_b).as_ref(), Some(a));
        assert_eq!(schedule.previous_action(b.at_utc()).as_ref(), Some(b));
        assert_eq!(
            schedule.running_at(just_before_b),
            a.transition == Transition::Start,
            "between {} and {}",
            a.local_time(),
            b.local_time()
        );
    }
}

#[test]
fn berlin_spring_forward_skips_a_start_in_the_missing_hour() {
    // 2026-03-29: at 02:00 CET the clocks move to 03:00 CEST; 02:30 does not exist.
    let s = daily("Europe/Berlin", "02:30", "23:00");
    assert_eq!(
        described(&s.actions_between(utc("2026-03-28T00:00:00Z"), utc("2026-03-31T00:00:00Z"))),
        expected(&[
            ("2026-03-28T01:30:00Z", "start", "2026-03-28T02:30:00+01:00"),
            ("2026-03-28T22:00:00Z", "stop", "2026-03-28T23:00:00+01:00"),
            ("2026-03-29T21:00:00Z", "stop", "2026-03-29T23:00:00+02:00"),
            ("2026-03-30T00:30:00Z", "start", "2026-03-30T02:30:00+02:00"),
            ("2026-03-30T21:00:00Z", "stop", "2026-03-30T23:00:00+02:00"),
        ])
    );
    // After Saturday's stop the next action is Sunday's stop: the model sleeps all Sunday.
    let next = s.next_action(utc("2026-03-28T22:00:00Z")).expect("next");
    assert_eq!(next.at_utc(), utc("2026-03-29T21:00:00Z"));
    assert_eq!(next.transition, Transition::Stop);
    assert!(!s.running_at(utc("2026-03-29T10:00:00Z")));
    assert!(s.running_at(utc("2026-03-30T10:00:00Z")));
}

#[test]
fn berlin_fall_back_runs_a_start_in_the_repeated_hour_once() {
    // 2026-10-25: at 03:00 CEST the clocks move back to 02:00 CET; 02:30 happens twice.
    let s = daily("Europe/Berlin", "02:30", "23:00");
    assert_eq!(
        described(&s.actions_between(utc("2026-10-24T00:00:00Z"), utc("2026-10-27T00:00:00Z"))),
        expected(&[
            ("2026-10-24T00:30:00Z", "start", "2026-10-24T02:30:00+02:00"),
            ("2026-10-24T21:00:00Z", "stop", "2026-10-24T23:00:00+02:00"),
            ("2026-10-25T00:30:00Z", "start", "2026-10-25T02:30:00+02:00"),
            ("2026-10-25T22:00:00Z", "stop", "2026-10-25T23:00:00+01:00"),
            ("2026-10-26T01:30:00Z", "start", "2026-10-26T02:30:00+01:00"),
            ("2026-10-26T22:00:00Z", "stop", "2026-10-26T23:00:00+01:00"),
        ])
    );
    // The second 02:30 (01:30 UTC) is no action: after the first comes the evening's stop.
    let next = s.next_action(utc("2026-10-25T00:30:00Z")).expect("next");
    assert_eq!(next.at_utc(), utc("2026-10-25T22:00:00Z"));
}

#[test]
fn new_york_weekday_windows_on_both_nights_the_clocks_change() {
    // Saturday's window crosses midnight and stops on Sunday at 01:30; Sunday has its own.
    let s = schedule(json!({"timeZone": "America/New_York", "weekdays": {
        "saturday": {"startTime": "22:00", "stopTime": "01:30"},
        "sunday": {"startTime": "02:30", "stopTime": "09:00"}
    }}));
    // 2026-03-08: 02:00 EST becomes 03:00 EDT; Sunday's 02:30 start does not happen.
    assert_eq!(
        described(&s.actions_between(utc("2026-03-07T12:00:00Z"), utc("2026-03-09T00:00:00Z"))),
        expected(&[
            ("2026-03-08T03:00:00Z", "start", "2026-03-07T22:00:00-05:00"),
            ("2026-03-08T06:30:00Z", "stop", "2026-03-08T01:30:00-05:00"),
            ("2026-03-08T13:00:00Z", "stop", "2026-03-08T09:00:00-04:00"),
        ])
    );
    assert!(!s.running_at(utc("2026-03-08T10:00:00Z")));
    // 2026-11-01: 02:00 EDT becomes 01:00 EST; Saturday's 01:30 stop runs at the first 01:30.
    assert_eq!(
        described(&s.actions_between(utc("2026-10-31T12:00:00Z"), utc("2026-11-02T00:00:00Z"))),
        expected(&[
            ("2026-11-01T02:00:00Z", "start", "2026-10-31T22:00:00-04:00"),
            ("2026-11-01T05:30:00Z", "stop", "2026-11-01T01:30:00-04:00"),
            ("2026-11-01T07:30:00Z", "start", "2026-11-01T02:30:00-05:00"),
            ("2026-11-01T14:00:00Z", "stop", "2026-11-01T09:00:00-05:00"),
        ])
    );
    // During the second 01:30 the model stays stopped.
    assert!(!s.running_at(utc("2026-11-01T06:45:00Z")));
    let cron: Vec<String> = s.cron_schedules().iter().map(|c| c.expression()).collect();
    assert_eq!(
        cron,
        [
            "cron(30 2 ? * SUN *)",
            "cron(0 22 ? * SAT *)",
            "cron(30 1 ? * SUN *)",
            "cron(0 9 ? * SUN *)"
        ]
    );
}

#[test]
fn sydney_changes_its_clocks_in_april_and_october() {
    let s = daily("Australia/Sydney", "02:30", "20:00");
    // 2026-04-05: 03:00 AEDT becomes 02:00 AEST; 02:30 happens twice, the start once.
    assert_eq!(
        described(&s.actions_between(utc("2026-04-04T12:00:00Z"), utc("2026-04-05T12:00:00Z"))),
        expected(&[
            ("2026-04-04T15:30:00Z", "start", "2026-04-05T02:30:00+11:00"),
            ("2026-04-05T10:00:00Z", "stop", "2026-04-05T20:00:00+10:00"),
        ])
    );
    // 2026-10-04: 02:00 AEST becomes 03:00 AEDT; no start that day.
    assert_eq!(
        described(&s.actions_between(utc("2026-10-03T12:00:00Z"), utc("2026-10-04T12:00:00Z"))),
        expected(&[("2026-10-04T09:00:00Z", "stop", "2026-10-04T20:00:00+11:00")])
    );
}

/// The running time of each night of a year for a window across midnight, and the local
/// dates whose night is not `usual` hours long.
fn unusual_nights(s: &Schedule, usual: i64) -> Vec<(String, i64)> {
    let (from, to) = local_year(s, 2026);
    let actions = s.actions_between(from, to);
    assert_eq!(instants(&actions), cron_oracle(s, from, to));
    assert_consistent(s, &actions);
    let starts: Vec<&ScheduledAction> = actions
        .iter()
        .filter(|a| a.transition == Transition::Start)
        .collect();
    assert_eq!(starts.len(), 365, "one start every local day");
    starts
        .iter()
        .filter_map(|start| {
            let stop = s.next_action(start.at_utc()).expect("a stop");
            assert_eq!(stop.transition, Transition::Stop);
            let hours = (stop.at_utc().as_second() - start.at_utc().as_second()) / 3600;
            (hours != usual).then(|| (start.at.date().to_string(), hours))
        })
        .collect()
}

#[test]
fn a_window_across_midnight_is_an_hour_shorter_or_longer_on_the_nights_the_clocks_change() {
    let night = |zone| daily(zone, "22:00", "06:00");
    assert_eq!(
        unusual_nights(&night("Europe/Berlin"), 8),
        [("2026-03-28".to_owned(), 7), ("2026-10-24".to_owned(), 9)]
    );
    assert_eq!(
        unusual_nights(&night("America/New_York"), 8),
        [("2026-03-07".to_owned(), 7), ("2026-10-31".to_owned(), 9)]
    );
    assert_eq!(
        unusual_nights(&night("Australia/Sydney"), 8),
        [("2026-04-04".to_owned(), 9), ("2026-10-03".to_owned(), 7)]
    );
    assert_eq!(unusual_nights(&night("Asia/Kolkata"), 8), []);
}

#[test]
fn a_whole_year_matches_the_cron_expressions_in_every_zone() {
    // (schedule, the number of actions in the local year 2026)
    let cases = [
        // Times the clocks never touch: two actions every day.
        (daily("Europe/Berlin", "08:00", "20:00"), 730),
        (daily("America/New_York", "07:30", "19:15"), 730),
        // A start in Berlin's missing hour: one fewer.
        (daily("Europe/Berlin", "02:30", "05:00"), 729),
        // New York: the stop is missing in March; the start runs once in November.
        (daily("America/New_York", "01:15", "02:15"), 729),
        // Lord Howe moves its clocks by half an hour: 02:15 is missing in October.
        (daily("Australia/Lord_Howe", "01:45", "02:15"), 729),
        // Santiago moves its clocks at midnight: 00:30 is missing in September.
        (daily("America/Santiago", "23:30", "00:30"), 729),
        (
            schedule(json!({"timeZone": "Europe/Berlin", "weekdays": {
                "monday": {"startTime": "08:00", "stopTime": "18:00"},
                "friday": {"startTime": "08:00", "stopTime": "23:00"},
                "saturday": {"startTime": "23:30", "stopTime": "02:30"},
                "sunday": {"startTime": "12:00", "stopTime": "13:00"}
            }})),
            // 2026 has 52 of each of these days, two actions each; Sunday March 29's 02:30
            // stop (of Saturday's window) falls in the missing hour.
            2 * 4 * 52 - 1,
        ),
    ];
    for (s, count) in cases {
        let (from, to) = local_year(&s, 2026);
        let actions = s.actions_between(from, to);
        let zone = s.time_zone().to_string();
        assert_eq!(actions.len(), count, "{zone}: {:?}", s.cron_schedules());
        assert_eq!(instants(&actions), cron_oracle(&s, from, to), "{zone}");
        assert_consistent(&s, &actions);
    }
}

/// Hours and minutes around the times the clocks change (00:00-03:59, 23:xx), and any other.
fn time_of_day() -> impl Strategy<Value = String> {
    let hour = prop_oneof![3 => 0u8..4, 1 => Just(23u8), 2 => 0u8..24];
    let minute = prop_oneof![Just(0u8), Just(15u8), Just(30u8), Just(45u8), 0u8..60];
    (hour, minute).prop_map(|(h, m)| format!("{h:02}:{m:02}"))
}

fn window() -> impl Strategy<Value = Value> {
    (time_of_day(), time_of_day())
        .prop_map(|(start, stop)| json!({"startTime": start, "stopTime": stop}))
}

const ZONES: &[&str] = &[
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "UTC",
];

fn any_schedule() -> impl Strategy<Value = Value> {
    let zone = prop::sample::select(ZONES);
    let days = prop::collection::vec(prop::option::of(window()), 7);
    (zone, any::<bool>(), window(), days).prop_map(|(zone, is_daily, daily, days)| {
        if is_daily {
            json!({"timeZone": zone, "daily": daily})
        } else {
            let names = [
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
            ];
            let week: serde_json::Map<String, Value> = names
                .iter()
                .zip(days)
                .filter_map(|(name, window)| Some(((*name).to_owned(), window?)))
                .collect();
            json!({"timeZone": zone, "weekdays": week})
        }
    })
}

/// An instant from 2024 to 2030, half of them in the months the clocks change (March to early
/// April and September to early November, north and south).
fn any_instant() -> impl Strategy<Value = Timestamp> {
    let day_of_year = prop_oneof![0i64..365, 59i64..100, 243i64..315];
    (2024i16..2031, day_of_year, 0i64..86_400).prop_map(|(year, day, second)| {
        let new_year = jiff::civil::date(year, 1, 1)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .expect("a date")
            .timestamp();
        Timestamp::from_second(new_year.as_second() + day * 86_400 + second).expect("an instant")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_actions_around_any_instant_are_those_of_the_cron_expressions(
        value in any_schedule(),
        now in any_instant(),
    ) {
        let Ok(s) = Schedule::from_json_value(&value) else {
            // Overlapping or empty weekday windows: the rules tests cover them.
            return Ok(());
        };
        let three_weeks = (21 * 24).hours();
        let (before, after) = (now.checked_sub(three_weeks).expect("t"), now.checked_add(three_weeks).expect("t"));
        let just_after_now = now.checked_add(1.second()).expect("t");
        let ahead = cron_oracle(&s, just_after_now, after);
        let behind = cron_oracle(&s, before, just_after_now);
        prop_assert_eq!(instants(&s.actions_between(before, after)), cron_oracle(&s, before, after));
        let next = s.next_action(now).expect("a next action within three weeks");
        let previous = s.previous_action(now).expect("a previous action within three weeks");
        prop_assert_eq!(Some(&(next.at_utc(), next.transition)), ahead.first());
        prop_assert_eq!(Some(&(previous.at_utc(), previous.transition)), behind.last());
        prop_assert_eq!(s.running_at(now), previous.transition == Transition::Start);
        prop_assert!(next.at_utc() > now && previous.at_utc() <= now);
    }
}
