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
    /// A promise's negator (`不会`, `承诺不`): it reaches the rest of the clause.
    StrongNegator,
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
    /// An unlabelled note after the turns ("(以上为录音片段)", "——以上是我和催收的聊天记录"):
    /// nobody in the call says it; it counts as the text's own words, cues included.
    pub narrator: bool,
}

/// The context words, compiled once per classifier.
pub(crate) struct Context {
    words: AhoCorasick,
    kinds: Vec<Word>,
    consequences: AhoCorasick,
    window: usize,
    strong_window: usize,
    inline: Option<ColonLabel>,
    line_label: ColonLabel,
    header: Regex,
    collector_words: SpeakerWords,
    other_words: SpeakerWords,
    third_party_words: SpeakerWords,
    /// "我是他老婆" / "我係佢阿媽": an unlabelled callee saying who they are to the debtor.
    self_as_third_party: Option<Regex>,
    /// Field names ("温馨提示", "金额"): a label holding one is not a speaker. One automaton
    /// rather than a substring search per word (~40 of them) for every label.
    field_words: AhoCorasick,
    qa_words: SpeakerWords,
    adviser_words: SpeakerWords,
    /// Inline Q&A labels, which may carry a name before them ("张律师解答:").
    qa_inline: Option<ColonLabel>,
    anonymous: Vec<String>,
    /// Inline anonymous labels ("。A:", " 甲："), counted only when two of them speak.
    anonymous_inline: Option<ColonLabel>,
    collector_turn_words: AhoCorasick,
    debtor_turn_words: AhoCorasick,
    institution_words: AhoCorasick,
    quote_pairs: Vec<(String, String)>,
}

