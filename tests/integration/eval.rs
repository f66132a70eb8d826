//! Accuracy on the held-out dev split, asserted as floors that later changes may raise, never
//! lower. The figures are what `cuishou eval corpus/dev.jsonl` printed when the floor was set.

use super::cuishou;
use serde_json::Value;

fn dev_eval() -> Value {
    let out = cuishou(&["eval", "--json", "corpus/dev.jsonl"], None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("eval JSON")
}

// Floors (dev split): raise them when the engine improves. Session 2 appended 180 messages
// that no one tuning rules had read (d-dev-*), so the split's figures fell (accuracy 94.1% ->
// 91.2%, false alarms 0.0% -> 4.7%); the floors follow the harder split, not the engine.
// Session 5: dev 94.0%, lowest F1 .841 (threat), false alarms 2.9%, evidence recall 75.3%.
// Session 6: dev 94.8%, lowest F1 .844 (threat), false alarms 1.7%, evidence recall 75.9%.
// Session 7 (clause model): dev 95.0%, lowest F1 .862 (threat), false alarms 1.7%, evidence
// recall 81.0%; after the train evidence audit 95.3%, .871 (threat), 1.7%, 81.5%.
// Session 8 (reporting cues, threat frames, yields_to, clause model on digit shapes): 96.0%,
// .893 (threat), 0.6% (the 1% ceiling), 82.8%.
// Session 9 (named chat speakers, form fields, the clause model on unlisted debt messages):
// 97.2%, .913 (threat), 0.6%, 85.8%.
// Session 10 (the clause model on veiled menace, rule families for uncited wording): 98.2%,
// .944 (threat), 0.6%, 91.0%: every target of issue #4 is met, so the floors are the targets
// where the engine is within a point of them, and a point under the engine elsewhere.
const MIN_ACCURACY: f64 = 0.97;
const MIN_F1: f64 = 0.93;
const MAX_FALSE_ALARM: f64 = 0.01;
const MIN_EVIDENCE_RECALL: f64 = 0.90;
/// Issue #4: these subsets each within 3 points of the overall accuracy.
const SUBSETS: [&str; 4] = ["traditional", "obfuscated", "transcript", "negation"];
const MAX_SUBSET_GAP: f64 = 0.03;

#[test]
fn dev_accuracy_holds_its_floor_and_beats_the_keyword_baseline() {
    let e = dev_eval();
    let g = &e["engine"];
    let b = &e["baseline"];
    let acc = g["accuracy"].as_f64().unwrap();
    assert!(acc >= MIN_ACCURACY, "dev accuracy {acc:.4} < {MIN_ACCURACY}");
    assert!(g["min_f1"].as_f64().unwrap() >= MIN_F1, "dev lowest F1 {} < {MIN_F1}", g["min_f1"]);
    assert!(g["false_alarm"].as_f64().unwrap() <= MAX_FALSE_ALARM, "dev false alarms {}", g["false_alarm"]);
    assert!(g["evidence_recall"].as_f64().unwrap() >= MIN_EVIDENCE_RECALL, "evidence recall {}", g["evidence_recall"]);
    for tag in SUBSETS {
        let sub = g["by_tag"][tag][1].as_f64().unwrap_or_else(|| panic!("no {tag} subset in {}", g["by_tag"]));
        assert!(sub >= acc - MAX_SUBSET_GAP, "dev {tag} accuracy {sub:.4} more than 3 points under {acc:.4}");
    }
    assert!(acc > b["accuracy"].as_f64().unwrap() + 0.10, "engine {acc} vs baseline {}", b["accuracy"]);
    assert!(g["false_alarm"].as_f64().unwrap() < b["false_alarm"].as_f64().unwrap());
}

#[test]
fn eval_prints_every_figure_and_lists_misses() {
    let out = cuishou(&["eval", "corpus/dev.jsonl", "--show-misses", "3"], None);
    let s = String::from_utf8(out.stdout).unwrap();
    for want in [
        "verdict accuracy",
        "keyword baseline",
        "false alarms on none",
        "evidence recall",
        "F1 illegal_disclosure",
        "confusion",
        "accuracy per tag",
        "traditional",
        "misclassified",
    ] {
        assert!(s.contains(want), "missing {want:?} in:\n{s}");
    }
}

#[test]
fn eval_thresholds_set_the_exit_code() {
    assert_eq!(cuishou(&["eval", "corpus/dev.jsonl", "--min-accuracy", "0.0"], None).status.code(), Some(0));
    let out = cuishou(&["eval", "corpus/dev.jsonl", "--min-accuracy", "1.01"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("below threshold"));
    // dev has false alarms on none (see the floors above), so a ceiling of 0 fails.
    assert_eq!(cuishou(&["eval", "corpus/dev.jsonl", "--max-false-alarm", "0"], None).status.code(), Some(1));
}

#[test]
fn eval_stats_show_the_coverage_shares() {
    let out = cuishou(&["eval", "--stats", "--json", "corpus/train.jsonl", "corpus/dev.jsonl"], None);
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = s["messages"].as_u64().unwrap();
    assert!(n >= 1200);
    assert!(s["verdicts"]["none"].as_u64().unwrap() * 4 >= n);
    assert!(s["tags"]["traditional"].as_u64().unwrap() * 100 >= n * 15);
}

#[test]
fn eval_rejects_a_malformed_labeled_line_with_its_place() {
    let dir = std::env::temp_dir().join(format!("cuishou-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.jsonl");
    std::fs::write(
        &f,
        "{\"id\":\"x\",\"text\":\"请还款谢谢您\",\"verdict\":\"threat\",\"labels\":[\"pressure\"],\"evidence\":[{\"label\":\"pressure\",\"text\":\"还款\"}],\"tags\":[]}\n",
    )
    .unwrap();
    let out = cuishou(&["eval", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl:1") && err.contains("not the most severe label"), "{err}");
}
