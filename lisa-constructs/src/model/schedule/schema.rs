//! The JSON Schema of a schedule, with its time pattern from [`bounds`](super::super::bounds)
//! and its zone names from the bundled tz database, the same ones the reader accepts. The
//! definitions are named `Schedule*`, so they can join a definition schema's `$defs` as they are.

use super::super::bounds;
use super::read::{SCHEDULE_FIELDS, WINDOW_FIELDS};
use super::zone::time_zone_names;
use super::{Schedule, Weekday};
use serde_json::{Map, Value, json};
use std::borrow::Cow;

/// Message fragments of the rules only the validator checks (the schema's description lists
/// them): they relate two fields or two days.
pub(crate) const BEYOND_SCHEMA_MESSAGES: &[&str] = &[
    "must differ from startTime",
    "windows may not overlap",
    "windows may not touch",
];

/// The rules in [`BEYOND_SCHEMA_MESSAGES`], as the schema states them.
const RELATIONAL_RULES: &str = "Rules this schema cannot express, checked by the validator: a \
    window's startTime and stopTime differ; weekday windows neither overlap nor touch (a window \
    whose stopTime is earlier than its startTime crosses midnight and stops on the next day).";

/// The JSON Schema of a schedule: the body of `PUT /models/{modelId}/schedule`.
pub fn schedule_schema() -> Value {
    let mut defs = schedule_defs();
    let mut root = match defs.remove("Schedule") {
        Some(Value::Object(schedule)) => schedule,
        _ => Map::new(),
    };
    let mut schema = Map::new();
    schema.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    schema.insert("title".into(), json!("Schedule"));
    schema.append(&mut root);
    schema.insert("$defs".into(), Value::Object(defs));
    Value::Object(schema)
}

/// The schedule's schema is [`schedule_schema`]: its definitions (`ScheduleWindow`,
/// `ScheduleWeekdays`) join the generator's, so a type with a schedule field derives its own.
impl schemars::JsonSchema for Schedule {
    fn schema_name() -> Cow<'static, str> {
        "Schedule".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = schedule_schema();
        if let Some(object) = schema.as_object_mut() {
            object.remove("$schema");
            if let Some(Value::Object(defs)) = object.remove("$defs") {
                let known = generator.definitions_mut();
                for (name, def) in defs {
                    known.entry(name).or_insert(def);
                }
            }
        }
        schemars::Schema::try_from(schema).unwrap_or_default()
    }
}

/// `Schedule`, `ScheduleWindow` and `ScheduleWeekdays`, referring to each other under `$defs`.
pub(crate) fn schedule_defs() -> Map<String, Value> {
    let nullable = |def: &str, description: &str| {
        json!({
            "description": description,
            "anyOf": [{"$ref": format!("#/$defs/{def}")}, {"type": "null"}]
        })
    };
    let present = |field: &str| json!({"required": [field], "properties": {field: {"not": {"type": "null"}}}});
    let [time_zone, daily, weekdays] = [SCHEDULE_FIELDS[0], SCHEDULE_FIELDS[1], SCHEDULE_FIELDS[2]];
    let schedule = json!({
        "description": format!(
            "When the model runs: one window every day (daily) or a window per day of the week \
             (weekdays), in an IANA time zone. Outside its windows the model is stopped.\n\n\
             {RELATIONAL_RULES}"
        ),
        "type": "object",
        "additionalProperties": false,
        "required": [time_zone],
        "properties": {
            time_zone: {
                "description": "An IANA time zone name, exactly as the tz database spells it \
                                (Europe/Berlin). Transitions follow its daylight-saving changes.",
                "type": "string",
                "maxLength": bounds::TIME_ZONE_MAX_BYTES,
                "enum": time_zone_names(),
            },
            daily: nullable("ScheduleWindow", "The same window every day."),
            weekdays: nullable("ScheduleWeekdays", "A window for each day that has one."),
            SCHEDULE_FIELDS[3]: {
                "description": "Whether a scheduled start also starts a model that was stopped \
                                by hand. False when absent: a stop by hand holds, and scheduled \
                                starts skip the model (recording why) until it is started by hand.",
                "type": ["boolean", "null"],
            },
        },
        "oneOf": [present(daily), present(weekdays)],
    });
    let time = |description: &str| {
        json!({
            "description": description,
            "type": "string",
            "pattern": bounds::TIME_OF_DAY_PATTERN,
        })
    };
    let window = json!({
        "description": "A running period: the model starts at startTime and stops at stopTime, \
                        on the next day when stopTime is earlier.",
        "type": "object",
        "additionalProperties": false,
        "required": WINDOW_FIELDS,
        "properties": {
            WINDOW_FIELDS[0]: time("HH:MM, 24-hour, in the schedule's time zone."),
            WINDOW_FIELDS[1]: time("HH:MM, 24-hour, in the schedule's time zone; not startTime."),
        },
    });
    let days: Map<String, Value> = Weekday::ALL
        .iter()
        .map(|day| {
            let description = format!("The window that starts on {day}.");
            (
                day.as_str().to_owned(),
                nullable("ScheduleWindow", &description),
            )
        })
        .collect();
    let week = json!({
        "description": "A window per day of the week; a day left out has none. A window belongs \
                        to the day it starts.",
        "type": "object",
        "additionalProperties": false,
        "properties": days,
        "anyOf": Weekday::NAMES.iter().map(|day| present(day)).collect::<Vec<_>>(),
    });
    let mut defs = Map::new();
    defs.insert("Schedule".into(), schedule);
    defs.insert("ScheduleWindow".into(), window);
    defs.insert("ScheduleWeekdays".into(), week);
    defs
}
