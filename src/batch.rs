//! `prepare_batch`: body bytes in, one JSON text per entity list out — or every reason
//! the batch is refused.
//!
//! parse (once) → check limits → validate each record → merge records sharing an id →
//! check references inside the batch → order spans parents-first → write each list as
//! JSON text with the key's `project_id` on every record. Pure and deterministic.

use serde::Serialize;
use uuid::Uuid;

use crate::emit::Format;
use crate::json::{parse_body_flagging_long, Body, Item, List, Parsed, LIST_NAMES};
use crate::limits::{Limits, MAX_SCORES};
use crate::model::{merge_objects, Event, PromptLink, Record, Run, Score, Session, Span};
use crate::order::{parents_first, IdIndex, KeyTable, ParentProblem};
use crate::validate::{self, Context, FIELD_NAMES};
use crate::violation::{At, Code, Rejection, Violations, Warning, Warnings};

/// How many records of each kind a batch holds, after merging records that share an id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub sessions: usize,
    pub runs: usize,
    pub spans: usize,
    pub events: usize,
    pub prompt_links: usize,
    pub scores: usize,
}

impl Counts {
    /// Records of all kinds.
    pub fn total(&self) -> usize {
        self.sessions + self.runs + self.spans + self.events + self.prompt_links + self.scores
    }
}

/// A batch ready for `private.ingest_batch_with_prompt_links` and
/// `public.dashboard_bulk_create_scores`: each list is a JSON array text, to be sent as a
/// `jsonb` parameter as it is. The six texts sit one after the other in one buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedBatch {
    text: String,
    ends: [usize; 6],
    ascii: bool,
    /// How the four record lists are written.
    pub format: Format,
    /// Records per kind.
    pub counts: Counts,
    /// The repairs made, in the order found (up to `MAX_WARNINGS_KEPT`; a response lists
    /// the first `Limits::max_violations`).
    pub warnings: Vec<Warning>,
    /// How many repairs were made, kept or not.
    pub warnings_total: usize,
    /// [`Format::Binary`]: the binary columns one after the other, and where each ends.
    columns: Vec<u8>,
    column_ends: Vec<usize>,
}

impl PreparedBatch {
    pub(crate) fn new(text: String, ends: [usize; 6], ascii: bool, counts: Counts, format: Format) -> Self {
        PreparedBatch {
            text,
            ends,
            ascii,
            format,
            counts,
            warnings: Vec::new(),
            warnings_total: 0,
            columns: Vec::new(),
            column_ends: Vec::new(),
        }
    }

    pub(crate) fn set_columns(&mut self, columns: Vec<u8>, ends: Vec<usize>) {
        (self.columns, self.column_ends) = (columns, ends);
    }

    /// [`Format::Binary`]: every column's bytes one after the other, and where each ends
    /// (`crate::emit::BINARY_COLUMNS` of them, in `ROW_FIELDS` order); empty otherwise.
    pub fn binary(&self) -> (&[u8], &[usize]) {
        (&self.columns, &self.column_ends)
    }

    /// [`Format::Binary`]: column `k`, a PostgreSQL binary array.
    pub fn column(&self, k: usize) -> &[u8] {
        let start = if k == 0 { 0 } else { self.column_ends[k - 1] };
        &self.columns[start..self.column_ends[k]]
    }

    /// Every warning as a JSON array text for `private.record_ingest_warnings`: objects of
    /// `kind`, `record_id`, `path`, `code`, `message`.
    pub fn warning_rows(&self) -> String {
        serde_json::to_string(&self.warnings).unwrap_or_else(|_| "[]".into())
    }

    /// List `k`, in [`LIST_NAMES`] order.
    pub fn list(&self, k: usize) -> &str {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.text[start..self.ends[k]]
    }

    /// The six lists, in [`LIST_NAMES`] order.
    pub fn lists(&self) -> [&str; 6] {
        std::array::from_fn(|k| self.list(k))
    }

    pub fn sessions(&self) -> &str {
        self.list(0)
    }

    pub fn runs(&self) -> &str {
        self.list(1)
    }

    /// Parents before children.
    pub fn spans(&self) -> &str {
        self.list(2)
    }

    pub fn events(&self) -> &str {
        self.list(3)
    }

    pub fn prompt_links(&self) -> &str {
        self.list(4)
    }

    pub fn scores(&self) -> &str {
        self.list(5)
    }

    /// All six lists one after the other, and the byte offset where each ends.
    pub fn text(&self) -> (&str, [usize; 6]) {
        (&self.text, self.ends)
    }

