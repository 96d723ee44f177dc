//! Runs `prepare_batch` on a file N times (for instruction counting with callgrind).
fn main() {
    let mut args = std::env::args().skip(1);
    let file = args.next().expect("file");
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let body = std::fs::read(file).expect("read");
    for _ in 0..n {
        std::hint::black_box(northstar_core::prepare_batch(&body, uuid::Uuid::nil(), &Default::default()).ok());
    }
}
