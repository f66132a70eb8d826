//! A corpus review summary built one message at a time in memory that does not grow with the
//! number of messages: counts per verdict and per group, the most cited phrases (a bounded
//! sketch), rule hits, the N most severe messages (a bounded heap), and — when the input carries
//! gold labels — the evaluation tallies. [`html::render`] turns it into one self-contained page.
//!
//! ```
//! use cuishou::summary::{Aggregator, SummaryOptions};
//! use cuishou::input::{parse_line, InputFormat};
//! use cuishou::{Classifier, Verdict};
//!
//! let c = Classifier::new();
//! let mut agg = Aggregator::new(&c, SummaryOptions { group_by: Some("platform".into()), ..Default::default() });
//! agg.start_input("demo.jsonl");
//! for (i, line) in [r#"{"text":"再不还钱就上门找你,后果自负","platform":"sms"}"#, "{oops"].iter().enumerate() {
//!     match parse_line(line.as_bytes(), i + 1, InputFormat::Jsonl, 1 << 16) {
//!         Ok(m) => agg.add(&m, &c.classify(&m.text)),
//!         Err(e) => agg.add_error(&e),
//!     }
//! }
//! let s = agg.finish();
//! assert_eq!((s.messages, s.bad_lines.count), (1, 1));
//! assert_eq!(s.bad_lines.first[0].line, 2);
//! assert_eq!(s.verdicts[&Verdict::Threat], 1);
//! assert_eq!(s.groups.unwrap().rows[0].value, "sms");
//! ```

pub mod html;
mod sketch;

pub use sketch::SpaceSaving;

use crate::eval::{Evaluator, Figures, Labeled};
use crate::input::{LineError, Message};
use crate::lexicon::RuleKind;
use crate::{Category, Citation, Classifier, Report, Verdict};
use serde::Serialize;
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap};

/// From this verdict up a message counts as flagged: coercive or worse.
pub const FLAGGED_FROM: Verdict = Verdict::Pressure;

/// How many bad lines (and gold-label problems) are listed; all of them are counted.
pub const LISTED_PROBLEMS: usize = 100;

/// Group values and phrases longer than this many characters are cut, so a cap on the number
/// of keys is also a cap on memory.
const MAX_KEY_CHARS: usize = 120;

/// The group collecting every value past [`SummaryOptions::max_groups`].
pub const OTHER_GROUP: &str = "(other)";
/// The group of messages without the field.
pub const MISSING_GROUP: &str = "(missing)";

/// What to summarize and how much to keep.
#[derive(Debug, Clone)]
pub struct SummaryOptions {
    /// A field (JSONL key or CSV column) to group messages by; an array counts the message once
    /// in each of its values.
    pub group_by: Option<String>,
    /// How many most severe messages to keep, and phrases to list per category.
    pub top: usize,
    /// Distinct group values counted separately; later values go to [`OTHER_GROUP`].
    pub max_groups: usize,
    /// Slots per category in the phrase sketch.
    pub phrase_slots: usize,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions { group_by: None, top: 20, max_groups: 200, phrase_slots: 1000 }
    }
}

/// A record that could not be used, with where it was.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// The input it came from.
    pub file: String,
    /// 1-based line (or CSV record) number.
    pub line: usize,
    /// What was wrong.
    pub error: String,
}

/// Every problem counted, the first [`LISTED_PROBLEMS`] listed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Problems {
    /// How many there were.
    pub count: u64,
    /// The first ones, in input order.
    pub first: Vec<Problem>,
}

impl Problems {
    fn push(&mut self, file: &str, line: usize, error: &str) {
        self.count += 1;
        if self.first.len() < LISTED_PROBLEMS {
            self.first.push(Problem { file: file.to_string(), line, error: error.to_string() });
        }
    }
}

/// Counts for one value of the grouping field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    /// The field's value.
    pub value: String,
    /// Messages with this value.
    pub messages: u64,
    /// Messages per verdict.
    pub verdicts: BTreeMap<Verdict, u64>,
    /// Messages at [`FLAGGED_FROM`] or above.
    pub flagged: u64,
    /// `flagged / messages`.
    pub share_flagged: f64,
}

