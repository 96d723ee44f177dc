//! The binary format (`Format::Binary`, for `private.ingest_prepared_typed`): the same
//! records as the JSON lists, field for field, each column a PostgreSQL binary array of
//! its element type, decoded here as `array_recv` reads it.

use northstar_core::binary::{pg_micros, PgType};
use northstar_core::{prepare_batch_as, Format, Limits, PreparedBatch, BINARY_COLUMNS, ROW_FIELDS, ROW_TYPES};
use serde_json::{Map, Value};
use uuid::Uuid;

const LISTS: [&str; 4] = ["sessions", "runs", "spans", "events"];

fn project() -> Uuid {
    Uuid::from_u128(0x7b89_7f13_dad3_41d8_945b_9435_8423_ab85)
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

/// A binary array, read as `array_recv` reads it: the element type and each element
/// (None for NULL). Panics on anything `array_recv` would refuse.
fn decode(bytes: &[u8]) -> (u32, Vec<Option<&[u8]>>) {
    let (ndim, flags, oid) = (be32(bytes, 0), be32(bytes, 4), be32(bytes, 8));
    assert!(flags <= 1, "the has-nulls flag is 0 or 1");
    if ndim == 0 {
        assert_eq!(bytes.len(), 12, "an empty array is its header");
        assert_eq!(flags, 0);
        return (oid, Vec::new());
    }
    assert_eq!(ndim, 1);
    let (len, lower) = (be32(bytes, 12) as usize, be32(bytes, 16));
    assert_eq!(lower, 1);
    let mut at = 20;
    let mut out = Vec::with_capacity(len);
    for _ in 0..len {
        let n = be32(bytes, at) as i32;
        at += 4;
        if n < 0 {
            assert_eq!(n, -1);
            out.push(None);
        } else {
            out.push(Some(&bytes[at..at + n as usize]));
            at += n as usize;
        }
    }
    assert_eq!(at, bytes.len(), "nothing after the last element");
    assert_eq!(flags == 1, out.iter().any(Option::is_none), "the has-nulls flag says whether there is a NULL");
    (oid, out)
}

/// An element as the JSON value the JSON lists hold for it.
fn as_json(ty: PgType, bytes: &[u8], field: &str) -> Value {
    match ty {
        PgType::Uuid => Value::String(Uuid::from_slice(bytes).expect("16 bytes").to_string()),
        PgType::Int4 => Value::from(i32::from_be_bytes(bytes.try_into().expect("4 bytes"))),
        PgType::Text => Value::String(std::str::from_utf8(bytes).expect("UTF-8").to_owned()),
        PgType::Jsonb => {
            assert_eq!(bytes[0], 1, "{field}: jsonb version 1");
            serde_json::from_slice(&bytes[1..]).unwrap_or_else(|e| panic!("{field}: not JSON: {e}"))
        }
        PgType::Timestamptz => Value::from(i64::from_be_bytes(bytes.try_into().expect("8 bytes"))),
    }
}

/// Every element of every column equals the JSON lists' value (absent or JSON null =
/// NULL; a timestamp its microseconds), and the lists the binary format leaves as JSON are
/// the same text.
fn assert_same_records(body: &[u8]) -> PreparedBatch {
    let limits = Limits::default();
    let json = prepare_batch_as(body, project(), &limits, Format::Json).expect("accepted as JSON");
    let bin = prepare_batch_as(body, project(), &limits, Format::Binary).expect("accepted as binary");
    assert_eq!(bin.format, Format::Binary);
    assert_eq!((json.counts, &json.warnings), (bin.counts, &bin.warnings));
    assert_eq!((json.prompt_links(), json.scores()), (bin.prompt_links(), bin.scores()));
    assert_eq!(bin.binary().1.len(), BINARY_COLUMNS);
    let mut k = 0;
    for (list, name) in LISTS.iter().enumerate() {
        assert_eq!(bin.list(list), "", "{name}: no text in the binary format");
        let records: Vec<Map<String, Value>> = serde_json::from_str(json.list(list)).expect("JSON list");
        for (field, &ty) in ROW_FIELDS[list].iter().zip(ROW_TYPES[list]) {
            let (oid, elements) = decode(bin.column(k));
            k += 1;
            assert_eq!(oid, ty.oid(), "{name}.{field}: element type");
            assert_eq!(elements.len(), records.len(), "{name}.{field}: one element per record");
            for (i, (element, record)) in elements.iter().zip(&records).enumerate() {
                let sent = record.get(*field).filter(|v| !v.is_null() || ty != PgType::Jsonb);
                let sent = sent.map(|v| match (ty, v) {
                    (PgType::Timestamptz, Value::String(t)) => Value::from(pg_micros(t)),
                    _ => v.clone(),
                });
                let got = element.map(|e| as_json(ty, e, field));
                assert_eq!(got, sent, "{name}[{i}].{field}");
            }
        }
    }
    assert_eq!(k, BINARY_COLUMNS);
    bin
}

#[test]
fn the_types_cover_the_fields() {
    for (fields, types) in ROW_FIELDS.iter().zip(ROW_TYPES) {
        assert_eq!(fields.len(), types.len());
    }
    assert_eq!(ROW_FIELDS.iter().map(|f| f.len()).sum::<usize>(), BINARY_COLUMNS);
}

#[test]
fn the_examples_give_the_same_records() {
    for fixture in ["example-a.json", "example-b.json"] {
        let body = std::fs::read(format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"))).expect("fixture");
        let bin = assert_same_records(&body);
        assert!(bin.counts.total() > 0, "{fixture} has records");
    }
}

#[test]
fn names_are_decoded_and_json_nulls_are_null() {
    let body = "{\"schema_version\":2,\
        \"sessions\":[{\"id\":\"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11\",\"created_at\":\"2025-03-01T12:00:00.1234565+05:30\",\
          \"metadata\":{\r\n\t\"a\" :\t[1,\n2],\"tab\":\"x\\ty\"}}],\
        \"runs\":[{\"id\":\"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6\",\"session_id\":\"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11\",\
          \"name\":\"r\\t\\\"q\\\"\\n\\u00e9 \u{1F600}\\ud83d\\ude00\",\"started_at\":\"2024-12-31T24:00:00Z\",\"status\":\"error\",\
          \"error\":null,\"metadata\":null}],\
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
    let bin = assert_same_records(body.as_bytes());
    // Column 6 is the runs' name: the text it stands for, escapes decoded.
    let (_, names) = decode(bin.column(6));
    assert_eq!(names, [Some("r\t\"q\"\né \u{1F600}\u{1F600}".as_bytes())]);
    // The JSON null error and metadata are NULL, as is the absent run end.
    for k in [8, 10, 11] {
        assert_eq!(decode(bin.column(k)).1, [None], "runs column {k}");
    }
    // The metadata is its text as sent, whitespace and all (jsonb parses it).
    let (_, metadata) = decode(bin.column(3));
    assert_eq!(metadata[0].unwrap()[1..], *b"{\r\n\t\"a\" :\t[1,\n2],\"tab\":\"x\\ty\"}");
    // Events' content: absent and null are both NULL (stored as JSON null).
    assert_eq!(decode(bin.column(28)).1, [None, None]);
    // Spans parents first; the iteration an int4.
    let (_, ids) = decode(bin.column(12));
    assert_eq!(ids[0].unwrap(), Uuid::parse_str("a1000000-0000-4000-8000-000000000001").unwrap().as_bytes());
    assert_eq!(decode(bin.column(21)).1, [None, Some(&(-7i32).to_be_bytes()[..])]);
}

#[test]
fn an_empty_batch_has_empty_arrays() {
    let bin = assert_same_records(br#"{"schema_version":2,"sessions":[],"spans":[]}"#);
    for k in 0..BINARY_COLUMNS {
        assert_eq!(bin.column(k).len(), 12, "column {k}");
    }
}

#[test]
fn merged_and_repaired_records_give_the_same_records() {
    let span = |attrs: &str| {
        format!(
            "{{\"id\":\"a1000000-0000-4000-8000-000000000001\",\"run_id\":\"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6\",\
             \"kind\":\"tool\",\"name\":\"n\\u0000\\ud800\",\"started_at\":\"2025-03-01T12:00:00Z\",\"status\":\"ok\",\
             \"attributes\":{attrs}}}"
        )
    };
    let body = format!(
        "{{\"schema_version\":2,\"spans\":[{},{}]}}",
        span("{\"a\":1,\n\"s\":\"\\ud800\"}"),
        span("{\"b\":\t2}")
    );
    let bin = assert_same_records(body.as_bytes());
    assert_eq!(bin.counts.spans, 1);
    assert!(!bin.warnings.is_empty(), "the NUL and the surrogates are repaired");
    let (_, names) = decode(bin.column(16));
    assert!(!names[0].unwrap().contains(&0), "no NUL reaches a text column");
}
