//! The JSON API handlers: read the body, validate it against the limits, call the library.

use super::metrics::RequestId;
use super::{ApiError, State};
use crate::input::{message_from_object, parse_line, InputFormat, LineError, Message};
use crate::Report;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use std::sync::Arc;

type AppState = axum::extract::State<Arc<State>>;

/// One result: the report with the caller's id (and, in a batch, the item's 1-based position).
/// The same shape the CLI writes.
#[derive(Serialize)]
struct Record<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(flatten)]
    report: &'a Report,
}

/// The body kinds the API reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Json,
    Ndjson,
}

fn body_kind(headers: &HeaderMap, allow_ndjson: bool) -> Result<BodyKind, ApiError> {
    let raw = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = raw.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/json" => Ok(BodyKind::Json),
        "application/x-ndjson" | "application/jsonl" | "application/x-jsonlines" if allow_ndjson => {
            Ok(BodyKind::Ndjson)
        }
        _ => {
            let want = if allow_ndjson { "application/json or application/x-ndjson" } else { "application/json" };
            let got = if raw.is_empty() { "no Content-Type".to_string() } else { format!("Content-Type {raw:?}") };
            Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("expected {want}, got {got}"),
            ))
        }
    }
}

fn read_body(body: Result<Bytes, BytesRejection>, state: &State) -> Result<Bytes, ApiError> {
    body.map_err(|r| {
        let e = ApiError::from(r);
        if e.code == "body_too_large" {
            ApiError::new(
                e.status,
                e.code,
                format!("request body is over the limit of {} bytes", state.limits.max_body_bytes),
            )
        } else {
            e
        }
    })
}

fn parse_json(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::bad_request("invalid_utf8", format!("body is not UTF-8: invalid byte at {}", e.valid_up_to()))
    })?;
    serde_json::from_str(text).map_err(|e| {
        ApiError::bad_request("invalid_json", format!("malformed JSON at line {} column {}: {e}", e.line(), e.column()))
    })
}

/// `POST /v1/classify` with `{"text": "...", "id": ...}`.
pub(super) async fn classify(
    axum::extract::State(state): AppState,
    Extension(RequestId(rid)): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    body_kind(&headers, false)?;
    let body = read_body(body, &state)?;
    let serde_json::Value::Object(map) = parse_json(&body)? else {
        return Err(ApiError::bad_request("invalid_request", "expected a JSON object with a \"text\" field"));
    };
    let max = state.limits.max_message_bytes;
    let text = match map.get("text") {
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err(ApiError::bad_request("invalid_text", "\"text\" must be a string")),
        None => return Err(ApiError::bad_request("missing_text", "missing \"text\" field")),
    };
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("empty_text", "\"text\" is empty"));
    }
    if text.len() > max {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "message_too_large",
            format!("message is {} bytes, over the limit of {max}", text.len()),
        ));
    }
    if state.log_text {
        tracing::info!(id = rid, text = text.as_str(), "message");
    }
    let report = state.classifier().classify(text);
    state.metrics.verdict(report.verdict);
    Ok(json_record(&Record { id: map.get("id"), line: None, report: &report }))
}

/// One record as a JSON response, serialized into a buffer sized for a typical report in one
/// allocation (axum's `Json` starts at 128 bytes and regrows and copies four or five times).
fn json_record(record: &Record<'_>) -> Response {
    let mut buf = Vec::with_capacity(2048);
    match serde_json::to_writer(&mut buf, record) {
        Ok(()) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], buf).into_response(),
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("cannot encode result: {e}"))
            .into_response(),
    }
}

