//! The view answers every path exactly as the JSON context it replaces
//! (kept as [`legacy`](crate::personalize::context::legacy)), and decides
//! alike.

use std::net::IpAddr;

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::ContextView;
use crate::diagnostics::ConfigDocument;
use crate::personalize::context::legacy::build_context_tree;
use crate::personalize::{IpDatabase, Personalizer, Tables, Visitor};
use crate::score::{InterestShare, ScoreSummary, Stage, Tier};
use crate::segment::cidr::CidrTable;
use crate::targeting::condition::value_at_path;
use crate::targeting::Attributes;

/// A MaxMind-shaped record for the documentation networks.
struct FakeCity;

impl IpDatabase for FakeCity {
    fn record(&self, ip: IpAddr) -> Option<Value> {
        let text = ip.to_string();
        (text.starts_with("203.0.113.") || text.starts_with("198.51.100.")).then(|| {
            json!({"autonomous_system_number": 4134, "autonomous_system_organization": "Chinanet",
                "isp": "China Telecom", "organization": "Sinopec Lab", "domain": "lab.edu",
                "country": {"iso_code": "CN", "names": {"en": "China"}},
                "city": {"names": {"en": "Beijing"}}, "continent": {"code": "AS"}})
        })
    }
}

fn site() -> Personalizer {
    let mut doc: Value =
        serde_json::from_str(include_str!("../../../tests/data/site-config.json")).unwrap();
    // Conditions over every part of the context, and an experiment hashing
    // a nested attribute.
    let extra = json!([
        {"id": "p-score", "when": {"score.engagement": {"$gte": 10}}},
        {"id": "p-shares", "when": {"interestShares.oil & gas": {"$gte": 0.3}}},
        {"id": "p-grade", "when": {"grade": {"$in": ["A1", "B2"]}}},
        {"id": "p-mql", "when": {"mql": true}},
        {"id": "p-account", "when": {"account.named": true}},
        {"id": "p-net", "when": {"ip.asn": 4134, "sources.country": "maxmind"}},
        {"id": "p-utm", "when": {"utm.source": {"$exists": true}}},
        {"id": "p-seen", "when": {"seen.length": {"$gt": 0}}},
        {"id": "p-rule", "when": {"derived.rule": {"$exists": true}}},
        {"id": "p-top", "when": {"interests.0": "retail"}}
    ]);
    let segments = doc["segments"].as_array_mut().unwrap();
    segments.extend(extra.as_array().unwrap().iter().cloned());
    doc["slots"].as_array_mut().unwrap().push(json!({"id": "nested",
        "variants": [{"id": "b", "content": "B"},
                     {"id": "in-seg", "when": {"segments": {"$in": ["p-mql"]}, "segment": "china"}}],
        "experiment": {"key": "n", "hashVersion": 2, "hashAttribute": "profile.company",
            "variations": ["default", "b"]}}));
    Personalizer::from_value(doc).unwrap()
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop::sample::select(vec![0.0, 1.5, 4134.0, 13335.0, 31399.0, 5000.0, -2.0])
            .prop_map(Value::from),
        prop::sample::select(vec![
            "",
            " ",
            "CN",
            "US",
            "AS",
            "BJ",
            "Beijing",
            "Oil & Gas",
            "Retail",
            "Education",
            "PetroChina",
            "Daimler",
            "mit.edu",
            "petrochina.example",
            "4134",
            " 31399 ",
            "Head of Operations",
            "engineering",
            "/pricing",
            "google",
        ])
        .prop_map(|s| Value::String(s.into())),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Keys conditions name below the top level (and a few no context has).
const NESTED_KEYS: [&str; 13] = [
    "fit",
    "engagement",
    "named",
    "network",
    "rule",
    "rules",
    "source",
    "regionCode",
    "regionName",
    "address",
    "0",
    "length",
    "oil & gas",
];

/// Keys conditions name, at any level: the context's own top-level keys,
/// then [`NESTED_KEYS`].
fn keys() -> Vec<&'static str> {
    super::KEYS.iter().chain(&NESTED_KEYS).copied().collect()
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(keys()).prop_map(str::to_string)
}

fn object(keys: &'static [&'static str]) -> impl Strategy<Value = Option<Map<String, Value>>> {
    prop::option::of(
        prop::collection::btree_map(prop::sample::select(keys.to_vec()), leaf(), 0..6)
            .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
    )
}

