//! Finds every rule's phrases and patterns in normalized text: one automaton, one regex set.

use crate::lexicon::Rule;
use aho_corasick::{AhoCorasick, MatchKind};
use regex::{Regex, RegexSet, RegexSetBuilder};
use std::collections::HashMap;

thread_local! {
    /// The gated patterns due on the current message, reused so the hot path does not allocate.
    static DUE: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A rule matched at a normalized byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    /// Index into the rule list.
    pub rule: usize,
    /// Normalized byte offsets.
    pub start: usize,
    pub end: usize,
}

/// Phrases and patterns of a rule list, compiled once.
pub(crate) struct Matcher {
    /// All phrases and variants, normalized, deduplicated.
    phrases: AhoCorasick,
    /// For each automaton pattern, the rules that own it.
    owners: Vec<Vec<usize>>,
    /// Patterns every match of which starts (or ends) with one of a few literals: they run
    /// only on text holding one of those literals, found by one automaton over all of them.
    literals: AhoCorasick,
    /// For each literal, the patterns it gates.
    literal_owner: Vec<Vec<usize>>,
    /// Patterns without such literals, checked together as a set over every text.
    ungated: Vec<usize>,
    set: RegexSet,
    regexes: Vec<Regex>,
    regex_owner: Vec<usize>,
}

/// Literals one of which every match of `pattern` must start with (or, failing that, end with),
/// if there are few enough to be a useful gate (none empty, none a single byte). Either way a
/// text holding none of them cannot match.
fn gate_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::ParserBuilder::new().build().parse(pattern).ok()?;
    [ExtractKind::Prefix, ExtractKind::Suffix].into_iter().find_map(|kind| {
        let mut ex = Extractor::new();
        // Alternations multiply ("(你|您)的?(儿子|女儿|…)"): allow large literal sets, since one
        // automaton over a few thousand literals is still far cheaper than running the regex.
        ex.kind(kind).limit_total(300).limit_class(20);
        let seq = ex.extract(&hir);
        let lits = seq.literals()?;
        if lits.is_empty() || lits.len() > 300 || lits.iter().any(|l| l.as_bytes().len() < 2) {
            return None;
        }
        Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
    })
}

impl Matcher {
    pub fn new(rules: &[Rule]) -> Matcher {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut phrases = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for p in r.phrases.iter().chain(&r.variants) {
                let n = crate::normalize(p).text;
                let id = *index.entry(n.clone()).or_insert_with(|| {
                    phrases.push(n);
                    owners.push(Vec::new());
                    owners.len() - 1
                });
                if !owners[id].contains(&i) {
                    owners[id].push(i);
                }
            }
        }
        // Standard semantics with overlapping search: rules of different categories may share
        // text ("逾期" inside "逾期不还就上门"), and each must see its own match.
        let phrases = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&phrases)
            .expect("normalized phrases build an automaton");
        let mut pats = Vec::new();
        let mut regex_owner = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for p in &r.patterns {
                pats.push(p.clone());
                regex_owner.push(i);
            }
        }
        // With dozens of Unicode patterns the lazy DFA overflows the default 2 MB cache on
        // nearly every message and falls back to the PikeVM, which made the set 95% of the
        // time per message; a larger cache keeps it on the DFA. Same matches, either engine.
        let mut lit_index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut lits: Vec<Vec<u8>> = Vec::new();
        let mut literal_owner: Vec<Vec<usize>> = Vec::new();
        let mut ungated = Vec::new();
        for (i, p) in pats.iter().enumerate() {
            match gate_literals(p) {
                Some(ls) => {
                    for l in ls {
                        let id = *lit_index.entry(l.clone()).or_insert_with(|| {
                            lits.push(l);
                            literal_owner.push(Vec::new());
                            literal_owner.len() - 1
                        });
                        if !literal_owner[id].contains(&i) {
                            literal_owner[id].push(i);
                        }
                    }
                }
                None => ungated.push(i),
            }
        }
        let literals = AhoCorasick::builder().match_kind(MatchKind::Standard).build(&lits).expect("literal automaton");
        let ungated_pats: Vec<&String> = ungated.iter().map(|&i| &pats[i]).collect();
        let set = RegexSetBuilder::new(ungated_pats).dfa_size_limit(64 << 20).build().expect("patterns were validated");
        let regexes = pats.iter().map(|p| Regex::new(p).expect("patterns were validated")).collect();
        Matcher { phrases, owners, literals, literal_owner, ungated, set, regexes, regex_owner }
    }

    /// Appends every hit in `text` to `out`, sorted by start then longest first, one per
    /// rule and range.
    pub fn find(&self, text: &str, out: &mut Vec<Hit>) {
        out.clear();
        // Most traffic holds no phrase at all: a plain search (which can use the automaton's
        // SIMD prefilter) proves that far faster than the byte-by-byte overlapping walk, and any
        // text with an overlapping match also has a plain one.
        if self.phrases.find(text).is_some() {
            for m in self.phrases.find_overlapping_iter(text) {
                for &rule in &self.owners[m.pattern().as_usize()] {
                    out.push(Hit { rule, start: m.start(), end: m.end() });
                }
            }
        }
        // `is_match` first: `matches` allocates its result set, and most messages match no
        // pattern, so the common case stays allocation-free.
        let run = |i: usize, out: &mut Vec<Hit>| {
            for m in self.regexes[i].find_iter(text) {
                if m.start() < m.end() {
                    out.push(Hit { rule: self.regex_owner[i], start: m.start(), end: m.end() });
                }
            }
        };
        if !self.ungated.is_empty() && self.set.is_match(text) {
            for j in self.set.matches(text).iter() {
                run(self.ungated[j], out);
            }
        }
        // A gated pattern can only match where one of its gate literals occurs; most
        // messages hold none, so most patterns never run.
        if self.literals.patterns_len() > 0 && self.literals.find(text).is_some() {
            DUE.with(|due| {
                let mut due = due.borrow_mut();
                due.clear();
                for m in self.literals.find_overlapping_iter(text) {
                    for &i in &self.literal_owner[m.pattern().as_usize()] {
                        if !due.contains(&i) {
                            due.push(i);
                        }
                    }
                }
                for &i in due.iter() {
                    run(i, out);
                }
            });
        }
        out.sort_unstable_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)).then(a.rule.cmp(&b.rule)));
        // Within one rule, a match inside another of its matches adds nothing. Compacted in
        // place so the caller's buffer is reused rather than replaced on every message.
        let mut kept = 0;
        for i in 0..out.len() {
            let h = out[i];
            let covered = out[..kept].iter().any(|k| k.rule == h.rule && k.start <= h.start && k.end >= h.end);
            if !covered {
                out[kept] = h;
                kept += 1;
            }
        }
        out.truncate(kept);
    }
}
