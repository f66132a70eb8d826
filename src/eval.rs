//! Accuracy on a labeled corpus, measured honestly: verdict accuracy, per-category precision,
//! recall and F1, the confusion matrix, false alarms on `none`, evidence recall, accuracy per tag,
//! and the same figures for a keyword baseline that shows what normalization and context add.

use crate::lexicon::RuleKind;
use crate::{Category, Classifier, Report, Verdict};
use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Gold evidence: a substring of the text that justifies a label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldEvidence {
    /// The label it supports.
    pub label: Category,
    /// An exact substring of the message.
    pub text: String,
}

/// One labeled message of the corpus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labeled {
    /// Unique id.
    pub id: String,
    /// The message.
    pub text: String,
    /// The most severe label, or `none`.
    pub verdict: Verdict,
    /// Every category present.
    pub labels: Vec<Category>,
    /// Substrings that justify each label.
    #[serde(default)]
    pub evidence: Vec<GoldEvidence>,
    /// Subsets the message belongs to (traditional, obfuscated, transcript, negation, ...).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Tags a corpus line may carry.
pub const KNOWN_TAGS: &[&str] = &[
    "traditional",
    "obfuscated",
    "transcript",
    "negation",
    "quotation",
    "third_party",
    "multi_label",
    "hard_negative",
    "regional",
    "long",
    "real",
    "ham",
    "spam",
];

/// Checks one corpus record against the format; every problem is returned.
pub fn check_record(r: &Labeled) -> Vec<String> {
    let mut problems = Vec::new();
    let want = r.labels.iter().max().map_or(Verdict::None, |&c| Verdict::from(c));
    if r.verdict != want {
        problems.push(format!("verdict {} is not the most severe label ({want})", r.verdict));
    }
    let mut sorted = r.labels.clone();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != r.labels.len() {
        problems.push("a label is repeated".into());
    }
    for e in &r.evidence {
        if e.text.is_empty() || !r.text.contains(&e.text) {
            problems.push(format!("evidence {:?} is not a substring of the text", e.text));
        }
        if !r.labels.contains(&e.label) {
            problems.push(format!("evidence for {} which is not among the labels", e.label));
        }
    }
    for l in &r.labels {
        if !r.evidence.iter().any(|e| e.label == *l) {
            problems.push(format!("label {l} has no evidence"));
        }
    }
    for t in &r.tags {
        if !KNOWN_TAGS.contains(&t.as_str()) {
            problems.push(format!("unknown tag {t:?}"));
        }
    }
    problems
}

/// Precision, recall and F1 of one category.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Prf {
    /// Share of predicted labels that are right.
    pub precision: f64,
    /// Share of gold labels found.
    pub recall: f64,
    /// Harmonic mean of the two.
    pub f1: f64,
    /// Gold count.
    pub support: usize,
}

/// A message the system got wrong.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    /// Corpus id.
    pub id: String,
    /// Gold verdict.
    pub gold: Verdict,
    /// Predicted verdict.
    pub predicted: Verdict,
    /// The text.
    pub text: String,
    /// The citations behind the prediction: `rule 「phrase」`.
    pub citations: Vec<String>,
}

/// Figures for one system (the engine or the baseline) on one corpus.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// Messages evaluated.
    pub messages: usize,
    /// Share with the right verdict.
    pub accuracy: f64,
    /// Per category.
    pub categories: BTreeMap<Category, Prf>,
    /// Lowest per-category F1.
    pub min_f1: f64,
    /// `confusion[gold][predicted]`, in verdict order.
    pub confusion: [[usize; 5]; 5],
    /// Share of gold-`none` messages given any other verdict.
    pub false_alarm: f64,
    /// Share of gold evidence strings overlapped by a citation of the same category.
    pub evidence_recall: f64,
    /// Verdict accuracy per tag: (messages, accuracy).
    pub by_tag: BTreeMap<String, (usize, f64)>,
}

/// The engine's figures beside the keyword baseline's, and the engine's misses.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// The engine.
    pub engine: Figures,
    /// Plain substring matching of the same phrases, no normalization, no context.
    pub baseline: Figures,
    /// Every message the engine got wrong.
    pub misses: Vec<Miss>,
}

/// Plain substring matching of every category rule's phrases and variants: what a team gets
/// from a keyword list alone.
pub struct KeywordBaseline {
    ac: AhoCorasick,
    category: Vec<Category>,
}

