//! The summary as one self-contained HTML page: inline CSS and inline SVG, no scripts, no
//! external assets, so it opens offline and can be mailed as one file. Every piece of input text
//! goes through [`escape`].
//!
//! ```
//! use cuishou::summary::{html, Aggregator, SummaryOptions};
//! use cuishou::input::{parse_line, InputFormat};
//! let c = cuishou::Classifier::new();
//! let mut agg = Aggregator::new(&c, SummaryOptions::default());
//! agg.start_input("x.txt");
//! let m = parse_line("<script>alert(1)</script>再不还钱就上门找你".as_bytes(), 1, InputFormat::Lines, 1024).unwrap();
//! agg.add(&m, &c.classify(&m.text));
//! let page = html::render(&agg.finish());
//! assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
//! assert!(!page.contains("<script"));
//! ```

use super::{Groups, PhraseTable, Severe, Summary, FLAGGED_FROM};
use crate::eval::Figures;
use crate::{Category, Verdict};
use std::fmt::Write as _;

pub use crate::server::escape;

/// The colour of a verdict, shared by charts, badges and highlights.
fn colour(v: Verdict) -> &'static str {
    match v {
        Verdict::None => "#9aa0a6",
        Verdict::PoliteReminder => "#2e7d32",
        Verdict::Pressure => "#f9a825",
        Verdict::Threat => "#e65100",
        Verdict::IllegalDisclosure => "#8e24aa",
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn share(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

const CSS: &str = r#"
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f6f7f9;color:#1f2328}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:0 0 12px}h3{font-size:15px;margin:12px 0 6px}
section{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:16px 20px;margin:16px 0}
.meta{color:#59636e;font-size:13px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-top:12px}
.card{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:24px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid #eaeef2;padding:4px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;border-radius:10px;padding:0 8px;color:#fff;font-size:12px;white-space:nowrap}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:16px}
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:24px}
.pair>div{overflow-x:auto}
.bar{display:inline-block;height:10px;border-radius:2px;vertical-align:middle}
.msg{border-left:4px solid #ccc;padding:6px 12px;margin:10px 0;background:#fafbfc}
.msg .text{white-space:pre-wrap;word-break:break-all;font-size:15px;margin:4px 0}
.msg ul{margin:4px 0;padding-left:20px;font-size:13px;color:#424a53}
mark{border-radius:3px;padding:0 1px}
.heat td.n{min-width:64px}
.bad{color:#b42318}
svg text{font-family:inherit}
"#;

/// The whole page.
pub fn render(s: &Summary) -> String {
    let mut o = String::with_capacity(64 * 1024);
    o.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    let _ = write!(o, "<title>cuishou report — {} messages</title><style>{CSS}", s.messages);
    for v in Verdict::ALL {
        let _ = write!(o, "mark.v-{0}{{background:{1}33;border-bottom:2px solid {1}}}", v.as_str(), colour(v));
    }
    o.push_str("</style></head><body><main>");
    header(&mut o, s);
    verdicts(&mut o, s);
    if let Some(g) = &s.groups {
        groups(&mut o, g);
    }
    if let Some(e) = &s.evaluation {
        evaluation(&mut o, e);
    }
    phrases(&mut o, s);
    rules(&mut o, s);
    severe(&mut o, s);
    bad_lines(&mut o, s);
    o.push_str("</main></body></html>\n");
    o
}

fn header(o: &mut String, s: &Summary) {
    let inputs: Vec<String> = s.inputs.iter().map(|i| escape(i)).collect();
    let _ = write!(
        o,
        "<h1>催收消息审查报告 · Collection message review</h1><div class=\"meta\">{} · lexicons {} · cuishou {}</div>",
        inputs.join(", "),
        escape(&s.lexicon_version),
        env!("CARGO_PKG_VERSION")
    );
    let _ = write!(o, "<div class=\"cards\"><div class=\"card\">records<b id=\"records\">{}</b></div>", s.records);
    let _ = write!(o, "<div class=\"card\">messages<b id=\"messages\">{}</b></div>", s.messages);
    let _ = write!(
        o,
        "<div class=\"card\">flagged (≥ {})<b id=\"flagged\">{}</b>{}</div>",
        FLAGGED_FROM.as_str(),
        s.flagged,
        pct(share(s.flagged, s.messages))
    );
    let cls = if s.bad_lines.count > 0 { " bad" } else { "" };
    let _ = write!(o, "<div class=\"card{cls}\">bad lines<b id=\"bad-lines\">{}</b></div></div>", s.bad_lines.count);
}

/// A horizontal bar chart, one bar per row: `(label, sublabel, value, colour, note)`.
fn bar_chart(o: &mut String, id: &str, rows: &[(String, String, u64, &str, String)]) {
    let max = rows.iter().map(|r| r.2).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (300.0, 540.0, 40.0);
    let h = row_h * rows.len() as f64 + 6.0;
    let _ = write!(
        o,
        "<svg id=\"{id}\" role=\"img\" width=\"100%\" viewBox=\"0 0 1000 {h}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, (label, sub, n, fill, note)) in rows.iter().enumerate() {
        let y = 4.0 + row_h * i as f64;
        let w = (bar_w * *n as f64 / max as f64).max(if *n > 0 { 2.0 } else { 0.0 });
        let _ = write!(
            o,
            "<text x=\"{lx}\" y=\"{}\" text-anchor=\"end\" font-size=\"15\">{}</text><text x=\"{lx}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\" fill=\"#59636e\">{}</text><rect x=\"{label_w}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" rx=\"3\" fill=\"{fill}\"/><text x=\"{}\" y=\"{}\" font-size=\"15\">{n} {}</text>",
            y + 15.0,
            escape(label),
            y + 31.0,
            escape(sub),
            y + 6.0,
            row_h - 14.0,
            label_w + w + 8.0,
            y + 24.0,
            escape(note),
            lx = label_w - 10.0,
        );
    }
    o.push_str("</svg>");
}

fn verdicts(o: &mut String, s: &Summary) {
    o.push_str("<section id=\"verdicts\"><h2>Verdicts · 判定</h2>");
    let rows: Vec<(String, String, u64, &str, String)> = Verdict::ALL
        .iter()
        .map(|&v| {
            let n = s.verdicts.get(&v).copied().unwrap_or(0);
            (v.chinese().to_string(), v.english().to_string(), n, colour(v), format!("({})", pct(share(n, s.messages))))
        })
        .collect();
    bar_chart(o, "verdict-chart", &rows);
    o.push_str("<table><tr><th>verdict</th><th class=\"n\">messages</th><th class=\"n\">share</th></tr>");
    for (v, (_, _, n, _, note)) in Verdict::ALL.iter().zip(&rows) {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"n\" data-verdict=\"{}\">{n}</td><td class=\"n\">{}</td></tr>",
            badge(*v),
            v.as_str(),
            &note[1..note.len() - 1]
        );
    }
    o.push_str("</table></section>");
}

fn badge(v: Verdict) -> String {
    format!("<span class=\"badge\" style=\"background:{}\">{}</span>", colour(v), v.as_str())
}

/// Groups shown in the chart; the table lists them all.
const CHARTED_GROUPS: usize = 25;

fn groups(o: &mut String, g: &Groups) {
    let _ = write!(o, "<section id=\"groups\"><h2>By {} · 分组</h2>", escape(&g.field));
    let _ = write!(
        o,
        "<p class=\"meta\">Share of each group's messages per verdict; flagged means {} or worse. The {} largest groups are charted.{}</p>",
        FLAGGED_FROM.as_str(),
        CHARTED_GROUPS,
        if g.capped { " Values past the cap are merged into (other)." } else { "" }
    );
    let shown: Vec<_> = g.rows.iter().take(CHARTED_GROUPS).collect();
    let (label_w, bar_w, row_h) = (230.0, 600.0, 26.0);
    let h = row_h * shown.len() as f64 + 34.0;
    let _ = write!(o, "<svg id=\"group-chart\" role=\"img\" width=\"100%\" viewBox=\"0 0 1000 {h}\" xmlns=\"http://www.w3.org/2000/svg\">");
    for (i, r) in shown.iter().enumerate() {
        let y = 4.0 + row_h * i as f64;
        let label: String = r.value.chars().take(28).collect();
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\">{}</text>",
            label_w - 8.0,
            y + 15.0,
            escape(&label)
        );
        let mut x = label_w;
        for v in Verdict::ALL {
            let n = r.verdicts.get(&v).copied().unwrap_or(0);
            let w = bar_w * share(n, r.messages);
            if w > 0.0 {
                let _ = write!(o, "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\"><title>{}: {n}</title></rect>", row_h - 8.0, colour(v), v.as_str());
            }
            x += w;
        }
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\">{} flagged of {}</text>",
            label_w + bar_w + 8.0,
            y + 15.0,
            pct(r.share_flagged),
            r.messages
        );
    }
    let ly = row_h * shown.len() as f64 + 12.0;
    let mut lx = label_w;
    for v in Verdict::ALL {
        let _ = write!(o, "<rect x=\"{lx}\" y=\"{ly}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>", colour(v), lx + 16.0, ly + 11.0, v.as_str());
        lx += 130.0;
    }
    o.push_str("</svg><table><tr><th>value</th><th class=\"n\">messages</th>");
    for v in Verdict::ALL {
        let _ = write!(o, "<th class=\"n\">{}</th>", v.as_str());
    }
    o.push_str("<th class=\"n\">flagged</th><th class=\"n\">share flagged</th></tr>");
    for r in &g.rows {
        let _ = write!(o, "<tr><td>{}</td><td class=\"n\">{}</td>", escape(&r.value), r.messages);
        for v in Verdict::ALL {
            let _ = write!(o, "<td class=\"n\">{}</td>", r.verdicts.get(&v).copied().unwrap_or(0));
        }
        let _ = write!(o, "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>", r.flagged, pct(r.share_flagged));
    }
    o.push_str("</table></section>");
}

fn evaluation(o: &mut String, e: &super::EvalSummary) {
    let _ = write!(o, "<section id=\"evaluation\"><h2>Against the gold labels · 与人工标注对照</h2><p class=\"meta\"><span id=\"labeled\">{}</span> messages carry gold labels", e.labeled);
    if e.gold_problems.count > 0 {
        let _ = write!(o, "; <span class=\"bad\">{} could not be read</span> (first at ", e.gold_problems.count);
        let at: Vec<String> =
            e.gold_problems.first.iter().take(10).map(|p| format!("{}:{}", escape(&p.file), p.line)).collect();
        let _ = write!(o, "{})", at.join(", "));
    }
    o.push_str(".</p><div class=\"pair\"><div><table id=\"figures\"><tr><th></th><th class=\"n\">cuishou</th><th class=\"n\">keyword baseline</th></tr>");
    let (g, b) = (&e.engine, &e.baseline);
    let row = |o: &mut String, key: &str, name: &str, a: String, bb: String| {
        let _ = write!(
            o,
            "<tr><td>{name}</td><td class=\"n\" data-figure=\"{key}\">{a}</td><td class=\"n\">{bb}</td></tr>"
        );
    };
    row(o, "accuracy", "verdict accuracy", pct(g.accuracy), pct(b.accuracy));
    row(o, "false_alarm", "false alarms on none", pct(g.false_alarm), pct(b.false_alarm));
    row(o, "evidence_recall", "evidence recall", pct(g.evidence_recall), "–".into());
    for c in Category::ALL {
        let (p, q) = (g.categories[&c], b.categories[&c]);
        row(
            o,
            &format!("f1_{c}"),
            &format!("F1 {c} <span class=\"meta\">(n={})</span>", p.support),
            format!("{:.3}", p.f1),
            format!("{:.3}", q.f1),
        );
        row(
            o,
            &format!("pr_{c}"),
            "&nbsp;&nbsp;precision / recall",
            format!("{:.2} / {:.2}", p.precision, p.recall),
            format!("{:.2} / {:.2}", q.precision, q.recall),
        );
    }
    o.push_str("</table></div><div>");
    confusion(o, g);
    o.push_str("</div></div>");
    if !g.by_tag.is_empty() {
        o.push_str("<h3>Accuracy per tag</h3><table><tr><th>tag</th><th class=\"n\">messages</th><th class=\"n\">cuishou</th><th class=\"n\">baseline</th></tr>");
        for (t, (n, acc)) in &g.by_tag {
            let base = b.by_tag.get(t).map_or(0.0, |x| x.1);
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"n\">{n}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(t),
                pct(*acc),
                pct(base)
            );
        }
        o.push_str("</table>");
    }
    o.push_str("</section>");
}

fn confusion(o: &mut String, f: &Figures) {
    o.push_str("<h3 style=\"margin-top:0\">Confusion (rows gold, columns predicted)</h3><table id=\"confusion\" class=\"heat\"><tr><th></th>");
    for v in Verdict::ALL {
        let _ = write!(o, "<th class=\"n\" title=\"{}\">{}</th>", v.as_str(), short(v));
    }
    o.push_str("</tr>");
    let max = f.confusion.iter().flatten().copied().max().unwrap_or(0).max(1);
    for g in Verdict::ALL {
        let _ = write!(o, "<tr><th title=\"{}\">{}</th>", g.as_str(), short(g));
        for p in Verdict::ALL {
            let n = f.confusion[g as usize][p as usize];
            // Right answers shade green, wrong ones red, by their share of the largest cell.
            let alpha = (n as f64 / max as f64 * 0.6 + if n > 0 { 0.08 } else { 0.0 }).min(1.0);
            let tint = if g == p { "46,125,50" } else { "180,35,24" };
            let _ = write!(
                o,
                "<td class=\"n\" style=\"background:rgba({tint},{alpha:.2})\" data-gold=\"{}\" data-predicted=\"{}\">{n}</td>",
                g.as_str(),
                p.as_str()
            );
        }
        o.push_str("</tr>");
    }
    o.push_str("</table>");
}

/// Column-width names for the confusion matrix (the full name is the cell's title).
fn short(v: Verdict) -> &'static str {
    match v {
        Verdict::None => "none",
        Verdict::PoliteReminder => "polite",
        Verdict::Pressure => "pressure",
        Verdict::Threat => "threat",
        Verdict::IllegalDisclosure => "disclosure",
    }
}

fn phrases(o: &mut String, s: &Summary) {
    o.push_str("<section id=\"phrases\"><h2>Most cited phrases · 高频证据短语</h2><div class=\"grid\">");
    for (c, t) in &s.phrases {
        phrase_table(o, *c, t);
    }
    o.push_str("</div></section>");
}

fn phrase_table(o: &mut String, c: Category, t: &PhraseTable) {
    let v = Verdict::from(c);
    let _ = write!(
        o,
        "<div data-category=\"{}\"><h3>{} <span class=\"meta\">{} citations</span></h3>",
        c,
        badge(v),
        t.citations
    );
    if t.phrases.is_empty() {
        o.push_str("<p class=\"meta\">none cited</p></div>");
        return;
    }
    let max = t.phrases[0].count.max(1);
    o.push_str("<table>");
    for p in &t.phrases {
        let w = 80.0 * p.count as f64 / max as f64;
        let approx = if p.error > 0 { format!(" <span class=\"meta\">±{}</span>", p.error) } else { String::new() };
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"n\">{}{approx}</td><td><span class=\"bar\" style=\"width:{w:.0}px;background:{}\"></span></td></tr>",
            escape(&p.phrase),
            p.count,
            colour(v)
        );
    }
    o.push_str("</table>");
    if !t.exact {
        o.push_str(
            "<p class=\"meta\">Counts are upper bounds from a bounded sketch (± the most they may overstate).</p>",
        );
    }
    o.push_str("</div>");
}