/// Messages per value of the grouping field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Groups {
    /// The field grouped by.
    pub field: String,
    /// One row per value, most messages first.
    pub rows: Vec<GroupRow>,
    /// True when values past the cap were merged into [`OTHER_GROUP`].
    pub capped: bool,
}

/// How often a phrase was cited.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhraseCount {
    /// The phrase as it stood in the input.
    pub phrase: String,
    /// Citations of it (an upper bound when the table is not exact).
    pub count: u64,
    /// How much `count` may overstate; 0 when exact.
    pub error: u64,
}

/// The most cited phrases of one category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhraseTable {
    /// Citations of this category in all.
    pub citations: u64,
    /// True when every count is exact (no phrase was ever evicted from the sketch).
    pub exact: bool,
    /// The most cited phrases, most first.
    pub phrases: Vec<PhraseCount>,
}

/// How many messages one rule fired on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleHits {
    /// Rule id.
    pub rule: String,
    /// The category its evidence supports.
    pub category: Category,
    /// Its one-line message.
    pub message: String,
    /// The regulation clause behind it.
    pub clause: String,
    /// Messages it was cited in (once per message).
    pub messages: u64,
}

/// One of the most severe messages, with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Severe {
    /// The input it came from.
    pub file: String,
    /// Its line (or CSV record) number.
    pub line: usize,
    /// The caller's id, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<serde_json::Value>,
    /// Its verdict.
    pub verdict: Verdict,
    /// The gold verdict, when the input carried one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gold: Option<Verdict>,
    /// The score of the verdict's category.
    pub score: f64,
    /// The message.
    pub text: String,
    /// Every citation, in input order.
    pub citations: Vec<Citation>,
}

/// Evaluation against the gold labels the input carried.
#[derive(Debug, Clone, Serialize)]
pub struct EvalSummary {
    /// Messages with readable gold labels (the ones evaluated).
    pub labeled: u64,
    /// The engine's figures, as `cuishou eval` computes them.
    pub engine: Figures,
    /// The keyword baseline's figures.
    pub baseline: Figures,
    /// Messages whose gold labels could not be read (still classified and counted).
    pub gold_problems: Problems,
}

/// Everything the report shows.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The inputs, in order.
    pub inputs: Vec<String>,
    /// The lexicon version that classified them.
    pub lexicon_version: String,
    /// Records read: messages plus bad lines.
    pub records: u64,
    /// Messages classified.
    pub messages: u64,
    /// Messages per verdict (every verdict present).
    pub verdicts: BTreeMap<Verdict, u64>,
    /// Messages at [`FLAGGED_FROM`] or above.
    pub flagged: u64,
    /// Records that could not be read.
    pub bad_lines: Problems,
    /// Per value of `--group-by`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Groups>,
    /// The most cited phrases per category.
    pub phrases: BTreeMap<Category, PhraseTable>,
    /// Every rule that fired, most messages first.
    pub rules: Vec<RuleHits>,
    /// The most severe messages, most severe first.
    pub most_severe: Vec<Severe>,
    /// Present when any message carried gold labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<EvalSummary>,
}

#[derive(Default)]
struct GroupCount {
    verdicts: [u64; 5],
}

/// A kept message, ordered by severity; later messages lose ties so the first ones stay.
struct Ranked {
    key: (Verdict, u32, usize, Reverse<u64>),
    item: Severe,
}

