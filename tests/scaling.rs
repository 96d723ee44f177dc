//! No batch costs much more per byte than a plain batch of its size: each crafted family
//! (`tests/common/families.rs`) is timed against a plain batch of the same size in the same
//! run, interleaved, best of 3 to 12 repetitions, and the ratio of their ns/byte is held to
//! a bound that a linear core passes with a wide margin even in a debug build on a busy
//! machine, and that a quadratic merge (the fold of issue 9) misses by orders of magnitude.
//!
//! `NORTHSTAR_SCALING_SCALE` (default 1) scales the families' sizes; `-- --nocapture`
//! shows the figures. `cargo run --release --example merge_bench` prints them too.

#[path = "common/families.rs"]
mod families;

use std::time::Instant;

use northstar_core::{prepare_batch, Limits};
use uuid::Uuid;

/// Most a family may cost per byte, relative to a plain batch of the same size.
const MAX_RATIO: f64 = 8.0;
/// Repetitions of each timing, more (up to the most) while a family looks over the bound:
/// a busy machine can slow any one run, never make a quadratic cost look linear.
const REPETITIONS: usize = 3;
const MOST_REPETITIONS: usize = 12;

fn seconds(body: &[u8]) -> f64 {
    let project = Uuid::from_u128(7);
    let start = Instant::now();
    let prepared = prepare_batch(std::hint::black_box(body), project, &Limits::default());
    let elapsed = start.elapsed().as_secs_f64();
    if let Err(r) = prepared {
        panic!("a crafted family must be accepted: {r:?}");
    }
    elapsed
}

#[test]
fn time_per_byte_of_crafted_families_stays_near_a_plain_batch() {
    let scale = std::env::var("NORTHSTAR_SCALING_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let mut worst: Vec<(f64, &str)> = Vec::new();
    for family in families::families(scale) {
        let plain = families::plain(family.body.len());
        let (mut best_family, mut best_plain) = (f64::MAX, f64::MAX);
        let mut repetitions = 0;
        let (family_ns, plain_ns, ratio) = loop {
            best_family = best_family.min(seconds(&family.body));
            best_plain = best_plain.min(seconds(&plain));
            repetitions += 1;
            let family_ns = best_family * 1e9 / family.body.len() as f64;
            let plain_ns = best_plain * 1e9 / plain.len() as f64;
            let ratio = family_ns / plain_ns;
            if repetitions >= MOST_REPETITIONS || (repetitions >= REPETITIONS && ratio <= MAX_RATIO) {
                break (family_ns, plain_ns, ratio);
            }
        };
        println!(
            "{:<42} {:>9} bytes  {:>8.2} ns/byte  plain {:>6.2} ns/byte  ratio {:>6.2}",
            family.name,
            family.body.len(),
            family_ns,
            plain_ns,
            ratio
        );
        worst.push((ratio, family.name));
    }
    let over: Vec<_> = worst.iter().filter(|(r, _)| *r > MAX_RATIO).collect();
    assert!(over.is_empty(), "families over {MAX_RATIO}× a plain batch's time per byte: {over:?}");
}
