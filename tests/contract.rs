//! The wire contract's rules, each in both directions, through the public API.

use northstar_core::{prepare_batch, validate_batch, Code, Limits, PreparedBatch, Rejection};
use serde_json::{json, Value};
use uuid::Uuid;

const PROJECT: &str = "7b897f13-dad3-41d8-945b-94358423ab85";
const OTHER_PROJECT: &str = "11111111-2222-4333-8444-555555555555";

fn project() -> Uuid {
    Uuid::parse_str(PROJECT).unwrap()
}

fn example_a() -> Value {
    serde_json::from_str(include_str!("fixtures/example-a.json")).unwrap()
}

fn example_b() -> Value {
    serde_json::from_str(include_str!("fixtures/example-b.json")).unwrap()
}

fn prepare(body: &Value) -> Result<PreparedBatch, Rejection> {
    prepare_batch(body.to_string().as_bytes(), project(), &Limits::default())
}

fn accepted(body: &Value) -> PreparedBatch {
    match prepare(body) {
        Ok(p) => p,
        Err(r) => panic!("expected acceptance, got {r:#?}"),
    }
}

fn rejected(body: &Value) -> Rejection {
    match prepare(body) {
        Ok(_) => panic!("expected rejection of {body}"),
        Err(r) => r,
    }
}

/// Asserts the batch is refused with exactly this first message, path and code.
fn refuses(body: &Value, path: &str, code: Code, message: &str) {
    refuses_with(body, &Limits::default(), path, code, message);
}

/// Strict mode: what is otherwise repaired is refused, as before repairs existed.
fn strict() -> Limits {
    Limits { strict: true, ..Limits::default() }
}

/// [`refuses`] under the given limits.
fn refuses_with(body: &Value, limits: &Limits, path: &str, code: Code, message: &str) {
    let r = match prepare_batch(body.to_string().as_bytes(), project(), limits) {
        Ok(_) => panic!("expected rejection of {body}"),
        Err(r) => r,
    };
    let first = &r.errors[0];
    assert_eq!(
        (first.path.as_str(), first.code, first.message.as_str()),
        (path, code, message),
        "all: {:#?}",
        r.errors
    );
    assert_eq!(r.status, 400);
}

fn list(text: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(text).unwrap().as_array().unwrap().clone()
}

/// Example A with one field of one record replaced (or removed, for `Value::Null` with
/// `remove`).
fn with(array: &str, index: usize, key: &str, value: Value) -> Value {
    let mut body = example_a();
    body[array][index][key] = value;
    body
}

fn without(array: &str, index: usize, key: &str) -> Value {
    let mut body = example_a();
    body[array][index].as_object_mut().unwrap().remove(key);
    body
}

fn a_score() -> Value {
    json!({"id": "5c000000-0000-4000-8000-000000000001", "trace_id": "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
           "name": "relevance", "value": 0.92, "data_type": "numeric", "source": "api",
           "created_at": "2025-03-01T12:05:00.000100Z"})
}

fn with_score(score: Value) -> Value {
    let mut body = example_a();
    body["scores"] = json!([score]);
    body
}

fn score_with(key: &str, value: Value) -> Value {
    let mut s = a_score();
    s[key] = value;
    with_score(s)
}

// ---------------------------------------------------------------- the examples

#[test]
fn example_a_is_prepared_with_project_stamped_and_counts() {
    let p = accepted(&example_a());
    assert_eq!(
        (p.counts.sessions, p.counts.runs, p.counts.spans, p.counts.events, p.counts.prompt_links, p.counts.scores),
        (1, 1, 3, 3, 0, 0)
    );
    for text in [p.sessions(), p.runs(), p.spans(), p.events()] {
        for record in list(text) {
            assert_eq!(record["project_id"], PROJECT);
        }
    }
    let spans = list(p.spans());
    assert_eq!(spans[0]["id"], "a1000000-0000-4000-8000-000000000001");
    assert_eq!(spans[2]["error"]["type"], "TimeoutError");
    assert_eq!(spans[0]["iteration"], 1);
    let runs = list(p.runs());
    assert_eq!(runs[0]["metadata"]["cost_usd"], 0.00125);
    assert_eq!(runs[0]["name"], "research-agent");
    let events = list(p.events());
    assert_eq!(events[1]["content"], json!({"query": "api docs"}));
    assert_eq!(p.scores(), "[]");
    assert_eq!(p.prompt_links(), "[]");
}

