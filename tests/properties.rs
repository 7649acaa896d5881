//! Property tests over generated models, events, profiles, conditions and
//! visitor ids (proptest): decay, frequency caps, grades, the profile merge,
//! bucketing and the condition language. Each property states what must
//! hold for every input, not for a hand-picked one; proptest shrinks a
//! failure to a small case and prints it.
//!
//! The statistical checks (uniform buckets, coverage, holdout) do not use
//! proptest's random seeds: they run over fixed ids and seeds, with bounds
//! set for a one-in-a-million false failure, so they cannot flake.
#![cfg(not(target_arch = "wasm32"))]

use nurture::forms::{is_known, merge_profile, Form, ValidateOptions};
use nurture::personalize::{Personalizer, ReasonKind, Tables, Visitor};
use nurture::score::engagement::decay_factor;
use nurture::score::{Model, ScoreOptions, ScoreResult, Tier};
use nurture::targeting::{choose_variation, get_bucket_ranges, hash, Condition};
use nurture::ConfigDocument;
use proptest::prelude::*;
use proptest::sample::subsequence;
use serde_json::{json, Map, Value};

const NOW: i64 = 1_795_632_120_000;
const DAY: i64 = 86_400_000;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

// ------------------------------------------------------------ generators

const ACTIONS: &[&str] = &["page", "Download", "Demo Requested", "Webinar Attended"];
const PATHS: &[&str] = &[
    "/pricing",
    "/blog/post",
    "/case-studies/refinery",
    "/careers",
    "/",
];
const TAGS: &[&str] = &["retail", "oil", "pricing", "jobs"];

/// A rule's points: positive only, or either sign (never 0, which the
/// model warns about and which would make "never grows" trivial).
fn points(signed: bool) -> BoxedStrategy<f64> {
    let magnitude = (1u32..=60).prop_map(f64::from);
    if signed {
        (magnitude, any::<bool>())
            .prop_map(|(m, neg)| if neg { -m } else { m })
            .boxed()
    } else {
        magnitude.boxed()
    }
}

fn half_life() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        (1u32..=120).prop_map(|d| json!(f64::from(d) / 2.0)),
    ]
}

fn cap() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        (0u32..=4, prop::option::of(1u32..=60)).prop_map(|(count, window)| match window {
            None => json!({"count": count}),
            // Half days, so windows are not always whole days.
            Some(w) => json!({"count": count, "windowDays": f64::from(w) / 2.0}),
        }),
    ]
}

/// An engagement model document: touchpoints with positive weights, rules
/// matching on action, url or tag, each with optional own half-life and cap.
fn model_doc(signed: bool, caps: bool, inactivity: bool) -> impl Strategy<Value = Value> {
    let touchpoint = (
        prop::sample::select(vec!["/pricing*", "/blog/*", "/case-studies/*", "/careers*"]),
        (1u32..=30).prop_map(|w| f64::from(w) / 10.0),
        subsequence(TAGS.to_vec(), 0..=2),
    );
    let rule = (
        prop::option::of(prop::sample::select(ACTIONS.to_vec())),
        prop::option::of(prop::sample::select(vec!["/pricing*", "/blog/*", "*"])),
        prop::option::of(subsequence(TAGS.to_vec(), 1..=2)),
        points(signed),
        prop::option::of(half_life()),
        if caps {
            cap().boxed()
        } else {
            Just(Value::Null).boxed()
        },
    );
    let inactivity_doc = if inactivity {
        prop::option::of((1u32..=60, 1u32..=40, any::<bool>(), prop::option::of(0u32..=5)))
            .prop_map(|i| {
                i.map_or(Value::Null, |(after, pts, repeat, max)| {
                    json!({"afterDays": after, "points": -f64::from(pts), "repeat": repeat, "maxRepeats": max})
                })
            })
            .boxed()
    } else {
        Just(Value::Null).boxed()
    };
    (
        half_life(),
        prop::collection::vec(touchpoint, 0..=3),
        prop::collection::vec(rule, 1..=5),
        inactivity_doc,
    )
        .prop_map(|(hl, tps, rules, inactivity)| {
            let touchpoints: Vec<Value> = tps
                .into_iter()
                .enumerate()
                .map(|(i, (url, weight, tags))| {
                    json!({"id": format!("t{i}"), "url": url, "weight": weight, "tags": tags})
                })
                .collect();
            let rules: Vec<Value> = rules
                .into_iter()
                .enumerate()
                .map(|(i, (event, url, tags, points, hl, cap))| {
                    let mut r = json!({"id": format!("r{i}"), "points": points});
                    let o = r.as_object_mut().expect("object");
                    if let Some(e) = event {
                        o.insert("event".into(), json!(e));
                    }
                    if let Some(u) = url {
                        o.insert("url".into(), json!(u));
                    }
                    if let Some(t) = tags {
                        o.insert("tags".into(), json!(t));
                    }
                    if let Some(h) = hl {
                        o.insert("halfLifeDays".into(), h);
                    }
                    if !cap.is_null() {
                        o.insert("cap".into(), cap);
                    }
                    r
                })
                .collect();
            let mut engagement =
                json!({"halfLifeDays": hl, "touchpoints": touchpoints, "rules": rules});
            if !inactivity.is_null() {
                engagement["inactivity"] = inactivity;
            }
            json!({"engagement": engagement})
        })
}

