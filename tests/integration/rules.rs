//! Every rule carries its own proof: its `hit` examples must produce its evidence, its `miss`
//! examples must not. One failure list names every broken rule with its file and line.

use cuishou::lexicon::RuleKind;
use cuishou::{Category, Classifier};

#[test]
fn every_rule_hits_its_hit_examples_and_misses_its_miss_examples() {
    let failures = cuishou::lexicon::example_failures(&Classifier::new());
    assert!(failures.is_empty(), "{} rule example(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn embedded_lexicons_cover_every_category_with_enough_rules() {
    let c = Classifier::new();
    assert!(c.rules().len() >= 150, "only {} rules", c.rules().len());
    for cat in Category::ALL {
        let n = c.rules().iter().filter(|r| r.kind == RuleKind::Category(cat)).count();
        assert!(n >= 15, "{cat}: only {n} rules");
    }
}

#[test]
fn every_category_rule_names_its_clause() {
    let c = Classifier::new();
    let missing: Vec<String> = c
        .rules()
        .iter()
        .filter(|r| matches!(r.kind, RuleKind::Category(_)) && r.clause.is_empty())
        .map(|r| r.location())
        .collect();
    assert!(missing.is_empty(), "rules without a clause: {missing:?}");
}