impl Context {
    pub fn new(w: &ContextWords) -> Context {
        let mut pats = Vec::new();
        let mut kinds = Vec::new();
        // Strong negators come first: a word listed both ways ("不会") is strong.
        for (list, kind) in [
            (&w.strong_negators, Word::StrongNegator),
            (&w.negators, Word::Negator),
            (&w.non_negators, Word::NonNegator),
            (&w.conditions, Word::Condition),
        ] {
            for p in list {
                pats.push(crate::normalize(p).text);
                kinds.push(kind);
            }
        }
        // Leftmost-longest: "不还" (a condition) and "不得不" win over the bare negator "不".
        // A DFA: with ~200 words the default is a contiguous NFA, and the marks scan of every
        // message with a negatable hit walked it at several times a DFA's cost per byte.
        let words = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&pats)
            .expect("context words");
        let cons: Vec<String> = w.consequence_markers.iter().map(|p| crate::normalize(p).text).collect();
        let consequences = AhoCorasick::new(&cons).expect("consequence markers");
        let norm =
            |l: &Vec<String>| l.iter().map(|x| crate::normalize(x).text).filter(|x| !x.is_empty()).collect::<Vec<_>>();
        let mut labels: Vec<&String> = w
            .collector_speakers
            .iter()
            .chain(&w.other_speakers)
            .chain(&w.third_party_speakers)
            .chain(&w.qa_labels)
            .collect();
        labels.sort_by_key(|l| std::cmp::Reverse(l.chars().count()));
        labels.dedup();
        let inline = (!labels.is_empty()).then(|| {
            let alt = labels.iter().map(|l| regex::escape(l)).collect::<Vec<_>>().join("|");
            let re = Regex::new(&format!(
                r"(?:^|[\s。！？!?；;])[ \t\u{{3000}}]*[【\[]?({alt})[】\]]?[ \t\u{{3000}}]*(?:[0-9A-Za-z]{{0,2}})[ \t\u{{3000}}]*[:：]"
            ))
            .expect("speaker regex");
            // Besides the label: the character before it, brackets and two letters or digits.
            let words: Vec<&str> = labels.iter().map(|l| l.as_str()).collect();
            let alnum: Vec<char> = ('0'..='9').chain('A'..='Z').chain('a'..='z').collect();
            ColonLabel::new(re, &words, 3 + 3 + 3 + 2, &[&alnum[..], &BRACKETS_CLOSE[..]].concat())
        });
        // Any short label at the start of a line ("阿杰:", "陌生号码:", "贷后专员小陈:"): chat logs
        // name their speakers freely, so roles are read from the words inside the label.
        let line_label = ColonLabel {
            re: Regex::new(r"(?m)^[ \t\u{3000}]*[【\[]?([^\s:：,，。!！?？【】\[\]]{1,14})[】\]]?[ \t\u{3000}]*[:：]")
                .expect("line label regex"),
            // Fourteen characters of up to four bytes in brackets.
            reach: Some(3 + 14 * 4 + 3),
            ends: None,
        };
        let qa_inline = (!w.qa_labels.is_empty()).then(|| {
            let mut qa: Vec<&String> = w.qa_labels.iter().collect();
            qa.sort_by_key(|l| std::cmp::Reverse(l.chars().count()));
            let alt = qa.iter().map(|l| regex::escape(l)).collect::<Vec<_>>().join("|");
            // Up to six Han characters of a name before the label.
            let words: Vec<&str> = qa.iter().map(|l| l.as_str()).collect();
            inline_label(&format!(r"\p{{Han}}{{0,6}}?(?:{alt})"), &words, 6 * 4)
        });
        let anonymous = norm(&w.anonymous_speakers);
        let anonymous_inline = {
            let mut words: Vec<String> = Vec::new();
            for l in w.anonymous_speakers.iter().filter(|l| !l.chars().all(|c| c.is_ascii_digit())) {
                words.push(l.clone());
                if l.to_ascii_uppercase() != *l {
                    words.push(l.to_ascii_uppercase());
                }
            }
            let alt = words.iter().map(|l| regex::escape(l)).collect::<Vec<_>>().join("|");
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            (!words.is_empty()).then(|| inline_label(&alt, &words, 0))
        };
        let turn_words = |l: &Vec<String>| {
            AhoCorasick::builder().match_kind(MatchKind::Standard).build(norm(l)).expect("turn words")
        };
        let header = Regex::new(r"([A-Za-z甲乙])\s*[为是=:：（(]\s*([^\s,，;；)）]{1,8})").expect("header regex");
        Context {
            words,
            kinds,
            consequences,
            window: if w.negation_window == 0 { 6 } else { w.negation_window },
            strong_window: w.strong_negation_window.max(w.negation_window),
            inline,
            line_label,
            header,
            collector_words: SpeakerWords::new(norm(&w.collector_speakers)),
            other_words: SpeakerWords::new(norm(&[&w.other_speakers[..], &w.third_party_speakers[..]].concat())),
            third_party_words: SpeakerWords::new(norm(&w.third_party_speakers)),
            self_as_third_party: {
                let kin = norm(&w.third_party_speakers).iter().map(|k| regex::escape(k)).collect::<Vec<_>>().join("|");
                (!kin.is_empty()).then(|| {
                    Regex::new(&format!("我(?:是|系)(?:他|她|佢)(?:的|嘅)?阿?(?:{kin})"))
                        .expect("self-identification regex")
                })
            },
            field_words: AhoCorasick::new(norm(&w.field_labels)).expect("field labels"),
            qa_words: SpeakerWords::new(norm(&w.qa_labels)),
            adviser_words: SpeakerWords::new(norm(&w.adviser_speakers)),
            qa_inline,
            anonymous,
            anonymous_inline,
            collector_turn_words: turn_words(&w.collector_turn_words),
            debtor_turn_words: turn_words(&w.debtor_turn_words),
            institution_words: turn_words(&w.institution_words),
            quote_pairs: w.quote_pairs.clone(),
        }
    }

    /// Negators, non-negators and conditions in the normalized text.
    pub fn marks(&self, norm: &Normalized, out: &mut Vec<Mark>) {
        out.clear();
        let text = norm.text.as_str();
        let mut from = 0;
        while let Some(m) = self.words.find(aho_corasick::Input::new(text).range(from..)) {
            // Punctuation is gone from the text, so the leftmost-longest word may straddle a
            // clause break: "太绝,不然" reads as 绝不. When a word starts right at the break, the
            // clause's own word wins ("不然"; "承诺：不会" still yields 不会).
            let clause = norm.clause_start(m.end() - 1);
            // Only a word that starts before its clause can give way: the second search (as
            // long as the first) runs only then.
            let own =
                if m.start() < clause { self.words.find(aho_corasick::Input::new(text).range(clause..)) } else { None };
            let m = match own {
                Some(own) if own.start() == clause => own,
                _ => m,
            };
            out.push(Mark { start: m.start(), end: m.end(), word: self.kinds[m.pattern().as_usize()] });
            from = m.end();
        }
    }

    /// True when a negator in the same clause, close before the hit, negates it.
    ///
    /// The nearest relevant word decides: a condition on the debtor ("不还") or a look-alike
    /// ("不排除") means the phrase is asserted; so does a consequence marker ("就", "否则")
    /// between the negator and the phrase. A promise's negator ("我们承诺不会把您的借款信息告诉
    ///您的家人") reaches `strong_negation_window` characters instead of `negation_window`.
    pub fn negated(&self, norm: &Normalized, marks: &[Mark], hit_start: usize) -> bool {
        let clause = norm.clause_start(hit_start);
        // Punctuation is dropped before matching, so a word may straddle the clause break
        // ("我司承诺：不会联系"): what reaches into the clause still counts.
        // A negator may also reach into the hit: "不会" before a phrase that starts at its "会"
        // ("本公司不会上门催收" against the phrase 会上门催收).
        let Some(m) = marks.iter().rev().find(|m| m.start < hit_start && m.end > clause) else {
            return false;
        };
        let reaches = |m: &Mark, window: usize| {
            let gap = &norm.text[m.end.min(hit_start)..hit_start];
            // "不会将你的相片放上网" (Cantonese and written 将 = 把 right after the negator)
            // is the object marker, not "will": it does not end the negation's reach.
            let tail = gap.strip_prefix('将').unwrap_or(gap);
            gap.chars().count() <= window && self.consequences.find(tail).is_none()
        };
        match m.word {
            Word::Negator => reaches(m, self.window),
            Word::StrongNegator => reaches(m, self.strong_window),
            // A promise covers the words inside its scope too, a look-alike or a second
            // negator among them ("绝不会在未经您同意的情况下联系"), but not a condition on the
            // debtor ("不会…不还就").
            Word::NonNegator | Word::Condition => {
                let mut inner = marks.iter().rev().filter(|x| x.end <= hit_start && x.end > clause);
                inner
                    .try_fold((), |(), x| match x.word {
                        Word::Condition => Err(None),
                        Word::StrongNegator => Err(Some(x)),
                        _ => Ok(()),
                    })
                    .err()
                    .flatten()
                    .is_some_and(|x| m.word == Word::NonNegator && reaches(x, self.strong_window))
            }
        }
    }

    /// The turns of a transcript, in order; empty when the text has no speaker labels.
    ///
    /// A label is the collector's when it holds a collector word (`催收员`, `坐席`, `陌生号码`),
    /// another party's when it holds another word (`客户`, `家属`); `A`/`B` take the role a
    /// header gives them ("A为催收员"). A label with neither is a named person: in a chat where
    /// a collector speaks, or among two or more such names, it is not the collector.
    pub fn turns(&self, input: &str) -> Vec<Turn> {
        // Every label, inline or at a line start, ends in a colon: most messages have none,
        // and a byte search proves it far faster than the label patterns.
        if !input.contains(':') && !input.contains('：') {
            return Vec::new();
        }
        let colons = colons(input);
        let mut found: Vec<(usize, &str)> = Vec::new();
        if let Some(re) = &self.inline {
            found.extend(re.labels(input, &colons));
        }
        if let Some(re) = &self.qa_inline {
            for (start, label) in re.labels(input, &colons) {
                if !found.iter().any(|&(s, _)| s == start) {
                    found.push((start, label));
                }
            }
        }
        if let Some(re) = &self.anonymous_inline {
            let anon: Vec<(usize, &str)> = re
                .labels(input, &colons)
                .into_iter()
                .filter(|&(start, _)| !found.iter().any(|&(s, _)| s == start))
                .collect();
            let distinct: std::collections::HashSet<String> = anon.iter().map(|(_, l)| l.to_lowercase()).collect();
            if distinct.len() >= 2 {
                found.extend(anon);
            }
        }
        if input.contains('\n') {
            for (start, label) in self.line_label.labels(input, &colons) {
                if !found.iter().any(|&(s, _)| s == start) {
                    found.push((start, label));
                }
            }
        }
        if found.is_empty() {
            return Vec::new();
        }
        found.sort_by_key(|&(s, _)| s);
        // Overlapping finds ("律师回答:" found whole and as "律师"): keep the first, longest.
        found.dedup_by(|b, a| b.0 < a.0 + a.1.len());
        // "催收员在电话里说:" introduces reported speech, not a turn: a transcript labels its
        // speakers with a name or role alone. (Q&A labels such as "律师回答" stay labels.)
        // Each label is normalized once, for this check and for its role below.
        let (found, names): (Vec<(usize, &str)>, Vec<String>) = found
            .into_iter()
            .map(|f| (f, crate::normalize(f.1).text))
            .filter(|(_, n)| {
                !(n.chars().count() > 1 && REPORTED_SPEECH.iter().any(|v| n.ends_with(v)) && !self.qa_words.name(n))
            })
            .unzip();
        if found.is_empty() {
            return Vec::new();
        }
        let roles: Vec<(String, Option<bool>)> = {
            // A header ("A为催收员") names the role of a one-letter label only, and most texts
            // have none: it is read on the first label that could use it.
            let mut letters: Option<Vec<(String, bool)>> = None;
            names
                .into_iter()
                .map(|n| {
                    let role = self.role_of(&n).or_else(|| {
                        if n.chars().count() != 1 {
                            return None;
                        }
                        let letters = letters.get_or_insert_with(|| self.header_letters(input));
                        letters.iter().find(|(x, _)| *x == n).map(|&(_, r)| r)
                    });
                    (n, role)
                })
                .collect()
        };
        // A Q&A page ("网友提问: … 律师回答: 催收不能…") is advice about collection: the asker
        // and the adviser are both outside it, though "律师" alone would name a collection firm.
        let qa = roles.iter().any(|(n, _)| self.qa_words.name(n));
        let roles: Vec<(String, Option<bool>)> = if qa {
            roles
                .into_iter()
                .map(|(n, r)| {
                    let outside = self.qa_words.name(&n) || self.adviser_words.name(&n);
                    let r = if outside { Some(false) } else { r };
                    (n, r)
                })
                .collect()
        } else {
            roles
        };
        // Anonymous speakers ("A:"/"B:", "甲:"/"乙:", "男:"/"女:", "1:"/"2:"; "1:30" is a time)
        // with no role from a header take it from what they say.
        let anon: Vec<bool> = found
            .iter()
            .zip(&roles)
            .map(|(&(start, label), (n, _))| {
                self.anonymous.iter().any(|a| a == n)
                    && !(n.bytes().all(|b| b.is_ascii_digit())
                        && input[start + label.len()..]
                            .trim_start_matches([':', '：', ' '])
                            .starts_with(|c: char| c.is_ascii_digit()))
            })
            .collect();
        let roles = self.infer_roles(input, &found, &anon, roles, 1);
        // Field names ("温馨提示:", "致:"), greetings ("各位亲朋好友大家好:", even though they name
        // friends) and clock times ("14:05") are not speakers.
        let keep: Vec<bool> = roles
            .iter()
            .zip(&anon)
            .map(|((n, _), &a)| (a || !n.bytes().all(|b| b.is_ascii_digit())) && !self.field_words.is_match(n.as_str()))
            .collect();
        // A lone other-party label whose line holds only a short value ("借款人：王强") in a
        // text where no collector speaks is a form field, not a turn.
        // Only labels that stay labels count: "借款平台:" names a platform, but as a form field.
        let collector_any = roles.iter().zip(&keep).any(|((_, r), &k)| k && *r == Some(true));
        let keep: Vec<bool> = keep
            .iter()
            .zip(&found)
            .zip(&roles)
            .map(|((&k, &(start, label)), (_, r))| {
                if !k || collector_any || qa || *r != Some(false) {
                    return k;
                }
                let rest = &input[start + label.len()..];
                let rest = rest.trim_start_matches(is_label_end);
                let line = rest.split('\n').next().unwrap_or("");
                line.chars().count() > 12
            })
            .collect();
        // Chat logs name their speakers ("金满满-小陈:", "邓志刚:") and give them no role. When no
        // label names the collector, the named speakers take a role from their turns the way
        // anonymous ones do, and the one read as the collector must also speak as a lender or
        // agency (`本公司`, `我们平台`): friends retelling a collector's call use the collector's
        // words too ("他说再不还就爆通讯录"), but not as their own institution.
        let roles = if collector_any || qa {
            roles
        } else {
            let named: Vec<bool> =
                roles.iter().zip(&keep).zip(&anon).map(|(((_, r), &k), &a)| k && !a && r.is_none()).collect();
            let inferred = self.infer_roles(input, &found, &named, roles.clone(), 0);
            let speaks_as_institution = |n: &str| {
                found.iter().zip(&inferred).enumerate().any(|(i, (&(start, label), (m, _)))| {
                    let end = found.get(i + 1).map_or(input.len(), |&(s, _)| s);
                    m == n && self.institution_words.is_match(&crate::normalize(&input[start + label.len()..end]).text)
                })
            };
            let chosen = inferred.iter().zip(&named).find(|((_, r), &x)| x && *r == Some(true)).map(|((n, _), _)| n);
            match chosen {
                Some(n) if speaks_as_institution(n) => inferred,
                _ => roles,
            }
        };
        let named: std::collections::HashSet<&str> =
            roles.iter().zip(&keep).filter(|((_, r), k)| r.is_none() && **k).map(|((n, _), _)| n.as_str()).collect();
        let collector_speaks = roles.iter().zip(&keep).any(|((_, r), &k)| k && *r == Some(true));
        let names_are_others = collector_speaks || named.len() >= 2;
        let turns: Vec<Turn> = found
            .iter()
            .zip(roles)
            .zip(keep)
            .filter(|(_, k)| *k)
            .filter_map(|((&(start, label), (_, role)), _)| {
                let collector = match role {
                    Some(r) => r,
                    None if names_are_others => false,
                    None => return None,
                };
                Some(Turn { byte_start: start, collector, label: label.to_string(), narrator: false })
            })
            .collect();
        with_notes(input, turns)
    }

    /// Gives the speakers marked in `candidates` that have no role a role from their turns: when
    /// two or more of them speak, the one whose turns carry the most collector words (`你的借款`,
    /// `再不还`) net of debtor words (`我没钱`, `你们别打了`), at least `min_lead` and strictly
    /// ahead of the others, is the collector and the others are not; with no clear lead the roles
    /// stay unknown. (Named speakers need only a lead of 0: their collector must also speak as an
    /// institution, which the caller checks.)
    fn infer_roles(
        &self,
        input: &str,
        found: &[(usize, &str)],
        candidates: &[bool],
        mut roles: Vec<(String, Option<bool>)>,
        min_lead: i32,
    ) -> Vec<(String, Option<bool>)> {
        let mut scores: Vec<(String, i32)> = Vec::new();
        for (i, &(start, label)) in found.iter().enumerate() {
            if !candidates[i] || roles[i].1.is_some() {
                continue;
            }
            let end = found.get(i + 1).map_or(input.len(), |&(s, _)| s);
            let text = crate::normalize(&input[start + label.len()..end]).text;
            // Every word counts, overlapping ones too: "什么时候还钱" holds 什么时候还 and 还钱,
            // and counting only the first left an asker of "没钱?" back level with the debtor.
            let score = self.collector_turn_words.find_overlapping_iter(&text).count() as i32
                - self.debtor_turn_words.find_overlapping_iter(&text).count() as i32;
            match scores.iter_mut().find(|(n, _)| *n == roles[i].0) {
                Some((_, s)) => *s += score,
                None => scores.push((roles[i].0.clone(), score)),
            }
        }
        if scores.len() < 2 {
            return roles;
        }
        scores.sort_by_key(|&(_, s)| std::cmp::Reverse(s));
        if scores[0].1 < min_lead || scores[0].1 == scores[1].1 {
            return roles;
        }
        for (i, (n, r)) in roles.iter_mut().enumerate() {
            if candidates[i] && r.is_none() {
                *r = Some(*n == scores[0].0);
            }
        }
        roles
    }

    /// Whether a call is addressed to a third party by its turn labels: the collector speaks,
    /// and everyone else who speaks is labelled as someone other than the debtor
    /// ("催收员: … 家属: …", "坐席: … 老板: …").
    /// A speaker with no such label counts as one when a turn of theirs says so ("对方: 我是他老婆").
    pub fn callee_is_third_party(&self, input: &str, turns: &[Turn]) -> bool {
        if !turns.iter().any(|t| t.collector) || turns.iter().all(|t| t.collector || t.narrator) {
            return false;
        }
        let says_so = |label: &str| {
            let Some(re) = &self.self_as_third_party else { return false };
            turns.iter().enumerate().filter(|(_, t)| !t.collector && t.label == label).any(|(i, t)| {
                let end = turns.get(i + 1).map_or(input.len(), |n| n.byte_start);
                let start = (t.byte_start + t.label.len()).min(end);
                re.is_match(&crate::normalize(&input[start..end]).text)
            })
        };
        turns.iter().filter(|t| !t.collector && !t.narrator).all(|t| {
            let label = crate::normalize(&t.label).text;
            let third = self.third_party_words.longest(&label);
            third > 0 && third >= self.other_words.longest(&label) || says_so(&t.label)
        })
    }

    /// The letters a header gives a role ("A为催收员", "乙：客户"), lower-cased, in order.
    fn header_letters(&self, input: &str) -> Vec<(String, bool)> {
        let mut letters = Vec::new();
        for c in self.header.captures_iter(input) {
            let role = crate::normalize(&c[2]).text;
            if let Some(r) = self.role_of(&role) {
                letters.push((c[1].to_ascii_lowercase(), r));
            }
        }
        letters
    }

    fn role_of(&self, label: &str) -> Option<bool> {
        // The longer word decides, the debtor's side on a tie, so "借款人" is not taken for a
        // lender and a masked sender ("某用户", a collector word) is not the "用户" of an app.
        let other = self.other_words.longest(label);
        let collector = self.collector_words.longest(label);
        match (other, collector) {
            (0, 0) => None,
            (o, c) if o >= c => Some(false),
            _ => Some(true),
        }
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

/// Verbs that end a reported-speech intro ("催收员在电话里说:", "对方威胁:"): such a label
/// quotes someone, it does not name the speaker of a turn.
const REPORTED_SPEECH: &[&str] = &["说", "讲", "称", "骂", "吼", "喊", "威胁", "表示", "声称", "扬言"];

/// Speaker words of one side, found in a label by one automaton rather than a substring search
/// per word.
struct SpeakerWords {
    words: AhoCorasick,
    /// Per word: true when it is one character long.
    single: Vec<bool>,
}

impl SpeakerWords {
    fn new(words: Vec<String>) -> SpeakerWords {
        let single = words.iter().map(|w| w.chars().count() < 2).collect();
        let words = AhoCorasick::builder().match_kind(MatchKind::Standard).build(&words).expect("speaker words");
        SpeakerWords { words, single }
    }

    /// True when `label` names this side: it holds one of the words, where a one-character
    /// word ("我") counts only as the whole label.
    fn name(&self, label: &str) -> bool {
        self.words
            .find_overlapping_iter(label)
            .any(|m| !self.single[m.pattern().as_usize()] || (m.start() == 0 && m.end() == label.len()))
    }

    /// The length in bytes of the longest word of this side that names `label` (0 for none).
    fn longest(&self, label: &str) -> usize {
        self.words
            .find_overlapping_iter(label)
            .filter(|m| !self.single[m.pattern().as_usize()] || (m.start() == 0 && m.end() == label.len()))
            .map(|m| m.end() - m.start())
            .max()
            .unwrap_or(0)
    }
}

/// A speaker label inside running text: at the start or after a sentence end, optionally in
/// brackets, then a colon; group 1 is the label, as `label` (a regex) matches it.
/// `words` are the words `label` alternates over, and `extra` the most bytes `label` matches
/// besides one of them.
fn inline_label(label: &str, words: &[&str], extra: usize) -> ColonLabel {
    let re = Regex::new(&format!(r"(?:^|[\s。！？!?；;])[ \t\u{{3000}}]*[【\[]?({label})[】\]]?[ \t\u{{3000}}]*[:：]"))
        .expect("inline label regex");
    // The character before the label and its brackets.
    ColonLabel::new(re, words, extra + 3 + 3 + 3, &BRACKETS_CLOSE)
}

/// The closing brackets a label may stand in before its colon.
const BRACKETS_CLOSE: [char; 2] = ['】', ']'];

/// A speaker-label pattern whose every match ends in its only colon (':' or '：'), group 1
/// being the label. Rather than scanning the whole text, it is searched only in the stretch
/// before each colon that a match could span, and only when the character before the colon
/// could end a match: most texts with a colon hold it after a field name ("温馨提示:") or in a
/// clock time, far from the rest of a long message.
struct ColonLabel {
    re: Regex,
    /// The most bytes a match holds before its colon, runs of `[ \t\u{3000}]` aside; `None`
    /// when a label word itself holds a colon, and the whole text is searched.
    reach: Option<usize>,
    /// The characters a match can hold last before its colon and any spaces, sorted; `None`
    /// for any.
    ends: Option<Vec<char>>,
}

impl ColonLabel {
    /// `words`: the label words the pattern alternates over; `other`: the most bytes the rest
    /// of a match (besides whitespace runs and the colon) holds; `ends`: the characters
    /// besides a word's last one that can stand last before the colon.
    fn new(re: Regex, words: &[&str], other: usize, ends: &[char]) -> ColonLabel {
        let reach = if words.iter().any(|w| w.contains([':', '：'])) {
            None
        } else {
            Some(words.iter().map(|w| w.len()).max().unwrap_or(0) + other)
        };
        let mut ends: Vec<char> =
            words.iter().filter_map(|w| w.chars().next_back()).chain(ends.iter().copied()).collect();
        ends.sort_unstable();
        ends.dedup();
        ColonLabel { re, reach, ends: Some(ends) }
    }

    /// Start and text of group 1 of every match, in order: what `captures_iter` finds.
    /// `colons` are the byte ranges of every colon in `input`, in order.
    ///
    /// A match holds no colon but its last character, so it lies after the colon before its
    /// own, and no further back than `reach` bytes (whitespace runs aside). The leftmost match
    /// ending at each colon is thus the one a whole-text search finds, in the same order.
    fn labels<'a>(&self, input: &'a str, colons: &[(usize, usize)]) -> Vec<(usize, &'a str)> {
        let whole = || {
            self.re.captures_iter(input).map(|c| c.get(1).expect("label")).map(|g| (g.start(), g.as_str())).collect()
        };
        let Some(reach) = self.reach else { return whole() };
        let mut out = Vec::new();
        let mut locs = None;
        let mut from = 0;
        for &(c, end) in colons {
            let before = input[from..c].trim_end_matches([' ', '\t', '\u{3000}']).chars().next_back();
            let can_end = match (&self.ends, before) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(ends), Some(ch)) => ends.binary_search(&ch).is_ok(),
            };
            if can_end {
                let start = reach_back(input, from, c, reach);
                let locs = locs.get_or_insert_with(|| self.re.capture_locations());
                if self.re.captures_read_at(locs, &input[..end], start).is_some() {
                    let (s, e) = locs.get(1).expect("label");
                    out.push((s, &input[s..e]));
                }
            }
            from = end;
        }
        debug_assert_eq!(out, whole());
        out
    }
}

