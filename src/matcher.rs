//! Finds every rule's phrases and patterns in normalized text with one Aho-Corasick pass.
//!
//! Phrases are patterns of the automaton. Regex patterns are not run over the whole text: each
//! is gated on a few literals one of which every match must contain (its rarest prefix, suffix
//! or inner alternation), and those literals are patterns of the same automaton. A pattern runs
//! only on a window around an occurrence of its gate, as wide as its longest possible match, so
//! most messages run no regex at all and the rest run each due regex over a few dozen bytes.

use crate::lexicon::Rule;
use aho_corasick::{AhoCorasick, MatchKind};
use regex_automata::meta::{Cache, Regex};
use regex_automata::Input;
use regex_syntax::hir::{Hir, HirKind};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The lazy DFA cache cap per pattern and thread; only the states a pattern reaches are built.
const HYBRID_CACHE: usize = 16 << 20;

/// Gate literal sets larger than this are not worth an automaton entry each.
const MAX_GATE: usize = 120;

/// How many further required literal sets a pattern's windows are checked against, and how
/// many literals such a set may hold: each is looked for in the window by a substring search,
/// which for a few short literals costs a fraction of running the regex.
const MAX_ALSO: usize = 2;
const MAX_ALSO_LITERALS: usize = 4;

/// A rule matched at a normalized byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    /// Index into the rule list.
    pub rule: usize,
    /// Normalized byte offsets.
    pub start: usize,
    pub end: usize,
}

/// One regex pattern of a rule, compiled on first use: most patterns never run on gateway
/// traffic, and compiling all of them up front was most of the classifier's build time.
struct Pattern {
    /// The pattern with its repetitions bounded (see [`bounded`]).
    hir: Hir,
    rule: usize,
    /// The longest match in bytes.
    max_len: usize,
    side: Side,
    /// Further literal sets (besides the gate) every match holds one literal of: a window runs
    /// only when each set has a literal inside it.
    also: Vec<Vec<memchr::memmem::Finder<'static>>>,
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    fn regex(&self) -> Option<&Regex> {
        // Lexicon validation compiled the pattern once; only a size limit could fail here, and
        // a pattern that cannot compile matches nothing rather than taking the process down.
        self.compiled.get_or_init(|| compile(&self.hir).ok()).as_ref()
    }

    /// The part of `text` where a match holding the gate occurrence `s..e` can lie.
    fn window(&self, text: &str, s: usize, e: usize) -> (usize, usize) {
        let l = self.max_len;
        let (a, b) = match self.side {
            Side::Prefix => (s, s + l),
            Side::Suffix => (e.saturating_sub(l), e),
            Side::Inner => (e.saturating_sub(l), s + l),
        };
        (floor_char(text, a), ceil_char(text, b.min(text.len())))
    }
}

/// What an automaton pattern stands for.
#[derive(Debug, Clone, Copy)]
enum Entry {
    /// A phrase: the index of its owner list in `phrase_owners`.
    Phrase(usize),
    /// A gate literal: the index of its pattern list in `gate_owners`.
    Gate(usize),
}

/// Phrases and patterns of a rule list, compiled once.
pub(crate) struct Matcher {
    /// Distinguishes matchers in the per-thread regex caches.
    id: u64,
    /// Every phrase and variant, normalized and deduplicated, then every gate literal.
    automaton: AhoCorasick,
    entries: Vec<Entry>,
    phrase_owners: Vec<Vec<usize>>,
    gate_owners: Vec<Vec<usize>>,
    patterns: Vec<Pattern>,
    /// Patterns with no usable gate: they run over every text.
    ungated: Vec<usize>,
}

/// Per-thread search state: regex caches for one matcher and the reused windows list.
#[derive(Default)]
struct ThreadState {
    matcher: u64,
    caches: Vec<Option<Cache>>,
    /// (pattern, window start, window end) due on the current message.
    windows: Vec<(usize, usize, usize)>,
}

