//! Times the phases of `prepare_otlp` natively on an OTLP protobuf file:
//! `cargo run --release --example otlp_phases FILE.pb`.
use std::time::Instant;

use northstar_core::otlp::{decode, prepare_request, Encoding};
use northstar_core::Limits;

fn main() {
    let Some(file) = std::env::args().nth(1) else {
        eprintln!("usage: otlp_phases FILE.pb");
        std::process::exit(2);
    };
    let body = std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let project = uuid::Uuid::from_u128(0x7b89_7f13_dad3_41d8_945b_9435_8423_ab85);
    for _ in 0..10 {
        let t = Instant::now();
        let Ok(req) = decode(&body, Encoding::Protobuf) else { panic!("not OTLP protobuf") };
        let decoded = t.elapsed();
        let t = Instant::now();
        let prepared = prepare_request(&req, project, &Limits::default());
        let rest = t.elapsed();
        println!("decode {decoded:?}, map + prepare {rest:?}, ok {}", prepared.is_ok());
    }
}
