//! Violations: what is wrong with a batch, where, and in words a person can act on.
//!
//! Every rule produces a [`Violation`] with a JSON path (`spans[3].kind`), a stable
//! machine-readable [`Code`] and a message. For the cases upstream NorthStar already
//! reported, the message is upstream's text byte for byte, so existing clients that
//! match on `error` keep working.

use serde::Serialize;

/// A stable, machine-readable name for each rule. Serialised in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The body is larger than `Limits::max_body_bytes` (HTTP 413).
    BodyTooLarge,
    /// The batch holds more records than `Limits::max_records` (HTTP 413).
    TooManyRecords,
    /// The body is not UTF-8.
    InvalidUtf8,
    /// The body is not JSON.
    InvalidJson,
    /// A value that must be a JSON object is something else.
    NotAnObject,
    /// `schema_version` is not the number 1 or 2.
    UnsupportedSchemaVersion,
    /// An entity list is neither an array nor null.
    NotAnArray,
    /// An array holds more items than its rule allows (scores: 500).
    TooManyItems,
    /// A record carries a key its schema does not allow.
    UnknownKey,
    /// A value that must be a UUID is not one.
    InvalidUuid,
    /// A value that must be a timestamp is not one, or names no real instant.
    InvalidTimestamp,
    /// A required value is missing, null, empty or of the wrong type.
    Required,
    /// A value is not one of its allowed words.
    InvalidEnum,
    /// A value that must be an integer is not one.
    NotAnInteger,
    /// An integer does not fit the column that stores it.
    IntegerOutOfRange,
    /// A number that must be finite is not a finite number.
    NotAFiniteNumber,
    /// A value has the wrong JSON type (for example a comment that is not a string).
    InvalidType,
    /// A score rule that ties two fields together does not hold.
    ScoreRule,
    /// A string or key contains U+0000, which PostgreSQL cannot store.
    NulCharacter,
    /// A string or key contains an unpaired UTF-16 surrogate escape.
    LoneSurrogate,
    /// A value is nested deeper than `Limits::max_depth`.
    TooDeep,
    /// A number is too long or its exponent too large for PostgreSQL's `numeric`.
    NumberOutOfRange,
    /// A client-sent `project_id` differs from the API key's project.
    ProjectMismatch,
    /// A span names itself as its parent.
    SelfParent,
    /// Spans of the batch form a parent cycle.
    SpanCycle,
    /// A reference points at a record of another run (span parent, event span).
    RunMismatch,
    /// A prompt link or score names a span that is not part of its trace.
    TraceMismatch,
    /// A warning, not a violation: a string value longer than `Limits::max_field_bytes`
    /// was cut and marked. (NUL and unpaired surrogates repaired are reported with
    /// `NulCharacter` and `LoneSurrogate`, the codes strict mode refuses them with.)
    FieldTruncated,
}

impl Code {
    /// The HTTP status this rule maps to: 413 for size limits, 400 for everything else.
    pub fn http_status(self) -> u16 {
        match self {
            Code::BodyTooLarge | Code::TooManyRecords => 413,
            _ => 400,
        }
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// JSON path of the offending value, e.g. `spans[3].kind`; `$` is the whole body.
    pub path: String,
    /// Which rule.
    pub code: Code,
    /// What is wrong, naming the path; upstream's exact text where upstream had one.
    pub message: String,
}

/// Collects violations in the order they are found, keeping at most `cap` of them
/// while still counting all.
#[derive(Debug)]
pub struct Violations {
    list: Vec<Violation>,
    total: usize,
    cap: usize,
}

impl Violations {
    /// An empty collector that keeps at most `cap` violations (at least one).
    pub fn new(cap: usize) -> Self {
        Violations { list: Vec::new(), total: 0, cap: cap.max(1) }
    }

