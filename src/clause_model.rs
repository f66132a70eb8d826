//! The clause model: a linear scorer over the character n-grams of each clause, learned from the
//! gold evidence of the train corpus.
//!
//! Phrase rules cite the words they list and nothing else. A threat says "兄弟们已经在你小区
//! 楼下了" in words no list holds, and a message that threatens twice is cited once. The clause
//! model reads every clause of a message the rules already found to be collection and scores it
//! per category from the 1-, 2- and 3-character sequences it holds (after [`normalize`], so
//! Traditional, full-width and spaced-out text read alike). A clause scoring above `cite` is cited
//! for a category the rules found; one above `label` adds its category even when no rule did.
//! It never turns a message the rules read as `none` into anything else, so it cannot raise a
//! false alarm on ordinary traffic, and it costs nothing there.
//!
//! The weights are data (`lexicons/clause_model.tsv`), produced by [`ClauseModel::train`] from
//! `corpus/train.jsonl` (`cuishou lexicon train-model`), and a test checks the embedded file is
//! what training gives.
//!
//! [`normalize`]: crate::normalize()

use crate::error::{Diagnostic, Error};
use crate::eval::Labeled;
use crate::{Category, Normalized};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

/// The embedded model, trained on `corpus/train.jsonl`.
const EMBEDDED: &str = include_str!("../lexicons/clause_model.tsv");
const EMBEDDED_PATH: &str = "<embedded>/clause_model.tsv";

/// Per-category linear scores (log-odds) of a clause's character n-grams.
///
/// ```
/// let model = cuishou::ClauseModel::embedded();
/// let threat = cuishou::Category::Threat.index();
/// let menace = model.score("兄弟们已经在你家楼下等着了")[threat];
/// let plain = model.score("您本月賬單已出")[threat];
/// assert!(menace > model.cite() && plain < model.cite());
/// ```
#[derive(Clone, PartialEq)]
pub struct ClauseModel {
    bias: [f32; 4],
    weights: HashMap<u64, [f32; 4], BuildHasherDefault<KeyHasher>>,
    cite: f32,
    label: f32,
    version: String,
}

impl std::fmt::Debug for ClauseModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClauseModel")
            .field("version", &self.version)
            .field("cite", &self.cite)
            .field("label", &self.label)
            .field("ngrams", &self.weights.len())
            .finish()
    }
}

/// How [`ClauseModel::train`] learns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainOptions {
    /// Passes over the clauses.
    pub epochs: usize,
    /// Learning rate of the stochastic gradient steps.
    pub rate: f64,
    /// N-grams seen in fewer clauses than this are left out (they only memorize).
    pub min_count: usize,
    /// The `cite` threshold written with the weights.
    pub cite: f32,
    /// The `label` threshold written with the weights.
    pub label: f32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions { epochs: 8, rate: 0.2, min_count: 3, cite: 0.0, label: 3.0 }
    }
}

/// What `cite` and `label` must satisfy: a clause that adds its category is also cited, and a
/// label means better than even odds.
fn check_thresholds(cite: f32, label: f32) -> Result<(), String> {
    if cite.is_finite() && label.is_finite() && 0.0 <= cite && cite <= label {
        Ok(())
    } else {
        Err(format!("expected finite thresholds with 0 <= cite <= label, found cite {cite} and label {label}"))
    }
}

impl TrainOptions {
    /// Whether the options can give a usable model.
    ///
    /// ```
    /// let mut o = cuishou::TrainOptions::default();
    /// assert!(o.check().is_ok());
    /// o.label = -1.0;
    /// assert!(o.check().is_err());
    /// ```
    pub fn check(&self) -> Result<(), String> {
        if !(self.rate.is_finite() && self.rate > 0.0 && self.rate <= 10.0) {
            return Err(format!("expected a learning rate in (0, 10], found {}", self.rate));
        }
        check_thresholds(self.cite, self.label)
    }
}

static MODEL: LazyLock<ClauseModel> =
    LazyLock::new(|| ClauseModel::parse(EMBEDDED_PATH, EMBEDDED).expect("the embedded clause model parses (tested)"));

