//! The answer for one message: the JSON contract and nothing else.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The overall answer, in the label guide's order of severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Not a collection message.
    None,
    /// A lawful, neutral reminder.
    PoliteReminder,
    /// Coercive but not unlawful by itself.
    Pressure,
    /// Intimidation beyond lawful means.
    Threat,
    /// The debt is revealed to someone else.
    IllegalDisclosure,
}

/// A category a message can be labeled with: every verdict but `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A lawful, neutral reminder.
    PoliteReminder,
    /// Coercive but not unlawful by itself.
    Pressure,
    /// Intimidation beyond lawful means.
    Threat,
    /// The debt is revealed to someone else.
    IllegalDisclosure,
}

impl Category {
    /// All categories, least severe first.
    pub const ALL: [Category; 4] =
        [Category::PoliteReminder, Category::Pressure, Category::Threat, Category::IllegalDisclosure];

    /// The snake_case name used in JSON and lexicons.
    pub fn as_str(self) -> &'static str {
        Verdict::from(self).as_str()
    }

    /// Position in [`Category::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl From<Category> for Verdict {
    fn from(c: Category) -> Verdict {
        match c {
            Category::PoliteReminder => Verdict::PoliteReminder,
            Category::Pressure => Verdict::Pressure,
            Category::Threat => Verdict::Threat,
            Category::IllegalDisclosure => Verdict::IllegalDisclosure,
        }
    }
}

impl Verdict {
    /// All verdicts, least severe first.
    pub const ALL: [Verdict; 5] =
        [Verdict::None, Verdict::PoliteReminder, Verdict::Pressure, Verdict::Threat, Verdict::IllegalDisclosure];

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::None => "none",
            Verdict::PoliteReminder => "polite_reminder",
            Verdict::Pressure => "pressure",
            Verdict::Threat => "threat",
            Verdict::IllegalDisclosure => "illegal_disclosure",
        }
    }

    /// The verdict in plain Chinese, for people.
    pub fn chinese(self) -> &'static str {
        match self {
            Verdict::None => "不是催收消息",
            Verdict::PoliteReminder => "正常还款提醒",
            Verdict::Pressure => "施压催收(尚未违法)",
            Verdict::Threat => "威胁恐吓(超出合法手段)",
            Verdict::IllegalDisclosure => "违法泄露债务信息给第三方",
        }
    }

    /// The verdict in plain English.
    pub fn english(self) -> &'static str {
        match self {
            Verdict::None => "not a collection message",
            Verdict::PoliteReminder => "polite reminder",
            Verdict::Pressure => "pressure",
            Verdict::Threat => "threat",
            Verdict::IllegalDisclosure => "illegal disclosure",
        }
    }

    /// The category behind this verdict (`None` for [`Verdict::None`]).
    pub fn category(self) -> Option<Category> {
        match self {
            Verdict::None => None,
            Verdict::PoliteReminder => Some(Category::PoliteReminder),
            Verdict::Pressure => Some(Category::Pressure),
            Verdict::Threat => Some(Category::Threat),
            Verdict::IllegalDisclosure => Some(Category::IllegalDisclosure),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Verdict, String> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| {
            format!("unknown verdict '{s}' (expected none, polite_reminder, pressure, threat or illegal_disclosure)")
        })
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Category, String> {
        match s.parse::<Verdict>()?.category() {
            Some(c) => Ok(c),
            None => Err("'none' is not a category".into()),
        }
    }
}

/// One score per category, each in `0.0..=1.0`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Score for `polite_reminder`.
    pub polite_reminder: f64,
    /// Score for `pressure`.
    pub pressure: f64,
    /// Score for `threat`.
    pub threat: f64,
    /// Score for `illegal_disclosure`.
    pub illegal_disclosure: f64,
}

impl Scores {
    /// The score of one category.
    pub fn get(&self, c: Category) -> f64 {
        match c {
            Category::PoliteReminder => self.polite_reminder,
            Category::Pressure => self.pressure,
            Category::Threat => self.threat,
            Category::IllegalDisclosure => self.illegal_disclosure,
        }
    }

    pub(crate) fn from_array(a: [f64; 4]) -> Scores {
        let r = |x: f64| (x * 100.0).round() / 100.0;
        Scores { polite_reminder: r(a[0]), pressure: r(a[1]), threat: r(a[2]), illegal_disclosure: r(a[3]) }
    }
}

/// One piece of evidence: a phrase of the original input and the rule it matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    /// The category this evidence supports.
    pub category: Category,
    /// The rule id, e.g. `THR-014`.
    pub rule: String,
    /// The phrase exactly as it stands in the input (inserted symbols included).
    pub phrase: String,
    /// First character of the phrase in the input.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// First byte of the phrase in the input.
    pub byte_start: usize,
    /// One past the last byte.
    pub byte_end: usize,
    /// The rule's one-line message, in Chinese.
    pub message: String,
    /// The regulation clause the rule rests on.
    pub clause: String,
    /// In a transcript, the speaker label of the turn the phrase came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
}

impl Citation {
    /// The citation's place in the input.
    pub fn span(&self) -> crate::Span {
        crate::Span { start: self.start, end: self.end, byte_start: self.byte_start, byte_end: self.byte_end }
    }
}

impl Citation {
    /// The citation of `input[span]` for `category` under a rule's (id, message, clause).
    pub(crate) fn new(
        input: &str,
        span: crate::Span,
        category: Category,
        (rule, message, clause): (&str, &str, &str),
        speaker: Option<String>,
    ) -> Citation {
        Citation {
            category,
            rule: rule.to_string(),
            phrase: input[span.byte_start..span.byte_end].to_string(),
            start: span.start,
            end: span.end,
            byte_start: span.byte_start,
            byte_end: span.byte_end,
            message: message.to_string(),
            clause: clause.to_string(),
            speaker,
        }
    }
}

/// The answer for one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The most severe category found, or `none`.
    pub verdict: Verdict,
    /// Every category with its own evidence, least severe first.
    pub labels: Vec<Category>,
    /// One score per category.
    pub scores: Scores,
    /// The evidence for every label, in input order.
    pub citations: Vec<Citation>,
}

impl Report {
    /// A report with no evidence: verdict `none`.
    pub fn none() -> Report {
        Report { verdict: Verdict::None, labels: Vec::new(), scores: Scores::default(), citations: Vec::new() }
    }
}
