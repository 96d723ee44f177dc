//! The wasm exports, run inside WebAssembly by wasm-bindgen-test (Node runner).
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect, Uint8Array, JSON};
use northstar_core::wasm;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const PROJECT: &str = "7b897f13-dad3-41d8-945b-94358423ab85";
const EXAMPLE_A: &str = include_str!("fixtures/example-a.json");
const EXAMPLE_B: &str = include_str!("fixtures/example-b.json");

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn parse(text: &JsValue) -> JsValue {
    JSON::parse(&text.as_string().unwrap()).unwrap()
}

#[wasm_bindgen_test]
fn prepare_batch_returns_json_texts_with_the_project() {
    let r = wasm::prepare_batch(EXAMPLE_A.as_bytes(), PROJECT, JsValue::UNDEFINED, None).unwrap();
    assert_eq!(get(&r, "ok"), JsValue::TRUE);
    let spans: Array = parse(&get(&r, "spans")).dyn_into().unwrap();
    assert_eq!(spans.length(), 3);
    for span in spans.iter() {
        assert_eq!(get(&span, "project_id").as_string().unwrap(), PROJECT);
    }
    assert_eq!(get(&get(&r, "counts"), "events").as_f64(), Some(3.0));
    let b = wasm::prepare_batch(EXAMPLE_B.as_bytes(), PROJECT, JsValue::UNDEFINED, None).unwrap();
    assert_eq!(get(&get(&b, "counts"), "scores").as_f64(), Some(3.0));
}

