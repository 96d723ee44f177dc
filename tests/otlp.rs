//! OTLP/HTTP in: golden exports per convention family (written by hand after each
//! project's published attribute names), the mapping table case by case, both encodings,
//! deterministic ids, the out-of-order flags, partial success, and damaged input.
#![cfg(not(target_arch = "wasm32"))]

use northstar_core::otlp::wire::{
    AnyValue, ExportTraceServiceRequest, KeyValue, Resource, ResourceSpans, ScopeSpans, Span, SpanEvent, Status, Value,
};
use northstar_core::otlp::{decode, Encoding};
use northstar_core::{prepare_otlp, Limits, PreparedOtlp};
use prost::Message as _;
use serde_json::{json, Value as Json};
use uuid::Uuid;

#[path = "common/otlp_gen.rs"]
mod otlp_gen;
use otlp_gen::{mutate_up_to, Rng};

const PROJECT: Uuid = Uuid::from_u128(0x7b89_7f13_dad3_41d8_945b_9435_8423_ab85);
const GENAI_CURRENT: &str = include_str!("fixtures/otlp/genai_current.json");
const GENAI_OLDER: &str = include_str!("fixtures/otlp/genai_older.json");
const OPENINFERENCE: &str = include_str!("fixtures/otlp/openinference.json");
const OPENLLMETRY: &str = include_str!("fixtures/otlp/openllmetry.json");
const ALL: [&str; 4] = [GENAI_CURRENT, GENAI_OLDER, OPENINFERENCE, OPENLLMETRY];

/// The prepared lists, parsed, by name.
struct Out {
    prepared: PreparedOtlp,
    sessions: Vec<Json>,
    runs: Vec<Json>,
    spans: Vec<Json>,
    events: Vec<Json>,
    prompt_links: Vec<Json>,
    scores: Vec<Json>,
    trace_runs: Vec<Json>,
}

fn list(text: &str) -> Vec<Json> {
    serde_json::from_str(text).expect("a prepared list is a JSON array")
}

fn out(prepared: PreparedOtlp) -> Out {
    let b = &prepared.batch;
    Out {
        sessions: list(b.sessions()),
        runs: list(b.runs()),
        spans: list(b.spans()),
        events: list(b.events()),
        prompt_links: list(b.prompt_links()),
        scores: list(b.scores()),
        trace_runs: list(&prepared.trace_runs),
        prepared,
    }
}

fn json_export(text: &str) -> Out {
    out(prepare_otlp(text.as_bytes(), "application/json", PROJECT, &Limits::default()).expect("export accepted"))
}

fn protobuf_of(json_text: &str) -> Vec<u8> {
    decode(json_text.as_bytes(), Encoding::Json).expect("fixture decodes").encode_to_vec()
}

fn span_named<'a>(o: &'a Out, name: &str) -> &'a Json {
    o.spans.iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("no span {name}"))
}

/// (type, otel.source, content) of a span's events, in the order they were written.
fn events_of(o: &Out, span: &Json) -> Vec<(String, String, Json)> {
    o.events
        .iter()
        .filter(|e| e["span_id"] == span["id"])
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["attributes"]["otel.source"].as_str().unwrap().to_owned(),
                e["content"].clone(),
            )
        })
        .collect()
}

fn ev(kind: &str, source: &str, content: Json) -> (String, String, Json) {
    (kind.to_owned(), source.to_owned(), content)
}

// ---- golden exports, one per convention family ----

