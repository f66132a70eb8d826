//! Text output for people: the verdict in Chinese and English, the original text with every
//! cited phrase marked, and for each citation the rule message and clause.

use cuishou::{Category, Report};
use std::fmt::Write;

fn colour(c: Category) -> &'static str {
    match c {
        Category::PoliteReminder => "\x1b[32m",
        Category::Pressure => "\x1b[33m",
        Category::Threat => "\x1b[1;31m",
        Category::IllegalDisclosure => "\x1b[1;35m",
    }
}

const RESET: &str = "\x1b[0m";

/// The input with cited ranges marked: 【…】 always, colour too on a terminal. Overlapping
/// citations merge into one mark in the colour of the most severe.
pub fn marked(input: &str, report: &Report, tty: bool) -> String {
    let mut ranges: Vec<(usize, usize, Category)> =
        report.citations.iter().map(|c| (c.byte_start, c.byte_end, c.category)).collect();
    ranges.sort();
    let mut merged: Vec<(usize, usize, Category)> = Vec::new();
    for (s, e, c) in ranges {
        match merged.last_mut() {
            Some(last) if s < last.1 => {
                last.1 = last.1.max(e);
                last.2 = last.2.max(c);
            }
            _ => merged.push((s, e, c)),
        }
    }
    let mut out = String::with_capacity(input.len() + merged.len() * 16);
    let mut at = 0;
    for (s, e, c) in merged {
        out.push_str(&input[at..s]);
        if tty {
            let _ = write!(out, "{}【{}】{RESET}", colour(c), &input[s..e]);
        } else {
            let _ = write!(out, "【{}】", &input[s..e]);
        }
        at = e;
    }
    out.push_str(&input[at..]);
    out
}

/// The whole human-readable answer for one message.
pub fn report(input: &str, report: &Report, tty: bool) -> String {
    let mut out = String::new();
    let v = report.verdict;
    let (on, off) = match v.category() {
        Some(c) if tty => (colour(c), RESET),
        _ => ("", ""),
    };
    let _ = writeln!(out, "判定 Verdict: {on}{} ({}){off}", v.chinese(), v.english());
    if report.labels.len() > 1 {
        let labels: Vec<&str> = report.labels.iter().map(|l| l.as_str()).collect();
        let _ = writeln!(out, "类别 Labels: {}", labels.join(", "));
    }
    let _ = writeln!(out, "原文 Text:\n  {}", marked(input, report, tty).replace('\n', "\n  "));
    if !report.citations.is_empty() {
        let _ = writeln!(out, "证据 Evidence:");
        for (i, c) in report.citations.iter().enumerate() {
            let _ = writeln!(
                out,
                "  [{}] {} {} 「{}」 (字符 {}..{}){}",
                i + 1,
                c.rule,
                c.category,
                c.phrase,
                c.start,
                c.end,
                c.speaker.as_ref().map(|s| format!(" — {s}的发言")).unwrap_or_default()
            );
            let _ = writeln!(out, "      {}", c.message);
            if !c.clause.is_empty() {
                let _ = writeln!(out, "      依据 Clause: {}", c.clause);
            }
        }
    }
    out
}