/// Events up to `max_age_days` old, never in the future (so none is
/// rejected), stamped on a coarse grid when `coarse` so that many share a
/// timestamp.
fn events(n: std::ops::RangeInclusive<usize>, coarse: bool) -> impl Strategy<Value = Vec<Value>> {
    let age = if coarse {
        (0i64..=20).prop_map(|h| h * 6 * 3_600_000).boxed()
    } else {
        (0i64..=200 * DAY).boxed()
    };
    let event = (
        prop::sample::select(ACTIONS.to_vec()),
        age,
        prop::option::of(prop::sample::select(PATHS.to_vec())),
        subsequence(TAGS.to_vec(), 0..=2),
    )
        .prop_map(|(action, age, path, tags)| {
            let mut e = if action == "page" {
                json!({"type": "page"})
            } else {
                json!({"type": "track", "event": action})
            };
            e["timestamp"] = json!(NOW - age);
            e["properties"] = json!({"tags": tags});
            if let Some(p) = path {
                e["properties"]["path"] = json!(p);
            }
            e
        });
    prop::collection::vec(event, n)
}

fn model(doc: &Value) -> Model {
    Model::from_value(doc.clone()).expect("generated models are valid")
}

fn score(
    m: &Model,
    profile: Option<&Map<String, Value>>,
    events: &[Value],
    now: i64,
) -> ScoreResult {
    m.score(
        profile,
        events,
        now,
        &ScoreOptions {
            breakdown: true,
            ..ScoreOptions::default()
        },
    )
}

fn timestamp(events: &[Value], index: usize) -> i64 {
    events
        .get(index)
        .and_then(|e| e["timestamp"].as_i64())
        .expect("event timestamp")
}

// ------------------------------------------------------------ decay

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn decay_factor_is_a_half_life(age in 0.0f64..10_000.0, later in 0.0f64..10_000.0, h in 0.01f64..1_000.0) {
        let f = decay_factor(age, Some(h));
        prop_assert!((0.0..=1.0).contains(&f), "factor {f} out of [0, 1]");
        prop_assert!(decay_factor(age + later, Some(h)) <= f, "decay grew with age");
        prop_assert!((decay_factor(h, Some(h)) - 0.5).abs() < 1e-12);
        prop_assert!((decay_factor(2.0 * h, Some(h)) - 0.25).abs() < 1e-12);
        // Two ages add up as factors multiply: 0.5^(a/h) · 0.5^(b/h).
        let product = decay_factor(age, Some(h)) * decay_factor(later, Some(h));
        prop_assert!((decay_factor(age + later, Some(h)) - product).abs() < 1e-9);
        prop_assert_eq!(decay_factor(age, None), 1.0);
        prop_assert_eq!(decay_factor(-age - 1.0, Some(h)), 1.0, "the future does not boost");
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// With positive rules (and a negative inactivity penalty), scoring the
    /// same events later never raises the score, a rule's total or any one
    /// contribution.
    #[test]
    fn later_never_scores_higher(doc in model_doc(false, true, true), evs in events(0..=30, false),
                                 later_ms in 0i64..400 * DAY) {
        let m = model(&doc);
        let early = score(&m, None, &evs, NOW);
        let late = score(&m, None, &evs, NOW + later_ms);
        prop_assert!(early.rejected.is_empty());
        prop_assert!(late.engagement.score <= early.engagement.score,
            "{} at +{later_ms} ms > {}", late.engagement.score, early.engagement.score);
        for (a, b) in early.engagement.rules.iter().zip(&late.engagement.rules) {
            prop_assert!(b.points <= a.points, "rule {}: {} > {}", a.rule, b.points, a.points);
        }
        prop_assert_eq!(early.engagement.breakdown.len(), late.engagement.breakdown.len());
        for (a, b) in early.engagement.breakdown.iter().zip(&late.engagement.breakdown) {
            prop_assert_eq!((&a.rule, a.event_index), (&b.rule, b.event_index));
            prop_assert!(b.points <= a.points && b.decay <= a.decay);
        }
    }

    /// With rules of either sign, no contribution and no rule's total grows
    /// in magnitude with age.
    #[test]
    fn magnitude_never_grows_with_age(doc in model_doc(true, true, false), evs in events(0..=30, false),
                                      later_ms in 0i64..400 * DAY) {
        let m = model(&doc);
        let early = score(&m, None, &evs, NOW);
        let late = score(&m, None, &evs, NOW + later_ms);
        for (a, b) in early.engagement.rules.iter().zip(&late.engagement.rules) {
            prop_assert!(b.points.abs() <= a.points.abs(), "rule {}: |{}| > |{}|", a.rule, b.points, a.points);
        }
        for (a, b) in early.engagement.breakdown.iter().zip(&late.engagement.breakdown) {
            prop_assert!(b.points.abs() <= a.points.abs());
            prop_assert!(a.points.abs() <= a.base_points.abs() + 1e-9, "decay above 1");
        }
    }
}

// ------------------------------------------------------------ caps

/// One capped rule that matches every event, over events with weights.
fn capped_doc() -> impl Strategy<Value = (Value, u32, Option<f64>)> {
    (
        0u32..=4,
        prop::option::of(1u32..=40),
        points(true),
        half_life(),
    )
        .prop_map(|(count, window, pts, hl)| {
            let window_days = window.map(|w| f64::from(w) / 4.0);
            let mut cap = json!({"count": count});
            if let Some(w) = window_days {
                cap["windowDays"] = json!(w);
            }
            let doc = json!({"engagement": {
                "halfLifeDays": hl,
                "touchpoints": [{"id": "pricing", "url": "/pricing*", "weight": 3}],
                "rules": [{"id": "any", "points": pts, "cap": cap}],
            }});
            (doc, count, window_days)
        })
}

