//! Reads the context around a hit: negation, transcript speakers, quotation.
//!
//! A phrase list alone mistakes "我们不会上门" for a visit and a debtor's "再打我就报警" for a
//! threat; these checks decide which hits count as the collector's own words.

use crate::lexicon::ContextWords;
use crate::normalize::Normalized;
use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    Negator,
    NonNegator,
    Condition,
}

/// A negation-relevant word found in the normalized text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    start: usize,
    end: usize,
    word: Word,
}

/// A transcript turn: where it starts in the input, and whose it is.
#[derive(Debug, Clone)]
pub(crate) struct Turn {
    pub byte_start: usize,
    pub collector: bool,
    pub label: String,
}

/// The context words, compiled once per classifier.
pub(crate) struct Context {
    words: AhoCorasick,
    kinds: Vec<Word>,
    consequences: AhoCorasick,
    window: usize,
    speaker: Option<Regex>,
    collector_labels: Vec<String>,
    quote_pairs: Vec<(String, String)>,
}

impl Context {
    pub fn new(w: &ContextWords) -> Context {
        let mut pats = Vec::new();
        let mut kinds = Vec::new();
        for (list, kind) in [(&w.negators, Word::Negator), (&w.non_negators, Word::NonNegator), (&w.conditions, Word::Condition)] {
            for p in list {
                pats.push(crate::normalize(p).text);
                kinds.push(kind);
            }
        }
        // Leftmost-longest: "不还" (a condition) and "不得不" win over the bare negator "不".
        let words = AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&pats).expect("context words");
        let cons: Vec<String> = w.consequence_markers.iter().map(|p| crate::normalize(p).text).collect();
        let consequences = AhoCorasick::new(&cons).expect("consequence markers");
        let mut labels: Vec<&String> = w.collector_speakers.iter().chain(&w.other_speakers).collect();
        labels.sort_by_key(|l| std::cmp::Reverse(l.chars().count()));
        labels.dedup();
        let speaker = (!labels.is_empty()).then(|| {
            let alt = labels.iter().map(|l| regex::escape(l)).collect::<Vec<_>>().join("|");
            Regex::new(&format!(
                r"(?m)(?:^|[\s。！？!?；;])[ \t\u{{3000}}]*[【\[]?({alt})[】\]]?[ \t\u{{3000}}]*(?:[0-9A-Za-z]{{0,2}})[ \t\u{{3000}}]*[:：]"
            ))
            .expect("speaker regex")
        });
        Context {
            words,
            kinds,
            consequences,
            window: if w.negation_window == 0 { 6 } else { w.negation_window },
            speaker,
            collector_labels: w.collector_speakers.clone(),
            quote_pairs: w.quote_pairs.clone(),
        }
    }

    /// Negators, non-negators and conditions in the normalized text.
    pub fn marks(&self, text: &str, out: &mut Vec<Mark>) {
        out.clear();
        out.extend(self.words.find_iter(text).map(|m| Mark { start: m.start(), end: m.end(), word: self.kinds[m.pattern().as_usize()] }));
    }

    /// True when a negator in the same clause, close before the hit, negates it.
    ///
    /// The nearest relevant word decides: a condition on the debtor ("不还") or a look-alike
    /// ("不排除") means the phrase is asserted; so does a consequence marker ("就", "否则")
    /// between the negator and the phrase.
    pub fn negated(&self, norm: &Normalized, marks: &[Mark], hit_start: usize) -> bool {
        let clause = norm.clause_start(hit_start);
        let Some(m) = marks.iter().rev().find(|m| m.end <= hit_start && m.start >= clause) else {
            return false;
        };
        if m.word != Word::Negator {
            return false;
        }
        let gap = &norm.text[m.end..hit_start];
        gap.chars().count() <= self.window && self.consequences.find(gap).is_none()
    }

    /// The turns of a transcript, in order; empty when the text has no speaker labels.
    pub fn turns(&self, input: &str) -> Vec<Turn> {
        let Some(re) = &self.speaker else { return Vec::new() };
        re.captures_iter(input)
            .map(|c| {
                let g = c.get(1).expect("label group");
                let label = g.as_str().to_string();
                Turn { byte_start: g.start(), collector: self.collector_labels.contains(&label), label }
            })
            .collect()
    }

    /// Byte ranges of the input inside quotation marks.
    pub fn quoted(&self, input: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (open, close) in &self.quote_pairs {
            let mut from = 0;
            while let Some(i) = input[from..].find(open.as_str()) {
                let s = from + i + open.len();
                let Some(j) = input[s..].find(close.as_str()) else { break };
                out.push((s, s + j));
                from = s + j + close.len();
            }
        }
        out
    }
}

/// The turn holding an input byte, if the text is a transcript.
pub(crate) fn turn_at(turns: &[Turn], byte: usize) -> Option<&Turn> {
    turns.iter().rev().find(|t| t.byte_start <= byte)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize;

    fn ctx() -> Context {
        Context::new(&crate::Lexicon::embedded().context)
    }

    fn negated_at(text: &str, phrase: &str) -> bool {
        let c = ctx();
        let n = normalize(text);
        let mut marks = Vec::new();
        c.marks(&n.text, &mut marks);
        c.negated(&n, &marks, n.text.find(phrase).unwrap())
    }

    #[test]
    fn negator_before_phrase_negates() {
        assert!(negated_at("我们不会上门打扰您", "上门"));
        assert!(negated_at("我們絕不會上門", "上门"));
    }

    #[test]
    fn condition_on_the_debtor_is_not_negation() {
        assert!(!negated_at("不还钱就上门找你", "上门"));
        assert!(!negated_at("再不处理明天上门", "上门"));
    }

    #[test]
    fn negation_stops_at_the_clause() {
        assert!(!negated_at("我们不会打电话,明天上门", "上门"));
    }

    #[test]
    fn transcript_turns_are_found() {
        let c = ctx();
        let t = c.turns("催收员：你好\n客户：再打我就报警");
        assert_eq!(t.len(), 2);
        assert!(t[0].collector && !t[1].collector);
    }
}
