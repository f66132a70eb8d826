//! The labeled corpus keeps its format and its coverage: a broken line or a thin subset fails here.

use cuishou::eval::{check_record, Labeled};
use std::collections::{HashMap, HashSet};

fn load(name: &str) -> Vec<(usize, Labeled)> {
    let path = format!("{}/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let r: Labeled = serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}:{}: {e}", i + 1));
            (i + 1, r)
        })
        .collect()
}

#[test]
fn every_corpus_line_is_well_formed_and_ids_are_unique_across_files() {
    let mut problems = Vec::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    for name in ["train.jsonl", "dev.jsonl"] {
        for (line, r) in load(name) {
            for p in check_record(&r) {
                problems.push(format!("corpus/{name}:{line}: {}: {p}", r.id));
            }
            let n = r.text.chars().count();
            if !(10..=2000).contains(&n) {
                problems.push(format!("corpus/{name}:{line}: {}: length {n} outside 10..2000", r.id));
            }
            if (r.labels.len() > 1) != r.tags.iter().any(|t| t == "multi_label") {
                problems.push(format!("corpus/{name}:{line}: {}: tag multi_label iff more than one label", r.id));
            }
            if let Some(first) = ids.insert(r.id.clone(), format!("{name}:{line}")) {
                problems.push(format!("corpus/{name}:{line}: duplicate id {} (first at {first})", r.id));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_dev_text_is_also_in_train() {
    let train: HashSet<String> = load("train.jsonl").into_iter().map(|(_, r)| r.text).collect();
    let leaked: Vec<String> =
        load("dev.jsonl").into_iter().filter(|(_, r)| train.contains(&r.text)).map(|(_, r)| r.id).collect();
    assert!(leaked.is_empty(), "dev messages also in train: {leaked:?}");
}

#[test]
fn both_splits_meet_the_coverage_shares() {
    let total = load("train.jsonl").len() + load("dev.jsonl").len();
    assert!(total >= 1200, "corpus has {total} messages, need 1200");
    for name in ["train.jsonl", "dev.jsonl"] {
        let rows = load(name);
        let n = rows.len() as f64;
        if name == "dev.jsonl" {
            assert!(rows.len() >= 400, "dev has {}", rows.len());
        }
        let share = |f: &dyn Fn(&Labeled) -> bool| rows.iter().filter(|(_, r)| f(r)).count() as f64 / n;
        let tag = |t: &'static str| move |r: &Labeled| r.tags.iter().any(|x| x == t);
        assert!(share(&|r| r.labels.is_empty()) >= 0.25, "{name}: none share");
        for c in cuishou::Category::ALL {
            assert!(share(&|r| r.labels.contains(&c)) >= 0.12, "{name}: {c} share");
        }
        for (t, min) in [("traditional", 0.15), ("obfuscated", 0.15), ("transcript", 0.10), ("negation", 0.10)] {
            assert!(share(&tag(t)) >= min, "{name}: {t} share {:.3} < {min}", share(&tag(t)));
        }
        assert!(share(&|r| r.labels.len() > 1) > 0.0, "{name}: no multi-label messages");
        let hard = rows.iter().filter(|(_, r)| r.labels.is_empty() && tag("hard_negative")(r)).count();
        let none = rows.iter().filter(|(_, r)| r.labels.is_empty()).count();
        assert!(hard * 2 > none, "{name}: most none messages should be hard negatives");
    }
}
