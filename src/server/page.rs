//! The paste page at `GET /`: a form that posts back to the server, which renders the answer as
//! HTML — no JavaScript needed, and none allowed by the Content-Security-Policy. Every piece of
//! user text goes through [`escape`].

use super::State;
use crate::{Category, Report, Verdict};
use axum::extract::rejection::FormRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use std::fmt::Write;
use std::sync::Arc;

const PAGE: &str = include_str!("assets/page.html");
const CSS: &str = include_str!("assets/page.css");

/// No script at all, styles only from this server, forms only back to it.
const CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The pasted form.
#[derive(serde::Deserialize)]
pub(super) struct Paste {
    #[serde(default)]
    text: String,
}

/// `GET /`: the empty form.
pub(super) async fn index(axum::extract::State(state): axum::extract::State<Arc<State>>) -> Response {
    html(StatusCode::OK, &render_page(&state, "", ""))
}

/// `POST /`: the form again, with the answer under it.
pub(super) async fn submit(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    form: Result<Form<Paste>, FormRejection>,
) -> Response {
    let text = match form {
        Ok(Form(p)) => p.text,
        Err(r) => {
            let msg = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                format!("内容太长（超过 {} 字节）。Text too long.", state.limits.max_body_bytes)
            } else {
                format!("无法读取表单。Could not read the form: {}", r.body_text())
            };
            return html(r.status(), &render_page(&state, "", &error_box(&msg)));
        }
    };
    let max = state.limits.max_message_bytes;
    if text.trim().is_empty() {
        return html(
            StatusCode::BAD_REQUEST,
            &render_page(&state, "", &error_box("请先粘贴消息内容。Paste a message first.")),
        );
    }
    if text.len() > max {
        let msg = format!(
            "消息太长：{} 字节，上限 {max} 字节。The message is {} bytes, over the limit of {max}.",
            text.len(),
            text.len()
        );
        return html(StatusCode::PAYLOAD_TOO_LARGE, &render_page(&state, &text, &error_box(&msg)));
    }
    let report = state.classifier().classify(&text);
    state.metrics.verdict(report.verdict);
    html(StatusCode::OK, &render_page(&state, &text, &render_result(&text, &report)))
}

/// `GET /assets/page.css`.
pub(super) async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
        .into_response()
}

fn html(status: StatusCode, body: &str) -> Response {
    let mut res = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body.to_string()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // Answers hold personal text: keep them out of shared caches and history restores.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn render_page(state: &State, text: &str, result: &str) -> String {
    let version = state.classifier().lexicon_version().to_string();
    // Placeholders are replaced in one pass, so user text can never introduce another one.
    let mut out = String::with_capacity(PAGE.len() + text.len() * 2 + result.len());
    let mut rest = PAGE;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        match &after[..j] {
            "text" => out.push_str(&escape(text)),
            "result" => out.push_str(result),
            "version" => out.push_str(&escape(&version)),
            "max_chars" => out.push_str(&state.limits.max_message_bytes.to_string()),
            other => {
                let _ = write!(out, "{{{{{other}}}}}");
            }
        }
        rest = &after[j + 2..];
    }
    out.push_str(rest);
    out
}

fn error_box(msg: &str) -> String {
    format!("<div class=\"error\" role=\"alert\">{}</div>", escape(msg))
}

/// Escapes text for HTML element content and quoted attribute values.
///
/// ```
/// assert_eq!(cuishou::server::escape("<b a='1'>&\""), "&lt;b a=&#39;1&#39;&gt;&amp;&quot;");
/// ```
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn category_name(c: Category) -> (&'static str, &'static str) {
    let v = Verdict::from(c);
    (short_chinese(c), v.english())
}

fn short_chinese(c: Category) -> &'static str {
    match c {
        Category::PoliteReminder => "正常提醒",
        Category::Pressure => "施压",
        Category::Threat => "威胁",
        Category::IllegalDisclosure => "泄露债务",
    }
}