thread_local! {
    static STATE: RefCell<ThreadState> = RefCell::new(ThreadState::default());
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Compiles a bounded pattern the way the matcher runs it.
/// The error is the builder's message: `lexicon check` reports it, the matcher only needs to
/// know the pattern failed.
fn compile(hir: &Hir) -> Result<Regex, String> {
    // The lazy DFA's default 2 MB cache fills on Unicode classes like `[\p{Han}&&[^不没]]`
    // and is cleared and rebuilt over and over; a larger cap lets it settle.
    let config = regex_automata::meta::Config::new().hybrid_cache_capacity(HYBRID_CACHE);
    regex_automata::meta::Builder::new().configure(config).build_from_hir(hir).map_err(|e| e.to_string())
}

/// Parses and compiles a lexicon pattern exactly as the matcher will on first use, for
/// `lexicon check`: loading a lexicon only parses its patterns.
pub(crate) fn check_pattern(source: &str) -> Result<(), String> {
    let hir = regex_syntax::ParserBuilder::new().build().parse(source).map_err(|e| e.to_string())?;
    compile(&bounded(narrow(hir))).map(|_| ())
}

/// Where in every match of a pattern its gate literal stands, which bounds the window a gate
/// occurrence at `s..e` leaves for a match of at most `L` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Every match starts with a gate literal: `s..s+L`.
    Prefix,
    /// Every match ends with one: `e-L..e`.
    Suffix,
    /// Every match holds one somewhere: `e-L..s+L`.
    Inner,
}

/// Literals one of which every match of `hir` contains, and where, or `None`.
///
/// Tries the prefix and suffix sets of the whole pattern and, inside concatenations, the
/// required set of each part, and keeps the rarest: `(你|您)…{0,8}(坐牢|判刑)` is gated on
/// `坐牢|判刑`, not on `你|您`, which nearly every message holds.
fn gate_literals(hir: &Hir) -> Option<(Vec<Vec<u8>>, Side)> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let mut candidates: Vec<(Vec<Vec<u8>>, Side)> = Vec::new();
    for (kind, side) in [(ExtractKind::Prefix, Side::Prefix), (ExtractKind::Suffix, Side::Suffix)] {
        let mut ex = Extractor::new();
        ex.kind(kind).limit_total(MAX_GATE).limit_class(20);
        if let Some(lits) = ex.extract(hir).literals() {
            candidates.push((lits.iter().map(|l| l.as_bytes().to_vec()).collect(), side));
        }
    }
    candidates.extend(required(hir).map(|r| (r, Side::Inner)));
    // On equal rarity the earlier candidate wins: a prefix or suffix gate leaves half the window.
    candidates.into_iter().filter(|(c, _)| usable(c)).rev().max_by_key(|(c, _)| quality(c))
}

/// `hir` with its character classes made cheap to compile without changing what they match in
/// normalized text. Unicode's `\d` spans dozens of scripts, but normalization folds full-width
/// digits to ASCII and no other digits occur in Chinese text, so only ASCII digits are kept.
/// `\p{Han}` is dozens of ranges, many in four-byte UTF-8; a class holding it gets the Han
/// blocks whole instead (gaps of unassigned code points filled, Extensions B-H as planes 2-3),
/// less what the class excludes. Planes 1 and 4-16 hold no Han and no text a message keeps.
/// Compiled, the classes as written made each pattern's automata and caches two to ten times
/// larger, and every pattern and per-thread cache carried that weight.
fn narrow(hir: Hir) -> Hir {
    use regex_syntax::hir::{Class, ClassUnicode};
    struct Sets {
        keep: ClassUnicode,
        han: ClassUnicode,
        hull: ClassUnicode,
    }
    static SETS: OnceLock<Sets> = OnceLock::new();
    let sets = SETS.get_or_init(|| {
        let class = |p: &str| match regex_syntax::parse(p).expect("built-in class parses").into_kind() {
            HirKind::Class(Class::Unicode(c)) => c,
            _ => unreachable!("a bracket class parses to a class"),
        };
        let mut keep = class(r"[\x{0}-\x{FFFF}\x{20000}-\x{3FFFF}]");
        let mut other_digits = class(r"\d");
        other_digits.difference(&class("[0-9]"));
        keep.difference(&other_digits);
        let hull = class(
            r"[\x{2E80}-\x{2FDF}々〇〡-〩〸-〻\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}\x{F900}-\x{FAFF}\x{20000}-\x{3FFFF}]",
        );
        Sets { keep, han: class(r"\p{Han}"), hull }
    });
    // A literal or an alternation of literals holds no class (a constant-time check, where
    // walking each subtree would make the rewrite quadratic).
    if hir.properties().is_alternation_literal() {
        return hir;
    }
    match hir.into_kind() {
        HirKind::Class(Class::Unicode(mut c)) => {
            let mut han_in = c.clone();
            han_in.intersect(&sets.han);
            // Most of Han present: the class was written with \p{Han}.
            let ranges = |c: &ClassUnicode| c.ranges().iter().map(|r| r.len()).sum::<usize>();
            if ranges(&han_in) * 10 >= ranges(&sets.han) * 9 {
                let mut excluded = sets.han.clone();
                excluded.difference(&c);
                let mut add = sets.hull.clone();
                add.difference(&excluded);
                c.union(&add);
            }
            c.intersect(&sets.keep);
            Hir::class(Class::Unicode(c))
        }
        kind => rebuild(kind, narrow),
    }
}

