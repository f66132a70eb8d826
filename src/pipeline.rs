//! Streams records through all cores and hands results back in input order, in bounded memory.
//!
//! One thread reads and batches records, `jobs` workers parse and process batches, and the
//! caller's thread receives the results in order. Channels are bounded, so a 10 GB input runs
//! in the same memory as a 10 MB one.

use crate::input::{parse_line, parse_record, read_line_bounded, InputFormat, LineError, Message};
use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};

/// How records are read and how many threads process them.
#[derive(Debug, Clone)]
pub struct BulkOptions {
    /// Layout of the input.
    pub format: InputFormat,
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Largest message accepted, in bytes.
    pub max_bytes: usize,
    /// CSV: the column holding the text.
    pub text_column: String,
    /// CSV: the column holding the id, if any.
    pub id_column: Option<String>,
    /// JSONL: keep each object's other fields in [`Message::fields`] (what `eval` and `report`
    /// read). Without them only `id` and `text` are parsed, which is much cheaper.
    pub keep_fields: bool,
}

impl Default for BulkOptions {
    fn default() -> Self {
        BulkOptions {
            format: InputFormat::Jsonl,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_bytes: crate::input::DEFAULT_MAX_BYTES,
            text_column: "text".into(),
            id_column: None,
            keep_fields: true,
        }
    }
}

enum Raw {
    /// Line number, the line's kept bytes as a range of the batch's buffer, its full length.
    Line(usize, std::ops::Range<usize>, usize),
    Parsed(Result<Message, LineError>),
}

/// Records read together: one buffer holds every line's bytes, so reading allocates once per
/// batch rather than once per line (and the worker that frees it frees one block).
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    items: Vec<Raw>,
}

const BATCH: usize = 256;

/// Reads every record of `reader`, runs `work` on each (in parallel) and passes the results to
/// `sink` in input order. A sink error (such as a closed pipe) stops the run and is returned.
///
/// ```
/// use cuishou::pipeline::{process, BulkOptions};
/// use cuishou::input::InputFormat;
/// let input = "催收\n\n还款\n";
/// let mut seen = Vec::new();
/// let opts = BulkOptions { format: InputFormat::Lines, jobs: 2, ..Default::default() };
/// process(input.as_bytes(), &opts, |r| r.map(|m| m.text).map_err(|e| e.line), |r| {
///     seen.push(r);
///     Ok(())
/// }).unwrap();
/// assert_eq!(seen, vec![Ok("催收".to_string()), Err(2), Ok("还款".to_string())]);
/// ```
pub fn process<R, T, W, S>(reader: R, opts: &BulkOptions, work: W, mut sink: S) -> io::Result<()>
where
    R: BufRead + Send,
    T: Send,
    W: Fn(Result<Message, LineError>) -> T + Sync,
    S: FnMut(T) -> io::Result<()>,
{
    let jobs = opts.jobs.max(1);
    let stop = AtomicBool::new(false);
    let (batch_tx, batch_rx) = sync_channel::<(usize, Batch)>(jobs * 2);
    let batch_rx = std::sync::Mutex::new(batch_rx);
    let (out_tx, out_rx) = sync_channel::<(usize, Vec<T>)>(jobs * 2);
    // Bounded channels alone do not bound memory: while one worker is slow on batch k, the
    // others keep finishing k+1, k+2, … and those wait here to be written in order. A batch
    // may only be read once a token is free, and a token comes back only when its batch has
    // been written, so at most `in_flight` batches exist anywhere at once.
    let in_flight = jobs * 4;
    let (token_tx, token_rx) = sync_channel::<()>(in_flight);
    for _ in 0..in_flight {
        token_tx.send(()).expect("token queue has room");
    }
    std::thread::scope(|scope| {
        let stop_flag = &stop;
        let reader_thread = scope.spawn(move || read_batches(reader, opts, stop_flag, &token_rx, batch_tx));
        for _ in 0..jobs {
            let out_tx = out_tx.clone();
            let (batch_rx, work, opts) = (&batch_rx, &work, opts);
            scope.spawn(move || loop {
                let next = batch_rx.lock().expect("batch queue").recv();
                let Ok((seq, Batch { bytes: buf, items })) = next else { break };
                let results = items
                    .into_iter()
                    .map(|raw| {
                        work(match raw {
                            Raw::Parsed(p) => p,
                            Raw::Line(line, range, full) => {
                                let bytes = &buf[range];
                                if full > bytes.len() {
                                    Err(LineError {
                                        line,
                                        id: None,
                                        error: format!(
                                            "record is {full} bytes, over the limit of {} for a line",
                                            bytes.len()
                                        ),
                                    })
                                } else {
                                    parse_record(bytes, line, opts.format, opts.max_bytes, opts.keep_fields)
                                }
                            }
                        })
                    })
                    .collect();
                if out_tx.send((seq, results)).is_err() {
                    break;
                }
            });
        }
        drop(out_tx);
        let mut pending: BTreeMap<usize, Vec<T>> = BTreeMap::new();
        let mut next = 0usize;
        let mut result = Ok(());
        'recv: for (seq, batch) in out_rx.iter() {
            pending.insert(seq, batch);
            while let Some(batch) = pending.remove(&next) {
                next += 1;
                // Never blocks: there are never more than `in_flight` tokens.
                let _ = token_tx.try_send(());
                for item in batch {
                    if let Err(e) = sink(item) {
                        result = Err(e);
                        break 'recv;
                    }
                }
            }
        }
        // A reader waiting for a token sees the queue closed and stops.
        drop(token_tx);
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
            // Drain so the workers and reader can finish and the scope can end.
            for _ in out_rx.iter() {}
        }
        let read = reader_thread.join().expect("reader thread");
        result.and(read)
    })
}

