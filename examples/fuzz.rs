//! A fuzzer for `prepare_batch` and `validate_batch`, on stable Rust with no extra crate:
//! it mutates the contract's example batches (`tests/fixtures/example-*.json`) and batches
//! it generates (records sharing ids, parents, nested metadata, numbers of every shape,
//! escapes and unicode), with byte-level mutations (flips, interesting bytes, deletions,
//! duplications, splices between inputs) and structure-aware ones (records and ids
//! duplicated or copied between records, fields replaced by odd values or removed, parents
//! re-pointed, values nested past the depth limit), under default and tiny limits, and
//! checks on every input:
//! - no panic (a panic hook saves the input before the process dies);
//! - each prepared list is a JSON array (serde_json) of objects stamped with the project,
//!   as many as the counts say, ids unique after merging, spans parents-first, and the
//!   `ascii` flag true only for ASCII text;
//! - the rows format (`Format::Rows`) holds the same records: as many lines as records,
//!   each with its list's field count, no CR, the same ids in the same order, the same
//!   prompt links, scores and warnings;
//! - `validate_batch` agrees with `prepare_batch`: same counts when accepted, the same
//!   rejection when refused (unless the refusal involves a client `project_id`, which only
//!   `prepare_batch` can judge).
//!
//! One input in four is an OTLP protobuf export instead (`tests/common/otlp_gen.rs`: GenAI
//! traces, clean or damaged, half of them byte-mutated, sometimes under small limits),
//! checked for: no panic; the fast path either declining or giving byte for byte the
//! reference path's result, and the borrowing reader reading what prost reads; and
//! `prepare_otlp`'s lists keeping the invariants above.
//!
//! On a failure the input is written to `--out` (default `target/fuzz-failures`) and the
//! process exits non-zero. Inputs that give an outcome not seen before join the corpus.
//!
//! `cargo run --release --example fuzz -- [--seconds S] [--count N] [--seed X] [--out DIR]`
//! The last line reads `test result: ok. 1 passed; 0 failed; …` with the number of inputs
//! run (what `scripts/test.sh` counts).

#[path = "../tests/common/otlp_gen.rs"]
mod otlp_gen;

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use northstar_core::{
    prepare_batch, prepare_batch_as, prepare_otlp, validate_batch, Code, Format, Limits, PreparedBatch, Rejection,
    BINARY_COLUMNS, ROW_FIELDS, ROW_TYPES,
};
use prost::Message as _;
use serde_json::Value;
use uuid::Uuid;

/// The input being run, for the panic hook.
static CURRENT: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static OUT_DIR: Mutex<String> = Mutex::new(String::new());

/// splitmix64: small, fast, and good enough to drive mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'s, T>(&mut self, items: &'s [T]) -> &'s T {
        &items[self.below(items.len())]
    }
}

const PROJECT: u128 = 0x7b89_7f13_dad3_41d8_945b_9435_8423_ab85;

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.5",
    "1.50",
    "1E2",
    "-1e+5",
    "12345678901234567890123",
    "3.14159265358979323846264338327950288",
    "1e-400",
    "1e400",
    "-1E-10000",
    "1e10001",
    "2147483647",
    "2147483648",
    "-2147483649",
    "0.00125",
    "9007199254740993",
];
const STRINGS: &[&str] = &[
    "",
    "a",
    "caf\\u00e9",
    "café",
    "\\ud83d\\ude00",
    "😀",
    "\\\"q\\\"",
    "\\\\",
    "line\\nbreak\\t",
    "\\u0000",
    "\\ud800",
    "\\udc00x",
    "\\/",
    "2025-03-01T12:00:00Z",
    "2024-02-30T00:00:00Z",
    "ok",
    "running",
    "error",
    "tool",
    "numeric",
    "categorical",
    "boolean",
    "user_input",
];
const KEYS: &[&str] = &["a", "\\u0061", "b", "é", "\\u00e9", "model", "cost_usd", "k\\\"", "", "x\\ud83d\\ude00"];
const TIMES: &[&str] =
    &["2025-03-01T12:00:00Z", "2025-03-01T12:00:00.123456+02:00", "2025-03-01 12:00:00", "2024-02-30T00:00:00Z"];

