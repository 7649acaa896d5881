//! The scoring engine, rule kind by rule kind, then worked scenarios whose
//! figures are computed by hand in the comments beside them.

use nurture::score::result::RuleTotal;
use nurture::score::{EventSource, Model, RuleSource, ScoreOptions, Stage, Tier, UnscoredEvent};
use nurture::ConfigDocument;
use serde_json::{json, Value};

/// 2026-11-25T18:42:00Z
const NOW: i64 = 1_795_632_120_000;
const DAY: i64 = 86_400_000;

fn model(doc: Value) -> Model {
    Model::from_value(doc).unwrap_or_else(|e| panic!("model should load: {e}"))
}

fn profile(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().expect("profile object")
}

fn fit_of(m: &Model, p: Value) -> nurture::score::result::FitResult {
    m.score(Some(&profile(p)), &[], NOW, &ScoreOptions::default())
        .fit
}

fn page(path: &str, days_ago: f64, dwell: Option<f64>) -> Value {
    let mut props = json!({ "path": path });
    if let Some(d) = dwell {
        props["dwellSeconds"] = json!(d);
    }
    json!({ "type": "page", "timestamp": NOW - (days_ago * DAY as f64) as i64, "properties": props })
}

fn track(name: &str, days_ago: f64) -> Value {
    json!({ "type": "track", "event": name, "timestamp": NOW - (days_ago * DAY as f64) as i64 })
}

fn fit_model(rules: Value) -> Model {
    model(json!({ "fit": { "rules": rules } }))
}

// ------------------------------------------------------------ fit rule kinds

/// Scores each `(name, profile, expected fit score)` with `m`.
fn fit_table(m: &Model, table: &[(&str, Value, f64)]) {
    for (name, p, expected) in table {
        assert_eq!(fit_of(m, p.clone()).score, *expected, "{name}: {p}");
    }
}

#[test]
fn fit_equals_ignores_case_and_spaces_and_compares_numbers() {
    let m = fit_model(json!([
        { "id": "retail", "field": "industry", "op": "equals", "value": "Retail", "points": 10 },
        { "id": "size", "field": "employees", "op": "equals", "value": 500, "points": 5 }
    ]));
    fit_table(
        &m,
        &[
            ("case and spaces", json!({ "industry": "  retail " }), 10.0),
            ("not a substring", json!({ "industry": "retailer" }), 0.0),
            ("number as text", json!({ "employees": "500" }), 5.0),
            ("number", json!({ "employees": 500 }), 5.0),
        ],
    );
}

#[test]
fn fit_one_of_matches_any_value_and_multi_select_arrays() {
    let m = fit_model(json!([
        { "id": "region", "field": "country", "op": "oneOf", "values": ["CN", "HK", "TW"], "points": 7 }
    ]));
    fit_table(
        &m,
        &[
            ("one value", json!({ "country": "hk" }), 7.0),
            ("multi-select", json!({ "country": ["US", "TW"] }), 7.0),
            ("other value", json!({ "country": "US" }), 0.0),
            ("no field", json!({}), 0.0),
        ],
    );
}

#[test]
fn fit_contains_finds_words_in_titles() {
    let m = fit_model(json!([
        { "id": "exec", "field": "title", "op": "contains", "values": ["chief", "vp", "总监"], "points": 20 }
    ]));
    fit_table(
        &m,
        &[
            ("English", json!({ "title": "Chief Revenue Officer" }), 20.0),
            ("Chinese", json!({ "title": "市场总监" }), 20.0),
            ("no word", json!({ "title": "Engineer" }), 0.0),
        ],
    );
}

#[test]
fn fit_pattern_uses_a_regular_expression() {
    let m = fit_model(json!([
        { "id": "cn-mobile", "field": "phone", "op": "pattern", "pattern": "^\\+86 ?1[3-9]\\d", "points": 4 }
    ]));
    fit_table(
        &m,
        &[
            ("match", json!({ "phone": "+86 138 0013 8000" }), 4.0),
            ("no match", json!({ "phone": "+1 415 555 0132" }), 0.0),
        ],
    );
}

#[test]
fn fit_range_is_inclusive_and_reads_numbers_as_people_type_them() {
    let m = fit_model(json!([
        { "id": "mid", "field": "companySize", "op": "range", "min": 200, "max": 999, "points": 12 },
        { "id": "rich", "field": "revenue", "op": "range", "min": 10000000, "points": 8 }
    ]));
    fit_table(
        &m,
        &[
            ("below min", json!({ "companySize": 199 }), 0.0),
            ("at min", json!({ "companySize": 200 }), 12.0),
            ("at max", json!({ "companySize": 999 }), 12.0),
            ("above max", json!({ "companySize": 1000 }), 0.0),
            (
                "a range as its lower bound",
                json!({ "companySize": "201-500" }),
                12.0,
            ),
            (
                "thousands and a plus",
                json!({ "companySize": "1,000+" }),
                0.0,
            ),
            ("not a number", json!({ "companySize": "lots" }), 0.0),
            ("currency and a suffix", json!({ "revenue": "$12M" }), 8.0),
            ("just below min", json!({ "revenue": 9_999_999 }), 0.0),
        ],
    );
}

#[test]
fn fit_present_and_absent() {
    let m = fit_model(json!([
        { "id": "need", "field": "need", "op": "present", "points": 5 },
        { "id": "no-phone", "field": "phone", "op": "absent", "points": -3 }
    ]));
    fit_table(
        &m,
        &[
            (
                "present and not absent",
                json!({ "need": "replace our CRM", "phone": "x" }),
                5.0,
            ),
            ("blank text is absent", json!({ "need": "  " }), -3.0),
            (
                "empty array and empty text",
                json!({ "need": [], "phone": "" }),
                -3.0,
            ),
        ],
    );
}

#[test]
fn fit_nested_fields_use_dotted_paths() {
    let m = fit_model(json!([
        { "id": "big", "field": "company.size", "op": "range", "min": 1000, "points": 20 }
    ]));
    fit_table(
        &m,
        &[
            ("nested", json!({ "company": { "size": 4000 } }), 20.0),
            ("not an object", json!({ "company": "Acme" }), 0.0),
        ],
    );
}

