//! The template's JSON text, written by a serializer of the library's own. serde_json's
//! serializer looks at a string one byte at a time for characters to escape, and strings
//! (scripts, policies, descriptions) are half of a template: that scan was a fifth of the
//! instructions of a synthesis with its text. This one looks at eight bytes at a time, and also
//! escapes the characters YAML refuses ([`unprintable`]), which template readers that parse JSON
//! as YAML need (moto, cfn-lint). The layout is a serde_json [`Formatter`] (pretty or compact),
//! called as serde_json calls it, so the text is the same byte for byte.

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::ser::{CharEscape, Formatter};
use std::fmt;
use std::io;

/// JSON text written to `out`, laid out by `layout`.
pub(crate) struct JsonWriter<W, F> {
    out: W,
    layout: F,
}

impl<W: io::Write, F: Formatter> JsonWriter<W, F> {
    pub(crate) fn new(out: W, layout: F) -> Self {
        JsonWriter { out, layout }
    }

    fn string(&mut self, text: &str) -> io::Result<()> {
        self.layout.begin_string(&mut self.out)?;
        self.escaped(text)?;
        self.layout.end_string(&mut self.out)
    }

    /// `text` with every character JSON or YAML needs escaped written as its escape.
    fn escaped(&mut self, text: &str) -> io::Result<()> {
        let bytes = text.as_bytes();
        let mut run = 0; // where the text not written yet starts
        let mut i = 0;
        while i < bytes.len() {
            if !needs_a_look(word_at(bytes, i)) {
                i += 8;
                continue;
            }
            // A byte of these eight (or of the last few) may need an escape: one at a time.
            let end = (i + 8).min(bytes.len());
            while i < end {
                let byte = bytes[i];
                let escape = match byte {
                    b'"' => Some(CharEscape::Quote),
                    b'\\' => Some(CharEscape::ReverseSolidus),
                    b'\n' => Some(CharEscape::LineFeed),
                    b'\r' => Some(CharEscape::CarriageReturn),
                    b'\t' => Some(CharEscape::Tab),
                    0x08 => Some(CharEscape::Backspace),
                    0x0c => Some(CharEscape::FormFeed),
                    0x00..0x20 => Some(CharEscape::AsciiControl(byte)),
                    _ => None,
                };
                if let Some(escape) = escape {
                    self.fragment(&text[run..i])?;
                    self.layout.write_char_escape(&mut self.out, escape)?;
                    i += 1;
                    run = i;
                } else if byte < 0x7f {
                    i += 1;
                } else {
                    // DEL or the first byte of a character beyond ASCII: steps go a whole
                    // character at a time, so none starts inside one.
                    let c = text[i..].chars().next().expect("a character starts here");
                    if unprintable(c) {
                        self.fragment(&text[run..i])?;
                        write!(self.out, "\\u{:04x}", u32::from(c))?;
                        run = i + c.len_utf8();
                    }
                    i += c.len_utf8();
                }
            }
        }
        self.fragment(&text[run..])
    }

    /// Text that needs no escape, as it is.
    fn fragment(&mut self, text: &str) -> io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        self.layout.write_string_fragment(&mut self.out, text)
    }

    /// `{"variant": ` of an enum variant with content.
    fn open_variant(&mut self, variant: &str) -> Result {
        self.layout.begin_object(&mut self.out)?;
        self.layout.begin_object_key(&mut self.out, true)?;
        self.string(variant)?;
        self.layout.end_object_key(&mut self.out)?;
        Ok(self.layout.begin_object_value(&mut self.out)?)
    }

    /// The `}` of [`open_variant`](Self::open_variant).
    fn close_variant(&mut self) -> Result {
        self.layout.end_object_value(&mut self.out)?;
        Ok(self.layout.end_object(&mut self.out)?)
    }
}

/// The eight bytes of `bytes` from `at`, as one word; past the end, spaces (which need no
/// escape), so that the last few bytes of a string, and whole short strings, are one test too.
fn word_at(bytes: &[u8], at: usize) -> u64 {
    match bytes.get(at..at + 8) {
        Some(word) => u64::from_ne_bytes(word.try_into().expect("8 bytes")),
        None => {
            let mut word = [b' '; 8];
            let rest = &bytes[at..];
            word[..rest.len()].copy_from_slice(rest);
            u64::from_ne_bytes(word)
        }
    }
}

/// Whether `c` may not appear raw in a YAML document: YAML allows neither DEL, the C1 controls
/// (but NEL) nor U+FFFE and U+FFFF. JSON asks only for the C0 controls to be escaped.
pub(crate) fn unprintable(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
}

