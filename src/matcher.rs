//! Finds every rule's phrases and patterns in normalized text with one Aho-Corasick pass.
//!
//! Phrases are patterns of the automaton. Regex patterns are not run over the whole text: each
//! is gated on a few literals one of which every match must contain (its rarest prefix, suffix
//! or inner alternation), and those literals are patterns of the same automaton. A pattern runs
//! only on a window around an occurrence of its gate, as wide as its longest possible match, so
//! most messages run no regex at all and the rest run each due regex over a few dozen bytes.

use crate::lexicon::plan::{self, Side};
use crate::lexicon::Rule;
use aho_corasick::{AhoCorasick, MatchKind};
use chars::CharAutomaton;
use regex_automata::meta::{Cache, Regex};
use regex_automata::{Anchored, Input};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

mod chars;

/// The lazy DFA cache cap per pattern and thread; only the states a pattern reaches are built.
const HYBRID_CACHE: usize = 16 << 20;

/// A rule matched at a normalized byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    /// Index into the rule list.
    pub rule: usize,
    /// Normalized byte offsets.
    pub start: usize,
    pub end: usize,
}

impl Hit {
    /// The order hits are reported in: by start, longest first, then by rule.
    pub(crate) fn order(a: &Hit, b: &Hit) -> std::cmp::Ordering {
        a.start.cmp(&b.start).then(b.end.cmp(&a.end)).then(a.rule.cmp(&b.rule))
    }
}

/// One regex pattern of a rule, compiled on first use: most patterns never run on gateway
/// traffic, and compiling all of them up front was most of the classifier's build time.
struct Pattern {
    /// The pattern's text, simplified: parsed again only when it compiles.
    source: String,
    rule: usize,
    /// Further literal sets (besides the gate) every match holds one literal of: a window runs
    /// only when each set has a literal inside it.
    also_literals: Vec<plan::Literals>,
    /// Their searchers, built on the first window that reaches them: most patterns' windows
    /// never get past the character filter.
    also: OnceLock<Vec<AlsoSet>>,
    compiled: OnceLock<Option<Regex>>,
    /// The characters every match starts with one of ([`plan::Plan::starts`]), for a pattern
    /// gated after its start, as one search per three distinct last bytes (see
    /// [`starts_searches`]); empty when there are none such, for a pattern whose matches start
    /// where its gate opens the window ([`Side::starts_at_gate`]), and for an ASCII pattern.
    starts: Box<[EndSearch]>,
}

/// Byte strings whose last bytes take at most three values, found by one SIMD search for those
/// bytes and a comparison backwards from each: nothing but the strings to pull into the CPU
/// caches, where a pattern's own searcher or DFA is a cold structure on every message. The last
/// byte of a Chinese character takes one of 64 values, so three of them stop the SIMD search at
/// about one character in twenty of ordinary text.
struct EndSearch {
    /// The strings back to back.
    bytes: Box<[u8]>,
    /// Each string's end in `bytes` (its start is the previous one's end), and its last four
    /// bytes (fewer in the high bytes of a shorter one) as a little-endian word with the mask
    /// of the bytes it has: most candidates are ruled out by one comparison, where a slice
    /// comparison per string was a call each.
    ends: Box<[(u32, u32, u32)]>,
    /// The distinct last bytes, repeated to fill three.
    last: [u8; 3],
}

/// The four bytes of `hay` ending at `i`, as a little-endian word, zeros before its start.
#[inline]
fn word_ending_at(hay: &[u8], i: usize) -> u32 {
    if i >= 3 {
        u32::from_le_bytes([hay[i - 3], hay[i - 2], hay[i - 1], hay[i]])
    } else {
        (0..=i).fold(0, |w, k| w | u32::from(hay[k]) << (8 * (3 - i + k)))
    }
}

impl EndSearch {
    /// `None` when the strings end in more than three distinct bytes (or one is empty).
    fn new<'a>(strings: impl IntoIterator<Item = &'a [u8]>) -> Option<EndSearch> {
        let (mut bytes, mut ends, mut lasts) = (Vec::new(), Vec::new(), Vec::new());
        for s in strings {
            lasts.push(*s.last()?);
            bytes.extend_from_slice(s);
            let n = s.len().min(4);
            let mut tail = [0; 4];
            tail[4 - n..].copy_from_slice(&s[s.len() - n..]);
            let mask = u32::MAX << (8 * (4 - n));
            ends.push((bytes.len() as u32, u32::from_le_bytes(tail), mask));
        }
        lasts.sort_unstable();
        lasts.dedup();
        let n = lasts.len();
        (1..=3).contains(&n).then(|| EndSearch {
            bytes: bytes.into(),
            ends: ends.into(),
            last: [lasts[0], lasts[n.min(2) - 1], lasts[n - 1]],
        })
    }

    /// Calls `f` with the start of the first string (in the order given) that ends at each
    /// position of `hay` where one does, in order, while `f` returns true.
    #[inline]
    fn each(&self, hay: &[u8], mut f: impl FnMut(usize) -> bool) {
        let [a, b, c] = self.last;
        for i in memchr::memchr3_iter(a, b, c, hay) {
            let word = word_ending_at(hay, i);
            let mut from = 0;
            for &(end, tail, mask) in self.ends.iter() {
                let (start, end) = (from, end as usize);
                from = end;
                let len = end - start;
                if word & mask != tail || len > i + 1 {
                    continue;
                }
                if len <= 4 || hay[i + 1 - len..=i - 4] == self.bytes[start..end - 4] {
                    if !f(i + 1 - len) {
                        return;
                    }
                    break;
                }
            }
        }
    }

    /// Whether `hay` holds one of the strings.
    fn found_in(&self, hay: &[u8]) -> bool {
        let mut found = false;
        self.each(hay, |_| {
            found = true;
            false
        });
        found
    }
}

/// The searches for the characters every match of a pattern starts with, characters grouped
/// by the last byte of their encoding, three last bytes to a search; none when that takes more
/// than [`MAX_START_SEARCHES`] (the pattern runs unanchored over its window).
fn starts_searches(chars: &str) -> Box<[EndSearch]> {
    let encoded: Vec<String> = chars.chars().map(String::from).collect();
    let last = |c: &String| c.as_bytes()[c.len() - 1];
    let mut lasts: Vec<u8> = encoded.iter().map(last).collect();
    lasts.sort_unstable();
    lasts.dedup();
    if lasts.len() > 3 * MAX_START_SEARCHES {
        return Box::default();
    }
    lasts
        .chunks(3)
        .map(|chunk| {
            let group = encoded.iter().filter(|c| chunk.contains(&last(c))).map(|c| c.as_bytes());
            EndSearch::new(group).expect("at most three last bytes")
        })
        .collect()
}