#[test]
fn fit_groups_count_only_the_first_match() {
    let m = fit_model(json!([
        { "id": "exec", "field": "title", "op": "contains", "values": ["director"], "points": 25, "group": "seniority" },
        { "id": "mgr", "field": "title", "op": "contains", "values": ["manager", "director"], "points": 15, "group": "seniority" }
    ]));
    let fit = fit_of(&m, json!({ "title": "Director, Product Manager" }));
    assert_eq!(fit.score, 25.0);
    assert_eq!(fit.breakdown.len(), 1);
    assert_eq!(fit.breakdown[0].rule, "exec");
    assert_eq!(fit_of(&m, json!({ "title": "Sales Manager" })).score, 15.0);
}

// ------------------------------------------------------------ negative fit

fn negative_model() -> Model {
    model(json!({ "fit": { "negative": {
        "freeEmail": { "points": -10 },
        "disposableEmail": { "points": -30 },
        "roleEmail": { "points": -5 },
        "fakePhone": { "points": -15 },
        "missingCompany": { "points": -10 },
        "student": { "points": -30 },
        "jobSeeker": { "points": -40 },
        "competitor": { "points": -100, "domains": ["rival.example"] }
    } } }))
}

fn negatives(p: Value) -> Vec<(String, f64)> {
    fit_of(&negative_model(), p)
        .breakdown
        .into_iter()
        .map(|b| (b.rule, b.points))
        .collect()
}

