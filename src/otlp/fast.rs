//! The fast path of `prepare_otlp` for protobuf: the borrowing reader (`borrowed`), then
//! the six lists written straight from the decoded spans — each string escaped once, no
//! `serde_json::Value` trees, no batch body parsed a second time — byte for byte what
//! the reference path (`map` + `prepare_batch`) gives.
//!
//! It takes the requests the OpenTelemetry SDKs send with the GenAI conventions: ids
//! valid, no span sent twice, no span events or links, no OpenInference, OpenLLMetry or
//! prompt attributes, nothing `prepare_batch` would repair or refuse (NUL, over-long
//! strings, deep nesting, too many records or bytes). Anything else returns `None` and
//! the caller takes the reference path, which handles every case. A message attribute
//! whose JSON this module's reader is not sure to read exactly as serde_json does is
//! mapped by the reference functions (`genai`) inside the fast path.
//! `tests/otlp_fast.rs` compares both paths on generated requests.

use std::borrow::Cow;
use std::collections::HashMap;

use uuid::Uuid;

use super::attrs::{Attrs, Direction, Explicit, Message};
use super::borrowed::{self as b, AnyValue, KeyValue, Value};
use super::map::{event_type_of, has_parent_id, non_empty_name, SESSION_KEYS, SPAN_KINDS};
use super::sha4::derive_ids;
use super::value::{derive_id, rfc3339_micros};
use super::{genai, Kind, PreparedOtlp};
use crate::batch::{Counts, PreparedBatch};
use crate::formats::format_uuid;
use crate::limits::Limits;

/// Span attribute keys (exact) and prefixes this path does not map: the other convention
/// families, prompt links, and the keys the mapping derives itself.
const DECLINED_PREFIXES: [&str; 10] = [
    "llm.",
    "traceloop.",
    "openinference.",
    "gen_ai.prompt.",
    "gen_ai.completion.",
    "input.",
    "output.",
    "prompt.",
    "northstar.",
    "otel.",
];
const DECLINED_KEYS: [&str; 5] = ["model", "input_tokens", "output_tokens", "total_tokens", "cost_usd"];

/// Nesting this path writes at most (`prepare_batch` refuses values deeper than
/// `Limits::max_depth`, at least `MIN_MAX_DEPTH` here).
const MAX_NESTING: usize = 48;
const MIN_MAX_DEPTH: usize = 80;
/// The longest string this path writes without measuring it against
/// `Limits::max_field_bytes` (ids in hex or UUID form, timestamps, words): under a smaller
/// limit the reference path truncates them, so it takes the request.
const MIN_MAX_FIELD_BYTES: usize = 64;

/// One span of the request with what it was sent with.
struct Item<'r, 'a> {
    span: &'r b::Span<'a>,
    resource: Option<&'r b::Resource<'a>>,
    scope: Option<&'r b::Scope<'a>>,
}