impl KeywordBaseline {
    /// Builds the baseline from the classifier's rules.
    pub fn new(c: &Classifier) -> KeywordBaseline {
        let mut pats = Vec::new();
        let mut category = Vec::new();
        for r in c.rules() {
            if let RuleKind::Category(cat) = r.kind {
                for p in r.phrases.iter().chain(&r.variants) {
                    pats.push(p.clone());
                    category.push(cat);
                }
            }
        }
        let ac = AhoCorasick::builder().match_kind(MatchKind::Standard).build(&pats).expect("baseline automaton");
        KeywordBaseline { ac, category }
    }

    /// Every category with any phrase present, and the verdict they imply.
    pub fn labels(&self, text: &str) -> (Verdict, Vec<Category>) {
        let mut found = [false; 4];
        for m in self.ac.find_overlapping_iter(text) {
            found[self.category[m.pattern().as_usize()].index()] = true;
        }
        let labels: Vec<Category> = Category::ALL.into_iter().filter(|c| found[c.index()]).collect();
        (labels.last().map_or(Verdict::None, |&c| Verdict::from(c)), labels)
    }
}

struct Tally {
    n: usize,
    correct: usize,
    tp: [usize; 4],
    fp: [usize; 4],
    fn_: [usize; 4],
    confusion: [[usize; 5]; 5],
    none_total: usize,
    none_flagged: usize,
    ev_total: usize,
    ev_found: usize,
    tags: BTreeMap<String, (usize, usize)>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            n: 0,
            correct: 0,
            tp: [0; 4],
            fp: [0; 4],
            fn_: [0; 4],
            confusion: [[0; 5]; 5],
            none_total: 0,
            none_flagged: 0,
            ev_total: 0,
            ev_found: 0,
            tags: BTreeMap::new(),
        }
    }

    fn add(&mut self, gold: &Labeled, verdict: Verdict, labels: &[Category], cited: &[(Category, usize, usize)]) {
        self.n += 1;
        let right = verdict == gold.verdict;
        self.correct += right as usize;
        self.confusion[gold.verdict as usize][verdict as usize] += 1;
        for c in Category::ALL {
            let (g, p) = (gold.labels.contains(&c), labels.contains(&c));
            let i = c.index();
            self.tp[i] += (g && p) as usize;
            self.fp[i] += (!g && p) as usize;
            self.fn_[i] += (g && !p) as usize;
        }
        if gold.verdict == Verdict::None {
            self.none_total += 1;
            self.none_flagged += (verdict != Verdict::None) as usize;
        }
        for e in &gold.evidence {
            self.ev_total += 1;
            if let Some(s) = gold.text.find(&e.text) {
                let end = s + e.text.len();
                if cited.iter().any(|&(c, a, b)| c == e.label && a < end && s < b) {
                    self.ev_found += 1;
                }
            }
        }
        for t in &gold.tags {
            let e = self.tags.entry(t.clone()).or_default();
            e.0 += 1;
            e.1 += right as usize;
        }
    }

    fn figures(&self) -> Figures {
        let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
        let mut categories = BTreeMap::new();
        for c in Category::ALL {
            let i = c.index();
            let precision = ratio(self.tp[i], self.tp[i] + self.fp[i]);
            let recall = ratio(self.tp[i], self.tp[i] + self.fn_[i]);
            let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
            categories.insert(c, Prf { precision, recall, f1, support: self.tp[i] + self.fn_[i] });
        }
        let min_f1 = categories.values().filter(|p| p.support > 0).map(|p| p.f1).fold(1.0, f64::min);
        Figures {
            messages: self.n,
            accuracy: ratio(self.correct, self.n),
            categories,
            min_f1,
            confusion: self.confusion,
            false_alarm: if self.none_total == 0 { 0.0 } else { ratio(self.none_flagged, self.none_total) },
            evidence_recall: ratio(self.ev_found, self.ev_total),
            by_tag: self.tags.iter().map(|(t, &(n, ok))| (t.clone(), (n, ratio(ok, n)))).collect(),
        }
    }
}

