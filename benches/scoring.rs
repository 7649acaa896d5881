//! Events scored per second for a visitor with 1,000 events, natively.
//! `cargo bench --bench scoring` (reads `target/bench-visitor.json`, which
//! `scripts/bench.sh` writes from the same generator the wasm benchmark uses).
//!
//! A small timing loop instead of a framework: it also builds for wasm32
//! (clippy checks every target), and the figure wanted is one rate.

mod common;

use common::{live, peak_above, reset_peak, time_per_call, Counting};
use nurture::score::{event, EventSource, Model, ScoreOptions};
use nurture::ConfigDocument;
use serde_json::Value;

#[global_allocator]
static ALLOC: Counting = Counting;

fn main() {
    // `cargo test --benches` runs bench binaries too; skip the work there.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let path = std::env::var("NURTURE_BENCH_VISITOR").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-visitor.json").into()
    });
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("{path} is missing: run scripts/bench.sh, which writes it");
        return;
    };
    let Ok(doc) = serde_json::from_str::<Value>(&text) else {
        eprintln!("{path}: not JSON");
        return;
    };
    let now = doc["now"].as_i64().unwrap_or(0);
    let events = doc["events"].as_array().cloned().unwrap_or_default();
    let profile = doc["profile"].as_object().cloned();
    let model = Model::default_model();
    let n = events.len() as f64;

    let full = time_per_call(20, 15, || {
        std::hint::black_box(model.score(profile.as_ref(), &events, now, &ScoreOptions::default()));
    });
    let totals_only = time_per_call(20, 15, || {
        std::hint::black_box(model.score(
            profile.as_ref(),
            &events,
            now,
            &ScoreOptions {
                breakdown: false,
                ..ScoreOptions::default()
            },
        ));
    });
    let (parsed, _) = event::parse_events(&events, now, 300_000, EventSource::Server);
    let pre_parsed = time_per_call(20, 15, || {
        std::hint::black_box(model.score_events(
            profile.as_ref(),
            &parsed,
            now,
            &ScoreOptions {
                breakdown: false,
                ..ScoreOptions::default()
            },
        ));
    });
    let compile = time_per_call(200, 15, || {
        std::hint::black_box(Model::from_json(nurture::score::DEFAULT_MODEL_JSON).ok());
    });
    let one_event = events.get(..1).unwrap_or(&[]).to_vec();
    let single = time_per_call(2_000, 15, || {
        std::hint::black_box(model.score(
            profile.as_ref(),
            &one_event,
            now,
            &ScoreOptions {
                breakdown: false,
                ..ScoreOptions::default()
            },
        ));
    });
    println!("native.events={n}");
    println!("native.score_one_event_us={:.1}", single * 1e6);
    println!("native.score_full_events_per_sec={:.0}", n / full);
    println!("native.score_totals_events_per_sec={:.0}", n / totals_only);
    println!("native.score_parsed_events_per_sec={:.0}", n / pre_parsed);
    println!("native.compile_default_model_us={:.1}", compile * 1e6);
    if std::env::var("NURTURE_BENCH_ONLY").map_or(true, |o| o == "scale") {
        scale(&model, profile.as_ref(), now);
    }
}

/// Time and heap for one visitor at 100 … 100,000 events (the same
/// generator as `bench/visitor.json.mjs`), totals only: the high-water mark
/// above what was live before the call is what scoring that visitor needs,
/// the events' own JSON values not included.
fn scale(model: &Model, profile: Option<&serde_json::Map<String, Value>>, now: i64) {
    let options = ScoreOptions {
        breakdown: false,
        ..ScoreOptions::default()
    };
    for count in [100usize, 1_000, 10_000, 100_000] {
        let events = common::heavy_visitor(now, count);
        let input_bytes = live();
        let per_call = time_per_call(if count >= 100_000 { 1 } else { 20 }, 5, || {
            std::hint::black_box(model.score(profile, &events, now, &options));
        });
        reset_peak();
        std::hint::black_box(model.score(profile, &events, now, &options));
        let peak = peak_above(input_bytes);
        drop(events);
        println!("native.scale_{count}_ms={:.3}", per_call * 1e3);
        println!(
            "native.scale_{count}_events_per_sec={:.0}",
            count as f64 / per_call
        );
        println!("native.scale_{count}_peak_kib={:.0}", peak as f64 / 1024.0);
    }
}
