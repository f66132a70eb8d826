//! `cuishou report INPUT... -o report.html`: wires arguments to `cuishou::summary`; the
//! counting and the page live in the library.

use super::{LexiconArgs, EXIT_ERROR};
use anyhow::Context as _;
use clap::ValueEnum;
use cuishou::input::{InputFormat, LineError, Message};
use cuishou::pipeline::process;
use cuishou::summary::{html, Aggregator, SummaryOptions};
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input files (`-` for stdin): JSONL with `text` (and any other fields), CSV, or lines.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Write the report here (default: stdout).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Group messages by this JSONL field or CSV column (an array counts in each of its values).
    #[arg(long, value_name = "FIELD")]
    pub group_by: Option<String>,
    /// How many most severe messages to show, and phrases per category.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Report format.
    #[arg(long, value_enum, default_value = "html")]
    pub format: Format,
    /// Input layout (default: csv for *.csv, lines for *.txt, else jsonl).
    #[arg(long, value_enum)]
    pub input: Option<Input>,
    #[command(flatten)]
    pub records: super::RecordArgs,
    /// No progress bar or closing note on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub lexicons: LexiconArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Html,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Jsonl,
    Csv,
    Lines,
}

fn layout(given: Option<Input>, path: &Path) -> InputFormat {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match (given, ext.as_deref()) {
        (Some(Input::Jsonl), _) => InputFormat::Jsonl,
        (Some(Input::Csv), _) | (None, Some("csv")) => InputFormat::Csv,
        (Some(Input::Lines), _) | (None, Some("txt")) => InputFormat::Lines,
        (None, _) => InputFormat::Jsonl,
    }
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    if a.group_by.is_some() && a.inputs.iter().any(|p| layout(a.input, p) == InputFormat::Lines) {
        eprintln!("cuishou: --group-by needs fields to group by: use --input jsonl or csv, not plain lines");
        return Ok(EXIT_ERROR);
    }
    let classifier = match a.lexicons.build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cuishou: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    let mut agg =
        Aggregator::new(&classifier, SummaryOptions { group_by: a.group_by.clone(), top: a.top, ..Default::default() });
    let progress = (!a.quiet && io::stderr().is_terminal()).then(|| {
        let p = indicatif::ProgressBar::new_spinner();
        p.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} messages, {per_sec} {elapsed} {msg}")
                .expect("template"),
        );
        p
    });
    for path in &a.inputs {
        let name = path.display().to_string();
        let opts = a.records.options(layout(a.input, path));
        let reader: Box<dyn BufRead + Send> = if name == "-" {
            Box::new(io::BufReader::with_capacity(1 << 16, io::stdin()))
        } else {
            let f = std::fs::File::open(path).with_context(|| format!("cannot open {name}"))?;
            Box::new(io::BufReader::with_capacity(1 << 16, f))
        };
        if let Some(p) = &progress {
            p.set_message(name.clone());
        }
        agg.start_input(&name);
        let work = |m: Result<Message, LineError>| {
            m.map(|m| {
                let r = classifier.classify(&m.text);
                (m, r)
            })
        };
        let result = process(reader, &opts, work, |item| {
            match item {
                Ok((m, r)) => agg.add(&m, &r),
                Err(e) => agg.add_error(&e),
            }
            if let Some(p) = &progress {
                p.inc(1);
            }
            Ok(())
        });
        match result {
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                eprintln!("cuishou: {name}: {e}");
                return Ok(EXIT_ERROR);
            }
            r => r.with_context(|| format!("while reading {name}"))?,
        }
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    let summary = agg.finish();
    let body = match a.format {
        Format::Html => html::render(&summary),
        Format::Json => serde_json::to_string_pretty(&summary)? + "\n",
    };
    match &a.output {
        Some(p) => std::fs::write(p, body).with_context(|| format!("cannot write {}", p.display()))?,
        None => io::stdout().lock().write_all(body.as_bytes())?,
    }
    if !a.quiet {
        let to = a.output.as_ref().map_or("stdout".to_string(), |p| p.display().to_string());
        eprintln!(
            "cuishou: {} messages ({} flagged), {} bad lines → {to}",
            summary.messages, summary.flagged, summary.bad_lines.count
        );
    }
    Ok(0)
}
