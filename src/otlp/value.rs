//! OTLP values as JSON, deterministic ids, and times.

use base64::Engine as _;
use serde::{Serialize, Serializer};
use serde_json::{Map, Number, Value as Json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::wire::{AnyValue, KeyValue, Value};

/// An `AnyValue` as JSON, faithfully: int64 as a JSON number with the exact digits, bytes
/// as standard base64, arrays and kvlists recursively, an empty value as `null`; a
/// double that JSON cannot hold (NaN, ±Infinity) as its proto3 JSON string.
pub fn to_json(value: &AnyValue) -> Json {
    match &value.value {
        None => Json::Null,
        Some(Value::String(s)) => Json::String(s.clone()),
        Some(Value::Bool(b)) => Json::Bool(*b),
        Some(Value::Int(n)) => Json::Number(Number::from(*n)),
        Some(Value::Double(f)) => match Number::from_f64(*f) {
            Some(n) => Json::Number(n),
            None if f.is_nan() => Json::String("NaN".into()),
            None if *f > 0.0 => Json::String("Infinity".into()),
            None => Json::String("-Infinity".into()),
        },
        Some(Value::Array(a)) => Json::Array(a.values.iter().map(to_json).collect()),
        Some(Value::Kvlist(kv)) => Json::Object(attributes_to_json(&kv.values)),
        Some(Value::Bytes(b)) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
    }
}

/// An `AnyValue` written as JSON straight to a serializer, the same text [`to_json`]
/// gives, without building a `serde_json::Value` (allocation was most of the mapping's
/// time).
pub struct AnyJson<'a>(pub &'a AnyValue);

impl Serialize for AnyJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0.value {
            None => s.serialize_unit(),
            Some(Value::String(x)) => s.serialize_str(x),
            Some(Value::Bool(b)) => s.serialize_bool(*b),
            Some(Value::Int(n)) => s.serialize_i64(*n),
            Some(Value::Double(f)) if f.is_finite() => s.serialize_f64(*f),
            Some(Value::Double(_)) | Some(Value::Bytes(_)) => to_json(self.0).serialize(s),
            Some(Value::Array(a)) => s.collect_seq(a.values.iter().map(AnyJson)),
            Some(Value::Kvlist(kv)) => PairsJson(&kv.values).serialize(s),
        }
    }
}

/// Key-value pairs written as a JSON object; a repeated key keeps its last value.
pub struct PairsJson<'a>(pub &'a [KeyValue]);

impl Serialize for PairsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(last_of_each_key(self.0).map(|kv| (&kv.key, kv.value.as_ref().map(AnyJson))))
    }
}

/// The pairs whose key no later pair repeats (pairs per span are few: a scan is cheap).
pub fn last_of_each_key(pairs: &[KeyValue]) -> impl Iterator<Item = &KeyValue> {
    pairs
        .iter()
        .enumerate()
        .filter(move |(i, kv)| !pairs[i + 1..].iter().any(|later| later.key == kv.key))
        .map(|(_, kv)| kv)
}

/// Key-value pairs as a JSON object; a repeated key keeps its last value.
pub fn attributes_to_json(pairs: &[KeyValue]) -> Map<String, Json> {
    let mut map = Map::new();
    for kv in pairs {
        map.insert(kv.key.clone(), kv.value.as_ref().map_or(Json::Null, to_json));
    }
    map
}

