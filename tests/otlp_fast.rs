//! The OTLP fast path against the reference path, byte for byte, and the borrowing
//! protobuf reader against prost, on generated requests (`tests/common/otlp_gen.rs`): the
//! golden exports of `tests/otlp.rs`, seeded random GenAI exports (valid, odd and broken),
//! and byte-level mutations of both (the mutations of `fuzzed_protobuf_and_json_never_panic`).
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/otlp_gen.rs"]
mod otlp_gen;

use northstar_core::otlp::{decode, Encoding};
use northstar_core::Limits;
use otlp_gen::{export, export_of, limits, mutate, Rng, Tally};
use prost::Message as _;

const FIXTURES: [&str; 4] = [
    include_str!("fixtures/otlp/genai_current.json"),
    include_str!("fixtures/otlp/genai_older.json"),
    include_str!("fixtures/otlp/openinference.json"),
    include_str!("fixtures/otlp/openllmetry.json"),
];

/// `otlp_gen::compare`, failing the test on a difference.
fn check(body: &[u8], limits: &Limits, tally: &mut Tally) {
    if let Err(why) = otlp_gen::compare(body, limits, tally) {
        panic!("{why}");
    }
}

#[test]
fn the_fast_path_and_the_reference_agree_on_the_golden_exports() {
    let mut tally = Tally::default();
    for fixture in FIXTURES {
        let pb = decode(fixture.as_bytes(), Encoding::Json).expect("fixture decodes").encode_to_vec();
        check(&pb, &Limits::default(), &mut tally);
    }
}

#[test]
fn the_fast_path_and_the_reference_agree_on_generated_exports() {
    let mut rng = Rng(0x005e_ed0f_0a11_2025);
    let mut tally = Tally::default();
    for round in 0..3000 {
        let request = export(&mut rng);
        let limits = if round % 3 == 0 { limits(&mut rng) } else { Limits::default() };
        check(&request.encode_to_vec(), &limits, &mut tally);
    }
    // Most generated exports carry some damage the fast path leaves to the reference,
    // but a good share must take the fast path, or this test proves nothing.
    println!("generated: {tally:?}");
    assert!(tally.fast > 400, "{tally:?}");
    assert!(tally.declined > 400, "{tally:?}");
}

#[test]
fn the_fast_path_and_the_reference_agree_on_clean_genai_exports() {
    // The shape real SDKs send: no damage, so nearly every export takes the fast path.
    let mut rng = Rng(0x000c_1ea4);
    let mut tally = Tally::default();
    for _ in 0..300 {
        let request = export_of(&mut rng, true);
        check(&request.encode_to_vec(), &Limits::default(), &mut tally);
    }
    println!("clean: {tally:?}");
    assert!(tally.fast > 100, "{tally:?}");
}

#[test]
fn the_readers_and_paths_agree_on_mutated_bytes() {
    let mut rng = Rng(0x000b_17e5);
    let mut tally = Tally::default();
    let seeds: Vec<Vec<u8>> = FIXTURES
        .iter()
        .map(|f| decode(f.as_bytes(), Encoding::Json).expect("fixture decodes").encode_to_vec())
        .chain((0..8).map(|_| export(&mut rng).encode_to_vec()))
        .collect();
    for round in 0..6000 {
        let mut body = seeds[round % seeds.len()].clone();
        mutate(&mut rng, &mut body);
        check(&body, &Limits::default(), &mut tally);
    }
    // Hand-made edge cases of the wire format: unknown fields of every wire type, a
    // singular field sent twice, a group, a wrong wire type, field number 0, an
    // over-long varint.
    let span = |extra: &[u8]| {
        let mut s = vec![0x0a, 16];
        s.extend(1..=16u8);
        s.extend([0x12, 8]);
        s.extend(1..=8u8);
        s.extend(extra);
        let mut scope = vec![0x12, s.len() as u8];
        scope.extend(s);
        let mut rs = vec![0x12, scope.len() as u8];
        rs.extend(scope);
        let mut req = vec![0x0a, rs.len() as u8];
        req.extend(rs);
        req
    };
    for extra in [
        &[][..],
        &[0xa8, 0x01, 0x05],                                                 // field 21, varint
        &[0xb1, 0x01, 1, 2, 3, 4, 5, 6, 7, 8],                               // field 22, fixed64
        &[0xba, 0x01, 0x02, 0x41, 0x42],                                     // field 23, bytes
        &[0xc5, 0x01, 1, 2, 3, 4],                                           // field 24, fixed32
        &[0x2a, 0x01, 0x41, 0x2a, 0x01, 0x42],                               // name twice
        &[0xcb, 0x01, 0xcc, 0x01],                                           // a group (field 25)
        &[0x30, 0x02, 0x30, 0x03],                                           // kind twice
        &[0x32, 0x01, 0x02],                                                 // kind as bytes
        &[0x00, 0x01],                                                       // field number 0
        &[0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // varint too long
        &[0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // ten bytes, ok
        &[0x2a, 0x02, 0xc3, 0x28],                                           // invalid UTF-8 name
        &[0x4a, 0x06, 0x12, 0x04, 0x08, 0x01, 0x10, 0x01],                   // attribute value with two cases
    ] {
        check(&span(extra), &Limits::default(), &mut tally);
    }
    // Field limits around the longest ids and timestamps the fast path writes: the fuzzer
    // found it keeping a 32-hex-digit trace id (in a run's metadata) that the reference
    // truncated, on this export of short strings (tests/fixtures/otlp/short_strings.pb).
    let short = include_bytes!("fixtures/otlp/short_strings.pb");
    for max_field_bytes in 1..=100 {
        check(short, &Limits { max_field_bytes, ..Limits::default() }, &mut tally);
    }
    // The request's own field 1 with a wrong wire type (the fuzzer found the reader
    // skipping it, where prost refuses the request), before and after a good one.
    for wrong in [&[0x09, 1, 2, 3, 4, 5, 6, 7, 8][..], &[0x08, 0x05], &[0x0d, 1, 2, 3, 4]] {
        let mut body = wrong.to_vec();
        body.extend(span(&[]));
        check(&body, &Limits::default(), &mut tally);
        let mut body = span(&[]);
        body.extend(wrong);
        check(&body, &Limits::default(), &mut tally);
    }
}
