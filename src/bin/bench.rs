//! Native timing of `prepare_batch` on batch files, for comparison with the wasm build.
//!
//! Usage: `northstar-bench FILE...`; prints one JSON line per file:
//! `{"file": …, "bytes": …, "min_ms": …, "median_ms": …, "runs": …}`.

use std::time::{Duration, Instant};

use northstar_core::{prepare_batch, Limits};
use uuid::Uuid;

fn main() {
    let project = Uuid::from_u128(0x7b89_7f13_dad3_41d8_945b_9435_8423_ab85);
    let limits = Limits::default();
    let mut failed = false;
    for file in std::env::args().skip(1) {
        let body = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{file}: {e}");
                failed = true;
                continue;
            }
        };
        if let Err(r) = prepare_batch(&body, project, &limits) {
            eprintln!("{file}: batch rejected: {}", r.error);
            failed = true;
            continue;
        }
        // Warm up, then time runs until a second has passed (at least 5 runs).
        for _ in 0..3 {
            std::hint::black_box(prepare_batch(&body, project, &limits).ok());
        }
        let mut times = Vec::new();
        let start = Instant::now();
        while times.len() < 5 || start.elapsed() < Duration::from_secs(1) {
            let t = Instant::now();
            std::hint::black_box(prepare_batch(std::hint::black_box(&body), project, &limits).ok());
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        let (min, median) = (times[0], times[times.len() / 2]);
        println!(
            "{{\"file\":{:?},\"bytes\":{},\"min_ms\":{min:.6},\"median_ms\":{median:.6},\"runs\":{}}}",
            file,
            body.len(),
            times.len()
        );
    }
    if failed {
        std::process::exit(1);
    }
}
