//! A serde serializer that writes what `serde_json::to_string_pretty` writes, byte for byte,
//! straight into a `String`.
//!
//! Why not serde_json's own serializer: it writes through `io::Write` in many small pieces
//! (each indentation level, each quote, each escape-free run of a string, separately) and
//! checks every byte of every string against its escape table one at a time. A bundle is
//! mostly short strings and indentation, so that was most of the cost of emitting one. Here a
//! line break and its indentation are one write, and a string is checked for characters to
//! escape in one pass the compiler can vectorise, then copied whole.
//!
//! The output rules are serde_json's `PrettyFormatter`: two spaces per level, `": "` after a
//! key, `[]` and `{}` for empty containers, and its escapes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
//! `\t`, other control characters as `\u00xx` in lower case, nothing else escaped). Floats and
//! 128-bit integers, which bundles do not have, are formatted by serde_json itself. The tests
//! below compare the two on every kind of value.

use std::fmt::{self, Display};

use serde::ser::{self, Serialize};

/// `value` as pretty-printed JSON, identical to `serde_json::to_string_pretty(value)`.
pub(super) fn to_string_pretty<T: Serialize + ?Sized>(value: &T, capacity: usize) -> Result<String, Error> {
    let mut writer = Writer { out: String::with_capacity(capacity), depth: 0 };
    value.serialize(&mut writer)?;
    Ok(writer.out)
}

#[derive(Debug)]
pub(super) struct Error(String);

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(message: T) -> Self {
        Error(message.to_string())
    }
}

struct Writer {
    out: String,
    /// Nesting depth of the container being written.
    depth: usize,
}

impl Writer {
    /// A line break, then the indentation of the current depth. One arm per common depth, so
    /// each write has a length known when compiling (a store, not a call to `memcpy`).
    fn line(&mut self) {
        match self.depth {
            0 => self.out.push('\n'),
            1 => self.out.push_str("\n  "),
            2 => self.out.push_str("\n    "),
            3 => self.out.push_str("\n      "),
            4 => self.out.push_str("\n        "),
            5 => self.out.push_str("\n          "),
            6 => self.out.push_str("\n            "),
            depth => {
                self.out.push('\n');
                for _ in 0..depth {
                    self.out.push_str("  ");
                }
            }
        }
    }

    fn string(&mut self, s: &str) {
        if has_escape(s.as_bytes()) {
            self.escaped(s);
        } else {
            self.out.reserve(s.len() + 2);
            self.out.push('"');
            self.out.push_str(s);
            self.out.push('"');
        }
    }

    /// A string with escapes, in runs between the characters to escape. Rare in a bundle.
    #[cold]
    #[inline(never)]
    fn escaped(&mut self, s: &str) {
        self.out.push('"');
        let mut run = 0;
        for (i, b) in s.bytes().enumerate() {
            if !needs_escape(b) {
                continue;
            }
            // `i` is at an ASCII byte, so on a character boundary.
            self.out.push_str(s.get(run..i).unwrap_or_default());
            run = i + 1;
            match b {
                b'"' => self.out.push_str("\\\""),
                b'\\' => self.out.push_str("\\\\"),
                b'\x08' => self.out.push_str("\\b"),
                b'\x0c' => self.out.push_str("\\f"),
                b'\n' => self.out.push_str("\\n"),
                b'\r' => self.out.push_str("\\r"),
                b'\t' => self.out.push_str("\\t"),
                _ => {
                    const HEX: [char; 16] =
                        ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'];
                    self.out.push_str("\\u00");
                    self.out.extend(HEX.get(usize::from(b >> 4)));
                    self.out.extend(HEX.get(usize::from(b & 0xf)));
                }
            }
        }
        self.out.push_str(s.get(run..).unwrap_or_default());
        self.out.push('"');
    }

