//! One integration-test binary: it runs the real `cuishou` program and the library together.

mod browser;
mod bulk;
mod clause_model;
mod cli;
mod context;
mod corpus;
mod eval;
mod lexicon_check;
mod props;
mod report;
mod rules;
mod server;

use std::process::{Command, Output, Stdio};

/// The built binary, run from the crate root with every stream piped.
pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cuishou"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// Runs the built binary with arguments and optional stdin.
pub fn cuishou(args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = command().args(args).spawn().expect("spawn cuishou");
    let mut pipe = child.stdin.take().expect("stdin");
    let data = stdin.map(<[u8]>::to_vec);
    let writer = std::thread::spawn(move || {
        if let Some(d) = data {
            let _ = pipe.write_all(&d);
        }
    });
    let out = child.wait_with_output().expect("wait cuishou");
    writer.join().expect("stdin writer");
    out
}

/// Stdout parsed as JSON lines.
pub fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .expect("utf-8 stdout")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}