/// Numbers and strings PostgreSQL takes (no NUL, no lone surrogate, no overflow).
fn clean_number(r: &mut Rng) -> &'static str {
    loop {
        let n = *r.pick(NUMBERS);
        if n != "1e10001" {
            return n;
        }
    }
}

fn clean_string(r: &mut Rng) -> &'static str {
    loop {
        let s = *r.pick(STRINGS);
        if !s.contains("\\u0000") && !s.contains("\\ud800") && !s.contains("\\udc00") {
            return s;
        }
    }
}

/// A random JSON value, at most `depth` levels deep; `clean` keeps to what is valid.
fn any_value(r: &mut Rng, depth: usize, clean: bool) -> String {
    match r.below(if depth == 0 { 4 } else { 6 }) {
        0 if clean => clean_number(r).to_string(),
        0 => r.pick(NUMBERS).to_string(),
        1 if clean => format!("\"{}\"", clean_string(r)),
        1 => format!("\"{}\"", r.pick(STRINGS)),
        2 => r.pick(&["null", "true", "false"]).to_string(),
        3 if clean => format!("\"{}{}\"", clean_string(r), clean_string(r)),
        3 => format!("\"{}{}\"", r.pick(STRINGS), r.pick(STRINGS)),
        4 => any_object(r, depth - 1, clean),
        _ => {
            let items: Vec<String> = (0..r.below(4)).map(|_| any_value(r, depth - 1, clean)).collect();
            format!("[{}]", items.join(","))
        }
    }
}

/// A random object, keys drawn from a small pool so they repeat (also spelled escaped).
fn any_object(r: &mut Rng, depth: usize, clean: bool) -> String {
    let members: Vec<String> =
        (0..r.below(5)).map(|_| format!("\"{}\":{}", r.pick(KEYS), any_value(r, depth, clean))).collect();
    format!("{{{}}}", members.join(" ,"))
}

fn value(r: &mut Rng, depth: usize) -> String {
    any_value(r, depth, false)
}

fn uuid(r: &mut Rng) -> String {
    Uuid::from_u128(((r.next() as u128) << 64) | r.next() as u128).to_string()
}

