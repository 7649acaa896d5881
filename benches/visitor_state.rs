//! What a batch of 10 events costs a long-lived visitor (10,000 events over
//! a year), natively: the incremental state against today's edge path,
//! which re-scores the newest 250 stored events plus the batch, measured in
//! the same run. `cargo bench --bench visitor_state`.
//!
//! Flat cost: the 1,000th batch against the 10th (the bound is
//! 1.2×). Each figure is the median over rounds of ingesting the batch into
//! the state as it stood, scoring it (totals, no breakdown) and writing the
//! stored form, as a Durable Object does for each batch; reading the state
//! back (once per object start) is shown apart. The re-score baseline
//! reads and writes its stored events the same way.
//!
//! `edge_*`: the core's work for one 20-event batch of the worker's visitor
//! object at the 1,000th batch, as the object did it (the stored bytes
//! read to ingest, the new bytes written, read again to score, the whole
//! result written as JSON for JS to cut the forwarded score from) against
//! the state held in memory between batches (ingest in place, the bytes
//! written, the forwarded score built in the core and written), the
//! batch's text read in both; measured in the same run, alternately.

mod common;

use common::{time_per_call, Counting};
use nurture::score::{event, EventSource, Model, ScoreOptions, VisitorState};
use serde_json::Value;

#[global_allocator]
static ALLOC: Counting = Counting;

const BATCH: usize = 10;
const HISTORY_CAP: usize = 250;

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let model = Model::default_model();
    let end = 1_795_632_120_000;
    let all = common::year::year_of_events(end, 10_000);
    let batches: Vec<&[Value]> = all.chunks(BATCH).collect();
    let options = ScoreOptions {
        breakdown: false,
        ..ScoreOptions::default()
    };
    let sent = |batch: &[Value]| {
        batch
            .iter()
            .filter_map(|e| e["timestamp"].as_i64())
            .max()
            .unwrap_or(end)
    };

    // The state before each batch.
    let mut state = model.new_state();
    let mut before: Vec<VisitorState> = Vec::with_capacity(batches.len());
    for batch in &batches {
        before.push(state.clone());
        let at = sent(batch);
        let (events, _) = event::parse_events(batch, at, 300_000, EventSource::Server);
        let _ = model.ingest(&mut state, &events, at, EventSource::Server);
    }

    // A Durable Object keeps the state in memory between batches (it reads
    // storage once, when it starts) and writes it back after each: the
    // cost of a batch is ingest + score + writing the stored form. The
    // copy that gives each round the same starting state is measured
    // apart and taken off.
    let incremental = |n: usize| {
        let (Some(batch), Some(start)) = (batches.get(n - 1), before.get(n - 1)) else {
            return 0.0;
        };
        let at = sent(batch);
        let copy = time_per_call(200, 15, || {
            std::hint::black_box(start.clone());
        });
        let batch_cost = time_per_call(200, 15, || {
            let mut s = start.clone();
            let (events, _) = event::parse_events(batch, at, 300_000, EventSource::Server);
            let _ = model.ingest(&mut s, &events, at, EventSource::Server);
            let _ = std::hint::black_box(model.score_state(&s, None, at, &options));
            std::hint::black_box(s.to_bytes());
        });
        batch_cost - copy
    };
    let rescore = |n: usize| {
        let upto = (n * BATCH).min(all.len());
        let from = upto.saturating_sub(HISTORY_CAP + BATCH);
        let Some(history) = all.get(from..upto) else {
            return 0.0;
        };
        let at = sent(history);
        let stored = serde_json::to_string(history).unwrap_or_default();
        time_per_call(50, 15, || {
            let Ok(events) = serde_json::from_str::<Vec<Value>>(&stored) else {
                return;
            };
            std::hint::black_box(model.score(None, &events, at, &options));
            std::hint::black_box(serde_json::to_string(&events).unwrap_or_default());
        })
    };

    // Where a batch's time goes (batch 1,000).
    let parts = {
        let start = before
            .get(999)
            .cloned()
            .unwrap_or_else(|| model.new_state());
        let stored = start.to_bytes();
        let batch = batches.get(999).copied().unwrap_or_default();
        let at = sent(batch);
        let (events, _) = event::parse_events(batch, at, 300_000, EventSource::Server);
        let load = time_per_call(200, 15, || {
            std::hint::black_box(model.load_state_bytes(&stored).ok());
        });
        let ingest = time_per_call(200, 15, || {
            let mut s = start.clone();
            let _ = std::hint::black_box(model.ingest(&mut s, &events, at, EventSource::Server));
        });
        let clone = time_per_call(200, 15, || {
            std::hint::black_box(start.clone());
        });
        let score = time_per_call(200, 15, || {
            let _ = std::hint::black_box(model.score_state(&start, None, at, &options));
        });
        let write = time_per_call(200, 15, || {
            std::hint::black_box(start.to_bytes());
        });
        [
            ("ingest", ingest - clone),
            ("score", score),
            ("write", write),
            ("read", load),
        ]
    };
    let edge = edge_batch(&model, &before, &all);
    let (i10, i1000) = (incremental(10), incremental(1000));
    let (r10, r1000) = (rescore(10), rescore(1000));
    // key=value lines, read by scripts/bench.sh into BENCHMARKS.md.
    let us = |s: f64| format!("{:.1}", s * 1e6);
    let lines = [
        ("batch10_us", us(i10)),
        ("batch1000_us", us(i1000)),
        ("flat_ratio", format!("{:.2}", i1000 / i10)),
        ("rescore10_us", us(r10)),
        ("rescore1000_us", us(r1000)),
        ("speedup", format!("{:.1}", r1000 / i1000)),
        ("state_bytes", state.to_bytes().len().to_string()),
        ("state_json_bytes", state.to_json().len().to_string()),
        ("open_events", state.open_events().to_string()),
    ];
    for (key, value) in lines {
        println!("visitor_state.{key}={value}");
    }
    for (key, secs) in parts {
        println!("visitor_state.{key}_us={}", us(secs));
    }
    let (stored, resident) = edge;
    println!("visitor_state.edge_stored_us={}", us(stored));
    println!("visitor_state.edge_resident_us={}", us(resident));
    println!("visitor_state.edge_speedup={:.2}", stored / resident);
}

