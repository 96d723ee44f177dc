//! One pass of serde_json over the body, keeping borrowed raw text for every field.
//!
//! The body is parsed exactly once. The top-level object and each record are read with
//! visitors that file every field's raw JSON text (`&RawValue`) into a fixed slot by
//! name; free-form values (metadata, attributes, content, …) are never turned into a
//! tree. They are checked by [`scan_value`], a linear scan for what PostgreSQL's `jsonb`
//! would refuse (NUL, unpaired surrogates, absurd numbers) and for nesting depth.
//!
//! serde_json's skipping of values is iterative, so no input can exhaust the stack.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// Most fields any record kind has (spans: 12).
pub const MAX_FIELDS: usize = 12;
/// Unknown keys kept per record for reporting; more are counted.
const MAX_UNKNOWN_KEPT: usize = 8;

/// A record as sent: each known field's raw JSON text in the slot of its name.
#[derive(Debug, Default)]
pub struct Fields<'a> {
    /// Slot `i` holds the value of `names[i]`; a repeated key keeps its last value,
    /// as `JSON.parse` and PostgreSQL's `jsonb` do.
    pub slots: [Option<&'a RawValue>; MAX_FIELDS],
    /// Keys the schema does not allow, in object order (raw bytes: a key with an
    /// unpaired surrogate escape is not UTF-8).
    pub unknown: Vec<Cow<'a, [u8]>>,
    /// How many unknown keys there were in all.
    pub unknown_total: usize,
}

/// One element of an entity list.
#[derive(Debug)]
pub enum Item<'a> {
    /// A JSON object, filed by field name.
    Object(Box<Fields<'a>>),
    /// Any other JSON value.
    NotObject,
}

/// The value of one entity-list key of the body.
#[derive(Debug)]
pub enum List<'a> {
    /// `null`: the same as `[]`.
    Null,
    /// An array and its elements (only as many as the record budget allowed).
    Items(Vec<Item<'a>>),
    /// Any other JSON value.
    NotArray,
}

/// The body as parsed.
#[derive(Debug)]
pub enum Body<'a> {
    /// A JSON object.
    Object(Box<TopLevel<'a>>),
    /// Any other JSON value.
    NotObject,
}

/// The six entity lists, in the contract's order.
pub const LIST_NAMES: [&str; 6] = ["sessions", "runs", "spans", "events", "prompt_links", "scores"];

/// The keys of the body object that matter; other keys are ignored, as upstream does.
#[derive(Debug, Default)]
pub struct TopLevel<'a> {
    /// Raw `schema_version`, if present.
    pub schema_version: Option<&'a RawValue>,
    /// The entity lists in [`LIST_NAMES`] order; `None` when the key is absent.
    pub lists: [Option<List<'a>>; 6],
    /// Records seen across all lists, including those past the budget.
    pub records_seen: usize,
}

/// Parses a body that is already known to be UTF-8.
///
/// `field_names[k]` lists the allowed keys of records in list `k`. At most
/// `max_records` records are kept; the rest are only counted (in `records_seen`), so a
/// body of millions of tiny records costs no more memory than the budget allows.
pub fn parse_body<'a>(
    text: &'a str,
    field_names: &'static [&'static [&'static str]; 6],
    max_records: usize,
) -> Result<Body<'a>, serde_json::Error> {
    let budget = Cell::new(max_records);
    let seen = Cell::new(0usize);
    let mut de = serde_json::Deserializer::from_str(text);
    let body = BodySeed { field_names, budget: &budget, seen: &seen }.deserialize(&mut de)?;
    de.end()?;
    Ok(match body {
        Body::Object(mut top) => {
            top.records_seen = seen.get();
            Body::Object(top)
        }
        other => other,
    })
}