/// What one trace's spans say about its run (as `map::TraceAcc`).
struct Trace<'a> {
    trace_id: &'a [u8],
    spans: Vec<usize>,
    root: Option<usize>,
    earliest: Option<(u64, &'a str)>,
    session: Option<(u8, Uuid, &'a str)>,
}

/// Prepares a protobuf OTLP export, or `None` for the reference path.
pub fn prepare(body: &[u8], project: Uuid, limits: &Limits) -> Option<PreparedOtlp> {
    if limits.strict || limits.max_depth < MIN_MAX_DEPTH || limits.max_field_bytes < MIN_MAX_FIELD_BYTES {
        return None;
    }
    let request = b::decode(body)?;
    let mut items: Vec<Item> = Vec::new();
    for rs in &request.resource_spans {
        if let Some(r) = &rs.resource {
            distinct_keys(&r.attributes)?;
        }
        for ss in &rs.scope_spans {
            if let Some(sc) = &ss.scope {
                distinct_keys(&sc.attributes)?;
            }
            for span in &ss.spans {
                simple_span(span)?;
                items.push(Item { span, resource: rs.resource.as_ref(), scope: ss.scope.as_ref() });
            }
        }
    }
    let mut w = Writer::new(project, limits.max_field_bytes, body.len());

    // One run per trace, in order of first appearance; a session per conversation.
    let mut traces: Vec<Trace> = Vec::new();
    let mut trace_of: HashMap<&[u8], usize> = HashMap::new();
    let mut session_ids: HashMap<&str, Uuid> = HashMap::new();
    for (i, it) in items.iter().enumerate() {
        let s = it.span;
        let t = *trace_of.entry(s.trace_id).or_insert_with(|| {
            traces.push(Trace { trace_id: s.trace_id, spans: Vec::new(), root: None, earliest: None, session: None });
            traces.len() - 1
        });
        let acc = &mut traces[t];
        acc.spans.push(i);
        let is_root = !has_parent_id(s.parent_span_id);
        if is_root && acc.root.is_none() {
            acc.root = Some(i);
        }
        let here = (s.start_time_unix_nano, s.name);
        if acc.earliest.map_or(true, |e| here < e) {
            acc.earliest = Some(here);
        }
        if let Some(value) = session_value(it) {
            let id = *session_ids.entry(value).or_insert_with(|| derive_id(project, "session", &[value.as_bytes()]));
            let candidate = (if is_root { 2 } else { 1 }, id, value);
            let better = match acc.session {
                None => true,
                Some((rank, id, _)) => candidate.0 > rank || (candidate.0 == rank && candidate.1 < id),
            };
            if better {
                acc.session = Some(candidate);
            }
        }
    }

    // Span ids, in the mapping's order (trace by trace); a span sent twice is declined.
    let order: Vec<usize> = traces.iter().flat_map(|t| t.spans.iter().copied()).collect();
    let mut position: HashMap<(&[u8], &[u8]), usize> = HashMap::with_capacity(order.len());
    let mut id_inputs = Vec::with_capacity(order.len());
    for (k, &i) in order.iter().enumerate() {
        let s = items[i].span;
        if position.insert((s.trace_id, s.span_id), k).is_some() {
            return None;
        }
        id_inputs.push([s.trace_id, s.span_id]);
    }
    let span_ids = derive_ids(project, "span", &id_inputs);
    let parents: Vec<Option<usize>> = order
        .iter()
        .map(|&i| {
            let s = items[i].span;
            if has_parent_id(s.parent_span_id) {
                position.get(&(s.trace_id, s.parent_span_id)).copied()
            } else {
                None
            }
        })
        .collect();
    let span_order = crate::order::parents_first(&parents).ok()?;

    // Sessions and runs.
    let mut sessions: Vec<SessionOut> = Vec::new();
    let mut session_at: HashMap<Uuid, usize> = HashMap::new();
    let mut runs: Vec<RunOut> = Vec::with_capacity(traces.len());
    for acc in &traces {
        let run_id = derive_id(project, "run", &[acc.trace_id]);
        let (session_id, session_rank, meta) = match acc.session {
            Some((rank, id, value)) => (id, rank, ("otel.session.id", Cow::Borrowed(value))),
            None => (
                derive_id(project, "trace-session", &[acc.trace_id]),
                0,
                ("otel.trace_id", Cow::Owned(super::value::hex(acc.trace_id))),
            ),
        };
        let (start, name) = match acc.root {
            Some(r) => (items[r].span.start_time_unix_nano, items[r].span.name),
            None => acc.earliest.unwrap_or((0, "")),
        };
        let started_at = rfc3339_micros(start);
        match session_at.get(&session_id) {
            Some(&k) => {
                if started_at < sessions[k].1 {
                    sessions[k].1 = started_at.clone();
                }
            }
            None => {
                session_at.insert(session_id, sessions.len());
                sessions.push((session_id, started_at.clone(), meta));
            }
        }
        runs.push(RunOut { id: run_id, session_id, session_rank, name, started_at, root: acc.root });
    }

    // The six lists, one after the other: sessions, runs, spans parents first, events.
    let mut out = Vec::with_capacity(body.len() * 3 + traces.len() * 600 + 4096);
    out.push(b'[');
    for (n, (id, created_at, (key, value))) in sessions.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        w.record_head(&mut out, *id);
        out.extend_from_slice(b",\"created_at\":\"");
        out.extend_from_slice(created_at.as_bytes());
        out.extend_from_slice(b"\",\"metadata\":{\"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        w.string(&mut out, value);
        out.extend_from_slice(b"}}");
    }
    out.push(b']');
    let e0 = out.len();
    out.push(b'[');
    for (n, (run, acc)) in runs.iter().zip(&traces).enumerate() {
        if n > 0 {
            out.push(b',');
        }
        w.run(&mut out, run, acc, &items);
    }
    out.push(b']');
    let e1 = out.len();
    // Per span (in the mapping's order): its trace and its run's id as text.
    let run_texts: Vec<_> = runs.iter().map(|r| format_uuid(r.id)).collect();
    let trace_of_span: Vec<usize> =
        traces.iter().enumerate().flat_map(|(t, acc)| std::iter::repeat(t).take(acc.spans.len())).collect();
    let parent_id = |k: usize| {
        let s = items[order[k]].span;
        parents[k].map(|p| span_ids[p]).or_else(|| {
            has_parent_id(s.parent_span_id).then(|| derive_id(project, "span", &[s.trace_id, s.parent_span_id]))
        })
    };
    out.push(b'[');
    for (n, &k) in span_order.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let (i, t) = (order[k], trace_of_span[k]);
        w.span(&items[i], span_ids[k], parent_id(k), &run_texts[t], &mut out);
    }
    out.push(b']');
    let e2 = out.len();
    // Every span's messages and their event ids first, so that the ids are derived
    // together (four at a time).
    let span_messages: Vec<Vec<(Msg, String)>> = order
        .iter()
        .map(|&i| {
            messages(items[i].span)
                .0
                .into_iter()
                .map(|m| {
                    let source = event_source(&m);
                    (m, source)
                })
                .collect()
        })
        .collect();
    let event_inputs: Vec<[&[u8]; 3]> = order
        .iter()
        .zip(&span_messages)
        .flat_map(|(&i, msgs)| {
            let s = items[i].span;
            msgs.iter().map(move |(_, source)| [s.trace_id, s.span_id, source.as_bytes()])
        })
        .collect();
    let event_ids = derive_ids(project, "event", &event_inputs);
    let mut event_ids = event_ids.into_iter();
    out.push(b'[');
    let mut event_count = 0usize;
    for ((k, &i), msgs) in order.iter().enumerate().zip(span_messages) {
        let t = trace_of_span[k];
        let is_root = traces[t].root == Some(i);
        event_count += w.events(&items[i], msgs, &mut event_ids, span_ids[k], &run_texts[t], is_root, &mut out);
    }
    out.push(b']');
    let e3 = out.len();
    out.extend_from_slice(b"[][]");

    let counts = Counts {
        sessions: sessions.len(),
        runs: runs.len(),
        spans: order.len(),
        events: event_count,
        prompt_links: 0,
        scores: 0,
    };
    if counts.total() > limits.max_records {
        return None;
    }
    let ends = [e0, e1, e2, e3, e3 + 2, e3 + 4];
    if w.refused || out.len() + 4096 > limits.max_body_bytes {
        return None;
    }
    let ascii = out.is_ascii();
    // SAFETY: every byte written is ASCII or part of a `&str` copied whole or split only
    // at ASCII bytes (escapes), so the buffer is UTF-8 (as in `emit::write`).
    let text = unsafe { String::from_utf8_unchecked(out) };

    let mut trace_runs = Vec::with_capacity(runs.len() * 80 + 2);
    trace_runs.push(b'[');
    for (n, (run, acc)) in runs.iter().zip(&traces).enumerate() {
        if n > 0 {
            trace_runs.push(b',');
        }
        trace_runs.extend_from_slice(b"{\"id\":\"");
        trace_runs.extend_from_slice(format_uuid(run.id).as_bytes());
        trace_runs.extend_from_slice(if acc.root.is_some() {
            b"\",\"has_root\":true"
        } else {
            b"\",\"has_root\":false"
        });
        trace_runs.extend_from_slice(b",\"session_rank\":");
        trace_runs.push(b'0' + run.session_rank);
        trace_runs.push(b'}');
    }
    trace_runs.push(b']');

    Some(PreparedOtlp {
        batch: PreparedBatch::new(text, ends, ascii, counts, crate::Format::Json),
        trace_runs: String::from_utf8(trace_runs).ok()?,
        spans_received: items.len(),
        rejected_spans: 0,
        error_message: String::new(),
        errors: Vec::new(),
    })
}

