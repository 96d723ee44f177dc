//! The shared value formats of the wire contract: UUIDs and timestamps.

use chrono::{NaiveDate, NaiveTime};
use uuid::Uuid;

/// Parses the contract's UUID form: 8-4-4-4-12 hex digits with hyphens, either case, any
/// version or variant (the nil UUID included); no braces, no `urn:`, no simple form.
///
/// A direct decoder: on the ingest path ids are a large share of all values, and this is
/// several times faster in wasm than the general `uuid::Uuid::try_parse`, whose verdict
/// and value it matches exactly (see the property test in `tests/properties.rs`).
pub fn parse_uuid(s: &str) -> Option<Uuid> {
    let b = s.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    // Two u64 halves: u128 arithmetic is emulated in wasm32.
    let (mut hi, mut lo, mut bad) = (0u64, 0u64, 0u8);
    for &at in &HEX_POSITIONS[..16] {
        let v = HEX_VALUE[b[at] as usize];
        bad |= v;
        hi = (hi << 4) | (v & 15) as u64;
    }
    for &at in &HEX_POSITIONS[16..] {
        let v = HEX_VALUE[b[at] as usize];
        bad |= v;
        lo = (lo << 4) | (v & 15) as u64;
    }
    // A non-hex byte has the high bit of its table value set.
    (bad & 0x80 == 0).then(|| Uuid::from_u64_pair(hi, lo))
}

/// Where the 32 hex digits sit in the 36-character hyphenated form.
const HEX_POSITIONS: [usize; 32] = [
    0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
    35,
];

/// Value of each byte as a hex digit; 0xFF for bytes that are not one.
static HEX_VALUE: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Appends the canonical lowercase hyphenated form of `id`.
pub fn push_uuid(out: &mut String, id: Uuid) {
    out.push_str(&format_uuid(id));
}

/// The canonical lowercase hyphenated form of `id`, as an inline string.
pub fn format_uuid(id: Uuid) -> UuidText {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    /// Where the two hex digits of each of the 16 bytes go.
    const PAIRS: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    let mut buf = *b"00000000-0000-0000-0000-000000000000";
    for (&byte, &at) in id.as_bytes().iter().zip(&PAIRS) {
        buf[at] = HEX[(byte >> 4) as usize];
        buf[at + 1] = HEX[(byte & 15) as usize];
    }
    UuidText(buf)
}

/// A UUID's 36-character text, without allocating.
pub struct UuidText([u8; 36]);

impl std::ops::Deref for UuidText {
    type Target = str;
    fn deref(&self) -> &str {
        // The buffer only ever holds ASCII hex digits and hyphens.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Checks the contract's timestamp form and that it names a real instant PostgreSQL can
/// store.
///
/// Shape: `YYYY-MM-DDTHH:MM:SS`, an optional `.` and 1–32 digits, then `Z` or `±HH:MM`;
/// the zone is mandatory and `T`/`Z` are capitals. Beyond upstream's JavaScript `Date`
/// check it also refuses what PostgreSQL refuses: day-of-month overflow (Feb 30), year
/// 0000 and offsets of ±16:00 or more. `24:00:00` (with a zero fraction) is the end of
/// the day, as both upstream and PostgreSQL accept it.
pub fn is_valid_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 {
        return false;
    }
    let digits = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + (d - b'0') as u32))
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (digits(0, 4), digits(5, 2), digits(8, 2), digits(11, 2), digits(14, 2), digits(17, 2))
    else {
        return false;
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return false;
    }
    let mut i = 19;
    let mut fraction_is_zero = true;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            fraction_is_zero &= b[i] == b'0';
            i += 1;
        }
        // PostgreSQL refuses over-long date/time fields, so the fraction is bounded.
        if i == start || i - start > 32 {
            return false;
        }
    }
    match &b[i..] {
        [b'Z'] => {}
        [sign, h1, h2, b':', m1, m2] if (*sign == b'+' || *sign == b'-') => {
            let (Some(oh), Some(om)) = (digits(i + 1, 2), digits(i + 4, 2)) else { return false };
            let _ = (h1, h2, m1, m2);
            if oh >= 16 || om >= 60 {
                return false;
            }
        }
        _ => return false,
    }
    if year == 0 || NaiveDate::from_ymd_opt(year as i32, month, day).is_none() {
        return false;
    }
    if hour == 24 {
        return minute == 0 && second == 0 && fraction_is_zero;
    }
    NaiveTime::from_hms_opt(hour, minute, second).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_in_the_contract_form_only() {
        for ok in [
            "0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11",
            "0B6F3C1E-8A57-4D3B-9A51-4F1F6D0C2A11",
            "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
        ] {
            assert!(parse_uuid(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "0b6f3c1e8a574d3b9a514f1f6d0c2a11",
            "{0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11}",
            "urn:uuid:0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11",
            "0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a1g",
            "0b6f3c1e-8a574-d3b-9a51-4f1f6d0c2a11",
            " b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11",
        ] {
            assert!(parse_uuid(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn uuids_are_written_canonically() {
        let id = parse_uuid("0B6F3C1E-8A57-4D3B-9A51-4F1F6D0C2A11").unwrap();
        let mut out = String::from("x");
        push_uuid(&mut out, id);
        assert_eq!(out, "x0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11");
        assert_eq!(&out[1..], id.hyphenated().to_string());
    }

    #[test]
    fn timestamps_the_sdk_writes_are_valid() {
        for ok in [
            "2025-03-01T12:00:00.120004Z",
            "2025-03-01T12:00:00Z",
            "2025-03-01T12:00:00+05:30",
            "2025-03-01T12:00:00.1-08:00",
            "2024-02-29T00:00:00Z",
            "2024-12-31T24:00:00Z",
            "2024-12-31T24:00:00.000Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999+15:59",
        ] {
            assert!(is_valid_timestamp(ok), "{ok}");
        }
    }

    #[test]
    fn timestamps_upstream_or_postgres_refuse_are_invalid() {
        for bad in [
            "2025-03-01T12:00:00",
            "2025-03-01t12:00:00Z",
            "2025-03-01T12:00:00z",
            "2025-03-01 12:00:00Z",
            "2025-03-01T12:00:00+0530",
            "2025-03-01T12:00:00+05",
            "2025-03-01T12:00:00.Z",
            "2025-13-01T12:00:00Z",
            "2025-00-01T12:00:00Z",
            "2025-03-00T12:00:00Z",
            "2023-02-29T12:00:00Z",
            "2024-02-30T12:00:00Z",
            "0000-01-01T00:00:00Z",
            "2025-03-01T12:60:00Z",
            "2025-03-01T12:00:60Z",
            "2025-03-01T25:00:00Z",
            "2025-03-01T24:00:01Z",
            "2025-03-01T24:00:00.5Z",
            "2025-03-01T12:00:00+16:00",
            "2025-03-01T12:00:00-23:59",
            "2025-03-01T12:00:00+05:60",
            "+2025-03-01T12:00:00Z",
            "2025-03-01T12:00:00.000000000000000000000000000000001Z",
            "2025-3-01T12:00:00Z",
            "２025-03-01T12:00:00Z",
        ] {
            assert!(!is_valid_timestamp(bad), "{bad}");
        }
    }
}