proptest! {
    #![proptest_config(config(256))]

    /// In every window of `windowDays` (a half-open interval starting
    /// anywhere), at most `count` events count, and the rule's points there
    /// stay within `count ×` the largest base; an event is capped only when
    /// `count` events already counted in the window before it.
    #[test]
    fn caps_are_never_exceeded((doc, count, window_days) in capped_doc(), evs in events(0..=40, true)) {
        let m = model(&doc);
        let r = score(&m, None, &evs, NOW);
        let window_ms = window_days.map(|d| d * 86_400_000.0);
        let mut counted: Vec<(i64, f64)> = Vec::new();
        let mut capped: Vec<i64> = Vec::new();
        for p in &r.engagement.breakdown {
            let t = timestamp(&evs, p.event_index);
            if p.capped {
                prop_assert_eq!(p.points, 0.0);
                capped.push(t);
            } else {
                counted.push((t, p.points));
            }
        }
        let max_base = r.engagement.breakdown.iter().map(|p| p.base_points.abs()).fold(0.0, f64::max);
        let inside = |start: i64, t: i64| match window_ms {
            Some(w) => t >= start && ((t - start) as f64) < w,
            None => true,
        };
        // Windows starting at each counted event are enough: a window that
        // holds the most counted events can be slid to start at one.
        for &(start, _) in &counted {
            let in_window: Vec<f64> = counted.iter().filter(|(t, _)| inside(start, *t)).map(|(_, p)| *p).collect();
            prop_assert!(in_window.len() <= count as usize, "{} counted in a window, cap {count}", in_window.len());
            let sum: f64 = in_window.iter().map(|p| p.abs()).sum();
            prop_assert!(sum <= f64::from(count) * max_base + 1e-6);
        }
        // Not over-eager either: a capped event had a full window behind it.
        for &t in &capped {
            let before = counted.iter().filter(|(c, _)| *c <= t && match window_ms {
                Some(w) => ((t - c) as f64) < w,
                None => true,
            }).count();
            prop_assert!(before >= count as usize, "capped with only {before} of {count} counted");
        }
        let rule = &r.engagement.rules[0];
        prop_assert_eq!(rule.events, r.engagement.breakdown.len());
        prop_assert_eq!(rule.capped, capped.len());
    }

    /// The order of the batch does not change any figure, even when many
    /// events share a timestamp and a cap has to pick among them.
    #[test]
    fn batch_order_does_not_matter(doc in model_doc(true, true, true),
                                   (evs, shuffled) in events(0..=30, true).prop_flat_map(|e| (Just(e.clone()), Just(e).prop_shuffle()))) {
        let m = model(&doc);
        let a = score(&m, None, &evs, NOW);
        let b = score(&m, None, &shuffled, NOW);
        prop_assert_eq!(a.engagement.score, b.engagement.score);
        prop_assert_eq!(&a.engagement.rules, &b.engagement.rules);
        prop_assert_eq!(&a.engagement.inactivity, &b.engagement.inactivity);
        prop_assert_eq!(&a.stage_evidence, &b.stage_evidence);
        prop_assert_eq!(&a.interests, &b.interests);
    }

    /// An event sent again with the same messageId counts once: the batch
    /// scores as if the copies were not there, and each copy is rejected.
    #[test]
    fn duplicates_by_message_id_count_once(doc in model_doc(true, true, true), evs in events(1..=20, false),
                                           copies in prop::collection::vec((any::<prop::sample::Index>(), 0i64..DAY), 1..=5)) {
        let mut evs = evs;
        for (i, e) in evs.iter_mut().enumerate() {
            e["messageId"] = json!(format!("m{i}"));
        }
        let mut with_copies = evs.clone();
        for (which, shift) in &copies {
            // Same id, another time: a resend is still the same event.
            let mut copy = which.get(&evs).clone();
            copy["timestamp"] = json!(copy["timestamp"].as_i64().unwrap_or(NOW) - shift);
            with_copies.push(copy);
        }
        let m = model(&doc);
        let a = score(&m, None, &evs, NOW);
        let b = score(&m, None, &with_copies, NOW);
        prop_assert_eq!(a.engagement.score, b.engagement.score);
        prop_assert_eq!(&a.engagement.rules, &b.engagement.rules);
        prop_assert_eq!(b.rejected.len(), copies.len());
        prop_assert!(b.rejected.iter().all(|r| r.reason.starts_with("duplicate") && r.index >= evs.len()));
    }

    /// Inactivity takes `points` once per `afterDays` of silence when it
    /// repeats (at most `maxRepeats` times), once otherwise, and nothing
    /// before the first `afterDays`.
    #[test]
    fn inactivity_penalty_is_bounded(after in 1u32..=60, pts in 1u32..=40, repeat in any::<bool>(),
                                     max in prop::option::of(0u32..=5), evs in events(1..=10, false),
                                     later in 0i64..400 * DAY) {
        let doc = json!({"engagement": {"rules": [{"id": "any", "points": 1}],
            "inactivity": {"afterDays": after, "points": -f64::from(pts), "repeat": repeat, "maxRepeats": max}}});
        let m = model(&doc);
        let now = NOW + later;
        let r = score(&m, None, &evs, now);
        let last = evs.iter().filter_map(|e| e["timestamp"].as_i64()).max().unwrap_or(now);
        let periods = ((now - last) as f64 / 86_400_000.0 / f64::from(after)).floor() as u32;
        match &r.engagement.inactivity {
            None => prop_assert_eq!(periods, 0),
            Some(i) => {
                prop_assert!(periods >= 1);
                let expected_times = if repeat { periods.min(max.unwrap_or(u32::MAX)).max(1) } else { 1 };
                prop_assert_eq!(i.times, expected_times);
                prop_assert_eq!(i.points, -f64::from(pts) * f64::from(expected_times));
                let bound = if repeat { max.unwrap_or(u32::MAX).max(1) } else { 1 };
                prop_assert!(i.points.abs() <= f64::from(pts) * f64::from(bound));
            }
        }
    }
}

