//! Random OTLP trace exports for the fast path's differential test (`tests/otlp_fast.rs`)
//! and the fuzzer (`examples/fuzz.rs`): GenAI traces (agent → chat → tool, children
//! first), clean or damaged (escapes, NUL, unicode, JSON and non-JSON message texts,
//! numbers of every shape, duplicate and orphan spans, bad ids, events, links, nested
//! values), byte-level mutations, odd limits, and the comparison of the fast path with
//! the reference.
#![allow(dead_code)]

use northstar_core::otlp::wire::{
    AnyValue, ArrayValue, ExportTraceServiceRequest, InstrumentationScope, KeyValue, KeyValueList, Resource,
    ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, Status, Value,
};
use northstar_core::otlp::{borrowed, prepare_otlp_reference, prepare_protobuf_fast};
use northstar_core::Limits;
use prost::Message as _;
use uuid::Uuid;

pub const PROJECT: Uuid = Uuid::from_u128(0x7b89_7f13_dad3_41d8_945b_9435_8423_ab85);

/// xorshift64*, seeded, so a failure reproduces.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    pub fn pick<'s, T>(&mut self, items: &'s [T]) -> &'s T {
        &items[self.below(items.len())]
    }
}

/// Plain strings, with what needs escaping or repairing.
pub const TEXTS: &[&str] = &[
    "",
    "plain text",
    "research-agent",
    "with \"quotes\" and \\ backslash",
    "tab\tnew\nline\rcr\u{8}\u{c}",
    "ctrl \u{1}\u{1f} del \u{7f}",
    "nul \u{0} inside",
    "unicode é ü 漢字 😀 \u{2028}",
    "  leading space",
    "0",
    "12",
    " 7 ",
    "1e3",
    "-5",
];

/// Message attribute texts: JSON of every shape, and texts that only look like it.
pub const JSON_TEXTS: &[&str] = &[
    r#"[{"role":"system","parts":[{"type":"text","content":"You are a research agent."}]},{"role":"user","parts":[{"type":"text","content":"what is the weather"}]}]"#,
    r#"[{"role":"assistant","parts":[{"type":"text","content":"sunny"}],"finish_reason":"stop"}]"#,
    r#"[{"role":"assistant","parts":[{"type":"tool_call","id":"c1","name":"search","arguments":{"q":"x"}}]}]"#,
    r#"[{"role":"user","content":"plain content"},{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]"#,
    r#"{"role":"assistant","content":"one message","finish_reason":"length"}"#,
    r#"  [ {"role" : "tool" , "parts" : [ "x" , {"text":"y"} ] } ]  "#,
    "\u{a0}[{\"role\":\"user\",\"parts\":[]}]",
    r#"[{"role":5,"parts":[{"type":"text","content":"role is a number"}]}]"#,
    r#"[{"parts":[{"type":"text","content":"no role"}],"role":null}]"#,
    r#"[{"role":"user","parts":[{"type":"text","content":"a"},{"type":"text","content":"b\nc \"q\" \\ \/ \u00e9 \ud83d\ude00 \u0007"}]}]"#,
    r#"[{"role":"user","parts":[{"type":"text","content":"nul \u0000"}]}]"#,
    r#"[{"role":"user","parts":[{"type":"text","content":"lone \ud800"}]}]"#,
    r#"[{"role":"user","parts":[{"type":7,"content":"type not a string"}]}]"#,
    r#"[{"role":"user","parts":[{"type":"text","content":5}]}]"#,
    r#"[{"role":"user","parts":[{"type":"text"}]}]"#,
    r#"[{"role":"user","parts":[{"type":"image","url":"u"}]}]"#,
    r#"{"b":1,"a":2,"a":3,"c":{"z":[1,-2,0,true,false,null],"y":"\u00e9"}}"#,
    r#"{"query":"weather in paris","limit":5}"#,
    r#"{"results":["one","two"],"score":0.5}"#,
    r#"[1, 2.5, -0, 1e3, 12345678901234567890, -9223372036854775808, 0.1]"#,
    r#"{"k":"\u00e9\n\"\\/"}"#,
    r#"{"a\"b":1,"a":2,"A":3,"é":4,"\u00e8":5}"#,
    r#"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"#,
    "[unclosed",
    r#"{"a":1} trailing"#,
    r#"{"a":01}"#,
    "{\"raw\ttab\":1}",
    r#"{"otel.source":"overridden","otel.index":9,"role":"x"}"#,
    r#"[{"role":"user","parts":[{"type":"text","content":"x"}],"otel.source":"mine"}]"#,
    r#"[]"#,
    r#"{}"#,
    "not json at all",
    "\"a quoted string\"",
    "42",
];

