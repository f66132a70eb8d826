//! Steady-state profile driver: classifies a JSONL file once to warm up (lazy regex
//! compilation, caches), then `ROUNDS` more times inside `steady_rounds`, so a profiler can
//! count only the steady state. With `scan` as a third argument it runs the `scan_baseline`
//! benchmark's work instead (a bare Aho-Corasick automaton over the classifier's phrases,
//! counting matches in the raw bytes) inside `scan_rounds`, so the pipeline's budget can be
//! counted in the same unit:
//!
//! ```sh
//! cargo build --release --example steady
//! valgrind --tool=callgrind --toggle-collect='steady::steady_rounds' \
//!     target/release/examples/steady corpus/dev.jsonl 3
//! valgrind --tool=callgrind --toggle-collect='steady::scan_rounds' \
//!     target/release/examples/steady corpus/dev.jsonl 3 scan
//! ```
use aho_corasick::AhoCorasick;
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
    let path = args.next().expect("usage: steady FILE.jsonl [ROUNDS] [scan]");
    let rounds: usize = args.next().map_or(3, |r| r.parse().expect("ROUNDS is a number"));
    let scan = args.next().is_some_and(|a| a == "scan");
    let texts: Vec<String> = std::fs::read_to_string(&path)
        .expect("readable file")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_owned))
        .collect();
    let c = Classifier::new();
    // The first round compiles patterns and fills caches; it stays out of the counted function.
    let (warm, t, n) = if scan {
        // The same automaton as the benchmark's: every phrase and variant, normalized.
        let scanner = AhoCorasick::new(c.phrases()).expect("phrases build an automaton");
        let warm = texts.iter().map(|t| scanner.find_iter(t.as_str()).count()).sum::<usize>();
        let t = std::time::Instant::now();
        (warm, t, scan_rounds(&scanner, &texts, rounds))
    } else {
        let warm = texts.iter().map(|t| c.classify(t).citations.len()).sum::<usize>();
        let t = std::time::Instant::now();
        (warm, t, steady_rounds(&c, &texts, rounds))
    };
    let per = t.elapsed().as_secs_f64() / (rounds * texts.len()) as f64;
    eprintln!("{} messages x {rounds}: {:.2} us/message ({warm} per round, {n} total)", texts.len(), per * 1e6);
}
