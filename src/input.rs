//! Input records: one message per line of plain text or JSONL, or per CSV row. Every record
//! yields exactly one [`Message`] or one [`LineError`]; nothing is dropped.

use serde::Serialize;
use std::io::{self, BufRead};

/// The largest message accepted, in bytes, unless configured otherwise.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024;

/// How input records are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// One message per line.
    Lines,
    /// One JSON object per line with `text` and an optional `id`.
    Jsonl,
    /// CSV with a header row; the text and id columns are named.
    Csv,
}

/// One message to classify.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// 1-based line (or CSV record) number in its input.
    pub line: usize,
    /// The caller's id, carried to the output unchanged (any JSON value).
    pub id: Option<serde_json::Value>,
    /// The message text.
    pub text: String,
    /// For JSONL, the whole object; for CSV, every column as a string keyed by its header
    /// (eval and report read other fields from it). `None` for plain lines.
    pub fields: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A record that could not be read; it still produces one output record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineError {
    /// 1-based line (or CSV record) number.
    pub line: usize,
    /// The id, when it could be read.
    pub id: Option<serde_json::Value>,
    /// What was wrong.
    pub error: String,
}

/// Parses one raw line (without its line ending) as a message of the given format.
///
/// ```
/// use cuishou::input::{parse_line, InputFormat};
/// let m = parse_line(r#"{"id":"m1","text":"请及时还款"}"#.as_bytes(), 3, InputFormat::Jsonl, 1024).unwrap();
/// assert_eq!((m.line, m.text.as_str()), (3, "请及时还款"));
/// let e = parse_line(b"{not json", 4, InputFormat::Jsonl, 1024).unwrap_err();
/// assert_eq!(e.line, 4);
/// ```
pub fn parse_line(raw: &[u8], line: usize, format: InputFormat, max_bytes: usize) -> Result<Message, LineError> {
    parse_record(raw, line, format, max_bytes, true)
}

/// [`parse_line`], optionally without keeping a JSONL object's other fields: a gateway's
/// `classify` needs only `id` and `text`, and building the whole object as a map cost as much
/// as classifying a typical message.
pub(crate) fn parse_record(
    raw: &[u8],
    line: usize,
    format: InputFormat,
    max_bytes: usize,
    keep_fields: bool,
) -> Result<Message, LineError> {
    let err = |id, error: String| LineError { line, id, error };
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let text = std::str::from_utf8(raw).map_err(|e| err(None, format!("invalid UTF-8 at byte {}", e.valid_up_to())))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(err(None, "empty line (expected a message)".into()));
    }
    match format {
        InputFormat::Lines | InputFormat::Csv => {
            if text.len() > max_bytes {
                return Err(err(None, format!("message is {} bytes, over the limit of {max_bytes}", text.len())));
            }
            Ok(Message { line, id: None, text: text.to_string(), fields: None })
        }
        InputFormat::Jsonl if !keep_fields => {
            if !text.trim_start().starts_with('{') {
                // Checked first: serde would read `[1, "x"]` as the struct's fields in order.
                serde_json::from_str::<serde::de::IgnoredAny>(text)
                    .map_err(|e| err(None, format!("malformed JSON at column {}: {e}", e.column())))?;
                return Err(err(None, "expected a JSON object with a \"text\" field".into()));
            }
            let r: IdText = serde_json::from_str(text)
                .map_err(|e| err(None, format!("malformed JSON at column {}: {e}", e.column())))?;
            let map: serde_json::Map<String, serde_json::Value> =
                r.id.into_iter()
                    .map(|id| ("id".to_string(), id))
                    .chain(r.text.map(|t| ("text".to_string(), t)))
                    .collect();
            message_from_object(map, line, max_bytes).map(|mut m| {
                m.fields = None;
                m
            })
        }
        InputFormat::Jsonl => {
            let value: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| err(None, format!("malformed JSON at column {}: {e}", e.column())))?;
            let serde_json::Value::Object(map) = value else {
                return Err(err(None, "expected a JSON object with a \"text\" field".into()));
            };
            message_from_object(map, line, max_bytes)
        }
    }
}

