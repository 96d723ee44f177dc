//! OTLP spans → NorthStar records: one run per trace, a session per conversation (or per
//! trace), spans with their kind, status, usage and attributes, messages as events,
//! evaluation results as scores and prompt attributes as prompt links. The records are
//! written as a NorthStar batch body, which `prepare_batch` then checks and prepares like
//! any SDK batch; each record remembers which OTLP spans it came from, so a record the
//! rules refuse costs only those spans.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::attrs::{normal_role, Attrs, Direction, Explicit, Message};
use super::value::{
    as_number, attributes_to_json, derive_id, hex, parse_json_text, rfc3339_micros, to_json, AnyJson, PairsJson,
};
use super::wire::{InstrumentationScope, KeyValue, Resource, Span};
use super::{genai, openinference, traceloop, Kind};
use crate::formats::parse_uuid;

/// One span of the request with what it was sent with.
pub struct SpanRef<'a> {
    pub resource: Option<&'a Resource>,
    pub scope: Option<&'a InstrumentationScope>,
    pub span: &'a Span,
}

/// A NorthStar batch body made from OTLP spans, and for each record of each list (in the
/// order of `crate::json::LIST_NAMES`) the indexes of the OTLP spans it came from.
pub struct MappedBatch {
    pub body: Vec<u8>,
    pub sources: [Vec<Vec<usize>>; 6],
    /// JSON text: per run, whether this request held the trace's root span and how sure
    /// the run's session is (see `TraceRun`).
    pub trace_runs: String,
}

/// What the database needs to merge a run written from several requests in any order.
#[derive(Serialize)]
pub struct TraceRun {
    pub id: String,
    /// The request held the root span: `name`, `started_at`, `ended_at`, `status` and
    /// `error` are the trace's own and replace whatever a request without the root wrote.
    /// Otherwise they are provisional: the earliest span's start and name, no end, status
    /// `running`.
    pub has_root: bool,
    /// 2: the session comes from the root span's attributes (final); 1: from another
    /// span's (among those, the smallest session id wins); 0: no span named one, the
    /// trace's own session.
    pub session_rank: u8,
}

#[derive(Serialize)]
struct SessionOut {
    id: String,
    created_at: String,
    metadata: Map<String, Json>,
}

#[derive(Serialize)]
struct RunOut<'a> {
    id: String,
    session_id: String,
    name: &'a str,
    started_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_at: Option<String>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Json>,
    metadata: Map<String, Json>,
}

#[derive(Serialize)]
struct SpanOut<'a> {
    id: String,
    run_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<String>,
    kind: &'static str,
    name: &'a str,
    started_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_at: Option<String>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Json>,
    attributes: SpanAttributes<'a>,
}

/// A span's stored attributes, written straight from the OTLP values: the attributes not
/// turned into messages (keys as sent), then the derived keys (usage, `otel.*`), which win
/// over a sent attribute of the same name.
struct SpanAttributes<'a> {
    sent: Vec<&'a KeyValue>,
    derived: Map<String, Json>,
    scope: Option<&'a InstrumentationScope>,
    resource: Option<&'a Resource>,
}

impl Serialize for SpanAttributes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let scope = self.scope.filter(|sc| !sc.name.is_empty() || !sc.version.is_empty() || !sc.attributes.is_empty());
        let resource = self.resource.filter(|r| !r.attributes.is_empty());
        let reserved = |k: &str| {
            self.derived.contains_key(k)
                || (k == "otel.scope" && scope.is_some())
                || (k == "otel.resource" && resource.is_some())
        };
        let mut map = s.serialize_map(None)?;
        for kv in self.sent.iter().filter(|kv| !reserved(&kv.key)) {
            map.serialize_entry(&kv.key, &kv.value.as_ref().map(AnyJson))?;
        }
        for (k, v) in &self.derived {
            map.serialize_entry(k, v)?;
        }
        if let Some(sc) = scope {
            map.serialize_entry("otel.scope", &ScopeJson(sc))?;
        }
        if let Some(r) = resource {
            map.serialize_entry("otel.resource", &PairsJson(&r.attributes))?;
        }
        map.end()
    }
}

/// `{name, version, attributes}` of an instrumentation scope, empty parts left out.
struct ScopeJson<'a>(&'a InstrumentationScope);