/// A session: id, `created_at`, and its one metadata key and value.
type SessionOut<'a> = (Uuid, String, (&'static str, Cow<'a, str>));

struct RunOut<'a> {
    id: Uuid,
    session_id: Uuid,
    session_rank: u8,
    name: &'a str,
    started_at: String,
    root: Option<usize>,
}

/// `Some(())` when no two pairs share a key.
fn distinct_keys(pairs: &[KeyValue]) -> Option<()> {
    for (i, kv) in pairs.iter().enumerate() {
        if pairs[i + 1..].iter().any(|later| later.key == kv.key) {
            return None;
        }
    }
    Some(())
}

/// The spans this path maps: valid ids, no events or links, attributes with distinct
/// keys none of which another convention family (or the mapping itself) claims.
fn simple_span(s: &b::Span) -> Option<()> {
    let zero = |b: &[u8]| b.iter().all(|&x| x == 0);
    if s.trace_id.len() != 16 || zero(s.trace_id) || s.span_id.len() != 8 || zero(s.span_id) {
        return None;
    }
    if !s.parent_span_id.is_empty() && s.parent_span_id.len() != 8 {
        return None;
    }
    if !s.events.is_empty() || !s.links.is_empty() {
        return None;
    }
    for kv in &s.attributes {
        if DECLINED_KEYS.contains(&kv.key) || DECLINED_PREFIXES.iter().any(|p| kv.key.starts_with(p)) {
            return None;
        }
    }
    distinct_keys(&s.attributes)
}

/// The value of `key` among distinct-keyed pairs.
fn get<'r, 'a>(pairs: &'r [KeyValue<'a>], key: &str) -> Option<&'r AnyValue<'a>> {
    pairs.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref())
}

fn as_str<'a>(v: &AnyValue<'a>) -> Option<&'a str> {
    match v.value {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// A non-empty string value of `key`.
fn get_str<'a>(pairs: &[KeyValue<'a>], key: &str) -> Option<&'a str> {
    get(pairs, key).and_then(as_str).filter(|s| !s.is_empty())
}

/// `map::session_value`.
fn session_value<'a>(it: &Item<'_, 'a>) -> Option<&'a str> {
    // As the reference: the last pair of the first key present that holds a non-empty
    // string (a key present with an empty or non-string value is passed over).
    let first = |pairs: &[KeyValue<'a>]| {
        SESSION_KEYS.iter().find_map(|k| {
            pairs
                .iter()
                .rev()
                .find(|kv| kv.key == *k)
                .and_then(|kv| kv.value.as_ref())
                .and_then(as_str)
                .filter(|v| !v.is_empty())
        })
    };
    first(&it.span.attributes).or_else(|| it.resource.and_then(|r| first(&r.attributes)))
}

