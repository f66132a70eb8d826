//! Rules as data: the types a lexicon file becomes, and how a set of files is loaded.
//!
//! Each rule carries its id, category, weight, one-line message, regulation clause, what it
//! matches, and examples that must and must not hit. See `lexicons/README.md` for the format.

mod embedded;
mod parse;
pub(crate) mod plan;
mod validate;

use crate::error::{Diagnostic, Error};
use std::path::Path;

pub use embedded::EMBEDDED;

/// What a rule's evidence is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleKind {
    /// Evidence for one of the four categories.
    Category(crate::Category),
    /// A context cue that shapes how other evidence counts.
    Cue(Cue),
}

/// Context cues: signals that are not verdicts themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cue {
    /// The message is addressed to someone other than the debtor.
    ThirdParty,
    /// The message reports or quotes collection (an article, a complaint) rather than collecting.
    Reporting,
    /// The message is a notice that is not collection (repayment success, advertisement, code).
    NonCollection,
}

impl Cue {
    pub(crate) fn parse(s: &str) -> Option<Cue> {
        match s {
            "third_party" => Some(Cue::ThirdParty),
            "reporting" => Some(Cue::Reporting),
            "non_collection" => Some(Cue::NonCollection),
            _ => None,
        }
    }
}

/// One rule, validated.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable id such as `THR-014`.
    pub id: String,
    /// What the rule's evidence supports.
    pub kind: RuleKind,
    /// Weight of one hit, in `(0, 1]`.
    pub weight: f64,
    /// One-line message in Chinese.
    pub message: String,
    /// The regulation clause the rule rests on.
    pub clause: String,
    /// Literal phrases, as written in the file.
    pub phrases: Vec<String>,
    /// Disguised forms of the phrases (pinyin, homophones).
    pub variants: Vec<String>,
    /// Regular expressions over normalized text.
    pub patterns: Vec<String>,
    /// What the matcher needs of each of `patterns` (gate literals, longest match), planned
    /// once by validation or, for the embedded lexicons, by the build script.
    pub(crate) plans: Vec<plan::Plan>,
    /// A match must start and end on a word boundary.
    pub boundary: bool,
    /// A preceding negator removes the evidence.
    pub negatable: bool,
    /// Counts only when the message is addressed to a third party.
    pub requires_third_party: bool,
    /// An explicit offer (instalments, negotiation): keeps `polite_reminder` beside harsher labels.
    pub offer: bool,
    /// Counts only when the rules do not find this category: a call-back request to a third
    /// party is pressure only while the message states no debt detail (then it is disclosure).
    pub yields_to: Option<crate::Category>,
    /// Sentences that must produce this rule's evidence.
    pub hit: Vec<String>,
    /// Sentences that must not.
    pub miss: Vec<String>,
    /// Where the rule was defined.
    pub path: String,
    /// The line of its id.
    pub line: usize,
}

impl Rule {
    /// `THR-014 (lexicons/threat.toml:12)`, for messages about the rule.
    pub fn location(&self) -> String {
        format!("{} ({}:{})", self.id, self.path, self.line)
    }
}