#[test]
fn example_b_is_prepared_with_scores_and_links() {
    let p = accepted(&example_b());
    let scores = list(p.scores());
    assert_eq!(scores.len(), 3);
    assert_eq!(scores[1]["string_value"], "excellent");
    assert_eq!(scores[1]["comment"], "checked");
    assert_eq!(scores[2]["value"], 1.0);
    assert_eq!(scores[0]["source"], "api");
    assert!(scores[0].get("span_id").is_none());
    let links = list(p.prompt_links());
    assert_eq!(links[0]["variable_values"]["max_words"], 120);
    assert_eq!(links[0]["project_id"], PROJECT);
}

#[test]
fn prepared_lists_keep_values_exactly() {
    let p = accepted(&example_a());
    let sent = example_a();
    let sessions = list(p.sessions());
    assert_eq!(sessions[0]["created_at"], sent["sessions"][0]["created_at"]);
    assert_eq!(sessions[0]["metadata"], sent["sessions"][0]["metadata"]);
    let spans = list(p.spans());
    assert_eq!(spans[1]["attributes"], sent["spans"][1]["attributes"]);
}

#[test]
fn validate_batch_needs_no_project() {
    let counts = validate_batch(example_a().to_string().as_bytes(), &Limits::default()).unwrap().counts;
    assert_eq!(counts.spans, 3);
    let mut body = example_a();
    body["runs"][0]["project_id"] = json!(OTHER_PROJECT);
    assert!(validate_batch(body.to_string().as_bytes(), &Limits::default()).is_ok());
    body["runs"][0]["project_id"] = json!("nope");
    assert!(validate_batch(body.to_string().as_bytes(), &Limits::default()).is_err());
}

// ---------------------------------------------------------------- body and top level

#[test]
fn body_must_be_json_utf8_object() {
    for bad in [&b""[..], b"{", b"nul", b"{\"a\":1,}", b"{} {}"] {
        let r = prepare_batch(bad, project(), &Limits::default()).unwrap_err();
        assert_eq!(r.error, "Invalid JSON body");
        assert_eq!(r.errors[0].code, Code::InvalidJson);
        assert!(r.errors[0].message.starts_with("Invalid JSON body: "), "{}", r.errors[0].message);
    }
    let r = prepare_batch(b"{\"schema_version\":2,\"x\":\"\xff\"}", project(), &Limits::default()).unwrap_err();
    assert_eq!((r.error.as_str(), r.errors[0].code), ("Invalid JSON body", Code::InvalidUtf8));
    for not_object in ["[]", "\"x\"", "3", "null", "[{\"schema_version\":2}]"] {
        let r = prepare_batch(not_object.as_bytes(), project(), &Limits::default()).unwrap_err();
        assert_eq!((r.error.as_str(), r.errors[0].path.as_str()), ("JSON body must be an object", "$"));
    }
}

#[test]
fn schema_version_is_the_number_1_or_2() {
    for ok in [json!(1), json!(2), json!(2.0)] {
        let mut b = example_a();
        b["schema_version"] = ok;
        accepted(&b);
    }
    for bad in [json!("2"), json!(3), json!(null), json!(1.5), json!([2])] {
        let mut b = example_a();
        b["schema_version"] = bad;
        refuses(&b, "schema_version", Code::UnsupportedSchemaVersion, "Unsupported schema_version (expected 1 or 2)");
    }
    let mut b = example_a();
    b.as_object_mut().unwrap().remove("schema_version");
    refuses(&b, "schema_version", Code::UnsupportedSchemaVersion, "Unsupported schema_version (expected 1 or 2)");
}

#[test]
fn entity_lists_are_arrays_or_null_and_other_keys_are_ignored() {
    let b = json!({"schema_version": 2, "sessions": null, "whatever": {"\u{0000}": 1}});
    let p = accepted(&b);
    assert_eq!(p.counts, Default::default());
    assert_eq!(p.sessions(), "[]");
    for name in ["sessions", "runs", "spans", "events", "prompt_links", "scores"] {
        let mut b = example_a();
        b[name] = json!({});
        refuses(&b, name, Code::NotAnArray, &format!("{name} must be an array"));
    }
    let empty = json!({"schema_version": 2, "sessions": [], "runs": [], "spans": [], "events": [], "scores": [], "prompt_links": []});
    accepted(&empty);
}

#[test]
fn array_checks_come_before_record_checks_in_error() {
    let mut b = example_a();
    b["spans"][0]["kind"] = json!("nope");
    b["scores"] = json!("x");
    let r = rejected(&b);
    assert_eq!(r.error, "scores must be an array");
    assert_eq!(r.errors[1].path, "spans[0].kind");
}

