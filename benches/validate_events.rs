//! Validating a 20-event batch from its JSON text, natively: the typed path
//! (`Model::validate_events_text`, the text read straight into events)
//! against the `Value` path it replaced in `validateEvents` and `ingest`
//! (`serde_json::from_str::<Value>` then the checks as they were,
//! tests/support/event_reference.rs), measured in the same run.
//! `cargo bench --bench validate_events`.
//!
//! Two batches: the worker benchmark's (bench/worker.bench.mjs: page views
//! and downloads with a path and dwell time, stamped `channel` as the
//! worker does), and the same events as Segment's analytics.js writes them,
//! with `anonymousId`, `context` (page, user agent, library, locale) and
//! page properties that scoring does not read. Heap allocations per batch
//! are counted with the bench allocator.

mod common;
#[path = "../tests/support/event_reference.rs"]
mod event_reference;

use common::{time_per_call, Counting};
use nurture::score::{EventSource, Model};
use serde_json::{json, Value};

#[global_allocator]
static ALLOC: Counting = Counting;

const NOW: i64 = 1_795_632_120_000;
/// The default model's clock skew (`maxClockSkewSeconds`: 300).
const SKEW_MS: i64 = 300_000;
const EVENTS: usize = 20;

fn batch(segment: bool) -> String {
    let paths = ["/pricing", "/industries/oil-gas", "/case-studies/refinery"];
    let events: Vec<Value> = (0..EVENTS)
        .map(|k| {
            let path = if k % 4 == 3 { "/resources/white-paper" } else { paths[k % 3] };
            let mut event = if k % 4 == 3 {
                json!({"type": "track", "event": "Whitepaper Downloaded", "messageId": format!("b{k}"),
                    "timestamp": NOW, "channel": "browser", "properties": {"path": path}})
            } else {
                json!({"type": "page", "messageId": format!("b{k}"), "timestamp": NOW, "channel": "browser",
                    "properties": {"path": path, "dwellSeconds": 40}})
            };
            if segment {
                let url = format!("https://www.example.com{path}");
                event["anonymousId"] = json!("3f1c9a52-7d4e-4b8a-9c1e-5a2b6d8e0f17");
                event["properties"]["url"] = json!(url);
                event["properties"]["title"] = json!("Refinery analytics | Example");
                event["properties"]["referrer"] = json!("https://www.google.com/");
                event["context"] = json!({
                    "page": {"path": path, "url": url, "title": "Refinery analytics | Example",
                        "referrer": "https://www.google.com/", "search": ""},
                    "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                    "locale": "en-US",
                    "library": {"name": "analytics.js", "version": "next-1.70.0"},
                    "campaign": {"source": "newsletter", "medium": "email", "name": "q4-energy"}
                });
            }
            event
        })
        .collect();
    serde_json::to_string(&events).unwrap_or_default()
}

/// Allocations one call makes.
fn allocations(mut f: impl FnMut()) -> usize {
    let before = common::allocations();
    f();
    common::allocations() - before
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let model = Model::default_model();
    let source = EventSource::Server;
    for (name, text) in [("worker", batch(false)), ("segment", batch(true))] {
        let typed = || {
            let checked = model.validate_events_text(&text, NOW, source);
            std::hint::black_box(checked.map(|(ok, bad)| ok.len() + bad.len()).ok());
        };
        let value = || {
            let Ok(Value::Array(values)) = serde_json::from_str::<Value>(&text) else {
                return;
            };
            let (ok, bad) = event_reference::parse_events(&values, NOW, SKEW_MS, source);
            std::hint::black_box(ok.len() + bad.len());
        };
        // Both paths accept the whole batch, or the comparison means nothing.
        let accepted = model
            .validate_events_text(&text, NOW, source)
            .map(|(ok, bad)| (ok.len(), bad.len()));
        assert_eq!(accepted.ok(), Some((EVENTS, 0)), "{name}");
        let t = time_per_call(20_000, 15, typed);
        let v = time_per_call(20_000, 15, value);
        let events_per_s = |secs: f64| format!("{:.0}", EVENTS as f64 / secs);
        let lines = [
            ("bytes", text.len().to_string()),
            ("typed_us", format!("{:.2}", t * 1e6)),
            ("value_us", format!("{:.2}", v * 1e6)),
            ("typed_events_per_s", events_per_s(t)),
            ("value_events_per_s", events_per_s(v)),
            ("speedup", format!("{:.2}", v / t)),
            ("typed_allocs", allocations(typed).to_string()),
            ("value_allocs", allocations(value).to_string()),
        ];
        // key=value lines, read by scripts/bench.sh into BENCHMARKS.md.
        for (key, value) in lines {
            println!("validate_events.{name}_{key}={value}");
        }
    }
}