#[test]
fn genai_current_names() {
    let o = json_export(GENAI_CURRENT);
    assert_eq!(o.prepared.rejected_spans, 0);
    assert_eq!((o.sessions.len(), o.runs.len(), o.spans.len()), (1, 1, 3));
    // The session is the conversation; the run is the root span.
    assert_eq!(o.sessions[0]["metadata"], json!({"otel.session.id": "conv-42"}));
    let run = &o.runs[0];
    assert_eq!(run["session_id"], o.sessions[0]["id"]);
    assert_eq!(run["name"], "invoke_agent travel-agent");
    assert_eq!(run["started_at"], "2026-01-01T00:00:00.000000Z");
    assert_eq!(run["ended_at"], "2026-01-01T00:00:00.500000Z");
    assert_eq!(run["status"], "ok");
    assert_eq!(run["metadata"]["otel.resource"], json!({"service.name": "travel-agent"}));
    assert_eq!(o.trace_runs, vec![json!({"id": run["id"], "has_root": true, "session_rank": 2})]);

    let agent = span_named(&o, "invoke_agent travel-agent");
    let chat = span_named(&o, "chat gpt-4o");
    let tool = span_named(&o, "execute_tool get_weather");
    assert_eq!(
        (agent["kind"].as_str(), chat["kind"].as_str(), tool["kind"].as_str()),
        (Some("agent"), Some("model"), Some("tool"))
    );
    assert!(agent.get("parent_span_id").is_none());
    assert_eq!(chat["parent_span_id"], agent["id"]);
    assert_eq!(tool["parent_span_id"], chat["id"]);
    // Spans come out parents-first although the export sent them children-first.
    let names: Vec<&str> = o.spans.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["invoke_agent travel-agent", "chat gpt-4o", "execute_tool get_weather"]);

    // Usage under the read models' keys; int64 sent as a string is a number; the
    // original attributes stay beside them.
    let a = &chat["attributes"];
    assert_eq!(a["model"], "gpt-4o-2024-08-06");
    assert_eq!(
        (a["input_tokens"].as_i64(), a["output_tokens"].as_i64(), a["total_tokens"].as_i64()),
        (Some(120), Some(30), Some(150))
    );
    assert_eq!(a["cost_usd"].as_f64(), Some(0.00155));
    assert_eq!(a["gen_ai.usage.input_tokens"].as_i64(), Some(120));
    assert_eq!(a["gen_ai.response.finish_reasons"], json!(["tool_call"]));
    assert_eq!(a["otel.span_kind"], "client");
    assert_eq!(a["otel.scope"], json!({"name": "opentelemetry.instrumentation.genai", "version": "1.2.3"}));
    // Messages are events, not attributes.
    assert!(a.get("gen_ai.input.messages").is_none() && a.get("gen_ai.system_instructions").is_none());

    assert_eq!(
        events_of(&o, chat),
        vec![
            ev("system_message", "gen_ai.system_instructions", json!("You are a travel agent.")),
            ev("user_input", "gen_ai.input.messages[0]", json!("Weather in Paris?")),
            ev(
                "assistant_message",
                "gen_ai.output.messages[0]",
                json!([{"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}])
            ),
        ]
    );
    assert_eq!(
        events_of(&o, agent),
        vec![
            ev("user_input", "gen_ai.input.messages[0]", json!("Weather in Paris?")),
            ev("final_response", "gen_ai.output.messages[0]", json!("It is 21 C in Paris.")),
        ]
    );
    let final_event = o.events.iter().find(|e| e["type"] == "final_response").unwrap();
    assert_eq!(final_event["created_at"], "2026-01-01T00:00:00.500000Z");
    assert_eq!(final_event["attributes"]["finish_reason"], "stop");

    // The tool's error: OTLP status ERROR with an exception event.
    assert_eq!(tool["status"], "error");
    assert_eq!(tool["error"], json!({"type": "TimeoutError", "message": "tool failed", "stacktrace": "Traceback ..."}));
    let tool_events = events_of(&o, tool);
    assert_eq!(tool_events[0], ev("tool_arguments", "gen_ai.tool.call.arguments", json!({"city": "Paris"})));
    assert_eq!(tool_events[1], ev("tool_result", "gen_ai.tool.call.result", json!({"temp_c": 21})));
    assert_eq!(tool_events[2].0, "custom");
    assert_eq!(tool_events[2].2["exception.type"], "TimeoutError");

    // Evaluation results are scores; the prompt attribute is a prompt link.
    assert_eq!(o.scores.len(), 2);
    assert_eq!(o.scores[0]["name"], "relevance");
    assert_eq!(o.scores[0]["value"].as_f64(), Some(0.9));
    assert_eq!(o.scores[0]["data_type"], "numeric");
    assert_eq!(o.scores[0]["comment"], "relevant: on topic");
    assert_eq!(o.scores[0]["span_id"], chat["id"]);
    assert_eq!(o.scores[0]["trace_id"], run["id"]);
    assert_eq!(o.scores[1]["data_type"], "categorical");
    assert_eq!(o.scores[1]["string_value"], "polite");
    assert_eq!(
        o.prompt_links,
        vec![json!({
            "trace_id": run["id"], "span_id": chat["id"], "project_id": PROJECT.to_string(),
            "prompt_version_id": "0f6a8a5e-4c1b-4f7e-9a51-7d2a3c9b1e20", "variable_values": {"city": "Paris"}
        })]
    );
}

#[test]
fn genai_older_names() {
    let o = json_export(GENAI_OLDER);
    assert_eq!(o.sessions[0]["metadata"], json!({"otel.session.id": "user-7-session"}));
    let chat = span_named(&o, "chat gpt-3.5-turbo");
    assert_eq!(chat["kind"], "model");
    let a = &chat["attributes"];
    assert_eq!(a["model"], "gpt-3.5-turbo");
    assert_eq!(
        (a["input_tokens"].as_i64(), a["output_tokens"].as_i64(), a["total_tokens"].as_i64()),
        (Some(50), Some(12), Some(62))
    );
    assert!(a.get("cost_usd").is_none());
    assert_eq!(
        events_of(&o, chat),
        vec![
            ev("system_message", "event[0]", json!("Be brief.")),
            ev("user_input", "event[1]", json!("Hi!")),
            ev("assistant_message", "event[2]", json!("Hello.")),
            ev("user_input", "event[3][0]", json!("Hi!")),
            ev("assistant_message", "event[4][0]", json!("Hello.")),
        ]
    );
    let choice = o.events.iter().find(|e| e["attributes"]["otel.source"] == "event[2]").unwrap();
    assert_eq!(choice["created_at"], "2026-01-01T00:00:00.899000Z");
    assert_eq!(choice["attributes"]["finish_reason"], "stop");
    assert_eq!(choice["attributes"]["gen_ai.system"], "openai");
}

#[test]
fn openinference() {
    let o = json_export(OPENINFERENCE);
    assert_eq!(o.sessions[0]["metadata"], json!({"otel.session.id": "phx-session-1"}));
    assert_eq!(o.runs[0]["name"], "agent");
    let llm = span_named(&o, "ChatCompletion");
    let tool = span_named(&o, "search_docs");
    let chain = span_named(&o, "format_answer");
    let agent = span_named(&o, "agent");
    assert_eq!(
        [&llm["kind"], &tool["kind"], &chain["kind"], &agent["kind"]],
        [&json!("model"), &json!("tool"), &json!("workflow"), &json!("agent")]
    );
    let a = &llm["attributes"];
    assert_eq!(a["model"], "gpt-4o-mini");
    assert_eq!(
        (a["input_tokens"].as_i64(), a["output_tokens"].as_i64(), a["total_tokens"].as_i64()),
        (Some(200), Some(40), Some(240))
    );
    assert_eq!(a["cost_usd"].as_f64(), Some(0.00042));
    // The flattened messages became events; input.value is kept (messages were found).
    assert!(a.get("llm.input_messages.0.message.role").is_none());
    assert_eq!(a["input.mime_type"], "application/json");
    assert!(a.get("input.value").is_some());
    assert_eq!(
        events_of(&o, llm),
        vec![
            ev("system_message", "llm.input_messages.0", json!("Answer with facts.")),
            ev("user_input", "llm.input_messages.1", json!("What is OTLP?")),
            ev("assistant_message", "llm.output_messages.0", json!("A protocol.")),
        ]
    );
    assert_eq!(
        events_of(&o, tool),
        vec![
            ev("tool_arguments", "input.value", json!({"query": "OTLP"})),
            ev("tool_result", "output.value", json!("OTLP is the OpenTelemetry protocol.")),
        ]
    );
    assert_eq!(events_of(&o, chain), vec![ev("custom", "input.value", json!("raw text"))]);
    assert_eq!(
        events_of(&o, agent),
        vec![
            ev("user_input", "input.value", json!("What is OTLP?")),
            ev("final_response", "output.value", json!("OTLP is the OpenTelemetry protocol.")),
        ]
    );
}

#[test]
fn openllmetry() {
    let o = json_export(OPENLLMETRY);
    // No span names a conversation: the trace is its own session.
    assert_eq!(o.sessions[0]["metadata"], json!({"otel.trace_id": "80e1afed08e019fc1110464cfa66635c"}));
    assert_eq!(o.trace_runs[0]["session_rank"], 0);
    assert_eq!(o.runs[0]["name"], "joke_generator.workflow");
    assert_eq!(o.runs[0]["started_at"], "2026-01-01T00:00:00.080000Z");
    let llm = span_named(&o, "openai.chat");
    assert_eq!(
        [
            &span_named(&o, "joke_generator.workflow")["kind"],
            &span_named(&o, "joke_creation.task")["kind"],
            &llm["kind"],
            &span_named(&o, "translate.tool")["kind"]
        ],
        [&json!("workflow"), &json!("custom"), &json!("model"), &json!("tool")]
    );
    let a = &llm["attributes"];
    assert_eq!(a["model"], "gpt-4-0613");
    assert_eq!(
        (a["input_tokens"].as_i64(), a["output_tokens"].as_i64(), a["total_tokens"].as_i64()),
        (Some(25), Some(15), Some(40))
    );
    assert_eq!(a["traceloop.workflow.name"], "joke_generator");
    assert_eq!(
        events_of(&o, llm),
        vec![
            ev("system_message", "gen_ai.prompt.0", json!("You write jokes.")),
            ev("user_input", "gen_ai.prompt.1", json!("Tell me a joke about OpenTelemetry")),
            ev("assistant_message", "gen_ai.completion.0", json!("Why did the span...")),
        ]
    );
    let completion = o.events.iter().find(|e| e["attributes"]["otel.source"] == "gen_ai.completion.0").unwrap();
    assert_eq!(completion["attributes"]["finish_reason"], "stop");
    assert_eq!(
        events_of(&o, span_named(&o, "translate.tool")),
        vec![
            ev(
                "tool_arguments",
                "traceloop.entity.input",
                json!({"args": ["Why did the span..."], "kwargs": {"lang": "fr"}})
            ),
            ev("tool_result", "traceloop.entity.output", json!("Pourquoi le span...")),
        ]
    );
}

// ---- encodings ----

#[test]
fn protobuf_and_json_of_the_same_export_prepare_the_same_batch() {
    for fixture in ALL {
        let from_json = prepare_otlp(fixture.as_bytes(), "application/json", PROJECT, &Limits::default()).unwrap();
        let pb = protobuf_of(fixture);
        let from_pb = prepare_otlp(&pb, "application/x-protobuf", PROJECT, &Limits::default()).unwrap();
        assert_eq!(from_json.batch, from_pb.batch);
        assert_eq!(from_json.trace_runs, from_pb.trace_runs);
    }
}

/// A span built directly as the protobuf structs (not through the JSON reader).
fn hand_built() -> ExportTraceServiceRequest {
    let kv = |k: &str, v: Value| KeyValue { key: k.into(), value: Some(AnyValue { value: Some(v) }) };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", Value::String("svc".into()))],
                dropped_attributes_count: 0,
            }),
            scope_spans: vec![ScopeSpans {
                scope: None,
                spans: vec![Span {
                    trace_id: (1..=16).collect(),
                    span_id: (1..=8).collect(),
                    name: "root".into(),
                    kind: 2,
                    start_time_unix_nano: 1_700_000_000_123_456_789,
                    end_time_unix_nano: 1_700_000_001_000_000_000,
                    attributes: vec![
                        kv("big", Value::Int(i64::MAX)),
                        kv("neg", Value::Int(-7)),
                        kv("ratio", Value::Double(0.5)),
                        kv("flag", Value::Bool(true)),
                        kv("raw", Value::Bytes(vec![0xde, 0xad, 0xbe, 0xef])),
                    ],
                    events: vec![SpanEvent {
                        time_unix_nano: 1_700_000_000_500_000_000,
                        name: "cache.miss".into(),
                        ..Default::default()
                    }],
                    status: Some(Status { message: String::new(), code: 1 }),
                    ..Default::default()
                }],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

#[test]
fn hand_built_protobuf_matches_hand_written_json() {
    // The same span in OTLP/JSON, written with the liberties the spec allows: int64 as a
    // number and as a string, upper-case hex ids, snake_case names, an enum by name,
    // unknown fields, nulls.
    let text = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
      "scope_spans":[{"scope":null,"spans":[{"traceId":"0102030405060708090A0B0C0D0E0F10","span_id":"0102030405060708",
      "parentSpanId":"","name":"root","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1700000000123456789",
      "end_time_unix_nano":1700000001000000000,"futureField":{"x":1},
      "attributes":[{"key":"big","value":{"intValue":"9223372036854775807"}},{"key":"neg","value":{"intValue":-7}},
        {"key":"ratio","value":{"doubleValue":0.5}},{"key":"flag","value":{"boolValue":true}},
        {"key":"raw","value":{"bytesValue":"3q2+7w=="}}],
      "events":[{"timeUnixNano":"1700000000500000000","name":"cache.miss","attributes":null}],
      "status":{"code":1}}]}]}]}"#;
    let pb = hand_built().encode_to_vec();
    let a = prepare_otlp(&pb, "application/x-protobuf", PROJECT, &Limits::default()).unwrap();
    let b = prepare_otlp(text.as_bytes(), "application/json; charset=utf-8", PROJECT, &Limits::default()).unwrap();
    assert_eq!(a.batch, b.batch);
    let o = out(a);
    let span = &o.spans[0];
    // int64 keeps every digit; bytes are base64; times are microseconds, truncated.
    assert!(o.prepared.batch.spans().contains(r#""big":9223372036854775807"#));
    assert_eq!(span["attributes"]["raw"], "3q2+7w==");
    assert_eq!(span["attributes"]["otel.span_kind"], "server");
    assert_eq!(span["started_at"], "2023-11-14T22:13:20.123456Z");
    assert_eq!(span["ended_at"], "2023-11-14T22:13:21.000000Z");
    assert_eq!(span["kind"], "custom");
    assert_eq!(o.events[0]["type"], "custom");
    assert_eq!(o.events[0]["attributes"]["otel.event.name"], "cache.miss");
}

#[test]
fn content_types() {
    let r = prepare_otlp(b"{}", "text/plain", PROJECT, &Limits::default()).unwrap_err();
    assert_eq!(r.status, 415);
    assert!(prepare_otlp(b"{}", "Application/JSON", PROJECT, &Limits::default()).is_ok());
    assert!(prepare_otlp(b"", "application/x-protobuf", PROJECT, &Limits::default()).is_ok());
    let limits = Limits { max_body_bytes: 10, ..Limits::default() };
    assert_eq!(prepare_otlp(&[0u8; 11], "application/x-protobuf", PROJECT, &limits).unwrap_err().status, 413);
}

#[test]
fn an_empty_export_prepares_an_empty_batch() {
    let o = json_export(r#"{"resourceSpans":[]}"#);
    assert_eq!(o.prepared.batch.counts.total(), 0);
    assert_eq!((o.prepared.spans_received, o.prepared.rejected_spans), (0, 0));
}

// ---- ids and arrival order ----

fn split(fixture: &str, keep: impl Fn(&Span) -> bool) -> Vec<u8> {
    let mut req = decode(fixture.as_bytes(), Encoding::Json).unwrap();
    for rs in &mut req.resource_spans {
        for ss in &mut rs.scope_spans {
            ss.spans.retain(&keep);
        }
    }
    req.encode_to_vec()
}

#[test]
fn ids_are_deterministic_and_a_trace_split_over_requests_keeps_them() {
    let whole = json_export(GENAI_CURRENT);
    let again = json_export(GENAI_CURRENT);
    assert_eq!(whole.prepared.batch, again.prepared.batch);

    let children = split(GENAI_CURRENT, |s| !s.parent_span_id.is_empty());
    let root = split(GENAI_CURRENT, |s| s.parent_span_id.is_empty());
    let c = out(prepare_otlp(&children, "application/x-protobuf", PROJECT, &Limits::default()).unwrap());
    let r = out(prepare_otlp(&root, "application/x-protobuf", PROJECT, &Limits::default()).unwrap());
    let mut ids: Vec<&Json> = c.spans.iter().chain(&r.spans).map(|s| &s["id"]).collect();
    let mut whole_ids: Vec<&Json> = whole.spans.iter().map(|s| &s["id"]).collect();
    ids.sort_by_key(|v| v.to_string());
    whole_ids.sort_by_key(|v| v.to_string());
    assert_eq!(ids, whole_ids);
    let mut event_ids: Vec<String> = c.events.iter().chain(&r.events).map(|e| e["id"].to_string()).collect();
    let mut whole_events: Vec<String> = whole.events.iter().map(|e| e["id"].to_string()).collect();
    event_ids.sort();
    whole_events.sort();
    assert_eq!(event_ids, whole_events);
    assert_eq!(c.runs[0]["id"], r.runs[0]["id"]);

    // Without its root the run is provisional: the earliest span's name and start, no
    // end, running; with it, the root's own values and flag.
    assert_eq!(c.trace_runs[0]["has_root"], false);
    assert_eq!(c.runs[0]["name"], "chat gpt-4o");
    assert_eq!(c.runs[0]["started_at"], "2026-01-01T00:00:00.100000Z");
    assert_eq!(c.runs[0]["status"], "running");
    assert!(c.runs[0].get("ended_at").is_none());
    assert!(c.runs[0]["metadata"].get("otel.resource").is_none());
    assert_eq!(c.trace_runs[0]["session_rank"], 1);
    assert_eq!(r.trace_runs[0], json!({"id": r.runs[0]["id"], "has_root": true, "session_rank": 2}));
    assert_eq!(r.runs[0], whole.runs[0]);
    // The spans whose parent is in the other request still name it.
    let chat = span_named(&c, "chat gpt-4o");
    assert_eq!(chat["parent_span_id"], span_named(&whole, "invoke_agent travel-agent")["id"]);
    // Both requests name the same session.
    assert_eq!(c.sessions[0]["id"], r.sessions[0]["id"]);
}

#[test]
fn ids_depend_on_the_project() {
    let other = Uuid::from_u128(42);
    let a = json_export(GENAI_OLDER);
    let b = prepare_otlp(GENAI_OLDER.as_bytes(), "application/json", other, &Limits::default()).unwrap();
    assert_ne!(a.spans[0]["id"], list(b.batch.spans())[0]["id"]);
}

// ---- partial success and damaged input ----

#[test]
fn a_span_with_bad_ids_is_rejected_alone() {
    let mut req = decode(GENAI_OLDER.as_bytes(), Encoding::Json).unwrap();
    let mut bad = req.resource_spans[0].scope_spans[0].spans[0].clone();
    bad.trace_id = vec![0; 16];
    let mut short = bad.clone();
    short.trace_id = vec![1; 16];
    short.span_id = vec![1; 4];
    req.resource_spans[0].scope_spans[0].spans.extend([bad, short]);
    let p = prepare_otlp(&req.encode_to_vec(), "application/x-protobuf", PROJECT, &Limits::default()).unwrap();
    assert_eq!((p.spans_received, p.rejected_spans), (3, 2));
    assert_eq!(p.batch.counts.spans, 1);
    assert_eq!(p.errors[0].path, "resourceSpans[0].scopeSpans[0].spans[1].traceId");
    assert_eq!(p.errors[0].code, "invalid_trace_id");
    assert_eq!(p.errors[1].code, "invalid_span_id");
    assert!(p.error_message.starts_with("2 spans rejected"), "{}", p.error_message);
}

#[test]
fn a_span_whose_record_breaks_a_rule_is_rejected_alone() {
    // U+0000 in an attribute value: refused in strict mode (jsonb cannot hold it), so only
    // that span is left out.
    let req = openinference_with_nul();
    let strict = Limits { strict: true, ..Limits::default() };
    let p = prepare_otlp(&req.encode_to_vec(), "application/x-protobuf", PROJECT, &strict).unwrap();
    assert_eq!((p.spans_received, p.rejected_spans), (4, 1));
    assert_eq!(p.batch.counts.spans, 3);
    assert!(p.errors[0].path.starts_with("resourceSpans[0].scopeSpans[0].spans[1] (as spans["), "{}", p.errors[0].path);
    assert!(!p.batch.spans().contains("search_docs"));
}

/// The OpenInference export with a NUL in the tool span's attributes.
fn openinference_with_nul() -> ExportTraceServiceRequest {
    let mut req = decode(OPENINFERENCE.as_bytes(), Encoding::Json).unwrap();
    let spans = &mut req.resource_spans[0].scope_spans[0].spans;
    let tool = spans.iter_mut().find(|s| s.name == "search_docs").unwrap();
    tool.attributes.push(KeyValue {
        key: "tool.description".into(),
        value: Some(AnyValue { value: Some(Value::String("a\0b".into())) }),
    });
    req
}

#[test]
fn a_nul_is_repaired_with_a_warning_outside_strict_mode() {
    let req = openinference_with_nul();
    let p = prepare_otlp(&req.encode_to_vec(), "application/x-protobuf", PROJECT, &Limits::default()).unwrap();
    assert_eq!((p.spans_received, p.rejected_spans), (4, 0));
    assert_eq!(p.batch.counts.spans, 4);
    assert!(p.batch.spans().contains(r#""tool.description":"a\ufffdb""#), "{}", p.batch.spans());
    assert_eq!(p.batch.warnings_total, 1);
    // The warning names the OTLP span it came from, then the record field repaired, as a
    // refused span's violation does; the row for the database carries the same path.
    let at = req.resource_spans[0].scope_spans[0].spans.iter().position(|s| s.name == "search_docs").unwrap();
    let path = &p.batch.warnings[0].what.path;
    assert!(path.starts_with(&format!("resourceSpans[0].scopeSpans[0].spans[{at}] (as spans[")), "{path}");
    assert!(path.ends_with(r#".attributes["tool.description"])"#), "{path}");
    assert!(p.batch.warning_rows().contains("resourceSpans[0].scopeSpans[0].spans["), "{}", p.batch.warning_rows());
    // The same request in OTLP/JSON: the same warning path.
    let mut doc: Json = serde_json::from_str(OPENINFERENCE).unwrap();
    let tool = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["name"] == "search_docs")
        .unwrap();
    tool["attributes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "tool.description", "value": {"stringValue": "a\u{0}b"}}));
    let json = serde_json::to_vec(&doc).unwrap();
    let pj = prepare_otlp(&json, "application/json", PROJECT, &Limits::default()).unwrap();
    assert_eq!(pj.batch.warnings[0].what.path, *path);
}

#[test]
fn a_repaired_genai_span_warns_with_its_otlp_path() {
    // A GenAI export (what the fast path takes) with a NUL in the second span's name: the
    // repair is reported at that span, wherever the request's spans sit.
    let mut req = decode(GENAI_CURRENT.as_bytes(), Encoding::Json).unwrap();
    let last = req.resource_spans.len() - 1;
    let spans = &mut req.resource_spans[last].scope_spans[0].spans;
    assert!(spans.len() >= 2);
    spans[1].name = "bad\u{0}name".into();
    let p = prepare_otlp(&req.encode_to_vec(), "application/x-protobuf", PROJECT, &Limits::default()).unwrap();
    assert_eq!(p.rejected_spans, 0);
    assert!(p.batch.warnings_total >= 1);
    for w in &p.batch.warnings {
        assert!(w.what.path.starts_with(&format!("resourceSpans[{last}].scopeSpans[0].spans[1] (as ")), "{:?}", w.what);
    }
}

#[test]
fn every_span_refused_is_a_400() {
    let mut req = decode(GENAI_OLDER.as_bytes(), Encoding::Json).unwrap();
    req.resource_spans[0].scope_spans[0].spans[0].span_id = vec![];
    let r = prepare_otlp(&req.encode_to_vec(), "application/x-protobuf", PROJECT, &Limits::default()).unwrap_err();
    assert_eq!(r.status, 400);
    assert_eq!(r.errors[0].code, "invalid_span_id");
}

#[test]
fn damaged_bodies_are_errors_not_panics() {
    let pb = protobuf_of(GENAI_CURRENT);
    let mut saw_error = 0;
    for cut in 0..pb.len() {
        if prepare_otlp(&pb[..cut], "application/x-protobuf", PROJECT, &Limits::default()).is_err() {
            saw_error += 1;
        }
    }
    assert!(saw_error > pb.len() / 2, "most truncations must be refused ({saw_error}/{})", pb.len());
    // Every cut of the JSON text before its closing brace (in steps, to keep it quick).
    for cut in (0..GENAI_CURRENT.trim_end().len()).step_by(7) {
        let r = prepare_otlp(&GENAI_CURRENT.as_bytes()[..cut], "application/json", PROJECT, &Limits::default());
        assert_eq!(r.unwrap_err().status, 400);
    }
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    // 100,000 nested arrayValue messages in protobuf, and in JSON.
    let mut any: Vec<u8> = vec![];
    for _ in 0..100_000 {
        // AnyValue.array_value (field 5) holding ArrayValue.values (field 1).
        any = field(0x2a, &field(0x0a, &any));
        if any.len() > 2_000_000 {
            break;
        }
    }
    // KeyValue.value (2) in Span.attributes (9) in ScopeSpans.spans (2) in
    // ResourceSpans.scope_spans (2) in the request's resource_spans (1).
    let pb = field(0x0a, &field(0x12, &field(0x12, &field(0x4a, &field(0x12, &any)))));
    let r = decode(&pb, Encoding::Protobuf).unwrap_err();
    assert!(r.error.contains("recursion"), "{}", r.error);
    let deep = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"attributes":[{{"key":"k","value":{}}}]}}]}}]}}]}}"#,
        "{\"arrayValue\":{\"values\":[".repeat(5000) + &"]}}".repeat(5000)
    );
    assert_eq!(prepare_otlp(deep.as_bytes(), "application/json", PROJECT, &Limits::default()).unwrap_err().status, 400);
}

