//! Reads a JSON value into typed fields while collecting every error with its path.
//!
//! The reader never stops at the first problem: each accessor reports what is wrong and returns
//! `None`, so the caller goes on reading the rest of the payload.

use super::bounds::{self, IntBound};
use super::error::ValidationErrors;
use serde_json::{Map, Value};

/// Joins a parent path and a field name. Every field read makes one, so it is put together
/// by hand: `format!` took ten times as long.
pub(crate) fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        return key.to_owned();
    }
    let mut path = String::with_capacity(parent.len() + 1 + key.len());
    path.push_str(parent);
    path.push('.');
    path.push_str(key);
    path
}

/// A short description of a JSON value for "found ..." messages.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().count() > 60 => {
            let head: String = s.chars().take(57).collect();
            format!("\"{head}...\"")
        }
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// The known field closest to an unknown one, if it is close enough to be a typo.
pub(crate) fn did_you_mean<'k>(unknown: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| {
            (
                *k,
                strsim::damerau_levenshtein(&unknown.to_lowercase(), &k.to_lowercase()),
            )
        })
        .filter(|(k, distance)| *distance <= 2.max(k.len() / 4))
        .min_by_key(|(_, distance)| *distance)
        .map(|(k, _)| k)
}

/// An object being read: its path, its fields, and where errors go.
pub(crate) struct Fields<'v, 'e> {
    pub(crate) path: String,
    map: &'v Map<String, Value>,
    pub(crate) errors: &'e mut ValidationErrors,
    errors_before: usize,
}

impl<'v, 'e> Fields<'v, 'e> {
    /// Opens `value` as an object with the given known fields; reports a non-object and every
    /// unknown field (with a "did you mean" hint where one is close).
    pub(crate) fn open(
        errors: &'e mut ValidationErrors,
        path: &str,
        value: &'v Value,
        known: &[&str],
    ) -> Option<Self> {
        let Value::Object(map) = value else {
            errors.push(
                path,
                format!("must be an object, found {}", describe(value)),
            );
            return None;
        };
        let errors_before = errors.0.len();
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                let message = match did_you_mean(key, known) {
                    Some(hint) => format!("unknown field \"{key}\"; did you mean \"{hint}\"?"),
                    None => format!(
                        "unknown field \"{key}\"; allowed fields: {}",
                        known.join(", ")
                    ),
                };
                errors.push(child_path(path, key), message);
            }
        }
        Some(Fields {
            path: path.to_owned(),
            map,
            errors,
            errors_before,
        })
    }

    /// Whether nothing in this object has been reported so far (unknown fields count).
    pub(crate) fn ok(&self) -> bool {
        self.errors.0.len() == self.errors_before
    }

    /// The path of a field of this object.
    pub(crate) fn path_of(&self, key: &str) -> String {
        child_path(&self.path, key)
    }

    /// A field's value; `null` counts as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Whether a field is present and not null.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Whether at least one of `fields` is present; reports the object when none is, unless an
    /// unknown field was reported already (a typo's "did you mean" says more than "set one").
    pub(crate) fn has_any(&mut self, fields: &[&str]) -> bool {
        if fields.iter().any(|k| self.has(k)) {
            return true;
        }
        if self.ok() {
            let path = self.path.clone();
            self.errors.push(
                path,
                format!("must set at least one of {}", fields.join(", ")),
            );
        }
        false
    }

    /// Reports an error on one of this object's fields.
    pub(crate) fn error(&mut self, key: &str, message: impl Into<String>) {
        let path = self.path_of(key);
        self.errors.push(path, message);
    }

    /// Reads an optional field with `read(errors, path, value)`.
    pub(crate) fn optional<T>(
        &mut self,
        key: &str,
        read: impl FnOnce(&mut ValidationErrors, &str, &'v Value) -> Option<T>,
    ) -> Option<T> {
        let value = self.get(key)?;
        let path = self.path_of(key);
        read(self.errors, &path, value)
    }

    /// Reads a required field, reporting it when absent.
    pub(crate) fn required<T>(
        &mut self,
        key: &str,
        read: impl FnOnce(&mut ValidationErrors, &str, &'v Value) -> Option<T>,
    ) -> Option<T> {
        if !self.has(key) {
            self.error(key, "is required");
            return None;
        }
        self.optional(key, read)
    }
}

/// A string.
pub(crate) fn string(errors: &mut ValidationErrors, path: &str, value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        other => {
            errors.push(path, format!("must be a string, found {}", describe(other)));
            None
        }
    }
}

/// A boolean.
pub(crate) fn boolean(errors: &mut ValidationErrors, path: &str, value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        other => {
            errors.push(
                path,
                format!("must be true or false, found {}", describe(other)),
            );
            None
        }
    }
}