    fn unsigned(&mut self, mut v: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                // `v % 10` is below 10.
                *d = b'0' + (v % 10) as u8;
            }
            v /= 10;
            if v == 0 || at == 0 {
                break;
            }
        }
        self.out.push_str(digits.get(at..).and_then(|d| std::str::from_utf8(d).ok()).unwrap_or_default());
    }

    fn signed(&mut self, v: i64) {
        if v < 0 {
            self.out.push('-');
        }
        self.unsigned(v.unsigned_abs());
    }

    /// What serde_json writes for a value this writer does not format itself.
    fn delegate<T: Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let text = serde_json::to_string(value).map_err(|e| Error(e.to_string()))?;
        self.out.push_str(&text);
        Ok(())
    }

    fn open(&mut self, bracket: char) -> Compound<'_> {
        self.out.push(bracket);
        self.depth += 1;
        Compound { writer: self, first: true }
    }
}

/// The bytes a JSON string escapes: control characters, `"` and `\\`.
// Const evaluation: an index out of bounds would fail the build, not a run.
#[allow(clippy::indexing_slicing)]
const ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b < 0x20 || b == b'"' as usize || b == b'\\' as usize;
        b += 1;
    }
    table
};

fn needs_escape(b: u8) -> bool {
    ESCAPE.get(usize::from(b)).copied().unwrap_or(true)
}

/// Whether some byte of `s` needs an escape. Strings of eight bytes or more are tested eight
/// bytes at a time (the last eight overlapping the ones before): a byte of `x` below `n` or equal
/// to `c` sets the high bit of its byte in `(x - n) & !x` or in `(y - 1) & !y` for `y = x ^ c`
/// (borrows only carry past a byte that matched, so the test is exact for "some byte").
fn has_escape(s: &[u8]) -> bool {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    let word = |bytes: &[u8]| {
        let x = u64::from_le_bytes(bytes.try_into().unwrap_or_default());
        let control = x.wrapping_sub(ONES * 0x20) & !x;
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        (control | (quote.wrapping_sub(ONES) & !quote) | (backslash.wrapping_sub(ONES) & !backslash)) & HIGH
    };
    if s.len() < 8 {
        return s.iter().fold(false, |escape, &b| escape | needs_escape(b));
    }
    let mut found = 0;
    let mut chunks = s.chunks_exact(8);
    for chunk in &mut chunks {
        found |= word(chunk);
    }
    if !chunks.remainder().is_empty() {
        found |= word(s.get(s.len() - 8..).unwrap_or_default());
    }
    found != 0
}

/// An array or object being written: after its first item, items are separated by commas.
struct Compound<'w> {
    writer: &'w mut Writer,
    first: bool,
}

impl Compound<'_> {
    /// Starts an item: a comma after the previous one, a line break and the indentation.
    fn item(&mut self) {
        if !self.first {
            self.writer.out.push(',');
        }
        self.first = false;
        self.writer.line();
    }

    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.item();
        let start = self.writer.out.len();
        key.serialize(&mut *self.writer)?;
        // Only strings are keys in the bundle; anything else would not be JSON.
        if self.writer.out.as_bytes().get(start) != Some(&b'"') {
            return Err(Error("an object key that is not a string".into()));
        }
        self.writer.out.push_str(": ");
        Ok(())
    }

    fn field(&mut self, key: &str) {
        self.item();
        self.writer.string(key);
        self.writer.out.push_str(": ");
    }

    fn close(self, bracket: char) {
        self.writer.depth -= 1;
        if !self.first {
            self.writer.line();
        }
        self.writer.out.push(bracket);
    }
}