/// A length-delimited protobuf field: its key byte, then the length, then the bytes.
fn field(key: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![key];
    push_varint(&mut out, bytes.len() as u64);
    out.extend(bytes);
    out
}

fn push_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

#[test]
fn fuzzed_protobuf_and_json_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let seeds: Vec<Vec<u8>> = ALL.iter().map(|f| protobuf_of(f)).collect();
    for round in 0..3000 {
        let mut body = seeds[round % seeds.len()].clone();
        mutate_up_to(&mut rng, &mut body, 8, 64);
        // Either outcome is fine; a panic fails the test.
        let _ = prepare_otlp(&body, "application/x-protobuf", PROJECT, &Limits::default());
    }
    for round in 0..2000 {
        let mut body = ALL[round % ALL.len()].as_bytes().to_vec();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(body.len());
            let noise = b"{}[]\":,0a-\\ \x00";
            body[i] = noise[rng.below(noise.len())];
        }
        let _ = prepare_otlp(&body, "application/json", PROJECT, &Limits::default());
    }
}

// ---- the mapping table, case by case ----

/// Attributes of a test span, as (key, string value) pairs.
type Pairs<'a> = &'a [(&'a str, &'a str)];

/// A status case: OTLP status, span events, ended, expected NorthStar status and error.
type StatusCase = (Option<Status>, Vec<SpanEvent>, bool, &'static str, Json);

fn kv_str(k: &str, v: &str) -> KeyValue {
    KeyValue { key: k.into(), value: Some(AnyValue { value: Some(Value::String(v.into())) }) }
}

fn kv_int(k: &str, v: i64) -> KeyValue {
    KeyValue { key: k.into(), value: Some(AnyValue { value: Some(Value::Int(v)) }) }
}

/// One root span with these attributes and events, prepared.
fn one_span(attributes: Vec<KeyValue>, events: Vec<SpanEvent>, status: Option<Status>, ended: bool) -> Out {
    one_span_with_resource(attributes, events, status, ended, vec![])
}

fn one_span_with_resource(
    attributes: Vec<KeyValue>,
    events: Vec<SpanEvent>,
    status: Option<Status>,
    ended: bool,
    resource: Vec<KeyValue>,
) -> Out {
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: resource, dropped_attributes_count: 0 }),
            scope_spans: vec![ScopeSpans {
                scope: None,
                spans: vec![Span {
                    trace_id: vec![7; 16],
                    span_id: vec![9; 8],
                    name: "s".into(),
                    start_time_unix_nano: 1_000_000_000,
                    end_time_unix_nano: if ended { 2_000_000_000 } else { 0 },
                    attributes,
                    events,
                    status,
                    ..Default::default()
                }],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    };
    out(prepare_otlp(&req.encode_to_vec(), "application/x-protobuf", PROJECT, &Limits::default()).unwrap())
}

