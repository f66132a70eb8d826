//! What the matcher needs to know about a regex pattern, derived once from its text: the
//! literals that gate it, where they stand in a match, its longest match, and the further
//! literal sets a window must hold before the pattern runs.
//!
//! This file has no dependency on the rest of the crate: `build.rs` includes it to plan the
//! embedded lexicons' patterns at compile time, so loading the default lexicons parses none of
//! them (parsing and literal extraction were most of a classifier's build time). A pattern with
//! no plan in that table (a user lexicon's, or one whose Traditional characters simplification
//! changes) is parsed and planned when its lexicon loads, by the same functions.

use regex_syntax::hir::{Hir, HirKind};
use std::borrow::Cow;
use std::sync::OnceLock;

/// Gate literal sets larger than this are not worth an automaton entry each.
const MAX_GATE: usize = 120;

/// How many further required literal sets a pattern's windows are checked against, and how
/// many literals such a set may hold. The matcher checks each first against a bloom filter of
/// the message's characters (a few instructions) and then looks for it in the window with one
/// SIMD pass, either of which costs a fraction of running the regex: a regex run touches its
/// own lazy DFA and cache, which ordinary traffic keeps out of the CPU caches. With two sets
/// of at most 8 literals, a third of the windows on ordinary SMS still ran their regex, mostly
/// patterns whose other parts are alternations of 9 to 40 words. 64 is what one SIMD (Teddy)
/// searcher holds.
const MAX_ALSO: usize = 4;
const MAX_ALSO_LITERALS: usize = 64;

/// The most characters a pattern's matches may start with for the matcher to try them one by
/// one (see [`Plan::starts`]).
const MAX_STARTS: usize = 16;

/// A literal set: one of these byte strings occurs in every match.
pub(crate) type Literals = Vec<Cow<'static, [u8]>>;

/// Where in every match of a pattern its gate literal stands, which bounds the window a gate
/// occurrence at `s..e` leaves for a match of at most `L` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// Every match starts with a gate literal: `s..s+L`.
    Prefix,
    /// Every match ends with one: `e-L..e`.
    Suffix,
    /// Every match holds one somewhere: `e-L..s+L`.
    Inner,
    /// Every match is one character (or the text's start) and then a gate literal: a pattern
    /// that opens with a look-behind written as a character, `(?:^|[^们司])(催收|讨债)…`, which
    /// reads "催收 not after 们 or 司". Its matches start at the character before a gate
    /// occurrence, or at the start of the text when the occurrence is there: `s-1..s+L`.
    Lead,
}

impl Side {
    /// Whether every match starts at the start of the window a gate occurrence opens (the
    /// occurrence, or the character before it), so the pattern can run anchored from there.
    pub(crate) fn starts_at_gate(self) -> bool {
        matches!(self, Side::Prefix | Side::Lead)
    }
}

/// A pattern's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The longest match in bytes, of the pattern with its repetitions bounded (see [`bounded`]).
    pub max_len: usize,
    /// The shortest match in bytes.
    pub min_len: usize,
    /// Every match starts at the start of the text (`^…`).
    pub anchored: bool,
    /// Every match is ASCII (an ID or card number): it lies in the run of ASCII around its gate.
    pub ascii: bool,
    /// Where the gate literals stand (`Inner` when there is no gate).
    pub side: Side,
    /// Literals one of which every match holds, or `None`: the pattern runs over every text.
    pub gate: Option<Literals>,
    /// Further literal sets (besides the gate), rarest first, every match holds one literal of.
    pub also: Vec<Literals>,
    /// The characters every match starts with one of, sorted, when there are few (at most
    /// [`MAX_STARTS`]): "(你|您)…(坐牢|判刑)" starts with 你 or 您. A pattern gated after its
    /// start runs anchored from each of them in its window rather than unanchored over it.
    pub starts: Option<String>,
}

/// A plan as `build.rs` writes it for the embedded patterns.
#[allow(dead_code)]
pub(crate) struct StaticPlan {
    pub max_len: usize,
    pub min_len: usize,
    pub anchored: bool,
    pub ascii: bool,
    pub side: Side,
    pub gate: Option<&'static [&'static [u8]]>,
    pub also: &'static [&'static [&'static [u8]]],
    pub starts: Option<&'static str>,
}

