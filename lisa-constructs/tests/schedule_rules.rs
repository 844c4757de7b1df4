//! Every rule of a model schedule, one table row per rule: each row starts from a valid
//! schedule, breaks only that rule, and states the exact error paths (read at the base path
//! `schedule`, as a definition will carry it) and a key part of each message. Rows with no
//! expected errors pin the accepted side of a rule. Every row, and random mutations of the
//! valid schedules, also hold the schedule's JSON Schema to the validator's verdict.

mod model_payloads;

use lisa_constructs::model::schedule::Schedule;
use model_payloads::{Edit, Kind, edited, errors_of, mismatch, remove, schema_disagreement, set};
use proptest::prelude::*;
use serde_json::{Value, json};

/// One window every day.
fn daily() -> Value {
    json!({"timeZone": "Europe/Berlin", "daily": {"startTime": "08:00", "stopTime": "20:00"}})
}

/// A window on some days, Friday's across midnight into Saturday.
fn weekdays() -> Value {
    json!({
        "timeZone": "America/New_York",
        "weekdays": {
            "monday": {"startTime": "07:30", "stopTime": "19:00"},
            "tuesday": {"startTime": "07:30", "stopTime": "19:00"},
            "friday": {"startTime": "22:00", "stopTime": "06:00"},
            "saturday": {"startTime": "09:00", "stopTime": "12:00"}
        }
    })
}

/// One rule: edits of a base schedule and the errors they must produce (none: accepted).
struct Row {
    name: &'static str,
    base: fn() -> Value,
    edits: Vec<Edit>,
    expected: Vec<(&'static str, &'static str)>,
}

fn row(name: &'static str, base: fn() -> Value, edits: Vec<Edit>) -> Row {
    Row {
        name,
        base,
        edits,
        expected: Vec::new(),
    }
}

impl Row {
    /// Expects an error at `path` whose message contains `fragment`.
    fn rejects(mut self, path: &'static str, fragment: &'static str) -> Self {
        self.expected.push((path, fragment));
        self
    }
}

/// Runs every row and reports all the rows that fail, not just the first.
fn check(rows: Vec<Row>) {
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            let value = edited(&(row.base)(), &row.edits);
            let errors = errors_of(&Schedule::from_json_value_at(&value, "schedule"));
            mismatch(&errors, &row.expected)
                .or_else(|| {
                    // The schema describes the schedule itself: its paths have no base.
                    let unprefixed: Vec<(String, String)> = errors
                        .iter()
                        .map(|(path, message)| {
                            let path = path.strip_prefix("schedule").unwrap_or(path);
                            (path.trim_start_matches('.').to_owned(), message.clone())
                        })
                        .collect();
                    schema_disagreement(Kind::Schedule, &value, &unprefixed)
                })
                .map(|why| format!("row {:?}:\n{why}", row.name))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_rows_start_from_valid_schedules() {
    for base in [daily(), weekdays()] {
        assert_eq!(errors_of(&Schedule::from_json_value(&base)), [], "{base}");
    }
}

#[test]
fn the_example_schedules_are_valid_and_read_back_as_written() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/schedules");
    let mut read = 0;
    for entry in std::fs::read_dir(&folder).expect("examples/schedules") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        let schedule =
            Schedule::from_json_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let value: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(serde_json::to_value(&schedule).expect("serializes"), value);
        assert_eq!(schema_disagreement(Kind::Schedule, &value, &[]), None);
        read += 1;
    }
    assert!(read >= 2, "{read} examples in {}", folder.display());
}