impl Serialize for ScopeJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let sc = self.0;
        let mut map = s.serialize_map(None)?;
        if !sc.name.is_empty() {
            map.serialize_entry("name", &sc.name)?;
        }
        if !sc.version.is_empty() {
            map.serialize_entry("version", &sc.version)?;
        }
        if !sc.attributes.is_empty() {
            map.serialize_entry("attributes", &PairsJson(&sc.attributes))?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct EventOut {
    id: String,
    run_id: String,
    span_id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    created_at: String,
    content: Json,
    attributes: Map<String, Json>,
}

#[derive(Serialize)]
struct PromptLinkOut {
    trace_id: String,
    span_id: String,
    prompt_version_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    variable_values: Option<Map<String, Json>>,
}

#[derive(Serialize)]
struct ScoreOut {
    id: String,
    trace_id: String,
    span_id: String,
    name: String,
    value: f64,
    data_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    string_value: Option<String>,
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    created_at: String,
}

#[derive(Serialize)]
struct BodyOut<'a> {
    schema_version: u8,
    sessions: Vec<SessionOut>,
    runs: Vec<RunOut<'a>>,
    spans: Vec<SpanOut<'a>>,
    events: Vec<EventOut>,
    prompt_links: Vec<PromptLinkOut>,
    scores: Vec<ScoreOut>,
}

/// The attribute keys that name a conversation, in order of preference.
pub const SESSION_KEYS: [&str; 3] = ["session.id", "gen_ai.conversation.id", "langfuse.session.id"];