/// Words the context step reads: negators, speakers, quotation marks.
#[derive(Debug, Clone, Default)]
pub struct ContextWords {
    /// Words that negate a following phrase in the same clause.
    pub negators: Vec<String>,
    /// Look-alikes of negators that do not negate (`不得不`, `不排除`).
    pub non_negators: Vec<String>,
    /// Debtor-side conditions (`不还`): what follows them is a consequence, not a negated act.
    pub conditions: Vec<String>,
    /// Words that introduce a consequence (`就`, `否则`): a negator before them does not reach past.
    pub consequence_markers: Vec<String>,
    /// How many characters may stand between a negator and the phrase it negates.
    pub negation_window: usize,
    /// Negators of a promise (`不会`, `承诺不`, `绝不`) whose scope runs further through the clause.
    pub strong_negators: Vec<String>,
    /// How many characters a strong negator reaches (the rest of the clause, up to this).
    pub strong_negation_window: usize,
    /// Turn labels of the collector's side.
    pub collector_speakers: Vec<String>,
    /// Turn labels of everyone else.
    pub other_speakers: Vec<String>,
    /// Turn labels of someone other than the debtor (`家属`, `同事`, `老板`), also labels of the
    /// other side: a call whose only other speakers are these is addressed to a third party.
    pub third_party_speakers: Vec<String>,
    /// Opening and closing quotation marks.
    pub quote_pairs: Vec<(String, String)>,
    /// Words that make a `label:` at a line start a field name rather than a speaker.
    pub field_labels: Vec<String>,
    /// Asker and answer labels of a Q&A page (`网友提问`, `问`, `律师回答`, `答`).
    pub qa_labels: Vec<String>,
    /// Labels of someone advising about collection (`律师`, `法律顾问`): on a Q&A page they are
    /// not the collector, though a collection law firm's own message still is.
    pub adviser_speakers: Vec<String>,
    /// Labels that name no role (`A`, `甲`, `男`, `1`): a header gives their roles, or the
    /// content of their turns does.
    pub anonymous_speakers: Vec<String>,
    /// Words of a collector's turn (`你的借款`, `再不还`), read to tell anonymous speakers apart.
    pub collector_turn_words: Vec<String>,
    /// Words of a debtor's turn (`我没钱`, `你们别打了`).
    pub debtor_turn_words: Vec<String>,
    /// Words by which a lender or agency speaks of itself (`本公司`, `我们平台`): a speaker who is
    /// only named ("小陈:") is read as the collector only when their turns hold one.
    pub institution_words: Vec<String>,
    /// Words that make a message about a debt (`欠`, `还款`, `钱`): the clause model reads a
    /// message the rules find nothing in only when it holds one.
    pub debt_words: Vec<String>,
    /// Words that address someone (`你`, `您`, `大家`): with a debt or menace word, what makes a
    /// message one the clause model reads when the rules find nothing.
    pub addressee_words: Vec<String>,
    /// Words of veiled menace (`小心`, `没错吧`, `不好说`): with an addressee word, they too make
    /// a message the clause model reads, since a threat need not name the debt.
    pub menace_words: Vec<String>,
}

impl ContextWords {
    fn extend(&mut self, other: ContextWords) {
        self.negators.extend(other.negators);
        self.non_negators.extend(other.non_negators);
        self.conditions.extend(other.conditions);
        self.consequence_markers.extend(other.consequence_markers);
        if other.negation_window > 0 {
            self.negation_window = other.negation_window;
        }
        self.strong_negators.extend(other.strong_negators);
        if other.strong_negation_window > 0 {
            self.strong_negation_window = other.strong_negation_window;
        }
        self.collector_speakers.extend(other.collector_speakers);
        self.other_speakers.extend(other.other_speakers);
        self.third_party_speakers.extend(other.third_party_speakers);
        self.quote_pairs.extend(other.quote_pairs);
        self.field_labels.extend(other.field_labels);
        self.qa_labels.extend(other.qa_labels);
        self.adviser_speakers.extend(other.adviser_speakers);
        self.anonymous_speakers.extend(other.anonymous_speakers);
        self.collector_turn_words.extend(other.collector_turn_words);
        self.debtor_turn_words.extend(other.debtor_turn_words);
        self.institution_words.extend(other.institution_words);
        self.debt_words.extend(other.debt_words);
        self.addressee_words.extend(other.addressee_words);
        self.menace_words.extend(other.menace_words);
    }
}

/// A validated set of rules and context words.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    /// Every rule, in load order.
    pub rules: Vec<Rule>,
    /// The context words.
    pub context: ContextWords,
    /// A short hash of every source text, so a reload can be told apart.
    pub version: String,
}

/// One lexicon file's name and text.
#[derive(Debug, Clone)]
pub struct Source {
    /// The name shown in diagnostics.
    pub path: String,
    /// The TOML text.
    pub text: String,
}

impl Lexicon {
    /// The default lexicons embedded in the binary.
    ///
    /// ```
    /// let lexicon = cuishou::Lexicon::embedded();
    /// assert!(lexicon.rules.len() >= 150);
    /// ```
    pub fn embedded() -> Lexicon {
        Lexicon::from_sources(&embedded_sources()).expect("the embedded lexicons are validated by the test suite")
    }

    /// Parses and validates a set of sources; every problem is reported, not just the first.
    pub fn from_sources(sources: &[Source]) -> Result<Lexicon, Error> {
        let mut diags = Vec::new();
        let mut rules = Vec::new();
        let mut context = ContextWords::default();
        for src in sources {
            if is_context_file(&src.path) {
                match parse::context(src) {
                    Ok(c) => context.extend(c),
                    Err(d) => diags.extend(d),
                }
            } else {
                let (raw, d) = parse::rules(src);
                diags.extend(d);
                rules.extend(raw);
            }
        }
        let rules = validate::rules(rules, &context, &mut diags);
        validate::context(&context, sources, &mut diags);
        if diags.is_empty() {
            Ok(Lexicon { rules, context, version: version_of(sources) })
        } else {
            Err(Error::Lexicon(diags))
        }
    }

