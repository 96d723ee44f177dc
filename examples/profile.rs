//! Runs `prepare_batch` on one file N times, for instruction-level profiling:
//! `valgrind --tool=callgrind target/release/examples/profile FILE N`.
use northstar_core::{prepare_batch, Limits};
use uuid::Uuid;

fn main() {
    let mut args = std::env::args().skip(1);
    let file = args.next().expect("usage: profile FILE [N]");
    let n: usize = args.next().map_or(10, |s| s.parse().expect("N"));
    let body = std::fs::read(&file).expect("read");
    let project = Uuid::from_u128(0x7b89_7f13_dad3_41d8_945b_9435_8423_ab85);
    for _ in 0..n {
        std::hint::black_box(prepare_batch(std::hint::black_box(&body), project, &Limits::default()).ok());
    }
}
