//! The per-record rules of the wire contract (ingest-api.md §3.2–3.3), plus ours:
//! NUL and unpaired surrogates repaired (refused in strict mode), long strings cut, 32-bit
//! iterations, PostgreSQL-valid timestamps, depth and number bounds, and a client
//! `project_id` that must match the key's.
//!
//! Each `check_*` function reads one record's [`Fields`] in the contract's field order,
//! reports every broken rule, and returns the typed record only when all rules hold.

use uuid::Uuid;

use crate::formats::{is_valid_timestamp, parse_uuid};
use crate::json::{Fields, Problem, Val};
use crate::model::{Event, EventType, Json, PromptLink, Run, Score, ScoreDataType, Session, Span, SpanKind, Status};
use crate::text::js_trim;
use crate::violation::{At, Code, Violation, Violations, Warning, Warnings};
use std::borrow::Cow;

/// Allowed keys of each record kind, in the contract's order; the index of a name is its
/// slot in [`Fields::slots`].
pub const FIELD_NAMES: [&[&str]; 6] = [
    &["id", "project_id", "created_at", "ended_at", "metadata"],
    &["id", "session_id", "project_id", "name", "started_at", "ended_at", "status", "error", "metadata"],
    &[
        "id",
        "run_id",
        "project_id",
        "parent_span_id",
        "kind",
        "name",
        "started_at",
        "ended_at",
        "status",
        "error",
        "iteration",
        "attributes",
    ],
    &["id", "run_id", "project_id", "span_id", "type", "created_at", "content", "attributes"],
    &["project_id", "trace_id", "span_id", "prompt_version_id", "variable_values"],
    &[
        "id",
        "project_id",
        "trace_id",
        "span_id",
        "name",
        "value",
        "data_type",
        "string_value",
        "source",
        "comment",
        "created_at",
    ],
];

/// The singular of each record kind, as warnings name it.
pub const KIND_NAMES: [&str; 6] = ["session", "run", "span", "event", "prompt_link", "score"];

/// What a record check needs to know besides the record.
pub struct Context<'v> {
    /// Where violations go.
    pub violations: &'v mut Violations,
    /// Where the repairs made go.
    pub warnings: &'v mut Warnings,
    /// The API key's project, when known: a client-sent `project_id` must equal it.
    pub project_id: Option<Uuid>,
    /// `Limits::max_depth`.
    pub max_depth: usize,
    /// `Limits::max_field_bytes`.
    pub max_field_bytes: usize,
    /// `Limits::strict`: refuse what would otherwise be repaired.
    pub strict: bool,
}

/// Reads the fields of one record, reporting as it goes.
struct Reader<'a, 'c, 'v> {
    fields: &'c Fields<'a>,
    names: &'static [&'static str],
    at: At,
    cx: &'c mut Context<'v>,
    ok: bool,
    kind: usize,
    /// The record's id once read (a prompt link's `span_id`), for the warnings.
    record_id: Option<Uuid>,
}

impl<'a, 'c, 'v> Reader<'a, 'c, 'v> {
    fn new(fields: &'c Fields<'a>, kind: usize, at: At, cx: &'c mut Context<'v>) -> Self {
        let mut r = Reader { fields, names: FIELD_NAMES[kind], at, cx, ok: true, kind, record_id: None };
        for key in &fields.unknown {
            match key {
                Ok(key) => {
                    let path = at.field(key);
                    r.fail(path.clone(), Code::UnknownKey, format!("{path} is not allowed"));
                }
                Err(_) => {
                    let path = at.record();
                    r.fail(
                        path.clone(),
                        Code::LoneSurrogate,
                        format!("{path} has a key with an unpaired UTF-16 surrogate escape"),
                    );
                }
            }
        }
        if fields.unknown_total > fields.unknown.len() {
            let more = fields.unknown_total - fields.unknown.len();
            r.fail(at.record(), Code::UnknownKey, format!("{} has {more} more keys that are not allowed", at.record()));
        }
        r
    }

    fn fail(&mut self, path: String, code: Code, message: String) {
        self.ok = false;
        self.cx.violations.push(path, code, message);
    }

    fn path(&self, slot: usize) -> String {
        self.at.field(self.names[slot])
    }

    /// Reports a broken rule of one field; the message is the field's path and `what`.
    fn fail_field(&mut self, slot: usize, code: Code, what: impl std::fmt::Display) {
        let path = self.path(slot);
        let message = format!("{path} {what}");
        self.fail(path, code, message);
    }

