//! Folds a message into the form the matcher reads, keeping a map back to the input.
//!
//! Collectors disguise phrases to slip past filters (`上*门`, `通 讯 录`, `ＴＸＬ`, Traditional
//! characters), so matching happens on a folded copy: half-width, lower case, Simplified, with
//! separators dropped. Every normalized character remembers the input bytes it came from, so a
//! citation can point at the original text, disguise included.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The folded text and its map back to the input.
#[derive(Debug, Default, Clone)]
pub struct Normalized {
    /// The folded text.
    pub text: String,
    /// For every byte of `text`, the input byte where its character started.
    src_start: Vec<u32>,
    /// For every byte of `text`, the input byte where its character ended.
    src_end: Vec<u32>,
    /// Normalized byte offsets where a clause break (`,。！？；` or a line end) was dropped.
    breaks: Vec<u32>,
}

impl Normalized {
    /// Maps a normalized byte range to the input byte range it came from.
    ///
    /// ```
    /// let n = cuishou::normalize("明天上*门");
    /// assert_eq!(n.text, "明天上门");
    /// let (s, e) = n.to_input(6, 12);
    /// assert_eq!(&"明天上*门"[s..e], "上*门");
    /// ```
    pub fn to_input(&self, start: usize, end: usize) -> (usize, usize) {
        debug_assert!(start < end && end <= self.text.len());
        (self.src_start[start] as usize, self.src_end[end - 1] as usize)
    }

    /// The normalized byte offset where the clause holding `pos` begins.
    pub fn clause_start(&self, pos: usize) -> usize {
        let i = self.breaks.partition_point(|&b| b as usize <= pos);
        if i == 0 {
            0
        } else {
            self.breaks[i - 1] as usize
        }
    }

    /// The normalized byte offset where the input from byte `input_byte` on begins.
    pub(crate) fn input_to_normalized(&self, input_byte: usize) -> usize {
        self.src_start.partition_point(|&b| (b as usize) < input_byte)
    }

    /// Normalized byte offsets of the clause breaks, in order.
    pub(crate) fn breaks(&self) -> impl Iterator<Item = usize> + '_ {
        self.breaks.iter().map(|&b| b as usize)
    }

    fn clear(&mut self) {
        self.text.clear();
        self.src_start.clear();
        self.src_end.clear();
        self.breaks.clear();
    }

    #[inline]
    fn push(&mut self, c: char, from: usize, to: usize) {
        self.text.push(c);
        self.map_bytes(c.len_utf8(), from as u32, to as u32);
    }

    /// Records that the last `len` bytes of `text` came from input bytes `f..t`.
    #[inline(always)]
    fn map_bytes(&mut self, len: usize, f: u32, t: u32) {
        // Fixed-size copies compile to plain stores; a per-byte loop or a variable-length
        // slice (a memmove call) costs several times more on the hot path.
        match len {
            1 => {
                self.src_start.push(f);
                self.src_end.push(t);
            }
            2 => {
                self.src_start.extend_from_slice(&[f; 2]);
                self.src_end.extend_from_slice(&[t; 2]);
            }
            3 => {
                self.src_start.extend_from_slice(&[f; 3]);
                self.src_end.extend_from_slice(&[t; 3]);
            }
            _ => {
                self.src_start.extend_from_slice(&[f; 4]);
                self.src_end.extend_from_slice(&[t; 4]);
            }
        }
    }
}

/// Normalizes `input` into a fresh [`Normalized`].
///
/// ```
/// let n = cuishou::normalize("聯繫ＴＸＬ 通 讯 录,上*门");
/// assert_eq!(n.text, "联系txl通讯录上门");
/// ```
pub fn normalize(input: &str) -> Normalized {
    let mut out = Normalized::default();
    normalize_into(input, &mut out);
    out
}

