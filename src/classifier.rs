//! The classifier: lexicons compiled once, then `classify(&str) -> Report` for any number of
//! messages on any number of threads.

use crate::clause_model::{clauses, sigmoid, ClauseModel};
use crate::context::{is_label_end, turn_at, Context, Mark, Turn};
use crate::error::Error;
use crate::lexicon::{Cue, Lexicon, Rule, RuleKind, Source};
use crate::matcher::{Hit, Matcher};
use crate::normalize::{normalize_into, Normalized};
use crate::report::{Citation, Report, Scores};
use crate::score;
use crate::tokenize::Tokenizer;
use crate::{Category, Span, Verdict};
use std::borrow::Cow;
use std::cell::RefCell;
use std::path::PathBuf;

/// Classifies messages. Build it once; it is `Send + Sync` and shared across threads.
///
/// ```
/// use cuishou::{Classifier, Verdict};
/// let classifier = Classifier::new();
/// let report = classifier.classify("你再不还钱,明天就上*门找你,后果自负");
/// assert_eq!(report.verdict, Verdict::Threat);
/// let c = &report.citations[0];
/// assert_eq!(&"你再不还钱,明天就上*门找你,后果自负"[c.byte_start..c.byte_end], c.phrase);
/// ```
pub struct Classifier {
    lexicon: Lexicon,
    matcher: Matcher,
    context: Context,
    tokenizer: Tokenizer,
    model: Option<Cow<'static, ClauseModel>>,
    /// The lexicon's version, and the clause model's after a `+` when there is one.
    version: String,
}

/// Configures a [`Classifier`]: which lexicons, with or without the embedded defaults.
///
/// ```no_run
/// let classifier = cuishou::Classifier::builder()
///     .lexicon_dir("my-lexicons")
///     .defaults(false)
///     .build()?;
/// # Ok::<(), cuishou::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClassifierBuilder {
    dirs: Vec<PathBuf>,
    sources: Vec<Source>,
    defaults: bool,
    model: ModelChoice,
}

#[derive(Debug, Clone)]
enum ModelChoice {
    Embedded,
    Off,
    File(PathBuf),
    Given(Box<ClauseModel>),
}

impl Default for ClassifierBuilder {
    fn default() -> Self {
        ClassifierBuilder { dirs: Vec::new(), sources: Vec::new(), defaults: true, model: ModelChoice::Embedded }
    }
}

impl ClassifierBuilder {
    /// Adds every `*.toml` file of a directory.
    pub fn lexicon_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dirs.push(dir.into());
        self
    }

    /// Adds one lexicon source held in memory.
    pub fn source(mut self, path: impl Into<String>, text: impl Into<String>) -> Self {
        self.sources.push(Source { path: path.into(), text: text.into() });
        self
    }

    /// Whether the embedded default lexicons are included (they are unless told otherwise).
    pub fn defaults(mut self, yes: bool) -> Self {
        self.defaults = yes;
        self
    }

    /// The clause model to use (the embedded one unless told otherwise); `None` for rules only.
    ///
    /// ```
    /// let rules_only = cuishou::Classifier::builder().clause_model(None).build()?;
    /// let report = rules_only.classify("你再不还钱,明天就上*门找你");
    /// assert!(report.citations.iter().all(|c| !c.rule.starts_with("MODEL-")));
    /// # Ok::<(), cuishou::Error>(())
    /// ```
    pub fn clause_model(mut self, model: Option<ClauseModel>) -> Self {
        self.model = model.map_or(ModelChoice::Off, |m| ModelChoice::Given(Box::new(m)));
        self
    }

    /// Reads the clause model from a file (see [`ClauseModel::parse`]).
    pub fn clause_model_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.model = ModelChoice::File(path.into());
        self
    }

    /// Loads, validates and compiles everything; every lexicon problem is reported at once.
    pub fn build(self) -> Result<Classifier, Error> {
        let mut sources = if self.defaults { crate::lexicon::embedded_sources() } else { Vec::new() };
        for d in &self.dirs {
            sources.extend(Lexicon::read_dir(d)?);
        }
        sources.extend(self.sources);
        let model = match self.model {
            ModelChoice::Embedded => Some(Cow::Borrowed(ClauseModel::embedded())),
            ModelChoice::Off => None,
            ModelChoice::Given(m) => Some(Cow::Owned(*m)),
            ModelChoice::File(path) => {
                let text = std::fs::read_to_string(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
                Some(Cow::Owned(ClauseModel::parse(&path.display().to_string(), &text)?))
            }
        };
        Ok(Classifier::with_model(Lexicon::from_sources(&sources)?, model))
    }
}