// ---------------------------------------------------------------- records

#[test]
fn records_must_be_objects_with_known_keys() {
    let mut b = example_a();
    b["runs"] = json!([7]);
    refuses(&b, "runs[0]", Code::NotAnObject, "runs[0] is not an object");
    refuses(
        &with("spans", 1, "colour", json!("red")),
        "spans[1].colour",
        Code::UnknownKey,
        "spans[1].colour is not allowed",
    );
    refuses(
        &with("events", 0, "odd key", json!(1)),
        "events[0][\"odd key\"]",
        Code::UnknownKey,
        "events[0][\"odd key\"] is not allowed",
    );
}

#[test]
fn every_uuid_field_is_checked() {
    let fields: &[(&str, &str)] = &[
        ("sessions", "id"),
        ("runs", "id"),
        ("runs", "session_id"),
        ("spans", "id"),
        ("spans", "run_id"),
        ("spans", "parent_span_id"),
        ("events", "id"),
        ("events", "run_id"),
        ("events", "span_id"),
    ];
    for &(array, key) in fields {
        let index = if key == "parent_span_id" || key == "span_id" { 1 } else { 0 };
        for bad in [json!("not-a-uuid"), json!(12), json!("{a1000000-0000-4000-8000-000000000001}")] {
            let path = format!("{array}[{index}].{key}");
            refuses(&with(array, index, key, bad), &path, Code::InvalidUuid, &format!("{path} is not a valid UUID"));
        }
    }
    for &(array, key) in &[("sessions", "id"), ("runs", "session_id"), ("spans", "run_id"), ("events", "run_id")] {
        let path = format!("{array}[0].{key}");
        refuses(&without(array, 0, key), &path, Code::InvalidUuid, &format!("{path} is not a valid UUID"));
        refuses(&with(array, 0, key, json!(null)), &path, Code::InvalidUuid, &format!("{path} is not a valid UUID"));
    }
    // Upper case and the nil UUID are UUIDs; output is canonical lower case.
    let mut b = example_a();
    b["sessions"][0]["id"] = json!("0B6F3C1E-8A57-4D3B-9A51-4F1F6D0C2A11");
    b["runs"][0]["session_id"] = json!("0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11");
    let p = accepted(&b);
    assert_eq!(list(p.sessions())[0]["id"], "0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11");
    accepted(&with("spans", 1, "parent_span_id", json!(null)));
}

#[test]
fn every_timestamp_field_is_checked() {
    let fields: &[(&str, &str)] = &[
        ("sessions", "created_at"),
        ("sessions", "ended_at"),
        ("runs", "started_at"),
        ("runs", "ended_at"),
        ("spans", "started_at"),
        ("spans", "ended_at"),
        ("events", "created_at"),
    ];
    for &(array, key) in fields {
        let path = format!("{array}[0].{key}");
        let message = format!("{path} is not a valid ISO timestamp");
        for bad in ["2024-02-30T00:00:00Z", "2025-03-01T12:00:00", "0000-01-01T00:00:00Z", "2025-03-01T12:00:00+16:00"]
        {
            refuses(&with(array, 0, key, json!(bad)), &path, Code::InvalidTimestamp, &message);
        }
        refuses(&with(array, 0, key, json!(1_700_000_000)), &path, Code::InvalidTimestamp, &message);
        accepted(&with(array, 0, key, json!("2025-03-01T12:00:00.5+05:30")));
    }
    for (array, key) in
        [("sessions", "created_at"), ("runs", "started_at"), ("spans", "started_at"), ("events", "created_at")]
    {
        let path = format!("{array}[0].{key}");
        refuses(
            &without(array, 0, key),
            &path,
            Code::InvalidTimestamp,
            &format!("{path} is not a valid ISO timestamp"),
        );
    }
    accepted(&with("runs", 0, "ended_at", json!(null)));
}

