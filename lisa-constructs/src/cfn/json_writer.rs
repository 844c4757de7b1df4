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
use std::io::{self, Write};

/// JSON text written to `out`, laid out by `layout`.
pub(crate) struct JsonWriter<F> {
    out: Vec<u8>,
    layout: F,
}

impl<F: Formatter> JsonWriter<F> {
    pub(crate) fn new(out: Vec<u8>, layout: F) -> Self {
        JsonWriter { out, layout }
    }

    /// What was written to.
    pub(crate) fn into_inner(self) -> Vec<u8> {
        self.out
    }

    /// `text` as a JSON string. Every layout here quotes strings with `"` (serde_json's
    /// default), so the quotes go straight into the buffer, which is grown once for the
    /// string; escapes are written by the layout.
    fn string(&mut self, text: &str) -> io::Result<()> {
        self.out.reserve(text.len() + 2);
        self.out.push(b'"');
        self.escaped(text)?;
        self.out.push(b'"');
        Ok(())
    }

    /// `text` with every character JSON or YAML needs escaped written as its escape. Eight
    /// bytes are looked at at once; when one of them may need an escape, the look says which
    /// comes first, and the next look starts right after it.
    fn escaped(&mut self, text: &str) -> io::Result<()> {
        let bytes = text.as_bytes();
        let mut run = 0; // where the text not written yet starts
        let mut i = 0;
        while i < bytes.len() {
            let flagged = look(word_at(bytes, i));
            if flagged == 0 {
                i += 8;
                continue;
            }
            i += flagged.trailing_zeros() as usize / 8;
            let byte = bytes[i];
            if byte < 0x7f {
                let escape = match byte {
                    b'"' => CharEscape::Quote,
                    b'\\' => CharEscape::ReverseSolidus,
                    b'\n' => CharEscape::LineFeed,
                    b'\r' => CharEscape::CarriageReturn,
                    b'\t' => CharEscape::Tab,
                    0x08 => CharEscape::Backspace,
                    0x0c => CharEscape::FormFeed,
                    _ => CharEscape::AsciiControl(byte),
                };
                self.fragment(&text[run..i]);
                self.layout.write_char_escape(&mut self.out, escape)?;
                i += 1;
                run = i;
            } else {
                // DEL or the first byte of a character beyond ASCII: a look starts only where a
                // character does, so this one starts here.
                let c = text[i..].chars().next().expect("a character starts here");
                if unprintable(c) {
                    self.fragment(&text[run..i]);
                    write!(self.out, "\\u{:04x}", u32::from(c))?;
                    run = i + c.len_utf8();
                }
                i += c.len_utf8();
            }
        }
        self.fragment(&text[run..]);
        Ok(())
    }