/// `POST /v1/classify/batch`: `{"messages": [...]}` as JSON, or one object per line as NDJSON.
/// One result per item, in order; an item that cannot be read becomes an error record.
pub(super) async fn batch(
    axum::extract::State(state): AppState,
    Extension(RequestId(rid)): Extension<RequestId>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let kind = body_kind(&headers, true)?;
    let body = read_body(body, &state)?;
    let max_items = state.limits.max_batch_items;
    let max = state.limits.max_message_bytes;
    let too_many = |n: usize| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_items",
            format!("batch has {n} messages, over the limit of {max_items}"),
        )
    };
    let items: Vec<Result<Message, LineError>> = match kind {
        BodyKind::Json => {
            let v = parse_json(&body)?;
            let Some(messages) = v.get("messages") else {
                return Err(ApiError::bad_request(
                    "missing_messages",
                    "expected a JSON object with a \"messages\" array",
                ));
            };
            let serde_json::Value::Array(list) = messages else {
                return Err(ApiError::bad_request("invalid_messages", "\"messages\" must be an array"));
            };
            if list.len() > max_items {
                return Err(too_many(list.len()));
            }
            list.iter()
                .enumerate()
                .map(|(i, item)| match item {
                    serde_json::Value::Object(m) => message_from_object(m.clone(), i + 1, max),
                    _ => Err(LineError {
                        line: i + 1,
                        id: None,
                        error: "expected a JSON object with a \"text\" field".into(),
                    }),
                })
                .collect()
        }
        BodyKind::Ndjson => {
            // A final newline ends the last record; it does not start an empty one.
            let body = body.strip_suffix(b"\n").unwrap_or(&body);
            let lines: Vec<&[u8]> = if body.is_empty() { Vec::new() } else { body.split(|&b| b == b'\n').collect() };
            if lines.len() > max_items {
                return Err(too_many(lines.len()));
            }
            lines.iter().enumerate().map(|(i, l)| parse_line(l, i + 1, InputFormat::Jsonl, max)).collect()
        }
    };
    if items.is_empty() {
        return Err(ApiError::bad_request("empty_batch", "the batch has no messages"));
    }
    let classifier = state.classifier();
    let log_text = state.log_text;
    let st = state.clone();
    // A batch can hold a megabyte of text: classify it off the async worker threads.
    let out = tokio::task::spawn_blocking(move || {
        let mut records = Vec::with_capacity(items.len());
        for item in &items {
            let rec = match item {
                Ok(m) => {
                    if log_text {
                        tracing::info!(id = rid, line = m.line, text = m.text.as_str(), "message");
                    }
                    let report = classifier.classify(&m.text);
                    st.metrics.verdict(report.verdict);
                    serde_json::to_string(&Record { id: m.id.as_ref(), line: Some(m.line), report: &report })
                }
                Err(e) => {
                    st.metrics.item_error();
                    serde_json::to_string(e)
                }
            };
            records.push(
                rec.unwrap_or_else(|e| {
                    serde_json::json!({ "error": format!("cannot encode result: {e}") }).to_string()
                }),
            );
        }
        records
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("batch worker failed: {e}")))?;
    // Records are serialized one by one (keeping the CLI's field order) and joined here.
    Ok(match kind {
        BodyKind::Json => {
            let text = format!("{{\"results\":[{}]}}", out.join(","));
            ([(header::CONTENT_TYPE, "application/json")], text).into_response()
        }
        BodyKind::Ndjson => {
            let mut text = out.join("\n");
            text.push('\n');
            ([(header::CONTENT_TYPE, "application/x-ndjson")], text).into_response()
        }
    })
}

/// `GET /healthz`: up, with the lexicon serving.
pub(super) async fn healthz(axum::extract::State(state): AppState) -> Response {
    let c = state.classifier();
    Json(serde_json::json!({ "status": "ok", "lexicon_version": c.lexicon_version(), "rules": c.rules().len() }))
        .into_response()
}

/// `POST /admin/reload` with `Authorization: Bearer <CUISHOU_ADMIN_TOKEN>`.
pub(super) async fn reload(axum::extract::State(state): AppState, headers: HeaderMap) -> Result<Response, ApiError> {
    let Some(token) = &state.admin_token else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            "reload over HTTP is off: start the server with CUISHOU_ADMIN_TOKEN set (or send it SIGHUP)",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !token_matches(given, token) {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "missing or wrong bearer token"));
    }
    match state.reload().await {
        Ok(c) => Ok(Json(serde_json::json!({
            "status": "reloaded",
            "lexicon_version": c.lexicon_version(),
            "rules": c.rules().len(),
        }))
        .into_response()),
        Err(e) => {
            let serving = state.classifier().lexicon_version().to_string();
            let (code, problems): (&'static str, Vec<String>) = match &e {
                crate::Error::Lexicon(diags) => ("lexicon_invalid", diags.iter().map(|d| d.to_string()).collect()),
                other => ("lexicon_unreadable", vec![other.to_string()]),
            };
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                format!(
                    "reload failed; still serving lexicon {serving}: {}",
                    problems.first().map_or("", String::as_str)
                ),
            )
            .with_details(serde_json::json!({ "serving": serving, "problems": problems })))
        }
    }
}

/// Compares a presented token with the configured one in time independent of where they differ.
fn token_matches(given: &str, want: &str) -> bool {
    use subtle::ConstantTimeEq;
    // Only the length can leak, and the length is no secret worth the trouble of hiding.
    given.len() == want.len() && bool::from(given.as_bytes().ct_eq(want.as_bytes()))
}

/// Any path the service does not have.
pub(super) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// A known path with the wrong method.
pub(super) async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this endpoint")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_exactly() {
        assert!(token_matches("s3cret", "s3cret"));
        assert!(!token_matches("s3cres", "s3cret"));
        assert!(!token_matches("s3cre", "s3cret"));
        assert!(!token_matches("", "s3cret"));
    }

    #[test]
    fn content_types_with_parameters_are_read() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, "Application/JSON; charset=utf-8".parse().unwrap());
        assert_eq!(body_kind(&h, false).unwrap(), BodyKind::Json);
        h.insert(header::CONTENT_TYPE, "application/x-ndjson".parse().unwrap());
        assert_eq!(body_kind(&h, false).unwrap_err().status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(body_kind(&h, true).unwrap(), BodyKind::Ndjson);
    }
}
