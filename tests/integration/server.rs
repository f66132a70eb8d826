//! `cuishou serve`: the real binary on an ephemeral loopback port, driven by a real HTTP client.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const THREAT: &str = "你再不还钱,明天就上*门找你,后果自负";

/// A running server; killed on drop unless it already exited.
pub struct Server {
    child: Child,
    pub url: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = super::command();
        cmd.arg("serve").arg("--addr").arg("127.0.0.1:0").args(args);
        cmd.env_remove("CUISHOU_ADMIN_TOKEN").env("RUST_LOG", "info");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.stdin(Stdio::null()).spawn().expect("spawn cuishou serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            let mut line = String::new();
            while err.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).expect("read listening line");
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}; stderr: {}", stderr.lock().unwrap()))
            .to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Server { child, url, stderr }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (bounded) until stderr contains `what`.
    pub fn wait_log(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.stderr().contains(what) {
            assert!(Instant::now() < deadline, "no {what:?} in server log:\n{}", self.stderr());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill").arg(format!("-{sig}")).arg(self.child.id().to_string()).status().unwrap();
        assert!(st.success());
    }

    /// Waits (bounded) for the process to exit and returns its exit code.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code();
            }
            assert!(Instant::now() < deadline, "server did not exit; log:\n{}", self.stderr());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A response as (status, content type, body).
pub struct Res {
    pub status: u16,
    pub ctype: String,
    pub headers: ureq::http::HeaderMap,
    pub body: String,
}

impl Res {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code: {}", self.body)).to_string()
    }
}

