//! Word boundaries from `jieba-rs`, built once per classifier and only when a rule asks for them.

use jieba_rs::Jieba;
use std::sync::OnceLock;

/// A jieba segmenter that knows every lexicon phrase as a word.
pub(crate) struct Tokenizer {
    jieba: OnceLock<Jieba>,
    words: Vec<String>,
}

impl Tokenizer {
    pub fn new(words: Vec<String>) -> Tokenizer {
        Tokenizer { jieba: OnceLock::new(), words }
    }

    // Segmentation is the most expensive step and most traffic never needs it, so the
    // dictionary is loaded on first use rather than when the classifier is built.
    fn jieba(&self) -> &Jieba {
        self.jieba.get_or_init(|| {
            let mut j = Jieba::new();
            for w in &self.words {
                j.add_word(w, Some(20_000), None);
            }
            j
        })
    }

    /// Byte offsets of every token boundary in `text`, ascending (0 and `text.len()` included).
    pub fn boundaries(&self, text: &str) -> Vec<usize> {
        let mut out = vec![0];
        out.extend(self.jieba().cut(text, false).iter().map(|t| t.byte_end));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicon_phrases_stay_whole() {
        let t = Tokenizer::new(vec!["爆通讯录".into()]);
        let b = t.boundaries("再不还就爆通讯录");
        let s = "再不还就".len();
        assert!(b.contains(&s) && b.contains(&(s + "爆通讯录".len())));
        assert!(!b.contains(&(s + "爆".len())));
    }
}