/// `value::as_count`.
fn as_count(v: &AnyValue) -> Option<i64> {
    match v.value {
        Some(Value::Int(n)) => Some(n),
        Some(Value::Double(f)) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(f as i64),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `value::as_number`.
fn as_number(v: &AnyValue) -> Option<f64> {
    let n = match v.value {
        Some(Value::Int(n)) => n as f64,
        Some(Value::Double(f)) => f,
        Some(Value::String(s)) => s.trim().parse().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// The attributes `genai::attribute_messages` turns into messages, in its order.
const MESSAGE_KEYS: [&str; 5] = [
    "gen_ai.system_instructions",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
];

/// Per pair: a message attribute (`Attrs::take` passes over a pair without a value,
/// which stays an attribute).
fn message_pairs(s: &b::Span) -> Vec<bool> {
    s.attributes.iter().map(|kv| kv.value.is_some() && MESSAGE_KEYS.contains(&kv.key)).collect()
}

/// `genai::kind` (the other families' kind attributes are declined).
fn span_kind(attrs: &[KeyValue]) -> Kind {
    match get_str(attrs, "gen_ai.operation.name") {
        Some("chat" | "text_completion" | "generate_content" | "embeddings") => Kind::Model,
        Some("execute_tool") => Kind::Tool,
        Some("invoke_agent" | "create_agent") => Kind::Agent,
        _ => Kind::Custom,
    }
}

/// A message found in a span's attributes: read here, or by the reference functions.
enum Msg<'a> {
    Fast(FastMsg<'a>),
    Ref(Message),
}

struct FastMsg<'a> {
    source: Cow<'static, str>,
    index: Option<usize>,
    direction: Direction,
    role: Option<Cow<'a, str>>,
    explicit: Option<Explicit>,
    content: Content<'a>,
    /// The message object's other keys, sorted, each once.
    extra: Vec<(Cow<'a, str>, Jv<'a>)>,
}

enum Content<'a> {
    /// A JSON value read from a string attribute.
    Json(Jv<'a>),
    /// The text of all-text parts, joined by newlines.
    Parts(Vec<Js<'a>>),
    /// A string attribute that is not JSON.
    Text(&'a str),
}

/// The span's message attributes (`genai::attribute_messages`), and which pairs they
/// used. `None` inside: read by the reference functions instead.
fn messages<'a>(s: &b::Span<'a>) -> (Vec<Msg<'a>>, Vec<bool>) {
    let used = message_pairs(s);
    let mut found: [Option<(usize, &'a str)>; 5] = [None; 5];
    let mut any = false;
    let mut fast = true;
    for (p, kv) in s.attributes.iter().enumerate().filter(|(p, _)| used[*p]) {
        let Some(k) = MESSAGE_KEYS.iter().position(|k| *k == kv.key) else { continue };
        any = true;
        match kv.value.as_ref().and_then(as_str) {
            Some(text) => found[k] = Some((p, text)),
            None => fast = false,
        }
    }
    if !any {
        return (Vec::new(), used);
    }
    let mut out = Vec::new();
    if fast {
        if read_fast(&found, &mut out).is_some() {
            return (out, used);
        }
        out.clear();
    }
    // The reference functions, on owned copies of the message pairs.
    let owned: Vec<super::wire::KeyValue> =
        s.attributes.iter().zip(&used).filter(|(_, u)| **u).map(|(kv, _)| kv.to_owned_pair()).collect();
    let mut attrs = Attrs::new(&owned);
    let mut refs = Vec::new();
    genai::attribute_messages(&mut attrs, &mut refs);
    (refs.into_iter().map(Msg::Ref).collect(), used)
}

/// The messages of string attributes, read with [`Jv`]; `None` when one of them needs
/// the reference reading.
fn read_fast<'a>(found: &[Option<(usize, &'a str)>; 5], out: &mut Vec<Msg<'a>>) -> Option<()> {
    if let Some((_, text)) = found[0] {
        let content = match parsed(text)? {
            Some(Jv::Arr(parts)) => match text_parts(&parts) {
                Some(texts) => Content::Parts(texts),
                None => Content::Json(Jv::Arr(parts)),
            },
            Some(other) => Content::Json(other),
            None => Content::Text(text),
        };
        out.push(Msg::Fast(FastMsg {
            source: Cow::Borrowed("gen_ai.system_instructions"),
            index: None,
            direction: Direction::Input,
            role: Some(Cow::Borrowed("system")),
            explicit: None,
            content,
            extra: Vec::new(),
        }));
    }
    for (k, source, direction) in
        [(1, "gen_ai.input.messages", Direction::Input), (2, "gen_ai.output.messages", Direction::Output)]
    {
        let Some((_, text)) = found[k] else { continue };
        match parsed(text)? {
            Some(Jv::Arr(items)) => {
                for (i, item) in items.into_iter().enumerate() {
                    out.push(Msg::Fast(message(source, Some(i), direction, item)));
                }
            }
            Some(other) => out.push(Msg::Fast(message(source, None, direction, other))),
            None => out.push(Msg::Fast(FastMsg {
                source: Cow::Borrowed(source),
                index: None,
                direction,
                role: None,
                explicit: None,
                content: Content::Text(text),
                extra: Vec::new(),
            })),
        }
    }
    for (k, source, direction, explicit) in [
        (3, "gen_ai.tool.call.arguments", Direction::Input, Explicit::ToolArguments),
        (4, "gen_ai.tool.call.result", Direction::Output, Explicit::ToolResult),
    ] {
        let Some((_, text)) = found[k] else { continue };
        let content = match parsed(text)? {
            Some(v) => Content::Json(v),
            None => Content::Text(text),
        };
        out.push(Msg::Fast(FastMsg {
            source: Cow::Borrowed(source),
            index: None,
            direction,
            role: None,
            explicit: Some(explicit),
            content,
            extra: Vec::new(),
        }));
    }
    Some(())
}

/// `value::to_json_parsed` of a string: `Some(Some(json))` for an object or array text,
/// `Some(None)` for a text that stays text, `None` when only serde_json can say.
fn parsed(text: &str) -> Option<Option<Jv<'_>>> {
    let t = text.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return Some(None);
    }
    let mut p = Jp { b: t.as_bytes(), s: t, i: 0 };
    let v = p.value(0)?;
    p.ws();
    (p.i == t.len()).then_some(Some(v))
}

/// `genai::message_from_json` on a [`Jv`].
fn message<'a>(source: &'static str, index: Option<usize>, direction: Direction, item: Jv<'a>) -> FastMsg<'a> {
    let mut m = FastMsg {
        source: Cow::Borrowed(source),
        index,
        direction,
        role: None,
        explicit: None,
        content: Content::Json(Jv::Null),
        extra: Vec::new(),
    };
    let Jv::Obj(mut fields) = item else {
        m.content = Content::Json(item);
        return m;
    };
    let mut take = |key: &str| fields.iter().position(|(k, _)| k == key).map(|at| fields.remove(at).1);
    m.role = match take("role") {
        Some(Jv::Str(s)) => Some(s.decoded()),
        _ => None,
    };
    let body = take("parts").or_else(|| take("content")).unwrap_or(Jv::Null);
    m.content = match body {
        Jv::Arr(parts) => match text_parts(&parts) {
            Some(texts) => Content::Parts(texts),
            None => Content::Json(Jv::Arr(parts)),
        },
        other => Content::Json(other),
    };
    m.extra = fields;
    m
}

/// `attrs::text_of_parts`: the texts when every part is text.
fn text_parts<'a>(parts: &[Jv<'a>]) -> Option<Vec<Js<'a>>> {
    let mut texts = Vec::with_capacity(parts.len());
    for p in parts {
        match p {
            Jv::Str(s) => texts.push(*s),
            Jv::Obj(o) => {
                let field = |key: &str| o.iter().find(|(k, _)| k == key).map(|(_, v)| v);
                if let Some(Jv::Str(t)) = field("type") {
                    if t.decoded() != "text" {
                        return None;
                    }
                }
                match field("content").or_else(|| field("text")) {
                    Some(Jv::Str(s)) => texts.push(*s),
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    Some(texts)
}

// ---- a JSON reader for what serde_json reads and writes back unchanged ----

/// A JSON value read from a message attribute. Objects are kept as serde_json's `Map`
/// writes them: sorted by key, a repeated key once (its last value).
#[derive(Debug)]
enum Jv<'a> {
    Null,
    Bool(bool),
    /// An integer serde_json writes back with the same digits.
    Num(&'a str),
    Str(Js<'a>),
    Arr(Vec<Jv<'a>>),
    Obj(Vec<(Cow<'a, str>, Jv<'a>)>),
}

/// A JSON string as written, without its quotes.
#[derive(Debug, Clone, Copy)]
struct Js<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a> Js<'a> {
    fn decoded(&self) -> Cow<'a, str> {
        if self.escaped {
            // `Jp::string` took only valid escapes (no lone surrogate), which cannot fail.
            Cow::Owned(crate::json::unescape(self.raw).unwrap_or_else(|_| self.raw.to_owned()))
        } else {
            Cow::Borrowed(self.raw)
        }
    }
}

/// Reads JSON values; `None` for anything it is not sure serde_json reads the same way
/// (numbers other than short integers, lone surrogates, invalid text, deep nesting).
struct Jp<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Jp<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Jv<'a>> {
        if depth > MAX_NESTING / 2 {
            return None;
        }
        self.ws();
        match *self.b.get(self.i)? {
            b'"' => Some(Jv::Str(self.string()?)),
            b'{' => {
                self.i += 1;
                let mut fields: Vec<(Cow<'a, str>, Jv<'a>)> = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Some(Jv::Obj(fields));
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return None;
                    }
                    let key = self.string()?.decoded();
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return None;
                    }
                    self.i += 1;
                    let v = self.value(depth + 1)?;
                    fields.push((key, v));
                    self.ws();
                    match self.b.get(self.i)? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                // serde_json's map: sorted by key, the last of a repeated key kept.
                fields.sort_by(|x, y| x.0.cmp(&y.0));
                let mut kept: Vec<(Cow<'a, str>, Jv<'a>)> = Vec::with_capacity(fields.len());
                for f in fields {
                    match kept.last_mut() {
                        Some(last) if last.0 == f.0 => *last = f,
                        _ => kept.push(f),
                    }
                }
                Some(Jv::Obj(kept))
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Some(Jv::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.b.get(self.i)? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                Some(Jv::Arr(items))
            }
            b't' => self.literal("true", Jv::Bool(true)),
            b'f' => self.literal("false", Jv::Bool(false)),
            b'n' => self.literal("null", Jv::Null),
            _ => self.number(),
        }
    }

    fn literal(&mut self, word: &str, v: Jv<'a>) -> Option<Jv<'a>> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Some(v)
        } else {
            None
        }
    }

    /// `-?(0|[1-9][0-9]{0,17})`, not `-0`: serde_json reads it as an integer and writes
    /// it back unchanged.
    fn number(&mut self) -> Option<Jv<'a>> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let digits = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let n = self.i - digits;
        if n == 0 || n > 18 || (self.b[digits] == b'0' && (n > 1 || digits > start)) {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.b.get(self.i) {
            return None;
        }
        Some(Jv::Num(&self.s[start..self.i]))
    }

    fn string(&mut self) -> Option<Js<'a>> {
        self.i += 1;
        let start = self.i;
        let mut escaped = false;
        loop {
            self.i += crate::json::skim(&self.b[self.i..]);
            match *self.b.get(self.i)? {
                b'"' => {
                    let raw = &self.s[start..self.i];
                    self.i += 1;
                    return Some(Js { raw, escaped });
                }
                b'\\' => {
                    escaped = true;
                    match *self.b.get(self.i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                        b'u' => {
                            let cp = self.hex4(self.i + 2)?;
                            self.i += 6;
                            if (0xD800..0xDC00).contains(&cp) {
                                if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return None;
                                }
                                let low = self.hex4(self.i + 2)?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return None;
                                }
                                self.i += 6;
                            } else if (0xDC00..0xE000).contains(&cp) {
                                return None;
                            }
                        }
                        _ => return None,
                    }
                }
                c if c < 0x20 => return None,
                _ => self.i += 1,
            }
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.b.get(at..at + 4)?;
        digits.iter().try_fold(0u32, |n, &d| Some(n * 16 + (d as char).to_digit(16)?))
    }
}

