//! Prometheus metrics (`prometheus-client`): requests by route and status, a latency histogram,
//! verdict counts and the lexicon in use; and the layer that logs and counts every request.

use super::State;
use crate::Verdict;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: Cow<'static, str>,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: Cow<'static, str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VerdictLabels {
    verdict: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// The service's metrics and their registry.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    verdicts: Family<VerdictLabels, Counter>,
    item_errors: Counter,
    lexicon: Family<VersionLabels, Gauge>,
    rules: Gauge,
    reloads: Family<ResultLabels, Counter>,
    next_id: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("cuishou");
        let requests = Family::<RequestLabels, Counter>::default();
        // 50 µs .. ~1.6 s: classification is sub-millisecond, batches and slow clients are not.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.00005, 2.0, 16))
        });
        let verdicts = Family::<VerdictLabels, Counter>::default();
        let item_errors = Counter::default();
        let lexicon = Family::<VersionLabels, Gauge>::default();
        let rules = Gauge::default();
        let reloads = Family::<ResultLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route, method and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        registry.register("messages", "Messages classified, by verdict", verdicts.clone());
        registry.register("message_errors", "Batch items that could not be read", item_errors.clone());
        registry.register("lexicon_info", "The lexicon version serving (value 1)", lexicon.clone());
        registry.register("lexicon_rules", "Rules in the lexicon serving", rules.clone());
        registry.register("lexicon_reloads", "Lexicon reloads by result", reloads.clone());
        for v in Verdict::ALL {
            // Every verdict appears from the start, so rates work before the first one is seen.
            let _ = verdicts.get_or_create(&VerdictLabels { verdict: v.as_str() });
        }
        Metrics {
            registry,
            requests,
            latency,
            verdicts,
            item_errors,
            lexicon,
            rules,
            reloads,
            next_id: AtomicU64::new(1),
        }
    }

    /// Records one classified message.
    pub fn verdict(&self, v: Verdict) {
        self.verdicts.get_or_create(&VerdictLabels { verdict: v.as_str() }).inc();
    }

    /// Records one batch item that could not be read.
    pub fn item_error(&self) {
        self.item_errors.inc();
    }

    /// Records the lexicon now serving.
    pub fn set_lexicon(&self, version: &str, rules: usize) {
        self.lexicon.clear();
        self.lexicon.get_or_create(&VersionLabels { version: version.into() }).set(1);
        self.rules.set(rules as i64);
    }

    /// Records a reload attempt.
    pub fn reloads(&self, ok: bool) {
        self.reloads.get_or_create(&ResultLabels { result: if ok { "ok" } else { "error" } }).inc();
    }

    /// Everything in the text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The id the request log line carries, for handlers that log more about the same request.
#[derive(Debug, Clone, Copy)]
pub(super) struct RequestId(pub u64);

/// `GET /metrics`.
pub(super) async fn render(axum::extract::State(state): axum::extract::State<Arc<State>>) -> Response {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.encode())
        .into_response()
}

/// Gives every request an id, then logs and counts it: one line with id, method, route, status
/// and latency. Never the body: messages are personal data.
pub(super) async fn observe(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    mut req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let id = state.metrics.next_id.fetch_add(1, Ordering::Relaxed);
    req.extensions_mut().insert(RequestId(id));
    // Unmatched paths and odd methods share one label each, so scanners cannot grow the label
    // set without bound.
    let route: Cow<'static, str> = match req.extensions().get::<MatchedPath>() {
        // The service's own routes borrow their label; only a route added elsewhere (a test's)
        // pays for a copy.
        Some(m) => match super::PATHS.iter().find(|p| **p == m.as_str()) {
            Some(p) => Cow::Borrowed(p),
            None => Cow::Owned(m.as_str().to_owned()),
        },
        None => Cow::Borrowed("unmatched"),
    };
    let method = match req.method().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "HEAD" => "HEAD",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    let mut res = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    tracing::info!(id, method, route = &*route, status, latency_us = (secs * 1e6) as u64, "request");
    state.metrics.latency.get_or_create(&RouteLabels { route: route.clone() }).observe(secs);
    state.metrics.requests.get_or_create(&RequestLabels { route, method, status }).inc();
    res.headers_mut().insert("x-request-id", HeaderValue::from(id));
    res
}