#[test]
fn enums_are_exact_words() {
    refuses(
        &with("runs", 0, "status", json!("OK")),
        "runs[0].status",
        Code::InvalidEnum,
        "runs[0].status must be one of: running, ok, error",
    );
    refuses(
        &with("spans", 0, "status", json!(null)),
        "spans[0].status",
        Code::InvalidEnum,
        "spans[0].status must be one of: running, ok, error",
    );
    refuses(
        &with("spans", 0, "kind", json!("llm")),
        "spans[0].kind",
        Code::InvalidEnum,
        "spans[0].kind must be one of: agent, workflow, model, tool, custom",
    );
    refuses(
        &without("events", 0, "type"),
        "events[0].type",
        Code::InvalidEnum,
        "events[0].type must be one of: user_input, system_message, assistant_message, reasoning, tool_arguments, tool_result, final_response, custom",
    );
    for t in [
        "user_input",
        "system_message",
        "assistant_message",
        "reasoning",
        "tool_arguments",
        "tool_result",
        "final_response",
        "custom",
    ] {
        accepted(&with("events", 0, "type", json!(t)));
    }
}

#[test]
fn names_are_required_non_empty_strings() {
    refuses(&with("runs", 0, "name", json!("")), "runs[0].name", Code::Required, "runs[0].name is required");
    refuses(&with("spans", 0, "name", json!(5)), "spans[0].name", Code::Required, "spans[0].name is required");
    refuses(&without("spans", 0, "name"), "spans[0].name", Code::Required, "spans[0].name is required");
    accepted(&with("runs", 0, "name", json!("   ")));
}

#[test]
fn objects_must_be_objects_and_null_means_absent() {
    for (array, key) in [
        ("sessions", "metadata"),
        ("runs", "metadata"),
        ("runs", "error"),
        ("spans", "error"),
        ("spans", "attributes"),
        ("events", "attributes"),
    ] {
        let path = format!("{array}[0].{key}");
        for bad in [json!([]), json!("x"), json!(1)] {
            refuses(&with(array, 0, key, bad), &path, Code::NotAnObject, &format!("{path} must be an object"));
        }
        let p = accepted(&with(array, 0, key, json!(null)));
        let text = match array {
            "sessions" => p.sessions(),
            "runs" => p.runs(),
            "spans" => p.spans(),
            _ => p.events(),
        };
        assert!(list(text)[0].get(key).is_none(), "null {key} is left out, so the database keeps what it has");
    }
}

#[test]
fn event_content_is_any_json_and_may_be_missing() {
    let p = accepted(&without("events", 0, "content"));
    assert_eq!(list(p.events())[0]["content"], Value::Null);
    assert!(list(p.events())[0].as_object().unwrap().contains_key("content"));
    for content in [json!(null), json!(3), json!([1, {"a": null}]), json!("text")] {
        let p = accepted(&with("events", 0, "content", content.clone()));
        assert_eq!(list(p.events())[0]["content"], content);
    }
}

#[test]
fn iteration_is_a_32_bit_integer() {
    for (v, stored) in
        [(json!(3), 3), (json!(3.0), 3), (json!(-2147483648i64), -2147483648i64), (json!(2147483647), 2147483647)]
    {
        let p = accepted(&with("spans", 0, "iteration", v));
        assert_eq!(list(p.spans())[0]["iteration"], stored);
    }
    for bad in [json!(3.5), json!("3"), json!(true)] {
        refuses(
            &with("spans", 0, "iteration", bad),
            "spans[0].iteration",
            Code::NotAnInteger,
            "spans[0].iteration must be an integer",
        );
    }
    for big in [json!(2147483648i64), json!(-2147483649i64), json!(1e300)] {
        refuses(
            &with("spans", 0, "iteration", big),
            "spans[0].iteration",
            Code::IntegerOutOfRange,
            "spans[0].iteration must be between -2147483648 and 2147483647",
        );
    }
    accepted(&with("spans", 0, "iteration", json!(null)));
}

#[test]
fn project_id_may_be_absent_null_or_the_keys_own() {
    accepted(&with("runs", 0, "project_id", json!(PROJECT)));
    accepted(&with("runs", 0, "project_id", json!(PROJECT.to_uppercase())));
    accepted(&with("runs", 0, "project_id", json!(null)));
    refuses(
        &with("runs", 0, "project_id", json!(OTHER_PROJECT)),
        "runs[0].project_id",
        Code::ProjectMismatch,
        "runs[0].project_id does not match the project of the API key",
    );
    refuses(
        &with("spans", 2, "project_id", json!("x")),
        "spans[2].project_id",
        Code::InvalidUuid,
        "spans[2].project_id is not a valid UUID",
    );
}

// ---------------------------------------------------------------- prompt links

fn link() -> Value {
    example_b()["prompt_links"][0].clone()
}

fn with_link(key: &str, value: Option<Value>) -> Value {
    let mut l = link();
    match value {
        Some(v) => l[key] = v,
        None => {
            l.as_object_mut().unwrap().remove(key);
        }
    }
    let mut b = example_b();
    b["prompt_links"] = json!([l]);
    b
}

