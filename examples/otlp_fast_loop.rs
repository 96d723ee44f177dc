//! Runs the OTLP fast path on a protobuf file for a few seconds (for a profiler):
//! `cargo run --release --example otlp_fast_loop FILE.pb [SECONDS]`.
use std::time::{Duration, Instant};

fn main() {
    let file = std::env::args().nth(1).unwrap_or_default();
    let seconds: u64 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let body = std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let project = uuid::Uuid::from_u128(0x7b89_7f13_dad3_41d8_945b_9435_8423_ab85);
    let limits = northstar_core::Limits::default();
    let start = Instant::now();
    let mut runs = 0;
    while start.elapsed() < Duration::from_secs(seconds) {
        std::hint::black_box(northstar_core::otlp::prepare_protobuf_fast(&body, project, &limits));
        runs += 1;
    }
    println!("{runs} runs");
}