#[test]
fn negative_checks_each_fire_on_their_own() {
    // (what, profile fields added to a lead at a real company, the one check
    // expected to fire or none)
    /// The check expected to fire, with its points.
    type Fires = Option<(&'static str, f64)>;
    let table: [(&str, Value, Fires); 13] = [
        (
            "business e-mail",
            json!({ "email": "a.b@acme.example" }),
            None,
        ),
        (
            "free e-mail",
            json!({ "email": "a.b@gmail.com" }),
            Some(("negative.freeEmail", -10.0)),
        ),
        (
            "disposable e-mail",
            json!({ "email": "a.b@mailinator.com" }),
            Some(("negative.disposableEmail", -30.0)),
        ),
        (
            "role e-mail",
            json!({ "email": "info@acme.example" }),
            Some(("negative.roleEmail", -5.0)),
        ),
        (
            "one digit repeated",
            json!({ "phone": "1111111" }),
            Some(("negative.fakePhone", -15.0)),
        ),
        (
            "empty phone",
            json!({ "phone": "" }),
            Some(("negative.fakePhone", -15.0)),
        ),
        ("real phone", json!({ "phone": "+86 10 5998 6000" }), None),
        (
            "student title",
            json!({ "title": "Graduate student" }),
            Some(("negative.student", -30.0)),
        ),
        (
            "academic domain",
            json!({ "email": "x@pku.edu.cn" }),
            Some(("negative.student", -30.0)),
        ),
        (
            "job seeker title",
            json!({ "title": "Open to work" }),
            Some(("negative.jobSeeker", -40.0)),
        ),
        (
            "job seeker role in Chinese",
            json!({ "role": "求职" }),
            Some(("negative.jobSeeker", -40.0)),
        ),
        (
            "competitor e-mail subdomain",
            json!({ "email": "spy@eu.rival.example" }),
            Some(("negative.competitor", -100.0)),
        ),
        (
            "competitor website",
            json!({ "website": "https://www.rival.example" }),
            Some(("negative.competitor", -100.0)),
        ),
    ];
    for (what, extra, expected) in table {
        let mut p = json!({ "company": "Acme" });
        for (k, v) in extra.as_object().expect("fields") {
            p[k] = v.clone();
        }
        let expected: Vec<(String, f64)> = expected
            .map(|(rule, points)| (rule.to_string(), points))
            .into_iter()
            .collect();
        assert_eq!(negatives(p), expected, "{what}");
    }
}

#[test]
fn missing_company_only_counts_for_known_leads() {
    let missing = || vec![("negative.missingCompany".to_string(), -10.0)];
    for (what, p, expected) in [
        ("not a known lead", json!({}), vec![]),
        (
            "placeholder company",
            json!({ "email": "a@acme.example", "company": "N/A" }),
            missing(),
        ),
        (
            "no company",
            json!({ "email": "a@acme.example" }),
            missing(),
        ),
    ] {
        assert_eq!(negatives(p), expected, "{what}");
    }
}

// ------------------------------------------------------------ grades

#[test]
fn every_fit_grade_boundary() {
    // One rule worth exactly `score` points sets the fit score.
    let grade_at = |score: f64| {
        let m = model(json!({ "fit": {
            "rules": [{ "id": "p", "field": "p", "op": "present", "points": score }],
            "grades": { "A": 60, "B": 40, "C": 20 } } }));
        fit_of(&m, json!({ "p": true })).grade
    };
    for (score, grade) in [
        (100.0, 'A'),
        (60.0, 'A'),
        (59.99, 'B'),
        (40.0, 'B'),
        (39.99, 'C'),
        (20.0, 'C'),
        (19.99, 'D'),
        (0.0, 'D'),
        (-50.0, 'D'),
    ] {
        assert_eq!(grade_at(score), grade, "fit {score}");
    }
}

#[test]
fn every_engagement_level_boundary_and_tier() {
    let at = |points: f64| {
        let m = model(json!({ "engagement": {
            "halfLifeDays": null,
            "rules": [{ "id": "x", "event": "X", "points": points }],
            "levels": { "1": 60, "2": 30, "3": 10 } },
            "tiers": { "warm": 20, "hot": 50 } }));
        let r = m.score(None, &[track("X", 1.0)], NOW, &ScoreOptions::default());
        (r.engagement.level, r.tier)
    };
    for (points, level, tier) in [
        (75.0, 1, Tier::Hot),
        (60.0, 1, Tier::Hot),
        (59.99, 2, Tier::Hot),
        (50.0, 2, Tier::Hot),
        (49.99, 2, Tier::Warm),
        (30.0, 2, Tier::Warm),
        (29.99, 3, Tier::Warm),
        (20.0, 3, Tier::Warm),
        (19.99, 3, Tier::Cold),
        (10.0, 3, Tier::Cold),
        (9.99, 4, Tier::Cold),
        (-5.0, 4, Tier::Cold),
    ] {
        assert_eq!(at(points), (level, tier), "engagement {points}");
    }
}

#[test]
fn the_grid_combines_fit_letter_and_engagement_level() {
    for (fit, engagement, grade) in [
        (60.0, 60.0, "A1"),
        (60.0, 9.0, "A4"),
        (45.0, 35.0, "B2"),
        (25.0, 15.0, "C3"),
        (0.0, 0.0, "D4"),
        (19.0, 70.0, "D1"),
    ] {
        let m = model(json!({
            "fit": { "rules": [{ "id": "f", "field": "f", "op": "present", "points": fit }] },
            "engagement": { "halfLifeDays": null, "rules": [{ "id": "e", "event": "E", "points": engagement }] }
        }));
        let r = m.score(
            Some(&profile(json!({ "f": 1 }))),
            &[track("E", 0.0)],
            NOW,
            &ScoreOptions::default(),
        );
        assert_eq!(r.grade, grade);
    }
}

#[test]
fn mql_by_grade_or_by_both_thresholds() {
    let m = model(json!({
        "fit": { "rules": [{ "id": "f", "field": "f", "op": "range", "min": 0, "points": 45 }] },
        "engagement": { "halfLifeDays": null, "rules": [{ "id": "e", "event": "E", "points": 35 }] },
        "mql": { "grades": ["A1"], "minFit": 40, "minEngagement": 30 }
    }));
    let r = m.score(
        Some(&profile(json!({ "f": 1 }))),
        &[track("E", 0.0)],
        NOW,
        &ScoreOptions::default(),
    );
    assert_eq!(r.grade, "B2");
    assert!(r.mql.qualified, "{}", r.mql.reason);
    assert_eq!(r.mql.reason, "fit 45 ≥ 40 and engagement 35 ≥ 30");
    let r = m.score(
        Some(&profile(json!({ "f": 1 }))),
        &[],
        NOW,
        &ScoreOptions::default(),
    );
    assert!(!r.mql.qualified);
}

// ------------------------------------------------------------ engagement

fn decay_model() -> Model {
    model(json!({ "engagement": {
        "halfLifeDays": 30,
        "rules": [{ "id": "dl", "event": "Download", "points": 10 }] } }))
}

#[test]
fn decay_at_several_ages() {
    // 10 × 0.5^(age / 30)
    for (age, expected) in [
        (0.0, 10.0),
        (7.0, 8.51),  // 10 × 0.5^(7/30) = 8.5092
        (15.0, 7.07), // 10 × 0.5^0.5 = 7.0711
        (30.0, 5.0),
        (60.0, 2.5),
        (90.0, 1.25),
        (365.0, 0.0), // 10 × 0.5^12.17 = 0.0022
    ] {
        let r = decay_model().score(
            None,
            &[track("Download", age)],
            NOW,
            &ScoreOptions::default(),
        );
        assert_eq!(r.engagement.score, expected, "age {age}");
        let point = &r.engagement.breakdown[0];
        assert!((point.base_points - point.points - point.decay_lost).abs() < 1e-3);
    }
}

#[test]
fn decay_can_be_turned_off_per_rule() {
    let m = model(json!({ "engagement": { "halfLifeDays": 30, "rules": [
        { "id": "contract", "event": "Contract Signed", "points": 100, "halfLifeDays": null }
    ] } }));
    let r = m.score(
        None,
        &[track("Contract Signed", 300.0)],
        NOW,
        &ScoreOptions::default(),
    );
    assert_eq!(r.engagement.score, 100.0);
    assert_eq!(r.engagement.decay_lost, 0.0);
}

#[test]
fn touchpoint_weight_times_action_points_times_decay() {
    let m = model(json!({ "engagement": {
        "halfLifeDays": 30,
        "touchpoints": [
            { "id": "pricing", "url": "/pricing*", "weight": 3, "tags": ["pricing"] },
            { "id": "careers", "url": "/careers*", "weight": -2 }
        ],
        "rules": [{ "id": "view", "event": "page", "points": 2 }] } }));
    let events = [
        page("/pricing/enterprise", 30.0, None), // 2 × 3 × 0.5 = 3
        page("/careers", 0.0, None),             // 2 × −2 × 1 = −4
        page("/about", 0.0, None),               // 2 × 1 × 1 = 2
    ];
    let r = m.score(None, &events, NOW, &ScoreOptions::default());
    assert_eq!(r.engagement.score, 1.0);
    let first = &r.engagement.breakdown[0];
    assert_eq!(first.touchpoint.as_deref(), Some("pricing"));
    assert_eq!(
        (
            first.touchpoint_weight,
            first.action_points,
            first.base_points,
            first.decay,
            first.points,
            first.decay_lost
        ),
        (3.0, 2.0, 6.0, 0.5, 3.0, 3.0)
    );
}

#[test]
fn rules_match_on_url_tags_and_dwell() {
    let m = model(json!({ "engagement": { "halfLifeDays": null, "rules": [
        { "id": "guide", "url": "/guides/*", "points": 1 },
        { "id": "oil", "tags": ["Oil & Gas"], "points": 4 },
        { "id": "long", "event": "page", "minDwellSeconds": 60, "points": 3 }
    ] } }));
    let mut tagged = page("/news/x", 0.0, Some(59.0));
    tagged["properties"]["tags"] = json!(["oil & gas", "upstream"]);
    let r = m.score(
        None,
        &[page("/guides/edge", 0.0, Some(60.0)), tagged],
        NOW,
        &ScoreOptions::default(),
    );
    let hits: Vec<(&str, usize)> = r
        .engagement
        .breakdown
        .iter()
        .map(|b| (b.rule.as_str(), b.event_index))
        .collect();
    assert_eq!(hits, vec![("guide", 0), ("long", 0), ("oil", 1)]);
    assert_eq!(r.engagement.score, 8.0);
}

#[test]
fn frequency_cap_in_a_sliding_window() {
    let m = model(json!({ "engagement": { "halfLifeDays": null, "rules": [
        { "id": "open", "event": "Email Opened", "points": 1, "cap": { "count": 2, "windowDays": 7 } }
    ] } }));
    // Days ago: 20, 19, 18 (third in window capped), 10 (window of day 20 and
    // 19 has passed: counts), 9 (counts: only day 10 within 7 days), 8 (cap).
    let events: Vec<Value> = [20.0, 19.0, 18.0, 10.0, 9.0, 8.0]
        .iter()
        .map(|d| track("Email Opened", *d))
        .collect();
    let r = m.score(None, &events, NOW, &ScoreOptions::default());
    let capped: Vec<bool> = r.engagement.breakdown.iter().map(|b| b.capped).collect();
    assert_eq!(capped, vec![false, false, true, false, false, true]);
    assert_eq!(r.engagement.score, 4.0);
    assert_eq!(r.engagement.rules[0].capped, 2);
    assert_eq!(r.engagement.rules[0].events, 6);
}

#[test]
fn lifetime_cap_and_batch_order_does_not_matter() {
    let m = model(json!({ "engagement": { "halfLifeDays": 30, "rules": [
        { "id": "dl", "event": "Download", "points": 10, "cap": { "count": 1 } }
    ] } }));
    // Only the earliest download counts, whatever order the batch came in.
    let events = [track("Download", 0.0), track("Download", 30.0)];
    let r = m.score(None, &events, NOW, &ScoreOptions::default());
    assert_eq!(r.engagement.score, 5.0);
    assert_eq!(r.engagement.breakdown[0].event_index, 1);
    assert!(r.engagement.breakdown[1].capped);
}

#[test]
fn inactivity_penalty_after_a_month_without_interaction() {
    let m = model(json!({ "engagement": { "halfLifeDays": null,
        "rules": [{ "id": "dl", "event": "Download", "points": 10 }],
        "inactivity": { "afterDays": 30, "points": -30, "ignore": ["Email Delivered"] } } }));
    let score = |events: &[Value]| {
        m.score(None, events, NOW, &ScoreOptions::default())
            .engagement
    };
    // (what, events, engagement score, penalty)
    /// The penalty as (times, points, days since the last interaction).
    type Penalty = Option<(u32, f64, f64)>;
    let table: [(&str, Vec<Value>, f64, Penalty); 5] = [
        ("no history, no penalty", vec![], 0.0, None),
        ("29.9 days", vec![track("Download", 29.9)], 10.0, None),
        (
            "exactly 30 days",
            vec![track("Download", 30.0)],
            -20.0,
            Some((1, -30.0, 30.0)),
        ),
        (
            "a delivered e-mail is not an interaction",
            vec![track("Download", 45.0), track("Email Delivered", 1.0)],
            -20.0,
            Some((1, -30.0, 45.0)),
        ),
        (
            "once, not once a month, unless asked",
            vec![track("Download", 95.0)],
            -20.0,
            Some((1, -30.0, 95.0)),
        ),
    ];
    for (what, events, expected, penalty) in table {
        let e = score(&events);
        assert_eq!(e.score, expected, "{what}");
        let got = e
            .inactivity
            .map(|p| (p.times, p.points, p.days_since_last_interaction));
        assert_eq!(got, penalty, "{what}");
    }
}

#[test]
fn repeating_inactivity_penalty_is_bounded() {
    let m = model(json!({ "engagement": { "halfLifeDays": null,
        "rules": [{ "id": "dl", "event": "Download", "points": 10 }],
        "inactivity": { "afterDays": 30, "points": -10, "repeat": true, "maxRepeats": 2 } } }));
    for (days_ago, times, score) in [
        (29.0, None, 10.0),
        (35.0, Some(1), 0.0),    // 10 − 10
        (65.0, Some(2), -10.0),  // 10 − 2 × 10
        (200.0, Some(2), -10.0), // capped at 2 repeats
    ] {
        let r = m.score(
            None,
            &[track("Download", days_ago)],
            NOW,
            &ScoreOptions::default(),
        );
        assert_eq!(r.engagement.score, score, "{days_ago} days");
        assert_eq!(
            r.engagement.inactivity.map(|p| p.times),
            times,
            "{days_ago} days"
        );
    }
}

#[test]
fn bad_events_are_rejected_and_good_ones_kept() {
    let r = decay_model().score(
        None,
        &[
            track("Download", 0.0),
            json!({ "type": "track" }),
            json!(42),
            track("Download", 30.0),
        ],
        NOW,
        &ScoreOptions::default(),
    );
    assert_eq!(r.events_scored, 2);
    assert_eq!(r.engagement.score, 15.0);
    let rejected: Vec<usize> = r.rejected.iter().map(|x| x.index).collect();
    assert_eq!(rejected, vec![1, 2]);
}

#[test]
fn breakdown_can_be_left_out_but_rule_totals_stay() {
    let r = decay_model().score(
        None,
        &[track("Download", 0.0)],
        NOW,
        &ScoreOptions {
            breakdown: false,
            ..ScoreOptions::default()
        },
    );
    assert!(r.engagement.breakdown.is_empty());
    assert_eq!(r.engagement.rules[0].points, 10.0);
}

#[test]
fn interests_follow_the_tag_weight_formula() {
    // Seed 003: "visitor A saved a content-marketing article a week ago"
    // gives the tag `content marketing` the weight 0.448 = time decay ×
    // URL weight × action weight. With a 7-day half-life, a 1.12 URL weight
    // and a 0.8 action weight: 0.5 × 1.12 × 0.8 = 0.448.
    let m = model(json!({ "engagement": {
        "halfLifeDays": 7,
        "touchpoints": [{ "id": "wechat", "url": "/articles/*", "weight": 1.12, "tags": ["Content Marketing"] }],
        "rules": [{ "id": "save", "event": "Article Saved", "points": 0.8 }] } }));
    let mut saved = track("Article Saved", 7.0);
    saved["properties"] = json!({ "url": "https://mp.example/articles/42" });
    let r = m.score(None, &[saved], NOW, &ScoreOptions::default());
    assert_eq!(r.interests.len(), 1);
    assert_eq!(r.interests[0].tag, "content marketing");
    assert_eq!(r.interests[0].weight, 0.448);
    assert_eq!(r.interests[0].share, 1.0);
}

// ------------------------------------------------------------ trust levels

/// `track()` with Segment's `channel`.
fn track_via(name: &str, days_ago: f64, channel: Value) -> Value {
    let mut e = track(name, days_ago);
    e["channel"] = channel;
    e
}

const BROWSER: ScoreOptions = ScoreOptions {
    breakdown: true,
    source: EventSource::Browser,
};

/// The back-office actions of the default model, with their rule and points.
const BACK_OFFICE: [(&str, &str, f64); 4] = [
    ("Webinar Attended", "live-stream", 30.0),
    ("Offline Event Attended", "offline-event", 50.0),
    ("Demo Requested", "sales-request", 40.0),
    ("Email Clicked", "email-click", 3.0),
];

fn rule_total<'a>(r: &'a nurture::ScoreResult, id: &str) -> &'a RuleTotal {
    r.engagement
        .rules
        .iter()
        .find(|t| t.rule == id)
        .unwrap_or_else(|| panic!("no rule {id}"))
}