pub const KEYS: &[&str] = &[
    "gen_ai.operation.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.total_tokens",
    "gen_ai.usage.prompt_tokens",
    "gen_ai.usage.cost",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.conversation.id",
    "session.id",
    "langfuse.session.id",
    "gen_ai.request.temperature",
    "gen_ai.response.finish_reasons",
    "gen_ai.agent.name",
    "gen_ai.tool.name",
    "service.name",
    "custom.key",
    "with \"quote\" key",
    "",
    "é key",
    "model",
    "otel.scope",
    "llm.token_count.prompt",
    "input.value",
    "openinference.span.kind",
    "traceloop.span.kind",
    "gen_ai.prompt.0.content",
    "northstar.prompt.version_id",
];

pub const OPERATIONS: &[&str] = &[
    "chat",
    "text_completion",
    "generate_content",
    "embeddings",
    "execute_tool",
    "invoke_agent",
    "create_agent",
    "",
    "x",
];

pub fn kv(key: &str, value: Option<Value>) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value }) }
}

pub fn any_value(rng: &mut Rng, depth: usize) -> Option<Value> {
    Some(match rng.below(if depth > 2 { 6 } else { 9 }) {
        0 => Value::String(rng.pick(TEXTS).to_string()),
        1 => Value::String(rng.pick(JSON_TEXTS).to_string()),
        2 => Value::Bool(rng.chance(2)),
        3 => Value::Int(*rng.pick(&[0, 1, -1, 42, 125, i64::MAX, i64::MIN, 1_000_000])),
        4 => Value::Double(*rng.pick(&[
            0.0,
            -0.0,
            0.2,
            1.0,
            1.5e300,
            1e-7,
            123456789.125,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            3.0,
        ])),
        5 => return None,
        6 => Value::Bytes(vec![0, 255, rng.next() as u8]),
        7 => Value::Array(ArrayValue {
            values: (0..rng.below(4)).map(|_| AnyValue { value: any_value(rng, depth + 1) }).collect(),
        }),
        _ => Value::Kvlist(KeyValueList {
            values: (0..rng.below(4))
                .map(|_| kv(rng.pick::<&str>(&["a", "b", "a", "é", "\"q\""]), any_value(rng, depth + 1)))
                .collect(),
        }),
    })
}

pub fn id(rng: &mut Rng, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.next() as u8).collect()
}

/// Keys of `KEYS` the fast path maps itself (the others send a span to the reference).
pub const FAST_KEYS: usize = 25;

/// GenAI-shaped attributes for one span, with random additions (from the keys the fast
/// path maps, when `clean`).
pub fn attributes(rng: &mut Rng, operation: &str, conversation: usize, clean: bool) -> Vec<KeyValue> {
    let mut out = vec![kv("gen_ai.operation.name", Some(Value::String(operation.into())))];
    if rng.chance(2) {
        out.push(kv("gen_ai.conversation.id", Some(Value::String(format!("conv-{conversation}")))));
    }
    match operation {
        "chat" => {
            out.push(kv("gen_ai.request.model", Some(Value::String("gpt-4o".into()))));
            out.push(kv("gen_ai.usage.input_tokens", Some(Value::Int(100))));
            out.push(kv("gen_ai.usage.output_tokens", Some(Value::Int(25))));
            out.push(kv("gen_ai.input.messages", Some(Value::String(JSON_TEXTS[0].into()))));
            out.push(kv("gen_ai.output.messages", Some(Value::String(JSON_TEXTS[1].into()))));
        }
        "execute_tool" => {
            out.push(kv("gen_ai.tool.call.arguments", Some(Value::String(JSON_TEXTS[17].into()))));
            out.push(kv("gen_ai.tool.call.result", Some(Value::String(JSON_TEXTS[18].into()))));
        }
        _ => out.push(kv("gen_ai.output.messages", Some(Value::String(JSON_TEXTS[1].into())))),
    }
    for _ in 0..rng.below(4) {
        let key = if clean { *rng.pick(&KEYS[..FAST_KEYS]) } else { *rng.pick(KEYS) };
        if clean && out.iter().any(|kv| kv.key == key) {
            continue;
        }
        let value = match key {
            "gen_ai.input.messages" | "gen_ai.output.messages" | "gen_ai.system_instructions" if rng.chance(4) => {
                Some(Value::String(rng.pick(JSON_TEXTS).to_string()))
            }
            _ => any_value(rng, 0),
        };
        if rng.chance(8) {
            out.push(KeyValue { key: key.into(), value: None });
        } else {
            out.push(kv(key, value));
        }
    }
    // Sometimes a key sent twice.
    if !clean && rng.chance(3) && !out.is_empty() {
        let again = out[rng.below(out.len())].clone();
        out.push(again);
    }
    out
}