/// The byte ranges of every colon (':' or '：') in `input`, in order.
fn colons(input: &str) -> Vec<(usize, usize)> {
    let b = input.as_bytes();
    // '：' is EF BC 9A; 9A is never a first byte, so each hit is one colon.
    memchr::memchr2_iter(b':', 0x9a, b)
        .filter_map(|i| match b[i] {
            b':' => Some((i, i + 1)),
            _ if i >= 2 && b[i - 2] == 0xef && b[i - 1] == 0xbc => Some((i - 2, i + 1)),
            _ => None,
        })
        .collect()
}

/// The smallest offset at or after `floor` such that the text from it to `to` holds at most
/// `reach` bytes besides spaces, tabs and ideographic spaces.
fn reach_back(input: &str, floor: usize, to: usize, reach: usize) -> usize {
    let mut budget = reach;
    let mut at = to;
    for (i, ch) in input[floor..to].char_indices().rev() {
        if !matches!(ch, ' ' | '\t' | '\u{3000}') {
            if ch.len_utf8() > budget {
                break;
            }
            budget -= ch.len_utf8();
        }
        at = floor + i;
    }
    at
}

/// The turn holding an input byte, if the text is a transcript.
/// Marks a later line that is an editor's or poster's note rather than more of the speaker's
/// words: a line opening with a bracket, a dash or an arrow, or with 以上 ("the above"). The
/// note is its own line; an unlabelled line after it is the interrupted speaker's again (a
/// stage direction such as "(停顿)" inside a call does not silence the rest of the turn).
fn with_notes(input: &str, mut turns: Vec<Turn>) -> Vec<Turn> {
    let Some(first) = turns.first().map(|t| t.byte_start) else { return turns };
    let mut notes = Vec::new();
    for (i, _) in input.match_indices('\n').filter(|&(i, _)| i > first) {
        let line = input[i + 1..].trim_start_matches([' ', '\t', '\u{3000}']);
        if NOTE_OPENERS.iter().any(|o| line.starts_with(o)) {
            let at = input.len() - line.len();
            if turns.iter().any(|t| t.byte_start == at) {
                continue;
            }
            notes.push(Turn { byte_start: at, collector: false, label: String::new(), narrator: true });
            let next = line.find('\n').map(|j| at + j + 1).filter(|&n| n < input.len());
            let speaker = turn_at(&turns, at);
            if let (Some(next), Some(speaker)) = (next, speaker) {
                if !turns.iter().any(|t| t.byte_start == next) {
                    notes.push(Turn { byte_start: next, ..speaker.clone() });
                }
            }
        }
    }
    if !notes.is_empty() {
        turns.extend(notes);
        turns.sort_by_key(|t| t.byte_start);
    }
    turns
}

