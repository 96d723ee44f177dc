//! The shared value formats of the wire contract: UUIDs and timestamps.

use chrono::{NaiveDate, NaiveTime};
use uuid::Uuid;

/// Parses the contract's UUID form: 8-4-4-4-12 hex digits with hyphens, either case, any
/// version or variant (the nil UUID included); no braces, no `urn:`, no simple form.
pub fn parse_uuid(s: &str) -> Option<Uuid> {
    if s.len() != 36 {
        return None;
    }
    // At 36 characters the uuid crate accepts only the hyphenated form.
    Uuid::try_parse(s).ok()
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