#[derive(Default)]
struct Scratch {
    /// The normalized text alone, for the first pass that finds whether anything matches.
    text: String,
    norm: Normalized,
    hits: Vec<Hit>,
    marks: Vec<Mark>,
    /// The clause model's n-gram keys of one clause.
    keys: Vec<u64>,
    /// Which input `norm` holds (address and length), so the clause model never reads the
    /// normalized text of another message.
    norm_of: (usize, usize),
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// A hit that survived the context checks.
struct Evidence {
    rule: usize,
    byte_start: usize,
    byte_end: usize,
    speaker: Option<String>,
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier::new()
    }
}

impl Classifier {
    /// The classifier over the embedded default lexicons.
    pub fn new() -> Classifier {
        Classifier::from_lexicon(Lexicon::embedded())
    }

    /// A builder for other lexicon sets.
    pub fn builder() -> ClassifierBuilder {
        ClassifierBuilder::default()
    }

    /// Compiles an already validated lexicon, with the embedded clause model (whatever the
    /// rules: the model reads only messages they find to be collection; use the builder's
    /// [`clause_model`](ClassifierBuilder::clause_model) for rules alone).
    pub fn from_lexicon(lexicon: Lexicon) -> Classifier {
        Classifier::with_model(lexicon, Some(Cow::Borrowed(ClauseModel::embedded())))
    }

    fn with_model(lexicon: Lexicon, model: Option<Cow<'static, ClauseModel>>) -> Classifier {
        crate::normalize::warm_up();
        // The debt, addressee and menace words ride on the matcher's walk (marker bits
        // `DEBT_WORD`, `ADDRESSEE_WORD`, `MENACE_WORD`, in this order): searching for them apart
        // from it cost a sixth of the time of a message that matches nothing.
        let ctx = &lexicon.context;
        let matcher =
            Matcher::with_markers(&lexicon.rules, &[&ctx.debt_words, &ctx.addressee_words, &ctx.menace_words]);
        let context = Context::new(&lexicon.context);
        let words = normalized_phrases(&lexicon.rules).into_iter().filter(|w| w.chars().count() > 1).collect();
        let version = match &model {
            Some(m) => format!("{}+{}", lexicon.version, m.version()),
            None => lexicon.version.clone(),
        };
        Classifier { matcher, context, tokenizer: Tokenizer::new(words), lexicon, model, version }
    }

    /// Compiles every regex pattern now. Patterns otherwise compile the first time a message
    /// holds their gate literal, which keeps construction fast for a command-line run; a server
    /// calls this once so that no request pays for a compilation.
    ///
    /// ```
    /// let c = cuishou::Classifier::new();
    /// c.warm_up();
    /// assert_eq!(c.classify("你再不还钱,明天就上*门找你").verdict, cuishou::Verdict::Threat);
    /// ```
    pub fn warm_up(&self) {
        self.matcher.compile_all();
        self.tokenizer.boundaries("预热");
    }

    /// The clause model in use, if any.
    pub fn clause_model(&self) -> Option<&ClauseModel> {
        self.model.as_deref()
    }

