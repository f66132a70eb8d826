//! An Aho-Corasick automaton over characters rather than bytes, for the matcher's one walk over
//! a message.
//!
//! The matcher's ~28,000 strings (phrases and gate literals) are mostly Chinese: three bytes a
//! character. A byte automaton takes three steps per character, and with that many strings its
//! states after one or two bytes are wide, so the walk spent most of its time loading state
//! headers from a 3 MB table that the CPU caches could not hold. Here each character is one step:
//! it becomes a symbol (its index among the characters the strings use, 0 for any other), the
//! root's transitions are one dense array over symbols, and every other state keeps its
//! transitions as a short sorted list. A text character no string holds sends the walk straight
//! back to the root.
//!
//! The strings are valid UTF-8, as is the text, so a byte-level match always starts and ends on
//! character boundaries: the matches found here are exactly the byte automaton's, every
//! occurrence of every string (the overlapping search of standard semantics).

/// The bit of the pair `(a, b)` in a pair filter of `1 << bits` bits.
#[inline(always)]
fn pair_bit(a: Sym, b: Sym, bits: u32) -> usize {
    ((u32::from(a) << 16 | u32::from(b)).wrapping_mul(0x9E37_79B1) >> (32 - bits)) as usize
}

/// A state that ends strings: which (`outs[outs.0..outs.1]`), and the next shorter state along
/// its suffix links that ends any (its entry in `outputs`, 0 for none).
#[derive(Clone, Copy, Default)]
struct Output {
    outs: (u32, u32),
    shorter: u32,
}

/// Symbols are 16 bits: the embedded lexicons use ~1,650 distinct characters, and a lexicon set
/// with more than 65,535 is refused (the matcher then keeps the byte automaton).
type Sym = u16;

/// Transition lists up to this long are scanned; longer ones are binary searched.
const LINEAR: usize = 12;

/// Set in a walk's state (see [`Walk`]) entered from the root, one symbol deep.
const FIRST: u32 = 1 << 31;
/// Set beside [`FIRST`] when that state ends a string.
const ENDS: u32 = 1 << 30;
/// A state's record offset, below the flags.
const STATE: u32 = ENDS - 1;

pub(crate) struct CharAutomaton {
    /// The symbol of every character of the Basic Multilingual Plane (one load per character,
    /// where a two-level table took two dependent ones), and of the few others, sorted.
    bmp: Box<[Sym; 0x1_0000]>,
    astral: Vec<(u32, Sym)>,
    /// The root's transition on each symbol (0, the root itself, for none), flagged with
    /// [`FIRST`], and [`ENDS`] when the state ends a string (see [`Walk`]). Both tables have a
    /// slot for every value their index can take, so looking up needs no bounds check; the
    /// root's slots past the last symbol are never touched.
    enter: Box<[u32; 0x1_0000]>,
    /// A Bloom filter (one hash) of the symbol pairs `(a, b)` where the state one symbol deep
    /// after `a` has a transition on `b`. On ordinary text most characters start some string
    /// and the next seldom continues it: the filter answers that from a few kilobytes, where
    /// reading the state's record was a cache miss per character (the walk's hottest load on
    /// real SMS).
    pairs: Vec<u64>,
    /// `pairs` has `1 << pair_bits` bits.
    pair_bits: u32,
    /// The states, breadth first, each a record `[len, fail, out, sym × len, next × len]` of
    /// words at its id: transitions sorted by symbol, the longest proper suffix that is a state,
    /// and the nearest state along suffix links (itself included) that ends a string, as its
    /// entry in `outputs` (0 for none). The root is the record at 0.
    w: Vec<u32>,
    outputs: Vec<Output>,
    outs: Vec<u32>,
    /// Each string's length in bytes.
    lens: Vec<u32>,
}

