//! The shared value formats of the wire contract: UUIDs and timestamps.

use chrono::NaiveDate;
use uuid::Uuid;

/// Parses the contract's UUID form: 8-4-4-4-12 hex digits with hyphens, either case, any
/// version or variant (the nil UUID included); no braces, no `urn:`, no simple form.
///
/// A direct decoder: on the ingest path ids are a large share of all values, and this is
/// several times faster in wasm than the general `uuid::Uuid::try_parse`, whose verdict
/// and value it matches exactly (see the property test in `tests/properties.rs`).
pub fn parse_uuid(s: &str) -> Option<Uuid> {
    let b: &[u8; 36] = s.as_bytes().try_into().ok()?;
    if b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    // Eight hex digits per 64-bit word, decoded together (SWAR); u128 arithmetic would
    // be emulated in wasm32.
    // Two runs of four digits to a word: the groups are 8, 4, 4, 4 and 12 digits long.
    let word = |a: usize, c: usize| {
        u64::from_le_bytes([b[a], b[a + 1], b[a + 2], b[a + 3], b[c], b[c + 1], b[c + 2], b[c + 3]])
    };
    let [w0, w1, w2, w3] = [word(0, 4), word(9, 14), word(19, 24), word(28, 32)];
    let valid = is_hex8(w0) & is_hex8(w1) & is_hex8(w2) & is_hex8(w3);
    if !valid {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (chunk, w) in bytes.chunks_exact_mut(4).zip([w0, w1, w2, w3]) {
        chunk.copy_from_slice(&hex8(w).to_le_bytes());
    }
    Some(Uuid::from_bytes(bytes))
}

/// A one in every byte of a word, for byte-parallel (SWAR) arithmetic.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte of a word.
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` (all bytes below 0x80) that lies in `lo..=hi`.
#[inline(always)]
fn in_range(w: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = w + ONES * (0x80 - lo) as u64;
    let above_hi = w + ONES * (0x7F - hi) as u64;
    at_least_lo & !above_hi & HIGH
}

/// Whether all eight bytes of `w` are ASCII hex digits, either case.
#[inline(always)]
fn is_hex8(w: u64) -> bool {
    // Non-ASCII bytes first, so the additions in `in_range` cannot carry between bytes.
    w & HIGH == 0 && (in_range(w, b'0', b'9') | in_range(w | 0x2020_2020_2020_2020, b'a', b'f')) == HIGH
}

/// The four bytes that eight valid hex digits denote, in order, as a little-endian word
/// (the first digit's byte is the lowest).
#[inline(always)]
fn hex8(w: u64) -> u32 {
    // Digit values: the low nibble, plus 9 for letters (bit 6 set).
    let n = (w & 0x0F0F_0F0F_0F0F_0F0F) + 9 * ((w >> 6) & ONES);
    // Bytes 2k, 2k+1 → one byte (2k's digit high) in the low byte of each 16-bit lane.
    let pairs = (n & 0x00FF_00FF_00FF_00FF) << 4 | (n >> 8) & 0x00FF_00FF_00FF_00FF;
    // Gather the four lane bytes; the first pair is the most significant.
    let packed = (pairs | pairs >> 8) & 0x0000_FFFF_0000_FFFF;
    (packed | packed >> 16) as u32
}

/// The canonical lowercase hyphenated form of `id`, as an inline string.
pub fn format_uuid(id: Uuid) -> UuidText {
    let b = id.as_bytes();
    let [w0, w1, w2, w3] =
        [0, 4, 8, 12].map(|at| hex_digits(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])));
    let mut buf = [b'-'; 36];
    buf[0..8].copy_from_slice(&w0);
    buf[9..13].copy_from_slice(&w1[..4]);
    buf[14..18].copy_from_slice(&w1[4..]);
    buf[19..23].copy_from_slice(&w2[..4]);
    buf[24..28].copy_from_slice(&w2[4..]);
    buf[28..36].copy_from_slice(&w3);
    UuidText(buf)
}

/// The eight lowercase hex digits of four bytes (the lowest byte of `x` first).
#[inline(always)]
fn hex_digits(x: u32) -> [u8; 8] {
    // Byte i to the low byte of 16-bit lane i, then split it into its two nibbles,
    // the high one first.
    let s = x as u64;
    let s = (s | s << 16) & 0x0000_FFFF_0000_FFFF;
    let s = (s | s << 8) & 0x00FF_00FF_00FF_00FF;
    let n = (s >> 4) & 0x000F_000F_000F_000F | (s & 0x000F_000F_000F_000F) << 8;
    // '0' + n, and 39 more (to 'a') where n ≥ 10.
    let letters = ((n + ONES * 6) >> 4) & ONES;
    (n + ONES * b'0' as u64 + letters * 39).to_le_bytes()
}

/// A UUID's 36-character text, without allocating.
pub struct UuidText([u8; 36]);

impl UuidText {
    /// The 36 ASCII bytes.
    pub fn as_bytes(&self) -> &[u8; 36] {
        &self.0
    }
}

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
    let Some(head) = b.first_chunk::<19>() else { return false };
    // `YYYY-MM-DDTHH:MM:SS`: separators where they belong, digits everywhere else.
    const SHAPE: &[u8; 19] = b"0000-00-00T00:00:00";
    let shape_ok = head
        .iter()
        .zip(SHAPE)
        .fold(true, |ok, (&c, &want)| ok & if want == b'0' { c.is_ascii_digit() } else { c == want });
    if !shape_ok {
        return false;
    }
    let two = |at: usize| (head[at] - b'0') as u32 * 10 + (head[at + 1] - b'0') as u32;
    let (year, month, day) = (two(0) * 100 + two(2), two(5), two(8));
    let (hour, minute, second) = (two(11), two(14), two(17));
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
        [b'+' | b'-', h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()) => {
            let (oh, om) = ((h1 - b'0') * 10 + (h2 - b'0'), (m1 - b'0') * 10 + (m2 - b'0'));
            if oh >= 16 || om >= 60 {
                return false;
            }
        }
        _ => return false,
    }
    // Every month has days 1–28; past that, the calendar decides.
    let date_ok = year != 0 && (1..=12).contains(&month) && (1..=28).contains(&day)
        || day > 28 && year != 0 && NaiveDate::from_ymd_opt(year as i32, month, day).is_some();
    if !date_ok {
        return false;
    }
    if hour == 24 {
        return minute == 0 && second == 0 && fraction_is_zero;
    }
    hour < 24 && minute < 60 && second < 60
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
        let text = format_uuid(id);
        assert_eq!(&*text, "0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11");
        assert_eq!(&*text, id.hyphenated().to_string());
        assert_eq!(text.as_bytes(), b"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11");
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