// ------------------------------------------------------------ grades

const FIT_FIELDS: &[&str] = &["f0", "f1", "f2", "f3", "f4", "f5"];

/// A model whose fit rules each add (or take) points when a field is
/// present, with generated grade, level, tier and MQL thresholds.
fn grade_doc() -> impl Strategy<Value = (Value, Vec<f64>)> {
    let ordered3 = prop::collection::btree_set(1u32..=100, 3).prop_map(|s| {
        let v: Vec<f64> = s.into_iter().map(f64::from).collect();
        (v[2], v[1], v[0])
    });
    let ordered2 = prop::collection::btree_set(1u32..=100, 2).prop_map(|s| {
        let v: Vec<f64> = s.into_iter().map(f64::from).collect();
        (v[1], v[0])
    });
    let grades = subsequence(
        ["A1", "A2", "B1", "B2", "C3", "D4"]
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        0..=3,
    );
    (
        prop::collection::vec(points(true), FIT_FIELDS.len()),
        ordered3.clone(),
        ordered3,
        ordered2,
        grades,
        prop::option::of((0u32..=80, 0u32..=80)),
    )
        .prop_map(
            |(pts, (a, b, c), (one, two, three), (hot, warm), grades, min)| {
                let rules: Vec<Value> = FIT_FIELDS
                    .iter()
                    .zip(&pts)
                    .map(|(f, p)| json!({"id": f, "field": f, "op": "present", "points": p}))
                    .collect();
                let mut mql = json!({"grades": grades});
                if let Some((f, e)) = min {
                    mql["minFit"] = json!(f);
                    mql["minEngagement"] = json!(e);
                }
                let doc = json!({
                    "fit": {"rules": rules, "grades": {"A": a, "B": b, "C": c}},
                    "engagement": {"halfLifeDays": 10, "rules": [
                        {"id": "demo", "event": "Demo Requested", "points": 30},
                        {"id": "page", "event": "page", "points": 5},
                        {"id": "download", "event": "Download", "points": 12}],
                        "levels": {"1": one, "2": two, "3": three}},
                    "tiers": {"hot": hot, "warm": warm},
                    "mql": mql,
                });
                (doc, pts)
            },
        )
}

fn profile_of(fields: &[&str]) -> Map<String, Value> {
    fields
        .iter()
        .map(|f| (f.to_string(), json!("yes")))
        .collect()
}

fn letter_rank(r: &ScoreResult) -> u8 {
    r.fit.grade as u8 - b'A'
}

proptest! {
    #![proptest_config(config(256))]

    /// Adding a field worth positive points (engagement fixed) never lowers
    /// the letter; adding events to a positive, uncapped model (fit fixed)
    /// never lowers the digit; and over any two results the letter and digit
    /// are monotone in the scores they come from.
    #[test]
    fn grade_is_monotone((doc, pts) in grade_doc(), fields in subsequence(FIT_FIELDS.to_vec(), 0..=6),
                         extra in subsequence(FIT_FIELDS.to_vec(), 0..=6),
                         evs in events(0..=15, false), more in events(0..=15, false)) {
        let m = model(&doc);
        let base = profile_of(&fields);
        let mut raised = base.clone();
        for (f, p) in FIT_FIELDS.iter().zip(&pts) {
            if *p > 0.0 && extra.contains(f) {
                raised.insert(f.to_string(), json!("yes"));
            }
        }
        let all_events: Vec<Value> = evs.iter().chain(&more).cloned().collect();
        let r0 = score(&m, Some(&base), &evs, NOW);
        let r_fit = score(&m, Some(&raised), &evs, NOW);
        let r_eng = score(&m, Some(&base), &all_events, NOW);
        prop_assert!(r_fit.fit.score >= r0.fit.score);
        prop_assert!(letter_rank(&r_fit) <= letter_rank(&r0), "{} → {}", r0.grade, r_fit.grade);
        prop_assert_eq!(r_fit.engagement.level, r0.engagement.level);
        prop_assert!(r_eng.engagement.score >= r0.engagement.score);
        prop_assert!(r_eng.engagement.level <= r0.engagement.level, "{} → {}", r0.grade, r_eng.grade);
        prop_assert_eq!(r_eng.fit.grade, r0.fit.grade);
        for (x, y) in [(&r0, &r_fit), (&r0, &r_eng), (&r_fit, &r_eng)] {
            if x.fit.score <= y.fit.score {
                prop_assert!(letter_rank(y) <= letter_rank(x));
            }
            if x.engagement.score <= y.engagement.score {
                prop_assert!(y.engagement.level <= x.engagement.level);
            }
        }
    }

    /// Letter, digit, tier and MQL agree with the thresholds in the model.
    #[test]
    fn grade_tier_and_mql_follow_the_thresholds((doc, _) in grade_doc(), fields in subsequence(FIT_FIELDS.to_vec(), 0..=6),
                                                evs in events(0..=25, false)) {
        let m = model(&doc);
        let r = score(&m, Some(&profile_of(&fields)), &evs, NOW);
        let (fit, eng) = (r.fit.score, r.engagement.score);
        let g = &doc["fit"]["grades"];
        let (a, b, c) = (g["A"].as_f64().unwrap_or(0.0), g["B"].as_f64().unwrap_or(0.0), g["C"].as_f64().unwrap_or(0.0));
        let letter = if fit >= a { 'A' } else if fit >= b { 'B' } else if fit >= c { 'C' } else { 'D' };
        prop_assert_eq!(r.fit.grade, letter);
        let l = &doc["engagement"]["levels"];
        let level = if eng >= l["1"].as_f64().unwrap_or(0.0) { 1 } else if eng >= l["2"].as_f64().unwrap_or(0.0) { 2 }
            else if eng >= l["3"].as_f64().unwrap_or(0.0) { 3 } else { 4 };
        prop_assert_eq!(r.engagement.level, level);
        prop_assert_eq!(&r.grade, &format!("{letter}{level}"));
        let t = &doc["tiers"];
        let tier = if eng >= t["hot"].as_f64().unwrap_or(0.0) { Tier::Hot }
            else if eng >= t["warm"].as_f64().unwrap_or(0.0) { Tier::Warm } else { Tier::Cold };
        prop_assert_eq!(r.tier, tier);
        let mql = &doc["mql"];
        let by_grade = mql["grades"].as_array().is_some_and(|g| g.contains(&json!(r.grade)));
        let by_scores = match (mql["minFit"].as_f64(), mql["minEngagement"].as_f64()) {
            (Some(f), Some(e)) => fit >= f && eng >= e,
            _ => false,
        };
        prop_assert_eq!(r.mql.qualified, by_grade || by_scores, "{}", r.mql.reason);
    }
}