struct BodySeed<'b> {
    field_names: &'static [&'static [&'static str]; 6],
    budget: &'b Cell<usize>,
    seen: &'b Cell<usize>,
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_> {
    type Value = Body<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_> {
    type Value = Body<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut top = TopLevel::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if &*key == b"schema_version" {
                top.schema_version = Some(map.next_value::<&'de RawValue>()?);
            } else if let Some(k) = LIST_NAMES.iter().position(|n| n.as_bytes() == &*key) {
                let seed = ListSeed { names: self.field_names[k], budget: self.budget, seen: self.seen };
                top.lists[k] = Some(map.next_value_seed(seed)?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Body::Object(Box::new(top)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Body::NotObject)
    }
    forward_scalars!(Body::NotObject);
}

struct ListSeed<'b> {
    names: &'static [&'static str],
    budget: &'b Cell<usize>,
    seen: &'b Cell<usize>,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = List<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = List<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        loop {
            if self.budget.get() == 0 {
                // Past the budget: count, do not keep.
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    self.seen.set(self.seen.get() + 1);
                }
                break;
            }
            match seq.next_element_seed(RecordSeed { names: self.names })? {
                Some(item) => {
                    items.push(item);
                    self.budget.set(self.budget.get() - 1);
                    self.seen.set(self.seen.get() + 1);
                }
                None => break,
            }
        }
        Ok(List::Items(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map)?;
        Ok(List::NotArray)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(List::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(List::Null)
    }
    forward_scalars!(List::NotArray, no_unit);
}

struct RecordSeed {
    names: &'static [&'static str],
}

impl<'de> DeserializeSeed<'de> for RecordSeed {
    type Value = Item<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed {
    type Value = Item<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Box::<Fields<'de>>::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match self.names.iter().position(|n| n.as_bytes() == &*key) {
                Some(i) => fields.slots[i] = Some(map.next_value::<&'de RawValue>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                    fields.unknown_total += 1;
                    if fields.unknown.len() < MAX_UNKNOWN_KEPT {
                        fields.unknown.push(key);
                    }
                }
            }
        }
        Ok(Item::Object(fields))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Item::NotObject)
    }
    forward_scalars!(Item::NotObject);
}

/// Reads an object key as raw bytes without rejecting unpaired surrogate escapes (they
/// come back as bytes that are not UTF-8), so they can be reported with a path.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, [u8]>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_bytes(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, [u8]>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_vec()))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v.as_bytes()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.as_bytes().to_vec()))
    }
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the scalar `visit_*` methods of a visitor as "not the shape we wanted".
macro_rules! forward_scalars {
    ($value:expr) => {
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
        forward_scalars!($value, no_unit);
    };
    ($value:expr, no_unit) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_bytes<E>(self, _: &[u8]) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}
use forward_scalars;

/// What [`scan_value`] and [`decode_str`] can find wrong with a valid JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A `\u0000` escape: PostgreSQL text and jsonb cannot hold U+0000.
    Nul,
    /// A `\uD800`–`\uDFFF` escape without its partner.
    LoneSurrogate,
    /// Nested deeper than allowed.
    TooDeep,
    /// A number literal longer than [`MAX_NUMBER_DIGITS`] or with an exponent beyond
    /// [`MAX_NUMBER_EXPONENT`]: PostgreSQL's `numeric` overflows on such values.
    NumberOutOfRange,
}

/// Longest number literal accepted inside free-form JSON.
pub const MAX_NUMBER_DIGITS: usize = 1000;
/// Largest absolute decimal exponent accepted inside free-form JSON.
pub const MAX_NUMBER_EXPONENT: u32 = 10_000;

/// Scans one syntactically valid JSON value for what PostgreSQL's `jsonb` would refuse.
///
/// `depth` is the nesting level of the value's container; the value's own `{`/`[` is
/// `depth + 1`, which may not exceed `max_depth`.
pub fn scan_value(text: &str, depth: usize, max_depth: usize) -> Result<(), Problem> {
    let b = text.as_bytes();
    let mut depth = depth;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => i = scan_string(b, i + 1)?,
            b'{' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return Err(Problem::TooDeep);
                }
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'-' | b'0'..=b'9' => i = scan_number(b, i)?,
            _ => i += 1,
        }
    }
    Ok(())
}