// ---- writing ----

/// Writes records; notes (`refused`) anything `prepare_batch` would repair or refuse.
struct Writer {
    /// `,"project_id":"…"`.
    project_piece: Vec<u8>,
    max_string: usize,
    refused: bool,
    clock: Clock,
}

/// `value::rfc3339_micros`, remembering the last second's date and time: the spans of a
/// request mostly start and end within the same few seconds.
#[derive(Default)]
struct Clock {
    second: Option<u64>,
    /// `YYYY-MM-DDTHH:MM:SS.` of `second`.
    prefix: String,
}

impl Clock {
    fn text(&mut self, unix_nanos: u64) -> String {
        let second = unix_nanos / 1_000_000_000;
        if self.second != Some(second) {
            let full = rfc3339_micros(unix_nanos);
            self.prefix.clear();
            self.prefix.push_str(&full[..full.len() - 7]);
            self.second = Some(second);
            return full;
        }
        let micros = (unix_nanos % 1_000_000_000 / 1_000) as u32;
        let mut text = String::with_capacity(self.prefix.len() + 7);
        text.push_str(&self.prefix);
        for k in (0..6).rev() {
            text.push(char::from(b'0' + (micros / 10u32.pow(k) % 10) as u8));
        }
        text.push('Z');
        text
    }
}

impl Writer {
    fn new(project: Uuid, max_string: usize, _body_len: usize) -> Self {
        let mut project_piece = b",\"project_id\":\"".to_vec();
        project_piece.extend_from_slice(format_uuid(project).as_bytes());
        project_piece.push(b'"');
        Writer { project_piece, max_string, refused: false, clock: Clock::default() }
    }

    /// `{"id":"…","project_id":"…"`.
    fn record_head(&self, out: &mut Vec<u8>, id: Uuid) {
        out.extend_from_slice(b"{\"id\":\"");
        out.extend_from_slice(format_uuid(id).as_bytes());
        out.push(b'"');
        out.extend_from_slice(&self.project_piece);
    }

    fn uuid_field(out: &mut Vec<u8>, key: &[u8], id: Uuid) {
        out.extend_from_slice(key);
        out.push(b'"');
        out.extend_from_slice(format_uuid(id).as_bytes());
        out.push(b'"');
    }

    /// A JSON string, escaped as serde_json escapes it.
    fn string(&mut self, out: &mut Vec<u8>, s: &str) {
        let start = out.len();
        out.push(b'"');
        self.escaped(out, s);
        out.push(b'"');
        if out.len() - start - 2 > self.max_string {
            self.refused = true;
        }
    }

    /// The escaped text of `s`, without quotes.
    fn escaped(&mut self, out: &mut Vec<u8>, s: &str) {
        let b = s.as_bytes();
        let mut i = 0;
        loop {
            let run = crate::json::skim(&b[i..]);
            let mut j = i + run;
            // Past what the skim leaves: non-ASCII bytes and a short tail need no escape
            // unless special.
            while j < b.len() && !needs_escape(b[j]) && (b[j] >= 0x80 || j + 16 > b.len()) {
                j += 1;
            }
            out.extend_from_slice(&b[i..j]);
            if j >= b.len() {
                return;
            }
            if needs_escape(b[j]) {
                self.escape_byte(out, b[j]);
                i = j + 1;
            } else {
                i = j;
            }
        }
    }