#[allow(dead_code)]
impl StaticPlan {
    pub(crate) fn to_plan(&self) -> Plan {
        let lits = |set: &'static [&'static [u8]]| set.iter().map(|l| Cow::Borrowed(*l)).collect();
        Plan {
            max_len: self.max_len,
            min_len: self.min_len,
            anchored: self.anchored,
            ascii: self.ascii,
            side: self.side,
            gate: self.gate.map(lits),
            also: self.also.iter().map(|set| lits(set)).collect(),
            starts: self.starts.map(str::to_string),
        }
    }
}

/// Parses a pattern (already simplified) the way the lexicon loader does; the error is the
/// parser's message.
pub(crate) fn parse(source: &str) -> Result<Hir, String> {
    regex_syntax::ParserBuilder::new().build().parse(source).map_err(|e| e.to_string())
}

/// The HIR the matcher compiles for a parsed pattern: classes narrowed, repetitions bounded.
pub(crate) fn prepare(hir: Hir) -> Hir {
    bounded(narrow(hir))
}

/// Plans a parsed pattern.
pub(crate) fn plan(hir: Hir) -> Plan {
    let hir = prepare(hir);
    let max_len = hir.properties().maximum_len().expect("bounded patterns have a longest match");
    let min_len = hir.properties().minimum_len().unwrap_or(0);
    let anchored = hir.properties().look_set_prefix().contains(regex_syntax::hir::Look::Start);
    let ascii = ascii_only(&hir);
    let starts = first_chars(&hir).and_then(|(set, empty)| (!empty).then(|| set.into_iter().collect()));
    let Some((gate, side)) = gate_literals(&hir) else {
        return Plan { max_len, min_len, anchored, ascii, side: Side::Inner, gate: None, also: Vec::new(), starts };
    };
    // The parts other than the gate, rarest first: "(你|您)的?(儿子|女儿)" gated on
    // 儿子|女儿 also needs a 你 or 您 in its window before it runs.
    let mut also: Vec<Vec<Vec<u8>>> =
        required_parts(&hir).into_iter().filter(|a| a.len() <= MAX_ALSO_LITERALS && !implied(a, &gate)).collect();
    also.sort_by(|a, b| cost(a).total_cmp(&cost(b)));
    also.truncate(MAX_ALSO);
    let owned = |set: Vec<Vec<u8>>| set.into_iter().map(Cow::Owned).collect();
    Plan {
        max_len,
        min_len,
        anchored,
        ascii,
        side,
        gate: Some(owned(gate)),
        also: also.into_iter().map(owned).collect(),
        starts,
    }
}

/// The characters a non-empty match of `hir` may start with, and whether it may match the
/// empty string; `None` when they are more than [`MAX_STARTS`] or not known (a byte class).
/// Zero-width assertions start nothing: `^(各位|老婆)` starts with 各 or 老.
fn first_chars(hir: &Hir) -> Option<(std::collections::BTreeSet<char>, bool)> {
    use regex_syntax::hir::Class;
    let mut set = std::collections::BTreeSet::new();
    let empty = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(l) => {
            set.insert(std::str::from_utf8(&l.0).ok()?.chars().next()?);
            false
        }
        HirKind::Class(Class::Unicode(c)) => {
            let n: usize = c.ranges().iter().map(|r| r.len()).sum();
            if n > MAX_STARTS {
                return None;
            }
            set.extend(c.ranges().iter().flat_map(|r| r.start()..=r.end()));
            false
        }
        HirKind::Class(Class::Bytes(_)) => return None,
        HirKind::Capture(c) => return first_chars(&c.sub),
        HirKind::Repetition(r) => {
            let (sub, empty) = first_chars(&r.sub)?;
            return Some((sub, empty || r.min == 0));
        }
        HirKind::Concat(parts) => {
            let mut empty = true;
            for part in parts {
                let (sub, e) = first_chars(part)?;
                set.extend(sub);
                if !e {
                    empty = false;
                    break;
                }
            }
            empty
        }
        HirKind::Alternation(alts) => {
            let mut empty = false;
            for a in alts {
                let (sub, e) = first_chars(a)?;
                set.extend(sub);
                empty |= e;
            }
            empty
        }
    };
    (set.len() <= MAX_STARTS).then_some((set, empty))
}

