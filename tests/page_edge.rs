//! The page and the edge decide alike for the same visitor.
//!
//! The page scores the whole history it holds (`Model::score`, as a
//! browser source) and hands `decide` its result's [`ScoreSummary`]. The
//! edge keeps an incremental state (`Model::ingest`, batch by batch, stored
//! and read back between batches), scores it (`Model::score_state`), and its
//! summary reaches `decide` through JS as JSON. Random histories, random
//! batches, a site whose segments and slots read every part of the summary:
//! the decisions must be the same.

#![cfg(not(target_arch = "wasm32"))]

use nurture::personalize::{Personalizer, Tables, Visitor};
use nurture::score::event::parse_events;
use nurture::score::{EventSource, Model, ScoreOptions, ScoreSummary};
use nurture::ConfigDocument;
use proptest::prelude::*;
use serde_json::{json, Value};

const NOW: i64 = 1_795_632_120_000;
const MINUTE: i64 = 60_000;

const ACTIONS: [&str; 6] = [
    "page",
    "page",
    "page",
    "Download",
    "Demo Requested",
    "Webinar Attended",
];
const PATHS: [&str; 6] = [
    "/",
    "/pricing",
    "/blog/pipeline-monitoring",
    "/case-studies/petrochina",
    "/careers",
    "/industries/retail",
];
const TAGS: [&str; 4] = ["oil & gas", "retail", "pricing", "security"];

/// Segments and slots over every part of the summary: scores, grade, tier,
/// stage, MQL, the top interests and their shares.
fn site() -> Personalizer {
    Personalizer::from_value(json!({
        "segments": [
            {"id": "hot", "priority": 3, "when": {"tier": "hot"}},
            {"id": "deciding", "priority": 2, "when": {"stage": "decision"}},
            {"id": "engaged", "when": {"score.engagement": {"$gte": 40}}},
            {"id": "fit", "when": {"score.fit": {"$gt": 0}}},
            {"id": "oil", "when": {"interestShares.oil & gas": {"$gte": 0.3}}},
            {"id": "graded", "when": {"grade": {"$in": ["A1", "A2", "B1", "B2", "C1", "D1"]}}},
            {"id": "mql", "when": {"mql": true}}
        ],
        "slots": [
            {"id": "hero", "default": {"content": "default"}, "variants": [
                {"id": "hot", "segment": "hot", "content": "hot"},
                {"id": "retail", "interest": "retail", "content": "retail"},
                {"id": "warm", "tier": "warm", "content": "warm"},
                {"id": "consider", "stage": "consideration", "content": "consider"}
            ]},
            {"id": "cta", "default": {"content": "default"}, "variants": [
                {"id": "oil", "segment": "oil", "content": "oil"},
                {"id": "security", "interest": ["security", "pricing"], "content": "sec"},
                {"id": "engaged", "segment": "engaged", "content": "engaged"}
            ]},
            {"id": "trial", "default": {"content": "default"},
             "experiment": {"key": "trial", "hashVersion": 2, "variations": ["default", "short"]},
             "variants": [{"id": "short", "content": "short"}]}
        ]
    }))
    .unwrap()
}

/// The default model with every touchpoint tagged, so interests move.
fn model() -> Model {
    Model::default_model()
}

/// One event: (action, path, minutes before NOW, tag, with id).
type Spec = (usize, usize, i64, usize, bool);

fn event(spec: &Spec, n: usize) -> Value {
    let (a, p, minutes, tag, with_id) = *spec;
    let action = ACTIONS[a % ACTIONS.len()];
    let properties = json!({"path": PATHS[p % PATHS.len()], "tags": [TAGS[tag % TAGS.len()]]});
    let mut e = if action == "page" {
        json!({"type": "page", "properties": properties})
    } else {
        json!({"type": "track", "event": action, "properties": properties})
    };
    e["timestamp"] = json!(NOW - minutes * MINUTE);
    if with_id {
        e["messageId"] = json!(format!("m{n}"));
    }
    e
}

