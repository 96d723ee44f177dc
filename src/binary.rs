//! PostgreSQL's binary format for one-dimensional arrays, as `array_recv` reads a bind
//! parameter sent with format code 1, and the element types the ingest columns use.
//!
//! [`Format::Binary`](crate::Format::Binary) writes a batch's sessions, runs, spans and
//! events as one such array per column (`uuid[]`, `timestamptz[]`, `text[]`, `int4[]`,
//! `jsonb[]`), for `private.ingest_prepared_typed` (migration 038): PostgreSQL receives the
//! values as they are stored — 16 bytes per id, 8 per timestamp — instead of parsing text.
//!
//! Array layout (big-endian): number of dimensions (1; 0 for an empty array), a has-nulls
//! flag, the element type's OID, then the dimension's length and lower bound (1), then each
//! element as its byte length (-1 for NULL) and bytes. Elements: a uuid is its 16 bytes; a
//! timestamptz the microseconds since 2000-01-01 00:00 UTC (an i64); an int4 an i32; a
//! text its UTF-8 bytes; a jsonb the version byte 1 and the JSON text.

use chrono::NaiveDate;
use uuid::Uuid;

/// The element types of the ingest columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgType {
    Uuid,
    Timestamptz,
    Text,
    Int4,
    Jsonb,
}

impl PgType {
    /// The type's OID (`pg_type.oid`; built-in types have fixed OIDs).
    pub const fn oid(self) -> u32 {
        match self {
            PgType::Uuid => 2950,
            PgType::Timestamptz => 1184,
            PgType::Text => 25,
            PgType::Int4 => 23,
            PgType::Jsonb => 3802,
        }
    }
}

/// Writes one array: [`ArrayWriter::begin`], one `push_*` per element, [`ArrayWriter::end`].
pub struct ArrayWriter<'o> {
    out: &'o mut Vec<u8>,
    start: usize,
    len: u32,
    nulls: bool,
}

/// Bytes of the header of a non-empty array.
const HEADER: usize = 20;

impl<'o> ArrayWriter<'o> {
    /// Starts an array of `ty` (its header is completed by [`ArrayWriter::end`]).
    #[inline]
    pub fn begin(out: &'o mut Vec<u8>, ty: PgType) -> Self {
        let start = out.len();
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&ty.oid().to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&1u32.to_be_bytes());
        ArrayWriter { out, start, len: 0, nulls: false }
    }

    #[inline(always)]
    fn element(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        self.out.extend_from_slice(bytes);
        self.len += 1;
    }

    #[inline(always)]
    pub fn push_null(&mut self) {
        self.out.extend_from_slice(&(-1i32).to_be_bytes());
        self.len += 1;
        self.nulls = true;
    }

    #[inline(always)]
    pub fn push_uuid(&mut self, id: Uuid) {
        self.element(id.as_bytes());
    }

    #[inline(always)]
    pub fn push_uuid_opt(&mut self, id: Option<Uuid>) {
        match id {
            Some(id) => self.push_uuid(id),
            None => self.push_null(),
        }
    }

    /// A timestamp the core has validated (`formats::is_valid_timestamp`).
    #[inline(always)]
    pub fn push_timestamp(&mut self, timestamp: &str) {
        self.element(&pg_micros(timestamp).to_be_bytes());
    }

    #[inline(always)]
    pub fn push_timestamp_opt(&mut self, timestamp: Option<&str>) {
        match timestamp {
            Some(t) => self.push_timestamp(t),
            None => self.push_null(),
        }
    }

    #[inline(always)]
    pub fn push_text(&mut self, text: &str) {
        self.element(text.as_bytes());
    }

    /// A JSON string literal (quotes included) as the text it stands for.
    #[inline(always)]
    pub fn push_json_string(&mut self, literal: &str) {
        let inner = literal.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(literal);
        if inner.contains('\\') {
            // A validated literal has only well-formed escapes (lone surrogates repaired).
            let decoded = crate::json::unescape(inner).unwrap_or_else(|_| inner.to_owned());
            self.push_text(&decoded);
        } else {
            self.push_text(inner);
        }
    }

    #[inline(always)]
    pub fn push_int4_opt(&mut self, n: Option<i32>) {
        match n {
            Some(n) => self.element(&n.to_be_bytes()),
            None => self.push_null(),
        }
    }

    /// A JSON value's text; JSON `null` (or no value) is written as NULL, as every ingest
    /// function reads a `null` object or error as not sent.
    #[inline(always)]
    pub fn push_jsonb_opt(&mut self, json: Option<&str>) {
        match json {
            Some(json) if json != "null" => {
                self.out.extend_from_slice(&(json.len() as u32 + 1).to_be_bytes());
                self.out.push(1);
                self.out.extend_from_slice(json.as_bytes());
                self.len += 1;
            }
            _ => self.push_null(),
        }
    }

    /// Completes the header; an array without elements is written as PostgreSQL writes it
    /// (no dimensions).
    #[inline]
    pub fn end(self) {
        let h = &mut self.out[self.start..self.start + HEADER];
        if self.len == 0 {
            h[0..4].copy_from_slice(&0u32.to_be_bytes());
            self.out.truncate(self.start + 12);
            return;
        }
        h[4..8].copy_from_slice(&u32::from(self.nulls).to_be_bytes());
        h[12..16].copy_from_slice(&self.len.to_be_bytes());
    }
}

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// Days from 0001-01-01 to 2000-01-01 (PostgreSQL's epoch), in the proleptic Gregorian
/// calendar PostgreSQL uses.
const PG_EPOCH_DAYS_FROM_CE: i32 = 730_120;

