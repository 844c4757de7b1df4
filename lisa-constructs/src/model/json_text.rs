//! Reads payload text into a JSON value, more strictly than `serde_json::from_str`: a key given
//! twice in one object is refused with its path (serde_json would keep the last one silently),
//! a UTF-8 byte-order mark (which editors on Windows write) is skipped, and text larger than any
//! payload the Admin API takes is refused before it is parsed.

use super::bounds;
use super::error::{DefinitionError, ValidationErrors};
use super::reader::child_path;
use serde::de::{self, DeserializeSeed, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// The UTF-8 byte-order mark.
const BOM: char = '\u{feff}';

/// Parses payload text: no byte-order mark, no duplicate key, at most
/// [`PAYLOAD_MAX_BYTES`](bounds::PAYLOAD_MAX_BYTES).
pub(crate) fn parse(text: &str) -> Result<Value, DefinitionError> {
    if text.len() > bounds::PAYLOAD_MAX_BYTES {
        let mut errors = ValidationErrors::default();
        errors.push(
            "",
            format!(
                "is {} bytes; a payload is at most {} bytes (the Admin API's Lambda request limit)",
                text.len(),
                bounds::PAYLOAD_MAX_BYTES
            ),
        );
        return Err(DefinitionError::Invalid(errors));
    }
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Strict { at: At::Root }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// A JSON value whose objects may not repeat a key, at `at`.
struct Strict<'a> {
    at: At<'a>,
}

/// Where a value stands in the payload: the way down from the root, made into a path only for
/// an error message (almost every payload has none).
#[derive(Clone, Copy)]
enum At<'a> {
    Root,
    Field(&'a At<'a>, &'a str),
    Item(&'a At<'a>, usize),
}

impl At<'_> {
    /// The path as errors print it: `a.b[0].c`.
    fn path(&self) -> String {
        match self {
            At::Root => String::new(),
            At::Field(parent, key) => child_path(&parent.path(), key),
            At::Item(parent, index) => format!("{}[{index}]", parent.path()),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let at = At::Item(&self.at, items.len());
            match seq.next_element_seed(Strict { at })? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let at = At::Field(&self.at, &key);
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate key {key:?} at {}: each key may appear once in an object",
                    at.path()
                )));
            }
            let value = map.next_value_seed(Strict { at })?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_refused_with_its_path() {
        let error = parse(r#"{"a": {"b": [{"c": 1, "c": 2}]}}"#).expect_err("duplicate");
        assert!(
            error
                .to_string()
                .contains(r#"duplicate key "c" at a.b[0].c"#),
            "{error}"
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        assert_eq!(
            parse("\u{feff}{\"a\": 1}").expect("parses"),
            serde_json::json!({"a": 1})
        );
    }
}