/// Whether one of the eight bytes of `word` may need an escape: a control character, `"`, `\`,
/// or a byte from DEL up (every [`unprintable`] character starts with one). Almost always none
/// does, and the eight are written as they are. Each test sets a byte's high bit: subtracting 1
/// from a zero byte (after `^` with the byte looked for) or 0x20 from a byte below 0x20 borrows
/// into it, and adding 1 to seven low bits that are all ones carries into it.
fn needs_a_look(word: u64) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH_BITS: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero_byte = |w: u64| w.wrapping_sub(ONES) & !w & HIGH_BITS;
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH_BITS;
    let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
    let from_del = (word | ((word & !HIGH_BITS) + ONES)) & HIGH_BITS;
    control | quote | backslash | from_del != 0
}

/// Why a template could not be written: its writer failed, or a value cannot be JSON.
#[derive(Debug)]
pub(crate) enum WriteError {
    Io(io::Error),
    Value(String),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Io(e) => write!(f, "{e}"),
            WriteError::Value(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for WriteError {}

impl ser::Error for WriteError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        WriteError::Value(message.to_string())
    }
}

impl From<io::Error> for WriteError {
    fn from(e: io::Error) -> Self {
        WriteError::Io(e)
    }
}

type Result<T = (), E = WriteError> = std::result::Result<T, E>;

impl<'a, W: io::Write, F: Formatter> ser::Serializer for &'a mut JsonWriter<W, F> {
    type Ok = ();
    type Error = WriteError;
    type SerializeSeq = Compound<'a, W, F>;
    type SerializeTuple = Compound<'a, W, F>;
    type SerializeTupleStruct = Compound<'a, W, F>;
    type SerializeTupleVariant = Compound<'a, W, F>;
    type SerializeMap = Compound<'a, W, F>;
    type SerializeStruct = Compound<'a, W, F>;
    type SerializeStructVariant = Compound<'a, W, F>;

