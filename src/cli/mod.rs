//! Command-line front end: what was typed, and one file per subcommand.

mod classify;
mod eval;
mod lexicon;
mod render;
mod report;
mod serve;

use clap::{Parser, Subcommand, ValueEnum};
use cuishou::{Classifier, Verdict};
use std::path::PathBuf;
use std::process::ExitCode;

/// Reads Chinese debt-collection messages and cites the phrases that make them polite,
/// pressure, threat or illegal disclosure.
#[derive(Parser, Debug)]
#[command(name = "cuishou", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Classify one message (argument, --file or stdin) or many (--lines, --input).
    Classify(classify::Args),
    /// Measure accuracy on labeled JSONL, beside a keyword baseline.
    Eval(eval::Args),
    /// Summarize a corpus into one self-contained HTML page (or JSON) for review.
    Report(report::Args),
    /// Check or list lexicon files.
    #[command(subcommand)]
    Lexicon(lexicon::Command),
    /// Serve the HTTP API and the paste page (loopback by default).
    Serve(serve::Args),
}

/// Which lexicons to load; shared by every subcommand that classifies.
#[derive(clap::Args, Debug, Clone)]
pub struct LexiconArgs {
    /// A directory of lexicon *.toml files, added to the embedded defaults.
    #[arg(long, value_name = "DIR")]
    pub lexicons: Option<PathBuf>,
    /// Use only --lexicons, not the embedded defaults.
    #[arg(long, requires = "lexicons")]
    pub no_default_lexicons: bool,
    /// A clause model file instead of the embedded one (see `cuishou lexicon train-model`).
    #[arg(long, value_name = "FILE")]
    pub clause_model: Option<PathBuf>,
    /// Rules only: no clause model.
    #[arg(long, conflicts_with = "clause_model")]
    pub no_clause_model: bool,
}

impl LexiconArgs {
    pub fn build(&self) -> Result<Classifier, cuishou::Error> {
        self.source().builder().build()
    }

    /// Where the lexicons and the clause model come from, for `serve`'s reloads too.
    pub fn source(&self) -> cuishou::server::LexiconSource {
        cuishou::server::LexiconSource {
            dir: self.lexicons.clone(),
            no_defaults: self.no_default_lexicons,
            clause_model: self.clause_model.clone(),
            no_clause_model: self.no_clause_model,
        }
    }
}

/// How bulk records are read, shared by `classify` and `report`.
#[derive(clap::Args, Debug, Clone)]
pub struct RecordArgs {
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long = "jobs")]
    pub jobs: Option<usize>,
    /// CSV input: the column holding the message text.
    #[arg(long, default_value = "text")]
    pub text_column: String,
    /// CSV input: the column holding the record id.
    #[arg(long)]
    pub id_column: Option<String>,
    /// Largest message accepted, in bytes; longer ones become error records (bad lines).
    #[arg(long, default_value_t = cuishou::input::DEFAULT_MAX_BYTES)]
    pub max_bytes: usize,
}

impl RecordArgs {
    /// The pipeline options for records laid out as `format`.
    pub fn options(&self, format: cuishou::input::InputFormat) -> cuishou::pipeline::BulkOptions {
        let defaults = cuishou::pipeline::BulkOptions::default();
        cuishou::pipeline::BulkOptions {
            format,
            jobs: self.jobs.unwrap_or(defaults.jobs).max(1),
            max_bytes: self.max_bytes,
            text_column: self.text_column.clone(),
            id_column: self.id_column.clone(),
            keep_fields: defaults.keep_fields,
        }
    }
}

/// A verdict level as typed on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
#[value(rename_all = "snake_case")]
pub enum Level {
    None,
    PoliteReminder,
    Pressure,
    Threat,
    IllegalDisclosure,
}

impl From<Level> for Verdict {
    fn from(l: Level) -> Verdict {
        match l {
            Level::None => Verdict::None,
            Level::PoliteReminder => Verdict::PoliteReminder,
            Level::Pressure => Verdict::Pressure,
            Level::Threat => Verdict::Threat,
            Level::IllegalDisclosure => Verdict::IllegalDisclosure,
        }
    }
}

/// Exit codes: 0 success, 1 a `--fail-on` or threshold condition held, 2 usage or input error.
pub const EXIT_FAIL_ON: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Classify(a) => classify::run(a),
        Command::Lexicon(c) => lexicon::run(c),
        Command::Eval(a) => eval::run(a),
        Command::Report(a) => report::run(a),
        Command::Serve(a) => serve::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("cuishou: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// A closed stdout (`| head`) ends the run quietly.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}