/// Microseconds since 2000-01-01 00:00:00 UTC of a timestamp in the contract's form
/// (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, checked by `formats::is_valid_timestamp`),
/// exactly as PostgreSQL's `timestamptz` input computes it: a fraction of more than six
/// digits is read as a double and rounded to the microsecond half to even (`rint`), which
/// can carry into the next second; `24:00:00` is the next day's midnight.
pub fn pg_micros(s: &str) -> i64 {
    let b = s.as_bytes();
    let digit = |at: usize| b.get(at).map_or(0, |c| i64::from(c.wrapping_sub(b'0')));
    let two = |at: usize| digit(at) * 10 + digit(at + 1);
    let (year, month, day) = (two(0) * 100 + two(2), two(5), two(8));
    let days = NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32)
        .map_or(0, |d| i64::from(chrono::Datelike::num_days_from_ce(&d) - PG_EPOCH_DAYS_FROM_CE));
    let seconds = (two(11) * 60 + two(14)) * 60 + two(17);
    let mut i = 19;
    let mut fraction = 0;
    if b.get(i) == Some(&b'.') {
        let start = i;
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let digits = i - start - 1;
        fraction = if digits <= 6 {
            // Exact: the double PostgreSQL reads is within rounding of this integer.
            (start + 1..i).fold(0, |n, at| n * 10 + digit(at)) * 10i64.pow(6 - digits as u32)
        } else {
            let value: f64 = s[start..i].parse().unwrap_or(0.0);
            (value * 1e6).round_ties_even() as i64
        };
    }
    let offset = match b.get(i) {
        Some(&sign @ (b'+' | b'-')) => {
            let east = (two(i + 1) * 60 + two(i + 4)) * 60;
            if sign == b'+' {
                east
            } else {
                -east
            }
        }
        _ => 0,
    };
    days * MICROS_PER_DAY + (seconds - offset) * MICROS_PER_SECOND + fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array(ty: PgType, write: impl FnOnce(&mut ArrayWriter)) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = ArrayWriter::begin(&mut out, ty);
        write(&mut w);
        w.end();
        out
    }

    #[test]
    fn timestamps_as_postgresql_reads_them() {
        // Values from PostgreSQL 15: extract(epoch from t) * 1e6 - 946684800e6.
        for (text, micros) in [
            ("2000-01-01T00:00:00Z", 0),
            ("2000-01-01T00:00:00.000001Z", 1),
            ("1999-12-31T23:59:59.999999Z", -1),
            ("2025-03-01T12:00:00.120004Z", 794_145_600_120_004),
            ("2025-03-01T12:00:00+05:30", 794_125_800_000_000),
            ("2025-03-01T12:00:00.1-08:00", 794_174_400_100_000),
            ("2024-12-31T24:00:00Z", 789_004_800_000_000),
            ("0001-01-01T00:00:00Z", -63_082_281_600_000_000),
            ("9999-12-31T23:59:59.999999+15:59", 252_455_558_459_999_999),
            // Longer fractions: rint of the double, half to even, carrying into the second.
            ("2000-01-01T00:00:00.0000005Z", 0),
            ("2000-01-01T00:00:00.0000015Z", 2),
            ("2000-01-01T00:00:00.0000025Z", 2),
            ("2000-01-01T00:00:00.1234565Z", 123_456),
            ("2000-01-01T00:00:00.00000051Z", 1),
            ("2000-01-01T00:00:00.9999995Z", 1_000_000),
            ("2000-01-01T00:00:59.99999999999Z", 60_000_000),
        ] {
            assert_eq!(pg_micros(text), micros, "{text}");
        }
    }

    #[test]
    fn arrays_in_array_send_layout() {
        let id = Uuid::from_u128(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10);
        let bytes = array(PgType::Uuid, |w| {
            w.push_uuid(id);
            w.push_uuid_opt(None);
        });
        let mut want = vec![0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0x0b, 0x86, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 16];
        want.extend_from_slice(id.as_bytes());
        want.extend_from_slice(&[0xff; 4]);
        assert_eq!(bytes, want);
        assert_eq!(array(PgType::Text, |_| {}), vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25]);
        let text = array(PgType::Text, |w| w.push_json_string(r#""a\tb\u00e9\ud83d\ude00""#));
        assert_eq!(&text[HEADER..], [&[0, 0, 0, 9][..], "a\tbé😀".as_bytes()].concat());
        assert_eq!(&text[4..8], &[0, 0, 0, 0], "no NULL element");
        let json = array(PgType::Jsonb, |w| {
            w.push_jsonb_opt(Some(r#"{"a":1}"#));
            w.push_jsonb_opt(Some("null"));
            w.push_jsonb_opt(None);
        });
        assert_eq!(&json[HEADER..], [&[0, 0, 0, 8, 1][..], br#"{"a":1}"#, &[0xff; 8]].concat());
        let ints = array(PgType::Int4, |w| w.push_int4_opt(Some(-2)));
        assert_eq!(&ints[8..12], &23u32.to_be_bytes());
        assert_eq!(&ints[HEADER..], &[0, 0, 0, 4, 0xff, 0xff, 0xff, 0xfe]);
    }
}