fn line_limit(opts: &BulkOptions) -> usize {
    match opts.format {
        // JSON escapes may take six bytes per character of text.
        InputFormat::Jsonl => opts.max_bytes.saturating_mul(6).saturating_add(4096),
        _ => opts.max_bytes,
    }
}

fn read_batches<R: BufRead>(
    mut reader: R,
    opts: &BulkOptions,
    stop: &AtomicBool,
    tokens: &Receiver<()>,
    tx: std::sync::mpsc::SyncSender<(usize, Batch)>,
) -> io::Result<()> {
    let mut seq = 0;
    let mut batch = Batch::default();
    let mut send = |batch: &mut Batch| -> bool {
        if tokens.recv().is_err() {
            return false;
        }
        let full = std::mem::take(batch);
        let ok = tx.send((seq, full)).is_ok();
        seq += 1;
        ok && !stop.load(Ordering::Relaxed)
    };
    if opts.format == InputFormat::Csv {
        return read_csv(reader, opts, &mut batch, &mut send);
    }
    let limit = line_limit(opts);
    let mut line = 0;
    let mut buf = Vec::new();
    while let Some(full) = read_line_bounded(&mut reader, &mut buf, limit)? {
        line += 1;
        if batch.items.is_empty() {
            // Sized for a batch of typical SMS records so most batches need no regrowth.
            batch.bytes.reserve(BATCH * 256);
            batch.items.reserve(BATCH);
        }
        let start = batch.bytes.len();
        batch.bytes.extend_from_slice(&buf);
        batch.items.push(Raw::Line(line, start..batch.bytes.len(), full));
        if batch.items.len() == BATCH && !send(&mut batch) {
            return Ok(());
        }
    }
    if !batch.items.is_empty() {
        send(&mut batch);
    }
    Ok(())
}

fn read_csv<R: BufRead>(
    reader: R,
    opts: &BulkOptions,
    batch: &mut Batch,
    send: &mut dyn FnMut(&mut Batch) -> bool,
) -> io::Result<()> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = rdr.byte_headers().map_err(io::Error::other)?.clone();
    let find = |name: &str| headers.iter().position(|h| h == name.as_bytes());
    let text_col = find(&opts.text_column).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("CSV header has no column named {:?} (--text-column)", opts.text_column),
        )
    })?;
    let id_col = match &opts.id_column {
        Some(name) => Some(find(name).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("CSV header has no column named {name:?} (--id-column)"),
            )
        })?),
        None => None,
    };
    // Column names once, so each row's `fields` (what `report --group-by` reads) is cheap.
    let names: Vec<String> = headers.iter().map(|h| String::from_utf8_lossy(h).into_owned()).collect();
    let mut record = csv::ByteRecord::new();
    let mut n = 0;
    loop {
        n += 1;
        let parsed = match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(n + 1, |p| p.line() as usize);
                let id = id_col
                    .and_then(|i| record.get(i))
                    .map(|b| serde_json::Value::String(String::from_utf8_lossy(b).into_owned()));
                match record.get(text_col) {
                    None => Err(LineError {
                        line,
                        id,
                        error: format!("row has no column {} ({:?})", text_col + 1, opts.text_column),
                    }),
                    Some(b) => parse_line(b, line, InputFormat::Csv, opts.max_bytes)
                        .map(|mut m| {
                            m.id = id.clone();
                            m.fields = Some(csv_fields(&names, &record));
                            m
                        })
                        .map_err(|mut e| {
                            e.id = id;
                            e
                        }),
                }
            }
            Err(e) => {
                let line = e.position().map_or(n + 1, |p| p.line() as usize);
                Err(LineError { line, id: None, error: format!("malformed CSV: {e}") })
            }
        };
        batch.items.push(Raw::Parsed(parsed));
        if batch.items.len() == BATCH && !send(batch) {
            return Ok(());
        }
    }
    if !batch.items.is_empty() {
        send(batch);
    }
    Ok(())
}

/// Every column of a CSV row as a string field, named by its header (lossy UTF-8, as the id).
fn csv_fields(names: &[String], record: &csv::ByteRecord) -> serde_json::Map<String, serde_json::Value> {
    names
        .iter()
        .zip(record.iter())
        .map(|(k, v)| (k.clone(), serde_json::Value::String(String::from_utf8_lossy(v).into_owned())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::{Duration, Instant};

    #[test]
    fn a_stuck_record_stops_reading_ahead_after_a_bounded_number_of_batches() {
        let lines = 200 * BATCH;
        let input: String = (0..lines).map(|i| format!("{i}\n")).collect();
        let opts = BulkOptions { format: InputFormat::Lines, jobs: 2, ..Default::default() };
        let bound = opts.jobs * 4 * BATCH;
        let started = AtomicUsize::new(0);
        let mut seen = 0usize;
        process(
            input.as_bytes(),
            &opts,
            |m| {
                let n = started.fetch_add(1, Ordering::SeqCst);
                if n == 0 {
                    // Hold the first record until the other worker has read as far as it can
                    // (or, without a bound, for a while), and check nothing ran ahead too far.
                    let t = Instant::now();
                    while started.load(Ordering::SeqCst) < bound && t.elapsed() < Duration::from_secs(1) {
                        std::thread::yield_now();
                    }
                    assert!(started.load(Ordering::SeqCst) <= bound, "read ahead past {bound} records");
                }
                m.is_ok()
            },
            |ok| {
                assert!(ok);
                seen += 1;
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, lines);
    }
}