    /// True when every list is ASCII (so byte offsets are also UTF-16 offsets).
    pub fn is_ascii(&self) -> bool {
        self.ascii
    }
}

/// A valid batch, typed, merged and ordered; each record with its index as sent.
#[derive(Debug, Default)]
pub struct CheckedBatch<'a> {
    pub sessions: Vec<(usize, Session<'a>)>,
    pub runs: Vec<(usize, Run<'a>)>,
    pub spans: Vec<(usize, Span<'a>)>,
    pub events: Vec<(usize, Event<'a>)>,
    pub prompt_links: Vec<(usize, PromptLink<'a>)>,
    pub scores: Vec<(usize, Score<'a>)>,
    /// Size in the body of each list's text, to size the output.
    pub sent_bytes: [usize; 6],
    /// The body was all ASCII (so is every text cut from it, merged objects included).
    pub ascii: bool,
    /// The repairs made.
    pub warnings: Warnings,
}

impl CheckedBatch<'_> {
    /// Records per kind.
    pub fn counts(&self) -> Counts {
        Counts {
            sessions: self.sessions.len(),
            runs: self.runs.len(),
            spans: self.spans.len(),
            events: self.events.len(),
            prompt_links: self.prompt_links.len(),
            scores: self.scores.len(),
        }
    }
}

/// Validates and prepares a batch for the project of the API key.
pub fn prepare_batch(body: &[u8], project_id: Uuid, limits: &Limits) -> Result<PreparedBatch, Rejection> {
    prepare_batch_as(body, project_id, limits, Format::Json)
}

/// [`prepare_batch`], with the four record lists written in `format`.
pub fn prepare_batch_as(
    body: &[u8],
    project_id: Uuid,
    limits: &Limits,
    format: Format,
) -> Result<PreparedBatch, Rejection> {
    let mut checked = check_batch(body, Some(project_id), limits)?;
    let mut prepared = crate::emit::write(&checked, project_id, format);
    let warnings = std::mem::take(&mut checked.warnings);
    (prepared.warnings, prepared.warnings_total) = (warnings.list, warnings.total);
    Ok(prepared)
}

/// What `validate_batch` finds in a valid batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// Records per kind.
    pub counts: Counts,
    /// The repairs `prepare_batch` would make.
    pub warnings: Vec<Warning>,
    /// How many, kept or not.
    pub warnings_total: usize,
}

/// Validates a batch with the same rules, for browsers and tools: no project is known, so
/// a client `project_id` only has to be a UUID.
pub fn validate_batch(body: &[u8], limits: &Limits) -> Result<Validated, Rejection> {
    check_batch(body, None, limits).map(|c| Validated {
        counts: c.counts(),
        warnings: c.warnings.list,
        warnings_total: c.warnings.total,
    })
}

/// Every rule, in the contract's order; returns the typed batch or all violations.
pub fn check_batch<'a>(
    body: &'a [u8],
    project_id: Option<Uuid>,
    limits: &Limits,
) -> Result<CheckedBatch<'a>, Rejection> {
    if body.len() > limits.max_body_bytes {
        return Err(Rejection::single(
            "$",
            Code::BodyTooLarge,
            format!(
                "Payload too large: the body has {} bytes; the limit is {} bytes",
                body.len(),
                limits.max_body_bytes
            ),
        ));
    }
    // UTF-8 is checked by the reader as it goes; when it fails, the whole body is checked
    // first, so that invalid UTF-8 is reported (at its first byte) before any syntax error.
    let utf8_error = |e: std::str::Utf8Error| {
        Rejection::single(
            "$",
            Code::InvalidUtf8,
            format!("Invalid JSON body: not valid UTF-8 at byte {}", e.valid_up_to()),
        )
    };
    // Outside strict mode, strings longer than the field limit are flagged for the cut.
    let max_string = if limits.strict { usize::MAX } else { limits.max_field_bytes };
    let parsed = parse_body_flagging_long(body, &FIELD_NAMES, limits.max_records, limits.max_depth, max_string);
    let (top, ascii) = match parsed {
        Err(e) => {
            let text = std::str::from_utf8(body).map_err(utf8_error)?;
            let path = e.path.clone().unwrap_or_else(|| "$".into());
            let within = e.path.as_ref().map(|p| format!(" (in {p})")).unwrap_or_default();
            return Err(Rejection::single(
                path,
                Code::InvalidJson,
                format!("Invalid JSON body: {}{within}", e.describe(text)),
            ));
        }
        Ok(Parsed { body: Body::NotObject, .. }) => {
            return Err(Rejection::single("$", Code::NotAnObject, "JSON body must be an object"))
        }
        Ok(Parsed { body: Body::Object(top), ascii }) => (top, ascii),
    };
    if top.records_seen > limits.max_records {
        return Err(Rejection::single(
            "$",
            Code::TooManyRecords,
            format!(
                "Payload too large: the batch has {} records; the limit is {} records",
                top.records_seen, limits.max_records
            ),
        ));
    }

    let mut violations = Violations::new(limits.max_violations);
    let version_ok = top.schema_version.and_then(|v| v.text.parse::<f64>().ok()).is_some_and(|v| v == 1.0 || v == 2.0);
    if !version_ok {
        violations.push(
            "schema_version".into(),
            Code::UnsupportedSchemaVersion,
            "Unsupported schema_version (expected 1 or 2)".into(),
        );
    }
    for (k, list) in top.lists.iter().enumerate() {
        if let Some(List::NotArray) = list {
            violations.push(LIST_NAMES[k].into(), Code::NotAnArray, format!("{} must be an array", LIST_NAMES[k]));
        }
    }

    let mut warnings = Warnings::default();
    let mut cx = Context {
        violations: &mut violations,
        warnings: &mut warnings,
        project_id,
        max_depth: limits.max_depth,
        max_field_bytes: limits.max_field_bytes,
        strict: limits.strict,
    };
    let sent_bytes = std::array::from_fn(|k| match &top.lists[k] {
        Some(List::Items(_, len)) => *len,
        _ => 0,
    });
    let items = |k: usize| match &top.lists[k] {
        Some(List::Items(items, _)) => items.as_slice(),
        _ => &[],
    };
    let mut batch = CheckedBatch {
        sessions: check_list(items(0), 0, &mut cx, validate::check_session),
        runs: check_list(items(1), 1, &mut cx, validate::check_run),
        spans: check_list(items(2), 2, &mut cx, validate::check_span),
        events: check_list(items(3), 3, &mut cx, validate::check_event),
        prompt_links: check_list(items(4), 4, &mut cx, validate::check_prompt_link),
        sent_bytes,
        ascii,
        ..CheckedBatch::default()
    };
    // The SDK's low-level client sends its whole score queue at once: outside strict mode
    // scores are bounded by `max_records` like every other record.
    if limits.strict && items(5).len() > MAX_SCORES {
        cx.violations.push(
            "scores".into(),
            Code::TooManyItems,
            format!("scores must contain at most {MAX_SCORES} items"),
        );
    }
    batch.scores = check_list(items(5), 5, &mut cx, validate::check_score);

    // A merge writes only raw text cut from the body, so an ASCII body stays ASCII.
    let span_ids = merge(&mut batch.spans);
    merge(&mut batch.sessions);
    merge(&mut batch.runs);
    merge(&mut batch.events);
    merge(&mut batch.prompt_links);
    merge(&mut batch.scores);
    // Unless spans were merged, their key table is the index of span ids by position.
    let span_ids = span_ids.unwrap_or_else(|| IdIndex::ids(batch.spans.iter().map(|(_, s)| s.id)));

    check_references(&mut batch, &span_ids, &mut violations);
    batch.warnings = warnings;
    if violations.is_empty() {
        Ok(batch)
    } else {
        Err(violations.into_rejection())
    }
}

fn check_list<'a, T>(
    items: &[Item<'a>],
    k: usize,
    cx: &mut Context,
    check: impl Fn(&crate::json::Fields<'a>, At, &mut Context) -> Option<T>,
) -> Vec<(usize, T)> {
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let at = At { array: LIST_NAMES[k], index };
        match item {
            Item::Object(fields) => {
                if let Some(record) = check(fields, at, cx) {
                    out.push((index, record));
                }
            }
            Item::NotObject => {
                cx.violations.push(at.record(), Code::NotAnObject, format!("{} is not an object", at.record()))
            }
        }
    }
    out
}

/// Merges each group of records that share a key into the first of them, once per
/// group (see [`Record`]): the other fields fold record by record, the objects merge
/// together in one pass ([`merge_objects`]), so a group costs time linear in its bytes.
/// The merged record keeps the first one's place. Returns the records' key table when no
/// two shared a key (`None` when records were merged, as positions then moved).
pub fn merge<'a, T: Record<'a>>(records: &mut Vec<(usize, T)>) -> Option<KeyTable<T::Key>> {
    let table = KeyTable::new(records.iter().map(|(_, r)| r.key()));
    if table.repeats().next().is_none() {
        return Some(table);
    }
    let mut slots: Vec<Option<(usize, T)>> = std::mem::take(records).into_iter().map(Some).collect();
    let mut objects = Vec::new();
    for group in table.repeats() {
        let Some((at, mut first)) = slots[group[0].1 as usize].take() else { continue };
        objects.clear();
        objects.extend(first.object().and_then(Option::take));
        for &(_, later) in &group[1..] {
            if let Some((_, mut record)) = slots[later as usize].take() {
                objects.extend(record.object().and_then(Option::take));
                first.absorb(record);
            }
        }
        if let Some(object) = first.object() {
            *object = merge_objects(&objects);
        }
        slots[group[0].1 as usize] = Some((at, first));
    }
    *records = slots.into_iter().flatten().collect();
    None
}

/// The rules that need several records: parents and event spans in the same run, prompt
/// links and scores naming spans of their trace, no self-parents, no cycles; then puts
/// spans in parents-first order. References to records outside the batch are the
/// database's to check.
fn check_references(batch: &mut CheckedBatch, index: &IdIndex, violations: &mut Violations) {
    let spans = &batch.spans;
    let mut parent = Vec::with_capacity(spans.len());
    for (at, span) in spans {
        let p = span.parent_span_id.and_then(|id| index.get(id));
        if let Some(p) = p {
            let parent_run = spans[p].1.run_id;
            if parent_run != span.run_id {
                let path = At { array: "spans", index: *at }.field("parent_span_id");
                violations.push(
                    path.clone(),
                    Code::RunMismatch,
                    format!(
                        "{path} refers to span {} of run {parent_run}, not of this span's run {}",
                        spans[p].1.id, span.run_id
                    ),
                );
            }
        }
        parent.push(p);
    }
    for (at, event) in &batch.events {
        let Some(p) = event.span_id.and_then(|id| index.get(id)) else { continue };
        if spans[p].1.run_id != event.run_id {
            let path = At { array: "events", index: *at }.field("span_id");
            violations.push(
                path.clone(),
                Code::RunMismatch,
                format!(
                    "{path} refers to span {} of run {}, not of this event's run {}",
                    spans[p].1.id, spans[p].1.run_id, event.run_id
                ),
            );
        }
    }
    let in_trace = |array: &'static str, at: usize, span_id: Uuid, trace_id: Uuid, violations: &mut Violations| {
        let Some(p) = index.get(span_id) else { return };
        if spans[p].1.run_id != trace_id {
            let path = At { array, index: at }.field("span_id");
            violations.push(
                path.clone(),
                Code::TraceMismatch,
                format!("{path}: span {span_id} is not part of trace {trace_id}"),
            );
        }
    };
    for (at, link) in &batch.prompt_links {
        in_trace("prompt_links", *at, link.span_id, link.trace_id, violations);
    }
    for (at, score) in &batch.scores {
        if let Some(span_id) = score.span_id {
            in_trace("scores", *at, span_id, score.trace_id, violations);
        }
    }

    match parents_first(&parent) {
        Ok(order) => {
            let mut slots: Vec<Option<(usize, Span)>> =
                std::mem::take(&mut batch.spans).into_iter().map(Some).collect();
            batch.spans = order.into_iter().filter_map(|i| slots[i].take()).collect();
        }
        Err(problems) => {
            for problem in problems {
                match problem {
                    ParentProblem::SelfParent(i) => {
                        let path = At { array: "spans", index: spans_at(batch, i) }.field("parent_span_id");
                        violations.push(
                            path.clone(),
                            Code::SelfParent,
                            format!("{path} is the span's own id: a span cannot be its own parent"),
                        );
                    }
                    ParentProblem::Cycle(members) => {
                        let path = At { array: "spans", index: spans_at(batch, members[0]) }.field("parent_span_id");
                        let mut chain: Vec<String> =
                            members.iter().take(6).map(|&i| batch.spans[i].1.id.to_string()).collect();
                        if members.len() > 6 {
                            chain.push("…".into());
                        }
                        chain.push(batch.spans[members[0]].1.id.to_string());
                        violations.push(
                            path.clone(),
                            Code::SpanCycle,
                            format!("{path} makes a cycle of {} spans: {}", members.len(), chain.join(" → ")),
                        );
                    }
                }
            }
        }
    }
}

fn spans_at(batch: &CheckedBatch, position: usize) -> usize {
    batch.spans[position].0
}