#[test]
fn prompt_link_rules() {
    for key in ["trace_id", "span_id", "prompt_version_id"] {
        let path = format!("prompt_links[0].{key}");
        refuses(&with_link(key, Some(json!("x"))), &path, Code::InvalidUuid, &format!("{path} is not a valid UUID"));
        refuses(&with_link(key, None), &path, Code::InvalidUuid, &format!("{path} is not a valid UUID"));
    }
    refuses(
        &with_link("variable_values", Some(json!([1]))),
        "prompt_links[0].variable_values",
        Code::NotAnObject,
        "prompt_links[0].variable_values must be an object",
    );
    for absent in [None, Some(json!(null))] {
        let p = accepted(&with_link("variable_values", absent));
        assert_eq!(list(p.prompt_links())[0]["variable_values"], json!({}));
    }
    refuses(
        &with_link("id", Some(json!("x"))),
        "prompt_links[0].id",
        Code::UnknownKey,
        "prompt_links[0].id is not allowed",
    );
}

// ---------------------------------------------------------------- scores

#[test]
fn score_rules_each_way() {
    accepted(&with_score(a_score()));
    refuses(&score_with("id", json!(null)), "scores[0].id", Code::InvalidUuid, "scores[0].id is not a valid UUID");
    refuses(
        &score_with("trace_id", json!("x")),
        "scores[0].trace_id",
        Code::InvalidUuid,
        "scores[0].trace_id is not a valid UUID",
    );
    refuses(
        &score_with("span_id", json!("x")),
        "scores[0].span_id",
        Code::InvalidUuid,
        "scores[0].span_id is not a valid UUID",
    );
    refuses(&score_with("name", json!("  \t")), "scores[0].name", Code::Required, "scores[0].name is required");
    for bad in [json!("1"), json!(null), json!(true)] {
        refuses(
            &score_with("value", bad),
            "scores[0].value",
            Code::NotAFiniteNumber,
            "scores[0].value must be a finite number",
        );
    }
    let overflow = with_score(a_score()).to_string().replacen("0.92", "1e999", 1);
    let r = prepare_batch(overflow.as_bytes(), project(), &Limits::default()).unwrap_err();
    assert_eq!(r.error, "scores[0].value must be a finite number");
    refuses(
        &score_with("data_type", json!("float")),
        "scores[0].data_type",
        Code::InvalidEnum,
        "scores[0].data_type must be one of: numeric, categorical, boolean",
    );
    refuses(
        &score_with("source", json!("human")),
        "scores[0].source",
        Code::InvalidEnum,
        "scores[0].source must be api",
    );
    refuses(
        &score_with("comment", json!(3)),
        "scores[0].comment",
        Code::InvalidType,
        "scores[0].comment must be a string",
    );
    refuses(
        &score_with("created_at", json!("yesterday")),
        "scores[0].created_at",
        Code::InvalidTimestamp,
        "scores[0].created_at is not a valid ISO timestamp",
    );

    let mut cat = a_score();
    cat["data_type"] = json!("categorical");
    cat["value"] = json!(0.0);
    refuses(
        &with_score(cat.clone()),
        "scores[0].string_value",
        Code::ScoreRule,
        "scores[0].string_value is required for categorical scores",
    );
    cat["string_value"] = json!(" ");
    refuses(
        &with_score(cat.clone()),
        "scores[0].string_value",
        Code::ScoreRule,
        "scores[0].string_value is required for categorical scores",
    );
    cat["string_value"] = json!("good");
    accepted(&with_score(cat));
    refuses(
        &score_with("string_value", json!("x")),
        "scores[0].string_value",
        Code::ScoreRule,
        "scores[0].string_value is only allowed for categorical scores",
    );
    accepted(&score_with("string_value", json!(null)));

    let mut boolean = a_score();
    boolean["data_type"] = json!("boolean");
    for ok in [json!(0), json!(1.0), json!(1)] {
        boolean["value"] = ok;
        accepted(&with_score(boolean.clone()));
    }
    boolean["value"] = json!(0.5);
    refuses(
        &with_score(boolean),
        "scores[0].value",
        Code::ScoreRule,
        "scores[0].value must be 0 or 1 for boolean scores",
    );
}