    /// Every rule, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.lexicon.rules
    }

    /// Every phrase and variant of every rule, normalized, sorted and deduplicated: the patterns
    /// of the classifier's own automaton (what a plain keyword scan would look for).
    ///
    /// ```
    /// let phrases = cuishou::Classifier::new().phrases();
    /// assert!(phrases.windows(2).all(|w| w[0] < w[1]));
    /// ```
    pub fn phrases(&self) -> Vec<String> {
        normalized_phrases(&self.lexicon.rules)
    }

    /// A short hash identifying the lexicon set in use, and after a `+` the clause model's.
    pub fn lexicon_version(&self) -> &str {
        &self.version
    }

    /// Classifies one message.
    pub fn classify(&self, input: &str) -> Report {
        let (evidence, turns, model_may_read) = self.evidence(input, false);
        self.report(input, &evidence, &turns, model_may_read)
    }

    /// Ids of the rules whose evidence survives the context checks in `input`, cues included,
    /// before thresholds. The rule-example tests use it.
    ///
    /// ```
    /// let c = cuishou::Classifier::new();
    /// let ids = c.matched_rules("我们不会上门");
    /// assert!(ids.iter().all(|id| !id.starts_with("THR")));
    /// ```
    pub fn matched_rules(&self, input: &str) -> Vec<&str> {
        let mut ids: Vec<&str> =
            self.evidence(input, true).0.iter().map(|e| self.lexicon.rules[e.rule].id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The hits that survive the context checks, the message's speaker turns, and, when there is
    /// a clause model, whether it may read a message the rules find nothing in (see
    /// [`Classifier::report`]). Without `all_cues`, a message whose hits are all cues and that
    /// the model may not read gets no evidence at all: its verdict is `none` whatever the cues
    /// say, and most ordinary traffic that hits anything hits only cues (验证码, 退订).
    fn evidence(&self, input: &str, all_cues: bool) -> (Vec<Evidence>, Vec<Turn>, bool) {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let Scratch { text, norm, norm_of, hits, marks, .. } = &mut *s;
            // Most traffic matches nothing, so the offset map and clause breaks (most of the
            // cost of normalizing) are built only once there is a hit to map back. Both passes
            // fold the same way, so the hits' offsets hold in `norm.text` too.
            let markers = self.matcher.find_folding(input, text, hits);
            let model_may_read = self.model.is_some() && worth_reading(markers);
            let rules = &self.lexicon.rules;
            let only_cues = || hits.iter().all(|h| matches!(rules[h.rule].kind, RuleKind::Cue(_)));
            if hits.is_empty() || !all_cues && !model_may_read && only_cues() {
                // `norm` still holds an earlier message, which may have had this one's address
                // and length (a reused buffer): the clause model must normalize this one afresh.
                *norm_of = (0, 0);
                return (Vec::new(), Vec::new(), model_may_read);
            }
            normalize_into(input, norm);
            *norm_of = (input.as_ptr() as usize, input.len());
            debug_assert_eq!(text, &norm.text);
            let turns = self.context.turns(input);
            // Separators are dropped before matching, so a pattern can run from the end of one
            // turn into the next speaker's label ("你们会⏎催收: 派人上门催收"): nobody said
            // that, and it must not hide the match inside the next turn either. Rare, so the
            // turn-bounded search runs only when a hit crosses a turn's start.
            let turn_starts: Vec<usize> =
                turns.iter().filter(|t| t.byte_start > 0).map(|t| norm.input_to_normalized(t.byte_start)).collect();
            let spans = |h: &Hit| turn_starts.iter().any(|&b| h.start < b && b < h.end);
            if hits.iter().any(|h| spans(h) && matches!(rules[h.rule].kind, RuleKind::Category(_))) {
                // Cues read the message as a whole ("[业主群] 某用户: …借款逾期" is a group
                // post), so theirs stand. (Of those, the check below still keeps only a cue that
                // starts before the first turn, in nobody's turn.)
                let cues: Vec<Hit> = hits
                    .iter()
                    .filter(|h| spans(h) && matches!(rules[h.rule].kind, RuleKind::Cue(_)))
                    .copied()
                    .collect();
                self.matcher.find_within_turns(text, &turn_starts, hits);
                hits.extend(cues);
                hits.sort_unstable_by(Hit::order);
            }
            if hits.iter().any(|h| rules[h.rule].negatable) {
                self.context.marks(norm, marks);
            } else {
                marks.clear();
            }
            let boundaries = hits.iter().any(|h| rules[h.rule].boundary).then(|| self.tokenizer.boundaries(&norm.text));
            let mut out = Vec::with_capacity(hits.len());
            for h in hits.iter() {
                let rule = &rules[h.rule];
                if let Some(b) = &boundaries {
                    if rule.boundary && !(b.binary_search(&h.start).is_ok() && b.binary_search(&h.end).is_ok()) {
                        continue;
                    }
                }
                let (byte_start, byte_end) = norm.to_input(h.start, h.end);
                let turn = turn_at(&turns, byte_start);
                // In a transcript only the collector's words count, and of a note after the call
                // (nobody's turn) only its cues.
                let note = turn.is_some_and(|t| t.narrator);
                if !(speaks_for_collector(turn) || note && matches!(rule.kind, RuleKind::Cue(_))) {
                    continue;
                }
                // Separators are dropped before matching, so a phrase can run from the end of
                // one turn into the next speaker's label ("通知您。⏎客户"): nobody said that.
                if turn.is_some_and(|t| !std::ptr::eq(t, turn_at(&turns, byte_end - 1).unwrap_or(t))) {
                    continue;
                }
                if rule.negatable && self.context.negated(norm, marks, h.start) {
                    continue;
                }
                // A collector's own words are collection, whatever they mention: cues that would
                // mark a report or an advertisement do not count inside the collector's turn.
                // A settlement notice does ("客服: 您的贷款已全部结清"): nothing is owed.
                if turn.is_some_and(|t| t.collector)
                    && match rule.kind {
                        RuleKind::Cue(Cue::Reporting) => true,
                        RuleKind::Cue(Cue::NonCollection) => {
                            !SETTLED.iter().any(|w| norm.text[h.start..h.end].contains(w))
                        }
                        _ => false,
                    }
                {
                    continue;
                }
                out.push(Evidence {
                    rule: h.rule,
                    byte_start,
                    byte_end,
                    speaker: turn.filter(|t| !t.narrator).map(|t| t.label.clone()),
                });
            }
            let callee_third_party = self.context.callee_is_third_party(input, &turns);
            let ev = self.apply_cues(input, &norm.text, out, callee_third_party);
            (ev, turns, model_may_read)
        })
    }

    /// Applies the message-level cues: a reporting text counts no collector evidence, a
    /// notice that is not collection counts no polite reminder (nor debt details to a group:
    /// an advertisement greets "各位" too), and rules that need a third-party addressee count
    /// only when there is one.
    fn apply_cues(
        &self,
        input: &str,
        normalized: &str,
        mut ev: Vec<Evidence>,
        callee_third_party: bool,
    ) -> Vec<Evidence> {
        let rules = &self.lexicon.rules;
        // Cues only ever remove category evidence: with none (most ordinary messages that hit
        // anything hit only cues: 验证码, 退订, 投诉电话) there is nothing to weigh.
        if !ev.iter().any(|e| matches!(rules[e.rule].kind, RuleKind::Category(_))) {
            return ev;
        }
        let quoted = if self.lexicon.context.quote_pairs.is_empty() { Vec::new() } else { self.context.quoted(input) };
        let inside = |e: &Evidence| quoted.iter().any(|&(s, t)| s <= e.byte_start && e.byte_end <= t);
        // A reporting word that lies inside a phrase a category rule cites is that phrase's word
        // ("台端…警方近日将前往拘提", "移交警方"): in a message that speaks to "you", the
        // collector said it, and it does not make the whole message a report. A news item
        // ("警方已介入调查") speaks of third persons and keeps the cue.
        let addressed = std::cell::OnceCell::new();
        let addressed =
            || *addressed.get_or_init(|| ["你", "您", "妳", "台端", "阁下", "閣下"].iter().any(|w| input.contains(w)));
        let within_claim = |e: &Evidence| {
            matches!(rules[e.rule].kind, RuleKind::Cue(Cue::Reporting))
                && ev.iter().any(|o| {
                    matches!(rules[o.rule].kind, RuleKind::Category(Category::Threat | Category::Pressure))
                        && o.byte_start <= e.byte_start
                        && e.byte_end <= o.byte_end
                        && (o.byte_end - o.byte_start) > (e.byte_end - e.byte_start)
                })
                && addressed()
        };
        // A reporting word in a clause the collector speaks to the debtor or about itself
        // ("网友也帮不了你", "警方不会管你", "你去投诉吧", "本平台严格遵守监管部门的要求") is
        // the collector's own taunt or assurance, not a report about collection: a complaint
        // or an article speaks of "我" or of third persons.
        let own_clause = |e: &Evidence| {
            matches!(rules[e.rule].kind, RuleKind::Cue(Cue::Reporting))
                && ({
                    let cited = crate::normalize(&input[e.byte_start..e.byte_end]).text;
                    RECOURSE.iter().any(|w| cited.contains(w))
                } || accusation_quoted_back(input, e))
                && collector_clause(input, e, &quoted)
        };
        let cue = |c: Cue, ev: &[Evidence]| {
            let ids: Vec<usize> = ev
                .iter()
                .filter(|e| rules[e.rule].kind == RuleKind::Cue(c))
                .filter(|e| !inside(e) && !within_claim(e) && !own_clause(e))
                .map(|e| e.rule)
                .collect();
            score::noisy_or(rules, ids.iter(), RuleKind::Cue(c))
        };
        let reporting = cue(Cue::Reporting, &ev);
        // A call answered only by a relative, a colleague or a boss is addressed to them, whatever
        // the collector's words say of it.
        let third_party = callee_third_party || cue(Cue::ThirdParty, &ev) >= score::THRESHOLD;
        let non_collection = cue(Cue::NonCollection, &ev) >= score::THRESHOLD;
        // Hearsay is rare: one look at the whole message spares each hit its sentence's fold.
        let hearsay = HEARSAY.iter().any(|w| normalized.contains(w));
        ev.retain(|e| {
            let r = &rules[e.rule];
            match r.kind {
                RuleKind::Cue(_) => true,
                RuleKind::Category(c) => {
                    reporting < score::THRESHOLD
                        && !(reporting > 0.0 && inside(e))
                        && (third_party && !non_collection || !r.requires_third_party)
                        && !(non_collection && c == Category::PoliteReminder)
                        && !(hearsay && hearsay_denied(input, e))
                }
            }
        });
        ev
    }

    fn report(&self, input: &str, ev: &[Evidence], turns: &[Turn], model_may_read: bool) -> Report {
        let rules = &self.lexicon.rules;
        // Where the rules give no label, the clause model still reads a message addressed to
        // someone about a debt, or in words of veiled menace, that no cue marks as a report or a
        // notice: a threat can be made in words no list holds ("你老婆每天早上7点40出门买菜。钱
        // 准备好了没有?"). Ordinary traffic, which the model never learned from, stays unread,
        // and a clause must clear `label` to count.
        let unread = model_may_read
            && !ev.iter().any(|e| matches!(rules[e.rule].kind, RuleKind::Cue(Cue::Reporting | Cue::NonCollection)));
        if !unread && ev.iter().all(|e| matches!(rules[e.rule].kind, RuleKind::Cue(_))) {
            return Report::none();
        }
        // With no hit at all the turns were never read.
        let read_turns;
        let turns = if unread && ev.is_empty() {
            read_turns = self.context.turns(input);
            &read_turns[..]
        } else {
            turns
        };
        let mut scores = [0.0; 4];
        for c in Category::ALL {
            scores[c.index()] = score::noisy_or(rules, ev.iter().map(|e| &e.rule), RuleKind::Category(c));
        }
        // Decided on the rules' own scores, so a rule's score and its citation yield together.
        let found = scores.map(|s| s >= score::THRESHOLD);
        let yielded = |r: usize| rules[r].yields_to.is_some_and(|to| found[to.index()]);
        if ev.iter().any(|e| yielded(e.rule)) {
            for c in Category::ALL {
                let kept = ev.iter().map(|e| &e.rule).filter(|&&r| !yielded(r));
                scores[c.index()] = score::noisy_or(rules, kept, RuleKind::Category(c));
            }
        }
        let offer = ev.iter().any(|e| rules[e.rule].offer);
        // The clause model reads what the rules found to be collection, and (above) a message
        // about a debt they found nothing in: it adds words no list holds, never a verdict to
        // ordinary traffic.
        let model = match &self.model {
            Some(m) if unread || !score::labels(&scores, offer).is_empty() => {
                let clauses = self.model_clauses(input, m, turns);
                for mc in &clauses {
                    for (s, &z) in scores.iter_mut().zip(&mc.log_odds) {
                        if z > m.label() {
                            *s = s.max(sigmoid(z as f64));
                        }
                    }
                }
                Some((m, clauses))
            }
            _ => None,
        };
        let labels = score::labels(&scores, offer);
        let polite_kept = labels.contains(&Category::PoliteReminder);
        let only_offers = polite_kept && labels.len() > 1;
        // Character offsets counted on from the previous citation's start when it lies before
        // (evidence comes mostly in text order), rather than from the start of the input.
        let mut counted = (0, 0);
        let mut span_of = |byte_start: usize, byte_end: usize| {
            let (byte, char) = if counted.0 <= byte_start { counted } else { (0, 0) };
            let start = char + input[byte..byte_start].chars().count();
            counted = (byte_start, start);
            let end = start + input[byte_start..byte_end].chars().count();
            let span = Span { start, end, byte_start, byte_end };
            debug_assert_eq!(span, Span::from_bytes(input, byte_start, byte_end));
            span
        };
        let mut citations: Vec<Citation> = ev
            .iter()
            .filter_map(|e| {
                let r = &rules[e.rule];
                let RuleKind::Category(c) = r.kind else { return None };
                if !labels.contains(&c) || (c == Category::PoliteReminder && only_offers && !r.offer) || yielded(e.rule)
                {
                    return None;
                }
                let span = span_of(e.byte_start, e.byte_end);
                Some(Citation::new(input, span, c, (&r.id, &r.message, &r.clause), e.speaker.clone()))
            })
            .collect();
        if let Some((m, clauses)) = model {
            let by_rules = citations.len();
            let mut cited = Vec::new();
            for mc in &clauses {
                for &c in &labels {
                    if c == Category::PoliteReminder && only_offers {
                        continue;
                    }
                    cited.clear();
                    cited.extend(
                        citations[..by_rules]
                            .iter()
                            .filter(|o| o.category == c && o.byte_start < mc.byte_end && mc.byte_start < o.byte_end)
                            .map(|o| (o.byte_start, o.byte_end)),
                    );
                    if cited.is_empty() {
                        if mc.log_odds[c.index()] > m.cite() {
                            let span = span_of(mc.byte_start, mc.byte_end);
                            citations.push(Citation::new(input, span, c, model_rule(c), mc.speaker.clone()));
                        }
                        continue;
                    }
                    // A rule cites part of this clause: what it leaves is cited only when it
                    // reads as the category on its own, so the model never repeats the rule.
                    // (Citing the rest because the whole clause scores would cite "今晚不还就"
                    // as a threat when the threat is the rule's "弄死你".)
                    for (start, end) in uncited(input, mc.byte_start, mc.byte_end, &mut cited) {
                        if self.score_piece(m, input, start, end)[c.index()] > m.cite() {
                            let span = span_of(start, end);
                            citations.push(Citation::new(input, span, c, model_rule(c), mc.speaker.clone()));
                        }
                    }
                }
            }
        }
        citations.sort_by(|a, b| a.byte_start.cmp(&b.byte_start).then(b.byte_end.cmp(&a.byte_end)));
        let verdict = labels.last().map_or(Verdict::None, |&c| Verdict::from(c));
        Report { verdict, labels, scores: Scores::from_array(scores), citations }
    }

    /// The clause model's log-odds for `input[start..end]`, read from the normalized copy the
    /// scratch space holds for this input.
    fn score_piece(&self, model: &ClauseModel, input: &str, start: usize, end: usize) -> [f32; 4] {
        with_normalized(input, |norm, keys| {
            let (from, to) = (norm.input_to_normalized(start), norm.input_to_normalized(end));
            if from >= to {
                return [f32::NEG_INFINITY; 4];
            }
            model.score_with(&norm.text[from..to], keys)
        })
    }

    /// Scores every clause the collector says (in a transcript, the collector's turns only) with
    /// the clause model.
    fn model_clauses(&self, input: &str, model: &ClauseModel, turns: &[Turn]) -> Vec<ModelClause> {
        with_normalized(input, |norm, keys| {
            let mut out = Vec::new();
            let mut cuts = Vec::new();
            for (ns, ne) in clauses(norm) {
                let (clause_start, clause_end) = norm.to_input(ns, ne);
                // A clause can run from one turn into the next speaker's label when the label
                // stands inline ("…挂横幅 客户: 好"): each turn's piece is read on its own, and
                // a piece that opens with a label is read without it.
                cuts.clear();
                cuts.push(clause_start);
                cuts.extend(turns.iter().map(|t| t.byte_start).filter(|&b| clause_start < b && b < clause_end));
                cuts.push(clause_end);
                for w in cuts.windows(2) {
                    let (mut start, end) = (w[0], w[1]);
                    let turn = turn_at(turns, start);
                    if let Some(t) = turn.filter(|t| t.byte_start == start && !t.narrator) {
                        start = (start + t.label.len()).min(end);
                        start = end - input[start..end].trim_start_matches(is_label_end).len();
                    }
                    let end = start + input[start..end].trim_end().len();
                    let (from, to) = (norm.input_to_normalized(start), norm.input_to_normalized(end));
                    if from >= to || !speaks_for_collector(turn) {
                        continue;
                    }
                    let log_odds = model.score_with(&norm.text[from..to], keys);
                    if log_odds.iter().any(|&z| z > model.cite()) {
                        out.push(ModelClause {
                            byte_start: start,
                            byte_end: end,
                            log_odds,
                            speaker: turn.map(|t| t.label.clone()),
                        });
                    }
                }
            }
            out
        })
    }
}