/// A batch of records drawn from small pools of ids, so that ids repeat. A clean batch
/// (half of them) should be valid: one run, parents earlier in the span pool, valid
/// times and values; the others point spans anywhere (cycles, other runs) and use any
/// value.
fn generate(r: &mut Rng) -> String {
    let clean = r.chance(2);
    let pool = |r: &mut Rng, most: usize| {
        let n = 1 + r.below(most);
        (0..n).map(|_| uuid(r)).collect::<Vec<_>>()
    };
    let (sessions, spans) = (pool(r, 3), pool(r, 8));
    let runs = if clean { vec![uuid(r)] } else { pool(r, 3) };
    let time = |r: &mut Rng| if clean { TIMES[r.below(2)] } else { *r.pick(TIMES) };
    let object = |r: &mut Rng, depth: usize| any_object(r, depth, clean);
    let optional =
        |r: &mut Rng, key: &str, v: String| if r.chance(2) { format!(",\"{key}\":{v}") } else { String::new() };
    let mut lists: Vec<String> = Vec::new();
    let n = |r: &mut Rng| r.below(6);
    let mut records = Vec::new();
    for _ in 0..n(r) {
        let meta = object(r, 3);
        let ended = format!("\"{}\"", time(r));
        records.push(format!(
            "{{\"id\":\"{}\",\"created_at\":\"{}\"{}{}}}",
            r.pick(&sessions),
            time(r),
            optional(r, "ended_at", ended),
            optional(r, "metadata", meta)
        ));
    }
    lists.push(format!("\"sessions\":[{}]", records.join(",")));
    records.clear();
    for _ in 0..n(r) {
        let (meta, error) = (object(r, 3), object(r, 1));
        records.push(format!(
            "{{\"id\":\"{}\",\"session_id\":\"{}\",\"name\":\"run\",\"started_at\":\"{}\",\"status\":\"{}\"{}{}}}",
            r.pick(&runs),
            r.pick(&sessions),
            time(r),
            r.pick(&["running", "ok", "error"]),
            optional(r, "error", error),
            optional(r, "metadata", meta)
        ));
    }
    lists.push(format!("\"runs\":[{}]", records.join(",")));
    records.clear();
    for _ in 0..n(r) * 3 {
        let at = r.below(spans.len());
        let parent = if clean && at == 0 {
            None
        } else if clean {
            Some(&spans[r.below(at)])
        } else {
            Some(r.pick(&spans))
        };
        let parent = parent.map(|p| optional(r, "parent_span_id", format!("\"{p}\""))).unwrap_or_default();
        let attributes = object(r, 3);
        let iteration = if clean { r.below(100).to_string() } else { r.pick(NUMBERS).to_string() };
        let name = if clean { format!("step {}", clean_string(r)) } else { r.pick(STRINGS).to_string() };
        records.push(format!(
            "{{\"id\":\"{}\",\"run_id\":\"{}\"{parent},\"kind\":\"{}\",\"name\":\"{name}\",\"started_at\":\"{}\",\"status\":\"{}\"{}{}}}",
            spans[at],
            r.pick(&runs),
            r.pick(&["agent", "model", "tool", "custom", "workflow"]),
            time(r),
            r.pick(&["running", "ok", "error"]),
            optional(r, "iteration", iteration),
            optional(r, "attributes", attributes)
        ));
    }
    lists.push(format!("\"spans\":[{}]", records.join(",")));
    records.clear();
    let events = pool(r, 3);
    for _ in 0..n(r) {
        let (content, attributes, span) = (any_value(r, 3, clean), object(r, 2), format!("\"{}\"", r.pick(&spans)));
        records.push(format!(
            "{{\"id\":\"{}\",\"run_id\":\"{}\"{},\"type\":\"{}\",\"created_at\":\"{}\"{}{}}}",
            r.pick(&events),
            r.pick(&runs),
            optional(r, "span_id", span),
            r.pick(&["user_input", "assistant_message", "tool_result", "final_response"]),
            time(r),
            optional(r, "content", content),
            optional(r, "attributes", attributes)
        ));
    }
    lists.push(format!("\"events\":[{}]", records.join(",")));
    records.clear();
    let versions = pool(r, 2);
    for _ in 0..n(r) {
        let values = object(r, 2);
        records.push(format!(
            "{{\"trace_id\":\"{}\",\"span_id\":\"{}\",\"prompt_version_id\":\"{}\"{}}}",
            r.pick(&runs),
            r.pick(&spans),
            r.pick(&versions),
            optional(r, "variable_values", values)
        ));
    }
    lists.push(format!("\"prompt_links\":[{}]", records.join(",")));
    records.clear();
    let scores = pool(r, 3);
    for _ in 0..n(r) {
        let span = format!("\"{}\"", r.pick(&spans));
        let string_value = format!("\"{}\"", r.pick(STRINGS));
        let (value, data_type) = if clean {
            (r.pick(&["0", "1", "0.5", "-2.25"]).to_string(), "numeric")
        } else {
            (r.pick(NUMBERS).to_string(), *r.pick(&["numeric", "boolean", "categorical"]))
        };
        let string_value = if clean { String::new() } else { optional(r, "string_value", string_value) };
        records.push(format!(
            "{{\"id\":\"{}\",\"trace_id\":\"{}\"{},\"name\":\"s\",\"value\":{value},\"data_type\":\"{data_type}\"{string_value},\"source\":\"api\",\"created_at\":\"{}\"}}",
            r.pick(&scores),
            r.pick(&runs),
            optional(r, "span_id", span),
            time(r)
        ));
    }
    lists.push(format!("\"scores\":[{}]", records.join(",")));
    let version = if clean { "2" } else { r.pick(&["2", "1", "2.0", "3", "\"2\""]) };
    format!("{{\"schema_version\":{version},{}}}", lists.join(","))
}