#[test]
fn span_kind_table() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("gen_ai.operation.name", "chat")], "model"),
        (&[("gen_ai.operation.name", "text_completion")], "model"),
        (&[("gen_ai.operation.name", "generate_content")], "model"),
        (&[("gen_ai.operation.name", "embeddings")], "model"),
        (&[("gen_ai.operation.name", "execute_tool")], "tool"),
        (&[("gen_ai.operation.name", "invoke_agent")], "agent"),
        (&[("gen_ai.operation.name", "create_agent")], "agent"),
        // gen_ai.operation.name wins over the other families.
        (&[("gen_ai.operation.name", "execute_tool"), ("openinference.span.kind", "LLM")], "tool"),
        // An unknown operation falls through to the next family.
        (&[("gen_ai.operation.name", "dance"), ("openinference.span.kind", "AGENT")], "agent"),
        (&[("openinference.span.kind", "LLM")], "model"),
        (&[("openinference.span.kind", "EMBEDDING")], "model"),
        (&[("openinference.span.kind", "TOOL")], "tool"),
        (&[("openinference.span.kind", "RETRIEVER")], "tool"),
        (&[("openinference.span.kind", "RERANKER")], "tool"),
        (&[("openinference.span.kind", "AGENT")], "agent"),
        (&[("openinference.span.kind", "chain")], "workflow"),
        (&[("openinference.span.kind", "GUARDRAIL")], "custom"),
        (&[("openinference.span.kind", "EVALUATOR")], "custom"),
        (&[("openinference.span.kind", "TOOL"), ("traceloop.span.kind", "agent")], "tool"),
        (&[("traceloop.span.kind", "workflow")], "workflow"),
        (&[("traceloop.span.kind", "task")], "custom"),
        (&[("traceloop.span.kind", "agent")], "agent"),
        (&[("traceloop.span.kind", "tool")], "tool"),
        (&[("llm.request.type", "chat")], "model"),
        (&[("llm.request.type", "completion")], "model"),
        (&[("llm.request.type", "embedding")], "model"),
        (&[("http.method", "GET")], "custom"),
        (&[], "custom"),
    ];
    for (attrs, kind) in cases {
        let o = one_span(attrs.iter().map(|(k, v)| kv_str(k, v)).collect(), vec![], None, true);
        assert_eq!(o.spans[0]["kind"], *kind, "{attrs:?}");
    }
}