impl ClauseModel {
    /// The model embedded in the binary, trained on `corpus/train.jsonl`.
    ///
    /// ```
    /// let m = cuishou::ClauseModel::embedded();
    /// assert!(0.0 <= m.cite() && m.cite() <= m.label());
    /// ```
    pub fn embedded() -> &'static ClauseModel {
        &MODEL
    }

    /// The text of the embedded model file.
    ///
    /// ```
    /// assert!(cuishou::ClauseModel::embedded_text().contains("\nlabel\t"));
    /// ```
    pub fn embedded_text() -> &'static str {
        EMBEDDED
    }

    /// A clause scoring above this (log-odds) is cited for a category the rules found.
    pub fn cite(&self) -> f32 {
        self.cite
    }

    /// A clause scoring above this (log-odds) adds its category.
    pub fn label(&self) -> f32 {
        self.label
    }

    /// A short hash of the model file, to tell models apart in reports and metrics.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Reads a model file: `cite`, `label` and `bias` lines, then one n-gram and its four
    /// weights (polite, pressure, threat, disclosure) per line, tab-separated; `#` lines are
    /// comments.
    ///
    /// ```
    /// let m = cuishou::ClauseModel::parse("m.tsv", "cite\t1\nlabel\t3\nbias\t0\t0\t-1\t0\n上门\t0\t0\t2.5\t0\n").unwrap();
    /// assert!(m.score("明天上*門")[cuishou::Category::Threat.index()] > 1.0);
    /// let e = cuishou::ClauseModel::parse("m.tsv", "cite\t1\nlabel\t3\nbias\t0\t0\t0\n").unwrap_err();
    /// assert!(e.to_string().contains("m.tsv:3:1"));
    /// ```
    pub fn parse(path: &str, text: &str) -> Result<ClauseModel, Error> {
        let mut m = ClauseModel {
            bias: [0.0; 4],
            weights: HashMap::default(),
            cite: f32::INFINITY,
            label: f32::INFINITY,
            version: version_of(text),
        };
        let mut problems = Vec::new();
        let mut seen = [false; 3];
        for (i, line) in text.lines().enumerate() {
            let bad =
                |message: String| Diagnostic { path: path.to_string(), line: i + 1, column: 1, rule: None, message };
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split('\t');
            let key = fields.next().unwrap_or_default();
            let values: Result<Vec<f32>, _> = fields.map(str::parse::<f32>).collect();
            let slot = ["cite", "label", "bias"].iter().position(|k| *k == key);
            if let Some(i) = slot {
                if seen[i] {
                    problems.push(bad(format!("{key:?}: given twice")));
                }
                seen[i] = true;
            }
            let values = match values {
                Ok(v) if v.iter().all(|x| x.is_finite()) => v,
                _ => {
                    problems.push(bad(format!("{key:?}: expected finite numbers after the first tab")));
                    continue;
                }
            };
            let want = if matches!(key, "cite" | "label") { 1 } else { 4 };
            if values.len() != want {
                problems.push(bad(format!("{key:?}: expected {want} tab-separated number(s), found {}", values.len())));
                continue;
            }
            match key {
                "cite" => m.cite = values[0],
                "label" => m.label = values[0],
                "bias" => m.bias = [values[0], values[1], values[2], values[3]],
                // A key that normalizing would change can never be looked up (marks between
                // digits, "1,280" or "18:00", stay in normalized text).
                _ => match pack(key).filter(|_| key.chars().all(|c| c.is_ascii_punctuation() || is_folded(c))) {
                    Some(k) => {
                        if m.weights.insert(k, [values[0], values[1], values[2], values[3]]).is_some() {
                            problems.push(bad(format!("{key:?}: given twice")));
                        }
                    }
                    None => problems.push(bad(format!(
                        "{key:?}: expected an n-gram of 1 to 3 characters of normalized text (Simplified, lower case, no punctuation)"
                    ))),
                },
            }
        }
        if seen[0] && seen[1] && m.cite.is_finite() && m.label.is_finite() {
            if let Err(e) = check_thresholds(m.cite, m.label) {
                let line = text.lines().position(|l| l.starts_with("label\t")).map_or(1, |i| i + 1);
                problems.push(Diagnostic { path: path.to_string(), line, column: 1, rule: None, message: e });
            }
        }
        for (name, ok) in ["cite", "label", "bias"].iter().zip(seen) {
            if !ok {
                let line = text.lines().count().max(1);
                problems.push(Diagnostic {
                    path: path.to_string(),
                    line,
                    column: 1,
                    rule: None,
                    message: format!("no {name:?} line"),
                });
            }
        }
        if problems.is_empty() {
            Ok(m)
        } else {
            Err(Error::Lexicon(problems))
        }
    }

    /// Per-category scores (log-odds, in [`Category::index`] order) of one clause, normalized
    /// first.
    pub fn score(&self, clause: &str) -> [f32; 4] {
        let mut keys = Vec::new();
        self.score_with(&crate::normalize(clause).text, &mut keys)
    }

    /// Scores a clause of already normalized text, with a reusable key buffer.
    pub(crate) fn score_with(&self, clause: &str, keys: &mut Vec<u64>) -> [f32; 4] {
        ngram_keys(clause, keys);
        distinct(keys);
        let mut z = self.bias;
        for k in keys.iter() {
            if let Some(w) = self.weights.get(k) {
                for (z, w) in z.iter_mut().zip(w) {
                    *z += w;
                }
            }
        }
        z
    }

    /// Learns weights from labeled messages: each clause is a positive example for every
    /// category whose gold evidence overlaps it, and a negative one for the others. Logistic
    /// regression by stochastic gradient steps in a fixed order, so the same corpus always
    /// gives the same file.
    ///
    /// ```
    /// let corpus: Vec<cuishou::eval::Labeled> = [
    ///     r#"{"id":"1","text":"明天上门找你","verdict":"threat","labels":["threat"],"evidence":[{"label":"threat","text":"明天上门找你"}]}"#,
    ///     r#"{"id":"2","text":"明天上门维修","verdict":"none","labels":[],"evidence":[]}"#,
    /// ].iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    /// let opts = cuishou::TrainOptions { min_count: 1, ..Default::default() };
    /// let m = cuishou::ClauseModel::train(&corpus, opts).unwrap();
    /// let t = cuishou::Category::Threat.index();
    /// assert!(m.score("找你")[t] > m.score("维修")[t]);
    /// assert_eq!(cuishou::ClauseModel::parse("m.tsv", &m.to_tsv()).unwrap(), m);
    /// ```
    pub fn train(corpus: &[Labeled], opts: TrainOptions) -> Result<ClauseModel, Error> {
        opts.check().map_err(Error::Options)?;
        let examples: Vec<(Vec<u64>, [bool; 4])> = corpus.iter().flat_map(clause_examples).collect();
        let mut counts: HashMap<u64, usize> = HashMap::new();
        for (keys, _) in &examples {
            for k in keys {
                *counts.entry(*k).or_default() += 1;
            }
        }
        let mut vocab: Vec<u64> = counts.into_iter().filter(|&(_, n)| n >= opts.min_count).map(|(k, _)| k).collect();
        vocab.sort_unstable();
        let index: HashMap<u64, usize> = vocab.iter().enumerate().map(|(i, &k)| (k, i)).collect();
        let examples: Vec<(Vec<usize>, [bool; 4])> = examples
            .into_iter()
            .map(|(keys, y)| (keys.iter().filter_map(|k| index.get(k).copied()).collect::<Vec<usize>>(), y))
            .filter(|(x, _)| !x.is_empty())
            .collect();
        let mut w = vec![[0f64; 4]; vocab.len()];
        let mut bias = [0f64; 4];
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..opts.epochs {
            for i in (1..order.len()).rev() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                order.swap(i, (rng % (i as u64 + 1)) as usize);
            }
            for &i in &order {
                let (x, y) = &examples[i];
                // Long clauses hold many n-grams: dividing by the root of their count keeps one
                // step from moving a long clause's score more than a short one's.
                let scale = opts.rate / (x.len() as f64).sqrt();
                for c in 0..4 {
                    let z: f64 = bias[c] + x.iter().map(|&f| w[f][c]).sum::<f64>();
                    let err = if y[c] { 1.0 } else { 0.0 } - sigmoid(z);
                    for &f in x {
                        w[f][c] += scale * err;
                    }
                    // The bias sees every clause; a tenth of the rate keeps it from swinging.
                    bias[c] += opts.rate * err * 0.1;
                }
            }
        }
        // Three decimals: the file diffs readably when train changes, and the last bits of
        // `exp` (which differ between platforms) do not reach it.
        let round = |x: f64| ((x * 1000.0).round() / 1000.0) as f32;
        let mut weights = HashMap::default();
        for (k, w) in vocab.iter().zip(&w) {
            let w = w.map(round);
            if w.iter().any(|&x| x != 0.0) {
                weights.insert(*k, w);
            }
        }
        let mut m =
            ClauseModel { bias: bias.map(round), weights, cite: opts.cite, label: opts.label, version: String::new() };
        m.version = version_of(&m.to_tsv());
        Ok(m)
    }

    /// The model as a file [`parse`](Self::parse) reads, n-grams in a fixed order.
    pub fn to_tsv(&self) -> String {
        let mut out = String::from(
            "# cuishou clause model: per-category weights of character n-grams of a normalized clause\n\
             # (polite_reminder, pressure, threat, illegal_disclosure), learned from corpus/train.jsonl by\n\
             # `cuishou lexicon train-model corpus/train.jsonl`. Do not edit by hand: retrain.\n",
        );
        let num = |x: f32| format!("{x}");
        out.push_str(&format!("cite\t{}\nlabel\t{}\n", num(self.cite), num(self.label)));
        out.push_str(&format!("bias\t{}\n", self.bias.map(num).join("\t")));
        let mut keys: Vec<&u64> = self.weights.keys().collect();
        keys.sort_unstable();
        for k in keys {
            out.push_str(&format!("{}\t{}\n", unpack(*k), self.weights[k].map(num).join("\t")));
        }
        out
    }
}

