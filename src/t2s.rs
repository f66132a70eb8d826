//! The one-to-one Traditional→Simplified character folds, shared by the normalizer and the build
//! script (which must fold the embedded patterns exactly as loading does, or its table of planned
//! patterns misses every pattern with a Traditional character in it).

/// Traditional forms OpenCC's character table leaves alone because they are also written in
/// Simplified text (著名, 神祇) or lists with their own form first (瞭, 衹), but which Taiwan and
/// Hong Kong collection messages use for the common word: 等著/看著辦, 妳, 衹/祇(只), 瞭解, 回覆.
/// Each is a one-to-one fold; 甚 is not (甚至), so 甚麼 → 什么 is handled in the normalizer.
const EXTRA_T2S: &[(char, char)] =
    &[('著', '着'), ('妳', '你'), ('攷', '考'), ('衹', '只'), ('祇', '只'), ('瞭', '了'), ('覆', '复')];

/// Every `(Traditional, Simplified)` character fold, OpenCC's first and then [`EXTRA_T2S`]; a later
/// pair for the same character wins, and pairs that fold a character to itself are left out.
pub(crate) fn t2s_pairs() -> impl Iterator<Item = (char, char)> {
    // An entry with several Simplified candidates ("線" → "线 缐", "開" → "开 𫔭") lists the
    // standard one first: folding to it keeps one character per character, and leaving such
    // entries out left common words (開庭, 買, 線上, 願意, 於) unfolded.
    let listed = hanconv::RawDictionary::TSCharacters.iter().filter_map(|(from, to)| {
        let mut f = from.chars();
        let (Some(f0), None) = (f.next(), f.next()) else { return None };
        let t0 = to.split_whitespace().next()?;
        let mut t = t0.chars();
        let (Some(t0), None) = (t.next(), t.next()) else { return None };
        Some((f0, t0))
    });
    listed.chain(EXTRA_T2S.iter().copied()).filter(|(f, t)| f != t)
}
