//! `cuishou classify`: one message, or a stream of them.

use super::{render, Level, LexiconArgs, EXIT_ERROR, EXIT_FAIL_ON};
use anyhow::Context as _;
use clap::ValueEnum;
use cuishou::input::{InputFormat, LineError, Message};
use cuishou::pipeline::process;
use cuishou::{Classifier, Report, Verdict};
use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The message to classify; with --lines or --input, input files instead (stdin when none).
    pub args: Vec<String>,
    /// Read one message from this file.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// Treat every input line as a message (same as --input lines).
    #[arg(long)]
    pub lines: bool,
    /// Read records in this layout (streaming, all cores, order kept).
    #[arg(long, value_enum)]
    pub input: Option<Input>,
    /// Output format (default: text on a terminal, JSON otherwise).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Exit 1 when any verdict is at or above this level.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<Level>,
    /// Write only records with these verdicts (the summary still counts everything).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LEVEL[,LEVEL]")]
    pub only: Vec<Level>,
    #[command(flatten)]
    pub records: super::RecordArgs,
    /// No summary or progress bar on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub lexicons: LexiconArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Lines,
    Jsonl,
    Csv,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Csv,
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let input = match (a.input, a.lines) {
        (Some(i), _) => Some(i),
        (None, true) => Some(Input::Lines),
        (None, false) => None,
    };
    let classifier = match a.lexicons.build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cuishou: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    let code = match input {
        Some(i) => bulk(&a, i, &classifier),
        None => single(&a, &classifier),
    };
    // The process ends next: freeing every automaton and compiled pattern one by one would
    // only add ~20 ms to each run, a tenth of a one-message run.
    std::mem::forget(classifier);
    code
}

fn single(a: &Args, classifier: &Classifier) -> anyhow::Result<u8> {
    let text = if !a.args.is_empty() {
        if a.file.is_some() {
            eprintln!("cuishou: give the message as an argument or with --file, not both");
            return Ok(EXIT_ERROR);
        }
        a.args.join(" ")
    } else {
        let bytes = match &a.file {
            Some(p) => std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
            None => {
                let mut b = Vec::new();
                io::stdin().read_to_end(&mut b).context("cannot read stdin")?;
                b
            }
        };
        let from = a.file.as_ref().map_or("stdin".to_string(), |p| p.display().to_string());
        match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "cuishou: {from}: invalid UTF-8 at byte {} (expected UTF-8 text)",
                    e.utf8_error().valid_up_to()
                );
                return Ok(EXIT_ERROR);
            }
        }
    };
    if text.trim().is_empty() {
        eprintln!("cuishou: empty message (give text as an argument, with --file, or on stdin)");
        return Ok(EXIT_ERROR);
    }
    let report = classifier.classify(&text);
    let tty = io::stdout().is_terminal();
    let mut out = io::stdout().lock();
    match a.format.unwrap_or(if tty { Format::Text } else { Format::Json }) {
        Format::Text => write!(out, "{}", render::report(&text, &report, tty))?,
        Format::Json => {
            writeln!(out, "{}", serde_json::to_string_pretty(&Record { id: None, line: None, report: &report })?)?
        }
        Format::Jsonl => {
            writeln!(out, "{}", serde_json::to_string(&Record { id: None, line: None, report: &report })?)?
        }
        Format::Csv => {
            let mut w = csv_writer(&mut out)?;
            csv_row(&mut w, None, 1, &report)?;
            w.flush()?;
        }
    }
    Ok(fail_code(a.fail_on, report.verdict))
}

fn fail_code(fail_on: Option<Level>, worst: Verdict) -> u8 {
    match fail_on {
        Some(l) if worst >= Verdict::from(l) => EXIT_FAIL_ON,
        _ => 0,
    }
}

/// One output record: the report with the caller's id and the input line.
#[derive(serde::Serialize)]
pub struct Record<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(flatten)]
    pub report: &'a Report,
}

fn csv_writer<W: Write>(w: W) -> anyhow::Result<csv::Writer<W>> {
    let mut w = csv::Writer::from_writer(w);
    w.write_record(["id", "line", "verdict", "labels", "rule", "phrase", "start", "end", "error"])?;
    Ok(w)
}

