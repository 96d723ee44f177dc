//! Times `prepare_batch` natively on the crafted families of `tests/common/families.rs`,
//! each against a plain batch of the same size, interleaved, and prints ns/byte and their
//! ratio per family: the scaling test's figures in a release build.
//!
//! `cargo run --release --example merge_bench -- [--reps N] [--scale X] [--only K,K] [--write DIR]`
//! (`--write` also saves each family's body and its plain twin, e.g. to time them in wasm
//! with `bench/merge_families.ts`).

#[path = "../tests/common/families.rs"]
mod families;

use std::time::Instant;

use northstar_core::{prepare_batch, Limits};
use uuid::Uuid;

fn seconds(body: &[u8]) -> f64 {
    let start = Instant::now();
    let ok = prepare_batch(std::hint::black_box(body), Uuid::from_u128(7), &Limits::default()).is_ok();
    let elapsed = start.elapsed().as_secs_f64();
    assert!(ok, "a crafted family must be accepted");
    elapsed
}

fn main() {
    let mut reps = 5;
    let mut scale = 1.0;
    let mut write: Option<String> = None;
    let mut only: Option<Vec<usize>> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--reps" => reps = value.parse().expect("--reps N"),
            "--scale" => scale = value.parse().expect("--scale X"),
            "--write" => write = Some(value),
            "--only" => only = Some(value.split(',').map(|k| k.parse().expect("--only K,K,…")).collect()),
            other => panic!("unknown argument {other}"),
        }
    }
    println!("{:<42} {:>9}  {:>12}  {:>12}  {:>7}", "family", "bytes", "ns/byte", "plain ns/B", "ratio");
    for (k, family) in families::families(scale).into_iter().enumerate() {
        if only.as_ref().is_some_and(|only| !only.contains(&k)) {
            continue;
        }
        let plain = families::plain(family.body.len());
        if let Some(dir) = &write {
            std::fs::write(format!("{dir}/family-{k}.json"), &family.body).expect("write family");
            std::fs::write(format!("{dir}/plain-{k}.json"), &plain).expect("write plain");
        }
        let (mut best_family, mut best_plain) = (f64::MAX, f64::MAX);
        for _ in 0..reps {
            best_family = best_family.min(seconds(&family.body));
            best_plain = best_plain.min(seconds(&plain));
        }
        let family_ns = best_family * 1e9 / family.body.len() as f64;
        let plain_ns = best_plain * 1e9 / plain.len() as f64;
        println!(
            "{:<42} {:>9}  {:>12.2}  {:>12.2}  {:>7.2}",
            family.name,
            family.body.len(),
            family_ns,
            plain_ns,
            family_ns / plain_ns
        );
    }
}