#[test]
fn a_browser_reporting_a_back_office_action_scores_zero_and_says_why() {
    let m = Model::default_model();
    for (name, rule, _) in BACK_OFFICE {
        for channel in [
            json!("browser"),
            json!("Browser"),
            json!("mobile"),
            json!("web"),
        ] {
            let mut event = track_via(name, 0.0, channel.clone());
            event["messageId"] = json!("m1");
            let r = m.score(None, &[event], NOW, &ScoreOptions::default());
            assert_eq!(r.engagement.score, 0.0, "{name} via {channel}");
            assert_eq!(r.events_scored, 1);
            assert!(r.rejected.is_empty());
            assert_eq!(
                r.unscored,
                vec![UnscoredEvent {
                    index: 0,
                    id: Some("m1".into()),
                    rule: rule.into(),
                    reason: format!(
                        "\"{name}\" counts only when a back-office source reports it \
                         (rule {rule}); reported by a browser, it scores 0"
                    ),
                }]
            );
            let total = rule_total(&r, rule);
            assert_eq!((total.events, total.untrusted, total.capped), (1, 1, 0));
            assert_eq!(total.points, 0.0);
            let point = &r.engagement.breakdown[0];
            assert!(point.untrusted && !point.capped);
            assert_eq!((point.points, point.decay_lost), (0.0, 0.0));
            // No stage evidence either: a browser cannot claim the decision stage.
            assert_eq!(r.stage, Stage::Awareness);
            assert_eq!(
                r.stage_evidence.decision + r.stage_evidence.consideration,
                0.0
            );
        }
    }
}