/// The matcher's marker bits, in the order of the marker sets given to it.
const DEBT_WORD: u32 = 0b001;
const ADDRESSEE_WORD: u32 = 0b010;
const MENACE_WORD: u32 = 0b100;

/// Whether a message the rules find nothing in is one the clause model reads: it addresses
/// someone, and it is about a debt or holds a word of veiled menace ("那条路挺偏的,你自己小心点"
/// names no debt and is still a threat).
fn worth_reading(markers: u32) -> bool {
    markers & ADDRESSEE_WORD != 0 && markers & (DEBT_WORD | MENACE_WORD) != 0
}

/// Runs `f` on this thread's normalized copy of `input` (and its n-gram key buffer).
/// `evidence` normalized this input a moment ago; anything else is normalized again, as it
/// would map wrongly.
fn with_normalized<T>(input: &str, f: impl FnOnce(&Normalized, &mut Vec<u64>) -> T) -> T {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let Scratch { norm, norm_of, keys, .. } = &mut *s;
        if *norm_of != (input.as_ptr() as usize, input.len()) {
            normalize_into(input, norm);
            *norm_of = (input.as_ptr() as usize, input.len());
        }
        f(norm, keys)
    })
}

/// The pieces of `input[start..end]` outside the `cited` byte ranges, trimmed, of two
/// characters or more.
fn uncited(input: &str, start: usize, end: usize, cited: &mut [(usize, usize)]) -> Vec<(usize, usize)> {
    cited.sort_unstable();
    let mut pieces = Vec::new();
    let mut from = start;
    for (s, e) in cited.iter().map(|&(s, e)| (s.max(start), e.min(end))).chain([(end, end)]) {
        let piece = &input[from..s.max(from)];
        let lead = piece.len() - piece.trim_start().len();
        let (a, b) = (from + lead, from + piece.trim_end().len());
        if a < b && input[a..b].chars().nth(1).is_some() {
            pieces.push((a, b));
        }
        from = from.max(e);
    }
    pieces
}

