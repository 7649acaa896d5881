//! A visitor held in memory (`Model::track`, the package's `LiveVisitor`)
//! against the batch path: an event given as its fields is checked as the
//! same event object is; a few events in any order leave exactly the state
//! `Model::ingest` leaves for them as one batch; and a long history tracked
//! in time order scores as a full re-score does.

#![cfg(not(target_arch = "wasm32"))]

use nurture::score::event::parse_events;
use nurture::score::{EventFields, EventSource, Model, ScoreOptions};
use proptest::prelude::*;
use serde_json::{json, Value};

#[path = "../benches/common/year.rs"]
mod year;

const NOW: i64 = 1_795_632_120_000;
const ACTIONS: [&str; 6] = [
    "page",
    "Page",
    "Download",
    " Webinar Attended ",
    "Email Opened",
    "x",
];
const URLS: [&str; 5] = [
    "/",
    " /Pricing?x=1 ",
    "/blog/a/",
    "",
    "https://a.example/careers",
];
const TAGS: [&str; 4] = ["Retail", " retail ", "", "Oil & Gas"];

/// One event as its fields: (action, url, minutes before NOW, dwell, tags).
type Spec = (usize, Option<usize>, i64, Option<f64>, Vec<usize>);

struct Owned {
    action: String,
    url: Option<String>,
    tags: Vec<String>,
    dwell: Option<f64>,
    timestamp: f64,
}

fn owned(spec: &Spec) -> Owned {
    let (a, u, minutes, dwell, tags) = spec;
    Owned {
        action: ACTIONS[a % ACTIONS.len()].to_string(),
        url: u.map(|u| URLS[u % URLS.len()].to_string()),
        tags: tags
            .iter()
            .map(|t| TAGS[t % TAGS.len()].to_string())
            .collect(),
        dwell: *dwell,
        timestamp: (NOW - minutes * 60_000) as f64,
    }
}

fn fields(o: &Owned) -> EventFields<'_> {
    EventFields {
        action: &o.action,
        url: o.url.as_deref(),
        tags: &o.tags,
        dwell_seconds: o.dwell,
        timestamp: o.timestamp,
    }
}

/// The same event as the object a tracker sends.
fn object(o: &Owned) -> Value {
    let mut properties = json!({"tags": o.tags});
    if let Some(url) = &o.url {
        properties["path"] = json!(url);
    }
    if let Some(d) = o.dwell {
        properties["dwellSeconds"] = json!(d);
    }
    json!({"type": "track", "event": o.action, "timestamp": o.timestamp, "properties": properties})
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..ACTIONS.len(),
        proptest::option::of(0..URLS.len()),
        // Minutes are coarse on purpose: many events share a millisecond.
        0i64..(120 * 24 * 60),
        proptest::option::of((0u8..200).prop_map(f64::from)),
        proptest::collection::vec(0..TAGS.len(), 0..3),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn fields_are_checked_as_the_event_object_is(spec in spec(), server in any::<bool>()) {
        let model = Model::default_model();
        let source = if server { EventSource::Server } else { EventSource::Browser };
        let o = owned(&spec);
        let value = object(&o);
        let (parsed, _) = parse_events(std::slice::from_ref(&value), NOW, 300_000, source);
        let taken = model.event_from_fields(&fields(&o), NOW, source);
        match (parsed.first(), taken) {
            (Some(a), Ok(b)) => {
                prop_assert_eq!(&a.action, &b.action);
                prop_assert_eq!(&a.action_key, &b.action_key);
                prop_assert_eq!(&a.url, &b.url);
                prop_assert_eq!(&a.tags, &b.tags);
                prop_assert_eq!(a.dwell_seconds, b.dwell_seconds);
                prop_assert_eq!(a.timestamp, b.timestamp);
                prop_assert_eq!(a.from_server, b.from_server);
            }
            (None, Err(_)) => {}
            (a, b) => prop_assert!(false, "object {:?}, fields {:?}", a, b),
        }
    }

    #[test]
    fn a_few_events_in_any_order_leave_ingests_state(
        specs in proptest::collection::vec(spec(), 1..31),
        server in any::<bool>(),
    ) {
        let model = Model::default_model();
        let source = if server { EventSource::Server } else { EventSource::Browser };
        let owned: Vec<Owned> = specs.iter().map(owned).collect();
        let mut visitor = model.live_visitor(model.new_state(), source).unwrap();
        for o in &owned {
            model.track(&mut visitor, &fields(o), NOW).unwrap();
        }
        model.settle_visitor(&mut visitor, None);
        let values: Vec<Value> = owned.iter().map(object).collect();
        let (events, rejected) = parse_events(&values, NOW, 300_000, source);
        prop_assert!(rejected.is_empty());
        let mut state = model.new_state();
        model.ingest(&mut state, &events, NOW, source).unwrap();
        prop_assert_eq!(visitor.state(), &state);
        prop_assert_eq!(visitor.state().to_bytes(), state.to_bytes());
    }
}

#[test]
fn a_year_tracked_in_time_order_scores_as_a_full_rescore() {
    let model = Model::default_model();
    let mut history = year::year_of_events(NOW, 10_000);
    history.sort_by_key(|e| e["timestamp"].as_i64());
    // Its last events are up to an hour after `NOW`.
    let at = NOW + 2 * 3_600_000;
    let (events, rejected) = parse_events(&history, at, 300_000, EventSource::Server);
    assert!(rejected.is_empty());
    let mut visitor = model
        .live_visitor(model.new_state(), EventSource::Server)
        .unwrap();
    let mut most_open = 0;
    for event in &events {
        let tags: Vec<String> = event.tags.iter().map(|t| t.to_string()).collect();
        let o = EventFields {
            action: &event.action,
            url: event.url.as_deref(),
            tags: &tags,
            dwell_seconds: event.dwell_seconds,
            timestamp: event.timestamp as f64,
        };
        model.track(&mut visitor, &o, at).unwrap();
        most_open = most_open.max(visitor.state().open_events());
    }
    let options = ScoreOptions {
        breakdown: false,
        ..ScoreOptions::default()
    };
    let live = model
        .score_visitor(&mut visitor, None, at, &options)
        .unwrap();
    let full = model.score(None, &history, at, &options);
    assert_eq!(visitor.events(), 10_000);
    assert!((live.engagement.score - full.engagement.score).abs() < 1e-6);
    assert_eq!(live.engagement.rules.len(), full.engagement.rules.len());
    for (a, b) in live.engagement.rules.iter().zip(&full.engagement.rules) {
        assert_eq!(
            (a.events, a.capped, a.untrusted),
            (b.events, b.capped, b.untrusted)
        );
        assert!((a.points - b.points).abs() < 1e-6, "{}", a.rule);
    }
    assert_eq!(live.interests.len(), full.interests.len());
    assert_eq!(live.stage, full.stage);
    // Settles keep the open list within a few times what ingest keeps.
    assert!(most_open < 1_000, "{most_open} open events");
}