    fn escape_byte(&mut self, out: &mut Vec<u8>, c: u8) {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                if c == 0 {
                    // PostgreSQL cannot store NUL: `prepare_batch` repairs or refuses it.
                    self.refused = true;
                }
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(c >> 4) as usize]);
                out.push(HEX[(c & 15) as usize]);
            }
        }
    }

    /// A JSON string read from a message: copied as written when it has no escapes.
    fn js(&mut self, out: &mut Vec<u8>, s: &Js) {
        if s.escaped {
            let text = s.decoded();
            self.string(out, &text);
        } else {
            out.push(b'"');
            out.extend_from_slice(s.raw.as_bytes());
            out.push(b'"');
            if s.raw.len() > self.max_string {
                self.refused = true;
            }
        }
    }

    fn jv(&mut self, out: &mut Vec<u8>, v: &Jv) {
        match v {
            Jv::Null => out.extend_from_slice(b"null"),
            Jv::Bool(true) => out.extend_from_slice(b"true"),
            Jv::Bool(false) => out.extend_from_slice(b"false"),
            Jv::Num(n) => out.extend_from_slice(n.as_bytes()),
            Jv::Str(s) => self.js(out, s),
            Jv::Arr(items) => {
                out.push(b'[');
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    self.jv(out, item);
                }
                out.push(b']');
            }
            Jv::Obj(fields) => {
                out.push(b'{');
                for (n, (k, item)) in fields.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    self.string(out, k);
                    out.push(b':');
                    self.jv(out, item);
                }
                out.push(b'}');
            }
        }
    }

    /// An `AnyValue` as `value::AnyJson` writes it (`sorted`: as `value::to_json`, whose
    /// kvlists are sorted maps).
    fn any(&mut self, out: &mut Vec<u8>, v: Option<&AnyValue>, sorted: bool, depth: usize) {
        if depth > MAX_NESTING {
            self.refused = true;
            return;
        }
        let Some(value) = v.and_then(|v| v.value.as_ref()) else {
            out.extend_from_slice(b"null");
            return;
        };
        match value {
            Value::String(s) => self.string(out, s),
            Value::Bool(true) => out.extend_from_slice(b"true"),
            Value::Bool(false) => out.extend_from_slice(b"false"),
            Value::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
            Value::Double(f) if f.is_finite() => double(out, *f),
            Value::Double(f) if f.is_nan() => out.extend_from_slice(b"\"NaN\""),
            Value::Double(f) if *f > 0.0 => out.extend_from_slice(b"\"Infinity\""),
            Value::Double(_) => out.extend_from_slice(b"\"-Infinity\""),
            Value::Bytes(bytes) => {
                use base64::Engine as _;
                let text = base64::engine::general_purpose::STANDARD.encode(bytes);
                self.string(out, &text);
            }
            Value::Array(items) => {
                out.push(b'[');
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    self.any(out, Some(item), sorted, depth + 1);
                }
                out.push(b']');
            }
            Value::Kvlist(pairs) => self.pairs(out, pairs, sorted, depth + 1),
        }
    }

    /// Key-value pairs as an object, a repeated key once with its last value: in their
    /// order (`value::PairsJson`), or sorted by key (`value::attributes_to_json`).
    fn pairs(&mut self, out: &mut Vec<u8>, pairs: &[KeyValue], sorted: bool, depth: usize) {
        let mut keep: Vec<usize> =
            (0..pairs.len()).filter(|&i| !pairs[i + 1..].iter().any(|later| later.key == pairs[i].key)).collect();
        if sorted {
            keep.sort_by(|&x, &y| pairs[x].key.cmp(pairs[y].key));
        }
        out.push(b'{');
        for (n, &i) in keep.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            self.string(out, pairs[i].key);
            out.push(b':');
            self.any(out, pairs[i].value.as_ref(), sorted, depth);
        }
        out.push(b'}');
    }

    fn run(&mut self, out: &mut Vec<u8>, run: &RunOut, acc: &Trace, items: &[Item]) {
        self.record_head(out, run.id);
        Self::uuid_field(out, b",\"session_id\":", run.session_id);
        out.extend_from_slice(b",\"name\":");
        self.string(out, non_empty_name(run.name));
        out.extend_from_slice(b",\"started_at\":\"");
        out.extend_from_slice(run.started_at.as_bytes());
        out.push(b'"');
        let trace_hex = super::value::hex(acc.trace_id);
        match run.root {
            Some(r) => {
                let root = items[r].span;
                if root.end_time_unix_nano != 0 {
                    out.extend_from_slice(b",\"ended_at\":\"");
                    out.extend_from_slice(rfc3339_micros(root.end_time_unix_nano).as_bytes());
                    out.push(b'"');
                }
                self.status(out, root);
                out.extend_from_slice(b",\"metadata\":{");
                if let Some(res) = items[r].resource.filter(|res| !res.attributes.is_empty()) {
                    out.extend_from_slice(b"\"otel.resource\":");
                    self.pairs(out, &res.attributes, true, 1);
                    out.push(b',');
                }
            }
            None => out.extend_from_slice(b",\"status\":\"running\",\"metadata\":{"),
        }
        out.extend_from_slice(b"\"otel.trace_id\":\"");
        out.extend_from_slice(trace_hex.as_bytes());
        out.extend_from_slice(b"\"}}");
    }

    /// `,"status":…` and `,"error":…` of `map::status_and_error` (no exception events
    /// here).
    fn status(&mut self, out: &mut Vec<u8>, s: &b::Span) {
        match s.status.as_ref().filter(|st| st.code == 2) {
            None => out.extend_from_slice(if s.end_time_unix_nano == 0 {
                b",\"status\":\"running\""
            } else {
                b",\"status\":\"ok\""
            }),
            Some(st) => {
                out.extend_from_slice(b",\"status\":\"error\",\"error\":{\"message\":");
                self.string(out, if st.message.is_empty() { "error" } else { st.message });
                out.push(b'}');
            }
        }
    }

    /// The message events of one span (in `out`, after a comma unless first); returns how
    /// many.
    #[allow(clippy::too_many_arguments)]
    fn events(
        &mut self,
        it: &Item,
        msgs: Vec<(Msg, String)>,
        ids: &mut impl Iterator<Item = Uuid>,
        id: Uuid,
        run_text: &str,
        is_root: bool,
        out: &mut Vec<u8>,
    ) -> usize {
        let s = it.span;
        if msgs.is_empty() {
            return 0;
        }
        let kind = span_kind(&s.attributes);
        let id_text = format_uuid(id);
        let start = s.start_time_unix_nano;
        let end = if s.end_time_unix_nano == 0 { start } else { s.end_time_unix_nano };
        let (start_text, end_text) = (self.clock.text(start), self.clock.text(end));
        let count = msgs.len();
        for (n, (m, source)) in msgs.into_iter().enumerate() {
            if out.last() != Some(&b'[') {
                out.push(b',');
            }
            let Some(event_id) = ids.next() else {
                self.refused = true;
                return count;
            };
            let at = (n, event_id, source);
            self.event(out, at, m, kind, is_root, run_text, &id_text, &start_text, &end_text);
        }
        count
    }

    /// Writes one span record.
    fn span(&mut self, it: &Item, id: Uuid, parent: Option<Uuid>, run_text: &str, spans: &mut Vec<u8>) {
        let s = it.span;
        let attrs = &s.attributes[..];
        let kind = span_kind(attrs);
        let id_text = format_uuid(id);
        let used = message_pairs(s);
        let start = s.start_time_unix_nano;
        let end = if s.end_time_unix_nano == 0 { start } else { s.end_time_unix_nano };
        let (start_text, end_text) = (self.clock.text(start), self.clock.text(end));
        spans.extend_from_slice(b"{\"id\":\"");
        spans.extend_from_slice(id_text.as_bytes());
        spans.push(b'"');
        spans.extend_from_slice(&self.project_piece);
        spans.extend_from_slice(b",\"run_id\":\"");
        spans.extend_from_slice(run_text.as_bytes());
        spans.push(b'"');
        if let Some(p) = parent {
            Self::uuid_field(spans, b",\"parent_span_id\":", p);
        }
        spans.extend_from_slice(b",\"kind\":\"");
        spans.extend_from_slice(kind.as_str().as_bytes());
        spans.extend_from_slice(b"\",\"name\":");
        self.string(spans, non_empty_name(s.name));
        spans.extend_from_slice(b",\"started_at\":\"");
        spans.extend_from_slice(start_text.as_bytes());
        spans.push(b'"');
        if s.end_time_unix_nano != 0 {
            spans.extend_from_slice(b",\"ended_at\":\"");
            spans.extend_from_slice(end_text.as_bytes());
            spans.push(b'"');
        }
        self.status(spans, s);
        spans.extend_from_slice(b",\"attributes\":{");
        let mut first = true;
        let mut sep = |out: &mut Vec<u8>| {
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
        };
        for (kv, used) in attrs.iter().zip(&used) {
            if !used {
                sep(spans);
                self.string(spans, kv.key);
                spans.push(b':');
                self.any(spans, kv.value.as_ref(), false, 1);
            }
        }
        self.derived(spans, it, &mut sep);
        if let Some(sc) =
            it.scope.filter(|sc| !sc.name.is_empty() || !sc.version.is_empty() || !sc.attributes.is_empty())
        {
            sep(spans);
            spans.extend_from_slice(b"\"otel.scope\":{");
            let mut inner = true;
            if !sc.name.is_empty() {
                spans.extend_from_slice(b"\"name\":");
                self.string(spans, sc.name);
                inner = false;
            }
            if !sc.version.is_empty() {
                if !inner {
                    spans.push(b',');
                }
                spans.extend_from_slice(b"\"version\":");
                self.string(spans, sc.version);
                inner = false;
            }
            if !sc.attributes.is_empty() {
                if !inner {
                    spans.push(b',');
                }
                spans.extend_from_slice(b"\"attributes\":");
                self.pairs(spans, &sc.attributes, false, 2);
            }
            spans.push(b'}');
        }
        if let Some(r) = it.resource.filter(|r| !r.attributes.is_empty()) {
            sep(spans);
            spans.extend_from_slice(b"\"otel.resource\":");
            self.pairs(spans, &r.attributes, false, 1);
        }
        spans.extend_from_slice(b"}}");
    }

    /// The derived keys (`genai::usage` and `map::otel_facts`), in the sorted order of
    /// their `serde_json::Map`.
    fn derived(&mut self, out: &mut Vec<u8>, it: &Item, sep: &mut impl FnMut(&mut Vec<u8>)) {
        let s = it.span;
        let attrs = &s.attributes[..];
        let count = |keys: &[&str]| keys.iter().find_map(|k| get(attrs, k).and_then(as_count));
        let input = count(&["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt"]);
        let output =
            count(&["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion"]);
        let total = count(&["gen_ai.usage.total_tokens", "llm.usage.total_tokens", "llm.token_count.total"]).or(
            match (input, output) {
                (Some(i), Some(o)) => i.checked_add(o),
                _ => None,
            },
        );
        let cost = ["gen_ai.usage.cost", "llm.cost.total"].iter().find_map(|k| get(attrs, k).and_then(as_number));
        let model = [
            "gen_ai.response.model",
            "gen_ai.request.model",
            "llm.response.model_name",
            "llm.model_name",
            "llm.request.model_name",
            "embedding.model_name",
        ]
        .iter()
        .find_map(|k| get_str(attrs, k));
        let int = |out: &mut Vec<u8>, key: &[u8], n: i64| {
            out.extend_from_slice(key);
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        };
        let hex = |out: &mut Vec<u8>, key: &[u8], bytes: &[u8]| {
            out.extend_from_slice(key);
            out.push(b'"');
            out.extend_from_slice(super::value::hex(bytes).as_bytes());
            out.push(b'"');
        };
        if let Some(c) = cost {
            sep(out);
            out.extend_from_slice(b"\"cost_usd\":");
            double(out, c);
        }
        if let Some(n) = input {
            sep(out);
            int(out, b"\"input_tokens\":", n);
        }
        if let Some(m) = model {
            sep(out);
            out.extend_from_slice(b"\"model\":");
            self.string(out, m);
        }
        for (key, n) in [
            (&b"\"otel.dropped_attributes_count\":"[..], s.dropped_attributes_count),
            (b"\"otel.dropped_events_count\":", s.dropped_events_count),
            (b"\"otel.dropped_links_count\":", s.dropped_links_count),
        ] {
            if n != 0 {
                sep(out);
                int(out, key, i64::from(n));
            }
        }
        if has_parent_id(s.parent_span_id) {
            sep(out);
            hex(out, b"\"otel.parent_span_id\":", s.parent_span_id);
        }
        sep(out);
        hex(out, b"\"otel.span_id\":", s.span_id);
        if let Some(kind) = usize::try_from(s.kind).ok().and_then(|k| SPAN_KINDS.get(k)).filter(|_| s.kind != 0) {
            sep(out);
            out.extend_from_slice(b"\"otel.span_kind\":\"");
            out.extend_from_slice(kind.as_bytes());
            out.push(b'"');
        }
        if let Some(st) = s.status.as_ref().filter(|st| !st.message.is_empty()) {
            sep(out);
            out.extend_from_slice(b"\"otel.status_message\":");
            self.string(out, st.message);
        }
        sep(out);
        hex(out, b"\"otel.trace_id\":", s.trace_id);
        if !s.trace_state.is_empty() {
            sep(out);
            out.extend_from_slice(b"\"otel.trace_state\":");
            self.string(out, s.trace_state);
        }
        if let Some(n) = output {
            sep(out);
            int(out, b"\"output_tokens\":", n);
        }
        if let Some(n) = total {
            sep(out);
            int(out, b"\"total_tokens\":", n);
        }
    }

    /// One message event, as `map::map_span` writes it.
    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        out: &mut Vec<u8>,
        (n, id, source): (usize, Uuid, String),
        m: Msg,
        kind: Kind,
        is_root: bool,
        run_text: &str,
        span_text: &str,
        start_text: &str,
        end_text: &str,
    ) {
        let (type_word, direction) = {
            let (explicit, role, direction) = match &m {
                Msg::Fast(f) => (f.explicit, f.role.as_deref(), f.direction),
                Msg::Ref(r) => (r.explicit, r.role.as_deref(), r.direction),
            };
            (event_type_of(explicit, role, direction, kind, is_root), direction)
        };
        self.record_head(out, id);
        out.extend_from_slice(b",\"run_id\":\"");
        out.extend_from_slice(run_text.as_bytes());
        out.extend_from_slice(b"\",\"span_id\":\"");
        out.extend_from_slice(span_text.as_bytes());
        out.extend_from_slice(b"\",\"type\":\"");
        out.extend_from_slice(type_word.as_bytes());
        out.extend_from_slice(b"\",\"created_at\":\"");
        let time = match &m {
            Msg::Ref(r) if r.time_unix_nano.is_some_and(|t| t != 0) => {
                Cow::Owned(rfc3339_micros(r.time_unix_nano.unwrap_or(0)))
            }
            _ if direction == Direction::Input => Cow::Borrowed(start_text),
            _ => Cow::Borrowed(end_text),
        };
        out.extend_from_slice(time.as_bytes());
        out.extend_from_slice(b"\",\"content\":");
        match m {
            Msg::Fast(f) => {
                match &f.content {
                    Content::Json(v) => self.jv(out, v),
                    Content::Text(t) => self.string(out, t),
                    Content::Parts(texts) => {
                        let at = out.len();
                        out.push(b'"');
                        for (k, t) in texts.iter().enumerate() {
                            if k > 0 {
                                out.extend_from_slice(b"\\n");
                            }
                            if t.escaped {
                                self.escaped(out, &t.decoded());
                            } else {
                                out.extend_from_slice(t.raw.as_bytes());
                            }
                        }
                        out.push(b'"');
                        if out.len() - at - 2 > self.max_string {
                            self.refused = true;
                        }
                    }
                }
                // The attributes: the fixed keys, then the message's own (which win).
                enum A<'x, 'a> {
                    Index(usize),
                    Source,
                    Role(&'x str),
                    Extra(&'x Jv<'a>),
                }
                let mut keys: Vec<(&str, A)> = vec![("otel.source", A::Source), ("otel.index", A::Index(n))];
                if let Some(r) = f.role.as_deref() {
                    keys.push(("role", A::Role(r)));
                }
                keys.extend(f.extra.iter().map(|(k, v)| (&**k, A::Extra(v))));
                keys.sort_by(|x, y| x.0.cmp(y.0));
                out.extend_from_slice(b",\"attributes\":{");
                let mut first = true;
                for (k, (key, a)) in keys.iter().enumerate() {
                    if keys.get(k + 1).is_some_and(|next| next.0 == *key) {
                        continue;
                    }
                    if !std::mem::take(&mut first) {
                        out.push(b',');
                    }
                    self.string(out, key);
                    out.push(b':');
                    match a {
                        A::Index(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
                        A::Source => self.string(out, &source),
                        A::Role(r) => self.string(out, r),
                        A::Extra(v) => self.jv(out, v),
                    }
                }
                out.extend_from_slice(b"}}");
            }
            Msg::Ref(mut r) => {
                let at = out.len();
                let attributes = r.take_event_attributes(n);
                if serde_json::to_writer(&mut *out, &r.content).is_err() {
                    self.refused = true;
                }
                out.extend_from_slice(b",\"attributes\":");
                if serde_json::to_writer(&mut *out, &attributes).is_err() {
                    self.refused = true;
                }
                out.push(b'}');
                // What serde_json wrote is not checked string by string: a NUL, or any
                // stretch long enough to hold an over-long string, goes to the reference.
                let written = &out[at..];
                if written.len() > self.max_string || written.windows(6).any(|w| w == b"\\u0000") {
                    self.refused = true;
                }
            }
        }
    }
}

/// A message event's `otel.source` (`gen_ai.input.messages[0]`), which its id hashes.
fn event_source(m: &Msg) -> String {
    match m {
        Msg::Fast(f) => match f.index {
            None => f.source.to_string(),
            Some(i) => {
                let mut text = String::with_capacity(f.source.len() + 6);
                text.push_str(&f.source);
                text.push('[');
                text.push_str(itoa::Buffer::new().format(i));
                text.push(']');
                text
            }
        },
        Msg::Ref(r) => r.source.clone(),
    }
}

/// A finite double as serde_json writes it (`1.5e+300`, not ryu's `1.5e300`).
fn double(out: &mut Vec<u8>, f: f64) {
    if serde_json::to_writer(&mut *out, &f).is_err() {
        out.extend_from_slice(b"null");
    }
}

/// A control character, `"` or `\`.
#[inline(always)]
fn needs_escape(c: u8) -> bool {
    c < 0x20 || c == b'"' || c == b'\\'
}