#[test]
fn the_same_actions_count_from_a_server_or_without_a_channel() {
    let m = Model::default_model();
    for (name, rule, points) in BACK_OFFICE {
        for event in [
            track(name, 0.0),
            track_via(name, 0.0, json!("server")),
            track_via(name, 0.0, json!("SERVER")),
            track_via(name, 0.0, Value::Null),
        ] {
            let r = m.score(None, &[event], NOW, &ScoreOptions::default());
            assert_eq!(r.engagement.score, points, "{name}");
            assert!(r.unscored.is_empty());
            assert_eq!(rule_total(&r, rule).untrusted, 0);
            assert!(!r.engagement.breakdown[0].untrusted);
        }
    }
}

#[test]
fn a_browser_source_overrides_a_server_channel() {
    let m = Model::default_model();
    let events: Vec<Value> = BACK_OFFICE
        .iter()
        .map(|(name, _, _)| track_via(name, 0.0, json!("server")))
        .chain([track("Download", 0.0)])
        .collect();
    let r = m.score(None, &events, NOW, &BROWSER);
    // Only the download, which any source may report.
    assert_eq!(r.engagement.score, 10.0);
    let unscored: Vec<(usize, &str)> = r
        .unscored
        .iter()
        .map(|u| (u.index, u.rule.as_str()))
        .collect();
    assert_eq!(
        unscored,
        vec![
            (0, "live-stream"),
            (1, "offline-event"),
            (2, "sales-request"),
            (3, "email-click")
        ]
    );
    // Listed without a breakdown too.
    let quiet = ScoreOptions {
        breakdown: false,
        ..BROWSER
    };
    let r2 = m.score(None, &events, NOW, &quiet);
    assert!(r2.engagement.breakdown.is_empty());
    assert_eq!(r2.unscored, r.unscored);
    // Already parsed events: the option still decides.
    let (parsed, _) =
        nurture::score::event::parse_events(&events, NOW, 300_000, EventSource::Server);
    assert!(parsed.iter().all(|e| e.from_server));
    let r3 = m.score_events(None, &parsed, NOW, &BROWSER);
    assert_eq!((r3.engagement.score, r3.unscored.len()), (10.0, 4));
}

#[test]
fn a_channel_that_is_not_a_string_rejects_the_event_and_keeps_the_others() {
    let m = Model::default_model();
    let events = [
        track_via("Demo Requested", 0.0, json!(1)),
        track("Download", 0.0),
        track_via("Webinar Attended", 0.0, json!({ "name": "server" })),
        track_via("Webinar Attended", 0.0, json!("server")),
    ];
    let r = m.score(None, &events, NOW, &ScoreOptions::default());
    let reasons: Vec<(usize, &str)> = r
        .rejected
        .iter()
        .map(|x| (x.index, x.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (0, "channel: expected a string, found a number"),
            (2, "channel: expected a string, found an object"),
        ]
    );
    assert_eq!(r.events_scored, 2);
    assert_eq!(r.engagement.score, 40.0); // download 10 + webinar 30
}

#[test]
fn a_browser_match_takes_no_cap_slot_but_is_an_interaction() {
    let m = Model::default_model();
    // sales-request counts once a week: the browser's claim two days ago
    // does not use up the week, so the back office's request today counts.
    let events = [
        track_via("Demo Requested", 2.0, json!("browser")),
        track("Demo Requested", 0.0),
    ];
    let r = m.score(None, &events, NOW, &ScoreOptions::default());
    assert_eq!(r.engagement.score, 40.0);
    let total = rule_total(&r, "sales-request");
    assert_eq!((total.events, total.untrusted, total.capped), (2, 1, 0));
    // A visitor whose only recent action is a browser's claim is still active.
    let active = m.score(
        None,
        &[
            track("Download", 40.0),
            track_via("Demo Requested", 1.0, json!("browser")),
        ],
        NOW,
        &ScoreOptions::default(),
    );
    assert!(active.engagement.inactivity.is_none());
}