/// Start characters ending in up to nine distinct bytes are searched for, in up to three SIMD
/// passes over the window; with more (a class of sixteen characters), a byte-by-byte scan for
/// them cost more instructions than the unanchored search it saved, for no faster a run.
const MAX_START_SEARCHES: usize = 3;

/// What a gate occurrence needs of its pattern, kept apart from [`Pattern`] in one compact
/// array: most occurrences end here, and reading them should not pull a pattern's text,
/// searchers and regex into the CPU caches.
#[derive(Clone, Copy)]
struct Reach {
    /// The longest match in bytes.
    max_len: u32,
    /// The shortest match in bytes.
    min_len: u32,
    /// The pattern's further literal sets for the message-wide character filter:
    /// `Matcher::also_sets[sets.0..sets.1]`.
    sets: (u32, u32),
    side: Side,
    /// Every match starts at the start of the text.
    anchored: bool,
    /// Every match is ASCII.
    ascii: bool,
}

impl Pattern {
    fn also(&self) -> &[AlsoSet] {
        self.also.get_or_init(|| self.also_literals.iter().map(|set| AlsoSet::new(set)).collect())
    }

    fn regex(&self) -> Option<&Regex> {
        // Lexicon validation compiled the pattern once; only a size limit could fail here, and
        // a pattern that cannot compile matches nothing rather than taking the process down.
        self.compiled.get_or_init(|| compile(&self.source).ok()).as_ref()
    }
}

impl Reach {
    /// The part of `text` where a match holding the gate occurrence `s..e` can lie, or `None`
    /// when no match can hold it: a pattern anchored at the start whose window does not reach
    /// it, or an ASCII pattern whose run of ASCII around the occurrence is shorter than its
    /// shortest match (a year "2024" opens no window for an 18-digit ID number).
    fn window(&self, text: &str, s: usize, e: usize) -> Option<(usize, usize)> {
        let l = self.max_len as usize;
        let (a, b) = match self.side {
            Side::Prefix => (s, s + l),
            // (`floor_char` moves the start back to the character before the gate.)
            Side::Lead => (s.saturating_sub(1), s + l),
            Side::Suffix => (e.saturating_sub(l), e),
            Side::Inner => (e.saturating_sub(l), s + l),
        };
        let (a, b) = (floor_char(text, a), ceil_char(text, b.min(text.len())));
        if self.anchored && a > 0 {
            return None;
        }
        if !self.ascii {
            return Some((a, b));
        }
        // The gate literal of an ASCII pattern is ASCII, and a match holding it lies in the
        // run of ASCII bytes around it: both ends of the run are character boundaries.
        let bytes = text.as_bytes();
        let from = s - bytes[a..s].iter().rev().take_while(|b| b.is_ascii()).count();
        let to = e + bytes[e..b].iter().take_while(|b| b.is_ascii()).count();
        (to - from >= self.min_len as usize).then_some((from, to))
    }
}

/// A further literal set of a pattern, searched for in its windows. Small: a pattern's sets lie
/// side by side, and the check reads them in turn.
enum AlsoSet {
    /// Literals ending in at most three distinct bytes (about half of the embedded lexicons'
    /// sets, every one-literal set among them): a search for those bytes. A Teddy searcher
    /// spreads its masks, buckets and literals over several allocations, and its lookups were a
    /// quarter of the L2 misses on collection messages.
    Ends(EndSearch),
    /// More: one SIMD (Teddy) pass looks for all of them at once, where a substring search per
    /// literal cost ~75 instructions each and most windows hold none of them (a tenth of the
    /// steady-state instructions on ordinary traffic before this). Boxed, as a substring
    /// searcher is below: held inline, either made every set three to five cache lines wide.
    Packed(Box<aho_corasick::packed::Searcher>),
    /// More, where no packed searcher could be built (no SIMD support).
    Each(Vec<memchr::memmem::Finder<'static>>),
}

impl AlsoSet {
    fn new(set: &[Cow<'static, [u8]>]) -> AlsoSet {
        if let Some(ends) = EndSearch::new(set.iter().map(|l| l.as_ref())) {
            return AlsoSet::Ends(ends);
        }
        let packed = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(set)
            .build();
        match packed {
            Some(p) => AlsoSet::Packed(Box::new(p)),
            None => AlsoSet::Each(set.iter().map(|l| memchr::memmem::Finder::new(l.as_ref()).into_owned()).collect()),
        }
    }

    /// Whether `window` holds one of the literals.
    fn found_in(&self, window: &[u8]) -> bool {
        match self {
            AlsoSet::Ends(e) => e.found_in(window),
            AlsoSet::Packed(p) => p.find(window).is_some(),
            AlsoSet::Each(fs) => fs.iter().any(|f| f.find(window).is_some()),
        }
    }
}

/// Bits of the message-wide character filter, one per character hash: a bloom filter of the
/// characters a message holds.
const FILTER_BITS: usize = 1024;

/// Which bit of the character filter stands for `c`.
#[inline]
fn filter_bit(c: u32) -> u16 {
    (c.wrapping_mul(0x9E37_79B1) >> (32 - FILTER_BITS.trailing_zeros())) as u16
}

/// The characters a message holds, as a bloom filter: a literal none of whose first four
/// characters' bits is missing may occur in it, and one with a bit missing cannot.
struct CharFilter([u64; FILTER_BITS / 64]);

impl CharFilter {
    #[cfg(test)]
    fn of(text: &str) -> CharFilter {
        let mut filter = CharFilter::empty();
        text.chars().for_each(|c| filter.add(c as u32));
        filter
    }

    fn empty() -> CharFilter {
        CharFilter([0; FILTER_BITS / 64])
    }