/// A string of at most `max_bytes` bytes.
pub(crate) fn bounded_string(
    max_bytes: usize,
) -> impl Fn(&mut ValidationErrors, &str, &Value) -> Option<String> {
    move |errors, path, value| {
        let s = string(errors, path, value)?;
        if s.len() > max_bytes {
            errors.push(path, bounds::too_long(max_bytes, s.len()));
            return None;
        }
        Some(s)
    }
}

/// A whole number within a bound. `30` and `30.0` are the same number (as in JSON Schema); the
/// message names the side of the bound that is broken.
pub(crate) fn integer(
    bound: IntBound,
) -> impl Fn(&mut ValidationErrors, &str, &Value) -> Option<u32> {
    move |errors, path, value| {
        let whole = match value {
            Value::Number(n) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
                .or_else(|| {
                    #[allow(clippy::cast_possible_truncation)]
                    n.as_f64()
                        .filter(|f| f.is_finite() && f.fract() == 0.0)
                        .map(|f| f as i128)
                }),
            _ => None,
        };
        if let Some(n) = whole.filter(|&n| bound.contains_wide(n)) {
            return u32::try_from(n).ok();
        }
        let unit = if bound.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", bound.unit)
        };
        let message = match whole {
            // Without an upper bound of its own, the largest value is u32's; say so when the
            // value is beyond it, rather than "at least 1".
            Some(n) if bound.max == u32::MAX && n > i128::from(bound.max) => {
                format!("must be at most {}{unit}", bound.max)
            }
            _ if bound.max == u32::MAX => {
                format!("must be a whole number of at least {}{unit}", bound.min)
            }
            _ => format!(
                "must be a whole number from {} to {}{unit}",
                bound.min, bound.max
            ),
        };
        errors.push(path, format!("{message}, found {}", describe(value)));
        None
    }
}

/// A number strictly greater than zero.
pub(crate) fn positive_number(
    errors: &mut ValidationErrors,
    path: &str,
    value: &Value,
) -> Option<f64> {
    match value.as_f64() {
        Some(n) if n > 0.0 && n.is_finite() => Some(n),
        _ => {
            errors.push(
                path,
                format!("must be a number greater than 0, found {}", describe(value)),
            );
            None
        }
    }
}

/// One of an enum's wire values.
pub(crate) fn one_of<T: Copy + std::fmt::Display + 'static>(
    all: &'static [T],
    from_wire: fn(&str) -> Option<T>,
) -> impl Fn(&mut ValidationErrors, &str, &Value) -> Option<T> {
    move |errors, path, value| {
        let found = value.as_str().and_then(from_wire);
        if found.is_none() {
            errors.push(
                path,
                format!(
                    "must be {}, found {}",
                    super::enums::allowed_values(all),
                    describe(value)
                ),
            );
        }
        found
    }
}

/// Whether a variable name says it holds a secret (`HF_TOKEN`, `DB_PASSWORD`, `OPENAI_API_KEY`...).
/// Names that only mention tokens as a quantity (`MAX_TOTAL_TOKENS`) do not count.
pub(crate) fn looks_like_a_credential(name: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "TOKEN",
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
    ];
    let upper = name.to_ascii_uppercase();
    SUFFIXES
        .iter()
        .any(|suffix| upper == *suffix || upper.ends_with(&format!("_{suffix}")))
        || upper.contains("SECRET_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_get_a_hint_when_one_is_close() {
        let mut errors = ValidationErrors::default();
        let value = json!({"minCapcity": 1, "zzz": 2});
        Fields::open(
            &mut errors,
            "autoScalingConfig",
            &value,
            &["minCapacity", "maxCapacity"],
        );
        assert_eq!(errors.0[0].path, "autoScalingConfig.minCapcity");
        assert!(errors.0[0].message.contains("did you mean \"minCapacity\""));
        assert!(
            errors.0[1]
                .message
                .contains("allowed fields: minCapacity, maxCapacity")
        );
    }

    #[test]
    fn integers_reject_fractions_and_out_of_range_values() {
        let read = integer(bounds::CONTAINER_HEALTH_INTERVAL);
        let mut errors = ValidationErrors::default();
        assert_eq!(read(&mut errors, "a", &json!(10)), Some(10));
        assert_eq!(read(&mut errors, "b", &json!(10.5)), None);
        assert_eq!(read(&mut errors, "e", &json!(10.0)), Some(10));
        assert_eq!(read(&mut errors, "c", &json!(301)), None);
        assert_eq!(read(&mut errors, "d", &json!(u64::MAX)), None);
        assert_eq!(errors.0.len(), 3);
        assert_eq!(
            errors.0[0].message,
            "must be a whole number from 5 to 300 s, found 10.5"
        );
        assert_eq!(
            errors.0[1].message,
            "must be a whole number from 5 to 300 s, found 301"
        );
        assert_eq!(errors.0[2].path, "d");
    }
}