#[test]
fn paths_are_relative_to_the_base_path() {
    let value = edited(&daily(), &[set("/daily/startTime", json!("8:00"))]);
    let at_root = errors_of(&Schedule::from_json_value(&value));
    assert_eq!(at_root[0].0, "daily.startTime");
    let in_definition = errors_of(&Schedule::from_json_value_at(&value, "schedule"));
    assert_eq!(in_definition[0].0, "schedule.daily.startTime");
    let text = Schedule::from_json_str(r#"{"timeZone": "UTC", "timeZone": "UTC"}"#)
        .expect_err("duplicate key");
    assert!(text.to_string().contains("duplicate key"), "{text}");
}

#[test]
fn time_zone() {
    check(vec![
        row("missing", daily, vec![remove("/timeZone")])
            .rejects("schedule.timeZone", "is required"),
        row("null", daily, vec![set("/timeZone", Value::Null)])
            .rejects("schedule.timeZone", "is required"),
        row("not a string", daily, vec![set("/timeZone", json!(1))])
            .rejects("schedule.timeZone", "must be a string, found 1"),
        row("typo", daily, vec![set("/timeZone", json!("Europe/Berln"))])
            .rejects("schedule.timeZone", "did you mean \"Europe/Berlin\""),
        row(
            "wrong case",
            daily,
            vec![set("/timeZone", json!("europe/berlin"))],
        )
        .rejects(
            "schedule.timeZone",
            "names are case-sensitive; did you mean \"Europe/Berlin\"",
        ),
        row("an offset", daily, vec![set("/timeZone", json!("+02:00"))])
            .rejects("schedule.timeZone", "is not a zone"),
        row("empty", daily, vec![set("/timeZone", json!(""))])
            .rejects("schedule.timeZone", "unknown time zone \"\""),
        // EventBridge Scheduler's ScheduleExpressionTimezone is at most 50 characters; a
        // longer text is refused before any name is compared with it.
        row(
            "longer than any zone",
            daily,
            vec![set("/timeZone", json!("Europe/".repeat(8)))],
        )
        .rejects(
            "schedule.timeZone",
            "must be at most 50 bytes long, found 56 bytes",
        ),
        row("UTC", daily, vec![set("/timeZone", json!("UTC"))]),
        row(
            "three parts",
            daily,
            vec![set("/timeZone", json!("America/Argentina/Buenos_Aires"))],
        ),
        row(
            "a half-hour zone",
            daily,
            vec![set("/timeZone", json!("Australia/Lord_Howe"))],
        ),
    ]);
}

#[test]
fn times_of_day() {
    let bad_time = |name: &'static str, value: Value| {
        row(name, daily, vec![set("/daily/startTime", value)]).rejects(
            "schedule.daily.startTime",
            "must be a time of day \"HH:MM\", 24-hour",
        )
    };
    check(vec![
        bad_time("one-digit hour", json!("8:00")),
        bad_time("24:00", json!("24:00")),
        bad_time("minute 60", json!("08:60")),
        bad_time("seconds", json!("08:00:00")),
        bad_time("a number", json!(800)),
        bad_time("empty", json!("")),
        bad_time("am/pm", json!("08:00 PM")),
        row(
            "midnight",
            daily,
            vec![set("/daily/startTime", json!("00:00"))],
        ),
        row(
            "last minute",
            daily,
            vec![set("/daily/stopTime", json!("23:59"))],
        ),
        row("missing", daily, vec![remove("/daily/stopTime")])
            .rejects("schedule.daily.stopTime", "is required"),
        row("both missing", daily, vec![set("/daily", json!({}))])
            .rejects("schedule.daily.startTime", "is required")
            .rejects("schedule.daily.stopTime", "is required"),
        row(
            "a weekday's",
            weekdays,
            vec![set("/weekdays/tuesday/stopTime", json!("7pm"))],
        )
        .rejects("schedule.weekdays.tuesday.stopTime", "found \"7pm\""),
    ]);
}