/// Rebuilds a node with `f` applied to each of its children (leaves come back as they were):
/// the shared walk of the HIR rewrites below.
fn rebuild(kind: HirKind, f: fn(Hir) -> Hir) -> Hir {
    match kind {
        HirKind::Repetition(mut r) => {
            r.sub = Box::new(f(*r.sub));
            Hir::repetition(r)
        }
        HirKind::Capture(mut c) => {
            c.sub = Box::new(f(*c.sub));
            Hir::capture(c)
        }
        HirKind::Concat(parts) => Hir::concat(parts.into_iter().map(f).collect()),
        HirKind::Alternation(alts) => Hir::alternation(alts.into_iter().map(f).collect()),
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(l) => Hir::literal(l.0),
        HirKind::Class(c) => Hir::class(c),
        HirKind::Look(l) => Hir::look(l),
    }
}

/// `hir` with every unbounded repetition capped at 32 more than its minimum, so every pattern
/// has a longest match and runs only on windows. No phrase holds a run of 33 digits or a gap of
/// 33 characters, so the cap changes no match a lexicon means.
fn bounded(hir: Hir) -> Hir {
    if hir.properties().maximum_len().is_some() {
        return hir;
    }
    match hir.into_kind() {
        HirKind::Repetition(mut r) if r.max.is_none() => {
            r.max = Some(r.min.saturating_add(32));
            rebuild(HirKind::Repetition(r), bounded)
        }
        kind => rebuild(kind, bounded),
    }
}

/// True when two literal sets hold the same literals.
fn same_set(a: &[Vec<u8>], b: &[Vec<u8>]) -> bool {
    a.len() == b.len() && a.iter().all(|l| b.contains(l))
}

/// A gate set every literal of which is at least two bytes long, and not too many of them.
fn usable(lits: &[Vec<u8>]) -> bool {
    !lits.is_empty() && lits.len() <= MAX_GATE && lits.iter().all(|l| l.len() >= 2)
}

/// Higher is better: the shortest literal's length in characters, up to three (longer ones are
/// all rare in real traffic), then fewer literals (a smaller, faster automaton).
fn quality(lits: &[Vec<u8>]) -> (usize, std::cmp::Reverse<usize>) {
    // Characters are the bytes that do not continue a UTF-8 sequence.
    let chars = |l: &Vec<u8>| l.iter().filter(|&&b| (b as i8) >= -0x40).count();
    (lits.iter().map(chars).min().unwrap_or(0).min(3), std::cmp::Reverse(lits.len()))
}

/// Every usable required literal set of `hir`'s parts (of the whole, when it is not a
/// concatenation): a match holds one literal of each.
fn required_parts(hir: &Hir) -> Vec<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Capture(c) => required_parts(&c.sub),
        HirKind::Concat(parts) => parts.iter().filter_map(required).filter(|c| usable(c)).collect(),
        _ => required(hir).filter(|c| usable(c)).into_iter().collect(),
    }
}