/// Scans a string body starting just after its opening quote; returns the index just
/// after the closing quote.
fn scan_string(b: &[u8], mut i: usize) -> Result<usize, Problem> {
    loop {
        // Fast path: skip eight plain bytes at a time.
        while i + 8 <= b.len() {
            let w = u64::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7]]);
            if has_byte(w, b'"') || has_byte(w, b'\\') {
                break;
            }
            i += 8;
        }
        match b.get(i) {
            None => return Ok(i),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => {
                if b.get(i + 1) == Some(&b'u') {
                    let cp = hex4(b, i + 2);
                    if cp == 0 {
                        return Err(Problem::Nul);
                    }
                    if (0xD800..0xDC00).contains(&cp) {
                        let low = if b.get(i + 6) == Some(&b'\\') && b.get(i + 7) == Some(&b'u') { hex4(b, i + 8) } else { 0 };
                        if !(0xDC00..0xE000).contains(&low) {
                            return Err(Problem::LoneSurrogate);
                        }
                        i += 12;
                    } else if (0xDC00..0xE000).contains(&cp) {
                        return Err(Problem::LoneSurrogate);
                    } else {
                        i += 6;
                    }
                } else {
                    i += 2;
                }
            }
            Some(_) => i += 1,
        }
    }
}

/// True when any byte of `w` equals `byte` (the classic SWAR zero-byte test).
#[inline]
fn has_byte(w: u64, byte: u8) -> bool {
    let x = w ^ (0x0101_0101_0101_0101u64 * byte as u64);
    (x.wrapping_sub(0x0101_0101_0101_0101) & !x & 0x8080_8080_8080_8080) != 0
}

/// The four hex digits at `b[at..at+4]` as a number; 0xFFFF_FFFF if they are not there
/// (cannot happen in text serde_json accepted).
fn hex4(b: &[u8], at: usize) -> u32 {
    let Some(digits) = b.get(at..at + 4) else { return u32::MAX };
    let mut n = 0u32;
    for &d in digits {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return u32::MAX,
        };
        n = n * 16 + v as u32;
    }
    n
}

/// Scans a number literal at `b[i..]`; returns the index after it.
fn scan_number(b: &[u8], start: usize) -> Result<usize, Problem> {
    let mut i = start;
    while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'0'..=b'9') {
        i += 1;
    }
    let mut exponent: u32 = 0;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        while i < b.len() && b[i].is_ascii_digit() {
            exponent = exponent.saturating_mul(10).saturating_add((b[i] - b'0') as u32);
            i += 1;
        }
    }
    if i - start > MAX_NUMBER_DIGITS || exponent > MAX_NUMBER_EXPONENT {
        return Err(Problem::NumberOutOfRange);
    }
    Ok(i)
}

/// Decodes a JSON string literal (with its quotes). `Ok(None)` when the value is not a
/// string. Unpaired surrogates and NUL are reported, never decoded.
pub fn decode_str(raw: &RawValue) -> Result<Option<Cow<'_, str>>, Problem> {
    let text = raw.get();
    if !text.starts_with('"') {
        return Ok(None);
    }
    let inner = &text[1..text.len() - 1];
    if !inner.contains('\\') {
        return Ok(Some(Cow::Borrowed(inner)));
    }
    scan_string(text.as_bytes(), 1)?;
    match serde_json::from_str::<String>(text) {
        Ok(s) => Ok(Some(Cow::Owned(s))),
        // serde_json refuses exactly the unpaired surrogates scan_string already caught.
        Err(_) => Err(Problem::LoneSurrogate),
    }
}