/// Replaces one value in a parsed batch: a record, a field of a record, an id.
fn mutate_structure(r: &mut Rng, body: &[u8]) -> Option<Vec<u8>> {
    let mut doc: Value = serde_json::from_slice(body).ok()?;
    let mut raws: Vec<String> = Vec::new();
    let names = ["sessions", "runs", "spans", "events", "prompt_links", "scores"];
    let list = *r.pick(&names);
    let other = *r.pick(&names);
    let top = doc.as_object_mut()?;
    let records = top.get(list)?.as_array()?.clone();
    if records.is_empty() {
        return None;
    }
    let k = r.below(records.len());
    let mut record = records[k].clone();
    let mut placeholder = |raw: String| -> Value {
        raws.push(raw);
        Value::String(format!("\u{1}RAW{}", raws.len() - 1))
    };
    match r.below(9) {
        // A copy of the record, or of one from another list, appended.
        0 => {
            let copy = if r.chance(2) { record.clone() } else { top.get(other)?.as_array()?.first()?.clone() };
            top.get_mut(list)?.as_array_mut()?.push(copy);
        }
        // A field of another record (an id, a parent, …) copied into this one.
        1 => {
            let source = top.get(other)?.as_array()?.get(r.below(8))?.as_object()?.clone();
            let (key, v) = source.iter().nth(r.below(source.len()))?;
            let key = if r.chance(2) {
                key.clone()
            } else {
                r.pick(&["id", "parent_span_id", "span_id", "run_id", "trace_id"]).to_string()
            };
            record.as_object_mut()?.insert(key, v.clone());
        }
        // A field set to an odd value, spelled as raw text (numbers beyond f64 and all).
        2 | 3 => {
            let fields = record.as_object()?.keys().cloned().collect::<Vec<_>>();
            let key = if fields.is_empty() || r.chance(4) { r.pick(KEYS).to_string() } else { r.pick(&fields).clone() };
            let raw = value(r, 3);
            let v = placeholder(raw);
            record.as_object_mut()?.insert(key, v);
        }
        // A field removed.
        4 => {
            let fields = record.as_object()?.keys().cloned().collect::<Vec<_>>();
            if !fields.is_empty() {
                record.as_object_mut()?.remove(r.pick(&fields));
            }
        }
        // A value nested around the depth limit.
        5 => {
            let depth = 120 + r.below(12);
            let raw = format!("{{\"d\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
            let v = placeholder(raw);
            let key = *r.pick(&["metadata", "attributes", "content", "variable_values", "error"]);
            record.as_object_mut()?.insert(key.to_string(), v);
        }
        // A parent re-pointed at another span (chains, cycles, self-parents).
        6 => {
            let spans = top.get("spans")?.as_array()?;
            let id = spans.get(r.below(spans.len()))?.get("id")?.clone();
            record.as_object_mut()?.insert("parent_span_id".into(), id);
        }
        // The list reversed or the record duplicated many times.
        7 => {
            let list = top.get_mut(list)?.as_array_mut()?;
            if r.chance(2) {
                list.reverse();
            } else {
                for _ in 0..r.below(50) {
                    list.push(record.clone());
                }
            }
        }
        // A client project id: the key's, another, or not a UUID.
        _ => {
            let project = match r.below(3) {
                0 => Value::String(Uuid::from_u128(PROJECT).to_string()),
                1 => Value::String(uuid(r)),
                _ => Value::Null,
            };
            record.as_object_mut()?.insert("project_id".into(), project);
        }
    }
    if let Some(slot) = top.get_mut(list).and_then(Value::as_array_mut).and_then(|l| l.get_mut(k)) {
        *slot = record;
    }
    let mut text = doc.to_string();
    for (i, raw) in raws.iter().enumerate() {
        text = text.replacen(&format!("\"\\u0001RAW{i}\""), raw, 1);
    }
    Some(text.into_bytes())
}

/// Byte-level damage, `other` giving material for splices.
fn mutate_bytes(r: &mut Rng, input: &mut Vec<u8>, other: &[u8]) {
    let at = |r: &mut Rng, v: &Vec<u8>| r.below(v.len() + 1);
    match r.below(7) {
        0 if !input.is_empty() => {
            let i = r.below(input.len());
            input[i] ^= 1 << r.below(8);
        }
        1 if !input.is_empty() => {
            let i = r.below(input.len());
            input[i] = *r.pick(b"{}[]\",:\\0123456789eE.-+ nulltruefalse\x00\x7f\xc3\xa9\xff");
        }
        2 if !input.is_empty() => {
            let start = r.below(input.len());
            let end = (start + 1 + r.below(16)).min(input.len());
            input.drain(start..end);
        }
        3 if !input.is_empty() => {
            let start = r.below(input.len());
            let end = (start + 1 + r.below(256)).min(input.len());
            let piece = input[start..end].to_vec();
            let i = at(r, input);
            input.splice(i..i, piece);
        }
        4 if !other.is_empty() => {
            let start = r.below(other.len());
            let end = (start + 1 + r.below(512)).min(other.len());
            let i = at(r, input);
            input.splice(i..i, other[start..end].iter().copied());
        }
        _ => {
            let i = at(r, input);
            let v = value(r, 2);
            input.splice(i..i, v.bytes());
        }
    }
}

/// The invariants of one input; `Err` says which one failed.
/// An OTLP protobuf body: the fast path agrees with the reference (or declines), and what
/// `prepare_otlp` prepares keeps the batch invariants.
fn check_otlp(body: &[u8], limits: &Limits, tally: &mut otlp_gen::Tally) -> Result<(), String> {
    otlp_gen::compare(body, limits, tally)?;
    if let Ok(p) = prepare_otlp(body, "application/x-protobuf", otlp_gen::PROJECT, limits) {
        check_prepared(&p.batch, otlp_gen::PROJECT)?;
    }
    Ok(())
}

fn check(body: &[u8], limits: &Limits) -> Result<String, String> {
    let project = Uuid::from_u128(PROJECT);
    let prepared = prepare_batch(body, project, limits);
    let validated = validate_batch(body, limits);
    match (&prepared, &validated) {
        (Ok(p), Ok(v)) => {
            if p.counts != v.counts {
                return Err(format!("counts differ: prepare {:?}, validate {:?}", p.counts, v.counts));
            }
            if p.warnings != v.warnings || p.warnings_total != v.warnings_total {
                return Err(format!("warnings differ: prepare {:?}, validate {:?}", p.warnings, v.warnings));
            }
            check_prepared(p, project)?;
            check_rows(p, body, project, limits)?;
            check_binary(p, body, project, limits)?;
            Ok(format!("accepted {:?}", expected_counts(p)))
        }
        (Ok(_), Err(v)) => Err(format!("prepare_batch accepted what validate_batch refused: {:?}", v.errors)),
        (Err(p), validated) => {
            let about_project = p.errors.iter().any(|v| v.code == Code::ProjectMismatch);
            if !about_project {
                match validated {
                    Ok(_) => return Err(format!("validate_batch accepted what prepare_batch refused: {:?}", p.errors)),
                    Err(v) if !same_rejection(p, v) => {
                        return Err(format!("rejections differ:\nprepare  {p:?}\nvalidate {v:?}"))
                    }
                    Err(_) => {}
                }
            }
            let codes: BTreeSet<String> = p.errors.iter().map(|v| format!("{:?}", v.code)).collect();
            Ok(format!("{codes:?}"))
        }
    }
}

/// The same refusal. When the list was cut at the cap, a `project_id` violation may hide
/// past it (changing the total, as the record it refuses is dropped): then only the
/// listed violations, which come before it, must agree.
fn expected_counts(p: &PreparedBatch) -> [usize; 6] {
    let c = p.counts;
    [c.sessions, c.runs, c.spans, c.events, c.prompt_links, c.scores]
}

fn same_rejection(a: &Rejection, b: &Rejection) -> bool {
    let listed = a.status == b.status && a.error == b.error && a.errors == b.errors;
    listed && (a.truncated || (a.total == b.total && a.truncated == b.truncated))
}

/// Checks every number literal outside strings against RFC 8259's grammar and replaces it
/// by `0`, so that serde_json (whose numbers are f64) can judge the rest: the lists carry
/// numbers as sent, and `1e400` is valid JSON that f64 cannot hold.
fn numbers_as_zero(text: &str) -> Result<String, String> {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                    i += 1;
                }
                let literal = &text[start..i];
                if !is_json_number(literal) {
                    return Err(format!("not a JSON number: {literal}"));
                }
                out.push_str(&text[copied..start]);
                out.push('0');
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(text.get(copied..).unwrap_or(""));
    Ok(out)
}

fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

fn check_prepared(p: &PreparedBatch, project: Uuid) -> Result<(), String> {
    let project = project.to_string();
    let expected = expected_counts(p);
    for (k, text) in p.lists().iter().enumerate() {
        let list: Value =
            serde_json::from_str(&numbers_as_zero(text)?).map_err(|e| format!("list {k} is not JSON ({e}): {text}"))?;
        let records = list.as_array().ok_or_else(|| format!("list {k} is not an array"))?;
        if records.len() != expected[k] {
            return Err(format!("list {k} has {} records, counts say {}", records.len(), expected[k]));
        }
        let mut keys = BTreeSet::new();
        for record in records {
            if record.get("project_id").and_then(Value::as_str) != Some(project.as_str()) {
                return Err(format!("list {k}: a record not stamped with the project: {record}"));
            }
            let key = if k == 4 {
                format!("{}{}", record["span_id"], record["prompt_version_id"])
            } else {
                record["id"].to_string()
            };
            if !keys.insert(key) {
                return Err(format!("list {k}: a key appears twice after merging: {record}"));
            }
        }
        if k == 2 {
            let position: std::collections::BTreeMap<&str, usize> =
                records.iter().enumerate().filter_map(|(i, s)| Some((s.get("id")?.as_str()?, i))).collect();
            for (i, span) in records.iter().enumerate() {
                let parent = span.get("parent_span_id").and_then(Value::as_str);
                if let Some(&at) = parent.and_then(|p| position.get(p)) {
                    if at >= i {
                        return Err(format!("span {i} comes before its parent at {at}"));
                    }
                }
            }
        }
    }
    if p.is_ascii() && !p.text().0.is_ascii() {
        return Err("the ascii flag is set on non-ASCII text".into());
    }
    Ok(())
}