    /// Records one violation.
    pub fn push(&mut self, path: String, code: Code, message: String) {
        self.total += 1;
        if self.list.len() < self.cap {
            self.list.push(Violation { path, code, message });
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// How many violations were found, kept or not.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Turns the collection into the rejection a caller reports.
    pub fn into_rejection(self) -> Rejection {
        let status = if self.list.iter().any(|v| v.code.http_status() == 413) { 413 } else { 400 };
        // `error` keeps upstream's exact text; the detail is in the violation's message.
        let error = match self.list.first() {
            Some(v) if matches!(v.code, Code::InvalidJson | Code::InvalidUtf8) => "Invalid JSON body".to_string(),
            Some(v) => v.message.clone(),
            None => String::new(),
        };
        Rejection { status, error, truncated: self.total > self.list.len(), total: self.total, errors: self.list }
    }
}

/// A rejected batch: nothing of it may be written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// 413 when a size limit was exceeded, otherwise 400.
    pub status: u16,
    /// The first violation's message: the single readable line upstream clients expect.
    pub error: String,
    /// Every violation found, in the order of the contract, up to `Limits::max_violations`.
    pub errors: Vec<Violation>,
    /// How many violations were found in all.
    pub total: usize,
    /// True when `errors` holds fewer than `total`.
    pub truncated: bool,
}

impl Rejection {
    /// A rejection made of one violation.
    pub fn single(path: impl Into<String>, code: Code, message: impl Into<String>) -> Self {
        let mut v = Violations::new(1);
        v.push(path.into(), code, message.into());
        v.into_rejection()
    }
}

/// A repair made to a stored batch: what was changed, where (the same path as a
/// violation), and the record it belongs to, so the database can file it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Path, code and message, as a violation has them.
    #[serde(flatten)]
    pub what: Violation,
    /// The record's kind in the singular (`span`, `prompt_link`, …).
    pub kind: &'static str,
    /// The record's id (for a prompt link, which has none, its `span_id`).
    #[serde(serialize_with = "uuid_text")]
    pub record_id: uuid::Uuid,
}

fn uuid_text<S: serde::Serializer>(id: &uuid::Uuid, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::formats::format_uuid(*id))
}

/// Most warnings kept per batch, for the response and the database; more are counted. A
/// bound on memory: a body made of nothing but NULs would otherwise cost a warning (a few
/// hundred bytes) per eight bytes of body.
pub const MAX_WARNINGS_KEPT: usize = 10_000;

/// The repairs of a batch: the first [`MAX_WARNINGS_KEPT`], and how many in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Warnings {
    /// The warnings kept, in the order found.
    pub list: Vec<Warning>,
    /// How many there were.
    pub total: usize,
}

impl Warnings {
    /// Records one warning.
    pub fn push(&mut self, warning: Warning) {
        self.total += 1;
        if self.list.len() < MAX_WARNINGS_KEPT {
            self.list.push(warning);
        }
    }
}

/// The warnings of a batch as a response carries them: at most `Limits::max_violations`,
/// with how many there were in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarningList<'a> {
    /// The first warnings, in the order they were found.
    pub list: Vec<&'a Violation>,
    /// How many there were.
    pub total: usize,
    /// True when `list` holds fewer than `total`.
    pub truncated: bool,
}

impl<'a> WarningList<'a> {
    /// The first `cap` of `warnings` (at least one), of `total` in all.
    pub fn capped(warnings: &'a [Warning], total: usize, cap: usize) -> Self {
        let list: Vec<&Violation> = warnings.iter().take(cap.max(1)).map(|w| &w.what).collect();
        WarningList { truncated: list.len() < total, total, list }
    }
}

/// Where a record sits: the array it came from and its index there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At {
    /// The entity list, e.g. `spans`.
    pub array: &'static str,
    /// Index in that list as sent.
    pub index: usize,
}

impl At {
    /// Path of the record itself: `spans[3]`.
    pub fn record(self) -> String {
        format!("{}[{}]", self.array, self.index)
    }

    /// Path of one of its fields: `spans[3].kind`, or `spans[3]["odd key"]` for a key
    /// that is not a plain identifier.
    pub fn field(self, key: &str) -> String {
        let mut p = self.record();
        push_key(&mut p, key);
        p
    }
}

/// Appends `.key` (or `["key"]` when the key is not identifier-like) to a path.
pub fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key.bytes().enumerate().all(|(i, b)| b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit()));
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&serde_json::to_string(key).unwrap_or_else(|_| "\"?\"".to_string()));
        path.push(']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_use_dots_for_identifiers_and_brackets_otherwise() {
        let at = At { array: "spans", index: 3 };
        assert_eq!(at.field("kind"), "spans[3].kind");
        assert_eq!(at.field("odd key"), "spans[3][\"odd key\"]");
        assert_eq!(at.field("9lives"), "spans[3][\"9lives\"]");
        assert_eq!(at.field(""), "spans[3][\"\"]");
    }

    #[test]
    fn collector_caps_but_counts_and_picks_status() {
        let mut v = Violations::new(2);
        v.push("a".into(), Code::Required, "a is required".into());
        v.push("b".into(), Code::Required, "b".into());
        v.push("$".into(), Code::TooManyRecords, "big".into());
        let r = v.into_rejection();
        assert_eq!(r.errors.len(), 2);
        assert_eq!(r.total, 3);
        assert!(r.truncated);
        assert_eq!(r.error, "a is required");
        // The 413 violation was not kept, so the status stays 400: limits are checked
        // first and alone in practice, see batch.rs.
        assert_eq!(r.status, 400);
    }
}