fn csv_row<W: Write>(
    w: &mut csv::Writer<W>,
    id: Option<&serde_json::Value>,
    line: usize,
    r: &Report,
) -> anyhow::Result<()> {
    let top = r.citations.iter().filter(|c| Some(c.category) == r.verdict.category()).min_by_key(|c| c.byte_start);
    let labels: Vec<&str> = r.labels.iter().map(|l| l.as_str()).collect();
    w.write_record([
        id_text(id),
        line.to_string(),
        r.verdict.to_string(),
        labels.join(";"),
        top.map_or(String::new(), |c| c.rule.clone()),
        top.map_or(String::new(), |c| c.phrase.clone()),
        top.map_or(String::new(), |c| c.start.to_string()),
        top.map_or(String::new(), |c| c.end.to_string()),
        String::new(),
    ])?;
    Ok(())
}

fn id_text(id: Option<&serde_json::Value>) -> String {
    match id {
        None => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

struct Summary {
    records: u64,
    verdicts: [u64; 5],
    errors: u64,
    worst: Verdict,
}

fn bulk(a: &Args, input: Input, classifier: &Classifier) -> anyhow::Result<u8> {
    let format = a.format.unwrap_or(if io::stdout().is_terminal() { Format::Text } else { Format::Jsonl });
    let mut opts = a.records.options(match input {
        Input::Lines => InputFormat::Lines,
        Input::Jsonl => InputFormat::Jsonl,
        Input::Csv => InputFormat::Csv,
    });
    // Results carry only id and text of their input record.
    opts.keep_fields = false;
    let only: Vec<Verdict> = a.only.iter().map(|&l| Verdict::from(l)).collect();
    let mut files: Vec<Option<PathBuf>> = a.args.iter().map(|p| Some(PathBuf::from(p))).collect();
    if let Some(f) = &a.file {
        files.push(Some(f.clone()));
    }
    if files.is_empty() {
        files.push(None);
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut csv_out = if format == Format::Csv { Some(csv_writer(Vec::new())?) } else { None };
    if let Some(w) = csv_out.as_mut() {
        flush_csv(&mut out, w)?;
    }
    let mut sum = Summary { records: 0, verdicts: [0; 5], errors: 0, worst: Verdict::None };
    let progress = (!a.quiet && io::stderr().is_terminal()).then(|| {
        let p = indicatif::ProgressBar::new_spinner();
        p.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} messages, {per_sec} {elapsed}").expect("template"),
        );
        p
    });
    let started = Instant::now();
    let tty = io::stdout().is_terminal();
    let many = files.len() > 1;
    for file in &files {
        let name = file.as_ref().map(|p| p.display().to_string());
        let reader: Box<dyn BufRead + Send> = match file {
            Some(p) => Box::new(io::BufReader::with_capacity(
                1 << 16,
                std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?,
            )),
            None => Box::new(io::BufReader::with_capacity(1 << 16, io::stdin())),
        };
        // JSON records are rendered by the workers, in parallel, and the message and report
        // are freed there too (freeing on another thread makes the allocator's arenas contend);
        // the writing thread only copies bytes. Other formats render in order on the writer.
        let work = |m: Result<Message, LineError>| {
            m.map(|m| {
                let r = classifier.classify(&m.text);
                if !matches!(format, Format::Json | Format::Jsonl) {
                    return Done::Kept(Box::new((m, r)));
                }
                let wanted = only.is_empty() || only.contains(&r.verdict);
                let json = wanted.then(|| {
                    let mut buf = Vec::with_capacity(256);
                    write_ok(&mut buf, None, format, &m, &r, tty).map(|()| buf)
                });
                Done::Rendered(r.verdict, json)
            })
        };
        let result = process(reader, &opts, work, |item| {
            sum.records += 1;
            if let Some(p) = &progress {
                p.inc(1);
            }
            match item {
                Ok(done) => {
                    let verdict = match &done {
                        Done::Rendered(v, _) => *v,
                        Done::Kept(b) => b.1.verdict,
                    };
                    sum.verdicts[verdict as usize] += 1;
                    sum.worst = sum.worst.max(verdict);
                    if !only.is_empty() && !only.contains(&verdict) {
                        return Ok(());
                    }
                    match done {
                        Done::Rendered(_, Some(rendered)) => out.write_all(&rendered?),
                        Done::Rendered(_, None) => Ok(()),
                        Done::Kept(b) => write_ok(&mut out, csv_out.as_mut(), format, &b.0, &b.1, tty),
                    }
                }
                Err(e) => {
                    sum.errors += 1;
                    write_err(&mut out, csv_out.as_mut(), format, &e, if many { name.as_deref() } else { None })
                }
            }
        });
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(0),
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                eprintln!("cuishou: {}: {e}", name.as_deref().unwrap_or("stdin"));
                return Ok(EXIT_ERROR);
            }
            r => r.with_context(|| format!("while reading {}", name.as_deref().unwrap_or("stdin")))?,
        }
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(0),
        r => r?,
    }
    if !a.quiet {
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        let counts: Vec<String> =
            Verdict::ALL.iter().map(|v| format!("{} {}", v.as_str(), sum.verdicts[*v as usize])).collect();
        eprintln!(
            "cuishou: {} records ({}), {} errors, {:.0} messages/s",
            sum.records,
            counts.join(", "),
            sum.errors,
            sum.records as f64 / secs
        );
    }
    Ok(fail_code(a.fail_on, sum.worst))
}