    fn serialize_bool(self, v: bool) -> Result {
        Ok(self.layout.write_bool(&mut self.out, v)?)
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result {
        Ok(self.layout.write_i64(&mut self.out, v)?)
    }
    fn serialize_i128(self, v: i128) -> Result {
        Ok(self.layout.write_i128(&mut self.out, v)?)
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result {
        Ok(self.layout.write_u64(&mut self.out, v)?)
    }
    fn serialize_u128(self, v: u128) -> Result {
        Ok(self.layout.write_u128(&mut self.out, v)?)
    }
    fn serialize_f32(self, v: f32) -> Result {
        if v.is_finite() {
            Ok(self.layout.write_f32(&mut self.out, v)?)
        } else {
            self.serialize_unit()
        }
    }
    fn serialize_f64(self, v: f64) -> Result {
        // JSON has no NaN or infinity: null, as serde_json writes.
        if v.is_finite() {
            Ok(self.layout.write_f64(&mut self.out, v)?)
        } else {
            self.serialize_unit()
        }
    }
    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        Ok(self.string(v)?)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result {
        Ok(self.layout.write_byte_array(&mut self.out, v)?)
    }
    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        Ok(self.layout.write_null(&mut self.out)?)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        self.open_variant(variant)?;
        value.serialize(&mut *self)?;
        self.close_variant()
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, W, F>> {
        self.layout.begin_array(&mut self.out)?;
        Compound::open(self, len, Close::Array)
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, W, F>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, W, F>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, W, F>> {
        self.open_variant(variant)?;
        self.layout.begin_array(&mut self.out)?;
        Compound::open(self, Some(len), Close::ArrayInVariant)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, W, F>> {
        self.layout.begin_object(&mut self.out)?;
        Compound::open(self, len, Close::Object)
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, W, F>> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, W, F>> {
        self.open_variant(variant)?;
        self.layout.begin_object(&mut self.out)?;
        Compound::open(self, Some(len), Close::ObjectInVariant)
    }
}

/// What ends an array or object being written.
#[derive(Clone, Copy)]
enum Close {
    Array,
    ArrayInVariant,
    Object,
    ObjectInVariant,
}

/// An array or object being written.
pub(crate) struct Compound<'a, W, F> {
    writer: &'a mut JsonWriter<W, F>,
    close: Close,
    /// No member written yet.
    first: bool,
    /// Declared empty, and closed at once.
    closed: bool,
}

impl<'a, W: io::Write, F: Formatter> Compound<'a, W, F> {
    fn open(writer: &'a mut JsonWriter<W, F>, len: Option<usize>, close: Close) -> Result<Self> {
        let mut compound = Compound {
            writer,
            close,
            first: true,
            closed: false,
        };
        // serde_json closes a collection declared empty at once; the layout sees the same calls.
        if len == Some(0) {
            compound.close_brackets()?;
            compound.closed = true;
        }
        Ok(compound)
    }

    fn close_brackets(&mut self) -> Result {
        let JsonWriter { out, layout } = &mut *self.writer;
        match self.close {
            Close::Array | Close::ArrayInVariant => layout.end_array(out)?,
            Close::Object | Close::ObjectInVariant => layout.end_object(out)?,
        }
        Ok(())
    }

    fn finish(mut self) -> Result {
        if !self.closed {
            self.close_brackets()?;
        }
        match self.close {
            Close::ArrayInVariant | Close::ObjectInVariant => self.writer.close_variant(),
            Close::Array | Close::Object => Ok(()),
        }
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        let writer = &mut *self.writer;
        writer
            .layout
            .begin_array_value(&mut writer.out, self.first)?;
        self.first = false;
        value.serialize(&mut *writer)?;
        Ok(writer.layout.end_array_value(&mut writer.out)?)
    }

    fn key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result {
        let writer = &mut *self.writer;
        writer
            .layout
            .begin_object_key(&mut writer.out, self.first)?;
        self.first = false;
        key.serialize(KeyWriter(&mut *writer))?;
        Ok(writer.layout.end_object_key(&mut writer.out)?)
    }

    fn value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        let writer = &mut *self.writer;
        writer.layout.begin_object_value(&mut writer.out)?;
        value.serialize(&mut *writer)?;
        Ok(writer.layout.end_object_value(&mut writer.out)?)
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        let writer = &mut *self.writer;
        writer
            .layout
            .begin_object_key(&mut writer.out, self.first)?;
        self.first = false;
        writer.string(key)?;
        writer.layout.end_object_key(&mut writer.out)?;
        self.value(value)
    }
}

impl<W: io::Write, F: Formatter> ser::SerializeSeq for Compound<'_, W, F> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl<W: io::Write, F: Formatter> ser::SerializeTuple for Compound<'_, W, F> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl<W: io::Write, F: Formatter> ser::SerializeTupleStruct for Compound<'_, W, F> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl<W: io::Write, F: Formatter> ser::SerializeTupleVariant for Compound<'_, W, F> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl<W: io::Write, F: Formatter> ser::SerializeMap for Compound<'_, W, F> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result {
        self.key(key)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.value(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl<W: io::Write, F: Formatter> ser::SerializeStruct for Compound<'_, W, F> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl<W: io::Write, F: Formatter> ser::SerializeStructVariant for Compound<'_, W, F> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

/// An object's key: JSON keys are strings, so a number or a boolean is written as one (as
/// serde_json does) and anything else is refused.
struct KeyWriter<'a, W, F>(&'a mut JsonWriter<W, F>);

impl<W: io::Write, F: Formatter> KeyWriter<'_, W, F> {
    fn quoted(self, scalar: impl fmt::Display) -> Result {
        Ok(self.0.string(&scalar.to_string())?)
    }
}

fn not_a_key() -> WriteError {
    WriteError::Value("an object's key must be a string".into())
}

impl<W: io::Write, F: Formatter> ser::Serializer for KeyWriter<'_, W, F> {
    type Ok = ();
    type Error = WriteError;
    type SerializeSeq = Impossible<(), WriteError>;
    type SerializeTuple = Impossible<(), WriteError>;
    type SerializeTupleStruct = Impossible<(), WriteError>;
    type SerializeTupleVariant = Impossible<(), WriteError>;
    type SerializeMap = Impossible<(), WriteError>;
    type SerializeStruct = Impossible<(), WriteError>;
    type SerializeStructVariant = Impossible<(), WriteError>;

    fn serialize_str(self, v: &str) -> Result {
        Ok(self.0.string(v)?)
    }
    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_bool(self, v: bool) -> Result {
        self.quoted(v)
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.quoted(v)
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.quoted(v)
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.quoted(v)
    }
    fn serialize_i64(self, v: i64) -> Result {
        self.quoted(v)
    }
    fn serialize_i128(self, v: i128) -> Result {
        self.quoted(v)
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.quoted(v)
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.quoted(v)
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.quoted(v)
    }
    fn serialize_u64(self, v: u64) -> Result {
        self.quoted(v)
    }
    fn serialize_u128(self, v: u128) -> Result {
        self.quoted(v)
    }
    fn serialize_f32(self, _: f32) -> Result {
        Err(not_a_key())
    }
    fn serialize_f64(self, _: f64) -> Result {
        Err(not_a_key())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result {
        Err(not_a_key())
    }
    fn serialize_none(self) -> Result {
        Err(not_a_key())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result {
        Err(not_a_key())
    }
    fn serialize_unit(self) -> Result {
        Err(not_a_key())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        Err(not_a_key())
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        Err(not_a_key())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(not_a_key())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(not_a_key())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(not_a_key())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(not_a_key())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(not_a_key())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(not_a_key())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(not_a_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use serde_json::ser::{CompactFormatter, PrettyFormatter};
    use std::collections::BTreeMap;

    fn written<T: Serialize>(value: &T, pretty: bool) -> String {
        let mut out = Vec::new();
        if pretty {
            value
                .serialize(&mut JsonWriter::new(&mut out, PrettyFormatter::new()))
                .expect("writes");
        } else {
            value
                .serialize(&mut JsonWriter::new(&mut out, CompactFormatter))
                .expect("writes");
        }
        String::from_utf8(out).expect("UTF-8")
    }

    fn serde_jsons<T: Serialize>(value: &T, pretty: bool) -> String {
        if pretty {
            serde_json::to_string_pretty(value).expect("writes")
        } else {
            serde_json::to_string(value).expect("writes")
        }
    }

    #[test]
    fn the_text_is_serde_jsons_for_every_shape_of_value() {
        #[derive(Serialize)]
        enum Shape {
            Unit,
            Newtype(u8),
            Tuple(u8, String),
            Empty(),
            Struct { a: Vec<u8>, b: Option<f64> },
        }
        #[derive(Serialize)]
        struct All {
            shapes: Vec<Shape>,
            empty_list: Vec<u8>,
            empty_map: BTreeMap<String, u8>,
            numbers: (i8, i64, u64, i128, u128, f32, f64, f64),
            keys: BTreeMap<u32, &'static str>,
            flags: BTreeMap<bool, u8>,
            text: &'static str,
            c: char,
            nothing: (),
        }
        let all = All {
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(7),
                Shape::Tuple(1, "x".into()),
                Shape::Empty(),
                Shape::Struct {
                    a: vec![],
                    b: Some(0.5),
                },
            ],
            empty_list: vec![],
            empty_map: BTreeMap::new(),
            numbers: (-8, i64::MIN, u64::MAX, -1, 1, 1.5, f64::NAN, 1e300),
            keys: [(1, "one"), (20, "twenty")].into(),
            flags: [(true, 1)].into(),
            text: "tab\t quote\" back\\ nl\n cr\r bs\u{8} ff\u{c} nul\u{0} us\u{1f} é 漢 🦀 \
                   long enough to take several words of eight bytes",
            c: '\n',
            nothing: (),
        };
        for pretty in [false, true] {
            assert_eq!(written(&all, pretty), serde_jsons(&all, pretty));
            let value = json!({"a": [1, {"b": null}, [], {}], "c": "d", "e": {"f": [true]}});
            assert_eq!(written(&value, pretty), serde_jsons(&value, pretty));
        }
    }

    #[test]
    fn characters_yaml_refuses_are_escaped_and_the_json_means_the_same() {
        let raw = "a\u{9a}b\u{7f}\u{85}\u{ffff}é\u{1a}";
        for pretty in [false, true] {
            let escaped = written(&raw, pretty);
            assert_eq!(escaped, "\"a\\u009ab\\u007f\u{85}\\uffffé\\u001a\"");
            let back: String = serde_json::from_str(&escaped).expect("still JSON");
            assert_eq!(back, raw);
        }
    }

    #[test]
    fn every_character_at_every_place_of_a_word_is_written_as_serde_json_does_or_escaped() {
        let specials = [
            '\0', '\u{1}', '\u{8}', '\t', '\n', '\u{c}', '\r', '\u{1f}', ' ', '"', '\\', '/', '~',
            '\u{7f}', '\u{80}', '\u{85}', '\u{9f}', '\u{a0}', 'é', '\u{fffe}', '\u{ffff}', '🦀',
        ];
        for len in 1..20 {
            for at in 0..len {
                for special in specials {
                    let text: String = (0..len)
                        .map(|i| if i == at { special } else { 'x' })
                        .collect();
                    let ours = written(&text, false);
                    let back: String = serde_json::from_str(&ours).expect("JSON");
                    assert_eq!(back, text, "{text:?}");
                    if unprintable(special) {
                        assert!(!ours.contains(special), "{ours:?}");
                    } else {
                        assert_eq!(ours, serde_jsons(&text, false), "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_word_test_flags_exactly_the_bytes_that_may_need_an_escape() {
        let may_need = |b: u8| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f;
        for byte in 0..=255u8 {
            for at in 0..8 {
                let mut word = [b'a'; 8];
                word[at] = byte;
                assert_eq!(
                    needs_a_look(u64::from_ne_bytes(word)),
                    may_need(byte),
                    "byte {byte:#x} at {at}"
                );
            }
        }
    }

    #[test]
    fn a_key_that_cannot_be_a_string_is_an_error() {
        let map: BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into();
        let mut out = Vec::new();
        let error = map
            .serialize(&mut JsonWriter::new(&mut out, CompactFormatter))
            .expect_err("a list is no key");
        assert!(error.to_string().contains("must be a string"), "{error}");
    }
}