    /// Adds the character with code point `c`.
    #[inline(always)]
    fn add(&mut self, c: u32) {
        let b = filter_bit(c);
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    #[inline]
    fn has(&self, b: u16) -> bool {
        self.0[usize::from(b >> 6)] >> (b & 63) & 1 == 1
    }

    /// Whether a literal encoded by [`filter_key`] may occur.
    #[inline]
    fn may_hold(&self, key: u64) -> bool {
        (0..4).all(|i| self.has((key >> (16 * i)) as u16))
    }
}

/// A literal as the filter bits of its first four characters (the last repeated when shorter).
fn filter_key(lit: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(lit);
    let mut bits: Vec<u16> = text.chars().take(4).map(|c| filter_bit(c as u32)).collect();
    let last = *bits.last().expect("literals are not empty");
    bits.resize(4, last);
    bits.iter().enumerate().fold(0, |key, (i, &b)| key | u64::from(b) << (16 * i))
}

/// The automaton of a matcher's phrases and gate literals.
enum Automaton {
    /// One step per character (see [`chars`]): what every lexicon set gets in practice.
    Chars(CharAutomaton),
    /// The byte automaton, for string sets the character automaton refuses (more than 65,535
    /// distinct characters).
    Bytes(AhoCorasick),
}

impl Automaton {
    fn new(texts: &[Cow<[u8]>]) -> Automaton {
        if let Some(a) = CharAutomaton::new(texts) {
            return Automaton::Chars(a);
        }
        // Standard semantics with overlapping search: every occurrence of every string. Dense
        // transitions down to depth 3 (one CJK character): with 25k strings a state after the
        // second byte of a character has dozens of children.
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .dense_depth(3)
            .build(texts)
            .expect("normalized phrases build an automaton");
        Automaton::Bytes(ac)
    }

