//! Crafted batch families that stress what a batch's size does not show: many records
//! sharing one id, big objects merged many times, deep parent chains and wide parents,
//! ids colliding in the bits the key table buckets by, the deepest nesting allowed, one
//! huge value — and a plain batch of any size to compare them with. Shared by the
//! scaling test (`tests/scaling.rs`) and the benchmark (`examples/merge_bench.rs`).
#![allow(dead_code)]

use uuid::Uuid;

/// One crafted batch.
pub struct Family {
    /// What it is, for the report.
    pub name: &'static str,
    /// The batch's JSON text.
    pub body: Vec<u8>,
}

const RUN: &str = "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6";
const TS: &str = "2025-03-01T12:00:00Z";

/// An id from a counter: distinct counters give distinct ids with random-looking low bits.
pub fn id(n: u64) -> String {
    let mixed = (n as u128 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
    Uuid::from_u128(mixed).to_string()
}

fn span(id: &str, parent: Option<&str>, attributes: &str) -> String {
    let parent = parent.map(|p| format!(r#","parent_span_id":"{p}""#)).unwrap_or_default();
    format!(
        r#"{{"id":"{id}","run_id":"{RUN}"{parent},"kind":"tool","name":"step","started_at":"{TS}","status":"ok","attributes":{attributes}}}"#
    )
}

fn session(id: &str, metadata: &str) -> String {
    format!(r#"{{"id":"{id}","created_at":"{TS}","metadata":{metadata}}}"#)
}

fn batch(list: &str, records: &[String]) -> Vec<u8> {
    format!(r#"{{"schema_version":2,"{list}":[{}]}}"#, records.join(",")).into_bytes()
}

/// An object of about `bytes` bytes, in members of about 100 bytes.
fn big_object(bytes: usize) -> String {
    let members: Vec<String> = (0..bytes / 100).map(|i| format!(r#""key-{i:07}":"{}""#, "v".repeat(80))).collect();
    format!("{{{}}}", members.join(","))
}

/// A plain batch of about `bytes` bytes: spans with distinct ids and a few attributes.
pub fn plain(bytes: usize) -> Vec<u8> {
    let count = (bytes / 400).clamp(1, 9_000);
    let filler = "x".repeat((bytes / count).saturating_sub(330));
    let spans: Vec<String> = (0..count as u64)
        .map(|i| {
            span(&id(1_000_000 + i), None, &format!(r#"{{"model":"gpt-4o","input_tokens":{i},"note":"{filler}"}}"#))
        })
        .collect();
    batch("spans", &spans)
}

/// The families, with their sizes scaled by `scale` (1.0 = the sizes of issue 9).
pub fn families(scale: f64) -> Vec<Family> {
    let n = |full: usize| ((full as f64 * scale) as usize).max(2);
    let one = id(1);
    let mut out = Vec::new();

    let spans: Vec<String> = (0..n(10_000)).map(|i| span(&one, None, &format!(r#"{{"key-{i}":{i}}}"#))).collect();
    out.push(Family { name: "10k spans, one id, a key each", body: batch("spans", &spans) });

    let mut sessions = vec![session(&one, &big_object(n(4_000_000)))];
    sessions.extend((0..199).map(|_| session(&one, "{}")));
    out.push(Family { name: "4 MB metadata + 199 copies {}", body: batch("sessions", &sessions) });

    let mut sessions = vec![session(&one, &big_object(n(4_000_000)))];
    sessions.extend((1..n(1_000)).map(|i| session(&one, &format!(r#"{{"later-{i}":{i}}}"#))));
    out.push(Family { name: "4 MB metadata + 999 copies, a key each", body: batch("sessions", &sessions) });

    let ids: Vec<String> = (0..n(10_000) as u64).map(|i| id(10 + i)).collect();
    let chain: Vec<String> =
        ids.iter().enumerate().map(|(i, s)| span(s, (i > 0).then(|| ids[i - 1].as_str()), "{}")).rev().collect();
    out.push(Family { name: "10k spans in one parent chain", body: batch("spans", &chain) });

    let mut wide: Vec<String> = ids[1..].iter().map(|s| span(s, Some(&ids[0]), "{}")).collect();
    wide.push(span(&ids[0], None, "{}"));
    out.push(Family { name: "1 parent, 10k children", body: batch("spans", &wide) });

    let colliding: Vec<String> = (0..n(10_000) as u128)
        .map(|i| span(&Uuid::from_u128((i + 1) << 64 | 0x5eed_0001).to_string(), None, "{}"))
        .collect();
    out.push(Family { name: "10k ids sharing their low 64 bits", body: batch("spans", &colliding) });

    // Metadata is level 4 of the document; 128 is the deepest level allowed. Pairs share
    // an id, so each deep object is also split by the merge.
    let deep = format!(r#"{{"d":{}1{}}}"#, "[".repeat(124), "]".repeat(124));
    let sessions: Vec<String> = (0..n(2_000) as u64).map(|i| session(&id(50_000 + i / 2), &deep)).collect();
    out.push(Family { name: "2k sessions nested 128 deep, in pairs", body: batch("sessions", &sessions) });

    let huge = format!(r#"{{"huge":"{}"}}"#, "h".repeat(n(8_000_000)));
    let sessions = vec![session(&one, &huge), session(&one, r#"{"later":1}"#)];
    out.push(Family { name: "one 8 MB string value, merged", body: batch("sessions", &sessions) });
    out
}
