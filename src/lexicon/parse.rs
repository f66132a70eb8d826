//! TOML text → raw rules, keeping the line and column of every field for diagnostics.

use super::{ContextWords, Source};
use crate::error::{line_col, Diagnostic};
use serde::Deserialize;
use toml::Spanned;

/// A rule as written, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub id: Spanned<String>,
    pub category: Spanned<String>,
    pub weight: Spanned<f64>,
    #[serde(default)]
    pub message: Option<Spanned<String>>,
    #[serde(default)]
    pub clause: Option<Spanned<String>>,
    #[serde(default)]
    pub phrases: Vec<Spanned<String>>,
    #[serde(default)]
    pub variants: Vec<Spanned<String>>,
    #[serde(default)]
    pub patterns: Vec<Spanned<String>>,
    #[serde(default)]
    pub boundary: bool,
    #[serde(default = "yes")]
    pub negatable: bool,
    #[serde(default)]
    pub requires: Option<Spanned<String>>,
    #[serde(default)]
    pub offer: Option<Spanned<bool>>,
    #[serde(default)]
    pub yields_to: Option<Spanned<String>>,
    #[serde(default)]
    pub cue: Option<Spanned<String>>,
    #[serde(default)]
    pub hit: Vec<String>,
    #[serde(default)]
    pub miss: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

/// A raw rule with the source it came from.
pub(super) struct Located {
    pub raw: RawRule,
    pub path: String,
    pub text: std::sync::Arc<str>,
    pub start: usize,
}

impl Located {
    /// A diagnostic at a byte offset of this rule's file.
    pub fn diag(&self, at: usize, message: impl Into<String>) -> Diagnostic {
        let (line, column) = line_col(&self.text, at);
        Diagnostic {
            path: self.path.clone(),
            line,
            column,
            rule: Some(self.raw.id.get_ref().clone()),
            message: message.into(),
        }
    }
}

pub(super) fn rules(src: &Source) -> (Vec<Located>, Vec<Diagnostic>) {
    match toml::from_str::<RawFile>(&src.text) {
        Ok(file) => {
            let text: std::sync::Arc<str> = src.text.as_str().into();
            let rules = file
                .rule
                .into_iter()
                .map(|r| {
                    let start = r.span().start;
                    Located { raw: r.into_inner(), path: src.path.clone(), text: text.clone(), start }
                })
                .collect();
            (rules, Vec::new())
        }
        Err(e) => (Vec::new(), vec![toml_error(src, &e)]),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContext {
    #[serde(default)]
    negators: Vec<String>,
    #[serde(default)]
    non_negators: Vec<String>,
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    consequence_markers: Vec<String>,
    #[serde(default)]
    negation_window: usize,
    #[serde(default)]
    strong_negators: Vec<String>,
    #[serde(default)]
    strong_negation_window: usize,
    #[serde(default)]
    collector_speakers: Vec<String>,
    #[serde(default)]
    other_speakers: Vec<String>,
    #[serde(default)]
    third_party_speakers: Vec<String>,
    #[serde(default)]
    quote_pairs: Vec<(String, String)>,
    #[serde(default)]
    field_labels: Vec<String>,
    #[serde(default)]
    qa_labels: Vec<String>,
    #[serde(default)]
    adviser_speakers: Vec<String>,
    #[serde(default)]
    anonymous_speakers: Vec<String>,
    #[serde(default)]
    collector_turn_words: Vec<String>,
    #[serde(default)]
    debtor_turn_words: Vec<String>,
    #[serde(default)]
    institution_words: Vec<String>,
    #[serde(default)]
    debt_words: Vec<String>,
    #[serde(default)]
    addressee_words: Vec<String>,
    #[serde(default)]
    menace_words: Vec<String>,
}

pub(super) fn context(src: &Source) -> Result<ContextWords, Vec<Diagnostic>> {
    let raw: RawContext = toml::from_str(&src.text).map_err(|e| vec![toml_error(src, &e)])?;
    Ok(ContextWords {
        negators: raw.negators,
        non_negators: raw.non_negators,
        conditions: raw.conditions,
        consequence_markers: raw.consequence_markers,
        negation_window: raw.negation_window,
        strong_negators: raw.strong_negators,
        strong_negation_window: raw.strong_negation_window,
        collector_speakers: raw.collector_speakers,
        other_speakers: raw.other_speakers,
        third_party_speakers: raw.third_party_speakers,
        quote_pairs: raw.quote_pairs,
        field_labels: raw.field_labels,
        qa_labels: raw.qa_labels,
        adviser_speakers: raw.adviser_speakers,
        anonymous_speakers: raw.anonymous_speakers,
        collector_turn_words: raw.collector_turn_words,
        debtor_turn_words: raw.debtor_turn_words,
        institution_words: raw.institution_words,
        debt_words: raw.debt_words,
        addressee_words: raw.addressee_words,
        menace_words: raw.menace_words,
    })
}

fn toml_error(src: &Source, e: &toml::de::Error) -> Diagnostic {
    let (line, column) = line_col(&src.text, e.span().map_or(0, |s| s.start));
    Diagnostic {
        path: src.path.clone(),
        line,
        column,
        rule: None,
        message: format!("invalid lexicon TOML: {}", e.message().trim()),
    }
}