/// Whether every byte `hir` can match is ASCII.
fn ascii_only(hir: &Hir) -> bool {
    use regex_syntax::hir::Class;
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(l) => l.0.is_ascii(),
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().all(|r| r.end().is_ascii()),
        HirKind::Class(Class::Bytes(c)) => c.ranges().iter().all(|r| r.end().is_ascii()),
        HirKind::Repetition(r) => ascii_only(&r.sub),
        HirKind::Capture(c) => ascii_only(&c.sub),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => hs.iter().all(ascii_only),
    }
}

/// `gate` without the literals another literal of it already stands for: one that starts with
/// another (a prefix gate), ends with another (a suffix gate) or holds another (an inner gate).
/// Every occurrence of such a literal holds an occurrence of the other that opens the same
/// window (or, inside, one that also holds the match), so the windows are unchanged and the
/// automaton neither holds nor reports it. Prefix and suffix sets are cross products of a
/// pattern's alternations, optional parts giving both `AB…` and `A…`.
fn drop_redundant(gate: Vec<Vec<u8>>, side: Side) -> Vec<Vec<u8>> {
    let covers = |a: &[u8], b: &[u8]| {
        a.len() < b.len()
            && match side {
                Side::Prefix | Side::Lead => b.starts_with(a),
                Side::Suffix => b.ends_with(a),
                Side::Inner => b.windows(a.len()).any(|w| w == a),
            }
    };
    let keep: Vec<bool> = gate.iter().map(|b| !gate.iter().any(|a| covers(a, b))).collect();
    gate.into_iter().zip(keep).filter_map(|(l, k)| k.then_some(l)).collect()
}

/// Literals one of which every match of `hir` contains, and where, or `None`.
///
/// Tries the prefix and suffix sets of the whole pattern and the required set of each part of
/// it, and keeps the one expected to open the fewest windows for the smallest automaton (see
/// [`cost`]): `(你|您)…{0,8}(坐牢|判刑)` is gated on `坐牢|判刑`, not on `你|您`, which nearly
/// every message holds.
pub(crate) fn gate_literals(hir: &Hir) -> Option<(Vec<Vec<u8>>, Side)> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let mut candidates: Vec<(Vec<Vec<u8>>, Side)> = Vec::new();
    // A leading character class has no prefix literals worth a gate, but what follows it may.
    let rest = after_lead(hir);
    let prefix = match &rest {
        Some(rest) => (ExtractKind::Prefix, Side::Lead, rest),
        None => (ExtractKind::Prefix, Side::Prefix, hir),
    };
    for (kind, side, hir) in [prefix, (ExtractKind::Suffix, Side::Suffix, hir)] {
        let mut ex = Extractor::new();
        ex.kind(kind).limit_total(MAX_GATE).limit_class(20);
        if let Some(lits) = ex.extract(hir).literals() {
            let mut set: Vec<Vec<u8>> = Vec::with_capacity(lits.len());
            for l in lits {
                let l = whole_chars(l.as_bytes(), side);
                if !set.iter().any(|s| s == l) {
                    set.push(l.to_vec());
                }
            }
            candidates.push((drop_redundant(set, side), side));
        }
    }
    candidates.extend(required_parts(hir).into_iter().map(|r| (r, Side::Inner)));
    // On equal cost the earlier candidate wins: a prefix or suffix gate leaves half the window.
    let score = |(c, side): &(Vec<Vec<u8>>, Side)| cost(c) * if *side == Side::Inner { 1.25 } else { 1.0 };
    candidates.into_iter().filter(|(c, _)| usable(c)).fold(None, |best: Option<(Vec<Vec<u8>>, Side)>, c| match best {
        Some(b) if score(&b) <= score(&c) => Some(b),
        _ => Some(c),
    })
}

/// What follows a pattern's leading `(?:^|[class])`, the one shape of look-behind the lexicons
/// write (the regex crate has none), or `None` when it does not open that way.
fn after_lead(hir: &Hir) -> Option<Hir> {
    use regex_syntax::hir::Look;
    let HirKind::Concat(parts) = hir.kind() else { return None };
    let HirKind::Alternation(lead) = parts.first()?.kind() else { return None };
    match lead.as_slice() {
        [start, class]
            if matches!(start.kind(), HirKind::Look(Look::Start)) && matches!(class.kind(), HirKind::Class(_)) =>
        {
            Some(Hir::concat(parts[1..].to_vec()))
        }
        _ => None,
    }
}

