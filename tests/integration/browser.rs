//! The paste page in a real browser: headless Chromium driven over WebDriver by chromedriver,
//! both on loopback. Types a threatening message, submits the form (no JavaScript in the page),
//! and checks the rendered answer; saves a screenshot to target/paste-page.png.

use crate::server::{agent, Server};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const THREAT: &str = "张先生,你再不还钱,明天就上*门找你,后果自负!";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find(bin: &[&str]) -> Option<String> {
    bin.iter().find(|b| Path::new(b).exists()).map(|b| b.to_string())
}

struct Driver {
    child: Child,
    base: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let res = match (method, body) {
            ("GET", _) => agent().get(&url).call(),
            ("DELETE", _) => agent().delete(&url).call(),
            (_, b) => {
                agent().post(&url).header("content-type", "application/json").send(b.unwrap_or(json!({})).to_string())
            }
        };
        let mut res = res.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = res.status();
        let text = res.body_mut().read_to_string().unwrap();
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"));
        assert!(status.is_success(), "{method} {path}: {status}: {text}");
        v["value"].clone()
    }
}

#[test]
fn paste_page_in_headless_chromium_shows_the_verdict_and_highlights() {
    let (Some(chromium), Some(chromedriver)) = (
        find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]),
        find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]),
    ) else {
        eprintln!("\n==================== SKIPPED ====================\nbrowser test: chromium and chromedriver not installed\n(apt-get install chromium chromium-driver; .ci/run does this)\n=================================================\n");
        return;
    };
    let server = Server::start(&[], &[]);

    // A free loopback port for chromedriver.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let d = Driver { child, base: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(30);
    while agent().get(&format!("{}/status", d.base)).call().map(|r| r.status().as_u16()).ok() != Some(200) {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("chromium-profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1200,1500",
                     format!("--user-data-dir={}", profile.display())]
        }
    }}});
    let session = d.call("POST", "/session", Some(caps));
    let sid = session["sessionId"].as_str().expect("session id").to_string();
    let s = |p: &str| format!("/session/{sid}{p}");

    d.call("POST", &s("/url"), Some(json!({"url": format!("{}/", server.url)})));
    let title = d.call("GET", &s("/title"), None);
    assert!(title.as_str().unwrap().contains("催收"), "{title}");
    let el = |css: &str| {
        let v = d.call("POST", &s("/element"), Some(json!({"using": "css selector", "value": css})));
        v[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {v}")).to_string()
    };
    let area = el("textarea#text");
    d.call("POST", &s(&format!("/element/{area}/value")), Some(json!({"text": THREAT})));
    let button = el("button#submit");
    d.call("POST", &s(&format!("/element/{button}/click")), None);

    // The form post loads a new page; wait (bounded) for the answer to be there.
    let deadline = Instant::now() + Duration::from_secs(20);
    let html = loop {
        let html = d.call("GET", &s("/source"), None).as_str().unwrap().to_string();
        if html.contains("id=\"verdict\"") {
            break html;
        }
        assert!(Instant::now() < deadline, "no verdict rendered:\n{html}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let verdict = d.call("GET", &s(&format!("/element/{}/text", el("#verdict"))), None);
    let verdict = verdict.as_str().unwrap();
    assert!(verdict.contains("威胁恐吓") && verdict.contains("Threat"), "{verdict}");
    assert!(html.contains("<mark"), "highlighted phrase missing");
    let mark = el("mark.cat-threat");
    let marked = d.call("GET", &s(&format!("/element/{mark}/text")), None);
    // The cited phrase is shown as typed, disguise included (the exact span is the lexicon's call).
    assert!(marked.as_str().unwrap().contains("上*门"), "{marked}");
    // The mark is drawn in the threat colour (#c62828), so a person sees it.
    let bg = d.call("GET", &s(&format!("/element/{mark}/css/background-color")), None);
    assert_eq!(bg, "rgba(198, 40, 40, 1)");
    // What was typed is still in the box, for editing.
    let kept = d.call("GET", &s(&format!("/element/{}/property/value", el("textarea#text"))), None);
    assert_eq!(kept, THREAT);
    let advice = d.call("GET", &s(&format!("/element/{}/text", el("#advice"))), None);
    assert!(advice.as_str().unwrap().contains("12378"));

    let png = d.call("GET", &s("/screenshot"), None);
    let png = base64_decode(png.as_str().unwrap());
    assert!(png.starts_with(b"\x89PNG"));
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/paste-page.png");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, &png).unwrap();
    eprintln!("browser test: screenshot saved to {}", out.display());
    d.call("DELETE", &s(""), None);
    let _ = std::fs::remove_dir_all(&profile);
}

/// Standard base64 (the WebDriver screenshot encoding); small enough not to need a crate.
fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("bad base64 byte {c}"),
    };
    let bytes: Vec<u8> = s.bytes().filter(|&b| b != b'=' && !b.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            n |= (val(b) as u32) << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}