/// The JavaScript strings are exactly the lists the Rust API writes (decoded as one string
/// and cut at UTF-16 offsets), whether the batch is ASCII, has non-ASCII text (two-unit
/// characters included), or is ASCII with escapes that a merge writes out unescaped.
#[wasm_bindgen_test]
fn list_strings_are_exactly_the_prepared_lists() {
    let session =
        |id: &str, meta: &str| format!(r#"{{"id":"{id}","created_at":"2025-03-01T12:00:00Z","metadata":{meta}}}"#);
    let s1 = "0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11";
    let s2 = "1b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11";
    let merged_escapes = format!(
        r#"{{"schema_version":2,"sessions":[{},{},{}]}}"#,
        session(s1, r#"{"a":"caf\u00e9 \ud83d\ude00"}"#),
        session(s2, r#"{"z":1}"#),
        session(s1, r#"{"b":"x"}"#)
    );
    let non_ascii = EXAMPLE_A.replace("\"metadata\": {", "\"metadata\": {\"note\": \"\u{e9}t\u{e9} \u{1F600}\",");
    assert!(!non_ascii.is_ascii());
    for body in [EXAMPLE_A.to_string(), EXAMPLE_B.to_string(), merged_escapes, non_ascii] {
        let project = uuid::Uuid::parse_str(PROJECT).unwrap();
        let native = northstar_core::prepare_batch(body.as_bytes(), project, &Default::default()).unwrap();
        let r = wasm::prepare_batch(body.as_bytes(), PROJECT, JsValue::UNDEFINED, None).unwrap();
        for (k, name) in ["sessions", "runs", "spans", "events", "prompt_links", "scores"].iter().enumerate() {
            assert_eq!(get(&r, name).as_string().unwrap(), native.list(k), "{name} of {body}");
        }
    }
}

#[wasm_bindgen_test]
fn rejection_is_a_plain_object_with_paths() {
    let body = EXAMPLE_A.replacen("\"agent\"", "\"llm\"", 1);
    let r = wasm::prepare_batch(body.as_bytes(), PROJECT, JsValue::UNDEFINED, None).unwrap();
    assert_eq!(get(&r, "ok"), JsValue::FALSE);
    assert_eq!(get(&r, "status").as_f64(), Some(400.0));
    let errors: Array = get(&r, "errors").dyn_into().unwrap();
    let first = errors.get(0);
    assert_eq!(get(&first, "path").as_string().unwrap(), "spans[0].kind");
    assert_eq!(get(&first, "code").as_string().unwrap(), "invalid_enum");
    assert_eq!(
        get(&r, "error").as_string().unwrap(),
        "spans[0].kind must be one of: agent, workflow, model, tool, custom"
    );
}

#[wasm_bindgen_test]
fn limits_come_from_a_js_object_and_typos_throw() {
    let limits = JSON::parse(r#"{"maxRecords": 3}"#).unwrap();
    let r = wasm::prepare_batch(EXAMPLE_A.as_bytes(), PROJECT, limits, None).unwrap();
    assert_eq!(get(&r, "status").as_f64(), Some(413.0));
    let typo = JSON::parse(r#"{"maxRecord": 3}"#).unwrap();
    assert!(wasm::prepare_batch(EXAMPLE_A.as_bytes(), PROJECT, typo, None).is_err());
    assert!(wasm::prepare_batch(EXAMPLE_A.as_bytes(), "nope", JsValue::UNDEFINED, None).is_err());
    assert_eq!(get(&wasm::default_limits().unwrap(), "maxRecords").as_f64(), Some(100_000.0));
}

#[wasm_bindgen_test]
fn validate_batch_takes_text_or_bytes() {
    let from_text = wasm::validate_batch(JsValue::from_str(EXAMPLE_A), JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&from_text, "ok"), JsValue::TRUE);
    let bytes = Uint8Array::from(EXAMPLE_A.as_bytes());
    let from_bytes = wasm::validate_batch(bytes.into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&get(&from_bytes, "counts"), "spans").as_f64(), Some(3.0));
    assert!(wasm::validate_batch(JsValue::from_f64(1.0), JsValue::UNDEFINED).is_err());
}

#[wasm_bindgen_test]
fn keys_and_bearer_headers() {
    assert_eq!(wasm::hash_api_key("test"), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    assert_eq!(wasm::parse_bearer(Some("Bearer ns_x".into())), Some("ns_x".to_string()));
    assert_eq!(wasm::parse_bearer(None), None);
}

#[wasm_bindgen_test]
fn hostile_inputs_do_not_trap() {
    let deep = format!("{{\"schema_version\":2,\"events\":[{}{}]}}", "[".repeat(100_000), "]".repeat(100_000));
    let r = wasm::prepare_batch(deep.as_bytes(), PROJECT, JsValue::UNDEFINED, None).unwrap();
    assert_eq!(get(&r, "ok"), JsValue::FALSE);
    let nested =
        format!("{{\"schema_version\":2,\"events\":[{{\"content\":{}{}}}]}}", "[".repeat(100_000), "]".repeat(100_000));
    let r = wasm::prepare_batch(nested.as_bytes(), PROJECT, JsValue::UNDEFINED, None).unwrap();
    assert_eq!(get(&r, "ok"), JsValue::FALSE);
    for bytes in [&b"\xff\xfe"[..], b"{\"a\":\"\\ud800\"}", b"", b"{\"spans\":[{\"\\udfff\":1}]}"] {
        let r = wasm::prepare_batch(bytes, PROJECT, JsValue::UNDEFINED, None).unwrap();
        assert_eq!(get(&r, "ok"), JsValue::FALSE);
    }
}

#[wasm_bindgen_test]
fn strings_are_read_exactly_whatever_the_offset_of_quotes_escapes_and_controls() {
    // The string skim of the wasm build looks at 16 bytes at a time: put the interesting
    // byte at every offset of a block, and check the value survives or the body is refused.
    for k in 0..40 {
        let name = format!("{}\\\"q\\\\é{}", "x".repeat(k), "y".repeat(20));
        let body = EXAMPLE_A.replacen("\"research-agent\"", &format!("\"{name}\""), 1);
        let r = wasm::prepare_batch(body.as_bytes(), PROJECT, JsValue::UNDEFINED, None).unwrap();
        assert_eq!(get(&r, "ok"), JsValue::TRUE, "offset {k}");
        let runs: Array = parse(&get(&r, "runs")).dyn_into().unwrap();
        let expected = format!("{}\"q\\é{}", "x".repeat(k), "y".repeat(20));
        assert_eq!(get(&runs.get(0), "name").as_string().unwrap(), expected);

        let raw_tab =
            EXAMPLE_A.replacen("\"research-agent\"", &format!("\"{}\t{}\"", "x".repeat(k), "y".repeat(20)), 1);
        let r = wasm::prepare_batch(raw_tab.as_bytes(), PROJECT, JsValue::UNDEFINED, None).unwrap();
        assert_eq!(get(&r, "ok"), JsValue::FALSE, "raw control character at offset {k}");
    }
}

#[wasm_bindgen_test]
fn prompt_templates_in_wasm() {
    let vars: Array = wasm::extract_variables("Hello {{ name }}, write {count} bullets for {{ topic }}. {{{x}}} { y }")
        .unwrap()
        .dyn_into()
        .unwrap();
    let names: Vec<String> = vars.iter().map(|v| v.as_string().unwrap()).collect();
    assert_eq!(names, ["count", "name", "topic", "x"]);
    let schema: Array = wasm::variables_schema("{b}").unwrap().dyn_into().unwrap();
    assert_eq!(get(&schema.get(0), "type").as_string().unwrap(), "string");
    assert_eq!(get(&schema.get(0), "required"), JsValue::TRUE);
    assert!(get(&schema.get(0), "default").is_null());
    let values = JSON::parse(r#"{"doc": "{max_words}", "max_words": 120}"#).unwrap();
    assert_eq!(
        wasm::render("Summarize {{ doc }} in {max_words} words.", values).unwrap(),
        "Summarize {max_words} in 120 words."
    );
    let err = wasm::render("{a} {b}", JSON::parse("{}").unwrap()).unwrap_err();
    assert_eq!(JsValue::from(err).dyn_into::<js_sys::Error>().unwrap().message(), "Missing prompt variables: a, b");
    assert_eq!(wasm::content_hash(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/// Repairs cross the boundary: the warnings object, the rows for the database, and lists
/// that still parse and are cut at the right UTF-16 offsets when the body is not ASCII.
#[wasm_bindgen_test]
fn repairs_come_with_warnings_and_rows() {
    let long = "é😀".repeat(700); // 4,200 bytes, over a 1,024-byte field limit
    let text = EXAMPLE_A.replacen("\"research-agent\"", "\"research\\u0000agent\"", 1).replacen(
        "\"Find the current API documentation.\"",
        &format!("\"{long}\""),
        1,
    );
    let limits = JSON::parse(r#"{"maxFieldBytes": 1024}"#).unwrap();
    let r = wasm::prepare_batch(text.as_bytes(), PROJECT, limits.clone(), None).unwrap();
    assert_eq!(get(&r, "ok"), JsValue::TRUE);
    let warnings: Array = get(&r, "warnings").dyn_into().unwrap();
    assert_eq!(warnings.length(), 2);
    assert_eq!(get(&warnings.get(0), "path").as_string().unwrap(), "runs[0].name");
    assert_eq!(get(&warnings.get(1), "code").as_string().unwrap(), "field_truncated");
    assert_eq!(get(&r, "warnings_total").as_f64(), Some(2.0));
    let rows: Array = parse(&get(&r, "warning_rows")).dyn_into().unwrap();
    assert_eq!(get(&rows.get(0), "kind").as_string().unwrap(), "run");
    for list in ["sessions", "runs", "spans", "events", "prompt_links", "scores"] {
        parse(&get(&r, list));
    }
    let events: Array = parse(&get(&r, "events")).dyn_into().unwrap();
    let content = get(&events.get(0), "content").as_string().unwrap();
    assert!(content.starts_with("é😀") && content.ends_with(" bytes]"), "{content}");
    let v = wasm::validate_batch(JsValue::from_str(&text), limits).unwrap();
    assert_eq!(get(&v, "warnings_total").as_f64(), Some(2.0));
    let clean = wasm::prepare_batch(EXAMPLE_A.as_bytes(), PROJECT, JsValue::UNDEFINED, None).unwrap();
    assert!(get(&clean, "warnings").is_undefined());
}

#[wasm_bindgen_test]
fn prepare_batch_writes_rows_when_asked_and_refuses_other_formats() {
    let r = wasm::prepare_batch(EXAMPLE_A.as_bytes(), PROJECT, JsValue::UNDEFINED, Some("rows".into())).unwrap();
    let get = |key: &str| js_sys::Reflect::get(&r, &JsValue::from_str(key)).unwrap();
    assert_eq!(get("format").as_string().as_deref(), Some("rows"));
    let sessions = get("sessions").as_string().unwrap();
    assert_eq!(sessions.split('\t').count(), 4, "{sessions}");
    assert!(sessions.starts_with("0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11\t"));
    let json = wasm::prepare_batch(EXAMPLE_A.as_bytes(), PROJECT, JsValue::UNDEFINED, None).unwrap();
    assert!(js_sys::Reflect::get(&json, &JsValue::from_str("format")).unwrap().is_undefined());
    assert!(wasm::prepare_batch(EXAMPLE_A.as_bytes(), PROJECT, JsValue::UNDEFINED, Some("csv".into())).is_err());
}