// ------------------------------------------------------------ merge

fn profile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!("")),
        Just(json!("   ")),
        Just(json!(false)),
        Just(json!(true)),
        Just(json!([])),
        Just(json!({})),
        Just(json!(["x"])),
        Just(json!({"a": 1})),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-zA-Z ]{0,8}".prop_map(Value::String),
    ]
}

fn profile_map() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("k[0-7]", profile_value(), 0..=8)
        .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #![proptest_config(config(512))]

    /// Merging never loses a known value: what was known stays known (and
    /// is replaced only by another known value), every known submitted
    /// value lands as given, and the answer lists exactly what changed.
    #[test]
    fn merge_never_loses_a_known_value(known in profile_map(), values in profile_map()) {
        let merge = merge_profile(&known, &values);
        for (k, before) in &known {
            let after = merge.profile.get(k);
            prop_assert!(after.is_some(), "{k} disappeared");
            if is_known(Some(before)) {
                prop_assert!(is_known(after), "{k}: known {before} became {after:?}");
            }
            if !is_known(values.get(k)) {
                prop_assert_eq!(after, Some(before), "{} changed without a known new value", k);
            }
        }
        for (k, v) in &values {
            if is_known(Some(v)) {
                prop_assert_eq!(merge.profile.get(k), Some(v));
            } else if !known.contains_key(k) {
                prop_assert!(!merge.profile.contains_key(k), "{k}: an empty value was added");
            }
        }
        let newly: Vec<String> = values.iter()
            .filter(|(k, v)| is_known(Some(v)) && !is_known(known.get(*k)))
            .map(|(k, _)| k.clone()).collect();
        let updated: Vec<String> = values.iter()
            .filter(|(k, v)| is_known(Some(v)) && is_known(known.get(*k)) && known.get(*k) != Some(v))
            .map(|(k, _)| k.clone()).collect();
        prop_assert_eq!(merge.newly_known, newly);
        prop_assert_eq!(merge.updated, updated);
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// The same through a whole form submission: a valid submission keeps
    /// every known field and carries its cleaned values into the profile.
    #[test]
    fn form_submission_keeps_known_values(known in profile_map(),
                                          submitted in prop::collection::btree_map("k[0-7]", "[a-zA-Z ]{0,8}", 0..=8)) {
        let fields: Vec<Value> = (0..8).map(|i| json!({"name": format!("k{i}"), "type": "text"})).collect();
        let form = Form::from_value(json!({"fields": fields, "maxUnknownFields": 8})).expect("form");
        let asked: Vec<String> = (0..8).map(|i| format!("k{i}")).collect();
        let submission: Map<String, Value> = submitted.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        let out = form.submit(None, &submission, &ValidateOptions {
            profile: Some(&known),
            asked: Some(&asked),
            ..ValidateOptions::default()
        });
        prop_assert!(out.validation.valid, "{:?}", out.validation.errors);
        let merge = out.merge.expect("a valid submission merges");
        for (k, before) in &known {
            if is_known(Some(before)) {
                prop_assert!(is_known(merge.profile.get(k)), "{k} lost");
            }
        }
        for (k, v) in &out.validation.values {
            prop_assert_eq!(merge.profile.get(k), Some(v));
            let typed = submission.get(k).and_then(Value::as_str).unwrap_or_default();
            prop_assert_eq!(v.as_str(), Some(typed.trim()), "cleaned value of {}", k);
        }
    }
}

// ------------------------------------------------------------ bucketing

/// GrowthBook's `hashFnv32a` exactly as the JS reads: shifts and adds over
/// UTF-16 code units, written independently of the crate's multiplication.
fn fnv_js(units: impl Iterator<Item = u16>) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for u in units {
        h ^= u32::from(u);
        h = h
            .wrapping_add(h << 1)
            .wrapping_add(h << 4)
            .wrapping_add(h << 7)
            .wrapping_add(h << 8)
            .wrapping_add(h << 24);
    }
    h
}