/// A random export: traces of agent → chat → tool spans (children first, as a batch span
/// processor sends them), with random damage.
pub fn export(rng: &mut Rng) -> ExportTraceServiceRequest {
    // Half the exports are clean (what SDKs send), half damaged somewhere.
    let clean = rng.chance(2);
    export_of(rng, clean)
}

pub fn export_of(rng: &mut Rng, clean: bool) -> ExportTraceServiceRequest {
    let damage = |rng: &mut Rng, one_in: usize| !clean && rng.chance(one_in);
    let mut spans = Vec::new();
    let traces = 1 + rng.below(4);
    let mut clock: u64 = 1_767_225_600_000_000_000 + rng.below(1_000_000_000) as u64 * 1_000;
    for t in 0..traces {
        let trace = if damage(rng, 10) { vec![0; 16] } else { id(rng, 16) };
        let ids = [id(rng, 8), id(rng, 8), id(rng, 8)];
        let parents = [None, Some(0), Some(1)];
        for (k, op) in [(2usize, "execute_tool"), (1, "chat"), (0, "invoke_agent")] {
            if rng.chance(12) {
                continue; // a span of the trace in another request
            }
            let op = if rng.chance(6) { *rng.pick(OPERATIONS) } else { op };
            clock += rng.below(5_000_000_000) as u64;
            let start = clock;
            let end = if rng.chance(10) { 0 } else { start + rng.below(2_000_000_000) as u64 };
            let parent = match parents[k] {
                _ if rng.chance(20) => vec![0; 8],
                _ if rng.chance(30) => id(rng, 8),
                _ if damage(rng, 10) => ids[k].clone(),
                Some(p) => ids[p].clone(),
                None => Vec::new(),
            };
            let mut span = Span {
                trace_id: trace.clone(),
                span_id: if damage(rng, 10) { id(rng, 7) } else { ids[k].clone() },
                parent_span_id: parent,
                name: if rng.chance(8) { rng.pick(TEXTS).to_string() } else { format!("{op} step") },
                kind: *rng.pick(&[0, 1, 2, 3, 4, 5, 6, -1]),
                start_time_unix_nano: start,
                end_time_unix_nano: end,
                attributes: attributes(rng, op, t % 3, clean),
                ..Default::default()
            };
            if rng.chance(4) {
                span.status = Some(Status {
                    message: if rng.chance(2) { rng.pick(TEXTS).to_string() } else { String::new() },
                    code: *rng.pick(&[0, 1, 2, 2]),
                });
            }
            if rng.chance(15) {
                span.trace_state = "k=v".into();
            }
            if rng.chance(15) {
                span.dropped_attributes_count = 3;
            }
            if damage(rng, 4) {
                span.events.push(SpanEvent {
                    time_unix_nano: start + 5,
                    name: (*rng.pick(&["exception", "gen_ai.choice", "custom"])).into(),
                    attributes: vec![kv("content", Some(Value::String("hi".into())))],
                    dropped_attributes_count: 0,
                });
            }
            if damage(rng, 8) {
                span.links.push(SpanLink { trace_id: id(rng, 16), span_id: id(rng, 8), ..Default::default() });
            }
            spans.push(span);
            // Sometimes the same span twice (a re-sent export).
            if damage(rng, 8) {
                let again = spans[spans.len() - 1].clone();
                spans.push(again);
            }
        }
    }
    let resource = match rng.below(4) {
        0 => None,
        1 => Some(Resource::default()),
        _ => Some(Resource {
            attributes: (0..1 + rng.below(3))
                .map(|_| {
                    kv(
                        rng.pick::<&str>(&["service.name", "session.id", "telemetry.sdk.language", "é"]),
                        any_value(rng, 1),
                    )
                })
                .collect(),
            dropped_attributes_count: 0,
        }),
    };
    let scope = match rng.below(4) {
        0 => None,
        1 => Some(InstrumentationScope::default()),
        2 => Some(InstrumentationScope { name: "opentelemetry.instrumentation.genai".into(), ..Default::default() }),
        _ => Some(InstrumentationScope {
            name: rng.pick(TEXTS).to_string(),
            version: "0.1.0".into(),
            attributes: vec![kv("scope.attr", any_value(rng, 1))],
            dropped_attributes_count: 0,
        }),
    };
    // Sometimes the spans are split over two resources.
    let split = if spans.len() > 1 && rng.chance(4) { rng.below(spans.len()) } else { spans.len() };
    let rest = spans.split_off(split);
    let mut resource_spans = vec![ResourceSpans {
        resource: resource.clone(),
        scope_spans: vec![ScopeSpans { scope: scope.clone(), spans, schema_url: String::new() }],
        schema_url: String::new(),
    }];
    if !rest.is_empty() {
        resource_spans.push(ResourceSpans {
            resource: None,
            scope_spans: vec![ScopeSpans { scope, spans: rest, schema_url: "s".into() }],
            schema_url: String::new(),
        });
    }
    ExportTraceServiceRequest { resource_spans }
}