impl PartialEq for Ranked {
    fn eq(&self, o: &Self) -> bool {
        self.key == o.key
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ranked {
    fn cmp(&self, o: &Self) -> Ordering {
        self.key.cmp(&o.key)
    }
}

/// Builds a [`Summary`] from a stream of reports; see the module example.
pub struct Aggregator {
    opts: SummaryOptions,
    lexicon_version: String,
    inputs: Vec<String>,
    seq: u64,
    verdicts: [u64; 5],
    bad: Problems,
    groups: HashMap<String, GroupCount>,
    capped: bool,
    phrases: Vec<SpaceSaving>,
    citations: [u64; 4],
    rule_index: HashMap<String, usize>,
    rules: Vec<(RuleHits, u64)>,
    severe: BinaryHeap<Reverse<Ranked>>,
    eval: Evaluator,
    gold_problems: Problems,
}

impl Aggregator {
    /// An empty summary for reports made by `classifier`.
    pub fn new(classifier: &Classifier, opts: SummaryOptions) -> Aggregator {
        let mut rule_index = HashMap::new();
        let mut rules = Vec::new();
        for r in classifier.rules() {
            if let RuleKind::Category(category) = r.kind {
                rule_index.insert(r.id.clone(), rules.len());
                let hits = RuleHits {
                    rule: r.id.clone(),
                    category,
                    message: r.message.clone(),
                    clause: r.clause.clone(),
                    messages: 0,
                };
                rules.push((hits, u64::MAX));
            }
        }
        // The clause model cites under one id per category; a moderator sees how often it spoke.
        if classifier.clause_model().is_some() {
            for category in Category::ALL {
                let (id, message, clause) = crate::classifier::model_rule(category);
                rule_index.insert(id.to_string(), rules.len());
                let hits = RuleHits {
                    rule: id.to_string(),
                    category,
                    message: message.to_string(),
                    clause: clause.to_string(),
                    messages: 0,
                };
                rules.push((hits, u64::MAX));
            }
        }
        Aggregator {
            phrases: (0..4).map(|_| SpaceSaving::new(opts.phrase_slots)).collect(),
            opts,
            lexicon_version: classifier.lexicon_version().to_string(),
            inputs: Vec::new(),
            seq: 0,
            verdicts: [0; 5],
            bad: Problems::default(),
            groups: HashMap::new(),
            capped: false,
            citations: [0; 4],
            rule_index,
            rules,
            severe: BinaryHeap::new(),
            eval: Evaluator::new(classifier).miss_limit(0),
            gold_problems: Problems::default(),
        }
    }

    /// Names the input the following records come from (shown beside bad lines and messages).
    pub fn start_input(&mut self, name: &str) {
        self.inputs.push(name.to_string());
    }

    fn file(&self) -> &str {
        self.inputs.last().map_or("-", String::as_str)
    }

    /// Counts a record that could not be read.
    pub fn add_error(&mut self, e: &LineError) {
        self.seq += 1;
        let file = self.file().to_string();
        self.bad.push(&file, e.line, &e.error);
    }

    /// Counts one message and its report.
    pub fn add(&mut self, m: &Message, r: &Report) {
        self.seq += 1;
        self.verdicts[r.verdict as usize] += 1;
        if let Some(field) = &self.opts.group_by {
            for value in group_values(m, field) {
                self.count_group(value, r.verdict);
            }
        }
        let mut seen_rules: Vec<usize> = Vec::new();
        for c in &r.citations {
            self.citations[c.category.index()] += 1;
            self.phrases[c.category.index()].add(&cut(&c.phrase));
            if let Some(&i) = self.rule_index.get(&c.rule) {
                if !seen_rules.contains(&i) {
                    seen_rules.push(i);
                    self.rules[i].0.messages += 1;
                    self.rules[i].1 = self.rules[i].1.min(self.seq);
                }
            }
        }
        self.keep_if_severe(m, r);
        match gold(m) {
            None => {}
            Some(Ok(g)) => self.eval.add(&g, r),
            Some(Err(e)) => {
                let file = self.file().to_string();
                self.gold_problems.push(&file, m.line, &e);
            }
        }
    }

    fn count_group(&mut self, value: String, v: Verdict) {
        let key = if self.groups.contains_key(&value) || self.groups.len() < self.opts.max_groups {
            value
        } else {
            self.capped = true;
            OTHER_GROUP.to_string()
        };
        self.groups.entry(key).or_default().verdicts[v as usize] += 1;
    }

    fn keep_if_severe(&mut self, m: &Message, r: &Report) {
        let Some(cat) = r.verdict.category() else { return };
        if self.opts.top == 0 {
            return;
        }
        let score = r.scores.get(cat);
        let key = (r.verdict, (score * 1000.0).round() as u32, r.labels.len(), Reverse(self.seq));
        if self.severe.len() == self.opts.top {
            match self.severe.peek() {
                Some(Reverse(min)) if min.key < key => {
                    self.severe.pop();
                }
                _ => return,
            }
        }
        let item = Severe {
            file: self.file().to_string(),
            line: m.line,
            id: m.id.clone(),
            gold: m.fields.as_ref().and_then(|f| f.get("verdict")?.as_str()?.parse().ok()),
            verdict: r.verdict,
            score,
            text: m.text.clone(),
            citations: r.citations.clone(),
        };
        self.severe.push(Reverse(Ranked { key, item }));
    }

    /// The summary of everything added.
    pub fn finish(self) -> Summary {
        let messages: u64 = self.verdicts.iter().sum();
        let flagged: u64 =
            Verdict::ALL.iter().filter(|v| **v >= FLAGGED_FROM).map(|v| self.verdicts[*v as usize]).sum();
        let groups = self.opts.group_by.clone().map(|field| {
            let mut rows: Vec<GroupRow> = self
                .groups
                .iter()
                .map(|(value, g)| {
                    let messages: u64 = g.verdicts.iter().sum();
                    let flagged: u64 =
                        Verdict::ALL.iter().filter(|v| **v >= FLAGGED_FROM).map(|v| g.verdicts[*v as usize]).sum();
                    GroupRow {
                        value: value.clone(),
                        messages,
                        verdicts: by_verdict(&g.verdicts),
                        flagged,
                        share_flagged: if messages == 0 { 0.0 } else { flagged as f64 / messages as f64 },
                    }
                })
                .collect();
            rows.sort_by(|a, b| b.messages.cmp(&a.messages).then_with(|| a.value.cmp(&b.value)));
            Groups { field, rows, capped: self.capped }
        });
        let phrases = Category::ALL
            .iter()
            .map(|&c| {
                let s = &self.phrases[c.index()];
                let phrases = s
                    .top(self.opts.top)
                    .into_iter()
                    .map(|(phrase, count, error)| PhraseCount { phrase, count, error })
                    .collect();
                (c, PhraseTable { citations: self.citations[c.index()], exact: s.exact(), phrases })
            })
            .collect();
        let mut rules: Vec<(RuleHits, u64)> = self.rules.into_iter().filter(|r| r.0.messages > 0).collect();
        rules.sort_by(|a, b| b.0.messages.cmp(&a.0.messages).then(a.1.cmp(&b.1)));
        let mut most_severe: Vec<Ranked> = self.severe.into_iter().map(|Reverse(r)| r).collect();
        most_severe.sort_by(|a, b| b.cmp(a));
        let evaluation = (self.eval.messages() > 0 || self.gold_problems.count > 0).then(|| {
            let labeled = self.eval.messages() as u64;
            let e = self.eval.finish();
            EvalSummary { labeled, engine: e.engine, baseline: e.baseline, gold_problems: self.gold_problems }
        });
        Summary {
            inputs: self.inputs,
            lexicon_version: self.lexicon_version,
            records: messages + self.bad.count,
            messages,
            verdicts: by_verdict(&self.verdicts),
            flagged,
            bad_lines: self.bad,
            groups,
            phrases,
            rules: rules.into_iter().map(|r| r.0).collect(),
            most_severe: most_severe.into_iter().map(|r| r.item).collect(),
            evaluation,
        }
    }
}

fn by_verdict(counts: &[u64; 5]) -> BTreeMap<Verdict, u64> {
    Verdict::ALL.iter().map(|&v| (v, counts[v as usize])).collect()
}

fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_KEY_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The group values of a message: a string as is, an array once per distinct element, other
/// scalars as JSON, and [`MISSING_GROUP`] when the field is absent, null or an empty array.
fn group_values(m: &Message, field: &str) -> Vec<String> {
    use serde_json::Value;
    let scalar = |v: &Value| match v {
        Value::String(s) => cut(s),
        other => cut(&other.to_string()),
    };
    let mut out: Vec<String> = match m.fields.as_ref().and_then(|f| f.get(field)) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter(|v| !v.is_null()).map(scalar).collect(),
        Some(v) => vec![scalar(v)],
    };
    out.sort();
    out.dedup();
    if out.is_empty() {
        out.push(MISSING_GROUP.to_string());
    }
    out
}

/// The gold labels of a record that has a `verdict` field, read as a corpus record (other
/// fields, such as `platform`, are ignored); `None` when it carries no gold.
fn gold(m: &Message) -> Option<Result<Labeled, String>> {
    let f = m.fields.as_ref()?;
    f.get("verdict")?;
    let mut rec = serde_json::Map::new();
    let id = match f.get("id") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => format!("line {}", m.line),
    };
    rec.insert("id".into(), id.into());
    rec.insert("text".into(), m.text.clone().into());
    for k in ["verdict", "labels", "evidence", "tags"] {
        if let Some(v) = f.get(k) {
            rec.insert(k.into(), v.clone());
        }
    }
    Some(serde_json::from_value(serde_json::Value::Object(rec)).map_err(|e| format!("gold labels unreadable: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{parse_line, InputFormat};

    fn run(lines: &[&str], opts: SummaryOptions) -> Summary {
        let c = Classifier::new();
        let mut agg = Aggregator::new(&c, opts);
        agg.start_input("t.jsonl");
        for (i, l) in lines.iter().enumerate() {
            match parse_line(l.as_bytes(), i + 1, InputFormat::Jsonl, 1 << 16) {
                Ok(m) => agg.add(&m, &c.classify(&m.text)),
                Err(e) => agg.add_error(&e),
            }
        }
        agg.finish()
    }

    #[test]
    fn an_array_field_counts_the_message_once_per_value() {
        let s = run(
            &[r#"{"text":"再不还钱就上门找你,后果自负","tags":["a","b","a"]}"#, r#"{"text":"您好","tags":[]}"#],
            SummaryOptions { group_by: Some("tags".into()), ..Default::default() },
        );
        let g = s.groups.unwrap();
        let find = |v: &str| g.rows.iter().find(|r| r.value == v).unwrap_or_else(|| panic!("no group {v}"));
        assert_eq!((find("a").messages, find("a").flagged), (1, 1));
        assert_eq!(find("b").messages, 1);
        assert_eq!((find(MISSING_GROUP).messages, find(MISSING_GROUP).flagged), (1, 0));
        assert_eq!(g.rows.len(), 3);
    }

    #[test]
    fn groups_past_the_cap_are_merged() {
        let lines: Vec<String> = (0..5).map(|i| format!(r#"{{"text":"您好","p":"p{i}"}}"#)).collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let s = run(&lines, SummaryOptions { group_by: Some("p".into()), max_groups: 2, ..Default::default() });
        let g = s.groups.unwrap();
        assert!(g.capped);
        assert_eq!(g.rows.iter().find(|r| r.value == OTHER_GROUP).unwrap().messages, 3);
    }

    #[test]
    fn the_heap_keeps_the_most_severe_and_the_first_of_equals() {
        let threat = r#"{"text":"再不还钱就上门找你,后果自负"}"#;
        let polite = r#"{"text":"您的借款已逾期3天,请及时还款。"}"#;
        let s = run(&[polite, threat, polite, threat, threat], SummaryOptions { top: 2, ..Default::default() });
        let lines: Vec<usize> = s.most_severe.iter().map(|m| m.line).collect();
        assert_eq!(lines, vec![2, 4]);
        assert!(s.most_severe.iter().all(|m| m.verdict == Verdict::Threat));
    }

    #[test]
    fn bad_gold_is_listed_but_the_message_still_counts() {
        let s = run(&[r#"{"id":"x","text":"您好","verdict":"nonsense","labels":[]}"#], SummaryOptions::default());
        assert_eq!(s.messages, 1);
        let e = s.evaluation.unwrap();
        assert_eq!((e.labeled, e.gold_problems.count), (0, 1));
        assert!(e.gold_problems.first[0].error.contains("unknown variant"), "{}", e.gold_problems.first[0].error);
    }
}