#[test]
fn session_table() {
    let cases: &[(Pairs, Option<&str>)] = &[
        (&[("session.id", "a")], Some("a")),
        (&[("gen_ai.conversation.id", "b")], Some("b")),
        (&[("langfuse.session.id", "c")], Some("c")),
        (&[("langfuse.session.id", "c"), ("gen_ai.conversation.id", "b"), ("session.id", "a")], Some("a")),
        (&[("langfuse.session.id", "c"), ("gen_ai.conversation.id", "b")], Some("b")),
        (&[("session.id", "")], None),
        (&[], None),
    ];
    for (attrs, session) in cases {
        let o = one_span(attrs.iter().map(|(k, v)| kv_str(k, v)).collect(), vec![], None, true);
        let want = match session {
            Some(s) => json!({"otel.session.id": s}),
            None => json!({"otel.trace_id": "07070707070707070707070707070707"}),
        };
        assert_eq!(o.sessions[0]["metadata"], want, "{attrs:?}");
        assert_eq!(o.trace_runs[0]["session_rank"], if session.is_some() { 2 } else { 0 });
    }
    // The same value names the same session in any trace; the resource is read too.
    let a = one_span(vec![kv_str("session.id", "x")], vec![], None, true);
    let b = one_span_with_resource(vec![], vec![], None, true, vec![kv_str("session.id", "x")]);
    assert_eq!(a.sessions[0]["id"], b.sessions[0]["id"]);
}