#[test]
fn offline_events_count_at_most_twice_a_month() {
    let m = Model::default_model();
    let events = [
        track("Offline Event Attended", 20.0),
        track("Event Attended", 10.0),
        track("Offline Event Attended", 5.0),
    ];
    let r = m.score(None, &events, NOW, &ScoreOptions::default());
    let total = rule_total(&r, "offline-event");
    assert_eq!((total.events, total.capped, total.untrusted), (3, 1, 0));
    // 50 × 0.5^(20/30) + 50 × 0.5^(10/30); the third is capped.
    let expected = 50.0 * 0.5f64.powf(20.0 / 30.0) + 50.0 * 0.5f64.powf(10.0 / 30.0);
    assert!(
        (r.engagement.score - expected).abs() < 0.01,
        "{}",
        r.engagement.score
    );
    assert!(r.engagement.breakdown[2].capped);
}

#[test]
fn an_anonymous_browser_cannot_talk_its_way_to_mql() {
    let m = Model::default_model();
    let mut events = vec![
        track("Offline Event Attended", 0.0),
        track("Webinar Attended", 0.0),
        track("Demo Requested", 0.0),
        track("Form Submitted", 0.0),
        track("Email Clicked", 0.0),
    ];
    events.extend((0..60).map(|i| page("/pricing", f64::from(i) / 100.0, Some(90.0))));
    let r = m.score(Some(&profile(json!({}))), &events, NOW, &BROWSER);
    // Page views only, within their daily caps: 20 views × 2 × 3 and 10
    // reads × 3 × 3 (pricing weighs 3), with a little decay.
    let rules: Vec<(&str, usize)> = r
        .engagement
        .rules
        .iter()
        .filter(|t| t.untrusted > 0)
        .map(|t| (t.rule.as_str(), t.untrusted))
        .collect();
    assert_eq!(
        rules,
        vec![
            ("live-stream", 1),
            ("offline-event", 1),
            ("sales-request", 1),
            ("form-submit", 1),
            ("email-click", 1)
        ]
    );
    assert_eq!(r.unscored.len(), 5);
    assert!(r.engagement.score <= 20.0 * 6.0 + 10.0 * 9.0);
    assert_eq!(r.fit.grade, 'D');
    assert!(!r.mql.qualified, "{}", r.mql.reason);
    // Served by a server, the same batch would have counted 50 + 30 + 40 +
    // 15 + 3 more.
    let trusted = m.score(
        Some(&profile(json!({}))),
        &events,
        NOW,
        &ScoreOptions::default(),
    );
    assert!((trusted.engagement.score - r.engagement.score - 138.0).abs() < 0.01);
}

#[test]
fn a_rule_source_is_any_or_server() {
    let m = model(
        json!({ "fit": { "browserTraits": ["utmSource", "favouriteColour"] },
        "engagement": { "rules": [
            { "id": "a", "event": "A", "points": 1 },
            { "id": "s", "event": "S", "points": 1, "source": "server" },
            { "id": "x", "event": "X", "points": 1, "source": "any" }
        ] } }),
    );
    assert_eq!(m.browser_traits(), ["utmSource", "favouriteColour"]);
    let sources: Vec<RuleSource> = m
        .config()
        .engagement
        .rules
        .iter()
        .map(|r| r.source)
        .collect();
    assert_eq!(
        sources,
        vec![RuleSource::Any, RuleSource::Server, RuleSource::Any]
    );
    assert!(Model::default_model().browser_traits().is_empty());
    let err = Model::from_value(json!({ "engagement": { "rules": [
        { "id": "s", "points": 1, "source": "edge" }
    ] } }))
    .unwrap_err()
    .errors
    .remove(0);
    assert_eq!(err.path, "engagement.rules[0].source");
    let err = Model::from_value(json!({ "fit": { "browserTraits": "title" } }))
        .unwrap_err()
        .errors
        .remove(0);
    assert_eq!(err.path, "fit.browserTraits");
}

#[test]
fn a_model_may_name_its_json_schema() {
    let m = model(json!({
        "$schema": "./node_modules/nurture/schema/model.schema.json",
        "name": "with a schema"
    }));
    assert_eq!(
        m.warnings(),
        model(json!({ "name": "with a schema" })).warnings()
    );
    // Only at the top: inside the document it is an unknown key like any other.
    let err = Model::from_value(json!({ "fit": { "$schema": "x" } }))
        .unwrap_err()
        .errors
        .remove(0);
    assert_eq!(err.path, "fit.$schema");
    let err = Model::from_value(json!({ "$schema": 1 }))
        .unwrap_err()
        .errors
        .remove(0);
    assert_eq!(err.path, "$schema");
}

#[test]
fn a_serialized_model_config_loads_as_the_same_model() {
    // A rule without halfLifeDays inherits the model's half-life; `null` turns
    // decay off. Serializing used to write `null` for both.
    let m = model(json!({
        "$schema": "model.schema.json",
        "engagement": { "halfLifeDays": 7, "rules": [
            { "id": "inherits", "event": "A", "points": 10 },
            { "id": "never-decays", "event": "B", "points": 10, "halfLifeDays": null },
            { "id": "own", "event": "C", "points": 10, "halfLifeDays": 1 }
        ] },
        "interests": { "top": 3 }
    }));
    let doc = serde_json::to_value(m.config()).unwrap();
    assert_eq!(doc["$schema"], "model.schema.json");
    let rules = &doc["engagement"]["rules"];
    assert_eq!(rules[0].get("halfLifeDays"), None);
    assert_eq!(rules[1].get("halfLifeDays"), Some(&Value::Null));
    assert_eq!(rules[2]["halfLifeDays"], 1.0);
    assert_eq!(doc["interests"].get("halfLifeDays"), None);

    let again = model(doc.clone());
    assert_eq!(serde_json::to_value(again.config()).unwrap(), doc);
    let events = [track("A", 7.0), track("B", 7.0), track("C", 7.0)];
    let options = ScoreOptions::default();
    let r = again.score(None, &events, NOW, &options);
    assert_eq!(r, m.score(None, &events, NOW, &options));
    // 10 × 0.5^(7/7) + 10 + 10 × 0.5^(7/1) = 5 + 10 + 0.078
    assert_eq!(r.engagement.score, 15.08);
}

// ------------------------------------------------------------ worked scenarios