/// Whether words at this turn are the collector's own: outside any transcript, or in a
/// collector's turn (not a debtor's, nor a note after the call).
fn speaks_for_collector(turn: Option<&Turn>) -> bool {
    turn.is_none_or(|t| t.collector && !t.narrator)
}

/// A clause the model scored above a threshold, in input bytes.
struct ModelClause {
    byte_start: usize,
    byte_end: usize,
    log_odds: [f32; 4],
    speaker: Option<String>,
}

/// The id, message and clause a clause-model citation carries, per category.
pub(crate) fn model_rule(c: Category) -> (&'static str, &'static str, &'static str) {
    match c {
        Category::PoliteReminder => ("MODEL-POL", "整句读来是礼貌的还款提醒(分句模型,据训练语料学得)", "合同约定"),
        Category::Pressure => {
            ("MODEL-PRS", "整句读来是施压催收(分句模型,据训练语料学得)", "NIFA-2018 第四章; FDCPA §806")
        }
        Category::Threat => {
            ("MODEL-THR", "整句读来是威胁(分句模型,据训练语料学得)", "NIFA-2018 第四章; FDCPA §806; FDCPA §807(5)")
        }
        Category::IllegalDisclosure => (
            "MODEL-DIS",
            "整句读来是向第三方透露债务(分句模型,据训练语料学得)",
            "民法典第1032条; NIFA-2018 第四章; FDCPA §805(b); 12 CFR 1006.6(d)",
        ),
    }
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Classifier>();
};