#[test]
fn status_table() {
    let exception = |escaped: Option<bool>| SpanEvent {
        time_unix_nano: 1_500_000_000,
        name: "exception".into(),
        attributes: [kv_str("exception.type", "ValueError"), kv_str("exception.message", "bad")]
            .into_iter()
            .chain(escaped.map(|e| KeyValue {
                key: "exception.escaped".into(),
                value: Some(AnyValue { value: Some(Value::Bool(e)) }),
            }))
            .collect(),
        dropped_attributes_count: 0,
    };
    let st = |code: i32, message: &str| Some(Status { code, message: message.into() });
    let cases: Vec<StatusCase> = vec![
        (None, vec![], true, "ok", Json::Null),
        (st(0, ""), vec![], true, "ok", Json::Null),
        (st(1, ""), vec![], true, "ok", Json::Null),
        (None, vec![], false, "running", Json::Null),
        (st(2, "boom"), vec![], true, "error", json!({"message": "boom"})),
        (st(2, ""), vec![], true, "error", json!({"message": "error"})),
        (st(2, ""), vec![exception(None)], true, "error", json!({"type": "ValueError", "message": "bad"})),
        (st(2, "boom"), vec![exception(None)], true, "error", json!({"type": "ValueError", "message": "boom"})),
        // A recorded exception that did not escape leaves the span's status alone.
        (None, vec![exception(Some(false))], true, "ok", Json::Null),
        (None, vec![exception(None)], true, "ok", Json::Null),
        (None, vec![exception(Some(true))], true, "error", json!({"type": "ValueError", "message": "bad"})),
    ];
    for (status, events, ended, want, error) in cases {
        let o = one_span(vec![], events, status.clone(), ended);
        assert_eq!(o.spans[0]["status"], want, "{status:?}");
        assert_eq!(o.spans[0].get("error").cloned().unwrap_or(Json::Null), error, "{status:?}");
        // The root span's status is the run's.
        assert_eq!(o.runs[0]["status"], want);
    }
}