/// Byte-level mutations: 1 to 4 rounds of a byte changed, a cut, a byte inserted, or up
/// to 15 random bytes appended.
pub fn mutate(rng: &mut Rng, body: &mut Vec<u8>) {
    mutate_up_to(rng, body, 4, 16);
}

/// [`mutate`] with 1 to `rounds` rounds, appending up to `append - 1` bytes at a time.
pub fn mutate_up_to(rng: &mut Rng, body: &mut Vec<u8>, rounds: usize, append: usize) {
    for _ in 0..1 + rng.below(rounds) {
        match rng.below(4) {
            0 if !body.is_empty() => {
                let i = rng.below(body.len());
                body[i] = rng.next() as u8;
            }
            1 if !body.is_empty() => {
                let i = rng.below(body.len());
                body.truncate(i);
            }
            2 => {
                let i = rng.below(body.len() + 1);
                body.insert(i, rng.next() as u8);
            }
            _ => {
                let n = rng.below(append);
                body.extend((0..n).map(|_| rng.next() as u8));
            }
        }
    }
}

/// Limits a request may come with: the defaults, and small ones that trip the rules.
pub fn limits(rng: &mut Rng) -> Limits {
    match rng.below(8) {
        0 => Limits { max_records: 1 + rng.below(20), ..Limits::default() },
        1 => Limits { max_field_bytes: 1 + rng.below(200), ..Limits::default() },
        2 => Limits { max_body_bytes: 100 + rng.below(4000), ..Limits::default() },
        3 => Limits { strict: true, ..Limits::default() },
        _ => Limits::default(),
    }
}

/// How a request went: the fast path took it (and agreed with the reference), or declined.
#[derive(Default, Debug)]
pub struct Tally {
    pub fast: usize,
    pub declined: usize,
}

/// The fast path either declines or gives exactly the reference's result; the borrowing
/// reader either declines or reads exactly what prost reads. `Err` says how they differ.
pub fn compare(body: &[u8], limits: &Limits, tally: &mut Tally) -> Result<(), String> {
    let prost = ExportTraceServiceRequest::decode(body);
    if let Some(read) = borrowed::decode(body) {
        let prost = prost.as_ref().map_err(|e| format!("the borrowing reader took what prost refuses: {e}"))?;
        // Compared as protobuf bytes, so that NaN doubles compare equal.
        if read.to_owned_request().encode_to_vec() != prost.encode_to_vec() {
            return Err("the readers disagree".into());
        }
    }
    let reference = prepare_otlp_reference(body, "application/x-protobuf", PROJECT, limits);
    match prepare_protobuf_fast(body, PROJECT, limits) {
        Some(fast) => {
            tally.fast += 1;
            let reference = reference.map_err(|r| format!("fast path took a request the reference refuses: {r:?}"))?;
            if fast != reference {
                for (k, (a, b)) in fast.batch.lists().iter().zip(reference.batch.lists()).enumerate() {
                    if *a != b {
                        return Err(format!("list {k} differs:\n fast: {a}\n  ref: {b}"));
                    }
                }
                if fast.trace_runs != reference.trace_runs {
                    return Err(format!("trace_runs differ: {} / {}", fast.trace_runs, reference.trace_runs));
                }
                return Err(format!("the results differ: {fast:?}\n{reference:?}"));
            }
        }
        None => tally.declined += 1,
    }
    Ok(())
}
