//! Every check a lexicon must pass; each failure becomes a located [`Diagnostic`].

use super::parse::Located;
use super::{ContextWords, Cue, Rule, RuleKind, Source};
use crate::error::{Diagnostic, LineIndex};
use crate::Category;
use std::collections::HashMap;

pub(super) fn rules(raw: Vec<Located>, _ctx: &ContextWords, diags: &mut Vec<Diagnostic>) -> Vec<Rule> {
    let mut seen: HashMap<String, (String, usize)> = HashMap::new();
    let mut out = Vec::new();
    // Rules come file by file: one line index per file.
    let mut lines: Option<(std::sync::Arc<str>, LineIndex)> = None;
    for loc in raw {
        let before = diags.len();
        let r = &loc.raw;
        let id = r.id.get_ref().clone();
        let id_at = r.id.span().start;
        if !lines.as_ref().is_some_and(|(t, _)| std::sync::Arc::ptr_eq(t, &loc.text)) {
            lines = Some((loc.text.clone(), LineIndex::new(&loc.text)));
        }
        let line = lines.as_ref().map_or(1, |(_, index)| index.line(id_at));
        if let Some((path, first)) = seen.get(&id) {
            let where_ = if *path == loc.path { format!("line {first}") } else { format!("{path}:{first}") };
            diags.push(loc.diag(id_at, format!("duplicate rule id (first at {where_})")));
        } else {
            seen.insert(id.clone(), (loc.path.clone(), line));
        }
        let kind = kind(&loc, diags);
        if let Some(kind) = kind {
            check_id(&loc, &id, kind, diags);
        }
        let w = *r.weight.get_ref();
        if !(w > 0.0 && w <= 1.0) {
            diags.push(loc.diag(r.weight.span().start, format!("weight {w} is outside (0, 1]")));
        }
        let is_cue = matches!(kind, Some(RuleKind::Cue(_)));
        let message = r.message.as_ref().map(|m| m.get_ref().trim().to_string()).unwrap_or_default();
        if !is_cue && message.is_empty() {
            diags.push(loc.diag(loc.start, "missing or empty `message` (a one-line explanation in Chinese)"));
        }
        if message.contains('\n') {
            diags.push(loc.diag(r.message.as_ref().unwrap().span().start, "`message` must be one line"));
        }
        for p in r.phrases.iter().chain(&r.variants) {
            if p.get_ref().trim().is_empty() {
                diags.push(loc.diag(p.span().start, "empty phrase"));
            } else if crate::normalize(p.get_ref()).text.is_empty() {
                diags.push(
                    loc.diag(
                        p.span().start,
                        format!("phrase {:?} is only separators and can never match", p.get_ref()),
                    ),
                );
            }
        }
        // Parsing is enough here: patterns compile on first use (compiling all of them made up
        // most of a classifier's build time); `lexicon check` compiles them too.
        // Patterns match normalized text, so their Traditional characters are folded the same
        // way before parsing. The matcher needs only each pattern's plan; the embedded
        // lexicons' patterns were parsed and planned by the build script.
        let mut sources = Vec::with_capacity(r.patterns.len());
        let mut plans = Vec::with_capacity(r.patterns.len());
        for p in &r.patterns {
            let source = crate::normalize::simplify(p.get_ref());
            if let Some(plan) = super::embedded::plan(&source) {
                plans.push(plan);
            } else {
                match super::plan::parse(&source) {
                    Err(e) => {
                        diags.push(loc.diag(p.span().start, format!("pattern does not compile: {}", first_line(&e))))
                    }
                    Ok(hir) if hir.properties().minimum_len() == Some(0) => {
                        diags.push(loc.diag(p.span().start, "pattern matches the empty string"))
                    }
                    Ok(hir) => plans.push(super::plan::plan(hir)),
                }
            }
            sources.push(source);
        }
        if r.phrases.is_empty() && r.patterns.is_empty() {
            diags.push(loc.diag(loc.start, "rule has no `phrases` and no `patterns`"));
        }
        if let Some(req) = &r.requires {
            if req.get_ref() != "third_party" {
                diags.push(loc.diag(
                    req.span().start,
                    format!("unknown `requires` {:?} (expected \"third_party\")", req.get_ref()),
                ));
            }
        }
        if let Some(offer) = &r.offer {
            if *offer.get_ref() && kind != Some(RuleKind::Category(Category::PoliteReminder)) {
                diags.push(loc.diag(offer.span().start, "`offer` applies only to polite_reminder rules"));
            }
        }
        let yields_to = r.yields_to.as_ref().and_then(|y| {
            let to = y.get_ref().parse::<Category>().ok();
            match (to, kind) {
                (Some(to), Some(RuleKind::Category(own))) if to != own => Some(to),
                (None, _) => {
                    diags.push(loc.diag(
                        y.span().start,
                        format!(
                            "unknown `yields_to` {:?} (expected a category such as \"illegal_disclosure\")",
                            y.get_ref()
                        ),
                    ));
                    None
                }
                _ => {
                    diags.push(loc.diag(y.span().start, "`yields_to` names another category, on a category rule"));
                    None
                }
            }
        });
        if r.hit.is_empty() {
            diags.push(loc.diag(loc.start, "rule has no `hit` example (a sentence it must match)"));
        }
        if r.miss.is_empty() {
            diags.push(loc.diag(loc.start, "rule has no `miss` example (a sentence it must not match)"));
        }
        if diags.len() > before {
            continue;
        }
        let Some(kind) = kind else { continue };
        out.push(Rule {
            id,
            kind,
            weight: w,
            message,
            clause: r.clause.as_ref().map(|c| c.get_ref().trim().to_string()).unwrap_or_default(),
            phrases: r.phrases.iter().map(|p| p.get_ref().clone()).collect(),
            variants: r.variants.iter().map(|p| p.get_ref().clone()).collect(),
            patterns: sources,
            plans,
            boundary: r.boundary,
            negatable: r.negatable,
            requires_third_party: r.requires.is_some(),
            offer: r.offer.as_ref().is_some_and(|o| *o.get_ref()),
            yields_to,
            hit: r.hit.clone(),
            miss: r.miss.clone(),
            path: loc.path.clone(),
            line,
        });
    }
    out
}