    /// Reads every `*.toml` file of a directory, in name order.
    pub fn read_dir(dir: &Path) -> Result<Vec<Source>, Error> {
        let io = |source| Error::Io { path: dir.to_path_buf(), source };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(Error::Lexicon(vec![Diagnostic {
                path: dir.display().to_string(),
                line: 1,
                column: 1,
                rule: None,
                message: "no *.toml lexicon files in this directory".into(),
            }]));
        }
        let mut out = Vec::new();
        for p in paths {
            let bytes = std::fs::read(&p).map_err(|source| Error::Io { path: p.clone(), source })?;
            let text = String::from_utf8(bytes).map_err(|e| {
                let (line, column) = crate::error::line_col(
                    &String::from_utf8_lossy(&e.as_bytes()[..e.utf8_error().valid_up_to()]),
                    usize::MAX,
                );
                Error::Lexicon(vec![Diagnostic {
                    path: p.display().to_string(),
                    line,
                    column,
                    rule: None,
                    message: "file is not valid UTF-8".into(),
                }])
            })?;
            out.push(Source { path: p.display().to_string(), text });
        }
        Ok(out)
    }
}

/// The embedded default sources.
pub fn embedded_sources() -> Vec<Source> {
    EMBEDDED.iter().map(|(name, text)| Source { path: format!("lexicons/{name}"), text: (*text).to_string() }).collect()
}

/// Checks a directory of lexicon files (with the embedded defaults when `with_defaults`), returning
/// every problem found.
pub fn check_dir(dir: &Path, with_defaults: bool) -> Vec<Diagnostic> {
    let mut sources = if with_defaults { embedded_sources() } else { Vec::new() };
    match Lexicon::read_dir(dir) {
        Ok(s) => sources.extend(s),
        Err(Error::Lexicon(d)) => return d,
        Err(e) => {
            return vec![Diagnostic {
                path: dir.display().to_string(),
                line: 1,
                column: 1,
                rule: None,
                message: e.to_string(),
            }]
        }
    }
    match Lexicon::from_sources(&sources) {
        Ok(lexicon) => lexicon.compile_problems(),
        Err(Error::Lexicon(d)) => d,
        Err(e) => {
            vec![Diagnostic { path: dir.display().to_string(), line: 1, column: 1, rule: None, message: e.to_string() }]
        }
    }
}

impl Lexicon {
    /// Compiles every pattern, as the matcher will on first use, and reports those that fail
    /// (a size limit: loading only parses them). `lexicon check` runs it.
    pub fn compile_problems(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for r in &self.rules {
            for (i, p) in r.patterns.iter().enumerate() {
                if let Err(e) = crate::matcher::check_pattern(p) {
                    let first = e.lines().next().unwrap_or_default().to_string();
                    out.push(Diagnostic {
                        path: r.path.clone(),
                        line: r.line,
                        column: 1,
                        rule: Some(r.id.clone()),
                        message: format!("pattern {} does not compile: {first}", i + 1),
                    });
                }
            }
        }
        out
    }
}

fn is_context_file(path: &str) -> bool {
    Path::new(path).file_name().is_some_and(|n| n == "context.toml")
}

fn version_of(sources: &[Source]) -> String {
    // FNV-1a: stable across runs and platforms, unlike the std hasher.
    let mut h: u64 = 0xcbf29ce484222325;
    for s in sources {
        for b in s.path.bytes().chain(s.text.bytes()) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")[..12].to_string()
}

/// Runs every rule's `hit` and `miss` examples through `classifier` and describes each failure as
/// `THR-014 (lexicons/threat.toml:12) expected hit, got none: "..."`.
///
/// ```
/// let c = cuishou::Classifier::new();
/// assert!(cuishou::lexicon::example_failures(&c).is_empty());
/// ```
pub fn example_failures(classifier: &crate::Classifier) -> Vec<String> {
    let mut failures = Vec::new();
    for r in classifier.rules() {
        for h in &r.hit {
            if !classifier.matched_rules(h).contains(&r.id.as_str()) {
                failures.push(format!("{} expected hit, got none: {h:?}", r.location()));
            }
        }
        for m in &r.miss {
            if classifier.matched_rules(m).contains(&r.id.as_str()) {
                failures.push(format!("{} expected miss, got a hit: {m:?}", r.location()));
            }
        }
    }
    failures
}