#[test]
fn usage_table() {
    let cases: Vec<(Vec<KeyValue>, Json)> = vec![
        (vec![kv_int("gen_ai.usage.input_tokens", 3), kv_int("gen_ai.usage.output_tokens", 4)], json!([3, 4, 7])),
        (vec![kv_int("gen_ai.usage.prompt_tokens", 3), kv_int("gen_ai.usage.completion_tokens", 4)], json!([3, 4, 7])),
        (
            vec![
                kv_int("llm.token_count.prompt", 3),
                kv_int("llm.token_count.completion", 4),
                kv_int("llm.token_count.total", 9),
            ],
            json!([3, 4, 9]),
        ),
        (vec![kv_int("gen_ai.usage.input_tokens", 3), kv_int("gen_ai.usage.prompt_tokens", 5)], json!([3, null, null])),
        (vec![kv_str("gen_ai.usage.output_tokens", "12")], json!([null, 12, null])),
        (vec![kv_int("llm.usage.total_tokens", 40)], json!([null, null, 40])),
    ];
    for (attrs, want) in cases {
        let o = one_span(attrs.clone(), vec![], None, true);
        let a = &o.spans[0]["attributes"];
        let got = json!([a.get("input_tokens"), a.get("output_tokens"), a.get("total_tokens")]);
        assert_eq!(got, want, "{attrs:?}");
    }
    let models: &[(&[(&str, &str)], &str)] = &[
        (&[("gen_ai.request.model", "a"), ("gen_ai.response.model", "b")], "b"),
        (&[("gen_ai.request.model", "a")], "a"),
        (&[("llm.model_name", "c")], "c"),
        (&[("embedding.model_name", "e")], "e"),
    ];
    for (attrs, model) in models {
        let o = one_span(attrs.iter().map(|(k, v)| kv_str(k, v)).collect(), vec![], None, true);
        assert_eq!(o.spans[0]["attributes"]["model"], *model);
    }
    let cost = |k: &str| KeyValue { key: k.into(), value: Some(AnyValue { value: Some(Value::Double(0.25)) }) };
    for key in ["gen_ai.usage.cost", "llm.cost.total"] {
        assert_eq!(one_span(vec![cost(key)], vec![], None, true).spans[0]["attributes"]["cost_usd"], 0.25);
    }
}

