//! The `prepare_otlp` export, run inside WebAssembly by wasm-bindgen-test (Node runner).
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect, JSON};
use northstar_core::wasm;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const PROJECT: &str = "7b897f13-dad3-41d8-945b-94358423ab85";
const GENAI_CURRENT: &str = include_str!("fixtures/otlp/genai_current.json");

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn parse(text: &JsValue) -> JsValue {
    JSON::parse(&text.as_string().unwrap()).unwrap()
}

#[wasm_bindgen_test]
fn prepare_otlp_json_returns_the_prepared_lists_and_partial_success() {
    let r = wasm::prepare_otlp(GENAI_CURRENT.as_bytes(), "application/json", PROJECT, JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&r, "ok"), JsValue::TRUE);
    let spans: Array = parse(&get(&r, "spans")).dyn_into().unwrap();
    assert_eq!(spans.length(), 3);
    assert_eq!(get(&spans.get(0), "kind").as_string().unwrap(), "agent");
    assert_eq!(get(&get(&r, "counts"), "scores").as_f64(), Some(2.0));
    assert_eq!(get(&r, "spans_received").as_f64(), Some(3.0));
    assert_eq!(get(&r, "rejected_spans").as_f64(), Some(0.0));
    assert_eq!(get(&r, "error_message").as_string().unwrap(), "");
    let runs: Array = parse(&get(&r, "trace_runs")).dyn_into().unwrap();
    assert_eq!(get(&runs.get(0), "has_root"), JsValue::TRUE);
}

#[wasm_bindgen_test]
fn prepare_otlp_refusals() {
    let r = wasm::prepare_otlp(b"\xff\xff\xff", "application/x-protobuf", PROJECT, JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&r, "ok"), JsValue::FALSE);
    assert_eq!(get(&r, "status").as_f64(), Some(400.0));
    let errors: Array = get(&r, "errors").dyn_into().unwrap();
    assert_eq!(get(&errors.get(0), "code").as_string().unwrap(), "invalid_protobuf");
    let r = wasm::prepare_otlp(b"{}", "text/plain", PROJECT, JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&r, "status").as_f64(), Some(415.0));
    assert!(wasm::prepare_otlp(b"{}", "application/json", "nope", JsValue::UNDEFINED).is_err());
}

#[wasm_bindgen_test]
fn prepare_otlp_warnings_name_the_otlp_span() {
    // A NUL in the second span's name, repaired: the warning and its database row name
    // that span of the request.
    let mut doc: serde_json::Value = serde_json::from_str(GENAI_CURRENT).unwrap();
    let span = &mut doc["resourceSpans"][0]["scopeSpans"][0]["spans"][1];
    span["name"] = serde_json::Value::String(format!("nul\u{0}{}", span["name"].as_str().unwrap()));
    let body = serde_json::to_vec(&doc).unwrap();
    let r = wasm::prepare_otlp(&body, "application/json", PROJECT, JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&r, "ok"), JsValue::TRUE);
    let warnings: Array = get(&r, "warnings").dyn_into().unwrap();
    assert!(warnings.length() >= 1);
    for w in warnings.iter() {
        let path = get(&w, "path").as_string().unwrap();
        assert!(path.starts_with("resourceSpans[0].scopeSpans[0].spans[1] (as "), "{path}");
    }
    let rows = get(&r, "warning_rows").as_string().unwrap();
    assert!(rows.contains("\"path\":\"resourceSpans[0].scopeSpans[0].spans[1] (as "), "{rows}");
}

#[wasm_bindgen_test]
fn four_lane_sha256_ids_equal_derive_id_in_wasm() {
    // The simd128 lanes (only compiled for wasm) against the scalar SHA-256, at every
    // message length up to past two blocks and every group size.
    use northstar_core::otlp::{sha4::derive_ids, value::derive_id};
    let project = uuid::Uuid::from_u128(0x7b89_7f13_dad3_41d8_945b_9435_8423_ab85);
    let data: Vec<Vec<u8>> = (0..120).map(|n| (0..n).map(|i| (i * 31 + n) as u8).collect()).collect();
    let inputs: Vec<[&[u8]; 2]> = data.iter().map(|d| [&b"0123456789abcdef"[..], &d[..]]).collect();
    for count in [1, 2, 3, 4, 5, 7, inputs.len()] {
        let want: Vec<uuid::Uuid> = inputs[..count].iter().map(|p| derive_id(project, "event", p)).collect();
        assert_eq!(derive_ids(project, "event", &inputs[..count]), want, "{count}");
    }
}