/// The worker object's core work for the 20 events after batch 998 (see
/// the module docs): (bytes read per call, state held), seconds per batch,
/// each the median of rounds taken alternately.
fn edge_batch(model: &Model, before: &[VisitorState], all: &[Value]) -> (f64, f64) {
    let (Some(start), Some(events)) = (before.get(998), all.get(9_980..10_000)) else {
        return (0.0, 0.0);
    };
    let text = serde_json::to_string(events).unwrap_or_default();
    let at = events
        .iter()
        .filter_map(|e| e["timestamp"].as_i64())
        .max()
        .unwrap_or_default();
    let profile = serde_json::json!({"industry": "Oil & Gas", "companySize": 800, "country": "US"});
    let profile = profile.as_object();
    let options = ScoreOptions {
        breakdown: false,
        ..ScoreOptions::default()
    };
    let stored = start.to_bytes();
    let source = EventSource::Server;
    let from_bytes = || {
        let Ok(mut state) = model.load_state_bytes(&stored) else {
            return;
        };
        let Ok((events, _)) = model.validate_events_text(&text, at, source) else {
            return;
        };
        let _ = model.ingest(&mut state, &events, at, source);
        let bytes = std::hint::black_box(state.to_bytes());
        let Ok(state) = model.load_state_bytes(&bytes) else {
            return;
        };
        if let Ok(result) = model.score_state(&state, profile, at, &options) {
            let text = serde_json::to_string(&result).unwrap_or_default();
            let summary = serde_json::to_string(&result.summary()).unwrap_or_default();
            std::hint::black_box((text, summary));
        }
    };
    let held = || {
        let mut state = start.clone();
        let Ok((events, _)) = model.validate_events_text(&text, at, source) else {
            return;
        };
        let _ = model.ingest(&mut state, &events, at, source);
        std::hint::black_box(state.to_bytes());
        if let Ok(result) = model.score_state(&state, profile, at, &options) {
            std::hint::black_box(serde_json::to_string(&result.forwarded()).unwrap_or_default());
        }
    };
    let copy = || {
        std::hint::black_box(start.clone());
    };
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..9 {
        a.push(time_per_call(100, 3, from_bytes));
        b.push(time_per_call(100, 3, held));
        c.push(time_per_call(100, 3, copy));
    }
    let median = |mut xs: Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        xs.get(xs.len() / 2).copied().unwrap_or(0.0)
    };
    // The copy gives each round the same starting state; a resident state
    // is not copied.
    (median(a), median(b) - median(c))
}
