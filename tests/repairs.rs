//! Repairs instead of refusals: what a real SDK sends is stored, and every change is a
//! warning with its path; what the SDK never sends stays a 400.
#![cfg(not(target_arch = "wasm32"))]

use northstar_core::repair::{fix_string, MARKER_RESERVE};
use northstar_core::{prepare_batch, validate_batch, Code, Limits, PreparedBatch};
use proptest::prelude::*;
use serde_json::{json, Value};
use uuid::Uuid;

const PROJECT: &str = "7b897f13-dad3-41d8-945b-94358423ab85";

fn example_a() -> Value {
    serde_json::from_str(include_str!("fixtures/example-a.json")).unwrap()
}

fn prepare_text(text: &str, limits: &Limits) -> PreparedBatch {
    match prepare_batch(text.as_bytes(), Uuid::parse_str(PROJECT).unwrap(), limits) {
        Ok(p) => p,
        Err(r) => panic!("expected acceptance, got {r:#?}"),
    }
}

fn list(text: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(text).expect("prepared list is JSON").as_array().unwrap().clone()
}

/// (path, code) of each warning.
fn warned(p: &PreparedBatch) -> Vec<(String, Code)> {
    p.warnings.iter().map(|w| (w.what.path.clone(), w.what.code)).collect()
}

#[test]
fn nul_is_replaced_in_values_and_keys_and_reported_with_paths() {
    let text = example_a()
        .to_string()
        .replacen("\"research-agent\"", "\"research\\u0000agent\"", 1)
        .replacen("\"tool_type\":\"http\"", "\"tool_type\":\"h\\u0000ttp\",\"k\\u0000\":1", 1)
        .replacen("\"Find the current API documentation.\"", "{\"text\":[\"a\",\"\\u0000\"]}", 1);
    let p = prepare_text(&text, &Limits::default());
    assert_eq!(
        warned(&p),
        [
            ("runs[0].name".to_string(), Code::NulCharacter),
            ("spans[2].attributes.tool_type".to_string(), Code::NulCharacter),
            ("events[0].content.text[1]".to_string(), Code::NulCharacter),
        ]
    );
    assert!(p.warnings[1].what.message.contains("(2 replaced in spans[2].attributes)"), "{:?}", p.warnings[1]);
    assert_eq!(p.warnings[0].kind, "run");
    assert_eq!(p.warnings[0].record_id.to_string(), "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6");
    assert_eq!(list(p.runs())[0]["name"], "research\u{fffd}agent");
    let span = list(p.spans()).into_iter().find(|s| s["name"] == "search-docs").unwrap();
    assert_eq!(span["attributes"], json!({"tool_type": "h\u{fffd}ttp", "k\u{fffd}": 1}));
    assert_eq!(list(p.events())[0]["content"], json!({"text": ["a", "\u{fffd}"]}));
    assert!(p.is_ascii() && p.text().0.is_ascii(), "the replacement is written as an escape");
    let rows: Value = serde_json::from_str(&p.warning_rows()).unwrap();
    assert_eq!(rows[0]["kind"], "run");
    assert_eq!(rows[0]["path"], "runs[0].name");
    assert_eq!(rows[0]["code"], "nul_character");
}

#[test]
fn lone_surrogates_are_replaced_and_pairs_kept() {
    let text = example_a()
        .to_string()
        .replacen("\"research-agent\"", "\"a\\ud800b\\ud83d\\ude00c\\udc00\"", 1)
        .replacen("\"source\":\"cli\"", "\"source\":\"cli\",\"\\udfff\":\"x\"", 1);
    let p = prepare_text(&text, &Limits::default());
    assert_eq!(
        warned(&p),
        [
            ("sessions[0].metadata[\"\u{fffd}\"]".to_string(), Code::LoneSurrogate),
            ("runs[0].name".to_string(), Code::LoneSurrogate),
        ]
    );
    assert_eq!(list(p.runs())[0]["name"], "a\u{fffd}b😀c\u{fffd}");
    assert_eq!(list(p.sessions())[0]["metadata"], json!({"source": "cli", "\u{fffd}": "x"}));
}