/// True when the raw value is the literal `null`.
pub fn is_null(raw: &RawValue) -> bool {
    raw.get() == "null"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    #[test]
    fn scan_accepts_ordinary_json() {
        assert_eq!(scan_value(r#"{"a":[1,-2.5e3,"x\"y\\",true,null],"\u00e9":"\ud83d\ude00"}"#, 3, 128), Ok(()));
    }

    #[test]
    fn scan_finds_nul_and_lone_surrogates_but_not_escaped_backslashes() {
        assert_eq!(scan_value(r#"{"a":"x\u0000"}"#, 0, 128), Err(Problem::Nul));
        assert_eq!(scan_value(r#"{"a\u0000":1}"#, 0, 128), Err(Problem::Nul));
        assert_eq!(scan_value(r#"["\\u0000"]"#, 0, 128), Ok(()));
        assert_eq!(scan_value(r#"["\ud800"]"#, 0, 128), Err(Problem::LoneSurrogate));
        assert_eq!(scan_value(r#"["\udc00\ud800"]"#, 0, 128), Err(Problem::LoneSurrogate));
        assert_eq!(scan_value(r#"["\ud800\u0041"]"#, 0, 128), Err(Problem::LoneSurrogate));
        assert_eq!(scan_value(r#"["\uD83D\uDE00 long enough text for the word loop"]"#, 0, 128), Ok(()));
    }

    #[test]
    fn scan_limits_depth_counting_from_the_container() {
        assert_eq!(scan_value("[[[]]]", 0, 3), Ok(()));
        assert_eq!(scan_value("[[[[]]]]", 0, 3), Err(Problem::TooDeep));
        assert_eq!(scan_value("[[]]", 2, 3), Err(Problem::TooDeep));
        assert_eq!(scan_value(r#"["[[[[[["]"#, 0, 2), Ok(()));
    }

    #[test]
    fn scan_bounds_numbers() {
        assert_eq!(scan_value("[1e10000, 1E-10000]", 0, 9), Ok(()));
        assert_eq!(scan_value("[1e10001]", 0, 9), Err(Problem::NumberOutOfRange));
        assert_eq!(scan_value(&format!("[{}]", "9".repeat(1001)), 0, 9), Err(Problem::NumberOutOfRange));
    }

    #[test]
    fn decode_str_borrows_plain_strings_and_reports_problems() {
        let r = raw(r#""plain""#);
        assert!(matches!(decode_str(&r), Ok(Some(Cow::Borrowed("plain")))));
        assert_eq!(decode_str(&raw(r#""a\nb""#)).unwrap().unwrap(), "a\nb");
        assert_eq!(decode_str(&raw("12")), Ok(None));
        assert_eq!(decode_str(&raw(r#""\u0000""#)), Err(Problem::Nul));
        assert_eq!(decode_str(&raw(r#""\udfff""#)), Err(Problem::LoneSurrogate));
    }

    const NAMES: [&[&str]; 6] = [&["id"], &["id"], &["id"], &["id"], &["id"], &["id"]];

    #[test]
    fn body_parse_files_fields_and_counts_past_budget() {
        let text = r#"{"schema_version":2,"x":{"deep":[1]},"spans":[{"id":1,"zz":2,"id":3},5,{"a\ud800":1}],"runs":null,"events":{}}"#;
        let Body::Object(top) = parse_body(text, &NAMES, 2).unwrap() else { panic!("object") };
        assert_eq!(top.schema_version.unwrap().get(), "2");
        assert!(matches!(top.lists[1], Some(List::Null)));
        assert!(matches!(top.lists[3], Some(List::NotArray)));
        assert!(top.lists[0].is_none());
        let Some(List::Items(items)) = &top.lists[2] else { panic!("items") };
        assert_eq!(items.len(), 2, "third record is past the budget of 2");
        assert_eq!(top.records_seen, 3);
        let Item::Object(f) = &items[0] else { panic!("object") };
        assert_eq!(f.slots[0].unwrap().get(), "3", "last duplicate key wins");
        assert_eq!(f.unknown, vec![Cow::Borrowed(&b"zz"[..])]);
        assert!(matches!(items[1], Item::NotObject));
    }

    #[test]
    fn lone_surrogate_keys_come_back_as_non_utf8_bytes() {
        let text = r#"{"spans":[{"a\ud800":1}]}"#;
        let Body::Object(top) = parse_body(text, &NAMES, 10).unwrap() else { panic!() };
        let Some(List::Items(items)) = &top.lists[2] else { panic!() };
        let Item::Object(f) = &items[0] else { panic!() };
        assert!(std::str::from_utf8(&f.unknown[0]).is_err());
    }

    #[test]
    fn very_deep_input_is_an_error_or_fine_never_a_crash() {
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(200_000), "]".repeat(200_000));
        assert!(parse_body(&deep, &NAMES, 10).is_ok());
        let deep_list = format!("{{\"spans\":[{}{}]}}", "[".repeat(200_000), "]".repeat(200_000));
        assert!(parse_body(&deep_list, &NAMES, 10).is_ok());
        let deep_record = format!("{{\"spans\":[{{\"id\":{}{}}}]}}", "[".repeat(200_000), "]".repeat(200_000));
        assert!(parse_body(&deep_record, &NAMES, 10).is_ok());
        assert!(parse_body(&"[".repeat(200_000), &NAMES, 10).is_err());
    }
}