fn decide(site: &Personalizer, id: &str, score: ScoreSummary) -> Value {
    let visitor = Visitor {
        id: id.into(),
        score: Some(score),
        ..Visitor::default()
    };
    serde_json::to_value(site.decide(&visitor, &Tables::default())).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn page_and_edge_decide_alike(
        specs in prop::collection::vec((0usize..6, 0usize..6, 0i64..(60 * 24 * 60), 0usize..4, any::<bool>()), 0..80),
        cuts in prop::collection::vec(1usize..20, 1..6),
        id in "[a-z0-9]{4,12}",
        later_minutes in 0i64..(30 * 24 * 60),
    ) {
        let model = model();
        let site = site();
        let history: Vec<Value> = specs.iter().enumerate().map(|(n, s)| event(s, n)).collect();
        let now = NOW + later_minutes * MINUTE;
        let options = ScoreOptions { breakdown: false, source: EventSource::Browser };

        // The page: the whole history, scored at once.
        let page = model.score(None, &history, now, &options).summary();

        // The edge: batches as they came (oldest first), stored between them.
        let mut sorted = history.clone();
        sorted.sort_by_key(|e| e["timestamp"].as_i64());
        let mut state = model.new_state();
        let mut rest = &sorted[..];
        for cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (batch, tail) = rest.split_at((*cut).min(rest.len()));
            let at = batch.iter().filter_map(|e| e["timestamp"].as_i64()).max().unwrap_or(NOW);
            let (events, rejected) = parse_events(batch, at, 300_000, EventSource::Browser);
            prop_assert!(rejected.is_empty(), "{:?}", rejected);
            model.ingest(&mut state, &events, at, EventSource::Browser).unwrap();
            state = model.load_state_bytes(&state.to_bytes()).unwrap();
            rest = tail;
        }
        let edge = model.score_state(&state, None, now, &options).unwrap().summary();
        // ...and its summary crosses JS as JSON on the way to `decide`.
        let crossed = serde_json::to_value(&edge).unwrap();
        let read_back = Visitor::from_value(json!({"id": id, "score": crossed})).unwrap();
        let edge_read = read_back.score.clone().unwrap();

        prop_assert_eq!(decide(&site, &id, page.clone()), decide(&site, &id, edge_read));
        prop_assert_eq!(page.tier, edge.tier);
        prop_assert_eq!(page.stage, edge.stage);
        prop_assert_eq!(
            page.interests.iter().map(|i| &i.tag).collect::<Vec<_>>(),
            edge.interests.iter().map(|i| &i.tag).collect::<Vec<_>>()
        );
    }
}

/// What the edge summarized before the typed summary: the top three tags
/// by name, which `decide` ranks 1, ½, ⅓. A visitor whose interest is
/// mostly one tag was then decided differently at the edge than in the page.
#[test]
fn top_three_tag_names_are_not_the_summary() {
    let site = site();
    let model = model();
    let mut history = Vec::new();
    for n in 0..12 {
        history.push(event(&(0, 2, n * 60, 0, true), n as usize)); // oil & gas
    }
    history.push(event(&(0, 5, 5, 1, true), 100)); // retail, once
    history.push(event(&(0, 1, 6, 2, true), 101)); // pricing, once
    let options = ScoreOptions {
        breakdown: false,
        source: EventSource::Browser,
    };
    let result = model.score(None, &history, NOW, &options);
    let summary = result.summary();
    let names: Vec<&str> = summary
        .interests
        .iter()
        .take(3)
        .map(|i| i.tag.as_str())
        .collect();
    let by_names = Visitor::from_value(json!({"id": "v", "score": {"interests": names}})).unwrap();
    let shares = decide(&site, "v", summary.clone());
    let ranked = decide(&site, "v", by_names.score.unwrap());
    assert_ne!(shares, ranked, "the shares decide, not the rank");
}