/// What one trace's spans in this request say about its run.
struct TraceAcc<'a> {
    trace_id: &'a [u8],
    spans: Vec<usize>,
    root: Option<usize>,
    /// (start, name) of the earliest span, for a run written without its root.
    earliest: Option<(u64, &'a str)>,
    /// (rank, session id, the attribute's value).
    session: Option<(u8, Uuid, &'a str)>,
}

/// Maps the spans listed in `alive` (indexes into `spans`) to a NorthStar batch body.
pub fn map_spans(spans: &[SpanRef], alive: &[usize], project: Uuid) -> MappedBatch {
    // One run per trace, in order of first appearance.
    let mut traces: Vec<TraceAcc> = Vec::new();
    let mut trace_of: HashMap<&[u8], usize> = HashMap::new();
    for &i in alive {
        let s = spans[i].span;
        let t = *trace_of.entry(&s.trace_id[..]).or_insert_with(|| {
            traces.push(TraceAcc {
                trace_id: &s.trace_id,
                spans: Vec::new(),
                root: None,
                earliest: None,
                session: None,
            });
            traces.len() - 1
        });
        let acc = &mut traces[t];
        acc.spans.push(i);
        let is_root = !has_parent(s);
        if is_root && acc.root.is_none() {
            acc.root = Some(i);
        }
        let here = (s.start_time_unix_nano, s.name.as_str());
        if acc.earliest.map_or(true, |e| here < e) {
            acc.earliest = Some(here);
        }
        if let Some(value) = session_value(&spans[i]) {
            let candidate = (if is_root { 2 } else { 1 }, derive_id(project, "session", &[value.as_bytes()]), value);
            let better = match acc.session {
                None => true,
                Some((rank, id, _)) => candidate.0 > rank || (candidate.0 == rank && candidate.1 < id),
            };
            if better {
                acc.session = Some(candidate);
            }
        }
    }

    let mut body = BodyOut {
        schema_version: 2,
        sessions: Vec::new(),
        runs: Vec::new(),
        spans: Vec::new(),
        events: Vec::new(),
        prompt_links: Vec::new(),
        scores: Vec::new(),
    };
    let mut sources: [Vec<Vec<usize>>; 6] = Default::default();
    let mut trace_runs = Vec::with_capacity(traces.len());
    let mut session_index: HashMap<Uuid, usize> = HashMap::new();

    for acc in &traces {
        let run_id = derive_id(project, "run", &[acc.trace_id]);
        let run_text = run_id.to_string();
        let (session_id, session_rank, session_meta) = match acc.session {
            Some((rank, id, value)) => (id, rank, ("otel.session.id", value.to_owned())),
            None => (derive_id(project, "trace-session", &[acc.trace_id]), 0, ("otel.trace_id", hex(acc.trace_id))),
        };
        let (start, name) = match acc.root {
            Some(r) => (spans[r].span.start_time_unix_nano, spans[r].span.name.as_str()),
            None => acc.earliest.unwrap_or((0, "")),
        };
        let started_at = rfc3339_micros(start);
        match session_index.get(&session_id) {
            Some(&k) => {
                if started_at < body.sessions[k].created_at {
                    body.sessions[k].created_at = started_at.clone();
                }
                sources[0][k].extend(&acc.spans);
            }
            None => {
                session_index.insert(session_id, body.sessions.len());
                let mut metadata = Map::new();
                metadata.insert(session_meta.0.into(), Json::String(session_meta.1));
                body.sessions.push(SessionOut { id: session_id.to_string(), created_at: started_at.clone(), metadata });
                sources[0].push(acc.spans.clone());
            }
        }
        let mut metadata = Map::new();
        metadata.insert("otel.trace_id".into(), Json::String(hex(acc.trace_id)));
        let run = match acc.root {
            Some(r) => {
                let root = spans[r].span;
                let (status, error) = status_and_error(root);
                if let Some(res) = spans[r].resource.filter(|res| !res.attributes.is_empty()) {
                    metadata.insert("otel.resource".into(), Json::Object(attributes_to_json(&res.attributes)));
                }
                RunOut {
                    id: run_text.clone(),
                    session_id: session_id.to_string(),
                    name: non_empty_name(name),
                    started_at,
                    ended_at: end_time(root),
                    status,
                    error,
                    metadata,
                }
            }
            None => RunOut {
                id: run_text.clone(),
                session_id: session_id.to_string(),
                name: non_empty_name(name),
                started_at,
                ended_at: None,
                status: "running",
                error: None,
                metadata,
            },
        };
        body.runs.push(run);
        // The root first: a repair of the run (its name, its resource) is reported at the span
        // the run was made from.
        let mut run_sources = acc.spans.clone();
        if let Some(at) = acc.root.and_then(|r| run_sources.iter().position(|&k| k == r)) {
            run_sources[..=at].rotate_right(1);
        }
        sources[1].push(run_sources);
        trace_runs.push(TraceRun { id: run_text.clone(), has_root: acc.root.is_some(), session_rank });

        for &i in &acc.spans {
            map_span(&spans[i], i, project, &run_text, acc.root == Some(i), &mut body, &mut sources);
        }
    }

    let mut text = Vec::with_capacity(1024);
    // Serialising plain structs and serde_json values cannot fail.
    if serde_json::to_writer(&mut text, &body).is_err() {
        text.clear();
    }
    let trace_runs = serde_json::to_string(&trace_runs).unwrap_or_else(|_| "[]".into());
    MappedBatch { body: text, sources, trace_runs }
}

/// The conversation a span names: its own attributes first, then its resource's.
fn session_value<'a>(s: &SpanRef<'a>) -> Option<&'a str> {
    let from = |pairs: &'a [super::wire::KeyValue]| {
        SESSION_KEYS.iter().find_map(|k| {
            pairs
                .iter()
                .rev()
                .find(|kv| kv.key == *k)
                .and_then(|kv| kv.value.as_ref())
                .and_then(super::value::as_str)
                .filter(|v| !v.is_empty())
        })
    };
    from(&s.span.attributes).or_else(|| s.resource.and_then(|r| from(&r.attributes)))
}

/// A root span has no parent id (empty, or all zeros as some exporters write it).
fn has_parent(s: &Span) -> bool {
    has_parent_id(&s.parent_span_id)
}

/// A parent id that names a parent (not empty, not all zeros).
pub(super) fn has_parent_id(id: &[u8]) -> bool {
    id.iter().any(|&b| b != 0)
}

/// OTel requires a span name; NorthStar requires a non-empty one.
pub(super) fn non_empty_name(name: &str) -> &str {
    if name.is_empty() {
        "(unnamed span)"
    } else {
        name
    }
}

fn end_time(s: &Span) -> Option<String> {
    (s.end_time_unix_nano != 0).then(|| rfc3339_micros(s.end_time_unix_nano))
}