/// The two fields `classify` reads from a JSONL object; the rest are skipped unparsed. A
/// present `id` is kept as given, `null` included.
#[derive(serde::Deserialize)]
struct IdText {
    #[serde(default, deserialize_with = "present")]
    id: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    text: Option<serde_json::Value>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde::Deserialize::deserialize(d).map(Some)
}

/// Reads a message out of a JSON object with `text` and an optional `id`.
pub fn message_from_object(
    map: serde_json::Map<String, serde_json::Value>,
    line: usize,
    max_bytes: usize,
) -> Result<Message, LineError> {
    let id = map.get("id").cloned();
    let err = |error: String| LineError { line, id: id.clone(), error };
    let text = match map.get("text") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => return Err(err("\"text\" must be a string".into())),
        None => return Err(err("missing \"text\" field".into())),
    };
    if text.trim().is_empty() {
        return Err(err("\"text\" is empty".into()));
    }
    if text.len() > max_bytes {
        return Err(err(format!("message is {} bytes, over the limit of {max_bytes}", text.len())));
    }
    Ok(Message { line, id, text, fields: Some(map) })
}

/// Reads one line into `buf` (without the newline), keeping at most `limit` bytes of it but
/// consuming all of it, so a 10 GB line costs no more memory than a short one.
///
/// Returns `None` at end of input, else the line's full length in bytes.
pub fn read_line_bounded<R: BufRead>(r: &mut R, buf: &mut Vec<u8>, limit: usize) -> io::Result<Option<usize>> {
    buf.clear();
    let mut total = 0usize;
    let mut any = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(any.then_some(total));
        }
        any = true;
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        let room = limit.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        total += take;
        r.consume(if done { take + 1 } else { take });
        if done {
            return Ok(Some(total));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_kind_is_an_error_with_its_line() {
        let cases: [(&[u8], &str); 6] = [
            (b"", "empty"),
            (b"{\"id\":1}", "missing \"text\""),
            (b"{\"text\":5}", "must be a string"),
            (b"[1,2]", "JSON object"),
            (b"{\"text\":\"x\"", "malformed JSON"),
            (b"\xff\xfe", "invalid UTF-8"),
        ];
        for (raw, want) in cases {
            let e = parse_line(raw, 7, InputFormat::Jsonl, 100).unwrap_err();
            assert_eq!(e.line, 7);
            assert!(e.error.contains(want), "{:?} -> {}", raw, e.error);
        }
    }

    #[test]
    fn lean_jsonl_parse_agrees_with_the_full_one() {
        let cases = [
            r#"{"id":"m1","text":"请及时还款","verdict":"none","tags":["a"]}"#,
            r#"{"text":"再不还钱就上门","id":{"n":[1,2]}}"#,
            r#"{"id":null,"text":"x"}"#,
            r#"  {"text":"\u4f60\u597d\n"}"#,
            r#"{"id":1}"#,
            r#"{"text":5}"#,
            "[1,2]",
            "[1,2",
            r#"{"text":"x""#,
            r#""just a string""#,
        ];
        for raw in cases.map(str::as_bytes) {
            let full = parse_line(raw, 3, InputFormat::Jsonl, 100).map(|m| (m.id, m.text));
            let lean = parse_record(raw, 3, InputFormat::Jsonl, 100, false);
            assert!(lean.as_ref().map_or(true, |m| m.fields.is_none()));
            assert_eq!(lean.map(|m| (m.id, m.text)), full, "{}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn oversized_messages_are_refused_and_the_id_kept() {
        let e = parse_line(br#"{"id":"x","text":"0123456789"}"#, 1, InputFormat::Jsonl, 5).unwrap_err();
        assert_eq!(e.id, Some(serde_json::json!("x")));
        assert!(e.error.contains("over the limit"));
    }

    #[test]
    fn bounded_read_consumes_long_lines() {
        let data = b"0123456789\nab\n";
        let mut r = &data[..];
        let mut buf = Vec::new();
        assert_eq!(read_line_bounded(&mut r, &mut buf, 4).unwrap(), Some(10));
        assert_eq!(buf, b"0123");
        assert_eq!(read_line_bounded(&mut r, &mut buf, 4).unwrap(), Some(2));
        assert_eq!(buf, b"ab");
        assert_eq!(read_line_bounded(&mut r, &mut buf, 4).unwrap(), None);
    }
}