impl<'w> ser::Serializer for &'w mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'w>;
    type SerializeTuple = Compound<'w>;
    type SerializeTupleStruct = Compound<'w>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = Compound<'w>;
    type SerializeStruct = Compound<'w>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.signed(v.into());
        Ok(())
    }

    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.signed(v.into());
        Ok(())
    }

    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.signed(v.into());
        Ok(())
    }

    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.signed(v);
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.delegate(&v)
    }

    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.unsigned(v.into());
        Ok(())
    }

    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.unsigned(v.into());
        Ok(())
    }

    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.unsigned(v.into());
        Ok(())
    }

    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.unsigned(v);
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.delegate(&v)
    }

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.delegate(&v)
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.delegate(&v)
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        ser::Serializer::collect_seq(self, v)
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.push_str("null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let mut object = self.open('{');
        object.field(variant);
        value.serialize(&mut *object.writer)?;
        object.close('}');
        Ok(())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'w>, Error> {
        Ok(self.open('['))
    }

    fn serialize_tuple(self, _: usize) -> Result<Compound<'w>, Error> {
        Ok(self.open('['))
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'w>, Error> {
        Ok(self.open('['))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error(format!("tuple variant `{variant}`: not in the bundle format")))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'w>, Error> {
        Ok(self.open('{'))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'w>, Error> {
        Ok(self.open('{'))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error(format!("struct variant `{variant}`: not in the bundle format")))
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item();
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), Error> {
        self.close(']');
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), Error> {
        self.close('}');
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.field(key);
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), Error> {
        self.close('}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::json;

    use super::to_string_pretty;

    #[track_caller]
    fn same<T: Serialize>(value: &T) {
        let ours = to_string_pretty(value, 0).unwrap();
        let theirs = serde_json::to_string_pretty(value).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn every_character_below_128_and_some_above_is_written_as_serde_json_writes_it() {
        let all: String = (0u8..128).map(char::from).collect();
        same(&all);
        for c in (0u8..128).map(char::from) {
            same(&c.to_string());
            same(&format!("a{c}b{c}{c}"));
            same(&c);
        }
        same(&"\u{7f} é ☃ 𝄞 \u{2028}\u{2029} \u{feff} \u{202e}");
        same(&"");
    }

    #[test]
    fn the_eight_byte_escape_test_finds_every_escape_at_every_position_and_nothing_else() {
        for len in 0..24 {
            for at in 0..len {
                for b in 0u8..=255 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    assert_eq!(super::has_escape(&bytes), super::needs_escape(b), "{b:#x} at {at} of {len}");
                }
            }
        }
    }

    #[test]
    fn numbers_booleans_and_null_are_written_as_serde_json_writes_them() {
        same(&[0, 1, 9, 10, 99, 100, u64::MAX]);
        same(&[i64::MIN, -1, 0, i64::MAX]);
        same(&(u8::MAX, i8::MIN, u16::MAX, i16::MIN, u32::MAX, i32::MIN));
        same(&(i128::MIN, u128::MAX));
        same(&[0.0, -0.0, 1.5, 1e300, f64::NAN, f64::INFINITY]);
        same(&[1.5f32]);
        same(&(true, false, (), None::<u8>, Some(3)));
    }

    #[test]
    fn nesting_and_empty_containers_are_indented_as_serde_json_indents_them() {
        same(&json!({}));
        same(&json!([]));
        same(&json!({ "a": {}, "b": [], "c": [[]], "d": [{}], "e": { "f": { "g": [1, [2, {}], { "h": null }] } } }));
        let mut deep = json!({ "deepest": [1, {}] });
        for depth in 0..12 {
            deep = if depth % 2 == 0 { json!([deep, 2]) } else { json!({ "a": 1, "b": deep }) };
        }
        same(&deep);
        let keys: BTreeMap<String, u8> = [("\"quoted\"\n".to_owned(), 1), (String::new(), 2)].into_iter().collect();
        same(&keys);
    }

    #[derive(Serialize)]
    enum Variants {
        Unit,
        Newtype(u8),
    }

    #[derive(Serialize)]
    struct Shapes<'a> {
        bytes: &'a [u8],
        unit: (),
        tuple: (u8, &'a str),
        variants: [Variants; 2],
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        last: Option<&'a str>,
    }

    #[test]
    fn structs_tuples_bytes_and_variants_are_written_as_serde_json_writes_them() {
        same(&Shapes {
            bytes: b"ab",
            unit: (),
            tuple: (1, "x"),
            variants: [Variants::Unit, Variants::Newtype(7)],
            skipped: None,
            last: None,
        });
    }

    #[test]
    fn a_key_that_is_not_a_string_is_an_error_not_bad_json() {
        let numbers: BTreeMap<u8, u8> = [(1, 2)].into_iter().collect();
        assert!(to_string_pretty(&numbers, 0).is_err());
    }
}