/// `error` when the OTLP status is ERROR (2) or an `exception` event says the exception
/// escaped the span; `ok` otherwise for an ended span, `running` for one without an end.
/// The error object carries the status message and the last exception's type, message
/// and stack trace.
fn status_and_error(s: &Span) -> (&'static str, Option<Json>) {
    let status_error = s.status.as_ref().is_some_and(|st| st.code == 2);
    let exception = s.events.iter().rev().find(|e| e.name == "exception");
    let escaped = exception.is_some_and(|e| {
        Attrs::new(&e.attributes)
            .get("exception.escaped")
            .is_some_and(|v| matches!(v.value, Some(super::wire::Value::Bool(true))))
    });
    if !status_error && !escaped {
        return (if s.end_time_unix_nano == 0 { "running" } else { "ok" }, None);
    }
    let mut error = Map::new();
    if let Some(e) = exception {
        let attrs = Attrs::new(&e.attributes);
        for (key, name) in
            [("exception.type", "type"), ("exception.message", "message"), ("exception.stacktrace", "stacktrace")]
        {
            if let Some(v) = attrs.get(key) {
                error.insert(name.into(), to_json(v));
            }
        }
    }
    if let Some(st) = s.status.as_ref().filter(|st| !st.message.is_empty()) {
        error.insert("message".into(), Json::String(st.message.clone()));
    }
    if !error.contains_key("message") {
        error.insert("message".into(), Json::String("error".into()));
    }
    ("error", Some(Json::Object(error)))
}

pub(super) const SPAN_KINDS: [&str; 6] = ["unspecified", "internal", "server", "client", "producer", "consumer"];

#[allow(clippy::too_many_arguments)]
fn map_span<'a>(
    sr: &SpanRef<'a>,
    index: usize,
    project: Uuid,
    run_text: &str,
    is_root: bool,
    body: &mut BodyOut<'a>,
    sources: &mut [Vec<Vec<usize>>; 6],
) {
    let s: &'a Span = sr.span;
    let span_id = derive_id(project, "span", &[&s.trace_id, &s.span_id]);
    let span_text = span_id.to_string();
    let mut attrs = Attrs::new(&s.attributes);
    let kind = genai::kind(&attrs)
        .or_else(|| openinference::kind(&attrs))
        .or_else(|| traceloop::kind(&attrs))
        .unwrap_or(Kind::Custom);

    let mut messages: Vec<Message> = Vec::new();
    genai::attribute_messages(&mut attrs, &mut messages);
    openinference::attribute_messages(&mut attrs, &mut messages);
    traceloop::attribute_messages(&mut attrs, &mut messages);
    for direction in [Direction::Input, Direction::Output] {
        if !messages.iter().any(|m| m.direction == direction) {
            if let Some(m) =
                openinference::payload(&mut attrs, direction).or_else(|| traceloop::payload(&mut attrs, direction))
            {
                messages.push(m);
            }
        }
    }

    let mut other_events = Vec::new();
    for (e, event) in s.events.iter().enumerate() {
        if event.name == "gen_ai.evaluation.result" {
            if let Some(score) = evaluation_score(project, s, e, event, run_text, &span_text) {
                body.scores.push(score);
                sources[5].push(vec![index]);
                continue;
            }
        }
        match genai::event_messages(e, event) {
            Some(found) => messages.extend(found),
            None => other_events.push(e),
        }
    }

    let start = s.start_time_unix_nano;
    let end = if s.end_time_unix_nano == 0 { start } else { s.end_time_unix_nano };
    for (n, mut m) in messages.into_iter().enumerate() {
        let kind_word = event_type(&m, kind, is_root);
        let time = m.time_unix_nano.filter(|&t| t != 0).unwrap_or(match m.direction {
            Direction::Input => start,
            Direction::Output => end,
        });
        let attributes = m.take_event_attributes(n);
        body.events.push(EventOut {
            id: derive_id(project, "event", &[&s.trace_id, &s.span_id, m.source.as_bytes()]).to_string(),
            run_id: run_text.to_owned(),
            span_id: span_text.clone(),
            kind: kind_word,
            created_at: rfc3339_micros(time),
            content: m.content,
            attributes,
        });
        sources[3].push(vec![index]);
    }
    for e in other_events {
        let event = &s.events[e];
        let mut attributes = Map::new();
        attributes.insert("otel.source".into(), Json::String(format!("event[{e}]")));
        attributes.insert("otel.event.name".into(), Json::String(event.name.clone()));
        if event.dropped_attributes_count != 0 {
            attributes.insert("otel.dropped_attributes_count".into(), Json::from(event.dropped_attributes_count));
        }
        body.events.push(EventOut {
            id: derive_id(project, "event", &[&s.trace_id, &s.span_id, format!("event[{e}]").as_bytes()]).to_string(),
            run_id: run_text.to_owned(),
            span_id: span_text.clone(),
            kind: "custom",
            created_at: rfc3339_micros(if event.time_unix_nano == 0 { start } else { event.time_unix_nano }),
            content: Json::Object(attributes_to_json(&event.attributes)),
            attributes,
        });
        sources[3].push(vec![index]);
    }

    if let Some(link) = prompt_link(&attrs, run_text, &span_text) {
        body.prompt_links.push(link);
        sources[4].push(vec![index]);
    }

    let mut derived = Map::new();
    genai::usage(&attrs, &mut derived);
    otel_facts(sr, &mut derived);
    let attributes =
        SpanAttributes { sent: attrs.remaining().collect(), derived, scope: sr.scope, resource: sr.resource };
    let (status, error) = status_and_error(s);
    let parent_span_id =
        has_parent(s).then(|| derive_id(project, "span", &[&s.trace_id, &s.parent_span_id]).to_string());
    body.spans.push(SpanOut {
        id: span_text,
        run_id: run_text.to_owned(),
        parent_span_id,
        kind: kind.as_str(),
        name: non_empty_name(&s.name),
        started_at: rfc3339_micros(start),
        ended_at: end_time(s),
        status,
        error,
        attributes,
    });
    sources[2].push(vec![index]);
}