/// Whether normalizing leaves this character as it is.
fn is_folded(c: char) -> bool {
    let mut buf = [0u8; 4];
    crate::normalize(c.encode_utf8(&mut buf)).text.chars().eq([c])
}

/// The logistic function, clamped so that `exp` cannot overflow.
pub(crate) fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z.clamp(-30.0, 30.0)).exp())
}

/// FNV-1a of the model file's text, as 8 hex digits.
fn version_of(text: &str) -> String {
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    format!("{:08x}", (h >> 32) ^ (h & 0xffff_ffff))
}

/// The clauses of a normalized text: normalized byte ranges between clause breaks, empty ones
/// left out.
pub(crate) fn clauses(norm: &Normalized) -> impl Iterator<Item = (usize, usize)> + '_ {
    let ends = norm.breaks().chain(std::iter::once(norm.text.len()));
    let mut start = 0;
    ends.filter_map(move |end| {
        let s = std::mem::replace(&mut start, end);
        (s < end).then_some((s, end))
    })
}

/// Each clause of a labeled message as (n-gram keys, which categories' gold evidence overlaps it).
fn clause_examples(r: &Labeled) -> Vec<(Vec<u64>, [bool; 4])> {
    let norm = crate::normalize(&r.text);
    let gold: Vec<(Category, usize, usize)> =
        r.evidence.iter().filter_map(|e| r.text.find(&e.text).map(|s| (e.label, s, s + e.text.len()))).collect();
    clauses(&norm)
        .map(|(s, e)| {
            let (is, ie) = norm.to_input(s, e);
            let mut y = [false; 4];
            for &(c, gs, ge) in &gold {
                if gs < ie && is < ge {
                    y[c.index()] = true;
                }
            }
            let mut keys = Vec::new();
            ngrams(&norm.text[s..e], &mut keys);
            (keys, y)
        })
        .collect()
}