    /// The value, or `None` when the key is absent or `null` (decision 4).
    fn get(&self, slot: usize) -> Option<Val<'a>> {
        self.fields.slots[slot].filter(|v| !v.is_null())
    }

    /// A string for a format check (UUID, timestamp, word); anything else is `None`.
    fn format_str(&self, slot: usize) -> Option<Cow<'a, str>> {
        self.get(slot).and_then(|v| v.as_str().ok().flatten())
    }

    /// An optional UUID: absent or null is `None` without complaint.
    fn uuid(&mut self, slot: usize) -> Option<Uuid> {
        self.get(slot)?;
        self.required_uuid(slot)
    }

    /// A required UUID: absent, null and malformed all get upstream's one message.
    fn required_uuid(&mut self, slot: usize) -> Option<Uuid> {
        let parsed = self.format_str(slot).and_then(|s| parse_uuid(&s));
        if parsed.is_none() {
            self.fail_field(slot, Code::InvalidUuid, "is not a valid UUID");
        }
        parsed
    }

    fn project_id(&mut self, slot: usize) {
        let Some(sent) = self.uuid(slot) else { return };
        if let Some(key_project) = self.cx.project_id {
            if sent != key_project {
                self.fail_field(slot, Code::ProjectMismatch, "does not match the project of the API key");
            }
        }
    }

    fn timestamp(&mut self, slot: usize, required: bool) -> Option<Cow<'a, str>> {
        if self.get(slot).is_none() && !required {
            return None;
        }
        match self.format_str(slot) {
            Some(s) if is_valid_timestamp(&s) => Some(s),
            _ => {
                self.fail_field(slot, Code::InvalidTimestamp, "is not a valid ISO timestamp");
                None
            }
        }
    }

    /// One of an enum's words; `list` (called only on failure) names them all.
    fn word<T: Copy>(&mut self, slot: usize, parse: fn(&str) -> Option<T>, list: fn() -> String) -> Option<T> {
        let w = self.format_str(slot).and_then(|s| parse(&s));
        if w.is_none() {
            self.fail_field(slot, Code::InvalidEnum, format_args!("must be one of: {}", list()));
        }
        w
    }

    /// Whether the value is to be repaired (not in strict mode: then NUL and unpaired
    /// surrogates are refused and long strings kept).
    fn repairs(&self, value: &Val) -> bool {
        value.fix != 0 && !self.cx.strict
    }

    /// The value's text repaired (see `src/repair.rs`), each repair noted as a warning.
    fn repaired(&mut self, slot: usize, value: &Val) -> String {
        let base = self.path(slot);
        let (kind, record_id, warnings) = (KIND_NAMES[self.kind], self.record_id, &mut *self.cx.warnings);
        crate::repair::repair_value(value.text, &base, self.cx.max_field_bytes, &mut |path, code, message| {
            // A record without a readable id is refused anyway, so its warnings never count.
            if let Some(record_id) = record_id {
                warnings.push(Warning { what: Violation { path, code, message }, kind, record_id });
            }
        })
    }

    /// A string field: `Ok(Some((raw text, decoded)))`, `Ok(None)` when absent or not a
    /// string; NUL and unpaired surrogates are repaired, or reported in strict mode.
    fn text(&mut self, slot: usize) -> Result<Option<(Json<'a>, Cow<'a, str>)>, ()> {
        let Some(value) = self.get(slot) else { return Ok(None) };
        if value.text.starts_with('"') && self.repairs(&value) {
            let text = self.repaired(slot, &value);
            let decoded = crate::json::unescape(&text[1..text.len() - 1]).unwrap_or_default();
            return Ok(Some((Cow::Owned(text), Cow::Owned(decoded))));
        }
        match value.as_str() {
            Ok(Some(s)) => Ok(Some((Cow::Borrowed(value.text), s))),
            Ok(None) => Ok(None),
            Err(p) => {
                self.problem(slot, p);
                Err(())
            }
        }
    }

    /// A required name: a non-empty string (`trimmed`: non-empty after trimming).
    fn name(&mut self, slot: usize, trimmed: bool) -> Option<Json<'a>> {
        match self.text(slot) {
            Ok(Some((raw, s))) if !(if trimmed { js_trim(&s).is_empty() } else { s.is_empty() }) => Some(raw),
            Ok(_) => {
                self.fail_field(slot, Code::Required, "is required");
                None
            }
            Err(()) => None,
        }
    }

    fn problem(&mut self, slot: usize, p: Problem) {
        let (code, what) = match p {
            Problem::Nul => {
                (Code::NulCharacter, "contains a NUL character (\\u0000), which PostgreSQL cannot store".to_string())
            }
            Problem::LoneSurrogate => (Code::LoneSurrogate, "contains an unpaired UTF-16 surrogate escape".to_string()),
            Problem::TooDeep => {
                (Code::TooDeep, format!("is nested deeper than the limit of {} levels", self.cx.max_depth))
            }
            Problem::NumberOutOfRange => {
                (Code::NumberOutOfRange, "contains a number too long or too large for PostgreSQL".to_string())
            }
        };
        self.fail_field(slot, code, what);
    }

    /// Any JSON value, without what PostgreSQL would refuse: repaired, or in strict mode
    /// refused.
    fn any(&mut self, slot: usize) -> Option<Json<'a>> {
        let value = self.get(slot)?;
        let refused = value.char_problem().filter(|_| self.cx.strict).or(value.problem);
        match refused {
            Some(p) => {
                self.problem(slot, p);
                None
            }
            None if self.repairs(&value) => Some(Cow::Owned(self.repaired(slot, &value))),
            None => Some(Cow::Borrowed(value.text)),
        }
    }

    /// An optional JSON object.
    fn object(&mut self, slot: usize) -> Option<Json<'a>> {
        let value = self.get(slot)?;
        if !value.text.starts_with('{') {
            self.fail_field(slot, Code::NotAnObject, "must be an object");
            return None;
        }
        self.any(slot)
    }

    fn number(&self, slot: usize) -> Option<f64> {
        let text = self.get(slot)?.text;
        if text.starts_with('-') || text.as_bytes()[0].is_ascii_digit() {
            text.parse::<f64>().ok()
        } else {
            None
        }
    }
}