/// A classified record as the worker hands it to the writer.
enum Done {
    /// Rendered as JSON (when `--only` wants it), with its verdict for the summary.
    Rendered(Verdict, Option<io::Result<Vec<u8>>>),
    /// Text and CSV output render on the writing thread, in order.
    Kept(Box<(Message, Report)>),
}

fn write_ok(
    out: &mut impl Write,
    csv_out: Option<&mut csv::Writer<Vec<u8>>>,
    format: Format,
    m: &Message,
    r: &Report,
    tty: bool,
) -> io::Result<()> {
    match format {
        Format::Json | Format::Jsonl => {
            serde_json::to_writer(&mut *out, &Record { id: m.id.as_ref(), line: Some(m.line), report: r })?;
            out.write_all(b"\n")
        }
        Format::Text => {
            let id = m.id.as_ref().map(|v| format!(" id {}", id_text(Some(v)))).unwrap_or_default();
            writeln!(out, "── line {}{id}", m.line)?;
            out.write_all(render::report(&m.text, r, tty).as_bytes())
        }
        Format::Csv => {
            let w = csv_out.expect("csv writer");
            csv_row(w, m.id.as_ref(), m.line, r).map_err(io::Error::other)?;
            flush_csv(out, w)
        }
    }
}

fn write_err(
    out: &mut impl Write,
    csv_out: Option<&mut csv::Writer<Vec<u8>>>,
    format: Format,
    e: &LineError,
    file: Option<&str>,
) -> io::Result<()> {
    match format {
        Format::Json | Format::Jsonl => {
            #[derive(serde::Serialize)]
            struct ErrRecord<'a> {
                #[serde(skip_serializing_if = "Option::is_none")]
                file: Option<&'a str>,
                #[serde(flatten)]
                e: &'a LineError,
            }
            serde_json::to_writer(&mut *out, &ErrRecord { file, e })?;
            out.write_all(b"\n")
        }
        Format::Text => writeln!(out, "── line {}: error: {}", e.line, e.error),
        Format::Csv => {
            let w = csv_out.expect("csv writer");
            w.write_record([
                id_text(e.id.as_ref()),
                e.line.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                e.error.clone(),
            ])
            .map_err(io::Error::other)?;
            flush_csv(out, w)
        }
    }
}

fn flush_csv(out: &mut impl Write, w: &mut csv::Writer<Vec<u8>>) -> io::Result<()> {
    let done = std::mem::replace(w, csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new()));
    out.write_all(&done.into_inner().map_err(|e| io::Error::other(e.to_string()))?)
}
