//! The `scan_baseline` benchmark's work under a profiler: a bare Aho-Corasick automaton over the
//! classifier's phrases, counting matches in the raw bytes of every message, `ROUNDS` times
//! inside `scan_rounds`, so that the budget of the whole pipeline can be counted in instructions:
//!
//! ```sh
//! cargo build --release --example scan_baseline
//! valgrind --tool=callgrind --toggle-collect='scan_baseline::scan_rounds' \
//!     target/release/examples/scan_baseline ../shared/data/real_sms_10k.jsonl 2
//! ```
use aho_corasick::AhoCorasick;
use cuishou::Classifier;
use std::hint::black_box;

#[inline(never)]
fn scan_rounds(scanner: &AhoCorasick, texts: &[String], rounds: usize) -> usize {
    let mut n = 0;
    for _ in 0..rounds {
        for t in texts {
            n += scanner.find_iter(black_box(t.as_str())).count();
        }
    }
    n
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: scan_baseline FILE.jsonl [ROUNDS]");
    let rounds: usize = args.next().map_or(3, |r| r.parse().expect("ROUNDS is a number"));
    let texts: Vec<String> = std::fs::read_to_string(&path)
        .expect("readable file")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_owned))
        .collect();
    // The same automaton as the benchmark's: every phrase and variant, normalized.
    let scanner = AhoCorasick::new(Classifier::new().phrases()).expect("phrases build an automaton");
    let warm = scan_rounds(&scanner, &texts, 1);
    let t = std::time::Instant::now();
    let n = scan_rounds(&scanner, &texts, rounds);
    let per = t.elapsed().as_secs_f64() / (rounds * texts.len()) as f64;
    eprintln!("{} messages x {rounds}: {:.3} us/message ({warm} matches per round, {n} total)", texts.len(), per * 1e6);
}