/// Normalizes `input` into `out`, reusing its buffers (the hot path allocates nothing once warm).
pub fn normalize_into(input: &str, out: &mut Normalized) {
    out.clear();
    // Folding rarely lengthens text, so this is almost always the only growth.
    out.text.reserve(input.len());
    out.src_start.reserve(input.len());
    out.src_end.reserve(input.len());
    fold(input, out);
}

/// Normalizes `input` into `text` only, without the offset map or clause breaks: the same text
/// as [`normalize_into`] at a fraction of the cost, for deciding whether anything matches at all.
///
/// ```
/// let mut text = String::new();
/// cuishou::normalize_text_into("聯繫ＴＸＬ 通 讯 录,上*门", &mut text);
/// assert_eq!(text, cuishou::normalize("聯繫ＴＸＬ 通 讯 录,上*门").text);
/// ```
pub fn normalize_text_into(input: &str, text: &mut String) {
    text.clear();
    text.reserve(input.len());
    fold(input, text);
}

/// Sees every character of a folded text as it is written (see [`normalize_text_observed`]).
pub(crate) trait Observer {
    /// The next character, `c` (a code point), ends at byte `end` of the folded text.
    fn char(&mut self, c: u32, end: usize);
}

/// Normalizes `input` into `text` like [`normalize_text_into`], and shows `each` every character
/// of the folded text in order as it is written: the matcher's automaton walks the folded text
/// this way, in the same pass, rather than decoding it again afterwards. (An observer rather
/// than a closure: its method is inlined into the fold, where a closure was called per character.)
pub(crate) fn normalize_text_observed(input: &str, text: &mut String, each: &mut impl Observer) {
    text.clear();
    text.reserve(input.len());
    fold(input, &mut Observed { text, each });
}

/// Where folded characters go: the full [`Normalized`] or just its text. One folding routine
/// serves both, so the two can never disagree about the text.
trait Sink {
    fn text(&self) -> &str;
    fn push(&mut self, c: char, from: usize, to: usize);
    /// Appends `input[from..to]`, every character of which folds to itself.
    fn push_run(&mut self, input: &str, from: usize, to: usize);
    fn clause_break(&mut self);
    /// The character `cp`, which ends at input byte `end`, folds to itself and joins the pending
    /// run of such characters, which starts at input byte `run` (appended later, by `push_run`).
    #[inline(always)]
    fn kept(&mut self, _cp: u32, _run: usize, _end: usize) {}
}

/// The folded text, with every character reported to `each` as it is written (see
/// [`normalize_text_observed`]).
struct Observed<'a, O> {
    text: &'a mut String,
    each: &'a mut O,
}

impl<O: Observer> Sink for Observed<'_, O> {
    #[inline]
    fn text(&self) -> &str {
        self.text
    }
    #[inline]
    fn push(&mut self, c: char, _: usize, _: usize) {
        self.text.push(c);
        self.each.char(c as u32, self.text.len());
    }
    #[inline]
    fn push_run(&mut self, input: &str, from: usize, to: usize) {
        // Its characters were reported one by one, by `kept`.
        if from != to {
            self.text.push_str(&input[from..to]);
        }
    }
    #[inline]
    fn clause_break(&mut self) {}
    #[inline(always)]
    fn kept(&mut self, cp: u32, run: usize, end: usize) {
        // The run's characters before this one will be written right after the text so far.
        self.each.char(cp, self.text.len() + (end - run));
    }
}

impl Sink for Normalized {
    #[inline]
    fn text(&self) -> &str {
        &self.text
    }
    #[inline]
    fn push(&mut self, c: char, from: usize, to: usize) {
        Normalized::push(self, c, from, to);
    }
    #[inline]
    fn push_run(&mut self, input: &str, from: usize, to: usize) {
        if from == to {
            return;
        }
        let run = &input[from..to];
        self.text.push_str(run);
        for (i, c) in run.char_indices() {
            let len = c.len_utf8();
            self.map_bytes(len, (from + i) as u32, (from + i + len) as u32);
        }
    }
    #[inline]
    fn clause_break(&mut self) {
        self.breaks.push(self.text.len() as u32);
    }
}