#[test]
fn windows() {
    check(vec![
        row(
            "start equals stop",
            daily,
            vec![set("/daily/stopTime", json!("08:00"))],
        )
        .rejects(
            "schedule.daily.stopTime",
            "must differ from startTime (08:00)",
        ),
        row(
            "a weekday's start equals stop",
            weekdays,
            vec![set("/weekdays/monday/stopTime", json!("07:30"))],
        )
        .rejects(
            "schedule.weekdays.monday.stopTime",
            "must differ from startTime (07:30)",
        ),
        row(
            "across midnight",
            daily,
            vec![set(
                "/daily",
                json!({"startTime": "22:00", "stopTime": "06:00"}),
            )],
        ),
        row(
            "one minute long",
            daily,
            vec![set("/daily/stopTime", json!("08:01"))],
        ),
        row(
            "one minute short of a day",
            daily,
            vec![set("/daily/stopTime", json!("07:59"))],
        ),
        row(
            "not an object",
            daily,
            vec![set("/daily", json!("08:00-20:00"))],
        )
        .rejects("schedule.daily", "must be an object"),
        row(
            "misspelt field",
            daily,
            vec![set(
                "/daily",
                json!({"startime": "08:00", "stopTime": "20:00"}),
            )],
        )
        .rejects("schedule.daily.startime", "did you mean \"startTime\"")
        .rejects("schedule.daily.startTime", "is required"),
    ]);
}

#[test]
fn daily_or_weekdays() {
    check(vec![
        row(
            "both",
            daily,
            vec![set("/weekdays", weekdays()["weekdays"].clone())],
        )
        .rejects("schedule.weekdays", "cannot be combined with daily"),
        row(
            "both, with the daily one broken too",
            daily,
            vec![
                set("/daily/startTime", json!("25:00")),
                set("/weekdays", weekdays()["weekdays"].clone()),
            ],
        )
        .rejects("schedule.daily.startTime", "must be a time of day")
        .rejects("schedule.weekdays", "cannot be combined with daily"),
        row("neither", daily, vec![remove("/daily")]).rejects(
            "schedule",
            "must set daily (one window for every day) or weekdays",
        ),
        row(
            "daily null beside weekdays",
            weekdays,
            vec![set("/daily", Value::Null)],
        ),
        row(
            "misspelt daily",
            daily,
            vec![remove("/daily"), set("/dayly", daily()["daily"].clone())],
        )
        .rejects("schedule.dayly", "did you mean \"daily\""),
        row(
            "an unknown field",
            daily,
            vec![set("/enabled", json!(true))],
        )
        .rejects("schedule.enabled", "unknown field \"enabled\""),
        row("not an object", || json!([]), vec![])
            .rejects("schedule", "must be an object, found an array"),
    ]);
}

#[test]
fn weekday_windows() {
    check(vec![
        row("no day", weekdays, vec![set("/weekdays", json!({}))])
            .rejects("schedule.weekdays", "must set at least one of monday"),
        row("every day null", weekdays, vec![set(
            "/weekdays",
            json!({"monday": null, "friday": null}),
        )])
        .rejects("schedule.weekdays", "must set at least one of monday"),
        row("a null day has no window", weekdays, vec![set("/weekdays/tuesday", Value::Null)]),
        row("an abbreviated day", weekdays, vec![set("/weekdays/mon", json!({"startTime": "08:00", "stopTime": "09:00"}))])
            .rejects("schedule.weekdays.mon", "allowed fields: monday, tuesday"),
        row("a misspelt day", weekdays, vec![set("/weekdays/wednsday", json!({"startTime": "08:00", "stopTime": "09:00"}))])
            .rejects("schedule.weekdays.wednsday", "did you mean \"wednesday\""),
        row("a day as a string", weekdays, vec![set("/weekdays/sunday", json!("09:00-17:00"))])
            .rejects("schedule.weekdays.sunday", "must be an object"),
        row("overlaps the night before", weekdays, vec![set("/weekdays/saturday/startTime", json!("05:59"))])
            .rejects("schedule.weekdays.saturday.startTime", "before friday's window (22:00 to 06:00) stops at 06:00 on saturday: windows may not overlap"),
        row("touches the night before", weekdays, vec![set("/weekdays/saturday/startTime", json!("06:00"))])
            .rejects("schedule.weekdays.saturday.startTime", "windows may not touch"),
        row("a minute after the night before", weekdays, vec![set("/weekdays/saturday/startTime", json!("06:01"))]),
        row("sunday night into monday", weekdays, vec![set("/weekdays/sunday", json!({"startTime": "23:00", "stopTime": "08:00"}))])
            .rejects("schedule.weekdays.monday.startTime", "before sunday's window (23:00 to 08:00) stops"),
        row("a window the night before that ends the same day", weekdays, vec![
            set("/weekdays/friday", json!({"startTime": "05:00", "stopTime": "23:00"})),
            set("/weekdays/saturday/startTime", json!("00:00")),
        ]),
        row("every problem at once", weekdays, vec![
            set("/timeZone", json!("America/NewYork")),
            set("/weekdays/monday/startTime", json!("7:30")),
            set("/weekdays/tuesday/stopTime", json!("07:30")),
            set("/weekdays/saturday/startTime", json!("06:00")),
        ])
        .rejects("schedule.timeZone", "did you mean \"America/New_York\"")
        .rejects("schedule.weekdays.monday.startTime", "must be a time of day")
        .rejects("schedule.weekdays.tuesday.stopTime", "must differ from startTime")
        .rejects("schedule.weekdays.saturday.startTime", "windows may not touch"),
    ]);
}

