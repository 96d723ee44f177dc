//! The rows format (`Format::Rows`, for `private.ingest_prepared_rows`): the same records
//! as the JSON lists, field for field, one line per record, no TAB/LF/CR inside a field.

use northstar_core::{prepare_batch_as, Format, Limits, PreparedBatch, ROW_FIELDS};
use serde_json::{Map, Value};
use uuid::Uuid;

const LISTS: [&str; 4] = ["sessions", "runs", "spans", "events"];
/// Fields written as JSON text in the rows (a name is its JSON string literal).
const JSON_FIELDS: [&str; 5] = ["name", "metadata", "error", "attributes", "content"];

fn project() -> Uuid {
    Uuid::from_u128(0x7b89_7f13_dad3_41d8_945b_9435_8423_ab85)
}

fn both(body: &[u8]) -> (PreparedBatch, PreparedBatch) {
    let limits = Limits::default();
    let json = prepare_batch_as(body, project(), &limits, Format::Json).expect("accepted as JSON");
    let rows = prepare_batch_as(body, project(), &limits, Format::Rows).expect("accepted as rows");
    (json, rows)
}

/// Every field of every record of the rows equals the JSON lists' value (absent = empty),
/// and the lists the rows format leaves as JSON are the same text.
fn assert_same_records(body: &[u8]) -> PreparedBatch {
    let (json, rows) = both(body);
    assert_eq!(json.format, Format::Json);
    assert_eq!(rows.format, Format::Rows);
    assert_eq!(json.counts, rows.counts);
    assert_eq!(json.prompt_links(), rows.prompt_links());
    assert_eq!(json.scores(), rows.scores());
    for (k, name) in LISTS.iter().enumerate() {
        let records: Vec<Map<String, Value>> = serde_json::from_str(json.list(k)).expect("JSON list");
        let text = rows.list(k);
        let lines: Vec<&str> = if text.is_empty() { Vec::new() } else { text.split('\n').collect() };
        assert_eq!(lines.len(), records.len(), "{name}: one line per record");
        for (i, (line, record)) in lines.iter().zip(&records).enumerate() {
            assert!(!line.contains('\r'), "{name}[{i}]: no CR in a row");
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), ROW_FIELDS[k].len(), "{name}[{i}]: field count of {line:?}");
            for (field, text) in ROW_FIELDS[k].iter().zip(&fields) {
                let sent = record.get(*field).filter(|v| !(*field == "content" && v.is_null()));
                match sent {
                    None => assert_eq!(*text, "", "{name}[{i}].{field} absent"),
                    Some(value) if JSON_FIELDS.contains(field) => {
                        let read: Value = serde_json::from_str(text)
                            .unwrap_or_else(|e| panic!("{name}[{i}].{field} = {text:?} is not JSON: {e}"));
                        assert_eq!(&read, value, "{name}[{i}].{field}");
                    }
                    Some(Value::String(s)) => assert_eq!(text, s, "{name}[{i}].{field}"),
                    Some(Value::Number(n)) => assert_eq!(*text, n.to_string(), "{name}[{i}].{field}"),
                    Some(other) => panic!("{name}[{i}].{field}: unexpected {other}"),
                }
            }
        }
        // Every record's project is the key's: the JSON lists carry it, the rows do not.
        assert!(records.iter().all(|r| r["project_id"] == Value::String(project().to_string())));
    }
    rows
}

