//! Times the phases of `prepare_otlp` natively on an OTLP protobuf file:
//! `cargo run --release --example otlp_phases FILE.pb`. Prints the best of 30 runs of
//! each: the reference path's decode (prost), map (to a NorthStar batch body) and
//! `prepare_batch` of that body; the reference path whole; the fast path whole (and
//! whether it took the request); and the SHA-256 id derivations alone.
use std::time::{Duration, Instant};

use northstar_core::otlp::{
    decode, mapped_body, prepare_otlp_reference, prepare_protobuf_fast, value::derive_id, Encoding,
};
use northstar_core::{prepare_batch, Limits};

fn best<T>(mut f: impl FnMut() -> T) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..30 {
        let t = Instant::now();
        std::hint::black_box(f());
        best = best.min(t.elapsed());
    }
    best
}

fn main() {
    let Some(file) = std::env::args().nth(1) else {
        eprintln!("usage: otlp_phases FILE.pb");
        std::process::exit(2);
    };
    let body = std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let project = uuid::Uuid::from_u128(0x7b89_7f13_dad3_41d8_945b_9435_8423_ab85);
    let limits = Limits::default();
    let Ok(req) = decode(&body, Encoding::Protobuf) else { panic!("not OTLP protobuf") };
    let mapped = mapped_body(&req, project);
    let reference = prepare_otlp_reference(&body, "application/x-protobuf", project, &limits).expect("accepted");
    let fast = prepare_protobuf_fast(&body, project, &limits);
    let decode_t = best(|| decode(&body, Encoding::Protobuf).is_ok());
    let map_t = best(|| mapped_body(&req, project).len());
    let batch_t = best(|| prepare_batch(&mapped, project, &limits).is_ok());
    let whole_t = best(|| prepare_otlp_reference(&body, "application/x-protobuf", project, &limits).is_ok());
    let fast_t = best(|| prepare_protobuf_fast(&body, project, &limits).is_some());
    let ids_t = best(|| {
        let mut x = 0u8;
        for i in 0..4_000u32 {
            x ^= derive_id(project, "span", &[&i.to_le_bytes(), b"01234567"]).as_bytes()[0];
        }
        x
    });
    let (text, _) = reference.batch.text();
    println!(
        "{file}: {} bytes in, {} bytes of batch body, {} bytes out; fast path {}",
        body.len(),
        mapped.len(),
        text.len() + reference.trace_runs.len(),
        match &fast {
            None => "declined",
            Some(f) if *f == reference => "took it (identical output)",
            Some(_) => "took it, OUTPUT DIFFERS",
        }
    );
    println!(
        "reference: decode {decode_t:?} · map {map_t:?} · prepare_batch {batch_t:?} · whole {whole_t:?}\nfast path: {fast_t:?}\n4000 derive_id: {ids_t:?}"
    );
    if let Some(f) = fast.filter(|f| *f != reference) {
        for (k, (a, b)) in f.batch.lists().iter().zip(reference.batch.lists()).enumerate() {
            if a != &b {
                let at = a.bytes().zip(b.bytes()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
                let from = at.saturating_sub(200);
                println!(
                    "list {k} differs at {at}:\n fast: {}\n  ref: {}",
                    &a[from..(at + 200).min(a.len())],
                    &b[from..(at + 200).min(b.len())]
                );
            }
        }
        if f.trace_runs != reference.trace_runs {
            println!("trace_runs differ");
        }
        println!(
            "counts {:?} vs {:?}; ascii {} vs {}",
            f.batch.counts,
            reference.batch.counts,
            f.batch.is_ascii(),
            reference.batch.is_ascii()
        );
    }
}
