//! Bulk mode through the real binary: order, error records, filtering, CSV, pipes, files.

use crate::{cuishou, json_lines};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

const THREAT: &str = "你再不还钱,明天就上*门找你,后果自负";
const PLAIN: &str = "今晚一起吃饭吗?我订了七点的位子";

/// A JSONL line with an id and text.
fn record(id: impl Into<Value>, text: &str) -> String {
    json!({"id": id.into(), "text": text}).to_string()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A file under the test binary's scratch directory, unique per test.
fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bulk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

#[test]
fn two_jobs_keep_input_order_and_match_one_job() {
    let n = 3000;
    let input: String = (0..n).map(|i| record(i, if i % 7 == 0 { THREAT } else { PLAIN }) + "\n").collect();
    let two = cuishou(&["classify", "--input", "jsonl", "-j", "2"], Some(input.as_bytes()));
    assert!(two.status.success(), "{}", stderr(&two));
    let recs = json_lines(&two);
    assert_eq!(recs.len(), n);
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r["id"], json!(i), "record {i} out of order");
        assert_eq!(r["line"], json!(i + 1));
        let want = if i % 7 == 0 { "threat" } else { "none" };
        assert_eq!(r["verdict"], want, "record {i}");
    }
    let one = cuishou(&["classify", "--input", "jsonl", "-j", "1"], Some(input.as_bytes()));
    assert_eq!(one.stdout, two.stdout, "parallel output differs from sequential output");
}

#[test]
fn each_kind_of_bad_record_is_an_error_record_with_its_line_and_the_rest_is_processed() {
    let long = "还".repeat(40); // 120 bytes, over --max-bytes 100
    let mut input = Vec::new();
    for line in [
        record("ok1", THREAT),
        r#"{"id":"badjson","text":"未闭合"#.to_string(),
        r#"{"id":"notext"}"#.to_string(),
        r#"{"id":"num","text":5}"#.to_string(),
    ] {
        input.extend_from_slice(line.as_bytes());
        input.push(b'\n');
    }
    input.extend_from_slice(b"{\"id\":\"utf\",\"text\":\"\xe4\xbd\xff\"}\n");
    input.extend_from_slice(format!("{}\n", record("big", &long)).as_bytes());
    input.extend_from_slice(b"\n");
    input.extend_from_slice(format!("{}\n", record("ok2", PLAIN)).as_bytes());

    let out = cuishou(&["classify", "--input", "jsonl", "-j", "2", "--max-bytes", "100"], Some(&input));
    assert!(out.status.success(), "{}", stderr(&out));
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 8, "one output record per input record");
    let lines: Vec<u64> = recs.iter().map(|r| r["line"].as_u64().expect("line number")).collect();
    assert_eq!(lines, (1..=8).collect::<Vec<u64>>());

    assert_eq!((recs[0]["id"].as_str(), recs[0]["verdict"].as_str()), (Some("ok1"), Some("threat")));
    assert_eq!((recs[7]["id"].as_str(), recs[7]["verdict"].as_str()), (Some("ok2"), Some("none")));
    let expected = [
        (1, None, "malformed JSON"),
        (2, Some("notext"), "missing \"text\""),
        (3, Some("num"), "must be a string"),
        (4, None, "invalid UTF-8"),
        (5, Some("big"), "over the limit of 100"),
        (6, None, "empty line"),
    ];
    for (i, id, msg) in expected {
        let r = &recs[i];
        assert!(r.get("verdict").is_none(), "error record {i} has a verdict: {r}");
        let err = r["error"].as_str().unwrap_or_else(|| panic!("record {i} is not an error: {r}"));
        assert!(err.contains(msg), "line {}: {err:?} should mention {msg:?}", i + 1);
        assert_eq!(r["id"].as_str(), id, "line {}", i + 1);
    }
    let summary = stderr(&out);
    assert!(summary.contains("8 records") && summary.contains("6 errors"), "{summary}");
}

#[test]
fn only_writes_the_chosen_verdicts_and_the_summary_counts_everything() {
    let input: String = (0..10).map(|i| record(i, if i % 3 == 0 { THREAT } else { PLAIN }) + "\n").collect();
    let out = cuishou(&["classify", "--input", "jsonl", "--only", "threat,illegal_disclosure"], Some(input.as_bytes()));
    assert!(out.status.success(), "{}", stderr(&out));
    let ids: Vec<Value> = json_lines(&out).iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, vec![json!(0), json!(3), json!(6), json!(9)]);
    let summary = stderr(&out);
    assert!(summary.contains("10 records"), "{summary}");
    assert!(summary.contains("none 6") && summary.contains("threat 4"), "{summary}");
}

#[test]
fn csv_input_reads_named_columns_with_quoted_commas_and_newlines() {
    let input = "sid,note,body\n\
                 a1,x,\"你好,今晚一起吃饭吗\"\n\
                 a2,\"y,z\",\"你再不还钱,明天就上\n门找你\"\n\
                 a3,w,\"\"\n";
    let out =
        cuishou(&["classify", "--input", "csv", "--text-column", "body", "--id-column", "sid"], Some(input.as_bytes()));
    assert!(out.status.success(), "{}", stderr(&out));
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 3);
    assert_eq!((recs[0]["id"].as_str(), recs[0]["verdict"].as_str()), (Some("a1"), Some("none")));
    assert_eq!((recs[1]["id"].as_str(), recs[1]["verdict"].as_str()), (Some("a2"), Some("threat")));
    let cited: Vec<&str> =
        recs[1]["citations"].as_array().expect("citations").iter().filter_map(|c| c["phrase"].as_str()).collect();
    assert!(cited.iter().any(|c| c.contains("上\n门")), "the phrase is cited across the quoted newline: {cited:?}");
    assert_eq!(recs[2]["id"].as_str(), Some("a3"));
    assert!(recs[2]["error"].as_str().is_some_and(|e| e.contains("empty")), "{}", recs[2]);

    let missing = cuishou(&["classify", "--input", "csv", "--text-column", "nope"], Some(input.as_bytes()));
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("\"nope\""), "{}", stderr(&missing));
}