#[test]
fn long_strings_are_cut_at_a_character_and_marked() {
    let limits = Limits { max_field_bytes: 4096, ..Limits::default() };
    let mut body = example_a();
    let long = "é".repeat(3000); // 6000 bytes
    body["spans"][2]["attributes"]["input"] = json!(long);
    body["runs"][0]["name"] = json!("n".repeat(5000));
    body["events"][0]["content"] = json!("short");
    let p = prepare_text(&body.to_string(), &limits);
    assert_eq!(
        warned(&p),
        [
            ("runs[0].name".to_string(), Code::FieldTruncated),
            ("spans[2].attributes.input".to_string(), Code::FieldTruncated)
        ]
    );
    let span = list(p.spans()).into_iter().find(|s| s["name"] == "search-docs").unwrap();
    let input = span["attributes"]["input"].as_str().unwrap();
    assert!(input.len() <= 4096, "{}", input.len());
    let kept = (4096 - MARKER_RESERVE) / 2 * 2;
    assert_eq!(input, format!("{}…[truncated {} bytes]", "é".repeat(kept / 2), 6000 - kept));
    assert_eq!(span["attributes"]["tool_type"], "http");
    assert!(p.warnings[1].what.message.contains("was 6000 bytes"), "{}", p.warnings[1].what.message);
    let name = list(p.runs())[0]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("nnn") && name.ends_with(" bytes]") && name.len() <= 4096);
    // Strict mode keeps the value whole, as before.
    let strict = Limits { strict: true, ..limits };
    let p = prepare_text(&body.to_string(), &strict);
    assert!(p.warnings.is_empty());
    assert_eq!(list(p.runs())[0]["name"].as_str().unwrap().len(), 5000);
}

#[test]
fn a_string_at_the_limit_is_kept_whole() {
    let limits = Limits { max_field_bytes: 1024, ..Limits::default() };
    let mut body = example_a();
    body["runs"][0]["name"] = json!("x".repeat(1024));
    assert!(prepare_text(&body.to_string(), &limits).warnings.is_empty());
    // Escapes count as what they decode to: 1024 decoded bytes written in 2048.
    body["runs"][0]["name"] = json!("\n".repeat(1024));
    assert!(prepare_text(&body.to_string(), &limits).warnings.is_empty());
    body["runs"][0]["name"] = json!("x".repeat(1025));
    assert_eq!(prepare_text(&body.to_string(), &limits).warnings.len(), 1);
}

#[test]
fn what_the_sdk_never_sends_stays_a_400_even_beside_repairs() {
    let mut body = example_a();
    body["runs"][0]["name"] = json!("a\u{0}b");
    body["spans"][0]["kind"] = json!("nope");
    body["spans"][1]["id"] = json!("not-a-uuid");
    body["sessions"][0]["project_id"] = json!("11111111-2222-4333-8444-555555555555");
    body["events"][0]["extra"] = json!(1);
    let r =
        prepare_batch(body.to_string().as_bytes(), Uuid::parse_str(PROJECT).unwrap(), &Limits::default()).unwrap_err();
    assert_eq!(r.status, 400);
    let codes: Vec<Code> = r.errors.iter().map(|e| e.code).collect();
    for code in [Code::ProjectMismatch, Code::InvalidEnum, Code::InvalidUuid, Code::UnknownKey] {
        assert!(codes.contains(&code), "{codes:?}");
    }
    assert!(!codes.contains(&Code::NulCharacter));
    // A cycle too.
    let mut body = example_a();
    body["spans"][0]["parent_span_id"] = body["spans"][2]["id"].clone();
    body["spans"][0]["name"] = json!("\u{0}");
    let r =
        prepare_batch(body.to_string().as_bytes(), Uuid::parse_str(PROJECT).unwrap(), &Limits::default()).unwrap_err();
    assert_eq!(r.errors[0].code, Code::SpanCycle);
}

#[test]
fn validate_batch_reports_the_same_warnings() {
    let text = example_a().to_string().replacen("\"research-agent\"", "\"research\\u0000agent\"", 1);
    let v = validate_batch(text.as_bytes(), &Limits::default()).unwrap();
    let p = prepare_text(&text, &Limits::default());
    assert_eq!(v.warnings, p.warnings);
    assert!(validate_batch(text.as_bytes(), &Limits { strict: true, ..Limits::default() }).is_err());
}