fn summary() -> impl Strategy<Value = Option<ScoreSummary>> {
    let tags = prop::collection::vec(
        (
            prop::sample::select(vec!["Oil & Gas", "oil & gas", "retail", "iot", "oil-gas"]),
            0.0f64..1.0,
        ),
        0..4,
    );
    prop::option::of(
        (
            prop::option::of(0.0f64..100.0),
            prop::option::of(0.0f64..100.0),
            prop::option::of(prop::sample::select(vec!["A1", "B2", "D4"])),
            prop::option::of(prop::sample::select(vec![
                Tier::Cold,
                Tier::Warm,
                Tier::Hot,
            ])),
            prop::option::of(prop::sample::select(vec![
                Stage::Awareness,
                Stage::Consideration,
                Stage::Decision,
            ])),
            prop::option::of(any::<bool>()),
            tags,
        )
            .prop_map(|(fit, engagement, grade, tier, stage, mql, tags)| {
                let mut interests: Vec<InterestShare> = Vec::new();
                for (tag, share) in tags {
                    if !interests.iter().any(|i| i.tag == tag) {
                        interests.push(InterestShare {
                            tag: tag.into(),
                            share,
                        });
                    }
                }
                ScoreSummary {
                    fit,
                    engagement,
                    grade: grade.map(str::to_string),
                    tier,
                    stage,
                    mql,
                    interests,
                }
            }),
    )
}

const REQUEST: &[&str] = &[
    "country",
    "asn",
    "asOrganization",
    "regionCode",
    "region",
    "city",
    "continent",
    "postalCode",
    "timezone",
    "n",
];
const PROFILE: &[&str] = &[
    "company",
    "domain",
    "industry",
    "companySize",
    "country",
    "region",
    "city",
    "continent",
    "title",
    "role",
    "department",
];
const PAGE: &[&str] = &["path", "referrer", "utm", "url"];

fn visitor() -> impl Strategy<Value = Visitor> {
    (
        prop::sample::select(vec!["", "v-1", "u42", "x"]),
        prop::option::of(prop::sample::select(vec![
            "203.0.113.7",
            " 203.0.113.9 ",
            "2001:db8::1",
            "198.51.100.9",
            "192.0.2.1",
            "nope",
        ])),
        object(REQUEST),
        object(PROFILE),
        summary(),
        object(PAGE),
        prop::collection::vec(
            prop::sample::select(vec!["og-case", "demo", "retail-case"]),
            0..2,
        ),
    )
        .prop_map(|(id, ip, request, profile, score, page, seen)| Visitor {
            id: id.into(),
            ip: ip.map(str::to_string),
            request,
            profile,
            score,
            page,
            seen: seen.into_iter().map(str::to_string).collect(),
        })
}

fn paths() -> impl Strategy<Value = Vec<Vec<String>>> {
    prop::collection::vec(prop::collection::vec(key(), 0..4), 0..24)
}

/// Every path a condition in the tests' site configs names, and each
/// top-level key with every key under it.
fn named_paths() -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![
        vec!["score".into(), "fit".into()],
        vec!["score".into(), "engagement".into()],
        vec!["interestShares".into(), "oil & gas".into()],
        vec!["request".into(), "n".into()],
    ];
    let keys = keys();
    for &a in &keys {
        out.push(vec![a.into()]);
        for b in keys.iter().chain(REQUEST).chain(PROFILE).chain(PAGE) {
            out.push(vec![a.into(), (*b).into()]);
        }
    }
    out
}

fn tables<'a>(accounts: &'a CidrTable, dbs: &'a [&'a dyn IpDatabase], which: u8) -> Tables<'a> {
    Tables {
        accounts: (which & 1 == 1).then_some(accounts),
        maxmind: if which & 2 == 2 { dbs } else { &[] },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn the_view_answers_as_the_json_context(v in visitor(), random in paths(), which in 0u8..4) {
        let p = site();
        let accounts = CidrTable::from_csv(include_str!("../../../tests/data/accounts.csv")).table;
        let city = FakeCity;
        let dbs: [&dyn IpDatabase; 1] = [&city];
        let t = tables(&accounts, &dbs, which);
        let tree = build_context_tree(&v, &t, &p.org_rules, p.top_interests);
        let view = ContextView::new(&v, &t, &p.org_rules, p.top_interests);
        prop_assert_eq!(&view.to_value(), &tree);
        for path in named_paths().iter().chain(&random) {
            prop_assert_eq!(view.get_path(path), value_at_path(&tree, path), "{:?}", path);
        }
        // With segments, as slots read it; and the decisions alike.
        let segments = p.segments_of(&tree);
        prop_assert_eq!(&p.segments_of(&view), &segments);
        let mut segmented = tree.clone();
        if let Value::Object(map) = &mut segmented {
            map.insert("segment".into(), segments.first().map_or(Value::Null, |s| json!(s)));
            map.insert("segments".into(), json!(segments));
        }
        let view = view.with_segments(segments);
        for path in named_paths().iter().chain(&random) {
            prop_assert_eq!(view.get_path(path), value_at_path(&segmented, path), "{:?}", path);
        }
        let decisions = p.decide(&v, &t);
        prop_assert_eq!(&decisions, &p.decide_context(&segmented));
        // The text the wasm build hands to JS is serde_json's.
        prop_assert_eq!(decisions.to_json().unwrap(), serde_json::to_string(&decisions).unwrap());
    }
}
