//! cuishou reads Chinese debt-collection messages and says whether each is a polite reminder,
//! pressure, a threat or an illegal disclosure of the debt — or not collection at all — citing the
//! exact phrases that decided it, with the rule and regulation clause behind each.
//!
//! Text flows one way: [`normalize()`] (keeping a map back to the input) → match lexicon phrases
//! and patterns → read context (negation, speaker, quotation, addressee) → score → [`Report`].
//!
//! ```
//! use cuishou::{Classifier, Category, Verdict};
//!
//! let classifier = Classifier::new();
//! let input = "您在闪贷宝的借款已逾期3天,应还金额1,280.00元,请及时还款。";
//! let report = classifier.classify(input);
//! assert_eq!(report.verdict, Verdict::PoliteReminder);
//! assert!(report.citations.iter().all(|c| &input[c.byte_start..c.byte_end] == c.phrase));
//!
//! let report = classifier.classify("再不還錢就爆你通 讯 录,讓你全家都知道");
//! assert_eq!(report.verdict, Verdict::Threat);
//! assert!(report.labels.contains(&Category::Threat));
//! ```
#![deny(missing_docs)]

mod classifier;
mod clause_model;
mod context;
mod error;
pub mod eval;
pub mod input;
pub mod lexicon;
mod matcher;
mod normalize;
pub mod pipeline;
mod report;
mod score;
pub mod server;
mod span;
pub mod summary;
mod t2s;
mod tokenize;

pub use classifier::{Classifier, ClassifierBuilder};
pub use clause_model::{ClauseModel, TrainOptions};
pub use error::{Diagnostic, Error};
pub use lexicon::{Lexicon, Rule};
pub use normalize::{normalize, normalize_into, normalize_text_into, Normalized};
pub use report::{Category, Citation, Report, Scores, Verdict};
pub use score::THRESHOLD;
pub use span::Span;
