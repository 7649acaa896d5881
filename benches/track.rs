//! A visitor with 1,000 events tracked one by one, then scored, natively:
//! the page's `Visitor` path (`Model::track`: each distinct action, URL
//! and tag list worked out once and found again by a hash lookup, then
//! `Model::track_interned`; then `Model::score_visitor`) against the
//! edge's `Model::ingest` called with one event at a time, and against a
//! full `Model::score` of the same events, in the same run.
//! `cargo bench --bench track`; `NURTURE_TRACK_ONLY=1` runs only the
//! tracked loop, 10 times (for callgrind).

mod common;

use common::{time_per_call, Counting};
use nurture::score::{event, EventFields, EventSource, Model, ScoreOptions};
use serde_json::Value;

#[global_allocator]
static ALLOC: Counting = Counting;

/// One event as its fields, owned, as a page would hold them.
struct Fields {
    action: String,
    url: Option<String>,
    tags: Vec<String>,
    dwell: Option<f64>,
    timestamp: f64,
}

fn fields_of(event: &Value) -> Fields {
    let props = &event["properties"];
    let action = match event["type"].as_str() {
        Some("track") => event["event"].as_str().unwrap_or_default(),
        other => other.unwrap_or_default(),
    };
    Fields {
        action: action.to_string(),
        url: props["path"].as_str().map(str::to_string),
        tags: props["tags"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        dwell: props["dwellSeconds"].as_f64(),
        timestamp: event["timestamp"].as_f64().unwrap_or_default(),
    }
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let model = Model::default_model();
    let now = 1_795_632_120_000;
    // In time order, as a page tracks them.
    let mut events = common::heavy_visitor(now, 1000);
    events.sort_by_key(|e| e["timestamp"].as_i64());
    let fields: Vec<Fields> = events.iter().map(fields_of).collect();
    let options = ScoreOptions {
        breakdown: false,
        ..ScoreOptions::default()
    };
    let source = EventSource::Server;

    let tracked = || {
        let mut visitor = model
            .live_visitor(model.new_state(), source)
            .expect("a new state");
        for f in &fields {
            let input = EventFields {
                action: &f.action,
                url: f.url.as_deref(),
                tags: &f.tags,
                dwell_seconds: f.dwell,
                timestamp: f.timestamp,
            };
            model.track(&mut visitor, &input, now).expect("valid");
        }
        model
            .score_visitor(&mut visitor, None, now, &options)
            .expect("same model")
    };
    let one_by_one = || {
        let mut state = model.new_state();
        for value in &events {
            let (parsed, _) =
                event::parse_events(std::slice::from_ref(value), now, 300_000, source);
            let _ = model.ingest(&mut state, &parsed, now, source);
        }
        model
            .score_state(&state, None, now, &options)
            .expect("same model")
    };
    if std::env::var_os("NURTURE_TRACK_ONLY").is_some() {
        for _ in 0..10 {
            let _ = tracked();
        }
        return;
    }
    let full = model.score(None, &events, now, &options);
    let a = tracked();
    let b = one_by_one();
    for r in [&a, &b] {
        assert!(
            (r.engagement.score - full.engagement.score).abs() < 0.01,
            "{} against {}",
            r.engagement.score,
            full.engagement.score
        );
    }
    let n = events.len() as f64;
    let t_track = time_per_call(20, 9, || {
        let _ = tracked();
    });
    let t_ingest = time_per_call(5, 9, || {
        let _ = one_by_one();
    });
    let t_full = time_per_call(20, 9, || {
        let _ = model.score(None, &events, now, &options);
    });
    println!("native.track_engagement_score={}", a.engagement.score);
    println!("native.full_engagement_score={}", full.engagement.score);
    println!("native.track_events_per_sec={:.0}", n / t_track);
    println!(
        "native.ingest_one_by_one_events_per_sec={:.0}",
        n / t_ingest
    );
    println!("native.score_full_events_per_sec={:.0}", n / t_full);
}