/// Words of a settlement notice cue ("已全部结清", "还款成功"): in a service agent's turn they
/// still say that nothing is owed.
const SETTLED: &[&str] = &["结清", "还清", "还款成功", "无待还"];

/// Recourse a debtor could turn to ("网友", "警方", "投诉", "监管部门"): a collector names them
/// to taunt or to reassure, so in the collector's own clause they do not make a report.
const RECOURSE: &[&str] = &[
    "网友",
    "警方",
    "警察",
    "报警",
    "投诉",
    "举报",
    "维权",
    "监管",
    "银保监",
    "12378",
    "12315",
    "110",
    "记者",
    "媒体",
];

/// Hearsay that a sentence goes on to deny ("网上有人说我们会爆通讯录,那是谣言"): what it
/// reports is refuted, not said.
const HEARSAY: &[&str] = &["有人说", "网上说", "网传", "据说", "传言", "听说", "有人讲"];
const DENIAL: &[&str] = &["谣言", "不是真的", "是假的", "不实", "绝无此事", "没有这回事", "没有的事"];
const SENTENCE_ENDS: &[char] = &['。', '！', '!', '？', '?', '\n'];

/// True when evidence `e` ends after hearsay and before a denial in one sentence. The sentence
/// is the one `e` ends in: a pattern can run in from the sentence before ("已逾期。网上有人说
/// 我们会爆通讯录"), since punctuation is dropped before matching.
fn hearsay_denied(input: &str, e: &Evidence) -> bool {
    let last = input[..e.byte_end].char_indices().next_back().map_or(e.byte_start, |(i, _)| i);
    let (start, end) = around(input, last, e.byte_end, SENTENCE_ENDS);
    let before = crate::normalize(&input[start..e.byte_end]).text;
    if !HEARSAY.iter().any(|w| before.contains(w)) {
        return false;
    }
    let after = crate::normalize(&input[e.byte_end..end]).text;
    DENIAL.iter().any(|w| after.contains(w))
}