/// The NorthStar event type of a message: the convention's explicit type, else its role,
/// else what a payload of this kind of span is.
fn event_type(m: &Message, kind: Kind, is_root: bool) -> &'static str {
    event_type_of(m.explicit, m.role.as_deref(), m.direction, kind, is_root)
}

/// [`event_type`] from the parts of a message it reads (shared with the fast path).
pub(super) fn event_type_of(
    explicit: Option<Explicit>,
    role: Option<&str>,
    direction: Direction,
    kind: Kind,
    is_root: bool,
) -> &'static str {
    match explicit {
        Some(Explicit::ToolArguments) => return "tool_arguments",
        Some(Explicit::ToolResult) => return "tool_result",
        None => {}
    }
    let agentish = kind == Kind::Agent || is_root;
    if let Some(role) = role {
        return match normal_role(role) {
            "system" => "system_message",
            "user" => "user_input",
            "assistant" if direction == Direction::Output && agentish && kind != Kind::Model => "final_response",
            "assistant" => "assistant_message",
            "tool" => "tool_result",
            _ => "custom",
        };
    }
    match (kind, direction) {
        (Kind::Tool, Direction::Input) => "tool_arguments",
        (Kind::Tool, Direction::Output) => "tool_result",
        (Kind::Model, Direction::Input) => "user_input",
        (Kind::Model, Direction::Output) => "assistant_message",
        (_, Direction::Input) if agentish => "user_input",
        (_, Direction::Output) if agentish => "final_response",
        _ => "custom",
    }
}

/// The OTLP facts NorthStar has no column for, kept in the span's attributes.
fn otel_facts(sr: &SpanRef, into: &mut Map<String, Json>) {
    let s = sr.span;
    into.insert("otel.trace_id".into(), Json::String(hex(&s.trace_id)));
    into.insert("otel.span_id".into(), Json::String(hex(&s.span_id)));
    if has_parent(s) {
        into.insert("otel.parent_span_id".into(), Json::String(hex(&s.parent_span_id)));
    }
    if let Some(kind) = usize::try_from(s.kind).ok().and_then(|k| SPAN_KINDS.get(k)).filter(|_| s.kind != 0) {
        into.insert("otel.span_kind".into(), Json::String((*kind).into()));
    }
    if !s.trace_state.is_empty() {
        into.insert("otel.trace_state".into(), Json::String(s.trace_state.clone()));
    }
    if let Some(st) = s.status.as_ref().filter(|st| !st.message.is_empty()) {
        into.insert("otel.status_message".into(), Json::String(st.message.clone()));
    }
    if !s.links.is_empty() {
        let links = s
            .links
            .iter()
            .map(|l| {
                let mut o = Map::new();
                o.insert("trace_id".into(), Json::String(hex(&l.trace_id)));
                o.insert("span_id".into(), Json::String(hex(&l.span_id)));
                if !l.trace_state.is_empty() {
                    o.insert("trace_state".into(), Json::String(l.trace_state.clone()));
                }
                if !l.attributes.is_empty() {
                    o.insert("attributes".into(), Json::Object(attributes_to_json(&l.attributes)));
                }
                Json::Object(o)
            })
            .collect();
        into.insert("otel.links".into(), Json::Array(links));
    }
    for (key, n) in [
        ("otel.dropped_attributes_count", s.dropped_attributes_count),
        ("otel.dropped_events_count", s.dropped_events_count),
        ("otel.dropped_links_count", s.dropped_links_count),
    ] {
        if n != 0 {
            into.insert(key.into(), Json::from(n));
        }
    }
}

