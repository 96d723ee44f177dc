//! Bounds on what one batch may cost. Every limit has a default that fits the SDK's
//! batches with room to spare, and each can be set by the operator.

use serde::{Deserialize, Serialize};

/// The limits a batch is checked against before and while it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Limits {
    /// Largest body accepted, in bytes (after any decompression). Default 10 MiB.
    pub max_body_bytes: usize,
    /// Most records accepted in one batch, all six lists together. Default 10,000.
    pub max_records: usize,
    /// Deepest nesting of the whole document (the body object is level 1, so a
    /// record's `metadata` object is level 4). Between 4 and 128; default 128.
    pub max_depth: usize,
    /// Most violations reported; more are counted but not listed. Default 100.
    pub max_violations: usize,
}

/// Nesting can never be configured deeper than this (the reader needs no such bound, as
/// it never recurses; the ceiling keeps stored documents within what clients and tools
/// that recurse, such as serde_json's default guard of 128, can read back).
pub const MAX_DEPTH_CEILING: usize = 128;

/// The contract's score cap per batch (upstream's `scores must contain at most 500 items`).
pub const MAX_SCORES: usize = 500;

impl Default for Limits {
    fn default() -> Self {
        Limits { max_body_bytes: 10 * 1024 * 1024, max_records: 10_000, max_depth: 128, max_violations: 100 }
    }
}

impl Limits {
    /// Checks that the limits are usable, naming the first bad one.
    pub fn check(&self) -> Result<(), String> {
        if self.max_body_bytes == 0 {
            return Err("maxBodyBytes must be at least 1".into());
        }
        if self.max_records == 0 {
            return Err("maxRecords must be at least 1".into());
        }
        if !(4..=MAX_DEPTH_CEILING).contains(&self.max_depth) {
            return Err(format!("maxDepth must be between 4 and {MAX_DEPTH_CEILING}"));
        }
        if self.max_violations == 0 {
            return Err("maxViolations must be at least 1".into());
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
        assert_eq!((l.max_body_bytes, l.max_records, l.max_depth, l.max_violations), (10_485_760, 10_000, 128, 100));
        assert!(l.check().is_ok());
    }

    #[test]
    fn bad_limits_are_named() {
        let l = Limits { max_depth: 3, ..Limits::default() };
        assert!(l.check().unwrap_err().contains("maxDepth"));
        let l = Limits { max_records: 0, ..Limits::default() };
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