impl Sink for String {
    #[inline]
    fn text(&self) -> &str {
        self
    }
    #[inline]
    fn push(&mut self, c: char, _: usize, _: usize) {
        String::push(self, c);
    }
    #[inline]
    fn push_run(&mut self, input: &str, from: usize, to: usize) {
        if from != to {
            self.push_str(&input[from..to]);
        }
    }
    #[inline]
    fn clause_break(&mut self) {}
}

/// '甚' folds to '什' before 麼/么/麽, so it never takes the fast path.
const SHEN: u32 = '甚' as u32;

fn fold<S: Sink>(input: &str, out: &mut S) {
    let table = &*T2S;
    let bytes = input.as_bytes();
    // Most characters of real traffic fold to themselves: lower-case ASCII letters, digits and
    // Simplified ideographs. Those are recognized from their bytes and copied in runs; only the
    // rest (punctuation, Traditional, full-width, upper case, other scripts) are decoded and
    // folded one by one. `run` is where the pending run of unchanged input begins.
    let mut run = 0;
    let mut i = 0;
    let mut pending_break = false;
    while i < bytes.len() {
        // One slice pattern checks the length once for all three bytes of a character, and one
        // bitmap lookup replaces the range, 甚 and table checks (a fifth of the fold's work).
        let same = match bytes[i..] {
            [b, ..] if b.is_ascii_lowercase() || b.is_ascii_digit() => {
                out.kept(u32::from(b), run, i + 1);
                1
            }
            // A three-byte sequence (the input is valid UTF-8): U+3000..=U+9FFF.
            [b @ 0xE3..=0xE9, b1, b2, ..] => {
                let cp = (u32::from(b & 0x0F) << 12) | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
                if table.unchanged(cp) {
                    out.kept(cp, run, i + 3);
                    3
                } else {
                    0
                }
            }
            _ => 0,
        };
        if same != 0 {
            if pending_break {
                // A break is only left pending by a dropped character, which ended the run.
                debug_assert_eq!(run, i);
                out.clause_break();
                pending_break = false;
            }
            i += same;
            continue;
        }
        out.push_run(input, run, i);
        let raw = input[i..].chars().next().expect("a character starts here");
        let end = i + raw.len_utf8();
        fold_char(raw, i, end, || input[end..].chars().next(), &mut pending_break, table, out);
        i = end;
        run = end;
    }
    out.push_run(input, run, bytes.len());
}

/// Folds one character that may change; `next` peeks at the character after it.
#[inline]
fn fold_char<S: Sink>(
    raw: char,
    i: usize,
    end: usize,
    next: impl Fn() -> Option<char>,
    pending_break: &mut bool,
    table: &T2sTable,
    out: &mut S,
) {
    // A CJK ideograph is never a separator, has no width or case to fold, and only needs the
    // Traditional→Simplified table. Going through the general branch below costs three Unicode
    // table lookups per character.
    if (CJK_FIRST..=CJK_LAST).contains(&(raw as u32)) {
        if *pending_break {
            out.clause_break();
            *pending_break = false;
        }
        // 甚麼/甚么 is the Traditional 什么; a bare 甚 (甚至, 甚好) stays.
        let c = if raw == '甚' && next().is_some_and(|n| matches!(n, '麼' | '么' | '麽')) {
            '什'
        } else {
            table.cjk(raw)
        };
        out.push(c, i, end);
        return;
    }
    let c = fold_width(raw);
    if is_separator(c) {
        let between_digits = matches!(c, ',' | '.' | ':' | '/' | '-')
            && out.text().as_bytes().last().is_some_and(u8::is_ascii_digit)
            && next().is_some_and(|n| fold_width(n).is_ascii_digit());
        if between_digits {
            out.push(c, i, end);
        } else if is_clause_break(c) {
            *pending_break = true;
        }
        return;
    }
    if *pending_break {
        out.clause_break();
        *pending_break = false;
    }
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase(), i, end);
    } else if let Some(s) = table.get(c) {
        out.push(s, i, end);
    } else if c.is_alphabetic() && !c.is_lowercase() && c.to_lowercase().next() != Some(c) {
        for l in c.to_lowercase() {
            out.push(l, i, end);
        }
    } else {
        out.push(c, i, end);
    }
}

fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

fn is_clause_break(c: char) -> bool {
    matches!(
        c,
        ',' | '.' | '!' | '?' | ';' | ':' | '\n' | '\r' | '，' | '。' | '！' | '？' | '；' | '：' | '…' | '｡' | '､'
    )
}

/// Characters a collector may insert inside a phrase without changing what it says.
fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_whitespace() || c.is_ascii_punctuation() || c.is_ascii_control();
    }
    let u = c as u32;
    c.is_whitespace()
        || c.is_control()
        || matches!(u,
            0x00A1..=0x00BF | 0x00D7 | 0x00F7   // Latin-1 punctuation and signs
            | 0x2000..=0x206F                   // general punctuation, zero-width marks
            | 0x20A0..=0x20CF                   // currency signs
            | 0x2100..=0x2BFF                   // letterlike, arrows, math, shapes, dingbats
            | 0x3000..=0x303F                   // CJK punctuation
            | 0x30FB                            // katakana middle dot
            | 0xFE00..=0xFE6F                   // variation selectors, vertical and small forms
            | 0xFEFF                            // byte-order mark
            | 0xFF5F..=0xFF65                   // half-width CJK punctuation
            | 0xFFE0..=0xFFEE                   // full-width signs
            | 0x1F000..=0x1FAFF                 // emoji and pictographs
            | 0xE0000..=0xE007F                 // tags
            | 0xE0100..=0xE01EF) // variation selectors supplement
}

/// Traditional → Simplified, character by character, from OpenCC's `TSCharacters` table as
/// shipped by the `hanconv` crate (MIT; dictionaries Apache-2.0). Character-level conversion keeps
/// one normalized character per input character, which keeps the offset map exact.
struct T2sTable {
    /// The Simplified form of each code point in `CJK_FIRST..=CJK_LAST`, `'\0'` where it has none.
    cjk: Vec<char>,
    /// One bit per code point of U+3000..=U+9FFF: set when the fast path of [`fold`] copies it
    /// unchanged (a CJK ideograph the table does not map, other than 甚).
    unchanged: Vec<u64>,
    rest: HashMap<char, char>,
}

const CJK_FIRST: u32 = 0x3400;
const CJK_LAST: u32 = 0x9FFF;
/// The first code point of a three-byte UTF-8 sequence led by 0xE3.
const FAST_FIRST: u32 = 0x3000;

impl T2sTable {
    /// Whether the code point `u` in U+3000..=U+9FFF folds to itself on the fast path.
    #[inline]
    fn unchanged(&self, u: u32) -> bool {
        let i = (u - FAST_FIRST) as usize;
        self.unchanged[i / 64] & (1 << (i % 64)) != 0
    }

    /// The Simplified form of a character in `CJK_FIRST..=CJK_LAST`.
    #[inline]
    fn cjk(&self, c: char) -> char {
        // Most text is already Simplified: the bitmap stays in the L1 cache where the 108 KB
        // table does not, so the table is read only for a character the bitmap does not pass.
        if self.unchanged(c as u32) {
            return c;
        }
        match self.cjk[(c as u32 - CJK_FIRST) as usize] {
            '\0' => c,
            s => s,
        }
    }

    #[inline]
    fn get(&self, c: char) -> Option<char> {
        let u = c as u32;
        if (CJK_FIRST..=CJK_LAST).contains(&u) {
            let s = self.cjk[(u - CJK_FIRST) as usize];
            (s != '\0').then_some(s)
        } else if u > 0x7F {
            self.rest.get(&c).copied()
        } else {
            None
        }
    }
}