/// Evaluates the classifier (and the keyword baseline) on labeled messages.
///
/// ```
/// use cuishou::eval::{evaluate, Labeled};
/// let corpus: Vec<Labeled> = vec![serde_json::from_str(
///     r#"{"id":"x1","text":"您的验证码是123456","verdict":"none","labels":[],"evidence":[],"tags":[]}"#,
/// ).unwrap()];
/// let e = evaluate(&cuishou::Classifier::new(), &corpus);
/// assert_eq!(e.engine.accuracy, 1.0);
/// ```
pub fn evaluate(classifier: &Classifier, corpus: &[Labeled]) -> Evaluation {
    let mut ev = Evaluator::new(classifier);
    for gold in corpus {
        ev.add(gold, &classifier.classify(&gold.text));
    }
    ev.finish()
}

/// [`evaluate`] one message at a time, for streams too large to hold: the tallies grow with
/// the number of tags, not messages, and at most `miss_limit` misses are kept.
///
/// ```
/// use cuishou::eval::{Evaluator, Labeled};
/// let c = cuishou::Classifier::new();
/// let gold: Labeled = serde_json::from_str(
///     r#"{"id":"x1","text":"您的验证码是123456","verdict":"none","labels":[]}"#,
/// ).unwrap();
/// let mut ev = Evaluator::new(&c).miss_limit(0);
/// ev.add(&gold, &c.classify(&gold.text));
/// let e = ev.finish();
/// assert_eq!((e.engine.messages, e.engine.accuracy), (1, 1.0));
/// ```
pub struct Evaluator {
    baseline: KeywordBaseline,
    eng: Tally,
    base: Tally,
    misses: Vec<Miss>,
    miss_limit: usize,
}

impl Evaluator {
    /// An empty evaluation against the classifier's rules (and its keyword baseline), keeping
    /// every miss.
    pub fn new(classifier: &Classifier) -> Evaluator {
        Evaluator {
            baseline: KeywordBaseline::new(classifier),
            eng: Tally::new(),
            base: Tally::new(),
            misses: Vec::new(),
            miss_limit: usize::MAX,
        }
    }

    /// Keeps only the first `n` misclassified messages (the figures still count them all).
    pub fn miss_limit(mut self, n: usize) -> Evaluator {
        self.miss_limit = n;
        self
    }

    /// Counts one labeled message and the classifier's report on its text.
    pub fn add(&mut self, gold: &Labeled, r: &Report) {
        let cited: Vec<(Category, usize, usize)> =
            r.citations.iter().map(|c| (c.category, c.byte_start, c.byte_end)).collect();
        self.eng.add(gold, r.verdict, &r.labels, &cited);
        if r.verdict != gold.verdict && self.misses.len() < self.miss_limit {
            self.misses.push(Miss {
                id: gold.id.clone(),
                gold: gold.verdict,
                predicted: r.verdict,
                text: gold.text.clone(),
                citations: r.citations.iter().map(|c| format!("{} 「{}」", c.rule, c.phrase)).collect(),
            });
        }
        let (bv, bl) = self.baseline.labels(&gold.text);
        self.base.add(gold, bv, &bl, &[]);
    }

    /// Messages counted so far.
    pub fn messages(&self) -> usize {
        self.eng.n
    }

    /// The figures for everything added.
    pub fn finish(self) -> Evaluation {
        Evaluation { engine: self.eng.figures(), baseline: self.base.figures(), misses: self.misses }
    }
}

/// Counts per verdict and per tag, with shares, for `cuishou eval --stats`.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Messages counted.
    pub messages: usize,
    /// Count per verdict.
    pub verdicts: BTreeMap<Verdict, usize>,
    /// Count per tag.
    pub tags: BTreeMap<String, usize>,
    /// Messages with more than one label.
    pub multi_label: usize,
    /// Shortest and longest text, in characters.
    pub length_range: (usize, usize),
}

/// Computes [`Stats`] over labeled messages.
pub fn stats(corpus: &[Labeled]) -> Stats {
    let mut verdicts = BTreeMap::new();
    let mut tags = BTreeMap::new();
    let mut multi = 0;
    let (mut lo, mut hi) = (usize::MAX, 0);
    for r in corpus {
        *verdicts.entry(r.verdict).or_insert(0) += 1;
        for t in &r.tags {
            *tags.entry(t.clone()).or_insert(0) += 1;
        }
        multi += (r.labels.len() > 1) as usize;
        let n = r.text.chars().count();
        lo = lo.min(n);
        hi = hi.max(n);
    }
    Stats {
        messages: corpus.len(),
        verdicts,
        tags,
        multi_label: multi,
        length_range: (if corpus.is_empty() { 0 } else { lo }, hi),
    }
}