/// Pieces a string is made of: plain ASCII, multi-byte characters, simple escapes,
/// `\u` escapes (BMP, pairs, NUL and lone halves).
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ]{1,6}",
        Just("é".to_string()),
        Just("中".to_string()),
        Just("😀".to_string()),
        Just("\\n".to_string()),
        Just("\\\"".to_string()),
        Just("\\\\".to_string()),
        Just("\\u00e9".to_string()),
        Just("\\u4e2d".to_string()),
        Just("\\ud83d\\ude00".to_string()),
        Just("\\u0000".to_string()),
        Just("\\ud800".to_string()),
        Just("\\udc00".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Whatever the string and wherever the limit falls, the repaired string is valid JSON
    /// with no NUL and no lone surrogate, is at most the limit long, and starts with the
    /// original's decoded text up to the cut.
    #[test]
    fn the_cut_is_always_valid_json_within_the_limit(pieces in prop::collection::vec(piece(), 1..400), extra in 0usize..64) {
        let inner: String = pieces.concat();
        let max = 1024 + extra;
        let fixed = fix_string(&inner, max);
        let written = fixed.as_ref().map_or(inner.as_str(), |f| f.text.as_str());
        let decoded: String = serde_json::from_str(&format!("\"{written}\"")).expect("valid JSON, no lone surrogate");
        prop_assert!(!decoded.contains('\0'));
        prop_assert!(decoded.len() <= max, "{} > {max}", decoded.len());
        // The original with repairs, decoded, to compare prefixes.
        let repaired_whole = fix_string(&inner, usize::MAX).map_or(inner.clone(), |f| f.text);
        let whole: String = serde_json::from_str(&format!("\"{repaired_whole}\"")).unwrap();
        match fixed.and_then(|f| f.cut) {
            Some((before, kept)) => {
                prop_assert_eq!(before, whole.len());
                let marker = format!("…[truncated {} bytes]", before - kept);
                prop_assert!(decoded.ends_with(&marker));
                prop_assert!(whole.starts_with(&decoded[..kept]));
            }
            None => prop_assert_eq!(decoded, whole),
        }
    }

    /// The same through the whole pipeline: a batch with such a string in attributes is
    /// stored, and its lists are JSON.
    #[test]
    fn batches_with_repairs_prepare_to_json(pieces in prop::collection::vec(piece(), 1..300)) {
        let text = example_a().to_string().replacen("\"tool_type\":\"http\"", &format!("\"tool_type\":\"{}\"", pieces.concat()), 1);
        let limits = Limits { max_field_bytes: 1024, ..Limits::default() };
        let p = prepare_text(&text, &limits);
        for l in p.lists() {
            serde_json::from_str::<Value>(l).expect("list is JSON");
        }
        prop_assert!(p.warnings.iter().all(|w| w.what.path == "spans[2].attributes.tool_type"));
    }
}

#[test]
fn warnings_kept_are_bounded_but_all_counted() {
    let mut body = example_a();
    let event = body["events"][0].clone();
    let events: Vec<Value> = (0..2600u128)
        .map(|i| {
            let mut e = event.clone();
            e["id"] = json!(Uuid::from_u128(i + 1).to_string());
            e
        })
        .collect();
    body["events"] = json!(events);
    // Four repairs per event: a NUL and a lone surrogate in content and in attributes.
    let text = body
        .to_string()
        .replace(r#""content":"Find the current API documentation.""#, r#""content":["\u0000","\ud800"]"#)
        .replace(r#""attributes":{},"content":["#, r#""attributes":{"a":"\u0000","b":"\udc00"},"content":["#);
    let p = prepare_text(&text, &Limits::default());
    assert_eq!(p.warnings_total, 10_400);
    assert_eq!(p.warnings.len(), northstar_core::violation::MAX_WARNINGS_KEPT);
    let v = validate_batch(text.as_bytes(), &Limits::default()).unwrap();
    assert_eq!((v.warnings.len(), v.warnings_total), (10_000, 10_400));
}