/// The rows format of the same body: the same records (ids, in order), as one line of
/// the right field count each, and the same non-record lists and warnings.
fn check_rows(p: &PreparedBatch, body: &[u8], project: Uuid, limits: &Limits) -> Result<(), String> {
    let rows = prepare_batch_as(body, project, limits, Format::Rows)
        .map_err(|r| format!("the rows format refused what the JSON format accepted: {:?}", r.errors))?;
    if rows.counts != p.counts || rows.warnings != p.warnings || rows.warnings_total != p.warnings_total {
        return Err("the rows format differs in counts or warnings".into());
    }
    if rows.prompt_links() != p.prompt_links() || rows.scores() != p.scores() {
        return Err("the rows format differs in prompt links or scores".into());
    }
    for (k, fields) in ROW_FIELDS.iter().enumerate() {
        let records: Value = serde_json::from_str(&numbers_as_zero(p.list(k))?).map_err(|e| e.to_string())?;
        let ids: Vec<&str> = records.as_array().into_iter().flatten().filter_map(|r| r["id"].as_str()).collect();
        let text = rows.list(k);
        let lines: Vec<&str> = if text.is_empty() { Vec::new() } else { text.split('\n').collect() };
        if lines.len() != ids.len() {
            return Err(format!("rows list {k}: {} lines for {} records", lines.len(), ids.len()));
        }
        for (line, id) in lines.iter().zip(ids) {
            if line.contains('\r') || line.split('\t').count() != fields.len() || !line.starts_with(id) {
                return Err(format!("rows list {k}: bad row {line:?} for record {id}"));
            }
        }
    }
    Ok(())
}