/// The prompt version a span used: `northstar.prompt.version_id`, or OpenInference's
/// `prompt.id` when it is a UUID (and `prompt.vendor` is absent or `northstar`); the
/// variables from `northstar.prompt.variables` or OpenInference's
/// `llm.prompt_template.variables` (a JSON object text or a kvlist).
fn prompt_link(attrs: &Attrs, run_text: &str, span_text: &str) -> Option<PromptLinkOut> {
    let vendor_ok = attrs.str("prompt.vendor").map_or(true, |v| v.eq_ignore_ascii_case("northstar"));
    let version = attrs
        .str("northstar.prompt.version_id")
        .and_then(parse_uuid)
        .or_else(|| attrs.str("prompt.id").filter(|_| vendor_ok).and_then(parse_uuid))?;
    let variables = ["northstar.prompt.variables", "llm.prompt_template.variables"].iter().find_map(|k| {
        let v = attrs.get(k)?;
        match super::value::as_str(v).map_or_else(|| Some(to_json(v)), parse_json_text) {
            Some(Json::Object(o)) => Some(o),
            _ => None,
        }
    });
    Some(PromptLinkOut {
        trace_id: run_text.to_owned(),
        span_id: span_text.to_owned(),
        prompt_version_id: version.to_string(),
        variable_values: variables,
    })
}

/// A `gen_ai.evaluation.result` event as a score: numeric when it has
/// `gen_ai.evaluation.score.value` (its label, if any, goes into the comment with the
/// explanation), categorical with value 0 when it has only a label. An event without a
/// name, or with neither value nor label, stays a custom event.
fn evaluation_score(
    project: Uuid,
    s: &Span,
    e: usize,
    event: &super::wire::SpanEvent,
    run_text: &str,
    span_text: &str,
) -> Option<ScoreOut> {
    let attrs = Attrs::new(&event.attributes);
    let name = attrs.str("gen_ai.evaluation.name")?.trim();
    if name.is_empty() {
        return None;
    }
    let value = attrs.get("gen_ai.evaluation.score.value").and_then(as_number);
    let label = attrs.str("gen_ai.evaluation.score.label").map(str::trim).filter(|l| !l.is_empty());
    let explanation = attrs.str("gen_ai.evaluation.explanation");
    let (value, data_type, string_value, comment) = match (value, label) {
        (Some(v), label) => {
            let comment = match (label, explanation) {
                (Some(l), Some(x)) => Some(format!("{l}: {x}")),
                (Some(l), None) => Some(l.to_owned()),
                (None, x) => x.map(str::to_owned),
            };
            (v, "numeric", None, comment)
        }
        (None, Some(l)) => (0.0, "categorical", Some(l.to_owned()), explanation.map(str::to_owned)),
        (None, None) => return None,
    };
    let time = if event.time_unix_nano == 0 { s.start_time_unix_nano } else { event.time_unix_nano };
    Some(ScoreOut {
        id: derive_id(project, "score", &[&s.trace_id, &s.span_id, format!("event[{e}]").as_bytes()]).to_string(),
        trace_id: run_text.to_owned(),
        span_id: span_text.to_owned(),
        name: name.to_owned(),
        value,
        data_type,
        string_value,
        source: "api",
        comment,
        created_at: rfc3339_micros(time),
    })
}
