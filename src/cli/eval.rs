//! `cuishou eval FILE...`: accuracy on labeled JSONL, beside the keyword baseline.

use super::{LexiconArgs, EXIT_ERROR, EXIT_FAIL_ON};
use cuishou::eval::{check_record, evaluate, stats, Evaluation, Figures, Labeled};
use cuishou::{Category, Verdict};
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Labeled JSONL files (id, text, verdict, labels, evidence, tags).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Only count messages per verdict and per tag (no classification).
    #[arg(long)]
    pub stats: bool,
    /// Exit 1 when verdict accuracy is below this.
    #[arg(long, value_name = "X")]
    pub min_accuracy: Option<f64>,
    /// Exit 1 when any category's F1 is below this.
    #[arg(long, value_name = "X")]
    pub min_f1: Option<f64>,
    /// Exit 1 when the false-alarm rate on `none` is above this.
    #[arg(long, value_name = "X")]
    pub max_false_alarm: Option<f64>,
    /// How many misclassified messages to list (all by default).
    #[arg(long, value_name = "N")]
    pub show_misses: Option<usize>,
    #[command(flatten)]
    pub lexicons: LexiconArgs,
}

/// Reads labeled JSONL files; every malformed line is reported as `file:line: problem`.
pub fn load(files: &[PathBuf]) -> Result<Vec<Labeled>, Vec<String>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut ids = std::collections::HashMap::new();
    for f in files {
        let text = match std::fs::read(f) {
            Ok(b) => match String::from_utf8(b) {
                Ok(s) => s,
                Err(e) => {
                    problems.push(format!("{}: invalid UTF-8 at byte {}", f.display(), e.utf8_error().valid_up_to()));
                    continue;
                }
            },
            Err(e) => {
                problems.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        for (i, line) in text.lines().enumerate() {
            let at = format!("{}:{}", f.display(), i + 1);
            if line.trim().is_empty() {
                problems.push(format!("{at}: empty line (expected a labeled JSON object)"));
                continue;
            }
            match serde_json::from_str::<Labeled>(line) {
                Ok(r) => {
                    for p in check_record(&r) {
                        problems.push(format!("{at}: {}: {p}", r.id));
                    }
                    if let Some(first) = ids.insert(r.id.clone(), at.clone()) {
                        problems.push(format!("{at}: duplicate id {} (first at {first})", r.id));
                    }
                    out.push(r);
                }
                Err(e) => problems.push(format!("{at}: not a labeled record: {e}")),
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let corpus = match load(&a.files) {
        Ok(c) => c,
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!("cuishou: {} problem(s) in the labeled input", problems.len());
            return Ok(EXIT_ERROR);
        }
    };
    if a.stats {
        let s = stats(&corpus);
        if a.json {
            println!("{}", serde_json::to_string_pretty(&s)?);
        } else {
            let share = |n: usize| 100.0 * n as f64 / s.messages.max(1) as f64;
            println!("{} messages, lengths {}..{} characters", s.messages, s.length_range.0, s.length_range.1);
            println!("per verdict:");
            for v in Verdict::ALL {
                let n = s.verdicts.get(&v).copied().unwrap_or(0);
                println!("  {:<20} {n:>6} {:>6.1}%", v.as_str(), share(n));
            }
            println!("per tag:");
            for (t, n) in &s.tags {
                println!("  {t:<20} {n:>6} {:>6.1}%", share(*n));
            }
            println!("  {:<20} {:>6} {:>6.1}%", "(more than one label)", s.multi_label, share(s.multi_label));
        }
        return Ok(0);
    }
    let classifier = match a.lexicons.build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cuishou: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    let e = evaluate(&classifier, &corpus);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        print!("{}", render(&e, a.show_misses));
    }
    let mut short = Vec::new();
    if let Some(x) = a.min_accuracy {
        if e.engine.accuracy < x {
            short.push(format!("accuracy {:.4} < {x}", e.engine.accuracy));
        }
    }
    if let Some(x) = a.min_f1 {
        if e.engine.min_f1 < x {
            short.push(format!("lowest F1 {:.4} < {x}", e.engine.min_f1));
        }
    }
    if let Some(x) = a.max_false_alarm {
        if e.engine.false_alarm > x {
            short.push(format!("false-alarm rate {:.4} > {x}", e.engine.false_alarm));
        }
    }
    for s in &short {
        eprintln!("cuishou eval: below threshold: {s}");
    }
    Ok(if short.is_empty() { 0 } else { EXIT_FAIL_ON })
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// The evaluation as text: headline figures beside the baseline, the confusion matrix, tags,
/// and the misclassified messages.
pub fn render(e: &Evaluation, show: Option<usize>) -> String {
    let (g, b) = (&e.engine, &e.baseline);
    let mut o = String::new();
    let _ = writeln!(o, "{} messages\n", g.messages);
    let _ = writeln!(o, "{:<28} {:>10} {:>18}", "", "cuishou", "keyword baseline");
    let row = |o: &mut String, name: &str, a: String, b: String| {
        let _ = writeln!(o, "{name:<28} {a:>10} {b:>18}");
    };
    row(&mut o, "verdict accuracy", pct(g.accuracy), pct(b.accuracy));
    row(&mut o, "false alarms on none", pct(g.false_alarm), pct(b.false_alarm));
    row(&mut o, "evidence recall", pct(g.evidence_recall), "-".into());
    for c in Category::ALL {
        let (p, q) = (g.categories[&c], b.categories[&c]);
        row(&mut o, &format!("F1 {c}"), format!("{:.3}", p.f1), format!("{:.3}", q.f1));
        row(
            &mut o,
            "   precision / recall",
            format!("{:.2}/{:.2}", p.precision, p.recall),
            format!("{:.2}/{:.2}", q.precision, q.recall),
        );
    }
    let _ = writeln!(o, "\nconfusion (rows: gold, columns: predicted)");
    confusion(&mut o, g);
    let _ = writeln!(o, "\naccuracy per tag            cuishou   baseline      n");
    for (t, (n, acc)) in &g.by_tag {
        let base = b.by_tag.get(t).map_or(0.0, |x| x.1);
        let _ = writeln!(o, "  {t:<24} {:>9} {:>10} {n:>6}", pct(*acc), pct(base));
    }
    let n = show.unwrap_or(e.misses.len()).min(e.misses.len());
    let _ = writeln!(o, "\nmisclassified: {} (showing {n})", e.misses.len());
    for m in &e.misses[..n] {
        let text: String = m.text.chars().take(80).collect::<String>().replace('\n', " ⏎ ");
        let _ = writeln!(o, "  {} gold {} → {}: {}", m.id, m.gold, m.predicted, text);
        if !m.citations.is_empty() {
            let _ = writeln!(o, "      {}", m.citations.join(", "));
        }
    }
    o
}

fn confusion(o: &mut String, f: &Figures) {
    let short = ["none", "polite", "pressure", "threat", "disclosure"];
    let _ = write!(o, "  {:<12}", "");
    for s in short {
        let _ = write!(o, "{s:>11}");
    }
    let _ = writeln!(o);
    for (i, s) in short.iter().enumerate() {
        let _ = write!(o, "  {s:<12}");
        for n in f.confusion[i] {
            let _ = write!(o, "{n:>11}");
        }
        let _ = writeln!(o);
    }
}