fn hash_js(seed: &str, value: &str, version: u32) -> f64 {
    if version == 1 {
        let n = fnv_js(value.encode_utf16().chain(seed.encode_utf16()));
        f64::from(n % 1000) / 1000.0
    } else {
        let inner = fnv_js(seed.encode_utf16().chain(value.encode_utf16()));
        let n = fnv_js(inner.to_string().encode_utf16());
        f64::from(n % 10_000) / 10_000.0
    }
}

proptest! {
    #![proptest_config(config(2048))]

    /// Any seed and id (any Unicode, astral characters included) hash the
    /// same every time, into [0, 1), and as GrowthBook's JS formula says.
    #[test]
    fn hash_is_stable_and_in_range(seed in ".{0,12}", id in ".{0,24}", version in 1u32..=2) {
        let h = hash(&seed, &id, version).expect("versions 1 and 2 exist");
        prop_assert!((0.0..1.0).contains(&h));
        prop_assert_eq!(Some(h), hash(&seed, &id, version));
        prop_assert_eq!(h, hash_js(&seed, &id, version));
    }
}

#[test]
fn js_formula_agrees_with_growthbook_vectors() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/vectors/growthbook-cases.json"
    ))
    .expect("vectors");
    let all: Value = serde_json::from_str(&text).expect("json");
    let cases = all["hash"].as_array().expect("hash section");
    assert!(cases.len() >= 10);
    for case in cases {
        let (seed, value) = (
            case[0].as_str().expect("seed"),
            case[1].as_str().expect("value"),
        );
        let version = case[2].as_u64().expect("version") as u32;
        match case[3].as_f64() {
            Some(expected) => {
                assert_eq!(hash_js(seed, value, version), expected, "{case}");
                assert_eq!(hash(seed, value, version), Some(expected), "{case}");
            }
            None => assert_eq!(hash(seed, value, version), None, "{case}"),
        }
    }
}

/// Deterministic visitor ids (splitmix64), so the statistical checks below
/// see the same sample on every run.
fn ids(seed: u64, n: usize) -> Vec<String> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            format!("v-{:x}", z ^ (z >> 31))
        })
        .collect()
}

/// χ² critical values at p = 10⁻⁶ for 1 … 9 degrees of freedom.
const CHI2_1E6: [f64; 9] = [
    23.928, 27.631, 30.664, 33.377, 35.888, 38.258, 40.522, 42.701, 44.808,
];

fn chi_square(counts: &[usize], expected: f64) -> f64 {
    counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

#[test]
fn equal_weights_split_visitors_uniformly() {
    const N: usize = 20_000;
    for (k, variations) in (2..=10usize).enumerate() {
        let sample = ids(1000 + k as u64, N);
        let ranges = get_bucket_ranges(variations as i64, 1.0, None);
        let mut counts = vec![0usize; variations];
        for id in &sample {
            let n = hash(&format!("exp-{variations}"), id, 2).expect("v2");
            let v = choose_variation(n, &ranges);
            assert!(v >= 0, "full coverage puts everyone in a variation");
            counts[v as usize] += 1;
        }
        let chi2 = chi_square(&counts, N as f64 / variations as f64);
        let bound = CHI2_1E6[variations - 2];
        assert!(
            chi2 < bound,
            "{variations} variations: χ² {chi2:.2} ≥ {bound} ({counts:?})"
        );
    }
    // The hash itself, in ten equal bins.
    let mut bins = [0usize; 10];
    for id in ids(7, N) {
        bins[(hash("uniform", &id, 2).expect("v2") * 10.0) as usize] += 1;
    }
    let chi2 = chi_square(&bins, N as f64 / 10.0);
    assert!(chi2 < CHI2_1E6[8], "hash deciles: χ² {chi2:.2} ({bins:?})");
}

/// A binomial proportion over `n` draws stays within 5 standard deviations
/// (two-sided p ≈ 6·10⁻⁷) of `p`.
fn assert_share(observed: usize, n: usize, p: f64, what: &str) {
    let share = observed as f64 / n as f64;
    let sd = (p * (1.0 - p) / n as f64).sqrt().max(1e-9);
    assert!(
        ((share - p) / sd).abs() < 5.0 || (share - p).abs() < 1e-4,
        "{what}: {share:.4} vs {p}"
    );
}

#[test]
fn coverage_and_holdout_shares_hold() {
    const N: usize = 20_000;
    for (k, &coverage) in [0.0, 0.1, 0.25, 0.5, 0.8, 1.0].iter().enumerate() {
        let ranges = get_bucket_ranges(3, coverage, None);
        let sample = ids(50 + k as u64, N);
        let inside = sample
            .iter()
            .filter(|id| choose_variation(hash("cov", id, 2).expect("v2"), &ranges) >= 0)
            .count();
        assert_share(inside, N, coverage, &format!("coverage {coverage}"));
    }
    // Through the whole decision, so fewer ids: the bound scales with N.
    const M: usize = 10_000;
    for (k, &share) in [0.05, 0.3, 0.5].iter().enumerate() {
        let site = Personalizer::from_value(json!({
            "holdout": {"share": share, "seed": format!("h{k}")},
            "slots": [{"id": "hero", "default": {"content": "d"},
                       "variants": [{"id": "all", "when": {}, "content": "v"}]}],
        }))
        .expect("site");
        let held = ids(90 + k as u64, M)
            .into_iter()
            .filter(|id| {
                let v = Visitor::from_value(json!({"id": id})).expect("visitor");
                site.decide(&v, &Tables::default()).decisions[0].reason.kind == ReasonKind::Holdout
            })
            .count();
        assert_share(held, M, share, &format!("holdout {share}"));
    }
}

fn request_attrs() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["CN", "US", "DE", "JP"]),
        0u32..70_000,
        prop::sample::select(vec!["/", "/pricing", "/blog/x"]),
        profile_map(),
    )
        .prop_map(|(country, asn, path, profile)| {
            json!({"request": {"country": country, "asn": asn}, "page": {"path": path}, "profile": profile})
        })
}