/// Values on and just past the rules' edges, of every JSON type.
fn palette() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(830),
        json!(""),
        json!("08:00"),
        json!("20:00"),
        json!("8:00"),
        json!("24:00"),
        json!("23:59"),
        json!("06:00"),
        json!("Europe/Berlin"),
        json!("europe/berlin"),
        json!("Mars/Olympus"),
        json!("UTC"),
        json!([]),
        json!({}),
        json!({"startTime": "09:00", "stopTime": "17:00"}),
        json!({"startTime": "17:00", "stopTime": "09:00"}),
        json!({"startTime": "09:00", "stopTime": "09:00"}),
        json!({"startTime": "09:00"}),
        json!({"monday": {"startTime": "09:00", "stopTime": "17:00"}}),
    ]
}

/// JSON pointers of every value in `value`, the root included.
fn pointers(value: &Value, at: &str, out: &mut Vec<String>) {
    out.push(at.to_owned());
    if let Value::Object(map) = value {
        for (key, child) in map {
            pointers(child, &format!("{at}/{key}"), out);
        }
    }
}

/// Names a mutation may add where an object is: known ones (so daily and weekdays meet) and
/// unknown ones.
const NEW_KEYS: &[&str] = &[
    "daily", "weekdays", "timeZone", "sunday", "stopTime", "extra",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_schema_and_the_validator_agree_on_mutated_schedules(
        weekly in any::<bool>(),
        edits in prop::collection::vec((any::<usize>(), any::<usize>(), any::<usize>(), any::<bool>()), 1..4),
    ) {
        let mut value = if weekly { weekdays() } else { daily() };
        for (at, what, key, add) in edits {
            let mut all = Vec::new();
            pointers(&value, "", &mut all);
            let pointer = all[at % all.len()].clone();
            let new = palette()[what % palette().len()].clone();
            match value.pointer_mut(&pointer) {
                Some(Value::Object(map)) if add => {
                    map.insert(NEW_KEYS[key % NEW_KEYS.len()].to_owned(), new);
                }
                Some(slot) => *slot = new,
                None => {}
            }
        }
        let errors = errors_of(&Schedule::from_json_value(&value));
        if let Some(why) = schema_disagreement(Kind::Schedule, &value, &errors) {
            return Err(TestCaseError::fail(why));
        }
        if errors.is_empty() {
            // What was accepted serializes to JSON that reads back to the same schedule.
            let schedule = Schedule::from_json_value(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let again = serde_json::to_value(&schedule).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(Schedule::from_json_value(&again).ok(), Some(schedule));
        }
    }
}

/// A definition carrying a schedule: its problems are reported at `schedule.…` with the
/// definition's own, and the definition's JSON Schema holds the same verdict.
#[test]
fn a_definition_s_schedule_is_checked_at_its_path_with_the_rest() {
    use lisa_constructs::model::ModelDefinition;
    let mut payload = model_payloads::model("titan-office-hours");
    let accepted = ModelDefinition::from_json_value(&payload);
    assert!(accepted.is_ok(), "{accepted:?}");
    assert_eq!(
        schema_disagreement(Kind::Definition, &payload, &[]),
        None,
        "the schema accepts the example"
    );

    payload["schedule"] = json!({
        "timeZone": "Europe/Berlni",
        "daily": {"startTime": "08:00", "stopTime": "08:00"},
        "resumeAfterManualStop": "yes"
    });
    payload["modelType"] = json!("poetry");
    let errors = errors_of(&ModelDefinition::from_json_value(&payload));
    let paths: Vec<&str> = errors.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "modelType",
            "schedule.timeZone",
            "schedule.daily.stopTime",
            "schedule.resumeAfterManualStop"
        ],
        "{errors:?}"
    );
    assert!(
        errors[1].1.contains("Europe/Berlin"),
        "a close name is offered: {errors:?}"
    );
    assert_eq!(
        schema_disagreement(Kind::Definition, &payload, &errors),
        None
    );
}