fn rules(o: &mut String, s: &Summary) {
    o.push_str("<section id=\"rules\"><h2>Rule hits · 规则命中</h2>");
    if s.rules.is_empty() {
        o.push_str("<p class=\"meta\">No rule fired.</p></section>");
        return;
    }
    o.push_str(
        "<table><tr><th>rule</th><th>category</th><th class=\"n\">messages</th><th>message</th><th>clause</th></tr>",
    );
    for r in &s.rules {
        let _ = write!(
            o,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"n\" data-rule=\"{}\">{}</td><td>{}</td><td class=\"meta\">{}</td></tr>",
            escape(&r.rule),
            badge(r.category.into()),
            escape(&r.rule),
            r.messages,
            escape(&r.message),
            escape(&r.clause)
        );
    }
    o.push_str("</table></section>");
}

fn severe(o: &mut String, s: &Summary) {
    let _ = write!(o, "<section id=\"severe\"><h2>Most severe messages · 最严重的消息 ({})</h2>", s.most_severe.len());
    if s.most_severe.is_empty() {
        o.push_str("<p class=\"meta\">No collection message found.</p>");
    }
    for m in &s.most_severe {
        let id = match &m.id {
            Some(serde_json::Value::String(s)) => format!(" · id {}", escape(s)),
            Some(v) => format!(" · id {}", escape(&v.to_string())),
            None => String::new(),
        };
        let _ = write!(
            o,
            "<div class=\"msg\" style=\"border-color:{}\">{} <span class=\"meta\">score {:.2}{} · {}:{}{id}</span><div class=\"text\">{}</div><ul>",
            colour(m.verdict),
            badge(m.verdict),
            m.score,
            m.gold.map_or(String::new(), |g| format!(" · gold {g}")),
            escape(&m.file),
            m.line,
            highlight(m)
        );
        for c in &m.citations {
            let _ = write!(
                o,
                "<li><code>{}</code> {} 「{}」 {} <span class=\"meta\">{}</span></li>",
                escape(&c.rule),
                c.category,
                escape(&c.phrase),
                escape(&c.message),
                escape(&c.clause)
            );
        }
        o.push_str("</ul></div>");
    }
    o.push_str("</section>");
}