proptest! {
    #![proptest_config(config(256))]

    /// A visitor keeps its variation (and bucket) whatever else about the
    /// visit changes: country, network, page, profile.
    #[test]
    fn a_visitor_never_switches_variation(id in "[a-z0-9-]{1,20}", a in request_attrs(), b in request_attrs(),
                                          coverage in 0.0f64..=1.0) {
        let site = Personalizer::from_value(json!({
            "slots": [{"id": "hero", "default": {"content": "d"},
                "variants": [{"id": "v1", "content": "1"}, {"id": "v2", "content": "2"}],
                "experiment": {"key": "hero-test", "variations": ["default", "v1", "v2"], "coverage": coverage}}],
        })).expect("site");
        let decide = |attrs: &Value| {
            let mut v = attrs.clone();
            v["id"] = json!(id);
            let d = site.decide(&Visitor::from_value(v).expect("visitor"), &Tables::default());
            let d = d.decisions[0].clone();
            (d.variant, d.reason.kind, d.reason.bucket, d.reason.variation_index)
        };
        prop_assert_eq!(decide(&a), decide(&b));
    }
}

// ------------------------------------------------------------ conditions

/// An atomic condition on `a` (a number), `b` (a string) or `c` (a flag).
fn atom() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-5i32..=5).prop_map(|n| json!({"a": {"$gt": n}})),
        (-5i32..=5).prop_map(|n| json!({"a": {"$lte": n}})),
        prop::collection::vec(-5i32..=5, 0..=3).prop_map(|v| json!({"a": {"$in": v}})),
        prop::sample::select(vec!["x", "y", "z"]).prop_map(|s| json!({"b": s})),
        "[xyz]".prop_map(|r| json!({"b": {"$regex": r}})),
        any::<bool>().prop_map(|e| json!({"b": {"$exists": e}})),
        any::<bool>().prop_map(|f| json!({"c": f})),
    ]
}

/// A condition tree and its truth value, computed by plain boolean logic
/// from the atoms (each atom evaluated on its own).
#[derive(Debug, Clone)]
enum Tree {
    Atom(Value),
    Not(Box<Tree>),
    And(Vec<Tree>),
    Or(Vec<Tree>),
    Nor(Vec<Tree>),
}

impl Tree {
    fn to_json(&self) -> Value {
        match self {
            Tree::Atom(v) => v.clone(),
            Tree::Not(t) => json!({"$not": t.to_json()}),
            Tree::And(ts) => json!({"$and": ts.iter().map(Tree::to_json).collect::<Vec<_>>()}),
            Tree::Or(ts) => json!({"$or": ts.iter().map(Tree::to_json).collect::<Vec<_>>()}),
            Tree::Nor(ts) => json!({"$nor": ts.iter().map(Tree::to_json).collect::<Vec<_>>()}),
        }
    }

    fn truth(&self, attrs: &Value) -> bool {
        match self {
            Tree::Atom(v) => Condition::compile(v)
                .expect("atom")
                .eval(attrs, &Value::Null),
            Tree::Not(t) => !t.truth(attrs),
            Tree::And(ts) => ts.iter().all(|t| t.truth(attrs)),
            Tree::Or(ts) => ts.iter().any(|t| t.truth(attrs)),
            Tree::Nor(ts) => !ts.iter().any(|t| t.truth(attrs)),
        }
    }
}

fn tree() -> impl Strategy<Value = Tree> {
    atom()
        .prop_map(Tree::Atom)
        .prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(|t| Tree::Not(Box::new(t))),
                // Non-empty lists: GrowthBook reads an empty `$or` as true, a
                // convention rather than boolean logic.
                prop::collection::vec(inner.clone(), 1..=4).prop_map(Tree::And),
                prop::collection::vec(inner.clone(), 1..=4).prop_map(Tree::Or),
                prop::collection::vec(inner, 1..=4).prop_map(Tree::Nor),
            ]
        })
}

fn attributes() -> impl Strategy<Value = Value> {
    (
        prop::option::of(-6i32..=6),
        prop::option::of(prop::sample::select(vec!["x", "y", "z", "xyz", ""])),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(a, b, c)| {
            let mut m = Map::new();
            if let Some(a) = a {
                m.insert("a".into(), json!(a));
            }
            if let Some(b) = b {
                m.insert("b".into(), json!(b));
            }
            if let Some(c) = c {
                m.insert("c".into(), json!(c));
            }
            Value::Object(m)
        })
}