#[test]
fn the_examples_give_the_same_records() {
    for fixture in ["example-a.json", "example-b.json"] {
        let body = std::fs::read(format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"))).expect("fixture");
        let rows = assert_same_records(&body);
        assert!(rows.counts.total() > 0, "{fixture} has records");
    }
}

#[test]
fn whitespace_in_json_values_becomes_spaces_and_names_keep_their_escapes() {
    let body = "{\"schema_version\":2,\
        \"sessions\":[{\"id\":\"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11\",\"created_at\":\"2025-03-01T12:00:00Z\",\
          \"metadata\":{\r\n\t\"a\" :\t[1,\n2],\"tab\":\"x\\ty\"}}],\
        \"runs\":[{\"id\":\"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6\",\"session_id\":\"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11\",\
          \"name\":\"r\\t\\\"q\\\"\\n\\u00e9 \u{1F600}\",\"started_at\":\"2025-03-01T12:00:00Z\",\"status\":\"error\",\
          \"error\":null}],\
        \"spans\":[{\"id\":\"a1000000-0000-4000-8000-000000000002\",\"run_id\":\"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6\",\
          \"parent_span_id\":\"a1000000-0000-4000-8000-000000000001\",\"kind\":\"tool\",\"name\":\"child\",\
          \"started_at\":\"2025-03-01T12:00:01Z\",\"status\":\"ok\",\"iteration\":-7},\
          {\"id\":\"a1000000-0000-4000-8000-000000000001\",\"run_id\":\"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6\",\
          \"kind\":\"agent\",\"name\":\"root\",\"started_at\":\"2025-03-01T12:00:00Z\",\"status\":\"ok\",\
          \"attributes\":{\"big\":12345678901234567890123}}],\
        \"events\":[{\"id\":\"e1000000-0000-4000-8000-000000000001\",\"run_id\":\"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6\",\
          \"type\":\"custom\",\"created_at\":\"2025-03-01T12:00:00Z\"},\
          {\"id\":\"e1000000-0000-4000-8000-000000000002\",\"run_id\":\"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6\",\
          \"span_id\":\"a1000000-0000-4000-8000-000000000002\",\"type\":\"custom\",\"created_at\":\"2025-03-01T12:00:00Z\",\
          \"content\":null}]}";
    let rows = assert_same_records(body.as_bytes());
    // The whitespace of the metadata is spaces now; its escaped TAB stays escaped.
    assert_eq!(
        rows.sessions(),
        "0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11\t2025-03-01T12:00:00Z\t\t{   \"a\" : [1, 2],\"tab\":\"x\\ty\"}"
    );
    // A name is its JSON literal as sent; a JSON null error is no error (absent), as in
    // the JSON lists.
    let run: Vec<&str> = rows.runs().split('\t').collect();
    assert_eq!(run[2], "\"r\\t\\\"q\\\"\\n\\u00e9 \u{1F600}\"");
    assert_eq!(run[6], "");
    // Parents first; iteration as decimal text; the big number kept digit for digit.
    let spans: Vec<Vec<&str>> = rows.spans().split('\n').map(|l| l.split('\t').collect()).collect();
    assert_eq!(spans[0][0], "a1000000-0000-4000-8000-000000000001");
    assert_eq!(spans[0][10], "{\"big\":12345678901234567890123}");
    assert_eq!((spans[1][2], spans[1][9], spans[1][10]), ("a1000000-0000-4000-8000-000000000001", "-7", ""));
    // Content absent and content null are both the empty field (stored as JSON null).
    let events: Vec<Vec<&str>> = rows.events().split('\n').map(|l| l.split('\t').collect()).collect();
    assert_eq!((events[0][5], events[1][5]), ("", ""));
    assert_eq!(events[1][2], "a1000000-0000-4000-8000-000000000002");
}

#[test]
fn merged_and_repaired_records_give_the_same_records() {
    // Two spans sharing an id (merged), a NUL and a lone surrogate (repaired).
    let span = |attrs: &str| {
        format!(
            "{{\"id\":\"a1000000-0000-4000-8000-000000000001\",\"run_id\":\"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6\",\
             \"kind\":\"tool\",\"name\":\"n\\u0000\",\"started_at\":\"2025-03-01T12:00:00Z\",\"status\":\"ok\",\
             \"attributes\":{attrs}}}"
        )
    };
    let body = format!(
        "{{\"schema_version\":2,\"spans\":[{},{}]}}",
        span("{\"a\":1,\n\"s\":\"\\ud800\"}"),
        span("{\"b\":\t2}")
    );
    let (json, _) = both(body.as_bytes());
    assert_eq!(json.counts.spans, 1);
    assert!(!json.warnings.is_empty(), "the NUL and the surrogate are repaired");
    let rows = assert_same_records(body.as_bytes());
    assert_eq!(rows.warnings, json.warnings);
}

#[test]
fn an_empty_batch_has_empty_rows() {
    let rows = assert_same_records(br#"{"schema_version":2,"sessions":[],"spans":[]}"#);
    for k in 0..4 {
        assert_eq!(rows.list(k), "");
    }
}

#[test]
fn generated_batches_give_the_same_records() {
    // Bushy and chained spans of several runs, with events on spans and on runs only.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for case in 0..40u64 {
        let id = |n: u64| format!("{:08x}-0000-4000-8000-{:012x}", case, n);
        let (mut runs, mut spans, mut events) = (Vec::new(), Vec::new(), Vec::new());
        for r in 0..(1 + next() % 3) {
            let run = id(1_000 + r);
            runs.push(format!(
                r#"{{"id":"{run}","session_id":"{}","name":"run {r}\t","started_at":"2025-03-01T12:00:00Z","status":"ok","metadata":{{"r":{r}}}}}"#,
                id(1)
            ));
            let count = 1 + next() % 12;
            for s in 0..count {
                let parent = if s == 0 {
                    String::new()
                } else {
                    format!(r#","parent_span_id":"{}""#, id(10_000 * (r + 1) + next() % s))
                };
                spans.push(format!(
                    r#"{{"id":"{}","run_id":"{run}"{parent},"kind":"tool","name":"s{s}","started_at":"2025-03-01T12:00:00Z","status":"ok","attributes":{{"n":{}}}}}"#,
                    id(10_000 * (r + 1) + s),
                    next() % 1000
                ));
                if next() % 2 == 0 {
                    events.push(format!(
                        r#"{{"id":"{}","run_id":"{run}","span_id":"{}","type":"custom","created_at":"2025-03-01T12:00:00Z","content":{{"m":"é{}"}}}}"#,
                        id(500_000 + events.len() as u64),
                        id(10_000 * (r + 1) + s),
                        next()
                    ));
                }
            }
        }
        // Children first: the core reorders; both formats must agree on the order.
        spans.reverse();
        let body = format!(
            r#"{{"schema_version":2,"sessions":[{{"id":"{}","created_at":"2025-03-01T12:00:00Z"}}],"runs":[{}],"spans":[{}],"events":[{}]}}"#,
            id(1),
            runs.join(","),
            spans.join(","),
            events.join(",")
        );
        assert_same_records(body.as_bytes());
    }
}
