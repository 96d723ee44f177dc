//! Records sharing an id are merged exactly: members are copied as the text that was sent
//! (never through f64), keys compare decoded, later keys win, and every earlier key stays.
//! Each case is what PostgreSQL stores when the same records arrive as separate requests
//! (`metadata = stored || sent`, jsonb numbers being `numeric`).

use northstar_core::{prepare_batch, Limits};
use uuid::Uuid;

const SESSION: &str = "0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11";
const RUN: &str = "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6";
const SPAN: &str = "a1000000-0000-4000-8000-000000000001";

fn project() -> Uuid {
    Uuid::from_u128(0x7b89_7f13_dad3_41d8_945b_9435_8423_ab85)
}

fn session(metadata: &str) -> String {
    format!(r#"{{"id":"{SESSION}","created_at":"2025-03-01T12:00:00Z","metadata":{metadata}}}"#)
}

fn span(attributes: &str) -> String {
    format!(
        r#"{{"id":"{SPAN}","run_id":"{RUN}","kind":"tool","name":"t","started_at":"2025-03-01T12:00:00Z","status":"running","attributes":{attributes}}}"#
    )
}

/// The `metadata` text of the one session the sessions merge into.
fn merged_metadata(objects: &[&str]) -> String {
    let sessions: Vec<String> = objects.iter().map(|m| session(m)).collect();
    let body = format!(r#"{{"schema_version":2,"sessions":[{}]}}"#, sessions.join(","));
    let p = prepare_batch(body.as_bytes(), project(), &Limits::default()).expect("accepted");
    assert_eq!(p.counts.sessions, 1);
    let text = p.sessions();
    let start = text.find(r#""metadata":"#).expect("metadata") + r#""metadata":"#.len();
    text[start..text.len() - 2].to_string()
}

#[test]
fn big_integers_keep_every_digit() {
    assert_eq!(
        merged_metadata(&[r#"{"n":12345678901234567890123}"#, r#"{"m":1}"#]),
        r#"{"n":12345678901234567890123,"m":1}"#
    );
}

#[test]
fn long_decimals_keep_every_digit() {
    assert_eq!(
        merged_metadata(&[
            r#"{"pi":3.14159265358979323846264338327950288}"#,
            r#"{"e":2.71828182845904523536028747135266249}"#
        ]),
        r#"{"pi":3.14159265358979323846264338327950288,"e":2.71828182845904523536028747135266249}"#
    );
}

#[test]
fn tiny_numbers_are_not_rounded_to_zero() {
    assert_eq!(merged_metadata(&[r#"{"t":1e-400}"#, r#"{"u":1}"#]), r#"{"t":1e-400,"u":1}"#);
}

#[test]
fn numbers_beyond_f64_keep_the_earlier_keys() {
    assert_eq!(merged_metadata(&[r#"{"a":1,"b":"kept"}"#, r#"{"huge":1e400}"#]), r#"{"a":1,"b":"kept","huge":1e400}"#);
    assert_eq!(merged_metadata(&[r#"{"huge":-1E+400}"#, r#"{"a":1}"#]), r#"{"huge":-1E+400,"a":1}"#);
}

#[test]
fn negative_zero_and_number_spellings_are_kept() {
    assert_eq!(merged_metadata(&[r#"{"z":-0,"f":1.50}"#, r#"{"g":1E2}"#]), r#"{"z":-0,"f":1.50,"g":1E2}"#);
}

#[test]
fn escaped_keys_and_strings_are_kept_and_compared_decoded() {
    // The same key spelled two ways is one key; the later value wins; escapes stay escapes.
    assert_eq!(
        merged_metadata(&[r#"{"a":1,"caf\u00e9":"\u00e9"}"#, r#"{"\u0061":2}"#]),
        r#"{"\u0061":2,"caf\u00e9":"\u00e9"}"#
    );
    assert_eq!(
        merged_metadata(&[r#"{"é":1}"#, r#"{"\u00e9":2,"x":"\ud83d\ude00"}"#]),
        r#"{"\u00e9":2,"x":"\ud83d\ude00"}"#
    );
}

#[test]
fn repeated_keys_take_the_last_value_within_and_across_records() {
    assert_eq!(merged_metadata(&[r#"{"a":1,"a":2,"b":1}"#, r#"{"b":2,"b":3}"#, "{}"]), r#"{"a":2,"b":3}"#);
}

#[test]
fn nested_values_are_replaced_whole_and_kept_as_sent() {
    assert_eq!(
        merged_metadata(&[r#"{"o":{"x":1,"y":[1, 2.000]},"k":null}"#, r#"{"o":{"z":true}}"#, r#"{"p":[ ]}"#]),
        r#"{"o":{"z":true},"k":null,"p":[ ]}"#
    );
}

#[test]
fn many_copies_merge_in_the_order_sent() {
    let objects: Vec<String> = (0..300).map(|i| format!(r#"{{"k{}":{i},"last":{i}}}"#, i % 100)).collect();
    let refs: Vec<&str> = objects.iter().map(String::as_str).collect();
    let expected: Vec<String> = (0..100)
        .map(|k| format!(r#""k{k}":{}"#, 200 + k))
        .chain(std::iter::once(r#""last":299"#.to_string()))
        .collect();
    let expected = format!("{{{}}}", expected.join(",")).replacen(r#","last":299"#, "", 1);
    // "last" first appears right after "k0".
    let expected = expected.replacen(r#""k0":200"#, r#""k0":200,"last":299"#, 1);
    assert_eq!(merged_metadata(&refs), expected);
}

#[test]
fn span_attributes_merge_exactly_too() {
    let body = format!(
        r#"{{"schema_version":2,"runs":[],"spans":[{},{}]}}"#,
        span(r#"{"n":12345678901234567890123}"#),
        span(r#"{"t":1e-400,"h":1e400}"#)
    );
    let p = prepare_batch(body.as_bytes(), project(), &Limits::default()).expect("accepted");
    assert!(p.spans().contains(r#""attributes":{"n":12345678901234567890123,"t":1e-400,"h":1e400}"#), "{}", p.spans());
}