    /// Text that needs no escape, as it is.
    fn fragment(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
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

/// The eight bytes of `bytes` from `at`, as one word, the first in its lowest bits. Past the
/// end, spaces, which need no escape: the last few bytes of a string, and whole short strings,
/// are one look too.
fn word_at(bytes: &[u8], at: usize) -> u64 {
    match bytes.get(at..at + 8) {
        Some(word) => u64::from_le_bytes(word.try_into().expect("8 bytes")),
        None => {
            let mut word = [b' '; 8];
            for (into, &byte) in word.iter_mut().zip(&bytes[at..]) {
                *into = byte;
            }
            u64::from_le_bytes(word)
        }
    }
}

/// Whether `c` may not appear raw in a YAML document: YAML allows neither DEL, the C1 controls
/// (but NEL) nor U+FFFE and U+FFFF. JSON asks only for the C0 controls to be escaped.
pub(crate) fn unprintable(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
}

/// The bytes of `word` that may need an escape, each marked by its high bit: a control
/// character, `"`, `\`, or a byte from DEL up (every [`unprintable`] character starts with one).
/// Almost always none is, and the eight are written as they are. The tests run on each byte's
/// seven low bits, so no sum carries into the next byte and every mark is exact: adding 1 makes
/// DEL reach the high bit, adding 0x60 makes every byte from a space up reach it, and adding 0x7f
/// makes every byte but zero reach it (after `^` with the byte looked for).
fn look(word: u64) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const LOW_BITS: u64 = ONES * 0x7f;
    let low = word & LOW_BITS;
    let del = low + ONES;
    let printable = low + ONES * 0x60;
    let not_quote = (low ^ (ONES * u64::from(b'"'))) + LOW_BITS;
    let not_backslash = (low ^ (ONES * u64::from(b'\\'))) + LOW_BITS;
    (word | del | !(printable & not_quote & not_backslash)) & !LOW_BITS
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

impl<'a, F: Formatter> ser::Serializer for &'a mut JsonWriter<F> {
    type Ok = ();
    type Error = WriteError;
    type SerializeSeq = Compound<'a, F>;
    type SerializeTuple = Compound<'a, F>;
    type SerializeTupleStruct = Compound<'a, F>;
    type SerializeTupleVariant = Compound<'a, F>;
    type SerializeMap = Compound<'a, F>;
    type SerializeStruct = Compound<'a, F>;
    type SerializeStructVariant = Compound<'a, F>;

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
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, F>> {
        self.layout.begin_array(&mut self.out)?;
        Compound::open(self, len, Close::Array)
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, F>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, F>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, F>> {
        self.open_variant(variant)?;
        self.layout.begin_array(&mut self.out)?;
        Compound::open(self, Some(len), Close::ArrayInVariant)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, F>> {
        self.layout.begin_object(&mut self.out)?;
        Compound::open(self, len, Close::Object)
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, F>> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, F>> {
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
pub(crate) struct Compound<'a, F> {
    writer: &'a mut JsonWriter<F>,
    close: Close,
    /// No member written yet.
    first: bool,
    /// Declared empty, and closed at once.
    closed: bool,
}

impl<'a, F: Formatter> Compound<'a, F> {
    fn open(writer: &'a mut JsonWriter<F>, len: Option<usize>, close: Close) -> Result<Self> {
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
        self.value_with(|writer| value.serialize(writer))
    }

    /// An object's value, written by `write`.
    fn value_with(&mut self, write: impl FnOnce(&mut JsonWriter<F>) -> Result) -> Result {
        let writer = &mut *self.writer;
        writer.layout.begin_object_value(&mut writer.out)?;
        write(&mut *writer)?;
        Ok(writer.layout.end_object_value(&mut writer.out)?)
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        self.entry_with(key, |writer| value.serialize(writer))
    }

    /// An object's entry: `key`, and the value `write` writes. For a value whose type the
    /// caller knows better than serde does (a resource's properties, written without `dyn`).
    pub(crate) fn entry_with(
        &mut self,
        key: &str,
        write: impl FnOnce(&mut JsonWriter<F>) -> Result,
    ) -> Result {
        let writer = &mut *self.writer;
        writer
            .layout
            .begin_object_key(&mut writer.out, self.first)?;
        self.first = false;
        writer.string(key)?;
        writer.layout.end_object_key(&mut writer.out)?;
        self.value_with(write)
    }
}

impl<F: Formatter> ser::SerializeSeq for Compound<'_, F> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl<F: Formatter> ser::SerializeTuple for Compound<'_, F> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl<F: Formatter> ser::SerializeTupleStruct for Compound<'_, F> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl<F: Formatter> ser::SerializeTupleVariant for Compound<'_, F> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl<F: Formatter> ser::SerializeMap for Compound<'_, F> {
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

impl<F: Formatter> ser::SerializeStruct for Compound<'_, F> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }
    fn end(self) -> Result {
        self.finish()
    }
}

impl<F: Formatter> ser::SerializeStructVariant for Compound<'_, F> {
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
struct KeyWriter<'a, F>(&'a mut JsonWriter<F>);

impl<F: Formatter> KeyWriter<'_, F> {
    fn quoted(self, scalar: impl fmt::Display) -> Result {
        Ok(self.0.string(&scalar.to_string())?)
    }
}

fn not_a_key() -> WriteError {
    WriteError::Value("an object's key must be a string".into())
}

impl<F: Formatter> ser::Serializer for KeyWriter<'_, F> {
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
        let out = if pretty {
            let mut writer = JsonWriter::new(Vec::new(), PrettyFormatter::new());
            value.serialize(&mut writer).expect("writes");
            writer.into_inner()
        } else {
            let mut writer = JsonWriter::new(Vec::new(), CompactFormatter);
            value.serialize(&mut writer).expect("writes");
            writer.into_inner()
        };
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
    fn a_look_marks_exactly_the_bytes_that_may_need_an_escape() {
        let may_need = |b: u8| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f;
        let marks_of = |word: [u8; 8]| {
            word.iter().enumerate().fold(0u64, |marks, (i, &b)| {
                marks | if may_need(b) { 0x80 << (8 * i) } else { 0 }
            })
        };
        for byte in 0..=255u8 {
            for at in 0..8 {
                for fill in [
                    b'a', 0, 0x1f, 0x20, b'!', b'"', b'#', b'\\', 0x7e, 0x7f, 0xa2, 0xff,
                ] {
                    let mut word = [fill; 8];
                    word[at] = byte;
                    assert_eq!(look(u64::from_le_bytes(word)), marks_of(word), "{word:x?}");
                }
            }
        }
    }

    #[test]
    fn a_key_that_cannot_be_a_string_is_an_error() {
        let map: BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into();
        let error = map
            .serialize(&mut JsonWriter::new(Vec::new(), CompactFormatter))
            .expect_err("a list is no key");
        assert!(error.to_string().contains("must be a string"), "{error}");
    }
}