    /// Calls `f(string, start, end)` for every occurrence of every string in `text`, and adds
    /// every character of `text` to `filter`.
    #[inline]
    fn for_each_match(&self, text: &str, filter: &mut CharFilter, mut f: impl FnMut(usize, usize, usize)) {
        match self {
            Automaton::Chars(a) => a.for_each_match(text, |c| filter.add(c), f),
            Automaton::Bytes(ac) => {
                text.chars().for_each(|c| filter.add(c as u32));
                for m in ac.find_overlapping_iter(text) {
                    f(m.pattern().as_usize(), m.start(), m.end());
                }
            }
        }
    }
}

/// A pattern of a gate literal, with what most of its occurrences need to be ruled out.
#[derive(Clone, Copy)]
struct Gated {
    pattern: u32,
    /// The keys of the pattern's first (rarest) further literal set, a range of
    /// `Matcher::also_keys`, empty when it has none. Most gate occurrences on ordinary traffic
    /// end at this set, and reaching it through the pattern's [`Reach`] and set list took two
    /// more dependent loads, each a cache miss: a third of the matcher's time on real SMS went
    /// to waiting on that chain.
    first: (u32, u32),
}

/// Marks a gate literal's entry in `Matcher::entries`.
const GATE: u32 = 1 << 31;

/// Marks a marker word's entry in `Matcher::entries`; the low bits are its set's index.
const MARK: u32 = 1 << 30;

/// What an automaton pattern stands for, while the matcher is built.
#[derive(Debug, Clone, Copy)]
enum Entry {
    /// A phrase: the index of its owner list in `phrase_owners`.
    Phrase(usize),
    /// A gate literal: the index of its pattern list in `gate_owners`.
    Gate(usize),
    /// A word of the marker set with this index.
    Marker(usize),
}

/// Phrases and patterns of a rule list, compiled once.
pub(crate) struct Matcher {
    /// Distinguishes matchers in the per-thread regex caches.
    id: u64,
    /// Every phrase and variant, normalized and deduplicated, then every gate literal, then
    /// every marker word.
    automaton: Automaton,
    /// What each automaton pattern stands for: a range of `owners` (the rules of a phrase), or
    /// with [`GATE`] set in the start a range of `gated` (the patterns of a gate literal), or
    /// [`MARK`] and a marker set's index for a marker word. Flat arrays: an occurrence reads
    /// two neighbouring words rather than an enum and a list of its own, which ordinary traffic
    /// would find cold in the caches.
    entries: Vec<(u32, u32)>,
    owners: Vec<u32>,
    gated: Vec<Gated>,
    patterns: Vec<Pattern>,
    reaches: Vec<Reach>,
    /// Every pattern's further literal sets, for the character filter: ranges of `also_keys`.
    also_sets: Vec<(u32, u32)>,
    /// Their literals' [`filter_key`]s.
    also_keys: Vec<u64>,
    /// Patterns with no usable gate: they run over every text.
    ungated: Vec<usize>,
}

/// The automaton's walk over a text as normalization writes it, building the character filter
/// and collecting the matches on the way.
struct Walker<'a> {
    walk: chars::Walk<'a>,
    filter: CharFilter,
    found: &'a mut Vec<(u32, u32, u32)>,
}

impl crate::normalize::Observer for Walker<'_> {
    #[inline(always)]
    fn char(&mut self, c: u32, end: usize) {
        self.filter.add(c);
        let found = &mut *self.found;
        self.walk.feed(c, end, &mut |p, s, e| found.push((p as u32, s as u32, e as u32)));
    }
}

/// Per-thread search state: regex caches for one matcher and the reused windows list.
#[derive(Default)]
struct ThreadState {
    matcher: u64,
    caches: Vec<Option<Cache>>,
    /// Windows due on the current message: (pattern << 32 | start, end). One integer key sorts
    /// faster than a (pattern, start, end) tuple, and the end's order among windows with one
    /// start does not matter to the merge. Offsets fit in 32 bits, as in the normalization map.
    windows: Vec<(u64, u32)>,
    /// The automaton's matches in the current message, as (string, start, end): gate
    /// occurrences are checked against the character filter once the walk has built it.
    found: Vec<(u32, u32, u32)>,
    /// Where the window being searched holds a start character of its pattern.
    cands: Vec<u32>,
    /// Per pattern, whether its further literal sets may all occur in the current message, as
    /// `message << 1 | answer` (`message` counts `resolve` calls): a common gate ("你", "还")
    /// opens a pattern many times in one message, and checking every literal of its sets
    /// against the filter each time was a twentieth of a collection message's instructions.
    sets_may: Vec<u32>,
    message: u32,
}

thread_local! {
    static STATE: RefCell<ThreadState> = RefCell::new(ThreadState::default());
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Parses, rewrites (see [`plan::prepare`]) and compiles a pattern the way the matcher runs it.
/// The error is the parser's or the builder's message: `lexicon check` reports it, the matcher
/// only needs to know the pattern failed.
fn compile(source: &str) -> Result<Regex, String> {
    let hir = plan::prepare(plan::parse(source)?);
    // The lazy DFA's default 2 MB cache fills on Unicode classes like `[\p{Han}&&[^不没]]`
    // and is cleared and rebuilt over and over; a larger cap lets it settle.
    // A pattern runs only inside a window the matcher's own literal search opened, and only its
    // match span is read. So no one-pass DFA and no capture groups (never used), and no literal
    // prefilter: choosing it was over a quarter of each compilation, while inside those short
    // windows it saves about 1% of the search work on collection messages and none on ordinary ones.
    let config = regex_automata::meta::Config::new()
        .hybrid_cache_capacity(HYBRID_CACHE)
        .auto_prefilter(false)
        .onepass(false)
        .which_captures(regex_automata::nfa::thompson::WhichCaptures::Implicit);
    regex_automata::meta::Builder::new().configure(config).build_from_hir(&hir).map_err(|e| e.to_string())
}

/// Parses and compiles a lexicon pattern exactly as the matcher will on first use, for
/// `lexicon check`: loading a lexicon only plans its patterns.
pub(crate) fn check_pattern(source: &str) -> Result<(), String> {
    compile(source).map(|_| ())
}

impl Matcher {
    /// A matcher with no marker words (the tests' usual one).
    #[cfg(test)]
    pub fn new(rules: &[Rule]) -> Matcher {
        Matcher::with_markers(rules, &[])
    }

    /// The matcher of `rules`, where the words of `markers[i]` (at most 30 sets) set bit `i` of
    /// what [`Matcher::find`] returns when the text holds one: context word lists ride on the
    /// walk the matcher makes anyway, rather than a search of their own over every message.
    pub fn with_markers(rules: &[Rule], markers: &[&[String]]) -> Matcher {
        assert!(markers.len() <= 30, "at most 30 marker sets");
        // Sized up front: the embedded lexicons give ~2,800 phrases and ~20,000 gate literals,
        // and growing the maps and lists step by step was a tenth of this function's work.
        let n_phrases: usize = rules.iter().map(|r| r.phrases.len() + r.variants.len()).sum();
        let n_gates: usize = rules.iter().flat_map(|r| &r.plans).map(|p| p.gate.as_ref().map_or(0, Vec::len)).sum();
        let mut texts: Vec<Cow<[u8]>> = Vec::with_capacity(n_phrases + n_gates);
        let mut entries = Vec::with_capacity(n_phrases + n_gates);
        let mut index: HashMap<Vec<u8>, usize> = HashMap::with_capacity(n_phrases);
        let mut phrase_owners: Vec<Vec<usize>> = Vec::with_capacity(n_phrases);
        for (i, r) in rules.iter().enumerate() {
            for p in r.phrases.iter().chain(&r.variants) {
                let n = crate::normalize(p).text.into_bytes();
                let id = *index.entry(n.clone()).or_insert_with(|| {
                    texts.push(Cow::Owned(n));
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
        let mut patterns = Vec::with_capacity(rules.iter().map(|r| r.plans.len()).sum());
        let mut reaches = Vec::with_capacity(patterns.capacity());
        let mut ungated = Vec::new();
        let mut gate_index: HashMap<&[u8], usize> = HashMap::with_capacity(n_gates);
        let mut gate_owners: Vec<Vec<usize>> = Vec::with_capacity(n_gates);
        let (mut also_sets, mut also_keys) = (Vec::new(), Vec::new());
        for (i, r) in rules.iter().enumerate() {
            for (planned, source) in r.plans.iter().zip(&r.patterns) {
                let k = patterns.len();
                let reach = Reach {
                    max_len: planned.max_len as u32,
                    min_len: planned.min_len as u32,
                    sets: (also_sets.len() as u32, also_sets.len() as u32),
                    side: planned.side,
                    anchored: planned.anchored,
                    ascii: planned.ascii,
                };
                let Some(lits) = &planned.gate else {
                    let source = source.clone();
                    reaches.push(reach);
                    patterns.push(Pattern {
                        source,
                        rule: i,
                        also_literals: Vec::new(),
                        also: OnceLock::new(),
                        compiled: OnceLock::new(),
                        starts: Box::default(),
                    });
                    ungated.push(k);
                    continue;
                };
                for l in lits {
                    // A gate literal may also be a phrase; the automaton holds each string once,
                    // so the gate gets its own entry under a distinct key.
                    let g = *gate_index.entry(l).or_insert_with(|| {
                        texts.push(Cow::Borrowed(l));
                        entries.push(Entry::Gate(gate_owners.len()));
                        gate_owners.push(Vec::new());
                        gate_owners.len() - 1
                    });
                    if !gate_owners[g].contains(&k) {
                        gate_owners[g].push(k);
                    }
                }
                let first = also_sets.len() as u32;
                for set in &planned.also {
                    let from = also_keys.len() as u32;
                    also_keys.extend(set.iter().map(|l| filter_key(l)));
                    also_sets.push((from, also_keys.len() as u32));
                }
                reaches.push(Reach { sets: (first, also_sets.len() as u32), ..reach });
                let source = source.clone();
                // A prefix or lead gate's occurrences give the starts already; an ASCII
                // pattern's window is its run of ASCII, most of whose characters could start an
                // ID number.
                let starts = match &planned.starts {
                    Some(chars) if !planned.side.starts_at_gate() && !planned.ascii => starts_searches(chars),
                    _ => Box::default(),
                };
                patterns.push(Pattern {
                    source,
                    rule: i,
                    also_literals: planned.also.clone(),
                    also: OnceLock::new(),
                    compiled: OnceLock::new(),
                    starts,
                });
            }
        }
        for (i, words) in markers.iter().enumerate() {
            for w in words.iter() {
                let n = crate::normalize(w).text.into_bytes();
                if !n.is_empty() {
                    texts.push(Cow::Owned(n));
                    entries.push(Entry::Marker(i));
                }
            }
        }
        // Every occurrence of every string: rules of different categories may share text
        // ("逾期" inside "逾期不还就上门"), and each must see its own match.
        let automaton = Automaton::new(&texts);

        let mut owners = Vec::with_capacity(n_phrases + 1024);
        let mut gated = Vec::with_capacity(n_gates + 1024);
        let entries = entries
            .iter()
            .map(|e| match *e {
                Entry::Phrase(o) => {
                    let start = owners.len() as u32;
                    owners.extend(phrase_owners[o].iter().map(|&x| x as u32));
                    (start, owners.len() as u32)
                }
                Entry::Gate(g) => {
                    let start = gated.len() as u32;
                    gated.extend(gate_owners[g].iter().map(|&k| {
                        let (a, b) = reaches[k].sets;
                        Gated { pattern: k as u32, first: if a == b { (0, 0) } else { also_sets[a as usize] } }
                    }));
                    (start | GATE, gated.len() as u32)
                }
                Entry::Marker(i) => (MARK | i as u32, 0),
            })
            .collect();
        Matcher {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            automaton,
            entries,
            owners,
            gated,
            patterns,
            reaches,
            also_sets,
            also_keys,
            ungated,
        }
    }

    /// Whether a literal of the further literal set `also_keys[s..e]` may occur in the text of
    /// `filter`.
    #[inline]
    fn set_may_occur(&self, (s, e): (u32, u32), filter: &CharFilter) -> bool {
        self.also_keys[s as usize..e as usize].iter().any(|&key| filter.may_hold(key))
    }

    /// Whether every further literal set of pattern `k` after its first may occur in the text of
    /// `filter`: the first is checked from the pattern's [`Gated`] record, which the caller has
    /// in hand.
    #[inline]
    fn rest_may_match(&self, k: usize, filter: &CharFilter) -> bool {
        let (a, b) = self.reaches[k].sets;
        b <= a + 1 || self.also_sets[a as usize + 1..b as usize].iter().all(|&set| self.set_may_occur(set, filter))
    }

    /// Appends every hit in `text` to `out`, sorted by start then longest first, one per
    /// rule and range, and returns the marker sets `text` holds a word of, as bits.
    pub fn find(&self, text: &str, out: &mut Vec<Hit>) -> u32 {
        self.find_within_turns(text, &[], out)
    }

    /// Like [`Matcher::find`], where `breaks` (sorted normalized byte offsets) are where a new
    /// speaker's turn starts. No hit spans a break: separators are dropped before matching, so a
    /// phrase can run from the end of one turn into the next label ("…你们会⏎催收: 派人上门催收"),
    /// and nobody said that. Such a match is not merely dropped afterwards: each regex runs on
    /// every turn's part of its window on its own, so a spanning match neither hides a later
    /// match of the same rule inside the next turn (the search went on after its end) nor covers
    /// one that lies inside it.
    pub fn find_within_turns(&self, text: &str, breaks: &[usize], out: &mut Vec<Hit>) -> u32 {
        STATE.with(|state| {
            let mut state = state.borrow_mut();
            let state = &mut *state;
            let mut filter = CharFilter::empty();
            let found = &mut state.found;
            found.clear();
            // One overlapping walk finds every phrase and gate occurrence. (A plain search first,
            // to prove that nothing matches, paid off only when most messages held nothing; on
            // real traffic most hold some gate literal, and the second walk cost as much again.)
            self.automaton.for_each_match(text, &mut filter, |p, s, e| found.push((p as u32, s as u32, e as u32)));
            self.resolve(text, breaks, &filter, state, out)
        })
    }

    /// Normalizes `input` into `text` (as [`crate::normalize_text_into`] does) and appends
    /// every hit in it to `out`, like [`Matcher::find`]. The automaton walks each character as
    /// normalization writes it: a separate walk decoded the whole text again, a tenth of the
    /// instructions on real SMS.
    pub fn find_folding(&self, input: &str, text: &mut String, out: &mut Vec<Hit>) -> u32 {
        let Automaton::Chars(a) = &self.automaton else {
            crate::normalize::normalize_text_into(input, text);
            return self.find(text, out);
        };
        STATE.with(|state| {
            let mut state = state.borrow_mut();
            let state = &mut *state;
            state.found.clear();
            let mut walker = Walker { walk: a.walk(), filter: CharFilter::empty(), found: &mut state.found };
            crate::normalize::normalize_text_observed(input, text, &mut walker);
            let filter = walker.filter;
            self.resolve(text, &[], &filter, state, out)
        })
    }

    /// Turns the automaton's matches in `text` (`state.found`, whose characters `filter` holds)
    /// into hits: phrases as they are, gate occurrences by running their patterns over the
    /// windows they open. Returns the marker bits.
    fn resolve(
        &self,
        text: &str,
        breaks: &[usize],
        filter: &CharFilter,
        state: &mut ThreadState,
        out: &mut Vec<Hit>,
    ) -> u32 {
        out.clear();
        let mut marks = 0u32;
        let spans = |s: usize, e: usize| breaks.iter().any(|&b| s < b && b < e);
        let ThreadState { matcher, caches, windows, found, cands, sets_may, message } = state;
        windows.clear();
        if *matcher != self.id {
            *matcher = self.id;
            caches.clear();
            caches.resize_with(self.patterns.len(), || None);
            sets_may.clear();
            sets_may.resize(self.patterns.len(), 0);
        }
        // (Stamps start at 1, so a fresh table's zeros hold no answer, and the table is cleared
        // when the 31-bit stamp wraps, so no answer outlives its message.)
        *message = message.wrapping_add(1) & (u32::MAX >> 1);
        if *message == 0 {
            sets_may.fill(0);
            *message = 1;
        }
        let stamp = *message << 1;
        // Most windows a gate opens lack a literal of one of its pattern's further sets anywhere
        // in the message, and the filter rules those out before a window is pushed, merged and
        // searched. The walk built it from the characters it decoded anyway (decoding the text a
        // second time for it was a fifth of the instructions on real SMS), so gate occurrences
        // wait for the walk's end.
        for &(p, m_start, m_end) in found.iter() {
            let (m_start, m_end) = (m_start as usize, m_end as usize);
            let (start, end) = self.entries[p as usize];
            if start & MARK != 0 {
                marks |= 1 << (start & !MARK);
                continue;
            }
            if start & GATE == 0 {
                if !spans(m_start, m_end) {
                    for &rule in &self.owners[start as usize..end as usize] {
                        out.push(Hit { rule: rule as usize, start: m_start, end: m_end });
                    }
                }
                continue;
            }
            for g in &self.gated[(start & !GATE) as usize..end as usize] {
                let k = g.pattern as usize;
                let may = if sets_may[k] & !1 == stamp {
                    sets_may[k] & 1 == 1
                } else {
                    // (An empty `first` range: the pattern has no further sets.)
                    let may = (g.first.0 == g.first.1 || self.set_may_occur(g.first, filter))
                        && self.rest_may_match(k, filter);
                    sets_may[k] = stamp | u32::from(may);
                    may
                };
                if !may {
                    continue;
                }
                let Some((s, e)) = self.reaches[k].window(text, m_start, m_end) else {
                    continue;
                };
                windows.push(((k as u64) << 32 | s as u64, e as u32));
            }
        }
        if !windows.is_empty() || !self.ungated.is_empty() {
            windows.extend(self.ungated.iter().map(|&k| ((k as u64) << 32, text.len() as u32)));
            windows.sort_unstable_by_key(|w| w.0);
            // Overlapping windows of one pattern merge, so every match lies inside exactly one
            // window and is found once, as a whole-text search would find it.
            let mut i = 0;
            while i < windows.len() {
                let (key, e) = windows[i];
                let (k, s, mut e) = ((key >> 32) as usize, (key as u32) as usize, e as usize);
                let first = i;
                i += 1;
                while i < windows.len() && windows[i].0 >> 32 == k as u64 && (windows[i].0 as u32) as usize <= e {
                    e = e.max(windows[i].1 as usize);
                    i += 1;
                }
                let pattern = &self.patterns[k];
                // Every match lies inside the window and holds a literal of each further set,
                // so a window missing one of them cannot match.
                let window = &text.as_bytes()[s..e];
                if !pattern.also().iter().all(|set| set.found_in(window)) {
                    continue;
                }
                let Some(re) = pattern.regex() else { continue };
                let cache = caches[k].get_or_insert_with(|| re.create_cache());
                // (An ASCII pattern's window starts where the run of ASCII does, not at its gate.)
                let prefix_gated = self.reaches[k].side.starts_at_gate() && !self.reaches[k].ascii;
                if prefix_gated || !pattern.starts.is_empty() {
                    // Every match starts at a known place: where a gate occurrence opened one of
                    // the merged windows (at the occurrence, or the character before it for a
                    // `Side::Lead` pattern), or at one of a few start characters.
                    // An anchored search from each such place, in order, finds the matches the
                    // window's unanchored search finds (the leftmost start that can match, and
                    // from there the same end). Anchored, the pattern's DFA stays small (no state
                    // for every partial match the window might begin), reads only as far as the
                    // pattern can still match, and needs no reverse search for the start, where
                    // the unanchored search read the whole window, every byte a cold transition.
                    cands.clear();
                    if prefix_gated {
                        cands.extend(windows[first..i].iter().map(|&(key, _)| key as u32));
                    } else {
                        for search in pattern.starts.iter() {
                            search.each(&text.as_bytes()[s..e], |at| {
                                cands.push((s + at) as u32);
                                true
                            });
                        }
                        if pattern.starts.len() > 1 {
                            cands.sort_unstable();
                        }
                    }
                    let mut next = s;
                    for &from in cands.iter() {
                        let from = from as usize;
                        // (Two gate literals may open windows at one start.)
                        if from < next {
                            continue;
                        }
                        next = from + 1;
                        // The part of the merged window in the turn `from` lies in, as below.
                        let to = breaks.iter().copied().find(|&b| from < b && b < e).unwrap_or(e);
                        let input = Input::new(text).range(from..to).anchored(Anchored::Yes);
                        if let Some(m) = re.search_with(cache, &input).filter(|m| !m.is_empty()) {
                            out.push(Hit { rule: pattern.rule, start: m.start(), end: m.end() });
                            next = m.end();
                        }
                    }
                    continue;
                }
                // The window's part in each turn is searched on its own; `^` and `$` still
                // mean the ends of the text (the regex sees the whole haystack).
                let inner = breaks.iter().copied().filter(|&b| s < b && b < e);
                let mut from = s;
                for to in inner.chain(std::iter::once(e)) {
                    let mut input = Input::new(text).range(from..to);
                    while let Some(m) = re.search_with(cache, &input) {
                        if m.is_empty() {
                            // Validation rejects patterns that match the empty string; stepping
                            // on keeps a pattern that slipped through from looping forever.
                            match text[m.end()..to].chars().next() {
                                Some(c) => input.set_start(m.end() + c.len_utf8()),
                                None => break,
                            }
                            continue;
                        }
                        out.push(Hit { rule: pattern.rule, start: m.start(), end: m.end() });
                        input.set_start(m.end());
                    }
                    from = to;
                }
            }
        }
        out.sort_unstable_by(Hit::order);
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
        marks
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

    fn rule(i: usize, phrases: &[&str], patterns: &[&str]) -> Rule {
        Rule {
            id: format!("T-{i}"),
            kind: crate::lexicon::RuleKind::Category(crate::Category::Threat),
            weight: 0.5,
            message: String::new(),
            clause: String::new(),
            phrases: phrases.iter().map(|p| p.to_string()).collect(),
            variants: Vec::new(),
            patterns: patterns.iter().map(|p| p.to_string()).collect(),
            plans: patterns.iter().map(|p| plan::plan(plan::parse(p).unwrap())).collect(),
            boundary: false,
            negatable: false,
            requires_third_party: false,
            offer: false,
            yields_to: None,
            hit: Vec::new(),
            miss: Vec::new(),
            path: String::new(),
            line: 0,
        }
    }

    fn gate(p: &str) -> Option<(Vec<String>, Side)> {
        // The comparisons below are written with string literals.
        let hir = plan::parse(p).unwrap();
        plan::gate_literals(&hir)
            .map(|(ls, side)| (ls.into_iter().map(|l| String::from_utf8(l).unwrap()).collect(), side))
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
        // A lone common character (你, 您) opens a window in most messages: a larger set of
        // rarer characters is the better gate.
        assert_eq!(
            gate("(你|您)[\\p{Han}]{0,2}(哥|姐|妹)").unwrap(),
            (vec!["哥", "妹", "姐"].into_iter().map(String::from).collect(), Side::Suffix)
        );
    }

    #[test]
    fn end_search_finds_every_string_a_substring_search_finds() {
        let sets: [&[&str]; 5] = [
            &["你", "您"],
            &["联系人", "紧急联系人", "人"],
            &["a", "ba", "通讯录a"],
            &["上门", "上门催收", "门"],
            &["ab", "abcde", "xbcde", "e"],
        ];
        let hays = [
            "",
            "a",
            "ba",
            "人",
            "你您你",
            "紧急联系人",
            "联系人a",
            "通讯录a和ba",
            "abcde",
            "xbcdeabcde",
            "上门了,门口",
        ];
        for set in sets {
            let search = EndSearch::new(set.iter().map(|l| l.as_bytes())).unwrap();
            for hay in hays {
                let h = hay.as_bytes();
                // At each end, the first string of the set (in order) that ends there.
                let mut want = Vec::new();
                for i in 0..h.len() {
                    if let Some(l) = set.iter().find(|l| h[..=i].ends_with(l.as_bytes())) {
                        want.push(i + 1 - l.len());
                    }
                }
                let mut got = Vec::new();
                search.each(h, |s| {
                    got.push(s);
                    true
                });
                assert_eq!(got, want, "{set:?} in {hay:?}");
                assert_eq!(search.found_in(h), !want.is_empty(), "{set:?} in {hay:?}");
            }
        }
        // Four distinct last bytes: left to the other searchers.
        assert!(EndSearch::new(["a", "b", "c", "d"].iter().map(|l| l.as_bytes())).is_none());
    }

    #[test]
    fn start_characters_are_split_three_last_bytes_to_a_search() {
        for chars in ["你您", "你您我他她", "abcdefghi", "abcdefghij", "不再唔扮拖接欠玩继装赖走躲还钱"]
        {
            let searches = starts_searches(chars);
            let mut lasts: Vec<u8> = chars.chars().map(|c| c.to_string().as_bytes()[c.len_utf8() - 1]).collect();
            lasts.sort_unstable();
            lasts.dedup();
            let want = if lasts.len() <= 3 * MAX_START_SEARCHES { lasts.len().div_ceil(3) } else { 0 };
            assert_eq!(searches.len(), want, "{chars}");
            if want > 0 {
                // Every character is found by exactly one search, and nothing else is.
                for c in chars.chars() {
                    let hay = format!("x{c}x");
                    let n = searches.iter().filter(|s| s.found_in(hay.as_bytes())).count();
                    assert_eq!(n, 1, "{c} in {chars}");
                }
                assert!(!searches.iter().any(|s| s.found_in("xyz元".as_bytes())), "{chars}");
            }
        }
    }

    #[test]
    fn the_character_filter_never_rules_out_a_literal_the_text_holds() {
        let text = "明天上门,你的表哥知道吗?ok 2024年";
        let filter = CharFilter::of(text);
        for lit in ["明天", "上门", "表哥", "你", "吗", "ok", "2024", "年", "明天上门,你的表哥"] {
            assert!(filter.may_hold(filter_key(lit.as_bytes())), "{lit}");
        }
        // Of literals the text lacks, hardly any pass: each needs a spurious bit per character.
        let absent = ["坐牢", "判刑", "通讯录", "曝光", "法院", "派出所", "拘留", "起诉", "横幅", "家属"];
        let passed = absent.iter().filter(|l| filter.may_hold(filter_key(l.as_bytes()))).count();
        assert!(passed <= 1, "{passed} absent literals passed the filter");
    }

    #[test]
    fn classes_keep_only_what_normalized_text_holds() {
        let matches = |p: &str, t: &str| compile(p).unwrap().is_match(t);
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
            "^(各位|老婆)[\\p{Han}]",
            "[\\p{Han}]{0,3}(各位)$",
            "[1-8]\\d{5}(19|20)\\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\\d|3[01])\\d{3}[\\dx]",
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
            "各位好,各位老婆们,老婆好",
            "大家好各位",
            "身份证110101199003071234,2024年,19",
            "号码abc320105200001011234x和5201012019",
            "",
        ];
        let rules: Vec<Rule> = patterns.iter().enumerate().map(|(i, p)| rule(i, &[], &[p])).collect();
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
            want.sort_unstable_by(Hit::order);
            assert_eq!(got, want, "{t}");
        }
    }

    /// Prefix-gated patterns run anchored from each gate occurrence, and patterns whose matches
    /// start with one of a few characters anchored from each of those, rather than unanchored
    /// over their merged windows: on every corpus message, each embedded pattern run either way
    /// must still find exactly what a whole-text search of the normalized message finds.
    #[test]
    fn anchored_patterns_find_on_the_corpus_what_a_whole_text_search_finds() {
        let lexicon = crate::lexicon::Lexicon::embedded();
        let patterns: Vec<&str> = lexicon
            .rules
            .iter()
            .flat_map(|r| r.plans.iter().zip(&r.patterns))
            .filter(|(p, _)| p.gate.is_some() && !p.ascii && (p.side.starts_at_gate() || p.starts.is_some()))
            .map(|(_, source)| source.as_str())
            .collect();
        let rules: Vec<Rule> = patterns.iter().enumerate().map(|(i, p)| rule(i, &[], &[p])).collect();
        let m = Matcher::new(&rules);
        let prefix_gated = m.reaches.iter().filter(|r| r.side == Side::Prefix).count();
        let from_starts = m.patterns.iter().filter(|p| !p.starts.is_empty()).count();
        assert!(prefix_gated > 100, "only {prefix_gated} prefix-gated patterns");
        assert!(from_starts > 300, "only {from_starts} patterns run from their start characters");
        let whole: Vec<regex::Regex> = patterns.iter().map(|p| regex::Regex::new(p).unwrap()).collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let corpus = std::fs::read_to_string(root.join("corpus/dev.jsonl")).unwrap()
            + &std::fs::read_to_string(root.join("corpus/train.jsonl")).unwrap();
        let mut checked = 0;
        for line in corpus.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let text = crate::normalize(v["text"].as_str().unwrap()).text;
            let mut got = Vec::new();
            m.find(&text, &mut got);
            let mut want = Vec::new();
            for (i, re) in whole.iter().enumerate() {
                want.extend(re.find_iter(&text).map(|x| Hit { rule: i, start: x.start(), end: x.end() }));
            }
            want.sort_unstable_by(Hit::order);
            checked += want.len();
            assert_eq!(got, want, "{text}");
        }
        assert!(checked > 500, "only {checked} matches to compare");
    }

    #[test]
    fn walking_while_folding_finds_what_walking_the_folded_text_finds() {
        let rules = crate::lexicon::Lexicon::embedded().rules;
        let debt = vec!["欠".to_string(), "还款".to_string()];
        let m = Matcher::with_markers(&rules, &[&debt]);
        let mut text = String::new();
        let (mut folding, mut walked) = (Vec::new(), Vec::new());
        for input in [
            "你再不還錢,明天就上*门找你,通 讯 录全部打一遍",
            "您的借款已逾期3天,请于今日18:00前还款1,280.00元",
            "ＴＸＬ 爆你通讯录 Ａ 甚麼時候還",
            "身份证110101199003071234,你儿子在学校",
            "今天天气不错😀",
            "",
        ] {
            let marks = m.find_folding(input, &mut text, &mut folding);
            let folded = crate::normalize(input).text;
            assert_eq!(text, folded);
            assert_eq!(marks, m.find(&folded, &mut walked), "{input}");
            assert_eq!(folding, walked, "{input}");
        }
    }

    #[test]
    fn marker_words_set_their_bits_and_make_no_hits() {
        let rules = crate::lexicon::Lexicon::embedded().rules;
        let debt = vec!["欠".to_string(), "还款".to_string()];
        let you = vec!["你".to_string()];
        let m = Matcher::with_markers(&rules, &[&debt, &you]);
        let mut hits = Vec::new();
        assert_eq!(m.find("今天天气不错", &mut hits), 0);
        assert_eq!(m.find("欠的记得", &mut hits), 0b01);
        assert_eq!(m.find("你欠的记得", &mut hits), 0b11);
        assert!(hits.is_empty(), "markers are not hits: {hits:?}");
        // Traditional text is normalized before the walk, and so are the marker words.
        assert_eq!(m.find(&crate::normalize("妳還款了嗎").text, &mut hits) & 0b01, 0b01);
        // Hits are the same with and without markers.
        let plain = Matcher::with_markers(&rules, &[]);
        let mut without = Vec::new();
        let text = "你欠的钱再不还就上门";
        assert_eq!(m.find(text, &mut hits), 0b11);
        plain.find(text, &mut without);
        assert_eq!(
            hits.iter().map(|h| (h.rule, h.start, h.end)).collect::<Vec<_>>(),
            without.iter().map(|h| (h.rule, h.start, h.end)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_embedded_lexicons_get_the_character_automaton() {
        // The byte automaton is only a fallback: every phrase and gate literal of the default
        // lexicons is UTF-8 and they use far fewer than 65,535 characters.
        let m = Matcher::new(&crate::lexicon::Lexicon::embedded().rules);
        assert!(matches!(m.automaton, Automaton::Chars(_)));
        let mut hits = Vec::new();
        m.find("再不还钱明天就上门找你", &mut hits);
        assert!(!hits.is_empty());
    }

    /// The texts' parts in the test below, as (rule, matched text).
    fn found(m: &Matcher, text: &str, breaks: &[usize]) -> Vec<(usize, String)> {
        let mut got = Vec::new();
        m.find_within_turns(text, breaks, &mut got);
        got.iter().map(|h| (h.rule, text[h.start..h.end].to_string())).collect()
    }

    #[test]
    fn a_pattern_behind_a_leading_character_runs_from_the_character_before_its_gate() {
        // At the start, after an allowed character, after an excluded one, at the end, and
        // back to back, where the second occurrence's leading character lies inside the first
        // match (a whole-text search goes on after that match and finds no second one).
        let cases = [
            (
                "(?:^|[^们司])(催收|讨债)公司",
                &["催收公司来电", "我们催收公司", "他说催收公司说", "说讨债公司", "司催收公司"][..],
            ),
            ("(?:^|[^们])(催收|讨债)", &["催收催收", "他催收催收", "他催收说催收", "们催收"][..]),
        ];
        for (pattern, texts) in cases {
            let m = Matcher::new(&[rule(0, &[], &[pattern])]);
            assert_eq!(m.reaches[0].side, Side::Lead, "{pattern}");
            let whole = regex::Regex::new(pattern).unwrap();
            for text in texts {
                let want: Vec<(usize, String)> = whole.find_iter(text).map(|x| (0, x.as_str().to_string())).collect();
                assert_eq!(found(&m, text, &[]), want, "{pattern} in {text}");
            }
        }
        let m = Matcher::new(&[rule(0, &[], &["(?:^|[^们司])(催收|讨债)公司"])]);
        assert_eq!(found(&m, "他说催收公司说", &[]), [(0, "说催收公司".to_string())]);
    }

    #[test]
    fn what_one_message_rules_out_does_not_carry_over_to_the_next() {
        // Gated on 你|您 (the twenty characters after it, five of them common, would open more
        // windows), with those characters as a further set. The first message lacks them, so
        // its two 你 open no window; that answer is kept for that message only.
        let pattern = "(你|您)[\\p{Han}]{0,4}[罚诉拘判刑坐牢扣冻封押抓捕审讯报法收钱期]";
        let m = Matcher::new(&[rule(0, &[], &[pattern])]);
        assert_eq!(m.reaches[0].side, Side::Prefix);
        assert_eq!(m.reaches[0].sets.1 - m.reaches[0].sets.0, 1, "one further set");
        for _ in 0..3 {
            assert!(found(&m, "你好,你吃了吗", &[]).is_empty());
            assert_eq!(found(&m, "你的贷款被冻结", &[]), [(0, "你的贷款被冻".to_string())]);
        }
    }

    #[test]
    fn a_match_across_a_turn_break_neither_counts_nor_hides_the_next_turns_match() {
        // "客户: 那你们会⏎催收: 派人上门催收", normalized: the client's "会" and the next label
        // run into the collector's words. A whole-text search finds "会催收派人上门催收",
        // which nobody said, and then goes on after its end: the collector's own
        // "派人上门催收" was lost with it.
        let rules = [
            rule(0, &[], &["(安排|派|将|会)[\\p{Han}&&[^不没]]{0,4}上门催收"]),
            rule(1, &["你们会催收", "催收"], &[]),
            rule(2, &[], &["(你|您)[\\p{Han}]{0,6}(还钱|还款)"]),
        ];
        let m = Matcher::new(&rules);
        let text = "客户那你们会催收派人上门催收";
        let b = text.find("催收派").unwrap();
        assert!(found(&m, text, &[]).contains(&(0, "会催收派人上门催收".to_string())));
        let got = found(&m, text, &[b]);
        assert!(got.contains(&(0, "派人上门催收".to_string())), "{got:?}");
        assert!(!got.iter().any(|(_, t)| t.contains("会催收")), "{got:?}");
        // A phrase across the break is dropped too, and no longer covers the same rule's
        // shorter phrase inside the next turn.
        let phrases: Vec<&str> = got.iter().filter(|(r, _)| *r == 1).map(|(_, t)| t.as_str()).collect();
        assert_eq!(phrases, ["催收", "催收"], "{got:?}");
        // The search goes on in the next turn after a match of the first, and a break with
        // no match across it changes nothing.
        let text = "客户你先还钱催收你今天还款";
        let b = text.find("催收你").unwrap();
        let want: Vec<(usize, String)> = vec![(2, "你先还钱".into()), (1, "催收".into()), (2, "你今天还款".into())];
        assert_eq!(found(&m, text, &[b]), want);
        assert_eq!(found(&m, text, &[]), want);
        // A match that ends at a break or starts at one stays.
        let text = "派人上门催收客户好的";
        assert_eq!(found(&m, text, &[text.find("客户").unwrap()])[0], (0, "派人上门催收".to_string()));
    }
}
