//! Bounds on what one batch may cost. Every limit has a default that fits the SDK's
//! batches with room to spare, and each can be set by the operator.

use serde::{Deserialize, Serialize};

/// The limits a batch is checked against before and while it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Limits {
    /// Largest body accepted, in bytes (after any decompression). Default 16 MiB: a whole
    /// request at that size peaks at about 200 MB of memory (`bench/memory.sh`), inside an
    /// Edge Function's 256 MB.
    pub max_body_bytes: usize,
    /// Most records accepted in one batch, all six lists together. Default 100,000 (the
    /// ceiling); the edge keeps 10,000 in strict mode.
    pub max_records: usize,
    /// Deepest nesting of the whole document (the body object is level 1, so a
    /// record's `metadata` object is level 4). Between 4 and 128; default 128.
    pub max_depth: usize,
    /// Most violations reported; more are counted but not listed (warnings too). Default 100.
    pub max_violations: usize,
    /// Longest string value kept whole, in UTF-8 bytes of the decoded text; a longer one is
    /// cut and marked (see `src/repair.rs`). At least 1024; default 1 MiB. Not applied when
    /// `strict`.
    pub max_field_bytes: usize,
    /// Refuse instead of repair: NUL and unpaired surrogates are 400s, string values are
    /// never cut, and at most 500 scores are accepted, as before repairs existed.
    pub strict: bool,
}

/// Nesting can never be configured deeper than this (the reader needs no such bound, as
/// it never recurses; the ceiling keeps stored documents within what clients and tools
/// that recurse, such as serde_json's default guard of 128, can read back).
pub const MAX_DEPTH_CEILING: usize = 128;

/// The contract's score cap per batch (upstream's `scores must contain at most 500 items`),
/// applied only in strict mode: otherwise scores count against `max_records` like the rest.
pub const MAX_SCORES: usize = 500;

/// Largest `max_records`: the database's bulk score function takes at most this many
/// (migration 031), and the SDK's queue (1,000 records besides scores and prompt links) never
/// comes near it.
pub const MAX_RECORDS_CEILING: usize = 100_000;

/// Smallest `max_field_bytes`: a cut value must have room for its marker and some text.
pub const MIN_FIELD_BYTES: usize = 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024 * 1024,
            // A real client can send more than 10,000 (the SDK's scores and prompt links are
            // not capped); the body limit bounds memory, so records are bounded only by what
            // the database's bulk functions take.
            max_records: MAX_RECORDS_CEILING,
            max_depth: 128,
            max_violations: 100,
            max_field_bytes: 1024 * 1024,
            strict: false,
        }
    }
}

impl Limits {
    /// Checks that the limits are usable, naming the first bad one.
    pub fn check(&self) -> Result<(), String> {
        if self.max_body_bytes == 0 {
            return Err("maxBodyBytes must be at least 1".into());
        }
        if !(1..=MAX_RECORDS_CEILING).contains(&self.max_records) {
            return Err(format!("maxRecords must be between 1 and {MAX_RECORDS_CEILING}"));
        }
        if !(4..=MAX_DEPTH_CEILING).contains(&self.max_depth) {
            return Err(format!("maxDepth must be between 4 and {MAX_DEPTH_CEILING}"));
        }
        if self.max_violations == 0 {
            return Err("maxViolations must be at least 1".into());
        }
        if self.max_field_bytes < MIN_FIELD_BYTES {
            return Err(format!("maxFieldBytes must be at least {MIN_FIELD_BYTES}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones_and_valid() {
        let l = Limits::default();
        assert_eq!((l.max_body_bytes, l.max_records, l.max_depth, l.max_violations), (16_777_216, 100_000, 128, 100));
        assert_eq!((l.max_field_bytes, l.strict), (1_048_576, false));
        assert!(l.check().is_ok());
        assert!(Limits { max_field_bytes: 1023, ..l }.check().unwrap_err().contains("maxFieldBytes"));
    }

    #[test]
    fn bad_limits_are_named() {
        let l = Limits { max_depth: 3, ..Limits::default() };
        assert!(l.check().unwrap_err().contains("maxDepth"));
        let l = Limits { max_records: 0, ..Limits::default() };
        assert!(l.check().unwrap_err().contains("maxRecords"));
        let l = Limits { max_records: MAX_RECORDS_CEILING + 1, ..Limits::default() };
        assert!(l.check().unwrap_err().contains("maxRecords"));
    }

    #[test]
    fn partial_options_fill_in_defaults() {
        let l: Limits = serde_json::from_str(r#"{"maxRecords": 5}"#).unwrap();
        assert_eq!(l.max_records, 5);
        assert_eq!(l.max_body_bytes, Limits::default().max_body_bytes);
        assert!(serde_json::from_str::<Limits>(r#"{"maxRecord": 5}"#).is_err());
    }
}