/// The binary format of the same body: the same counts, warnings and non-record lists,
/// and 30 arrays that `array_recv` would read, each of its field's type with one element
/// per record and nothing after the last.
fn check_binary(p: &PreparedBatch, body: &[u8], project: Uuid, limits: &Limits) -> Result<(), String> {
    let bin = prepare_batch_as(body, project, limits, Format::Binary)
        .map_err(|r| format!("the binary format refused what the JSON format accepted: {:?}", r.errors))?;
    if bin.counts != p.counts || bin.warnings != p.warnings || bin.prompt_links() != p.prompt_links() {
        return Err("the binary format differs in counts, warnings or prompt links".into());
    }
    let be32 = |b: &[u8], at: usize| b.get(at..at + 4).map(|x| u32::from_be_bytes(x.try_into().unwrap_or_default()));
    let counts = [p.counts.sessions, p.counts.runs, p.counts.spans, p.counts.events];
    let mut k = 0;
    for (list, types) in ROW_TYPES.iter().enumerate() {
        for ty in *types {
            let col = bin.column(k);
            k += 1;
            let n = counts[list];
            let (ndim, oid) = (be32(col, 0), be32(col, 8));
            if oid != Some(ty.oid()) || ndim != Some(u32::from(n > 0)) || (n > 0 && be32(col, 12) != Some(n as u32)) {
                return Err(format!("binary column {k}: bad header for {n} elements"));
            }
            let mut at = if n == 0 { 12 } else { 20 };
            for _ in 0..n {
                let len = be32(col, at).ok_or(format!("binary column {k}: cut short"))? as i32;
                at += 4 + len.max(0) as usize;
            }
            if at != col.len() {
                return Err(format!("binary column {k}: {} bytes for {at}", col.len()));
            }
        }
    }
    if k != BINARY_COLUMNS {
        return Err(format!("{k} binary columns"));
    }
    Ok(())
}

/// Saves the input (`ext`: `json` for a batch, `pb` for an OTLP protobuf export) and exits.
fn fail(seed: u64, exec: u64, input: &[u8], ext: &str, why: &str) -> ! {
    let dir = OUT_DIR.lock().map(|d| d.clone()).unwrap_or_default();
    let _ = std::fs::create_dir_all(&dir);
    let file = format!("{dir}/failure-{seed}-{exec}.{ext}");
    let _ = std::fs::write(&file, input);
    eprintln!("fuzz: {why}\nfuzz: input written to {file}");
    println!("test result: FAILED. 0 passed; 1 failed; seed {seed}, input {exec}");
    std::process::exit(1);
}