impl CharAutomaton {
    /// Builds the automaton of `strings`, each reported by its index; `None` when one of them is
    /// empty or not UTF-8, or they use too many distinct characters.
    pub(crate) fn new<S: AsRef<[u8]>>(strings: &[S]) -> Option<CharAutomaton> {
        let mut bmp: Box<[Sym; 0x1_0000]> = vec![0; 0x1_0000].into_boxed_slice().try_into().ok()?;
        let mut astral: Vec<(u32, Sym)> = Vec::new();
        let mut n_syms: usize = 1;
        let mut seqs: Vec<Vec<Sym>> = Vec::with_capacity(strings.len());
        let mut lens = Vec::with_capacity(strings.len());
        for s in strings {
            let s = std::str::from_utf8(s.as_ref()).ok().filter(|s| !s.is_empty())?;
            lens.push(u32::try_from(s.len()).ok()?);
            let mut seq = Vec::with_capacity(s.len());
            for c in s.chars() {
                let cp = c as u32;
                let slot = if cp < 0x1_0000 {
                    &mut bmp[cp as usize]
                } else {
                    let i = match astral.binary_search_by_key(&cp, |&(c, _)| c) {
                        Ok(i) => i,
                        Err(i) => {
                            astral.insert(i, (cp, 0));
                            i
                        }
                    };
                    &mut astral[i].1
                };
                if *slot == 0 {
                    *slot = Sym::try_from(n_syms).ok()?;
                    n_syms += 1;
                }
                seq.push(*slot);
            }
            seqs.push(seq);
        }
        // The trie, built in the order of the sorted symbol sequences so that every state's
        // children are created in symbol order, as (parent, symbol, child) edges.
        let mut order: Vec<u32> = (0..seqs.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| seqs[a as usize].cmp(&seqs[b as usize]));
        let mut edges: Vec<(u32, Sym, u32)> = Vec::new();
        let mut ends_at: Vec<u32> = vec![u32::MAX; seqs.len()];
        let mut n_states: u32 = 1;
        // The states along the previous string's path: path[d] is the state after d symbols.
        let mut path: Vec<u32> = vec![0];
        let mut prev: &[Sym] = &[];
        for &i in &order {
            let seq = &seqs[i as usize];
            let common = seq.iter().zip(prev).take_while(|(a, b)| a == b).count();
            path.truncate(common + 1);
            for &sym in &seq[common..] {
                let child = n_states;
                n_states += 1;
                edges.push((*path.last().expect("root"), sym, child));
                path.push(child);
            }
            ends_at[i as usize] = path[seq.len()];
            prev = seq;
        }
        let n = n_states as usize;
        // Edges grouped by parent, in symbol order within each (a stable counting sort).
        let mut first = vec![0u32; n + 1];
        for &(p, _, _) in &edges {
            first[p as usize + 1] += 1;
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut child_sym = vec![(0 as Sym, 0u32); edges.len()];
        for &(p, s, c) in &edges {
            child_sym[fill[p as usize] as usize] = (s, c);
            fill[p as usize] += 1;
        }

        // States renumbered breadth first: the shallow states, which ordinary text visits,
        // lie together, as do their transition lists.
        let mut bfs: Vec<u32> = Vec::with_capacity(n);
        let mut new_id = vec![0u32; n];
        bfs.push(0);
        let mut head = 0;
        while head < bfs.len() {
            let u = bfs[head] as usize;
            head += 1;
            for &(_, c) in &child_sym[first[u] as usize..first[u + 1] as usize] {
                new_id[c as usize] = bfs.len() as u32;
                bfs.push(c);
            }
        }
        // Each state as one record of words, so that a step reads one or two cache lines:
        // `[len, fail, out, sym × len, next × len]`, a state's id being its record's offset.
        // `out` is the state's entry in `outputs` (0: none).
        let mut offset = vec![0u32; n];
        let mut words = 0usize;
        for (id, &old) in bfs.iter().enumerate() {
            offset[id] = u32::try_from(words).ok()?;
            words += 3 + 2 * (first[old as usize + 1] - first[old as usize]) as usize;
        }
        let mut w: Vec<u32> = Vec::with_capacity(words);
        for &old in &bfs {
            let kids = &child_sym[first[old as usize] as usize..first[old as usize + 1] as usize];
            w.extend([kids.len() as u32, 0, 0]);
            w.extend(kids.iter().map(|&(s, _)| u32::from(s)));
            w.extend(kids.iter().map(|&(_, c)| offset[new_id[c as usize] as usize]));
        }
        let root_len = w[0] as usize;

        // The strings each state ends, grouped by state, in `outs`; `outputs[k]` is the range of
        // the k-th state that ends any, and the next shorter such state along suffix links.
        let mut per_state: Vec<(u32, u32)> =
            ends_at.iter().enumerate().map(|(i, &s)| (offset[new_id[s as usize] as usize], i as u32)).collect();
        per_state.sort_unstable();
        let outs: Vec<u32> = per_state.iter().map(|&(_, i)| i).collect();
        let mut outputs = vec![Output::default()];
        let mut k = 0;
        while k < per_state.len() {
            let s = per_state[k].0 as usize;
            let from = k;
            while k < per_state.len() && per_state[k].0 as usize == s {
                k += 1;
            }
            w[s + 2] = outputs.len() as u32;
            outputs.push(Output { outs: (from as u32, k as u32), shorter: 0 });
        }

        // Every state's offset must leave the flag bits free.
        if w.len() > STATE as usize {
            return None;
        }
        // About eight bits per pair: one in nine absent pairs passes.
        let n_pairs: usize = (0..root_len).map(|i| w[w[3 + root_len + i] as usize] as usize).sum();
        let pair_bits = (n_pairs * 8).next_power_of_two().max(1 << 12).trailing_zeros();
        let mut pairs = vec![0u64; (1usize << pair_bits) / 64];
        let mut enter: Box<[u32; 0x1_0000]> = vec![0; 0x1_0000].into_boxed_slice().try_into().ok()?;
        for i in 0..root_len {
            let (a, v) = (w[3 + i], w[3 + root_len + i]);
            let len = w[v as usize] as usize;
            for &b in &w[v as usize + 3..v as usize + 3 + len] {
                let bit = pair_bit(a as Sym, b as Sym, pair_bits);
                pairs[bit / 64] |= 1 << (bit % 64);
            }
            // A state one symbol deep has no shorter suffix than the root, which ends nothing: it
            // ends a string only of its own, and `out` already says whether it does.
            enter[a as usize] = v | FIRST | if w[v as usize + 2] != 0 { ENDS } else { 0 };
        }

        let mut a = CharAutomaton { bmp, astral, enter, pairs, pair_bits, w, outputs, outs, lens };
        // Suffix links, breadth first (records are in that order): a state's is found from its
        // parent's, which is shallower.
        for &u in &offset {
            let u = u as usize;
            let (len, fail) = (a.w[u] as usize, a.w[u + 1]);
            for i in 0..len {
                let (sym, v) = (a.w[u + 3 + i] as Sym, a.w[u + 3 + len + i] as usize);
                let f = if u == 0 { 0 } else { a.step(fail, sym) } as usize;
                a.w[v + 1] = f as u32;
                let shorter = a.w[f + 2];
                match a.w[v + 2] {
                    0 => a.w[v + 2] = shorter,
                    own => a.outputs[own as usize].shorter = shorter,
                }
            }
        }
        Some(a)
    }

    /// Whether the state one symbol deep after `a` may have a transition on `b` (no when the
    /// pair filter says so).
    #[inline(always)]
    fn pair_may(&self, a: Sym, b: Sym) -> bool {
        let bit = pair_bit(a, b, self.pair_bits);
        self.pairs[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// The state after `sym` from state `s`, following suffix links down to the root.
    fn step(&self, s: u32, sym: Sym) -> u32 {
        self.walk_step(s, sym) & STATE
    }

    /// [`CharAutomaton::step`] for a walk: a state reached through the root comes flagged
    /// (see [`Walk`]).
    #[inline(always)]
    fn walk_step(&self, mut s: u32, sym: Sym) -> u32 {
        let sym32 = u32::from(sym);
        while s != 0 {
            let at = s as usize;
            let len = self.w[at] as usize;
            let syms = &self.w[at + 3..at + 3 + len];
            let found =
                if len <= LINEAR { syms.iter().position(|&x| x == sym32) } else { syms.binary_search(&sym32).ok() };
            if let Some(i) = found {
                return self.w[at + 3 + len + i];
            }
            s = self.w[at + 1];
        }
        self.enter[usize::from(sym)]
    }

    /// The symbol of a character outside ASCII and the BMP.
    #[cold]
    fn astral(&self, cp: u32) -> Sym {
        self.astral.binary_search_by_key(&cp, |&(c, _)| c).map_or(0, |i| self.astral[i].1)
    }

    /// Calls `f(string, start, end)` for every occurrence of every string in `text`, by end, and
    /// `each_char(c)` with every character of `text` (as a code point) on the way: the walk decodes
    /// them anyway, and a caller that needs a digest of the characters (the matcher's character
    /// filter) would otherwise decode the text a second time.
    #[inline]
    pub(crate) fn for_each_match(
        &self,
        text: &str,
        mut each_char: impl FnMut(u32),
        mut f: impl FnMut(usize, usize, usize),
    ) {
        let mut walk = self.walk();
        let mut rest = text.as_bytes();
        let mut end = 0;
        loop {
            // Slice patterns check the length once per character; the text is UTF-8.
            let (cp, len) = match *rest {
                [b, ..] if b < 0x80 => (u32::from(b), 1),
                [b0 @ 0xE0..=0xEF, b1, b2, ..] => {
                    (u32::from(b0 & 0x0F) << 12 | u32::from(b1 & 0x3F) << 6 | u32::from(b2 & 0x3F), 3)
                }
                [b0, b1, ..] if b0 < 0xE0 => (u32::from(b0 & 0x1F) << 6 | u32::from(b1 & 0x3F), 2),
                [b0, b1, b2, b3, ..] => {
                    let cp = u32::from(b0 & 0x07) << 18
                        | u32::from(b1 & 0x3F) << 12
                        | u32::from(b2 & 0x3F) << 6
                        | u32::from(b3 & 0x3F);
                    (cp, 4)
                }
                _ => break,
            };
            rest = &rest[len..];
            end += len;
            each_char(cp);
            walk.feed(cp, end, &mut f);
        }
    }

    /// A walk over text that someone else decodes, one character at a time (see [`Walk`]).
    pub(crate) fn walk(&self) -> Walk<'_> {
        Walk { a: self, s: 0, last: 0 }
    }
}

/// A walk of the automaton fed one character at a time, for a caller that decodes (or makes)
/// the text itself: the matcher feeds the characters of a message as normalization writes
/// them, rather than decoding the normalized text again.
pub(crate) struct Walk<'a> {
    a: &'a CharAutomaton,
    /// The state's record offset, flagged with [`FIRST`] (and [`ENDS`]) for a state one symbol
    /// deep, whose record the walk reads only when the pair filter lets the next symbol through.
    s: u32,
    /// The last symbol fed.
    last: Sym,
}

impl Walk<'_> {
    /// Feeds the character with code point `cp`, which ends at byte `end` of the text, and calls
    /// `f(string, start, end)` for every string that ends with it.
    #[inline(always)]
    pub(crate) fn feed(&mut self, cp: u32, end: usize, f: &mut impl FnMut(usize, usize, usize)) {
        let a = self.a;
        let sym = match u16::try_from(cp) {
            Ok(c) => a.bmp[usize::from(c)],
            Err(_) => a.astral(cp),
        };
        if sym == 0 {
            self.s = 0;
            return;
        }
        let s = self.s;
        let last = std::mem::replace(&mut self.last, sym);
        // A state one symbol deep falls back to the root (its suffix link) on a symbol it has no
        // transition on: the pair filter usually says so without its record.
        let next = if s & FIRST != 0 && !a.pair_may(last, sym) {
            a.enter[usize::from(sym)]
        } else {
            a.walk_step(s & STATE, sym)
        };
        self.s = next;
        let mut k = if next & FIRST == 0 {
            a.w[next as usize + 2]
        } else if next & ENDS != 0 {
            a.w[(next & STATE) as usize + 2]
        } else {
            0
        };
        while k != 0 {
            let Output { outs: (from, to), shorter } = a.outputs[k as usize];
            for &p in &a.outs[from as usize..to as usize] {
                f(p as usize, end - a.lens[p as usize] as usize, end);
            }
            k = shorter;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, MatchKind};

    fn all(a: &CharAutomaton, text: &str) -> Vec<(usize, usize, usize)> {
        let mut v = Vec::new();
        a.for_each_match(text, |_| {}, |p, s, e| v.push((p, s, e)));
        v.sort_unstable();
        v
    }

    fn reference(strings: &[&str], text: &str) -> Vec<(usize, usize, usize)> {
        let ac = AhoCorasick::builder().match_kind(MatchKind::Standard).build(strings).unwrap();
        let mut v: Vec<_> =
            ac.find_overlapping_iter(text).map(|m| (m.pattern().as_usize(), m.start(), m.end())).collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn finds_every_occurrence_the_byte_automaton_finds() {
        // Shared prefixes, strings inside strings, a string twice, ASCII and four-byte characters,
        // and a child list long enough to be binary searched.
        let mut strings: Vec<String> = [
            "上门",
            "上门催收",
            "门催",
            "催收",
            "收",
            "你们",
            "你们会催收",
            "20",
            "2024",
            "024年",
            "𠮶",
            "佢𠮶度",
            "上门",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        strings.extend("一二三四五六七八九十百千万亿零壹贰叁肆伍陆柒捌玖".chars().map(|c| format!("上{c}")));
        let strings: Vec<&str> = strings.iter().map(String::as_str).collect();
        let a = CharAutomaton::new(&strings).unwrap();
        for text in [
            "",
            "上门催收",
            "你们会催收派人上门催收收",
            "2024年上门,20240年",
            "佢𠮶度上上门门催",
            "上九上亿上零上x上",
            "é上门ü催收",
            "上\u{10000}门",
        ] {
            assert_eq!(all(&a, text), reference(&strings, text), "{text}");
        }
    }

    #[test]
    fn random_string_sets_match_like_the_byte_automaton() {
        // Small alphabets of one- to four-byte characters make strings overlap, share prefixes
        // and suffixes and repeat, which is where suffix links go wrong.
        let alphabet = ["a", "b", "上", "门", "催", "é", "𠮶"];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rand = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        for _ in 0..200 {
            let n_strings = 1 + rand(40);
            let strings: Vec<String> =
                (0..n_strings).map(|_| (0..1 + rand(4)).map(|_| alphabet[rand(alphabet.len())]).collect()).collect();
            let strings: Vec<&str> = strings.iter().map(String::as_str).collect();
            let a = CharAutomaton::new(&strings).unwrap();
            for _ in 0..10 {
                let text: String = (0..rand(30)).map(|_| alphabet[rand(alphabet.len())]).collect();
                assert_eq!(all(&a, &text), reference(&strings, &text), "{strings:?} in {text}");
            }
        }
    }

    #[test]
    fn refuses_what_it_cannot_hold() {
        assert!(CharAutomaton::new(&[b"ok".as_slice(), b""]).is_none());
        assert!(CharAutomaton::new(&[b"ok".as_slice(), b"\xE4\xBD"]).is_none());
        let many: Vec<String> = (0x4E00..0x4E00 + 70_000u32).filter_map(char::from_u32).map(String::from).collect();
        assert!(CharAutomaton::new(&many).is_none(), "more distinct characters than symbols");
    }
}
