//! What a value renders as, found without rendering it: a resource's properties must be a JSON
//! object, and an empty one is left out of the template. Serde tells a serializer how many
//! entries a struct or map will have before the first one, so asking stops there.

use std::fmt;

use serde::Serialize;
use serde::ser::{Impossible, Serializer};

/// The outline of a rendered value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// An object without entries.
    EmptyObject,
    /// An object with entries (or whose entries are not counted up front).
    Object,
    /// Anything else.
    NotAnObject,
}

/// The shape of `value`.
pub(crate) fn shape(value: &dyn erased_serde::Serialize) -> Shape {
    match erased_serde::serialize(value, Probe) {
        Err(Stop(shape)) => shape,
        // Only a unit-like value gets this far.
        Ok(()) => Shape::NotAnObject,
    }
}

/// Stops serialization at the first call, carrying the shape it announced.
#[derive(Debug)]
struct Stop(Shape);

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl std::error::Error for Stop {}

impl serde::ser::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop(Shape::NotAnObject)
    }
}

fn entries(len: Option<usize>) -> Stop {
    Stop(match len {
        Some(0) => Shape::EmptyObject,
        _ => Shape::Object,
    })
}

struct Probe;

/// Everything that is not an object.
macro_rules! not_an_object {
    ($($method:ident($($arg:ty),*) -> $ok:ty;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<$ok, Stop> {
            Err(Stop(Shape::NotAnObject))
        }
    )*};
}

impl Serializer for Probe {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Impossible<(), Stop>;
    type SerializeTuple = Impossible<(), Stop>;
    type SerializeTupleStruct = Impossible<(), Stop>;
    type SerializeTupleVariant = Impossible<(), Stop>;
    type SerializeMap = Impossible<(), Stop>;
    type SerializeStruct = Impossible<(), Stop>;
    type SerializeStructVariant = Impossible<(), Stop>;

    not_an_object! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Stop> {
        // `{"Variant": value}`: an object with one entry.
        Err(Stop(Shape::Object))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, Stop> {
        Err(entries(len))
    }

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Self::SerializeStruct, Stop> {
        Err(entries(Some(len)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shape_agrees_with_the_rendered_value() {
        #[derive(Serialize)]
        struct Skipping {
            #[serde(skip_serializing_if = "Option::is_none")]
            a: Option<u8>,
        }
        for (value, expected) in [
            (json!({}), Shape::EmptyObject),
            (json!({"A": 1}), Shape::Object),
            (json!([]), Shape::NotAnObject),
            (json!(null), Shape::NotAnObject),
            (json!("x"), Shape::NotAnObject),
        ] {
            assert_eq!(shape(&value), expected, "{value}");
        }
        assert_eq!(shape(&Skipping { a: None }), Shape::EmptyObject);
        assert_eq!(shape(&Skipping { a: Some(1) }), Shape::Object);
    }
}
