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