fn first_line(s: &str) -> String {
    s.lines().rfind(|l| !l.trim().is_empty()).unwrap_or(s).trim().to_string()
}

fn kind(loc: &Located, diags: &mut Vec<Diagnostic>) -> Option<RuleKind> {
    let r = &loc.raw;
    let cat = r.category.get_ref().as_str();
    if cat == "cue" {
        match &r.cue {
            None => {
                diags.push(loc.diag(
                    r.category.span().start,
                    "a cue rule needs `cue` (third_party, reporting or non_collection)",
                ));
                None
            }
            Some(c) => match Cue::parse(c.get_ref()) {
                Some(cue) => Some(RuleKind::Cue(cue)),
                None => {
                    diags.push(loc.diag(
                        c.span().start,
                        format!("unknown cue {:?} (expected third_party, reporting or non_collection)", c.get_ref()),
                    ));
                    None
                }
            },
        }
    } else {
        if let Some(c) = &r.cue {
            diags.push(loc.diag(c.span().start, "`cue` is only for rules with category = \"cue\""));
        }
        match cat.parse::<Category>() {
            Ok(c) => Some(RuleKind::Category(c)),
            Err(_) => {
                diags.push(loc.diag(
                    r.category.span().start,
                    format!("unknown category {cat:?} (expected polite_reminder, pressure, threat, illegal_disclosure or cue)"),
                ));
                None
            }
        }
    }
}

fn check_id(loc: &Located, id: &str, kind: RuleKind, diags: &mut Vec<Diagnostic>) {
    let prefix = match kind {
        RuleKind::Category(Category::PoliteReminder) => "POL",
        RuleKind::Category(Category::Pressure) => "PRS",
        RuleKind::Category(Category::Threat) => "THR",
        RuleKind::Category(Category::IllegalDisclosure) => "DIS",
        RuleKind::Cue(_) => "CUE",
    };
    let ok = id.len() == 7
        && id.starts_with(prefix)
        && id.as_bytes()[3] == b'-'
        && id[4..].bytes().all(|b| b.is_ascii_digit());
    if !ok {
        diags.push(loc.diag(loc.raw.id.span().start, format!("id must look like {prefix}-001 for this category")));
    }
}

pub(super) fn context(ctx: &ContextWords, sources: &[Source], diags: &mut Vec<Diagnostic>) {
    let Some(src) = sources.iter().rev().find(|s| s.path.ends_with("context.toml")) else {
        diags.push(Diagnostic {
            path: sources.first().map_or("<lexicons>".into(), |s| s.path.clone()),
            line: 1,
            column: 1,
            rule: None,
            message: "no context.toml among the lexicon files (negators and speaker labels are needed)".into(),
        });
        return;
    };
    let lists = [
        ("negators", &ctx.negators),
        ("strong_negators", &ctx.strong_negators),
        ("non_negators", &ctx.non_negators),
        ("conditions", &ctx.conditions),
        ("consequence_markers", &ctx.consequence_markers),
        ("collector_speakers", &ctx.collector_speakers),
        ("other_speakers", &ctx.other_speakers),
        ("third_party_speakers", &ctx.third_party_speakers),
        ("qa_labels", &ctx.qa_labels),
        ("adviser_speakers", &ctx.adviser_speakers),
        ("anonymous_speakers", &ctx.anonymous_speakers),
        ("collector_turn_words", &ctx.collector_turn_words),
        ("debtor_turn_words", &ctx.debtor_turn_words),
    ];
    for (name, list) in lists {
        if list.iter().any(|w| crate::normalize(w).text.is_empty()) {
            diags.push(Diagnostic {
                path: src.path.clone(),
                line: 1,
                column: 1,
                rule: None,
                message: format!("`{name}` holds an empty entry"),
            });
        }
    }
    if ctx.negators.is_empty() {
        diags.push(Diagnostic {
            path: src.path.clone(),
            line: 1,
            column: 1,
            rule: None,
            message: "`negators` is empty".into(),
        });
    }
    for (open, close) in &ctx.quote_pairs {
        if open.is_empty() || close.is_empty() {
            diags.push(Diagnostic {
                path: src.path.clone(),
                line: 1,
                column: 1,
                rule: None,
                message: "`quote_pairs` holds an empty mark".into(),
            });
        }
    }
}