/// The stretch of `input` between the last of `breaks` before `from` and the first at or after
/// `to`, breaks excluded: the sentence or clause a span lies in.
fn around(input: &str, from: usize, to: usize, breaks: &[char]) -> (usize, usize) {
    let start = input[..from].rfind(breaks).map_or(0, |i| i + input[i..].chars().next().map_or(1, char::len_utf8));
    let end = input[to..].find(breaks).map_or(input.len(), |i| to + i);
    (start, end)
}

/// Characters that end a clause in the input.
const CLAUSE_BREAKS: &[char] = &['。', '，', ',', '！', '!', '？', '?', '；', ';', '：', ':', '\n', '…', '　'];

/// Collector self-references: a sentence holding one speaks for the lender or its agency
/// ("如对本通知有异议,可向监管部门反映").
const COLLECTOR_SELF: &[&str] = &[
    "本平台",
    "我司",
    "本公司",
    "我们平台",
    "我們平台",
    "本行",
    "我行",
    "我们公司",
    "我們公司",
    "本机构",
    "本機構",
    "我哋公司",
    "本通知",
    "本函",
    "本催收函",
];

/// True when the clause around `e` (outside quotation marks) is the collector's: its sentence
/// names the lender itself ("本平台", "我司", "本通知"), or the clause speaks to "你" and holds
/// no first-person "我" of a debtor telling their own story ("我们"/"我司" are not that "我").
fn collector_clause(input: &str, e: &Evidence, quoted: &[(usize, usize)]) -> bool {
    let (s_start, s_end) = around(input, e.byte_start, e.byte_end, SENTENCE_ENDS);
    if COLLECTOR_SELF.iter().any(|w| input[s_start..s_end].contains(w)) {
        return true;
    }
    let (start, end) = around(input, e.byte_start, e.byte_end, CLAUSE_BREAKS);
    let mut you = false;
    let mut me = false;
    let clause = &input[start..end];
    let mut it = clause.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let at = start + i;
        if quoted.iter().any(|&(s, t)| s <= at && at < t) {
            continue;
        }
        match c {
            '你' | '妳' => you = true,
            // 我们/我司/我行/我哋 is the collector; a lone 我 is a person telling their own story.
            '我' if !matches!(it.peek(), Some((_, '们' | '們' | '司' | '行' | '哋'))) => me = true,
            _ => {}
        }
    }
    you && !me
}

