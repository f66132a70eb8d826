//! Steady-state profile driver: classifies a JSONL file once to warm up (lazy regex
//! compilation, caches), then `ROUNDS` more times inside `steady_rounds`, so a profiler can
//! count only the steady state:
//!
//! ```sh
//! cargo build --release --example steady
//! valgrind --tool=callgrind --toggle-collect='steady::steady_rounds' \
//!     target/release/examples/steady corpus/dev.jsonl 3
//! ```
use cuishou::Classifier;
use std::hint::black_box;

#[inline(never)]
fn steady_rounds(c: &Classifier, texts: &[String], rounds: usize) -> usize {
    let mut n = 0;
    for _ in 0..rounds {
        for t in texts {
            n += c.classify(black_box(t)).citations.len();
        }
    }
    n
}

/// The first round compiles patterns and fills caches; kept out of `steady_rounds`.
#[inline(never)]
fn warm_up(c: &Classifier, texts: &[String]) -> usize {
    texts.iter().map(|t| c.classify(t).citations.len()).sum()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: steady FILE.jsonl [ROUNDS]");
    let rounds: usize = args.next().map_or(3, |r| r.parse().expect("ROUNDS is a number"));
    let texts: Vec<String> = std::fs::read_to_string(&path)
        .expect("readable file")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_owned))
        .collect();
    let c = Classifier::new();
    let warm = warm_up(&c, &texts);
    let t = std::time::Instant::now();
    let n = steady_rounds(&c, &texts, rounds);
    let per = t.elapsed().as_secs_f64() / (rounds * texts.len()) as f64;
    eprintln!(
        "{} messages x {rounds}: {:.2} us/message ({warm} citations per round, {n} total)",
        texts.len(),
        per * 1e6
    );
}