#[test]
fn at_most_500_scores_in_strict_mode_and_up_to_the_record_limit_otherwise() {
    let scores: Vec<Value> = (0..501)
        .map(|i| {
            let mut s = a_score();
            s["id"] = json!(Uuid::from_u128(i + 1).to_string());
            s
        })
        .collect();
    let mut b = example_a();
    b["scores"] = json!(scores[..500]);
    assert_eq!(accepted(&b).counts.scores, 500);
    b["scores"] = json!(scores);
    refuses_with(&b, &strict(), "scores", Code::TooManyItems, "scores must contain at most 500 items");
    assert_eq!(accepted(&b).counts.scores, 501);
}

// ---------------------------------------------------------------- what PostgreSQL would refuse

#[test]
fn nul_characters_are_refused_wherever_they_are_in_strict_mode() {
    refuses_with(
        &with("runs", 0, "name", json!("a\u{0}b")),
        &strict(),
        "runs[0].name",
        Code::NulCharacter,
        "runs[0].name contains a NUL character (\\u0000), which PostgreSQL cannot store",
    );
    refuses_with(
        &with("runs", 0, "metadata", json!({"k": "v\u{0}"})),
        &strict(),
        "runs[0].metadata",
        Code::NulCharacter,
        "runs[0].metadata contains a NUL character (\\u0000), which PostgreSQL cannot store",
    );
    refuses_with(
        &with("spans", 0, "attributes", json!({"k\u{0}": 1})),
        &strict(),
        "spans[0].attributes",
        Code::NulCharacter,
        "spans[0].attributes contains a NUL character (\\u0000), which PostgreSQL cannot store",
    );
    refuses_with(
        &with("events", 0, "content", json!(["\u{0}"])),
        &strict(),
        "events[0].content",
        Code::NulCharacter,
        "events[0].content contains a NUL character (\\u0000), which PostgreSQL cannot store",
    );
    let mut s = a_score();
    s["comment"] = json!("\u{0}");
    refuses_with(
        &with_score(s),
        &strict(),
        "scores[0].comment",
        Code::NulCharacter,
        "scores[0].comment contains a NUL character (\\u0000), which PostgreSQL cannot store",
    );
    // An escaped backslash before "u0000" is not a NUL.
    assert!(accepted(&with("events", 0, "content", json!("\\u0000"))).warnings.is_empty());
}

#[test]
fn lone_surrogates_are_violations_with_paths_in_strict_mode() {
    let body = example_a().to_string();
    let cases = [
        ("\"research-agent\"", "\"research-\\ud800agent\"", "runs[0].name"),
        ("\"source\":\"cli\"", "\"source\":\"\\udc00\"", "sessions[0].metadata"),
        ("\"Find the current API documentation.\"", "\"\\ud83d\"", "events[0].content"),
    ];
    for (from, to, path) in cases {
        let text = body.replacen(from, to, 1);
        let r = prepare_batch(text.as_bytes(), project(), &strict()).unwrap_err();
        assert_eq!((r.errors[0].path.as_str(), r.errors[0].code), (path, Code::LoneSurrogate), "{r:#?}");
    }
    let text = body.replacen("\"kind\":\"agent\"", "\"kind\":\"agent\",\"\\ud800\":1", 1);
    let r = prepare_batch(text.as_bytes(), project(), &strict()).unwrap_err();
    assert_eq!((r.errors[0].path.as_str(), r.errors[0].code), ("spans[0]", Code::LoneSurrogate));
    // A proper pair is fine.
    let text = body.replacen("\"research-agent\"", "\"research-\\ud83d\\ude00\"", 1);
    assert!(prepare_batch(text.as_bytes(), project(), &Limits::default()).is_ok());
}

#[test]
fn nesting_depth_and_huge_numbers_are_bounded() {
    let mut deep = json!(1);
    for _ in 0..124 {
        deep = json!([deep]);
    }
    // metadata object at level 4 holds 124 arrays: 128 levels in all.
    accepted(&with("runs", 0, "metadata", json!({ "d": deep.clone() })));
    refuses(
        &with("runs", 0, "metadata", json!({ "d": [deep] })),
        "runs[0].metadata",
        Code::TooDeep,
        "runs[0].metadata is nested deeper than the limit of 128 levels",
    );
    let body = example_a().to_string().replacen("0.00125", "1e99999", 1);
    let r = prepare_batch(body.as_bytes(), project(), &Limits::default()).unwrap_err();
    assert_eq!((r.errors[0].path.as_str(), r.errors[0].code), ("runs[0].metadata", Code::NumberOutOfRange));
}

// ---------------------------------------------------------------- limits