/// The text of a string value.
pub fn as_str(value: &AnyValue) -> Option<&str> {
    match &value.value {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// A whole number: an int value, a whole double, or a decimal string.
pub fn as_count(value: &AnyValue) -> Option<i64> {
    match &value.value {
        Some(Value::Int(n)) => Some(*n),
        Some(Value::Double(f)) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(*f as i64),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A finite number: an int or double value, or a decimal string.
pub fn as_number(value: &AnyValue) -> Option<f64> {
    let n = match &value.value {
        Some(Value::Int(n)) => *n as f64,
        Some(Value::Double(f)) => *f,
        Some(Value::String(s)) => s.trim().parse().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// A string value that holds JSON is read as that JSON (instrumentations serialise
/// messages and payloads to JSON strings); anything else is converted as it is.
pub fn to_json_parsed(value: &AnyValue) -> Json {
    match as_str(value) {
        Some(s) => parse_json_text(s).unwrap_or_else(|| Json::String(s.to_owned())),
        None => to_json(value),
    }
}

/// A string value declared to hold JSON (any JSON, a quoted string included) read as that
/// JSON; a text that does not parse stays text.
pub fn to_json_declared(value: &AnyValue) -> Json {
    match as_str(value) {
        Some(s) => serde_json::from_str(s).unwrap_or_else(|_| Json::String(s.to_owned())),
        None => to_json(value),
    }
}

/// A JSON object or array text, parsed; other texts (plain prose, numbers) stay text.
pub fn parse_json_text(s: &str) -> Option<Json> {
    let t = s.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        serde_json::from_str(t).ok()
    } else {
        None
    }
}

/// The fixed namespace of every id this module derives (itself a random v4 UUID, chosen
/// once): SHA-256 over it, the project, a kind tag and the OTLP ids gives 16 bytes, made a
/// UUIDv8 (RFC 9562: version 8, variant 10).
pub(super) const ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a8e_93d4_4b7a_b5e0_2c71_d8f9_0a36);

/// A deterministic UUID: version 8 from SHA-256(namespace ‖ project ‖ tag ‖ 0 ‖ parts,
/// each part length-prefixed), so re-sent or duplicated exports give the same ids.
pub fn derive_id(project: Uuid, tag: &str, parts: &[&[u8]]) -> Uuid {
    let mut h = Sha256::new();
    h.update(ID_NAMESPACE.as_bytes());
    h.update(project.as_bytes());
    h.update(tag.as_bytes());
    h.update([0u8]);
    for part in parts {
        h.update((part.len() as u32).to_be_bytes());
        h.update(part);
    }
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

/// Unix nanoseconds as RFC 3339 UTC with microseconds (PostgreSQL's `timestamptz`
/// precision; the nanoseconds below it are dropped, never rounded up into the next
/// microsecond).
pub fn rfc3339_micros(unix_nanos: u64) -> String {
    use chrono::{Datelike, Timelike};
    let secs = (unix_nanos / 1_000_000_000) as i64;
    let micros = (unix_nanos % 1_000_000_000) / 1_000;
    // Not chrono's `format`: its format-string machinery adds ~15 KB to the wasm module.
    // u64 nanoseconds end in 2554, always a valid date.
    let Some(t) = chrono::DateTime::from_timestamp(secs, 0) else {
        return "1970-01-01T00:00:00.000000Z".to_owned();
    };
    // Digits written directly: `format!` was 5% of the mapping's time.
    let mut text = String::with_capacity(27);
    let mut push = |n: u32, width: u32, sep: char| {
        for k in (0..width).rev() {
            text.push(char::from(b'0' + (n / 10u32.pow(k) % 10) as u8));
        }
        if sep != '\0' {
            text.push(sep);
        }
    };
    push(t.year() as u32, 4, '-');
    push(t.month(), 2, '-');
    push(t.day(), 2, 'T');
    push(t.hour(), 2, ':');
    push(t.minute(), 2, ':');
    push(t.second(), 2, '.');
    push(micros as u32, 6, 'Z');
    text
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_microseconds_and_drop_nanoseconds() {
        assert_eq!(rfc3339_micros(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339_micros(1_700_000_000_123_456_789), "2023-11-14T22:13:20.123456Z");
        assert_eq!(rfc3339_micros(u64::MAX), "2554-07-21T23:34:33.709551Z");
    }

    #[test]
    fn derived_ids_are_v8_and_depend_on_every_input() {
        let p = Uuid::from_u128(1);
        let a = derive_id(p, "span", &[b"t", b"s"]);
        assert_eq!(a.get_version_num(), 8);
        assert_eq!(a, derive_id(p, "span", &[b"t", b"s"]));
        assert_ne!(a, derive_id(p, "span", &[b"ts"]));
        assert_ne!(a, derive_id(p, "run", &[b"t", b"s"]));
        assert_ne!(a, derive_id(Uuid::from_u128(2), "span", &[b"t", b"s"]));
    }

    #[test]
    fn int64_and_bytes_are_exact() {
        let v = AnyValue { value: Some(Value::Int(i64::MIN)) };
        assert_eq!(to_json(&v).to_string(), "-9223372036854775808");
        let b = AnyValue { value: Some(Value::Bytes(vec![0, 255, 1])) };
        assert_eq!(to_json(&b), Json::String("AP8B".into()));
        let nan = AnyValue { value: Some(Value::Double(f64::NAN)) };
        assert_eq!(to_json(&nan), Json::String("NaN".into()));
    }
}