fn finish(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Res {
    let mut r = r.expect("HTTP exchange");
    let ctype = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    Res {
        status: r.status().as_u16(),
        ctype,
        headers: r.headers().clone(),
        body: r.body_mut().read_to_string().unwrap(),
    }
}

pub fn get(url: &str) -> Res {
    finish(agent().get(url).call())
}

pub fn post(url: &str, ctype: &str, body: impl AsRef<[u8]>) -> Res {
    finish(agent().post(url).header("content-type", ctype).send(body.as_ref()))
}

fn post_json(url: &str, v: &Value) -> Res {
    post(url, "application/json", v.to_string())
}

fn scratch_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn extra_rule(phrase: &str) -> String {
    format!(
        "[[rule]]\nid = \"THR-950\"\ncategory = \"threat\"\nweight = 0.9\nmessage = \"以毁坏财物相威胁(测试)\"\nclause = \"测试条款\"\nphrases = [\"{phrase}\"]\nhit = [\"明天{phrase}\"]\nmiss = [\"你好\"]\n"
    )
}

fn cites(v: &Value, rule: &str) -> bool {
    v["citations"].as_array().unwrap().iter().any(|c| c["rule"] == rule)
}

#[test]
fn classify_returns_the_cli_contract_and_each_error_has_its_status() {
    let s = Server::start(&["--max-body-bytes", "4096", "--max-message-bytes", "300"], &[]);
    let u = format!("{}/v1/classify", s.url);

    let r = post_json(&u, &serde_json::json!({"id": "m1", "text": THREAT}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.ctype.starts_with("application/json"));
    assert!(r.headers.get("x-request-id").is_some());
    let v = r.json();
    assert_eq!(v["id"], "m1");
    assert_eq!(v["verdict"], "threat");
    assert!(v["labels"].as_array().unwrap().contains(&Value::from("threat")));
    assert!(v["scores"]["threat"].as_f64().unwrap() >= 0.5);
    let c = v["citations"].as_array().unwrap().iter().find(|c| c["category"] == "threat").expect("a threat citation");
    let (b0, b1) = (c["byte_start"].as_u64().unwrap() as usize, c["byte_end"].as_u64().unwrap() as usize);
    assert_eq!(&THREAT[b0..b1], c["phrase"].as_str().unwrap());
    assert!(!c["message"].as_str().unwrap().is_empty() && c["rule"].as_str().unwrap().starts_with("THR"));

    // The same answer as the CLI gives for the same text.
    let cli = crate::cuishou(&["classify", "--format", "jsonl", THREAT], None);
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(cli["citations"], v["citations"]);

    let cases: Vec<(Res, u16, &str, &str)> = vec![
        (post(&u, "application/json", r#"{"text": "x""#), 400, "invalid_json", "column"),
        (post(&u, "application/json", "[1,2]"), 400, "invalid_request", "\"text\""),
        (post_json(&u, &serde_json::json!({"id": 1})), 400, "missing_text", "missing \"text\""),
        (post_json(&u, &serde_json::json!({"text": 5})), 400, "invalid_text", "string"),
        (post_json(&u, &serde_json::json!({"text": "  "})), 400, "empty_text", "empty"),
        (post(&u, "application/json", b"{\"text\":\"\xff\"}"), 400, "invalid_utf8", "UTF-8"),
        (post(&u, "text/plain", THREAT), 415, "unsupported_media_type", "application/json"),
        (
            post_json(&u, &serde_json::json!({"text": "还".repeat(101)})),
            413,
            "message_too_large",
            "over the limit of 300",
        ),
        (post_json(&u, &serde_json::json!({"text": "x".repeat(5000)})), 413, "body_too_large", "4096"),
        (get(&u), 405, "method_not_allowed", "method"),
        (get(&format!("{}/v2/nothing", s.url)), 404, "not_found", "endpoint"),
    ];
    for (r, status, code, msg) in cases {
        assert_eq!(r.status, status, "{code}: {}", r.body);
        assert!(r.ctype.starts_with("application/json"), "{code}: {}", r.ctype);
        assert_eq!(r.error_code(), code);
        let m = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(m.contains(msg), "{code}: {m}");
    }
    // Still serving after every refusal.
    assert_eq!(post_json(&u, &serde_json::json!({"text": THREAT})).status, 200);
}

#[test]
fn batches_answer_in_order_with_error_records_in_json_and_ndjson() {
    let s = Server::start(&["--max-batch-items", "5", "--max-message-bytes", "300"], &[]);
    let u = format!("{}/v1/classify/batch", s.url);
    let body = serde_json::json!({"messages": [
        {"id": "a", "text": THREAT},
        {"id": "b"},
        {"id": "c", "text": "还".repeat(101)},
        "not an object",
        {"id": "e", "text": "您的借款已逾期3天,请及时还款。"},
    ]});
    let r = post_json(&u, &body);
    assert_eq!(r.status, 200, "{}", r.body);
    let res = r.json()["results"].as_array().unwrap().clone();
    assert_eq!(res.len(), 5);
    assert_eq!(
        (res[0]["id"].clone(), res[0]["line"].clone(), res[0]["verdict"].clone()),
        ("a".into(), 1.into(), "threat".into())
    );
    assert_eq!(res[1]["id"], "b");
    assert!(res[1]["error"].as_str().unwrap().contains("missing \"text\""));
    assert_eq!(res[2]["id"], "c");
    assert!(res[2]["error"].as_str().unwrap().contains("over the limit of 300"));
    assert_eq!(res[3]["line"], 4);
    assert!(res[3]["error"].as_str().unwrap().contains("JSON object"));
    assert_eq!(res[4]["id"], "e");
    assert!(res[4]["verdict"].is_string() && res[4].get("error").is_none());

    let nd = format!(
        "{}\n{{\"id\":\"y\"\n\n{}\n",
        serde_json::json!({"id": "x", "text": THREAT}),
        serde_json::json!({"text": "你好"})
    );
    let r = post(&u, "application/x-ndjson", nd);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.ctype.starts_with("application/x-ndjson"));
    let lines: Vec<Value> = r.body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    assert_eq!((lines[0]["id"].clone(), lines[0]["verdict"].clone()), ("x".into(), "threat".into()));
    assert!(lines[1]["error"].as_str().unwrap().contains("malformed JSON"));
    assert_eq!(lines[2]["line"], 3);
    assert!(lines[2]["error"].as_str().unwrap().contains("empty"));
    assert_eq!(lines[3]["verdict"], "none");

    let six: Vec<Value> = (0..6).map(|i| serde_json::json!({"id": i, "text": "你好"})).collect();
    let r = post_json(&u, &serde_json::json!({ "messages": six }));
    assert_eq!((r.status, r.error_code()), (413, "too_many_items".to_string()));
    let r = post(&u, "application/x-ndjson", "{\"text\":\"a\"}\n".repeat(6));
    assert_eq!((r.status, r.error_code()), (413, "too_many_items".to_string()));
    assert_eq!(post_json(&u, &serde_json::json!({"msgs": []})).error_code(), "missing_messages");
    assert_eq!(post_json(&u, &serde_json::json!({"messages": []})).error_code(), "empty_batch");
    assert_eq!(post(&u, "text/csv", "a,b").status, 415);
}

#[test]
fn healthz_and_metrics_report_requests_verdicts_and_lexicon() {
    let s = Server::start(&[], &[]);
    let h = get(&format!("{}/healthz", s.url));
    assert_eq!(h.status, 200);
    let version = h.json()["lexicon_version"].as_str().unwrap().to_string();
    assert!(h.json()["rules"].as_u64().unwrap() > 0);

    let u = format!("{}/v1/classify", s.url);
    for _ in 0..3 {
        assert_eq!(post_json(&u, &serde_json::json!({"text": THREAT})).status, 200);
    }
    assert_eq!(post(&u, "text/plain", "x").status, 415);
    let m = get(&format!("{}/metrics", s.url));
    assert_eq!(m.status, 200);
    assert!(m.ctype.contains("openmetrics-text") || m.ctype.starts_with("text/plain"), "{}", m.ctype);
    let body = m.body;
    let has = |line: &str| body.lines().any(|l| l == line);
    assert!(has(r#"cuishou_http_requests_total{route="/v1/classify",method="POST",status="200"} 3"#), "{body}");
    assert!(has(r#"cuishou_http_requests_total{route="/v1/classify",method="POST",status="415"} 1"#), "{body}");
    assert!(has(r#"cuishou_http_requests_total{route="/healthz",method="GET",status="200"} 1"#), "{body}");
    assert!(has(r#"cuishou_messages_total{verdict="threat"} 3"#), "{body}");
    assert!(has(r#"cuishou_messages_total{verdict="none"} 0"#), "{body}");
    assert!(has(r#"cuishou_http_request_duration_seconds_count{route="/v1/classify"} 4"#), "{body}");
    assert!(
        body.contains(r#"cuishou_http_request_duration_seconds_bucket{le="+Inf",route="/v1/classify"} 4"#),
        "{body}"
    );
    assert!(has(&format!("cuishou_lexicon_info{{version=\"{version}\"}} 1")), "{body}");
    assert!(body.trim_end().ends_with("# EOF"));
}

#[test]
fn admin_reload_needs_the_token_and_a_broken_lexicon_keeps_the_old_one() {
    let dir = scratch_dir("reload");
    std::fs::write(dir.join("extra.toml"), extra_rule("砸你家玻璃")).unwrap();
    let d = dir.to_str().unwrap();
    let s = Server::start(&["--lexicons", d], &[("CUISHOU_ADMIN_TOKEN", "s3cret-token")]);
    let reload = format!("{}/admin/reload", s.url);
    let classify = format!("{}/v1/classify", s.url);
    let version =
        |s: &Server| get(&format!("{}/healthz", s.url)).json()["lexicon_version"].as_str().unwrap().to_string();
    let v0 = version(&s);
    assert!(cites(&post_json(&classify, &serde_json::json!({"text": "明天砸你家玻璃"})).json(), "THR-950"));

    let send = |auth: Option<&str>| {
        let mut req = agent().post(&reload);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        finish(req.send_empty())
    };
    for bad in [None, Some("Bearer wrong-token!"), Some("Bearer s3cret-toke"), Some("s3cret-token")] {
        let r = send(bad);
        assert_eq!((r.status, r.error_code()), (401, "unauthorized".to_string()), "{bad:?}");
        assert_eq!(r.headers.get("www-authenticate").unwrap(), "Bearer");
    }

    // A good change is picked up.
    std::fs::write(dir.join("extra.toml"), extra_rule("烧你家车")).unwrap();
    let r = send(Some("Bearer s3cret-token"));
    assert_eq!(r.status, 200, "{}", r.body);
    let v1 = r.json()["lexicon_version"].as_str().unwrap().to_string();
    assert_ne!(v1, v0);
    assert_eq!(version(&s), v1);
    assert!(cites(&post_json(&classify, &serde_json::json!({"text": "明天烧你家车"})).json(), "THR-950"));

    // A broken file is refused with file:line and the previous lexicon keeps serving.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad_lexicons/broken.toml"),
        dir.join("broken.toml"),
    )
    .unwrap();
    let r = send(Some("Bearer s3cret-token"));
    assert_eq!((r.status, r.error_code()), (422, "lexicon_invalid".to_string()), "{}", r.body);
    let problems = r.json()["error"]["details"]["problems"].as_array().unwrap().clone();
    assert!(!problems.is_empty());
    assert!(problems.iter().all(|p| p.as_str().unwrap().contains("broken.toml:")), "{problems:?}");
    let line_no = problems[0].as_str().unwrap().split("broken.toml:").nth(1).unwrap().split(':').next().unwrap();
    assert!(line_no.parse::<usize>().unwrap() > 0);
    assert_eq!(r.json()["error"]["details"]["serving"], v1.as_str());
    assert_eq!(version(&s), v1);
    assert!(cites(&post_json(&classify, &serde_json::json!({"text": "明天烧你家车"})).json(), "THR-950"));
    s.wait_log("lexicon reload failed");
    assert!(s.stderr().contains("broken.toml:"), "{}", s.stderr());

    let m = get(&format!("{}/metrics", s.url)).body;
    assert!(m.lines().any(|l| l == r#"cuishou_lexicon_reloads_total{result="ok"} 1"#), "{m}");
    assert!(m.lines().any(|l| l == r#"cuishou_lexicon_reloads_total{result="error"} 1"#), "{m}");
    assert!(m.contains(&format!("cuishou_lexicon_info{{version=\"{v1}\"}} 1")) && !m.contains(&v0), "{m}");
}

#[test]
fn admin_reload_is_off_without_a_token_and_sighup_reloads() {
    let dir = scratch_dir("sighup");
    std::fs::write(dir.join("extra.toml"), extra_rule("砸你家玻璃")).unwrap();
    let s = Server::start(&["--lexicons", dir.to_str().unwrap()], &[]);
    let r = finish(agent().post(&format!("{}/admin/reload", s.url)).header("authorization", "Bearer x").send_empty());
    assert_eq!((r.status, r.error_code()), (403, "admin_disabled".to_string()));

    let version = || get(&format!("{}/healthz", s.url)).json()["lexicon_version"].as_str().unwrap().to_string();
    let v0 = version();
    std::fs::write(dir.join("extra.toml"), extra_rule("烧你家车")).unwrap();
    s.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(20);
    while version() == v0 {
        assert!(Instant::now() < deadline, "SIGHUP did not reload; log:\n{}", s.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    let v = post_json(&format!("{}/v1/classify", s.url), &serde_json::json!({"text": "明天烧你家车"})).json();
    assert!(cites(&v, "THR-950"));
}

#[test]
fn logs_have_one_line_per_request_and_no_message_text_unless_asked() {
    let secret = "张三的借款13800001111上*门";
    let s = Server::start(&[], &[]);
    let r = post_json(&format!("{}/v1/classify", s.url), &serde_json::json!({"text": secret}));
    let rid = r.headers.get("x-request-id").unwrap().to_str().unwrap().to_string();
    s.wait_log(&format!("id={rid} method=\"POST\" route=\"/v1/classify\" status=200"));
    assert!(!s.stderr().contains("13800001111"), "{}", s.stderr());

    let s = Server::start(&["--log-text"], &[]);
    post_json(&format!("{}/v1/classify", s.url), &serde_json::json!({"text": secret}));
    s.wait_log("13800001111");
}

#[test]
fn sigterm_drains_the_request_in_flight_and_exits_0() {
    let mut s = Server::start(&[], &[]);
    let addr = s.url.trim_start_matches("http://").to_string();
    let body = serde_json::json!({"id": "late", "text": THREAT}).to_string();
    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // `Expect: 100-continue` makes the server say when the handler starts reading the body:
    // from then on the request is in flight, with no guessing about timing.
    write!(
        conn,
        "POST /v1/classify HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    )
    .unwrap();
    let mut buf = [0u8; 64];
    let n = conn.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 100"), "{:?}", String::from_utf8_lossy(&buf[..n]));

    s.signal("TERM");
    s.wait_log("draining in-flight requests");
    conn.write_all(body.as_bytes()).unwrap();
    let mut res = String::new();
    conn.read_to_string(&mut res).unwrap();
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    let json = res.split("\r\n\r\n").nth(1).unwrap();
    let v: Value = serde_json::from_str(json).unwrap();
    assert_eq!((v["id"].as_str(), v["verdict"].as_str()), (Some("late"), Some("threat")));
    assert_eq!(s.wait_exit(), Some(0), "log:\n{}", s.stderr());
    assert!(s.stderr().contains("stopped"));
}

#[test]
fn paste_page_answers_a_form_post_with_escaped_highlighted_html() {
    let s = Server::start(&[], &[]);
    let page = get(&format!("{}/", s.url));
    assert_eq!(page.status, 200);
    assert!(page.ctype.starts_with("text/html"));
    let csp = page.headers.get("content-security-policy").unwrap().to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{csp}");
    assert!(page.body.contains("<form method=\"post\" action=\"/\""));
    assert!(page.body.contains("<textarea"));
    // Nothing from elsewhere: no absolute URLs in src/href, no scripts.
    for bad in ["src=\"http", "href=\"http", "<script", "//cdn"] {
        assert!(!page.body.contains(bad), "{bad}");
    }
    let css = get(&format!("{}/assets/page.css", s.url));
    assert_eq!(css.status, 200);
    assert!(css.ctype.starts_with("text/css") && css.body.contains("mark.cat-threat"));

    let text = format!("<script>alert(1)</script>{THREAT}");
    let form: String = url_encode(&text);
    let r = post(&format!("{}/", s.url), "application/x-www-form-urlencoded", format!("text={form}"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.headers.get("content-security-policy").is_some());
    assert!(!r.body.contains("<script>alert(1)"), "user text must be escaped");
    assert!(r.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(r.body.contains("data-verdict=\"threat\""));
    assert!(r.body.contains("威胁恐吓"), "verdict in Chinese");
    assert!(r.body.contains("<mark class=\"cat-threat\""));
    let marked =
        r.body.split("<mark class=\"cat-threat\"").nth(1).and_then(|m| m.split("</mark>").next()).unwrap_or("");
    assert!(marked.contains("上*门"), "the cited phrase is highlighted as typed: {marked}");
    assert!(r.body.contains("NIFA-2018"), "the clause is shown");
    assert!(r.body.contains("12378") && r.body.contains("110") && r.body.contains("截图"), "advice is shown");

    let r = post(&format!("{}/", s.url), "application/x-www-form-urlencoded", "text=");
    assert_eq!(r.status, 400);
    assert!(r.body.contains("class=\"error\""));
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