static T2S: LazyLock<T2sTable> = LazyLock::new(|| {
    let mut cjk = vec!['\0'; (CJK_LAST - CJK_FIRST + 1) as usize];
    let mut rest = HashMap::new();
    for (f0, t0) in crate::t2s::t2s_pairs() {
        let u = f0 as u32;
        if (CJK_FIRST..=CJK_LAST).contains(&u) {
            cjk[(u - CJK_FIRST) as usize] = t0;
        } else {
            rest.insert(f0, t0);
        }
    }
    let mut unchanged = vec![0u64; ((CJK_LAST - FAST_FIRST + 1) as usize).div_ceil(64)];
    for u in CJK_FIRST..=CJK_LAST {
        if cjk[(u - CJK_FIRST) as usize] == '\0' && u != SHEN {
            let i = (u - FAST_FIRST) as usize;
            unchanged[i / 64] |= 1 << (i % 64);
        }
    }
    T2sTable { cjk, unchanged, rest }
});

/// `s` with its Traditional characters made Simplified and nothing else touched: regex patterns
/// keep their syntax but match the normalized text.
pub(crate) fn simplify(s: &str) -> String {
    s.chars().map(|c| T2S.get(c).unwrap_or(c)).collect()
}

/// Builds the Traditional→Simplified table now rather than on the first message.
pub(crate) fn warm_up() {
    LazyLock::force(&T2S);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cited<'a>(input: &'a str, n: &Normalized, needle: &str) -> &'a str {
        let s = n.text.find(needle).expect("needle in normalized text");
        let (a, b) = n.to_input(s, s + needle.len());
        &input[a..b]
    }

    #[test]
    fn separators_inside_phrases_are_seen_through_and_cited() {
        for input in ["明天上*门", "明天上 门", "明天上\u{200d}门", "明天上😡门", "明天上。门"] {
            let n = normalize(input);
            assert_eq!(n.text, "明天上门", "{input}");
            let cited = cited(input, &n, "上门");
            assert!(cited.starts_with('上') && cited.ends_with('门'), "{input} -> {cited}");
        }
    }

    #[test]
    fn traditional_full_width_and_case_fold() {
        assert_eq!(normalize("還款 聯繫 債務").text, "还款联系债务");
        assert_eq!(normalize("得閒 搵").text, "得闲揾");
        assert_eq!(normalize("ＴＸＬ１８點").text, "txl18点");
        assert_eq!(normalize("TongXunLu").text, "tongxunlu");
    }

    #[test]
    fn traditional_forms_with_several_candidates_or_outside_the_table_fold() {
        assert_eq!(normalize("你就等著吧,看著辦").text, "你就等着吧看着办");
        assert_eq!(normalize("開庭 買 線上 願意 於 徵信").text, "开庭买线上愿意于征信");
        assert_eq!(normalize("妳衹要回覆").text, "你只要回复");
        assert_eq!(normalize("甚麼時候還,甚至").text, "什么时候还甚至");
        // 甚 alone is a Simplified character too.
        assert_eq!(normalize("甚好").text, "甚好");
    }

    /// Inputs on which the text-only passes must fold exactly like the full one.
    const FOLD_CASES: [&str; 8] = [
        "聯繫ＴＸＬ 通 讯 录,上*门",
        "1,280.00元 18:00前。還款",
        "ÀÉ İstanbul ß",
        "甚麼甚",
        "逾‍期😡！\r\n明天𠮶",
        "",
        "㐀鿿ꀀ",
        "abc明天上门",
    ];

    #[test]
    fn text_only_pass_folds_exactly_like_the_full_one() {
        let mut text = String::new();
        for input in FOLD_CASES {
            normalize_text_into(input, &mut text);
            assert_eq!(text, normalize(input).text, "{input:?}");
        }
    }

    #[test]
    fn the_observed_pass_folds_alike_and_shows_every_character_where_it_ends() {
        struct Seen(Vec<(u32, usize)>);
        impl Observer for Seen {
            fn char(&mut self, c: u32, end: usize) {
                self.0.push((c, end));
            }
        }
        let mut text = String::new();
        for input in FOLD_CASES {
            let mut seen = Seen(Vec::new());
            normalize_text_observed(input, &mut text, &mut seen);
            assert_eq!(text, normalize(input).text, "{input:?}");
            let want: Vec<(u32, usize)> = text.char_indices().map(|(i, c)| (c as u32, i + c.len_utf8())).collect();
            assert_eq!(seen.0, want, "{input:?}");
        }
    }

    #[test]
    fn marks_between_digits_survive() {
        assert_eq!(normalize("1,280.00元 18:00前").text, "1,280.00元18:00前");
        assert_eq!(normalize("３天, 好").text, "3天好");
    }

    #[test]
    fn clause_breaks_are_recorded() {
        let n = normalize("我们不会上门,但是明天起诉");
        let pos = n.text.find("起诉").unwrap();
        assert_eq!(n.clause_start(pos), n.text.find("但是").unwrap());
        assert_eq!(n.clause_start(n.text.find("上门").unwrap()), 0);
    }

    #[test]
    fn offsets_map_to_whole_input_characters() {
        let input = "債務ＡＢ，通 訊 錄";
        let n = normalize(input);
        for (i, _) in n.text.char_indices() {
            let (a, b) = n.to_input(i, i + n.text[i..].chars().next().unwrap().len_utf8());
            assert!(input.is_char_boundary(a) && input.is_char_boundary(b) && a < b);
        }
    }

    /// Every character decoded and folded on its own by `fold_char`, with no byte-level runs:
    /// the fast path must give exactly the same text, map and breaks.
    fn fold_one_by_one<S: Sink>(input: &str, out: &mut S) {
        let mut pending_break = false;
        for (i, raw) in input.char_indices() {
            let end = i + raw.len_utf8();
            fold_char(raw, i, end, || input[end..].chars().next(), &mut pending_break, &T2S, out);
        }
    }

    fn assert_same_fold(input: &str) {
        let fast = normalize(input);
        let mut slow = Normalized::default();
        fold_one_by_one(input, &mut slow);
        assert_eq!(fast.text, slow.text, "{input:?}");
        assert_eq!(fast.src_start, slow.src_start, "{input:?}");
        assert_eq!(fast.src_end, slow.src_end, "{input:?}");
        assert_eq!(fast.breaks, slow.breaks, "{input:?}");
        let mut text = String::new();
        normalize_text_into(input, &mut text);
        assert_eq!(text, slow.text, "{input:?}");
    }

    #[test]
    fn fast_path_folds_like_one_character_at_a_time() {
        for input in [
            "",
            "abc123",
            "ABC通讯录",
            "還款 聯繫 債務,明天。上*门",
            "甚麼甚至甚么甚麽甚",
            "1,280.00元 18:00前。還款",
            "３天, 好！\r\n明天",
            "㐀鿿ꀀ〇〡\u{3000}\u{33FF}",
            "逾‍期😡！明天𠮶",
            "ÀÉ İstanbul ß ΣΑΣ",
            ",开头。,。结尾,",
            "a。b。。c,1,2",
        ] {
            assert_same_fold(input);
        }
        // Every message of the training corpus, sliced at each character, covers the mixes
        // real text has (runs ending in every kind of character).
        let corpus = include_str!("../corpus/train.jsonl");
        for line in corpus.lines().take(300) {
            assert_same_fold(line);
            for (i, _) in line.char_indices().step_by(7) {
                assert_same_fold(&line[i..]);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        #[test]
        fn fast_path_folds_arbitrary_text_like_one_character_at_a_time(
            input in "[a-zA-Z0-9 ,.:/\\-。，！？甚麼么還款聯繫债务上门通讯录ＴＸＬ１８\u{3000}-\u{3500}\u{9FF0}-\u{A010}]{0,40}|\\PC{0,60}"
        ) {
            assert_same_fold(&input);
        }
    }
}