/// `lit` without the partial character the extractor leaves when it shortens a literal to stay
/// within its limits ("这" plus the first byte of the next character): the automaton would report
/// it as often as the whole character, and the gate's rarity would be overrated. A prefix keeps
/// its start and a suffix its end, so the windows they open do not move.
fn whole_chars(lit: &[u8], side: Side) -> &[u8] {
    let starts_char = |b: u8| (b as i8) >= -0x40;
    match side {
        Side::Suffix => {
            let skip = lit.iter().take_while(|&&b| !starts_char(b)).count();
            &lit[skip..]
        }
        _ => {
            let mut end = lit.len();
            while let Some(start) = lit[..end].iter().rposition(|&b| starts_char(b)) {
                let need = match lit[start] {
                    b if b < 0x80 => 1,
                    b if b >= 0xF0 => 4,
                    b if b >= 0xE0 => 3,
                    _ => 2,
                };
                if start + need <= end {
                    break;
                }
                end = start;
            }
            &lit[..end]
        }
    }
}

/// `hir` with its character classes made cheap to compile without changing what they match in
/// normalized text. Unicode's `\d` spans dozens of scripts, but normalization folds full-width
/// digits to ASCII and no other digits occur in Chinese text, so only ASCII digits are kept.
/// `\p{Han}` is dozens of ranges, many in four-byte UTF-8; a class holding it gets the Han
/// blocks whole instead (gaps of unassigned code points filled, Extensions B-H as planes 2-3),
/// less what the class excludes. Planes 1 and 4-16 hold no Han and no text a message keeps.
/// Compiled, the classes as written made each pattern's automata and caches two to ten times
/// larger, and every pattern and per-thread cache carried that weight.
pub(crate) fn narrow(hir: Hir) -> Hir {
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

/// True when every literal of `gate` holds one of `set`: a window opened by the gate holds one
/// of them too, so checking for them is wasted.
fn implied(set: &[Vec<u8>], gate: &[Vec<u8>]) -> bool {
    gate.iter().all(|g| set.iter().any(|l| g.windows(l.len()).any(|w| w == l.as_slice())))
}

/// A gate set every literal of which is at least two bytes long, and not too many of them.
fn usable(lits: &[Vec<u8>]) -> bool {
    !lits.is_empty() && lits.len() <= MAX_GATE && lits.iter().all(|l| l.len() >= 2)
}

/// Characters so common in ordinary Chinese text (and in everyday SMS) that a gate made of one
/// of them alone would open a window in most messages.
const COMMON: &str = "的一是不了人我在有他这中大来上个们到说为和你地出道也时年得就那要下以生会自着去之过家\
    对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老\
    从动两长知民样现分将外但身些与高意进把法此实回二理点月明其种全工己话儿者向情部正名定女问力机给等几很业\
    最间新什打便位因重被走电四第门相次东口使再平真听信少关并内加化由却代产入先五万市体别处总才场书比住员九\
    通目报立马命活难数件安表原车白应路期叫常提感金何更反合放做系计或司利受果亲及今务制解各任至清物台记边共\
    干接许八特觉望直服题度色字请交爱让认算论百吃义怎元社结六指思每管连带快条变联言往展该领传近留红决周保达\
    办运半候七必父步完区即求品转量空轻程告语式息写呢识极令收钱未持取设始双越千片容像找友孩站改议形早房音际\
    则首单据导失拿网若弟谁校读包组视喜离讲您啊吗吧呀哦嗯块号欠款借贷逾催哈呵嘛喔啦";

/// The expected number of occurrences per message of a literal set's literals, roughly, plus a
/// little for each literal (every one makes the automaton larger and its walk slower): lower is
/// a better gate. One common character occurs in most messages, another lone character in a
/// few percent, two characters that are not both common in a fraction of one, longer literals
/// hardly ever. ASCII runs ("20", "ps") are dates, prices and codes in ordinary traffic.
fn cost(lits: &[Vec<u8>]) -> f64 {
    let common = |c: char| COMMON.contains(c);
    lits.iter()
        .map(|l| {
            let s = String::from_utf8_lossy(l);
            let n = s.chars().count();
            let per = if s.is_ascii() {
                match n {
                    0..=2 => 0.05,
                    3 => 0.01,
                    _ => 0.002,
                }
            } else {
                let k = s.chars().filter(|&c| common(c)).count();
                match (n, k) {
                    (1, 1) => 0.5,
                    (1, _) => 0.05,
                    (2, 2) => 0.02,
                    (2, 1) => 0.005,
                    (2, _) => 0.002,
                    (3, _) => 0.0005,
                    _ => 0.0001,
                }
            };
            per + 0.0002
        })
        .sum()
}

/// Every usable required literal set of `hir`'s parts (of the whole, when it is not a
/// concatenation): a match holds one literal of each.
fn required_parts(hir: &Hir) -> Vec<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Capture(c) => required_parts(&c.sub),
        HirKind::Concat(parts) => {
            parts.iter().filter_map(required).map(|c| drop_redundant(c, Side::Inner)).filter(|c| usable(c)).collect()
        }
        _ => required(hir).map(|c| drop_redundant(c, Side::Inner)).filter(|c| usable(c)).into_iter().collect(),
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
        HirKind::Concat(parts) => {
            parts.iter().filter_map(required).filter(|c| usable(c)).min_by(|a, b| cost(a).total_cmp(&cost(b)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_character_look_behind_gates_on_what_follows_it() {
        // The class before the words has no literal worth a gate; the words after it do, and
        // every match starts one character before them (or at the text's start).
        let p = plan(parse("(?:^|[^们司])(催收|讨债)公司").unwrap());
        assert_eq!(p.side, Side::Lead);
        let mut gate: Vec<String> = p.gate.unwrap().iter().map(|l| String::from_utf8(l.to_vec()).unwrap()).collect();
        gate.sort();
        assert_eq!(gate, ["催收公司", "讨债公司"]);
        // Without the look-behind, or with something else in front, the words are a prefix or
        // an inner gate as before.
        assert_eq!(plan(parse("(催收|讨债)公司").unwrap()).side, Side::Prefix);
        assert_ne!(plan(parse("(?:^|[^们司]|们)(催收|讨债)公司").unwrap()).side, Side::Lead);
    }

    #[test]
    fn windows_also_need_the_other_alternations_of_a_pattern() {
        // Gated on the rarer prefix alternation; the nine-word suffix alternation is checked in
        // the window before the regex runs (with at most eight words a set was left out).
        let p = plan(parse("(警察|差人|警方)[\\p{Han}]{0,6}(拉你|拉人|捉你|拘提|带人|带你走|抓人|铐人|铐你)").unwrap());
        assert_eq!(p.side, Side::Prefix);
        assert_eq!(p.gate.unwrap().len(), 3);
        let also: Vec<Vec<String>> =
            p.also.iter().map(|set| set.iter().map(|l| String::from_utf8(l.to_vec()).unwrap()).collect()).collect();
        assert_eq!(also.len(), 1);
        assert_eq!(also[0].len(), 9);
        assert!(also[0].contains(&"带你走".to_string()));
    }

    #[test]
    fn matches_start_with_the_first_characters_of_their_first_required_part() {
        let starts = |p: &str| plan(parse(p).unwrap()).starts;
        assert_eq!(starts("(你|您)[\\p{Han}]{0,8}(坐牢|判刑)").as_deref(), Some("你您"));
        assert_eq!(starts("^(各位|老婆)[\\p{Han}]").as_deref(), Some("各老"));
        // An optional part adds what follows it; a class adds its characters when few.
        assert_eq!(starts("(不还|再不)?[上下]门").as_deref(), Some("上下不再"));
        assert_eq!(starts("(?:你的)*(儿子|女儿)").as_deref(), Some("你儿女"));
        // Too many to try one by one: the pattern runs over its window unanchored.
        assert_eq!(starts("[\\p{Han}]{0,3}(各位)$"), None);
        assert_eq!(starts("[a-z]{3}通讯录"), None);
    }

    #[test]
    fn shortened_literals_keep_whole_characters_on_the_side_that_opens_the_window() {
        let zhe_ge = "这个".as_bytes();
        assert_eq!(whole_chars(&zhe_ge[..4], Side::Prefix), "这".as_bytes());
        assert_eq!(whole_chars(&zhe_ge[..6], Side::Prefix), zhe_ge);
        assert_eq!(whole_chars(&zhe_ge[2..], Side::Suffix), "个".as_bytes());
        assert_eq!(whole_chars(b"ab", Side::Inner), b"ab");
        assert!(whole_chars(&zhe_ge[..2], Side::Prefix).is_empty());
    }
}