#[test]
fn a_definition_with_a_schedule_serializes_back_to_what_it_was_read_from() {
    use lisa_constructs::model::ModelDefinition;
    let payload = model_payloads::model("titan-office-hours");
    let definition = ModelDefinition::from_json_value(&payload).expect("valid");
    assert!(
        definition
            .schedule
            .as_ref()
            .is_some_and(|s| s.resume_after_manual_stop())
    );
    assert_eq!(serde_json::to_value(&definition).expect("json"), payload);
    let without = model_payloads::model("titan-express-v1");
    let plain = ModelDefinition::from_json_value(&without).expect("valid");
    assert!(plain.schedule.is_none());
    assert_eq!(serde_json::to_value(&plain).expect("json"), without);
}

/// Only a stack with a schedule has the lifecycle parameters and schedules; each schedule
/// invokes the lifecycle function with the model's id and its transition.
#[test]
fn only_a_scheduled_model_s_stack_has_schedules_and_their_parameters() {
    use lisa_constructs::ecs_model::schedule::LifecycleEvent;
    use lisa_constructs::ecs_model::stack_io::parameter;
    use lisa_constructs::ecs_model::{StackOptions, synthesize};
    use lisa_constructs::model::schedule::Transition;
    let scheduled = synthesize(
        &model_payloads::definition("mistral-vllm-nightly"),
        &StackOptions::default(),
    )
    .expect("synthesized");
    let plain = synthesize(
        &model_payloads::definition("mistral-vllm"),
        &StackOptions::default(),
    )
    .expect("synthesized");
    for name in [
        parameter::LIFECYCLE_FUNCTION_ARN,
        parameter::SCHEDULER_ROLE_ARN,
    ] {
        assert!(scheduled.template.parameters.contains_key(name));
        assert!(!plain.template.parameters.contains_key(name));
    }
    assert_eq!(
        plain
            .template
            .resources_of_type("AWS::Scheduler::Schedule")
            .count(),
        0
    );
    let template: Value =
        serde_json::from_str(&scheduled.template.to_json_string().expect("json")).expect("json");
    let mut events: Vec<LifecycleEvent> = template["Resources"]
        .as_object()
        .expect("resources")
        .values()
        .filter(|r| r["Type"] == "AWS::Scheduler::Schedule")
        .map(|r| {
            assert_eq!(
                r["Properties"]["Target"]["Arn"],
                json!({"Ref": "LifecycleFunctionArn"})
            );
            assert_eq!(r["Properties"]["FlexibleTimeWindow"]["Mode"], "OFF");
            serde_json::from_str(r["Properties"]["Target"]["Input"].as_str().expect("text"))
                .expect("the lifecycle function reads the event")
        })
        .collect();
    events.sort_by_key(|e| e.action);
    assert_eq!(
        events
            .iter()
            .map(|e| (e.model_id.as_str(), e.action))
            .collect::<Vec<_>>(),
        [
            ("mistral-vllm-nightly", Transition::Start),
            ("mistral-vllm-nightly", Transition::Stop)
        ]
    );
}