/// A set of literals one of which every match of `hir` contains, found structurally.
fn required(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(l) => Some(vec![l.0.to_vec()]),
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Class(regex_syntax::hir::Class::Unicode(c)) => {
            let n: u32 = c.ranges().iter().map(|r| r.end() as u32 - r.start() as u32 + 1).sum();
            if n as usize > 20 {
                return None;
            }
            let chars = c.ranges().iter().flat_map(|r| r.start()..=r.end());
            Some(chars.map(|ch| ch.to_string().into_bytes()).collect())
        }
        HirKind::Alternation(alts) => {
            let mut all = Vec::new();
            for a in alts {
                all.extend(required(a)?);
                if all.len() > MAX_GATE {
                    return None;
                }
            }
            Some(all)
        }
        HirKind::Concat(parts) => parts.iter().filter_map(required).filter(|c| usable(c)).max_by_key(|c| quality(c)),
        _ => None,
    }
}

impl Matcher {
    pub fn new(rules: &[Rule]) -> Matcher {
        let mut texts: Vec<Vec<u8>> = Vec::new();
        let mut entries = Vec::new();
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut phrase_owners: Vec<Vec<usize>> = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for p in r.phrases.iter().chain(&r.variants) {
                let n = crate::normalize(p).text.into_bytes();
                let id = *index.entry(n.clone()).or_insert_with(|| {
                    texts.push(n);
                    entries.push(Entry::Phrase(phrase_owners.len()));
                    phrase_owners.push(Vec::new());
                    texts.len() - 1
                });
                let Entry::Phrase(o) = entries[id] else { unreachable!("phrases come first") };
                if !phrase_owners[o].contains(&i) {
                    phrase_owners[o].push(i);
                }
            }
        }
        let mut patterns = Vec::new();
        let mut ungated = Vec::new();
        let mut gate_index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut gate_owners: Vec<Vec<usize>> = Vec::new();

        for (i, r) in rules.iter().enumerate() {
            for hir in &r.parsed {
                let hir = bounded(narrow(hir.clone()));
                let max_len = hir.properties().maximum_len().expect("bounded patterns have a longest match");
                let gate = gate_literals(&hir);
                let k = patterns.len();
                let side = gate.as_ref().map_or(Side::Inner, |g| g.1);
                let Some((lits, _)) = gate else {
                    patterns.push(Pattern { hir, rule: i, max_len, side, also: Vec::new(), compiled: OnceLock::new() });
                    ungated.push(k);
                    continue;
                };
                // The parts other than the gate, rarest first: "(你|您)的?(儿子|女儿)" gated on
                // 儿子|女儿 also needs a 你 or 您 in its window before it runs.
                let mut also: Vec<Vec<Vec<u8>>> = required_parts(&hir)
                    .into_iter()
                    .filter(|a| a.len() <= MAX_ALSO_LITERALS && !same_set(a, &lits))
                    .collect();
                also.sort_by_key(|a| std::cmp::Reverse(quality(a)));
                also.truncate(MAX_ALSO);
                for l in lits {
                    // A gate literal may also be a phrase; the automaton holds each string once,
                    // so the gate gets its own entry under a distinct key.
                    let g = *gate_index.entry(l.clone()).or_insert_with(|| {
                        texts.push(l);
                        entries.push(Entry::Gate(gate_owners.len()));
                        gate_owners.push(Vec::new());
                        gate_owners.len() - 1
                    });
                    if !gate_owners[g].contains(&k) {
                        gate_owners[g].push(k);
                    }
                }
                let also = also
                    .into_iter()
                    .map(|set| set.iter().map(|l| memchr::memmem::Finder::new(l).into_owned()).collect())
                    .collect();
                patterns.push(Pattern { hir, rule: i, max_len, side, also, compiled: OnceLock::new() });
            }
        }
        // Standard semantics with overlapping search: rules of different categories may share
        // text ("逾期" inside "逾期不还就上门"), and each must see its own match.
        // Dense transitions down to depth 3 (one CJK character): with 25k patterns a state after
        // the second byte of a character has dozens of children, and the default depth of 2
        // left every step there a linear scan. Costs 0.44 MB (2.29 -> 2.73 MB).
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .dense_depth(3)
            .build(&texts)
            .expect("normalized phrases build an automaton");