#[test]
fn event_type_table() {
    // (span kind attribute, message role, direction) → event type
    let cases: &[(&str, Option<&str>, &str, &str)] = &[
        ("chat", Some("system"), "input", "system_message"),
        ("chat", Some("developer"), "input", "system_message"),
        ("chat", Some("user"), "input", "user_input"),
        ("chat", Some("assistant"), "input", "assistant_message"),
        ("chat", Some("tool"), "input", "tool_result"),
        ("chat", Some("assistant"), "output", "assistant_message"),
        ("chat", Some("critic"), "input", "custom"),
        ("invoke_agent", Some("assistant"), "output", "final_response"),
        ("invoke_agent", Some("user"), "input", "user_input"),
    ];
    for (op, role, direction, want) in cases {
        let key = if *direction == "input" { "gen_ai.input.messages" } else { "gen_ai.output.messages" };
        let message = json!([{"role": role, "parts": [{"type": "text", "content": "x"}]}]).to_string();
        let o = one_span(vec![kv_str("gen_ai.operation.name", op), kv_str(key, &message)], vec![], None, true);
        assert_eq!(o.events[0]["type"], *want, "{op} {role:?} {direction}");
        assert_eq!(o.events[0]["content"], "x");
    }
    // Payloads without a role take their type from the span's kind.
    let payloads: &[(&str, &str, &str)] = &[
        ("TOOL", "input.value", "tool_arguments"),
        ("TOOL", "output.value", "tool_result"),
        ("LLM", "input.value", "user_input"),
        ("LLM", "output.value", "assistant_message"),
        ("AGENT", "input.value", "user_input"),
        ("AGENT", "output.value", "final_response"),
        // A root span reads like an agent.
        ("CHAIN", "output.value", "final_response"),
    ];
    for (kind, key, want) in payloads {
        let o = one_span(vec![kv_str("openinference.span.kind", kind), kv_str(key, "v")], vec![], None, true);
        assert_eq!(o.events[0]["type"], *want, "{kind} {key}");
    }
}

#[test]
fn prompt_link_table() {
    let v = "0f6a8a5e-4c1b-4f7e-9a51-7d2a3c9b1e20";
    let cases: &[(Pairs, Option<Json>)] = &[
        (&[("northstar.prompt.version_id", v)], Some(json!({}))),
        (&[("northstar.prompt.version_id", v), ("northstar.prompt.variables", r#"{"a":1}"#)], Some(json!({"a": 1}))),
        (&[("prompt.id", v), ("llm.prompt_template.variables", r#"{"b":"x"}"#)], Some(json!({"b": "x"}))),
        (&[("prompt.id", v), ("prompt.vendor", "NorthStar")], Some(json!({}))),
        (&[("prompt.id", v), ("prompt.vendor", "langfuse")], None),
        (&[("prompt.id", "my-prompt")], None),
        (&[("northstar.prompt.version_id", "not-a-uuid")], None),
        (&[("northstar.prompt.version_id", v), ("northstar.prompt.variables", "[1]")], Some(json!({}))),
    ];
    for (attrs, want) in cases {
        let o = one_span(attrs.iter().map(|(k, v)| kv_str(k, v)).collect(), vec![], None, true);
        match want {
            None => assert!(o.prompt_links.is_empty(), "{attrs:?}"),
            Some(vars) => {
                assert_eq!(o.prompt_links.len(), 1, "{attrs:?}");
                assert_eq!(o.prompt_links[0]["prompt_version_id"], v);
                // Absent or unusable variables: prepare_batch writes {}.
                let got = o.prompt_links[0].get("variable_values").cloned().unwrap_or(Json::Null);
                assert_eq!(&got, vars, "{attrs:?}");
            }
        }
    }
}

#[test]
fn attribute_values_are_kept_faithfully() {
    let any = |v: Value| Some(AnyValue { value: Some(v) });
    let nested = Value::Kvlist(northstar_core::otlp::wire::KeyValueList {
        values: vec![
            KeyValue { key: "n".into(), value: any(Value::Int(-9_007_199_254_740_993)) },
            KeyValue {
                key: "list".into(),
                value: any(Value::Array(northstar_core::otlp::wire::ArrayValue {
                    values: vec![AnyValue { value: Some(Value::Bool(false)) }, AnyValue { value: None }],
                })),
            },
        ],
    });
    let o = one_span(
        vec![
            KeyValue { key: "obj".into(), value: any(nested) },
            KeyValue { key: "empty".into(), value: None },
            KeyValue { key: "inf".into(), value: any(Value::Double(f64::INFINITY)) },
        ],
        vec![],
        None,
        true,
    );
    let a = &o.spans[0]["attributes"];
    assert_eq!(a["obj"]["list"], json!([false, null]));
    assert_eq!(a["empty"], Json::Null);
    assert_eq!(a["inf"], "Infinity");
    // Beyond 2^53: the digits are kept exactly in the text sent to the database.
    assert!(o.prepared.batch.spans().contains(r#""n":-9007199254740993"#));
}