/// The message with each cited stretch marked in the colour of the most severe category citing
/// it; overlapping citations are split at every boundary so nothing is marked twice.
pub fn highlight(m: &Severe) -> String {
    let text = &m.text;
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for c in &m.citations {
        if c.byte_start < c.byte_end
            && c.byte_end <= text.len()
            && text.is_char_boundary(c.byte_start)
            && text.is_char_boundary(c.byte_end)
        {
            cuts.push(c.byte_start);
            cuts.push(c.byte_end);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut o = String::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let covering: Vec<_> = m.citations.iter().filter(|c| c.byte_start <= a && b <= c.byte_end).collect();
        let piece = escape(&text[a..b]);
        match covering.iter().map(|c| c.category).max() {
            None => o.push_str(&piece),
            Some(cat) => {
                let title: Vec<String> = covering.iter().map(|c| format!("{} {}", c.rule, c.message)).collect();
                let _ = write!(o, "<mark class=\"v-{}\" title=\"{}\">{piece}</mark>", cat, escape(&title.join("; ")));
            }
        }
    }
    o
}

fn bad_lines(o: &mut String, s: &Summary) {
    let b = &s.bad_lines;
    let _ =
        write!(o, "<section id=\"bad\"><h2>Bad lines · 无法读取的记录: <span id=\"bad-count\">{}</span></h2>", b.count);
    if b.count == 0 {
        o.push_str("<p class=\"meta\">Every record was read.</p></section>");
        return;
    }
    let _ = write!(o, "<p class=\"meta\">Not classified; the first {} are listed.</p><table><tr><th>file</th><th class=\"n\">line</th><th>problem</th></tr>", b.first.len());
    for p in &b.first {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"n bad-line\">{}</td><td>{}</td></tr>",
            escape(&p.file),
            p.line,
            escape(&p.error)
        );
    }
    o.push_str("</table></section>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Classifier;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn overlapping_citations_are_marked_once_each_stretch() {
        let c = Classifier::new();
        let text = "<b>再不还钱就上门找你</b>,后果自负";
        let r = c.classify(text);
        assert!(!r.citations.is_empty());
        let m = Severe {
            file: "f".into(),
            line: 1,
            id: None,
            gold: None,
            verdict: r.verdict,
            score: 1.0,
            text: text.into(),
            citations: r.citations.clone(),
        };
        let h = highlight(&m);
        assert!(h.starts_with("&lt;b&gt;"), "{h}");
        assert!(h.contains("<mark class=\"v-threat\""), "{h}");
        // Removing the markup gives back the escaped text.
        let plain = regex::Regex::new("<[^>]+>").unwrap().replace_all(&h, "");
        assert_eq!(plain, escape(text));
    }
}