#[test]
fn size_limits_answer_413_and_name_the_limit() {
    let body = example_a().to_string();
    let limits = Limits { max_body_bytes: body.len() - 1, ..Limits::default() };
    let r = prepare_batch(body.as_bytes(), project(), &limits).unwrap_err();
    assert_eq!((r.status, r.errors[0].code), (413, Code::BodyTooLarge));
    assert!(r.error.contains(&format!("limit is {} bytes", body.len() - 1)), "{}", r.error);
    assert!(
        prepare_batch(body.as_bytes(), project(), &Limits { max_body_bytes: body.len(), ..Limits::default() }).is_ok()
    );

    let limits = Limits { max_records: 7, ..Limits::default() };
    let r = prepare_batch(body.as_bytes(), project(), &limits).unwrap_err();
    assert_eq!((r.status, r.errors[0].code), (413, Code::TooManyRecords));
    assert_eq!(r.error, "Payload too large: the batch has 8 records; the limit is 7 records");
    assert!(prepare_batch(body.as_bytes(), project(), &Limits { max_records: 8, ..Limits::default() }).is_ok());
}

#[test]
fn every_violation_is_reported_up_to_the_cap() {
    let mut b = example_a();
    b["spans"][0]["kind"] = json!("x");
    b["spans"][1]["status"] = json!("x");
    b["events"][2]["created_at"] = json!("x");
    b["sessions"][0]["id"] = json!("x");
    let r = rejected(&b);
    let paths: Vec<_> = r.errors.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(paths, ["sessions[0].id", "spans[0].kind", "spans[1].status", "events[2].created_at"]);
    assert_eq!(r.error, "sessions[0].id is not a valid UUID");
    assert!(!r.truncated);

    let mut b = example_a();
    b["events"] = json!((0..150).map(|_| json!(1)).collect::<Vec<_>>());
    let r = rejected(&b);
    assert_eq!((r.errors.len(), r.total, r.truncated), (100, 150, true));
}

// ---------------------------------------------------------------- merging and ordering

#[test]
fn records_sharing_an_id_merge_as_a_resend_would() {
    let mut b = example_a();
    let mut later_run = b["runs"][0].clone();
    b["runs"][0]["status"] = json!("running");
    b["runs"][0].as_object_mut().unwrap().remove("ended_at");
    later_run["metadata"] = json!({"latency_ms": 12});
    later_run["name"] = json!("renamed");
    b["runs"].as_array_mut().unwrap().push(later_run);
    let stale = json!({"id": "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", "session_id": "0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11",
        "name": "research-agent", "started_at": "2025-03-01T12:00:00.120210Z", "status": "running"});
    b["runs"].as_array_mut().unwrap().push(stale);
    let p = accepted(&b);
    let runs = list(p.runs());
    assert_eq!(p.counts.runs, 1);
    assert_eq!(runs[0]["status"], "ok", "a final status is not moved back to running");
    assert_eq!(runs[0]["ended_at"], "2025-03-01T12:00:02.498113Z", "ended_at never goes back to null");
    assert_eq!(runs[0]["name"], "research-agent", "immutable fields keep their first value");
    assert_eq!(
        runs[0]["metadata"],
        json!({"cost_usd": 0.00125, "total_input_tokens": 100, "total_output_tokens": 25, "latency_ms": 12})
    );

    let mut b = example_a();
    let mut again = b["events"][0].clone();
    again["content"] = json!("second");
    b["events"].as_array_mut().unwrap().push(again);
    let p = accepted(&b);
    assert_eq!(p.counts.events, 3);
    assert_eq!(list(p.events())[0]["content"], "second");

    let mut b = example_b();
    let mut s = b["scores"][0].clone();
    s["value"] = json!(0.5);
    b["scores"].as_array_mut().unwrap().push(s);
    let mut l = b["prompt_links"][0].clone();
    l.as_object_mut().unwrap().remove("variable_values");
    b["prompt_links"].as_array_mut().unwrap().push(l);
    let p = accepted(&b);
    assert_eq!((p.counts.scores, p.counts.prompt_links), (3, 1));
    assert_eq!(list(p.scores())[0]["value"], 0.5, "later score wins");
    assert_eq!(list(p.prompt_links())[0]["variable_values"], json!({}), "later link replaces its values");
}

#[test]
fn spans_come_out_parents_first_whatever_the_input_order() {
    let mut b = example_a();
    b["spans"].as_array_mut().unwrap().reverse();
    let spans = list(accepted(&b).spans());
    assert_eq!(spans[0]["id"], "a1000000-0000-4000-8000-000000000001");
    assert_eq!(spans.len(), 3);
}