#[test]
fn default_model_loads_without_warnings() {
    let m = Model::default_model();
    assert!(m.warnings().is_empty(), "{:?}", m.warnings());
    assert_eq!(
        Model::from_json(nurture::score::DEFAULT_MODEL_JSON).map(|_| ()),
        Ok(())
    );
}

/// A case of the shared scoring vectors (tests/data/vectors/scoring.json),
/// scored here: the tests below check the hand-computed figures of a case
/// that tests/scoring_vectors.rs compares whole.
fn vector_case(name: &str) -> nurture::ScoreResult {
    let doc: Value = serde_json::from_str(include_str!("data/vectors/scoring.json"))
        .expect("scoring.json is JSON");
    let case = doc["cases"]
        .as_array()
        .and_then(|cases| cases.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no vector named {name:?}"));
    assert!(case.get("model").is_none() && case.get("options").is_none());
    let events = case["events"].as_array().cloned().unwrap_or_default();
    let now = case["now"].as_i64().expect("now");
    Model::default_model().score(
        case["profile"].as_object(),
        &events,
        now,
        &ScoreOptions::default(),
    )
}

#[test]
fn scenario_hot_decision_stage_lead() {
    // The README's lead at PetroChina (with a phone) and four events:
    //   Event Attended 60 days ago: 50 × 1 × 0.25 = 12.5 (consideration)
    //   /case-studies/refinery 30 days ago, 120 s: (2 + 3) × 2 × 0.5 = 5 (consideration)
    //   /pricing now, 90 s: (2 + 3) × 3 × 1 = 15 (decision)
    //   Demo Requested now: 40 × 1 × 1 = 40 (decision)
    let r = vector_case("scenario: the hot lead with a case study read a month ago");
    // Fit: decision-maker 25 + industry 15 + enterprise 20 + region 5 +
    // budget 10 + timeline 10 = 85.
    assert_eq!(r.fit.score, 85.0);
    assert_eq!(r.fit.grade, 'A');
    assert_eq!(r.fit.breakdown.len(), 6);
    // Engagement: 12.5 + 5 + 15 + 40 = 72.5.
    assert_eq!(r.engagement.score, 72.5);
    assert_eq!(r.engagement.level, 1);
    // Decay took 37.5 from the event and 5 from the case study.
    assert_eq!(r.engagement.decay_lost, 42.5);
    assert_eq!(r.grade, "A1");
    assert_eq!(r.tier, Tier::Hot);
    // Decision evidence 15 + 40 = 55 ≥ 20.
    assert_eq!(r.stage, Stage::Decision);
    assert_eq!(r.stage_evidence.decision, 55.0);
    assert_eq!(r.stage_evidence.consideration, 17.5);
    assert!(r.mql.qualified);
    assert_eq!(r.mql.reason, "grade A1 is one of the MQL grades");
    // Interests: pricing (2 + 3) × 3 = 15; case study (2 + 3) × 2 × 0.5 = 5.
    let interests: Vec<(&str, f64)> = r
        .interests
        .iter()
        .map(|i| (i.tag.as_str(), i.weight))
        .collect();
    assert_eq!(interests, vec![("pricing", 15.0), ("case study", 5.0)]);
    assert_eq!(r.interests[0].share, 0.75);
}

#[test]
fn scenario_cold_student_on_free_mail() {
    // xiaoming2003@163.com, title Student, company "", and one blog page
    // 60 days ago, read 30 s: 2 × 1 × 0.25 = 0.5.
    let r = vector_case("scenario: a cold student on free mail");
    // Fit: free mail −10, missing company −10, student −30 = −50.
    assert_eq!(r.fit.score, -50.0);
    let rules: Vec<&str> = r.fit.breakdown.iter().map(|b| b.rule.as_str()).collect();
    assert_eq!(
        rules,
        vec![
            "negative.freeEmail",
            "negative.missingCompany",
            "negative.student"
        ]
    );
    // Engagement: 0.5 − 30 (60 days without interaction) = −29.5.
    assert_eq!(r.engagement.score, -29.5);
    assert_eq!(r.grade, "D4");
    assert_eq!(r.tier, Tier::Cold);
    assert_eq!(r.stage, Stage::Awareness);
    assert!(!r.mql.qualified);
}

#[test]
fn scenario_job_seeker_reading_the_careers_page() {
    // jane.doe@gmail.com, "Looking for new opportunities" at Acme Corp;
    // pages today: / for 5 s (2 × 1 = 2), /careers for 120 s
    // ((2 + 3) × −3 = −15), /careers/engineering for 10 s (2 × −3 = −6).
    let r = vector_case("scenario: a job seeker reading the careers pages");
    // Fit: free mail −10, job seeker −40 = −50.
    assert_eq!(r.fit.score, -50.0);
    // Engagement: 2 − 15 − 6 = −19.
    assert_eq!(r.engagement.score, -19.0);
    assert_eq!(r.grade, "D4");
    assert_eq!(r.tier, Tier::Cold);
    assert_eq!(r.interests[0].tag, "careers");
    assert_eq!(r.interests[0].weight, 21.0);
    let careers_points: f64 = r
        .engagement
        .breakdown
        .iter()
        .filter(|b| b.touchpoint.as_deref() == Some("careers"))
        .map(|b| b.points)
        .sum();
    assert_eq!(careers_points, -21.0);
}

// ------------------------------------------------------------ config errors

fn load_error(doc: Value) -> String {
    match Model::from_value(doc) {
        Ok(_) => panic!("should fail"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn malformed_configs_name_the_bad_field() {
    let rules = json!([
        { "id": "a", "event": "A", "points": 1 },
        { "id": "b", "event": "B", "points": 1 },
        { "id": "c", "event": "C", "points": 1 },
        { "id": "d", "event": "D", "points": "ten" }
    ]);
    assert_eq!(
        load_error(json!({ "engagement": { "rules": rules } })),
        "engagement.rules[3].points: invalid type: string \"ten\", expected a number"
    );
    assert_eq!(
        load_error(json!({ "fit": { "rules": [{ "id": "x", "field": "f", "op": "between", "points": 1 }] } })),
        "fit.rules[0].op: unknown variant `between`, expected one of `equals`, `oneOf`, `contains`, `pattern`, `range`, `present`, `absent`"
    );
    assert_eq!(
        load_error(
            json!({ "fit": { "rules": [{ "id": "x", "field": "f", "op": "pattern", "pattern": "(", "points": 1 }] } })
        ),
        "fit.rules[0].pattern: invalid regular expression: ".to_string()
            + &regex_lite::Regex::new("(").unwrap_err().to_string()
    );
    assert_eq!(
        load_error(
            json!({ "fit": { "rules": [{ "id": "x", "field": "f", "op": "range", "min": 10, "max": 5, "points": 1 }] } })
        ),
        "fit.rules[0].max: max (5) is below min (10)"
    );
    assert_eq!(
        load_error(json!({ "fit": { "grades": { "A": 10, "B": 40, "C": 20 } } })),
        "fit.grades: expected A > B > C, found A 10 B 40 C 20"
    );
    assert_eq!(
        load_error(json!({ "engagement": { "halfLifeDays": 0 } })),
        "engagement.halfLifeDays: expected a number of days > 0, or null for no decay"
    );
    assert_eq!(
        load_error(json!({ "mql": { "grades": ["A1", "E5"] } })),
        "mql.grades[1]: \"E5\" is not a grade (A1 … D4)"
    );
    assert_eq!(
        load_error(
            json!({ "engagement": { "rules": [{ "id": "a", "points": 1 }, { "id": "a", "points": 2 }] } })
        ),
        "engagement.rules[1].id: id \"a\" is already used by engagement.rules[0]"
    );
    assert!(
        load_error(json!({ "engagement": { "rules": [{ "id": "a", "pionts": 1 }] } }))
            .starts_with("engagement.rules[0]")
    );
    assert_eq!(
        Model::from_json("{\"fit\": [}")
            .unwrap_err()
            .errors
            .remove(0)
            .path,
        "",
        "syntax errors carry a line and column instead of a path"
    );
}

#[test]
fn suspicious_rules_are_warnings_not_failures() {
    let m = model(json!({ "engagement": {
        "touchpoints": [{ "id": "p", "url": "pricing", "weight": 2 }],
        "rules": [
            { "id": "q", "url": "/pricing?plan=pro", "points": 1 },
            { "id": "z", "event": "page", "points": 0 }
        ] },
        "mql": { "grades": ["A1"] } }));
    let paths: Vec<&str> = m.warnings().iter().map(|w| w.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "engagement.touchpoints[0].url",
            "engagement.rules[0].url",
            "engagement.rules[1].points"
        ]
    );
    let report = Model::check_json(
        r#"{"fit": {"grades": {"A": 1, "B": 2, "C": 3}}, "engagement": {"halfLifeDays": -1}}"#,
    );
    assert_eq!(report.errors.len(), 2, "{report:?}");
}

#[test]
fn extreme_clocks_and_timestamps_never_panic() {
    let m = Model::default_model();
    let events = [
        track("Download", 0.0),
        json!({ "type": "page", "timestamp": -8.64e15, "properties": { "path": "/pricing" } }),
        json!({ "type": "page", "timestamp": 1e300 }),
    ];
    for now in [i64::MIN, -1, 0, NOW, i64::MAX] {
        let r = m.score(None, &events, now, &ScoreOptions::default());
        assert!(r.engagement.score.is_finite(), "now {now}");
    }
}

#[test]
fn the_same_visitor_always_gets_the_same_interest_shares() {
    // Forty tags with weights that do not add up exactly in floating point:
    // the shares must not depend on the (per-call) order of a hash map.
    let m = model(json!({ "interests": { "top": 100 } }));
    let events: Vec<Value> = (0..200)
        .map(|i| {
            let mut e = page(&format!("/p/{i}"), f64::from(i % 37) * 0.731, Some(13.0));
            e["properties"]["tags"] = json!([format!("topic-{}", i % 40), format!("t{}", i % 7)]);
            e
        })
        .collect();
    let options = ScoreOptions::default();
    let first =
        serde_json::to_value(m.score(None, &events, NOW, &options).interests).expect("json");
    for _ in 0..50 {
        let again =
            serde_json::to_value(m.score(None, &events, NOW, &options).interests).expect("json");
        assert_eq!(again, first);
    }
}

// ------------------------------------------------------- every error at once

/// `(path, message)` of each error, for asserting a whole report.
fn error_list(report: &nurture::Diagnostics) -> Vec<(String, String)> {
    report
        .errors
        .iter()
        .map(|e| (e.path.clone(), e.message.clone()))
        .collect()
}

#[test]
fn a_model_with_shape_errors_in_three_rules_reports_all_three() {
    let mut doc: Value = serde_json::from_str(nurture::score::DEFAULT_MODEL_JSON).unwrap();
    let rules = doc["engagement"]["rules"].as_array_mut().unwrap();
    rules[1]["points"] = json!("ten"); // a string where a number belongs
    rules[3]["evnt"] = json!("page"); // an unknown key
    rules[4]["cap"] = json!({"count": -2, "windowDays": 1}); // not a whole number ≥ 0
    rules[6]["id"] = rules[0]["id"].clone(); // and a semantic error after them
    let report = Model::check(doc.clone());
    let errors = error_list(&report);
    let paths: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "engagement.rules[1].points",
            "engagement.rules[3].evnt",
            "engagement.rules[4].cap.count",
            "engagement.rules[6].id",
        ],
        "{report}"
    );
    assert!(errors[0].1.contains("expected a number"), "{report}");
    assert!(errors[1].1.contains("unknown field `evnt`"), "{report}");
    assert!(errors[2].1.contains("whole number ≥ 0"), "{report}");
    // Loading fails with the same list.
    let err = Model::from_value(doc).err().unwrap();
    assert_eq!(err.errors, report.errors);
}

#[test]
fn a_model_reports_a_wrong_type_a_misspelled_operator_and_an_unknown_key() {
    let mut doc: Value = serde_json::from_str(nurture::score::DEFAULT_MODEL_JSON).unwrap();
    doc["engagement"]["halfLifeDays"] = json!("thirty");
    doc["fit"]["rules"][0]["op"] = json!("contians");
    doc["tiers"]["lukewarm"] = json!(10);
    let report = Model::check(doc);
    let paths: Vec<String> = error_list(&report).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "engagement.halfLifeDays",
            "fit.rules[0].op",
            "tiers.lukewarm"
        ],
        "{report}"
    );
}