        Matcher {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            automaton,
            entries,
            phrase_owners,
            gate_owners,
            patterns,
            ungated,
        }
    }

    /// Appends every hit in `text` to `out`, sorted by start then longest first, one per
    /// rule and range.
    pub fn find(&self, text: &str, out: &mut Vec<Hit>) {
        out.clear();
        STATE.with(|state| {
            let mut state = state.borrow_mut();
            let ThreadState { matcher, caches, windows } = &mut *state;
            windows.clear();
            // One overlapping walk finds every phrase and gate occurrence. (A plain search first,
            // to prove that nothing matches, paid off only when most messages held nothing; on
            // real traffic most hold some gate literal, and the second walk cost as much again.)
            for m in self.automaton.find_overlapping_iter(text) {
                match self.entries[m.pattern().as_usize()] {
                    Entry::Phrase(o) => {
                        for &rule in &self.phrase_owners[o] {
                            out.push(Hit { rule, start: m.start(), end: m.end() });
                        }
                    }
                    Entry::Gate(g) => {
                        for &k in &self.gate_owners[g] {
                            let (s, e) = self.patterns[k].window(text, m.start(), m.end());
                            windows.push((k, s, e));
                        }
                    }
                }
            }
            if windows.is_empty() && self.ungated.is_empty() {
                return;
            }
            if *matcher != self.id {
                *matcher = self.id;
                caches.clear();
                caches.resize_with(self.patterns.len(), || None);
            }
            windows.extend(self.ungated.iter().map(|&k| (k, 0, text.len())));
            windows.sort_unstable();
            // Overlapping windows of one pattern merge, so every match lies inside exactly one
            // window and is found once, as a whole-text search would find it.
            let mut i = 0;
            while i < windows.len() {
                let (k, s, mut e) = windows[i];
                i += 1;
                while i < windows.len() && windows[i].0 == k && windows[i].1 <= e {
                    e = e.max(windows[i].2);
                    i += 1;
                }
                let pattern = &self.patterns[k];
                // Every match lies inside the window and holds a literal of each further set,
                // so a window missing one of them cannot match.
                let window = &text.as_bytes()[s..e];
                let holds = |set: &Vec<memchr::memmem::Finder<'static>>| set.iter().any(|f| f.find(window).is_some());
                if !pattern.also.iter().all(holds) {
                    continue;
                }
                let Some(re) = pattern.regex() else { continue };
                let cache = caches[k].get_or_insert_with(|| re.create_cache());
                let mut input = Input::new(text).range(s..e);
                while let Some(m) = re.search_with(cache, &input) {
                    if m.is_empty() {
                        // Validation rejects patterns that match the empty string; stepping on
                        // keeps a pattern that slipped through from looping forever.
                        match text[m.end()..e].chars().next() {
                            Some(c) => input.set_start(m.end() + c.len_utf8()),
                            None => break,
                        }
                        continue;
                    }
                    out.push(Hit { rule: pattern.rule, start: m.start(), end: m.end() });
                    input.set_start(m.end());
                }
            }
        });
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

    /// Compiles every pattern now rather than on first use.
    pub fn compile_all(&self) {
        for p in &self.patterns {
            p.regex();
        }
    }

    /// How many regex patterns run over every text because no gate literal could be found.
    #[cfg(test)]
    fn ungated_len(&self) -> usize {
        self.ungated.len()
    }
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(p: &str) -> Option<(Vec<String>, Side)> {
        // The comparisons below are written with string literals.
        let hir = regex_syntax::ParserBuilder::new().build().parse(p).unwrap();
        gate_literals(&hir).map(|(ls, side)| (ls.into_iter().map(|l| String::from_utf8(l).unwrap()).collect(), side))
    }

    #[test]
    fn gates_pick_the_rarest_required_literals() {
        assert_eq!(
            gate("(你|您)[\\p{Han}]{0,8}(坐牢|判刑)").unwrap(),
            (vec!["坐牢", "判刑"].into_iter().map(String::from).collect(), Side::Suffix)
        );
        assert_eq!(
            gate("上门(解决|算账)").unwrap(),
            (vec!["上门解决", "上门算账"].into_iter().map(String::from).collect(), Side::Prefix)
        );
        let inner = gate("(你|您)[\\p{Han}]{0,3}(通讯录)[\\p{Han}]{0,3}(你|您)").unwrap();
        assert_eq!(inner, (vec!["通讯录"].into_iter().map(String::from).collect(), Side::Inner));
        assert_eq!(gate("[\\p{Han}]{2,4}"), None);
    }

    #[test]
    fn classes_keep_only_what_normalized_text_holds() {
        let matches = |p: &str, t: &str| {
            let hir = narrow(regex_syntax::parse(p).unwrap());
            compile(&hir).unwrap().is_match(t)
        };
        assert!(matches(r"^\d+$", "2024"));
        assert!(!matches(r"^\d+$", "٢٠٢٤"), "Arabic-Indic digits never reach the matcher");
        assert!(matches(r"^[\p{Han}]{2}$", "你好"));
        assert!(matches(r"^[\p{Han}&&[^不]]$", "〇"));
        assert!(matches(r"^[\p{Han}]$", "𠮶"), "four-byte Han (Cantonese 𠮶) still matches");
        assert!(!matches(r"^[\p{Han}&&[^不]]$", "😀"));
        assert!(!matches(r"^[\p{Han}&&[^不]]$", "不"));
    }

    #[test]
    fn windowed_search_finds_what_a_whole_text_search_finds() {
        let patterns = [
            "(你|您)[\\p{Han}]{0,8}(坐牢|判刑)",
            "(不还|再不)[\\p{Han}0-9]{0,6}(上门)",
            "你等着$",
            "[a-z]{3}通讯录",
            "(拉|挂)(个|条)(横幅|条幅)",
            "欠(款)?\\d+(元|块)",
            "(你|您)[\\p{Han}]{0,3}(通讯录)[\\p{Han}]{0,3}(你|您)",
            "(你|您)的?(儿子|女儿)[\\p{Han}]{0,4}(学校|单位)",
        ];
        let texts = [
            "你再不还就等着坐牢吧,你们全家都判刑",
            "不还就上门,再不还明天上门,再不还后天上门",
            "好啊你等着",
            "abc通讯录和xyz通讯录",
            "明天去你公司拉条横幅,再挂个条幅",
            "欠款3000元,欠50块,欠款元",
            "你的通讯录你看,您通讯录您,通讯录你",
            "没有任何匹配的短信内容",
            "他儿子在学校,你女儿的单位,您儿子学校,你的女儿今天在单位,你儿子",
            "",
        ];
        let rules: Vec<Rule> = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| Rule {
                id: format!("T-{i}"),
                kind: crate::lexicon::RuleKind::Category(crate::Category::Threat),
                weight: 0.5,
                message: String::new(),
                clause: String::new(),
                phrases: Vec::new(),
                variants: Vec::new(),
                patterns: vec![p.to_string()],
                parsed: vec![regex_syntax::ParserBuilder::new().build().parse(p).unwrap()],
                boundary: false,
                negatable: false,
                requires_third_party: false,
                offer: false,
                hit: Vec::new(),
                miss: Vec::new(),
                path: String::new(),
                line: 0,
            })
            .collect();
        let m = Matcher::new(&rules);
        assert_eq!(m.ungated_len(), 0);
        for t in texts {
            let mut got = Vec::new();
            m.find(t, &mut got);
            let mut want = Vec::new();
            for (i, p) in patterns.iter().enumerate() {
                for x in regex::Regex::new(p).unwrap().find_iter(t) {
                    want.push(Hit { rule: i, start: x.start(), end: x.end() });
                }
            }
            want.sort_unstable_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)).then(a.rule.cmp(&b.rule)));
            assert_eq!(got, want, "{t}");
        }
    }
}