/// The answer: verdict, advice, the text with highlights, and each citation's rule and clause.
fn render_result(text: &str, r: &Report) -> String {
    let v = r.verdict;
    let mut out = String::new();
    let _ = write!(
        out,
        "<section class=\"result v-{}\" id=\"result\" aria-live=\"polite\">\n<h2>鉴定结果 <span lang=\"en\">Verdict</span></h2>\n<p class=\"verdict\" id=\"verdict\" data-verdict=\"{}\">{}<span class=\"en\" lang=\"en\">{}</span></p>\n",
        v.as_str(),
        v.as_str(),
        escape(v.chinese()),
        escape(&capitalize(v.english()))
    );
    out.push_str("<h2>原文 <span lang=\"en\">Your text, with the phrases that decided it</span></h2>\n<div class=\"original\" id=\"original\">");
    out.push_str(&highlight(text, r));
    out.push_str("</div>\n");
    if !r.citations.is_empty() {
        out.push_str("<h2>依据 <span lang=\"en\">Why</span></h2>\n<ul class=\"citations\" id=\"citations\">\n");
        for c in &r.citations {
            let (zh, en) = category_name(c.category);
            let _ = write!(
                out,
                "<li><span class=\"swatch cat-{cat}\">{zh} <span lang=\"en\">{en}</span></span> “{phrase}” — {message} <span class=\"rule\">{rule}</span>",
                cat = c.category.as_str(),
                phrase = escape(&c.phrase),
                message = escape(&c.message),
                rule = escape(&c.rule),
            );
            if let Some(s) = &c.speaker {
                let _ = write!(out, " <span class=\"rule\">({})</span>", escape(s));
            }
            if !c.clause.is_empty() {
                let _ = write!(out, "<span class=\"clause\">依据条款 Clause: {}</span>", escape(&c.clause));
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ul>\n");
    }
    out.push_str(&advice(v));
    out.push_str("</section>\n");
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// What the recipient can do, by how serious the message is.
fn advice(v: Verdict) -> String {
    let items: &[&str] = match v {
        Verdict::None => &["这条消息看起来不是催收。如果对方自称催收，请通过借款平台的官方渠道核实，谨防诈骗。<span lang=\"en\">This does not look like debt collection. If someone claims to collect a debt, check with the lender through its official channels: it may be a scam.</span>"],
        Verdict::PoliteReminder => &[
            "这是正常的还款提醒。核对借款金额和日期是否属实。<span lang=\"en\">A lawful reminder. Check that the amount and date are right.</span>",
            "还款有困难，可以主动联系平台协商分期或延期，并保留协商记录。<span lang=\"en\">If you cannot pay, ask the lender for instalments or more time, and keep a record of what was agreed.</span>",
        ],
        Verdict::Pressure | Verdict::Threat | Verdict::IllegalDisclosure => &[
            "保留证据：截图保存短信和聊天记录，对通话录音，记下时间、号码和对方自称的机构。<span lang=\"en\">Keep evidence: screenshots of messages and chats, recordings of calls, the time, number and who they said they were.</span>",
            "书面要求借款平台停止联系你的家人、朋友、同事等第三方，只与你本人沟通。<span lang=\"en\">Ask the lender in writing to stop contacting third parties (family, friends, employer) and to deal only with you.</span>",
            "向放贷机构的监管部门投诉：当地金融监管局（银行保险消费者投诉热线 12378）；网贷和互联网金融平台可向中国互联网金融协会举报。<span lang=\"en\">Complain to the regulator: the local financial regulatory bureau (consumer hotline 12378); online lenders can also be reported to the National Internet Finance Association of China (NIFA).</span>",
            "收到骚扰短信可向 12321 网络不良与垃圾信息举报受理中心举报。<span lang=\"en\">Report harassing texts to the 12321 spam reporting centre.</span>",
        ],
    };
    let mut out = String::from(
        "<h2>你可以怎么做 <span lang=\"en\">What you can do</span></h2>\n<ul class=\"advice\" id=\"advice\">\n",
    );
    for i in items {
        let _ = writeln!(out, "<li>{i}</li>");
    }
    if matches!(v, Verdict::Threat | Verdict::IllegalDisclosure) {
        out.push_str("<li><strong>如对方威胁人身安全、上门滋扰或使用暴力，立即拨打 110 报警。</strong><span lang=\"en\">If they threaten your safety, come to your home or use violence, call the police on 110.</span></li>\n");
    }
    out.push_str("</ul>\n");
    out
}

/// The text with every cited phrase in a `<mark>` of its category's colour. Where phrases of
/// several categories overlap, the most severe colours the overlap.
fn highlight(text: &str, r: &Report) -> String {
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for c in &r.citations {
        for b in [c.byte_start, c.byte_end] {
            // Offsets come from the library and are char boundaries; never slice on a bad one.
            if b <= text.len() && text.is_char_boundary(b) {
                cuts.push(b);
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = String::with_capacity(text.len() * 2);
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let seg = escape(&text[a..b]);
        let covering: Vec<_> = r.citations.iter().filter(|c| c.byte_start <= a && c.byte_end >= b && a < b).collect();
        match covering.iter().map(|c| c.category).max() {
            Some(cat) => {
                let rules: Vec<&str> = covering.iter().map(|c| c.rule.as_str()).collect();
                let _ = write!(
                    out,
                    "<mark class=\"cat-{}\" title=\"{}\">{seg}</mark>",
                    cat.as_str(),
                    escape(&format!("{} {}", short_chinese(cat), rules.join(", ")))
                );
            }
            None => out.push_str(&seg),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_cover_exactly_the_cited_bytes_and_escape_the_rest() {
        let c = crate::Classifier::new();
        let text = "<b>你再不还钱,明天就上*门找你,后果自负</b>";
        let r = c.classify(text);
        assert_eq!(r.verdict, Verdict::Threat);
        let h = highlight(text, &r);
        assert!(h.starts_with("&lt;b&gt;"), "{h}");
        assert!(!h.contains("<b>"));
        for cit in &r.citations {
            assert!(h.contains(&format!("{}</mark>", escape(&cit.phrase))) || h.contains(&escape(&cit.phrase)), "{h}");
        }
        assert!(h.contains("<mark class=\"cat-threat\""), "{h}");
        // Removing the markup gives back the escaped text unchanged.
        let plain = regex::Regex::new(r"</?mark[^>]*>").unwrap().replace_all(&h, "");
        assert_eq!(plain, escape(text));
    }

    #[test]
    fn placeholders_in_user_text_stay_text() {
        let state = State::new(crate::Classifier::new(), super::super::Limits::default());
        let page = render_page(&state, "{{result}}</textarea><script>x</script>", "");
        assert!(page.contains("{{result}}&lt;/textarea&gt;&lt;script&gt;"));
        assert!(!page.contains("<script>"));
    }
}