fn main() {
    let (mut seconds, mut count, mut seed) = (10.0f64, u64::MAX, None);
    let mut out = "target/fuzz-failures".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let v = args.next().unwrap_or_default();
        match arg.as_str() {
            "--seconds" => seconds = v.parse().expect("--seconds S"),
            "--count" => count = v.parse().expect("--count N"),
            "--seed" => seed = Some(v.parse().expect("--seed X")),
            "--out" => out = v,
            other => panic!("unknown argument {other} (use --seconds, --count, --seed, --out)"),
        }
    }
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    });
    if let Ok(mut d) = OUT_DIR.lock() {
        *d = out.clone();
    }
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let input = CURRENT.lock().map(|c| c.clone()).unwrap_or_default();
        let dir = OUT_DIR.lock().map(|d| d.clone()).unwrap_or_default();
        let _ = std::fs::create_dir_all(&dir);
        let file = format!("{dir}/panic-{seed}.json");
        let _ = std::fs::write(&file, &input);
        eprintln!("fuzz: PANIC; input written to {file}");
        println!("test result: FAILED. 0 passed; 1 failed; a panic (seed {seed})");
        default_hook(info);
    }));
    println!("fuzz: seed {seed}, up to {seconds} s and {count} inputs; failures go to {out}/");

    let mut r = Rng(seed);
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut corpus: Vec<Vec<u8>> = ["example-a.json", "example-b.json"]
        .iter()
        .map(|f| std::fs::read(format!("{fixtures}/{f}")).expect("fixture"))
        .collect();
    let mut outcomes: BTreeSet<String> = BTreeSet::new();
    let start = Instant::now();
    let budget = Duration::from_secs_f64(seconds);
    let mut last_report = Instant::now();
    let mut exec = 0u64;
    let mut accepted = 0u64;
    let mut otlp = otlp_gen::Tally::default();
    let mut otlp_rng = otlp_gen::Rng(seed | 1);
    while exec < count && start.elapsed() < budget {
        if r.chance(4) {
            let mut body = otlp_gen::export(&mut otlp_rng).encode_to_vec();
            if r.chance(2) {
                otlp_gen::mutate(&mut otlp_rng, &mut body);
            }
            let limits = if r.chance(3) { otlp_gen::limits(&mut otlp_rng) } else { Limits::default() };
            if let Ok(mut c) = CURRENT.lock() {
                c.clone_from(&body);
            }
            if let Err(why) = check_otlp(&body, &limits, &mut otlp) {
                fail(seed, exec, &body, "pb", &format!("{why}\nfuzz: limits {limits:?}"));
            }
            exec += 1;
            continue;
        }
        let generated = r.chance(4);
        let mut input = if generated { generate(&mut r).into_bytes() } else { r.pick(&corpus).clone() };
        for _ in 0..r.below(4) + usize::from(!generated) {
            if r.chance(2) {
                if let Some(m) = mutate_structure(&mut r, &input) {
                    input = m;
                    continue;
                }
            }
            let other = r.pick(&corpus).clone();
            mutate_bytes(&mut r, &mut input, &other);
        }
        let limits = if r.chance(4) {
            Limits {
                max_body_bytes: 1 + r.below(input.len() * 2 + 1),
                max_records: 1 + r.below(40),
                max_depth: 4 + r.below(125),
                max_violations: 1 + r.below(10),
                // Sometimes small enough that long strings are cut (the floor is 1024).
                max_field_bytes: 1024 + r.below(4096),
                strict: r.chance(3),
            }
        } else {
            Limits::default()
        };
        if let Ok(mut c) = CURRENT.lock() {
            c.clone_from(&input);
        }
        match check(&input, &limits) {
            Ok(outcome) => {
                accepted += outcome.starts_with("accepted") as u64;
                if outcomes.insert(outcome) && input.len() < 200_000 {
                    if corpus.len() < 512 {
                        corpus.push(input);
                    } else {
                        let i = 2 + r.below(corpus.len() - 2);
                        corpus[i] = input;
                    }
                }
            }
            Err(why) => fail(seed, exec, &input, "json", &why),
        }
        exec += 1;
        if last_report.elapsed() > Duration::from_secs(60) {
            eprintln!(
                "fuzz: {exec} inputs in {:.0} s, {} outcomes seen",
                start.elapsed().as_secs_f64(),
                outcomes.len()
            );
            last_report = Instant::now();
        }
    }
    println!(
        "test result: ok. 1 passed; 0 failed; {exec} inputs ({accepted} batches accepted; {} OTLP exports, {} on the fast path) in {:.1} s, {} distinct outcomes, seed {seed}",
        otlp.fast + otlp.declined,
        otlp.fast,
        start.elapsed().as_secs_f64(),
        outcomes.len()
    );
}