/// How a note after a transcript opens.
const NOTE_OPENERS: &[&str] = &["(", "（", "——", "--", "↑", "以上", "※", "注:", "注：", "备注", "備註"];

/// What may follow a speaker's label before the words: the colon and spaces.
pub(crate) fn is_label_end(c: char) -> bool {
    c == ':' || c == '：' || c.is_whitespace()
}

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
        c.marks(&n, &mut marks);
        c.negated(&n, &marks, n.text.find(phrase).unwrap())
    }

    #[test]
    fn negator_before_phrase_negates() {
        assert!(negated_at("我们不会上门打扰您", "上门"));
        assert!(negated_at("我們絕不會上門", "上门"));
    }

    #[test]
    fn a_word_across_a_clause_break_gives_way_to_the_clause_own_word() {
        // "绝,不然" is not the promise 绝不: the clause starts with the look-alike 不然.
        assert!(!negated_at("做人别太绝,不然哪天出点事就不好了", "哪天"));
        assert!(negated_at("我司承诺：不会联系您的家人", "联系"));
    }

    #[test]
    fn condition_on_the_debtor_is_not_negation() {
        assert!(!negated_at("不还钱就上门找你", "上门"));
        assert!(!negated_at("再不处理明天上门", "上门"));
    }

    #[test]
    fn a_promise_reaches_further_than_a_bare_negator() {
        assert!(negated_at("我们承诺不会把您的借款信息告诉您的家人", "告诉"));
        assert!(negated_at("我们保证不会将您的欠款情况透露给您的同事", "透露"));
        assert!(!negated_at("不还的话我们就上门找你", "上门"));
        assert!(!negated_at("我们不会再给你任何宽限,明天上门找你", "上门"));
        assert!(negated_at("我司承诺：不会联系您的家人", "联系"));
        assert!(negated_at("本平台绝不会在未经您同意的情况下联系您的紧急联系人", "联系您"));
    }

    #[test]
    fn jiang_right_after_a_negator_marks_the_object_not_a_consequence() {
        assert!(negated_at("我唔会将你啲相放上网,放心啦", "放上网"));
        assert!(!negated_at("你不还将放上网", "放上网"));
        assert!(!negated_at("我们不会再等,将放上网", "放上网"));
    }

    #[test]
    fn negation_stops_at_the_clause() {
        assert!(!negated_at("我们不会打电话,明天上门", "上门"));
    }

    #[test]
    fn numbered_speakers_are_told_apart_and_times_are_not_speakers() {
        let c = ctx();
        let t = c.turns("1：你在我们平台的借款已逾期，今天必须处理。\n2：我没钱，别打了。\n1：那你看着办。");
        assert_eq!(t.iter().map(|t| t.collector).collect::<Vec<_>>(), [true, false, true]);
        assert!(c.turns("会议纪要\n1:30 开会讨论\n2:00 结束").is_empty());
    }

    #[test]
    fn a_reported_speech_intro_is_not_a_turn() {
        let c = ctx();
        assert!(c.turns("催收员在电话里说:你等着坐牢吧。我录音了,明天就去投诉。").is_empty());
        let t = c.turns("网友提问:催收说要上门\n律师回答:不能上门");
        assert_eq!(t.len(), 2);
        assert!(t.iter().all(|t| !t.collector));
    }

    #[test]
    fn a_masked_sender_is_not_the_app_user() {
        let c = ctx();
        let t = c.turns("[业主群]\n某用户: 12栋的张三在我们平台借款逾期\n业主: 发这个干嘛?");
        assert_eq!(t.iter().map(|t| t.collector).collect::<Vec<_>>(), [true, false]);
        let t = c.turns("客服: 您的账单已逾期\n用户: 知道了");
        assert_eq!(t.iter().map(|t| t.collector).collect::<Vec<_>>(), [true, false]);
    }

    #[test]
    fn labels_searched_before_each_colon_are_the_whole_text_matches() {
        let c = ctx();
        let texts = [
            "催收员：你好\n客户：再打我就报警",
            "温馨提示:您的账单已逾期。客服2 :请尽快处理。【客户】： 好的",
            "会议纪要\n1:30 开会讨论\n2:00 结束",
            "A:你欠的钱什么时候还?  B ：我没钱。甲:乙:丙：",
            "网友提问:催收说要上门\n张律师解答:不能上门::：",
            "　　客服　　　ab　　：　　很长的一段话，没有任何标签，只是说明情况。坐席:",
            "催收员：：客户 12：[家属] :",
            ":：:",
            "没有冒号的文本",
        ];
        let pats = [c.inline.as_ref(), c.qa_inline.as_ref(), c.anonymous_inline.as_ref(), Some(&c.line_label)];
        let mut found = 0;
        for t in texts {
            let cs = colons(t);
            assert_eq!(cs.len(), t.matches([':', '：']).count(), "{t}");
            for p in pats.iter().map(|p| p.expect("every label pattern is built")) {
                let whole: Vec<(usize, &str)> =
                    p.re.captures_iter(t).map(|m| m.get(1).unwrap()).map(|g| (g.start(), g.as_str())).collect();
                found += whole.len();
                assert_eq!(p.labels(t, &cs), whole, "{t}");
            }
        }
        assert!(found > 20, "the texts hold labels of every kind ({found})");
    }

    #[test]
    fn transcript_turns_are_found() {
        let c = ctx();
        let t = c.turns("催收员：你好\n客户：再打我就报警");
        assert_eq!(t.len(), 2);
        assert!(t[0].collector && !t[1].collector);
    }
}