proptest! {
    #![proptest_config(config(512))]

    /// `$not`, `$and`, `$or` and `$nor` are the boolean operations of their
    /// parts, and a compiled condition answers the same every time.
    #[test]
    fn conditions_follow_boolean_logic(t in tree(), attrs in attributes()) {
        let compiled = Condition::compile(&t.to_json()).expect("generated conditions compile");
        let got = compiled.eval(&attrs, &Value::Null);
        prop_assert_eq!(got, t.truth(&attrs), "{} on {}", t.to_json(), attrs);
        prop_assert_eq!(compiled.eval(&attrs, &Value::Null), got);
        let negated = Condition::compile(&json!({"$not": t.to_json()})).expect("compiles");
        prop_assert_eq!(negated.eval(&attrs, &Value::Null), !got);
        // Several keys in one object are a conjunction.
        if let (Tree::Atom(x), Tree::Atom(y)) = (&t, &Tree::Atom(json!({"c": true}))) {
            if x.get("c").is_none() {
                let mut both = x.as_object().cloned().unwrap_or_default();
                both.extend(y.as_object().cloned().unwrap_or_default());
                let both = Condition::compile(&Value::Object(both)).expect("compiles");
                prop_assert_eq!(both.eval(&attrs, &Value::Null), got && attrs["c"] == json!(true));
            }
        }
    }
}

// ------------------------------------------------------------ decisions

/// A site whose slots target segments, each variant written either with the
/// `segment` shorthand or as the explicit condition it stands for; the
/// segments' own conditions are never evaluated by `decide_context`.
const SEGMENT_IDS: [&str; 6] = ["zeta", "alpha", "mid", "beta", "omega", "gamma"];

fn segment_site(shorthand: bool, slots: &[Vec<(usize, Option<&str>)>]) -> Personalizer {
    // Priorities and ids out of config order, so that neither the priority
    // order nor the sorted ids line up with the config's positions.
    let segments: Vec<Value> = (0..6)
        .map(|i| json!({"id": SEGMENT_IDS[i], "priority": (i * 7) % 5, "when": {"n": i}}))
        .collect();
    let slots: Vec<Value> = slots
        .iter()
        .enumerate()
        .map(|(k, variants)| {
            let variants: Vec<Value> = variants
                .iter()
                .enumerate()
                .map(|(j, (seg, tier))| {
                    let seg = SEGMENT_IDS[*seg];
                    let mut v = if shorthand {
                        json!({"id": format!("v{j}"), "segment": seg, "content": j})
                    } else {
                        json!({"id": format!("v{j}"), "when": {"segments": {"$in": [seg]}}, "content": j})
                    };
                    if let Some(tier) = tier {
                        v["tier"] = json!(tier);
                    }
                    v
                })
                .collect();
            json!({"id": format!("slot{k}"), "variants": variants})
        })
        .collect();
    Personalizer::from_json(&json!({"segments": segments, "slots": slots}).to_string())
        .expect("generated sites compile")
}

proptest! {
    #![proptest_config(config(256))]

    /// A variant's `segment` shorthand (checked against the matched
    /// segments as a set) chooses exactly what the condition
    /// `{"segments": {"$in": [id]}}` chooses, whatever segments the context
    /// names: unknown ids, repeats, any order.
    #[test]
    fn segment_shorthand_decides_like_its_condition(
        slots in prop::collection::vec(
            prop::collection::vec((0usize..6, prop::option::of(prop::sample::select(vec!["cold", "warm", "hot"]))), 1..5),
            1..4),
        named in prop::collection::vec(prop::sample::select(vec!["zeta", "alpha", "mid", "beta", "omega", "gamma", "delta", "Alpha", ""]), 0..8),
        tier in prop::sample::select(vec!["cold", "warm", "hot"]),
    ) {
        let ctx = json!({"id": "v-1", "tier": tier, "segments": named});
        let short = segment_site(true, &slots).decide_context(&ctx);
        let long = segment_site(false, &slots).decide_context(&ctx);
        prop_assert_eq!(short.decisions.len(), long.decisions.len());
        for (a, b) in short.decisions.iter().zip(&long.decisions) {
            prop_assert_eq!(&a.variant, &b.variant, "slot {}", a.slot);
            if a.variant != "default" {
                prop_assert_eq!(a.reason.kind, ReasonKind::Segment);
                let chosen: usize = a.variant[1..].parse().expect("variant ids are v<j>");
                let wanted = SEGMENT_IDS[slots[slots_index(&a.slot)][chosen].0];
                prop_assert_eq!(a.reason.segment.as_deref(), Some(wanted));
            }
        }
    }
}

fn slots_index(slot: &str) -> usize {
    slot.trim_start_matches("slot")
        .parse()
        .expect("slot ids are slot<k>")
}

proptest! {
    #![proptest_config(config(128))]

    /// The compiled structures of generated models and of site configs
    /// around generated conditions, read back by the page's hand-written
    /// reader (src/compiled/read.rs) and written again by serde: the same
    /// bytes.
    #[test]
    fn compiled_structures_read_back_as_written(
        doc in model_doc(true, true, true),
        t in tree(),
        other in tree(),
    ) {
        let bytes = nurture::compiled::compile_model(&doc).expect("generated models compile");
        let frame = nurture::compiled::Frame::read(&bytes).expect("a compiled model reads");
        let section = frame.compiled_model.expect("it holds a model");
        let again = nurture::compiled::wire::rewrite_model(section);
        prop_assert_eq!(again.as_deref(), Some(section));
        let site = json!({
            "segments": [{"id": "s", "when": t.to_json()}],
            "slots": [{"id": "hero", "variants": [
                {"id": "a", "when": other.to_json(), "content": "A"},
                {"id": "b", "segment": "s", "content": {"n": 1}}]}]
        });
        let bytes = nurture::compiled::compile_site(&site).expect("generated sites compile");
        let frame = nurture::compiled::Frame::read(&bytes).expect("a compiled site reads");
        let section = frame.compiled_site.expect("it holds a site config");
        let again = nurture::compiled::wire::rewrite_site(section);
        prop_assert_eq!(again.as_deref(), Some(section));
    }
}