#[test]
fn self_parents_and_cycles_have_their_own_messages() {
    let mut b = example_a();
    b["spans"][0]["parent_span_id"] = b["spans"][0]["id"].clone();
    refuses(
        &b,
        "spans[0].parent_span_id",
        Code::SelfParent,
        "spans[0].parent_span_id is the span's own id: a span cannot be its own parent",
    );
    let mut b = example_a();
    b["spans"][0]["parent_span_id"] = b["spans"][2]["id"].clone();
    let r = rejected(&b);
    assert_eq!((r.errors[0].path.as_str(), r.errors[0].code), ("spans[0].parent_span_id", Code::SpanCycle));
    assert_eq!(
        r.error,
        "spans[0].parent_span_id makes a cycle of 2 spans: a1000000-0000-4000-8000-000000000001 → a1000000-0000-4000-8000-000000000003 → a1000000-0000-4000-8000-000000000001"
    );
}

#[test]
fn references_inside_the_batch_must_stay_in_their_run_and_trace() {
    let other_run = json!({"id": "6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", "session_id": "0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11",
        "name": "other", "started_at": "2025-03-01T12:00:00Z", "status": "ok"});
    let mut b = example_a();
    b["runs"].as_array_mut().unwrap().push(other_run);
    b["spans"][1]["run_id"] = json!("6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6");
    let r = rejected(&b);
    assert_eq!((r.errors[0].path.as_str(), r.errors[0].code), ("spans[1].parent_span_id", Code::RunMismatch));
    assert!(
        r.errors.iter().any(|v| v.path == "events[1].span_id" && v.code == Code::RunMismatch) || r.errors.len() == 1
    );

    let mut b = example_a();
    b["events"][1]["run_id"] = json!("6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6");
    let r = rejected(&b);
    assert_eq!((r.errors[0].path.as_str(), r.errors[0].code), ("events[1].span_id", Code::RunMismatch));

    let mut b = example_a();
    b["prompt_links"] = json!([{"trace_id": "6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", "span_id": "a1000000-0000-4000-8000-000000000002",
        "prompt_version_id": "c0ffee00-1111-4222-8333-444455556666"}]);
    let mut s = a_score();
    s["trace_id"] = json!("6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6");
    s["span_id"] = json!("a1000000-0000-4000-8000-000000000002");
    b["scores"] = json!([s]);
    let r = rejected(&b);
    assert_eq!(r.errors[0].message, "prompt_links[0].span_id: span a1000000-0000-4000-8000-000000000002 is not part of trace 6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6");
    assert_eq!((r.errors[1].path.as_str(), r.errors[1].code), ("scores[0].span_id", Code::TraceMismatch));
}

/// Whether the lists are ASCII (the wasm export then decodes them in one piece): an ASCII
/// body gives ASCII lists, merged or not (a merge copies the text as sent).
#[test]
fn prepared_lists_know_whether_they_are_ascii() {
    let session = |id: &str, meta: Value| json!({"id": id, "created_at": "2025-03-01T12:00:00Z", "metadata": meta});
    let id = "0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11";
    let plain = json!({"schema_version": 2, "sessions": [session(id, json!({"a": "x"}))]});
    assert!(accepted(&plain).is_ascii());
    // `\u00e9` as sent stays escaped when passed through...
    let escaped = r#"{"schema_version":2,"sessions":[{"id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","created_at":"2025-03-01T12:00:00Z","metadata":{"a":"caf\u00e9"}}]}"#;
    let p = prepare_batch(escaped.as_bytes(), project(), &Limits::default()).unwrap();
    assert!(p.is_ascii() && p.sessions().contains(r"caf\u00e9"));
    // ...and when merged too: members are copied as sent, escapes included.
    let twice = escaped.replace(
        "]}",
        r#",{"id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","created_at":"2025-03-01T12:00:00Z","metadata":{"b":1}}]}"#,
    );
    let p = prepare_batch(twice.as_bytes(), project(), &Limits::default()).unwrap();
    assert!(p.is_ascii() && p.sessions().contains(r#"{"a":"caf\u00e9","b":1}"#));
    let accented = json!({"schema_version": 2, "sessions": [session(id, json!({"a": "café"}))]});
    assert!(!accented.to_string().is_ascii());
    assert!(!accepted(&accented).is_ascii());
}
