//! The visitor object's core work for one 20-event batch, natively, as
//! worker/src/visitor.js has it done per batch on the state it holds:
//! `ingestInto` (the batch's text read into events, ingested in place, the
//! new stored bytes written) then `forwardedScore` (the score from the
//! state, totals only, cut to the forwarded summary and written as JSON).
//! The batches are bench/workerd-compare.mjs's: 15 page views and 5
//! downloads a batch, all within seconds, so every page view stays open
//! (its rule is capped per day): the state then grows with the history,
//! which is what a visitor of the workerd bench has after 100 to 1,600
//! events. `cargo bench --bench edge_ingest`; NURTURE_BENCH_QUICK=1 for
//! callgrind (scripts/profile.sh edge-ingest).

mod common;

use common::{time_per_call, Counting};
use nurture::score::{EventSource, Model, ScoreOptions, VisitorState};
use serde_json::{json, Value};

#[global_allocator]
static ALLOC: Counting = Counting;

const START: i64 = 1_795_632_120_000;
const EVENTS: usize = 20;

/// Batch `n` of the workerd bench's visitor, sent at `START + n * 50` ms.
fn batch(n: usize) -> (String, i64) {
    let at = START + 50 * n as i64;
    let paths = ["/pricing", "/industries/oil-gas", "/case-studies/refinery"];
    let events: Vec<Value> = (0..EVENTS)
        .map(|k| {
            let id = format!("s{}", n * EVENTS + k);
            if k % 4 == 3 {
                json!({"type": "track", "event": "Whitepaper Downloaded", "messageId": id,
                    "timestamp": at, "channel": "browser", "properties": {"path": "/resources/white-paper"}})
            } else {
                json!({"type": "page", "messageId": id, "timestamp": at, "channel": "browser",
                    "properties": {"path": paths[k % 3], "dwellSeconds": 40}})
            }
        })
        .collect();
    (serde_json::to_string(&events).unwrap_or_default(), at)
}

/// One batch as the object has the core do it; the bytes and JSON length.
fn one_batch(model: &Model, state: &mut VisitorState, text: &str, at: i64) -> usize {
    let profile = json!({"industry": "Oil & Gas", "companySize": 800, "country": "US"});
    let source = EventSource::Server;
    let Ok((events, _)) = model.validate_events_text(text, at, source) else {
        return 0;
    };
    let _ = model.ingest(state, &events, at, source);
    let bytes = std::hint::black_box(state.to_bytes());
    let options = ScoreOptions::totals_only();
    let Ok(result) = model.score_state(state, profile.as_object(), at, &options) else {
        return 0;
    };
    let json = serde_json::to_string(&result.forwarded()).unwrap_or_default();
    std::hint::black_box(bytes.len() + json.len())
}

/// [`one_batch`] where callgrind can count it apart from the setup
/// (`--toggle-collect=edge_ingest::measured`): the timed batches only.
#[inline(never)]
fn measured(model: &Model, state: &mut VisitorState, text: &str, at: i64) -> usize {
    one_batch(model, state, text, at)
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let model = Model::default_model();
    let only: Option<usize> = std::env::var("NURTURE_BENCH_PRIOR")
        .ok()
        .and_then(|v| v.parse().ok());
    for prior in [100usize, 400, 1600] {
        if only.is_some_and(|o| o != prior) {
            continue;
        }
        let mut state = model.new_state();
        let batches = prior / EVENTS;
        for n in 0..batches {
            let (text, at) = batch(n);
            one_batch(&model, &mut state, &text, at);
        }
        let (text, at) = batch(batches);
        let stored = state.to_bytes().len();
        let open = state.open_events();
        let start = state.clone();
        let copy = time_per_call(200, 9, || {
            std::hint::black_box(start.clone());
        });
        let per_batch = time_per_call(200, 9, || {
            let mut s = start.clone();
            measured(&model, &mut s, &text, at);
        });
        println!(
            "edge_ingest.prior{prior}_us={:.1} open={open} state_bytes={stored}",
            (per_batch - copy) * 1e6
        );
        parts(&model, &start, &text, at, copy, prior);
    }
}

/// Where a batch's time goes: each step on its own, in µs.
fn parts(model: &Model, start: &VisitorState, text: &str, at: i64, copy: f64, prior: usize) {
    let source = EventSource::Server;
    let profile = json!({"industry": "Oil & Gas", "companySize": 800, "country": "US"});
    let options = ScoreOptions::totals_only();
    let validate = time_per_call(200, 9, || {
        std::hint::black_box(model.validate_events_text(text, at, source).ok());
    });
    let Ok((events, _)) = model.validate_events_text(text, at, source) else {
        return;
    };
    let ingest = time_per_call(200, 9, || {
        let mut s = start.clone();
        let _ = std::hint::black_box(model.ingest(&mut s, &events, at, source));
    }) - copy;
    let mut after = start.clone();
    let _ = model.ingest(&mut after, &events, at, source);
    let write = time_per_call(200, 9, || {
        std::hint::black_box(after.to_bytes());
    });
    let score = time_per_call(200, 9, || {
        let _ = std::hint::black_box(model.score_state(&after, profile.as_object(), at, &options));
    });
    let Ok(result) = model.score_state(&after, profile.as_object(), at, &options) else {
        return;
    };
    let json = time_per_call(200, 9, || {
        std::hint::black_box(serde_json::to_string(&result.forwarded()).unwrap_or_default());
    });
    let us = |s: f64| format!("{:.1}", s * 1e6);
    println!(
        "edge_ingest.prior{prior}: validate={} ingest={} write={} score={} json={}",
        us(validate),
        us(ingest),
        us(write),
        us(score),
        us(json)
    );
}