#[test]
fn csv_output_parses_back_with_one_row_per_record() {
    let input = format!("{}\n{}\nnot json\n", record("t,1", THREAT), record("p\"2", PLAIN));
    let out = cuishou(&["classify", "--input", "jsonl", "--format", "csv"], Some(input.as_bytes()));
    assert!(out.status.success(), "{}", stderr(&out));
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let headers: Vec<String> = rdr.headers().expect("header row").iter().map(str::to_string).collect();
    assert_eq!(headers, ["id", "line", "verdict", "labels", "rule", "phrase", "start", "end", "error"]);
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("well-formed CSV row")).collect();
    assert_eq!(rows.len(), 3);
    let col = |r: &csv::StringRecord, name: &str| r[headers.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(col(&rows[0], "id"), "t,1");
    assert_eq!(col(&rows[0], "verdict"), "threat");
    assert!(col(&rows[0], "labels").split(';').any(|l| l == "threat"));
    let (start, end): (usize, usize) = (col(&rows[0], "start").parse().unwrap(), col(&rows[0], "end").parse().unwrap());
    let phrase: String = THREAT.chars().skip(start).take(end - start).collect();
    assert_eq!(col(&rows[0], "phrase"), phrase, "start/end are character offsets of the phrase");
    assert!(col(&rows[0], "rule").starts_with("THR-"));
    assert_eq!((col(&rows[1], "id").as_str(), col(&rows[1], "verdict").as_str()), ("p\"2", "none"));
    assert_eq!((col(&rows[2], "line").as_str(), col(&rows[2], "verdict").as_str()), ("3", ""));
    assert!(col(&rows[2], "error").contains("malformed JSON"));
}

#[test]
fn closed_stdout_ends_quietly_with_exit_0() {
    let mut child = super::command().args(["classify", "--input", "jsonl", "-j", "2"]).spawn().expect("spawn cuishou");
    let mut stdin = child.stdin.take().expect("stdin");
    // Far more output than a pipe buffer holds, so the writer must notice the closed pipe.
    let writer = std::thread::spawn(move || {
        for i in 0..200_000 {
            if writeln!(stdin, "{}", record(i, THREAT)).is_err() {
                break;
            }
        }
    });
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    assert_eq!(serde_json::from_str::<Value>(&first).expect("a JSON record")["id"], json!(0));
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "stderr: {err}");
    assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "stderr: {err}");
}

#[test]
fn files_are_read_in_order_and_stdin_when_none_is_given() {
    let a = temp_file("a.jsonl", format!("{}\n{}\n", record("a1", THREAT), record("a2", PLAIN)).as_bytes());
    let b = temp_file("b.jsonl", format!("{}\n{{broken\n", record("b1", PLAIN)).as_bytes());
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let out = cuishou(&["classify", "--input", "jsonl", a, b], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let recs = json_lines(&out);
    let ids: Vec<&str> = recs.iter().map(|r| r["id"].as_str().unwrap_or("")).collect();
    assert_eq!(ids, ["a1", "a2", "b1", ""]);
    // Line numbers restart per file, and an error record names its file when there are several.
    assert_eq!(recs[2]["line"], json!(1));
    assert_eq!((recs[3]["line"].clone(), recs[3]["file"].as_str()), (json!(2), Some(b)));
    assert!(stderr(&out).contains("4 records"), "{}", stderr(&out));

    let from_file = cuishou(&["classify", "--input", "jsonl", a], None);
    let from_stdin = cuishou(&["classify", "--input", "jsonl"], Some(&std::fs::read(a).unwrap()));
    assert!(from_stdin.status.success());
    assert_eq!(from_stdin.stdout, from_file.stdout);

    let missing = cuishou(&["classify", "--input", "jsonl", "/nonexistent/x.jsonl"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/nonexistent/x.jsonl"), "{}", stderr(&missing));
}

#[test]
fn lines_input_makes_every_line_a_message() {
    let input = format!("{THREAT}\r\n{PLAIN}\n");
    let out = cuishou(&["classify", "--input", "lines", "--format", "jsonl"], Some(input.as_bytes()));
    let recs = json_lines(&out);
    let verdicts: Vec<&str> = recs.iter().map(|r| r["verdict"].as_str().unwrap()).collect();
    assert_eq!(verdicts, ["threat", "none"]);
    assert!(recs.iter().all(|r| r.get("id").is_none()));
}

#[test]
fn lexicon_phrases_prints_each_normalized_phrase_once() {
    let out = cuishou(&["lexicon", "phrases"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let phrases: Vec<&str> = text.lines().collect();
    // Exactly the library's rules' phrases and variants, normalized, sorted, each once.
    let mut want: Vec<String> = cuishou::Classifier::new()
        .rules()
        .iter()
        .flat_map(|r| r.phrases.iter().chain(&r.variants))
        .map(|p| cuishou::normalize(p).text)
        .collect();
    want.sort_unstable();
    want.dedup();
    assert!(!want.is_empty());
    assert_eq!(phrases, want);
    assert!(phrases.iter().all(|p| !p.contains(' ') && *p == p.to_lowercase()), "normalized");
}