/// The distinct 1-, 2- and 3-character n-grams of `clause`, packed, sorted.
fn ngrams(clause: &str, keys: &mut Vec<u64>) {
    ngram_keys(clause, keys);
    keys.sort_unstable();
    keys.dedup();
}

/// The 1-, 2- and 3-character n-grams of `clause`, packed, in order, repeats and all.
fn ngram_keys(clause: &str, keys: &mut Vec<u64>) {
    keys.clear();
    let (mut a, mut b) = (0u64, 0u64);
    for ch in clause.chars() {
        if ch.is_whitespace() {
            (a, b) = (0, 0);
            continue;
        }
        // Amounts, dates and account numbers differ in every message; their shape does not.
        let ch = if ch.is_ascii_digit() { '0' } else { ch };
        let c = ch as u64 + 1;
        keys.push(c);
        if b != 0 {
            keys.push(b << 21 | c);
            if a != 0 {
                keys.push(a << 42 | b << 21 | c);
            }
        }
        (a, b) = (b, c);
    }
}

/// Drops the repeats from `keys` (none of which is 0), in any order. Scoring needs each n-gram
/// once, not in order: sorting a clause's keys to drop them was a third of the clause model's
/// instructions, and a small open-addressed table on the stack does it in one pass.
fn distinct(keys: &mut Vec<u64>) {
    const SLOTS: usize = 256;
    // Past three quarters full the probes grow long: sort instead (a clause of 80+ characters).
    if keys.len() > SLOTS * 3 / 4 {
        keys.sort_unstable();
        keys.dedup();
        return;
    }
    let mut seen = [0u64; SLOTS];
    let mut kept = 0;
    for i in 0..keys.len() {
        let k = keys[i];
        let mut slot = (k.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize;
        loop {
            if seen[slot] == k {
                break;
            }
            if seen[slot] == 0 {
                seen[slot] = k;
                keys[kept] = k;
                kept += 1;
                break;
            }
            slot = (slot + 1) % SLOTS;
        }
    }
    keys.truncate(kept);
}

/// Packs an n-gram of 1 to 3 characters the way [`ngrams`] does.
fn pack(s: &str) -> Option<u64> {
    let mut keys = Vec::new();
    let n = s.chars().count();
    if !(1..=3).contains(&n) || s.chars().any(char::is_whitespace) {
        return None;
    }
    ngrams(s, &mut keys);
    keys.into_iter().max()
}

fn unpack(k: u64) -> String {
    [k >> 42, (k >> 21) & 0x1f_ffff, k & 0x1f_ffff]
        .into_iter()
        .filter(|&c| c != 0)
        .filter_map(|c| char::from_u32(c as u32 - 1))
        .collect()
}

/// The keys are packed characters: a multiply spreads them, and the rotation brings the well-mixed
/// high bits down to where the table picks its bucket.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, k: u64) {
        self.0 = k.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(26);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ngrams_pack_and_unpack() {
        let mut keys = Vec::new();
        ngrams("上门找", &mut keys);
        let mut grams: Vec<String> = keys.iter().map(|&k| unpack(k)).collect();
        grams.sort();
        assert_eq!(grams, ["上", "上门", "上门找", "找", "门", "门找"]);
        assert_eq!(pack("上门"), Some(keys.iter().copied().find(|&k| unpack(k) == "上门").unwrap()));
        assert_eq!(pack("上门找你"), None);
    }

    #[test]
    fn distinct_keeps_each_key_once_whatever_the_clause_length() {
        for text in ["你你你你还还钱", "上门找你上门找你上门找你", &"欠款逾期请还款".repeat(20)]
        {
            let (mut sorted, mut fast) = (Vec::new(), Vec::new());
            ngrams(text, &mut sorted);
            ngram_keys(text, &mut fast);
            distinct(&mut fast);
            fast.sort_unstable();
            assert_eq!(fast, sorted, "{text}");
        }
    }

    #[test]
    fn amounts_and_dates_differ_only_in_their_digits_shape() {
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        ngrams("应还1,280元", &mut a);
        ngrams("应还9,036元", &mut b);
        ngrams("应还12,80元", &mut c);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn tsv_round_trips() {
        let m = ClauseModel::embedded();
        assert_eq!(&ClauseModel::parse("x", &m.to_tsv()).unwrap(), m);
    }

    #[test]
    fn broken_lines_are_located() {
        let e =
            ClauseModel::parse("m.tsv", "cite\t1\nlabel\tx\nbias\t0\t0\t0\t0\n上门找你\t1\t1\t1\t1\n門\t1\t1\t1\t1\n")
                .unwrap_err();
        let s = e.to_string();
        assert!(s.contains("m.tsv:2:1") && s.contains("expected finite numbers"), "{s}");
        assert!(s.contains("m.tsv:4:1") && s.contains("1 to 3 characters"), "{s}");
        assert!(s.contains("m.tsv:5:1") && s.contains("normalized"), "{s}");
        assert!(!s.contains("no \"label\" line"), "a malformed line is not also missing: {s}");
        let e = ClauseModel::parse("m.tsv", "cite\t2\nlabel\t1\nbias\t0\t0\t0\t0\n").unwrap_err();
        assert!(e.to_string().contains("m.tsv:2:1") && e.to_string().contains("cite <= label"), "{e}");
        let e = ClauseModel::parse("m.tsv", "cite\t0\nlabel\t1\nbias\t0\t0\t0\t0\n门\t1\t1\t1\t1\n门\t0\t1\t1\t1\n")
            .unwrap_err();
        assert!(e.to_string().contains("m.tsv:5:1") && e.to_string().contains("given twice"), "{e}");
        assert!(ClauseModel::parse("m.tsv", "cite\t0\nbias\t0\t0\t0\t0\n")
            .unwrap_err()
            .to_string()
            .contains("no \"label\" line"));
    }
}