/// Checks `sessions[i]`.
pub fn check_session<'a>(f: &Fields<'a>, at: At, cx: &mut Context) -> Option<Session<'a>> {
    let mut r = Reader::new(f, 0, at, cx);
    let id = r.required_uuid(0);
    r.record_id = id;
    r.project_id(1);
    let created_at = r.timestamp(2, true);
    let ended_at = r.timestamp(3, false);
    let metadata = r.object(4);
    if !r.ok {
        return None;
    }
    Some(Session { id: id?, created_at: created_at?, ended_at, metadata })
}

/// Checks `runs[i]`.
pub fn check_run<'a>(f: &Fields<'a>, at: At, cx: &mut Context) -> Option<Run<'a>> {
    let mut r = Reader::new(f, 1, at, cx);
    let id = r.required_uuid(0);
    r.record_id = id;
    let session_id = r.required_uuid(1);
    r.project_id(2);
    let name = r.name(3, false);
    let started_at = r.timestamp(4, true);
    let ended_at = r.timestamp(5, false);
    let status = r.word(6, Status::parse, Status::list);
    let error = r.object(7);
    let metadata = r.object(8);
    if !r.ok {
        return None;
    }
    Some(Run {
        id: id?,
        session_id: session_id?,
        name: name?,
        started_at: started_at?,
        ended_at,
        status: status?,
        error,
        metadata,
    })
}

/// Checks `spans[i]`.
pub fn check_span<'a>(f: &Fields<'a>, at: At, cx: &mut Context) -> Option<Span<'a>> {
    let mut r = Reader::new(f, 2, at, cx);
    let id = r.required_uuid(0);
    r.record_id = id;
    let run_id = r.required_uuid(1);
    r.project_id(2);
    let parent_span_id = r.uuid(3);
    let kind = r.word(4, SpanKind::parse, SpanKind::list);
    let name = r.name(5, false);
    let started_at = r.timestamp(6, true);
    let ended_at = r.timestamp(7, false);
    let status = r.word(8, Status::parse, Status::list);
    let error = r.object(9);
    let iteration = iteration(&mut r, 10);
    let attributes = r.object(11);
    if !r.ok {
        return None;
    }
    Some(Span {
        id: id?,
        run_id: run_id?,
        parent_span_id,
        kind: kind?,
        name: name?,
        started_at: started_at?,
        ended_at,
        status: status?,
        error,
        iteration,
        attributes,
    })
}

