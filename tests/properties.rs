//! Property tests: no input makes `prepare_batch` panic, and whatever it returns is
//! well-formed — either lists the database will accept in shape, or violations.
#![cfg(not(target_arch = "wasm32"))]

use northstar_core::{prepare_batch, Code, Limits};
use proptest::prelude::*;
use serde_json::{json, Value};
use uuid::Uuid;

const PROJECT: &str = "7b897f13-dad3-41d8-945b-94358423ab85";

fn check_invariants(body: &[u8]) {
    let limits = Limits { max_violations: 10, ..Limits::default() };
    match prepare_batch(body, Uuid::parse_str(PROJECT).unwrap(), &limits) {
        Ok(p) => {
            let lists = [
                (p.sessions(), p.counts.sessions),
                (p.runs(), p.counts.runs),
                (p.spans(), p.counts.spans),
                (p.events(), p.counts.events),
                (p.prompt_links(), p.counts.prompt_links),
                (p.scores(), p.counts.scores),
            ];
            for (text, count) in lists {
                let v: Value = serde_json::from_str(text).expect("prepared list is JSON");
                let records = v.as_array().expect("prepared list is an array");
                assert_eq!(records.len(), count);
                for r in records {
                    assert_eq!(r["project_id"], PROJECT);
                }
            }
            let spans: Vec<Value> = serde_json::from_str(p.spans()).unwrap();
            for (i, s) in spans.iter().enumerate() {
                if let Some(parent) = s.get("parent_span_id") {
                    if let Some(j) = spans.iter().position(|o| &o["id"] == parent) {
                        assert!(j < i, "parent after child");
                    }
                }
            }
        }
        Err(r) => {
            assert!(!r.errors.is_empty());
            assert!(r.errors.len() <= 10 && r.total >= r.errors.len());
            assert_eq!(r.truncated, r.total > r.errors.len());
            assert!(r.status == 400 || r.status == 413);
            let first = &r.errors[0];
            if !matches!(first.code, Code::InvalidJson | Code::InvalidUtf8) {
                assert_eq!(r.error, first.message);
            }
            for v in &r.errors {
                assert!(!v.path.is_empty() && !v.message.is_empty());
            }
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("2025-03-01T12:00:00Z"),
            Just("a1000000-0000-4000-8000-000000000001"),
            Just("5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"),
            Just("ok"),
            Just("running"),
            Just("tool"),
            Just("api"),
            Just("categorical"),
            Just("\u{0}"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const FIELDS: &[&str] = &[
    "id",
    "project_id",
    "session_id",
    "run_id",
    "parent_span_id",
    "span_id",
    "trace_id",
    "prompt_version_id",
    "name",
    "kind",
    "status",
    "type",
    "created_at",
    "started_at",
    "ended_at",
    "metadata",
    "attributes",
    "error",
    "content",
    "iteration",
    "value",
    "data_type",
    "string_value",
    "source",
    "comment",
    "variable_values",
    "extra",
];
const LISTS: &[&str] = &["sessions", "runs", "spans", "events", "prompt_links", "scores"];

fn seed() -> Value {
    let mut b: Value = serde_json::from_str(include_str!("fixtures/example-b.json")).unwrap();
    let a: Value = serde_json::from_str(include_str!("fixtures/example-a.json")).unwrap();
    for k in ["sessions", "runs", "spans", "events"] {
        b[k] = a[k].clone();
    }
    b
}

/// Our one-pass reader and serde_json must agree on whether a text is JSON at all.
fn same_verdict_as_serde_json(text: &str) {
    let ours =
        northstar_core::json::parse_body(text.as_bytes(), &northstar_core::validate::FIELD_NAMES, 10_000, 128).is_ok();
    let serde = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
    assert_eq!(ours, serde, "verdicts differ on {text:?}");
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\n",
    "\"a\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\\"\"",
    "\"\\x\"",
    "\"",
    "\\",
    "1",
    "-0.5e3",
    "01",
    "1.",
    ".5",
    "-",
    "1e",
    "1E+2",
    "true",
    "fals",
    "null",
    "nul",
    "\"spans\"",
    "\"id\"",
    "\"schema_version\"",
    "\"é\"",
    "\u{1}",
    "\"\\u12\"",
    "0",
    "-0",
];

/// The timestamp rule spelled out with chrono's calendar and clock, as a reference for
/// the fast check in `formats.rs`.
fn reference_timestamp(s: &str) -> bool {
    use chrono::{NaiveDate, NaiveTime};
    let re = |at: usize, len: usize| s.get(at..at + len).filter(|p| p.bytes().all(|c| c.is_ascii_digit()));
    let num = |at, len| re(at, len).map(|p| p.parse::<u32>().unwrap());
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return false;
    }
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(se)) =
        (num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2))
    else {
        return false;
    };
    let rest = &s[19..];
    let (fraction, zone) = match rest.strip_prefix('.') {
        Some(r) => {
            let n = r.bytes().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 32 {
                return false;
            }
            (&r[..n], &r[n..])
        }
        None => ("", rest),
    };
    let zone_ok = zone == "Z"
        || (zone.len() == 6
            && (zone.starts_with('+') || zone.starts_with('-'))
            && &zone[3..4] == ":"
            && zone[1..3].parse::<u8>().is_ok_and(|h| h < 16 && zone[1..3].bytes().all(|c| c.is_ascii_digit()))
            && zone[4..6].parse::<u8>().is_ok_and(|m| m < 60 && zone[4..6].bytes().all(|c| c.is_ascii_digit())));
    if !zone_ok || y == 0 || NaiveDate::from_ymd_opt(y as i32, mo, d).is_none() {
        return false;
    }
    if h == 24 {
        return mi == 0 && se == 0 && fraction.bytes().all(|c| c == b'0');
    }
    NaiveTime::from_hms_opt(h, mi, se).is_some()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn timestamp_check_matches_the_calendar(
        s in prop_oneof![
            "[0-9]{4}-(0[0-9]|1[0-3])-([0-3][0-9])T([0-2][0-9]):([0-6][0-9]):([0-6][0-9])(\\.[0-9]{0,3})?(Z|[+-][0-2][0-9]:[0-6][0-9])",
            "(0000|1900|2000|2023|2024|2100)-(02|04|12)-(28|29|30|31)T(00|23|24):(00|59|60):(00|59|60)(\\.0{1,2}|\\.5)?(Z|\\+15:59|-16:00)",
            "[0-9T:.Z+-]{19,30}",
        ]
    ) {
        prop_assert_eq!(northstar_core::formats::is_valid_timestamp(&s), reference_timestamp(&s), "{}", s);
    }

    #[test]
    fn syntax_agrees_with_serde_json_on_token_soup(tokens in prop::collection::vec(0..TOKENS.len(), 0..24)) {
        let text: String = tokens.iter().map(|&t| TOKENS[t]).collect();
        same_verdict_as_serde_json(&text);
        same_verdict_as_serde_json(&format!("{{\"spans\":[{{\"id\":{text}}}]}}"));
    }

    #[test]
    fn syntax_agrees_with_serde_json_on_damaged_json(v in arb_json(), at in any::<prop::sample::Index>(), edit in 0..TOKENS.len(), cut in any::<bool>()) {
        let text = json!({"schema_version": 2, "spans": [v.clone()], "events": [{"content": v}]}).to_string();
        same_verdict_as_serde_json(&text);
        let mut pos = at.index(text.len() + 1);
        while !text.is_char_boundary(pos) {
            pos -= 1;
        }
        let damaged = if cut { text[..pos].to_string() } else { format!("{}{}{}", &text[..pos], TOKENS[edit], &text[pos..]) };
        same_verdict_as_serde_json(&damaged);
    }

    #[test]
    fn uuid_decoder_matches_the_uuid_crate(
        text in prop_oneof![
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "[0-9a-gA-G-]{36}",
            "[0-9a-f{}:urn-]{30,45}",
            "\\PC{36}",
        ]
    ) {
        let ours = northstar_core::formats::parse_uuid(&text);
        let theirs = if text.len() == 36 { Uuid::try_parse(&text).ok() } else { None };
        prop_assert_eq!(ours, theirs, "{}", text);
        if let Some(id) = ours {
            let text = northstar_core::formats::format_uuid(id);
            let expected = id.hyphenated().to_string();
            prop_assert_eq!(&*text, expected.as_str());
            prop_assert_eq!(&text.as_bytes()[..], expected.as_bytes());
        }
    }

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_invariants(&bytes);
    }

    #[test]
    fn arbitrary_json(v in arb_json()) {
        check_invariants(v.to_string().as_bytes());
        let wrapped = json!({"schema_version": 2, "spans": [v.clone()], "events": v});
        check_invariants(wrapped.to_string().as_bytes());
    }

    #[test]
    fn mutated_valid_batches(
        edits in prop::collection::vec((0..LISTS.len(), 0usize..4, 0..FIELDS.len(), arb_json(), any::<bool>()), 1..5),
        cut in any::<Option<prop::sample::Index>>(),
    ) {
        let mut b = seed();
        for (list, index, field, value, remove) in edits {
            let items = b[LISTS[list]].as_array_mut().unwrap();
            if items.is_empty() {
                continue;
            }
            let n = items.len();
            let record = &mut items[index % n];
            if remove {
                if let Some(o) = record.as_object_mut() {
                    o.remove(FIELDS[field]);
                }
            } else if let Some(o) = record.as_object_mut() {
                o.insert(FIELDS[field].to_string(), value);
            }
        }
        let mut text = b.to_string().into_bytes();
        if let Some(cut) = cut {
            text.truncate(cut.index(text.len() + 1));
        }
        check_invariants(&text);
    }

    #[test]
    fn duplicated_and_shuffled_records(order in Just(()).prop_perturb(|_, mut rng| {
        let mut b = seed();
        for list in LISTS {
            let items = b[*list].as_array_mut().unwrap();
            let extra: Vec<Value> = items.iter().filter(|_| rng.random_bool(0.5)).cloned().collect();
            items.extend(extra);
            for i in (1..items.len()).rev() {
                let j = rng.random_range(0..=i);
                items.swap(i, j);
            }
        }
        b
    })) {
        let text = order.to_string();
        let p = prepare_batch(text.as_bytes(), Uuid::parse_str(PROJECT).unwrap(), &Limits::default());
        // Duplicates and order never make a valid batch invalid.
        let p = p.expect("shuffled, duplicated valid batch stays valid");
        prop_assert_eq!(p.counts.spans, 3);
        prop_assert_eq!(p.counts.scores, 3);
        check_invariants(text.as_bytes());
    }
}