/// True when the clause before `e` has "you" telling of "us" ("你在网上发帖说我们暴力催收?",
/// "你去投诉我们…"): the collector quotes the debtor's charge back, and the reporting word in it
/// is the debtor's, repeated by the collector, not a report about collection.
fn accusation_quoted_back(input: &str, e: &Evidence) -> bool {
    let (start, _) = around(input, e.byte_start, e.byte_end, CLAUSE_BREAKS);
    let before = &input[start..e.byte_start];
    let Some(you) = before.find(['你', '您', '妳']) else { return false };
    let after_you = &before[you..];
    let Some(verb) = ACCUSE.iter().filter_map(|v| after_you.find(v).map(|i| i + v.len())).min() else {
        return false;
    };
    US.iter().any(|w| after_you[verb..].contains(w))
}

/// Verbs a debtor accuses the collector with.
const ACCUSE: &[&str] =
    &["说", "說", "讲", "講", "话", "話", "告", "投诉", "投訴", "举报", "舉報", "曝光", "发帖", "發帖", "爆料"];

/// The collector's "us".
const US: &[&str] = &["我们", "我們", "我司", "我哋", "本公司", "本平台"];

/// Every phrase and variant of `rules`, normalized, sorted and deduplicated.
fn normalized_phrases(rules: &[Rule]) -> Vec<String> {
    let mut ps: Vec<String> =
        rules.iter().flat_map(|r| r.phrases.iter().chain(&r.variants)).map(|p| crate::normalize(p).text).collect();
    ps.sort_unstable();
    ps.dedup();
    ps
}