/// An integer-valued JSON number (so `3.0` passes, as in JavaScript) that fits the
/// 32-bit `integer` column.
fn iteration(r: &mut Reader, slot: usize) -> Option<i32> {
    r.get(slot)?;
    match r.number(slot) {
        Some(n) if n.is_finite() && n.fract() == 0.0 => {
            if n >= i32::MIN as f64 && n <= i32::MAX as f64 {
                Some(n as i32)
            } else {
                r.fail_field(
                    slot,
                    Code::IntegerOutOfRange,
                    format_args!("must be between {} and {}", i32::MIN, i32::MAX),
                );
                None
            }
        }
        _ => {
            r.fail_field(slot, Code::NotAnInteger, "must be an integer");
            None
        }
    }
}

/// Checks `events[i]`.
pub fn check_event<'a>(f: &Fields<'a>, at: At, cx: &mut Context) -> Option<Event<'a>> {
    let mut r = Reader::new(f, 3, at, cx);
    let id = r.required_uuid(0);
    r.record_id = id;
    let run_id = r.required_uuid(1);
    r.project_id(2);
    let span_id = r.uuid(3);
    let event_type = r.word(4, EventType::parse, EventType::list);
    let created_at = r.timestamp(5, true);
    // Decision 3: a missing `content` is JSON null, not an error.
    let content = r.any(6);
    let attributes = r.object(7);
    if !r.ok {
        return None;
    }
    Some(Event {
        id: id?,
        run_id: run_id?,
        span_id,
        event_type: event_type?,
        created_at: created_at?,
        content,
        attributes,
    })
}

/// Checks `prompt_links[i]`.
pub fn check_prompt_link<'a>(f: &Fields<'a>, at: At, cx: &mut Context) -> Option<PromptLink<'a>> {
    let mut r = Reader::new(f, 4, at, cx);
    r.project_id(0);
    let trace_id = r.required_uuid(1);
    let span_id = r.required_uuid(2);
    // Prompt links have no id of their own: their warnings are filed under the span.
    r.record_id = span_id;
    let prompt_version_id = r.required_uuid(3);
    // Decision 4: `variable_values: null` is absent, stored as {}.
    let variable_values = r.object(4);
    if !r.ok {
        return None;
    }
    Some(PromptLink { trace_id: trace_id?, span_id: span_id?, prompt_version_id: prompt_version_id?, variable_values })
}

/// Checks `scores[i]`.
pub fn check_score<'a>(f: &Fields<'a>, at: At, cx: &mut Context) -> Option<Score<'a>> {
    let mut r = Reader::new(f, 5, at, cx);
    let id = r.required_uuid(0);
    r.record_id = id;
    r.project_id(1);
    let trace_id = r.required_uuid(2);
    let span_id = r.uuid(3);
    let name = r.name(4, true);
    let value = match r.number(5) {
        Some(v) if v.is_finite() => Some(v),
        _ => {
            r.fail_field(5, Code::NotAFiniteNumber, "must be a finite number");
            None
        }
    };
    let data_type = r.word(6, ScoreDataType::parse, ScoreDataType::list);
    let string_value = match data_type {
        Some(ScoreDataType::Categorical) => match r.text(7) {
            Ok(Some((raw, s))) if !js_trim(&s).is_empty() => Some(raw),
            Ok(_) => {
                r.fail_field(7, Code::ScoreRule, "is required for categorical scores");
                None
            }
            Err(()) => None,
        },
        Some(_) if r.get(7).is_some() => {
            r.fail_field(7, Code::ScoreRule, "is only allowed for categorical scores");
            None
        }
        _ => None,
    };
    if let (Some(ScoreDataType::Boolean), Some(v)) = (data_type, value) {
        if v != 0.0 && v != 1.0 {
            r.fail_field(5, Code::ScoreRule, "must be 0 or 1 for boolean scores");
        }
    }
    if r.format_str(8).as_deref() != Some("api") {
        r.fail_field(8, Code::InvalidEnum, "must be api");
    }
    let comment = match r.text(9) {
        Ok(Some((raw, _))) => Some(raw),
        Ok(None) if r.get(9).is_some() => {
            r.fail_field(9, Code::InvalidType, "must be a string");
            None
        }
        _ => None,
    };
    let created_at = r.timestamp(10, true);
    if !r.ok {
        return None;
    }
    Some(Score {
        id: id?,
        trace_id: trace_id?,
        span_id,
        name: name?,
        value: value?,
        data_type: data_type?,
        string_value,
        comment,
        created_at: created_at?,
    })
}
