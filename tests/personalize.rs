//! Personalization against a sample site (`tests/data/site-config.json`, a
//! made-up industrial software vendor), a named-account table
//! (`tests/data/accounts.csv`) and MaxMind's GeoLite2-ASN test database.

use std::time::Instant;

use nurture::personalize::{Decisions, IpDatabase, Personalizer, ReasonKind, Tables, Visitor};
use nurture::segment::cidr::CidrTable;
use nurture::segment::mmdb::MmdbReader;
use nurture::targeting::hash;
use nurture::ConfigDocument;
use serde_json::{json, Value};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");

fn config_text() -> String {
    std::fs::read_to_string(format!("{DATA}site-config.json")).unwrap()
}

fn site() -> Personalizer {
    Personalizer::from_json(&config_text()).unwrap()
}

fn accounts() -> CidrTable {
    let loaded =
        CidrTable::from_csv(&std::fs::read_to_string(format!("{DATA}accounts.csv")).unwrap());
    assert_eq!(loaded.rejected.len(), 1, "the broken row is reported");
    loaded.table
}

fn asn_db() -> MmdbReader<Vec<u8>> {
    MmdbReader::from_bytes(std::fs::read(format!("{DATA}maxmind/GeoLite2-ASN-Test.mmdb")).unwrap())
        .unwrap()
}

fn visitor(v: Value) -> Visitor {
    Visitor::from_value(v).unwrap()
}

fn slot<'a>(d: &'a Decisions, id: &str) -> &'a nurture::personalize::Decision {
    d.decisions.iter().find(|x| x.slot == id).unwrap()
}

/// An id that the hero holdout (10%) does not catch.
fn not_held_out(prefix: &str) -> String {
    (0..)
        .map(|i| format!("{prefix}-{i}"))
        .find(|id| hash("holdout:hero", id, 2).unwrap() >= 0.1)
        .unwrap()
}

#[test]
fn sample_config_loads_without_warnings() {
    let p = site();
    assert!(p.warnings().is_empty(), "{:?}", p.warnings());
}

#[test]
fn oil_and_gas_named_account_sees_the_oil_and_gas_hero() {
    let p = site();
    let table = accounts();
    let tables = Tables {
        accounts: Some(&table),
        maxmind: &[],
    };
    for ip in ["203.0.113.77", "2001:db8:1::5", "::ffff:203.0.113.9"] {
        let id = not_held_out(ip);
        let d = p.decide(&visitor(json!({"id": id, "ip": ip})), &tables);
        let hero = slot(&d, "hero");
        assert_eq!(hero.variant, "oil-gas-hero", "{ip}");
        assert_eq!(hero.reason.kind, ReasonKind::Segment);
        assert_eq!(hero.reason.segment.as_deref(), Some("oil-gas"));
        assert_eq!(
            serde_json::to_value(hero.kind).unwrap(),
            json!("html-template")
        );
        assert_eq!(slot(&d, "menu").variant, "oil-gas-menu");
        // Key account outranks industry. The table's `country` is where the
        // account is based (`account.country`), not where the visitor is.
        assert_eq!(d.segments, ["key-account", "oil-gas"], "{ip}");
        assert_eq!(d.primary_segment.as_deref(), Some("key-account"));
        assert_eq!(slot(&d, "banner").variant, "key-account-banner");
    }
    // A more specific prefix inside 2001:db8::/32 is another account.
    let ctx = p.context(
        &visitor(json!({"id": "x", "ip": "2001:db8:4d::1"})),
        &tables,
    );
    assert_eq!(ctx["company"], "Contoso Manufacturing");
    assert_eq!(ctx["account"]["network"], "2001:db8:4d::/48");
    assert_eq!(ctx["sources"]["industry"], "account");
    assert_eq!(ctx["segment"], "key-account");
}

#[test]
fn retail_interest_from_scoring_shows_the_retail_menu() {
    let p = site();
    // Interests as `score()` reports them: strongest first, with shares.
    let score = json!({"fit": {"score": 20}, "engagement": {"score": 35}, "grade": "C2",
        "tier": "warm", "stage": "consideration",
        "interests": [{"tag": "retail", "weight": 2.4, "share": 0.6},
                      {"tag": "iot", "weight": 1.6, "share": 0.4}]});
    let id = not_held_out("shopper");
    let d = p.decide(
        &visitor(json!({"id": id, "score": score, "page": {"path": "/solutions/retail"}})),
        &Tables::default(),
    );
    let menu = slot(&d, "menu");
    assert_eq!(menu.variant, "retail-menu");
    assert_eq!(menu.reason.kind, ReasonKind::Rule);
    assert_eq!(menu.content["items"][0], "Store analytics");
    assert_eq!(d.primary_segment.as_deref(), Some("retail"));
    assert_eq!(slot(&d, "hero").variant, "retail-hero");
    // Recommendations: retail content for the consideration stage first.
    let ids: Vec<&str> = d.recommendations.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids[..2],
        ["retail-cold-chain-case", "retail-webinar"],
        "{:?}",
        d.recommendations
    );
}

#[test]
fn ab_slot_splits_evenly_and_assignments_are_sticky() {
    let p = site();
    let reloaded = site();
    let n = 100_000;
    let mut own_data = 0usize;
    let start = Instant::now();
    for i in 0..n {
        let id = format!("visitor-{i}");
        let d = p.decide(&visitor(json!({ "id": id })), &Tables::default());
        let cta = slot(&d, "cta");
        assert_eq!(cta.reason.kind, ReasonKind::Experiment);
        assert_eq!(cta.reason.experiment.as_deref(), Some("cta-copy"));
        // GrowthBook's hash, bit for bit.
        assert_eq!(cta.reason.bucket, hash("cta-copy", &id, 2));
        if cta.variant == "own-data" {
            own_data += 1;
            assert_eq!(cta.reason.variation_index, Some(1));
        } else {
            assert_eq!(cta.variant, "default");
        }
        if i % 1000 == 0 {
            // Sticky across calls and after a config reload.
            let again = p.decide(&visitor(json!({ "id": id })), &Tables::default());
            let other = reloaded.decide(&visitor(json!({ "id": id })), &Tables::default());
            assert_eq!(slot(&again, "cta").variant, cta.variant);
            assert_eq!(slot(&other, "cta"), cta);
        }
    }
    let elapsed = start.elapsed();
    let share = own_data as f64 / n as f64;
    eprintln!(
        "A/B: {own_data}/{n} = {share:.4} in variant own-data; {:.1} µs per decide ({} build)",
        elapsed.as_secs_f64() * 1e6 / n as f64,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    assert!((share - 0.5).abs() <= 0.02, "{share}");
    // A hot lead is targeted before the experiment.
    let d = p.decide(
        &visitor(json!({"id": "hot-1", "score": {"tier": "hot"}})),
        &Tables::default(),
    );
    assert_eq!(slot(&d, "cta").variant, "hot-demo");
}

#[test]
fn holdout_share_is_respected() {
    let p = site();
    let table = accounts();
    let tables = Tables {
        accounts: Some(&table),
        maxmind: &[],
    };
    let n = 100_000;
    let mut held = 0usize;
    for i in 0..n {
        let d = p.decide(
            &visitor(json!({"id": format!("h{i}"), "ip": "203.0.113.1"})),
            &tables,
        );
        let hero = slot(&d, "hero");
        match hero.reason.kind {
            ReasonKind::Holdout => {
                held += 1;
                assert_eq!(hero.variant, "default");
                assert!(hero.reason.bucket.unwrap() < 0.1);
            }
            kind => assert_eq!(kind, ReasonKind::Segment),
        }
        // The holdout is per slot: the menu is still personalized.
        assert_eq!(slot(&d, "menu").variant, "oil-gas-menu");
    }
    let share = held as f64 / n as f64;
    eprintln!("holdout: {held}/{n} = {share:.4} (configured 0.1)");
    assert!((share - 0.1).abs() <= 0.01, "{share}");
}

#[test]
fn segment_priority_and_fallback() {
    let p = site();
    let id = not_held_out("anon");
    let d = p.decide(&visitor(json!({ "id": id })), &Tables::default());
    assert!(d.segments.is_empty());
    assert_eq!(d.primary_segment, None);
    for s in ["hero", "menu", "banner"] {
        let x = slot(&d, s);
        assert_eq!(
            (x.variant.as_str(), x.reason.kind),
            ("default", ReasonKind::Fallback)
        );
    }
    // No default given: `null` content, the page stays as it is.
    assert_eq!(slot(&d, "banner").content, Value::Null);
    // A retail-interested visitor in China: retail (70) outranks china (10);
    // the banner has no retail variant, so china's applies.
    let d = p.decide(
        &visitor(json!({"id": id, "request": {"country": "CN"},
            "score": {"interests": ["retail"]}})),
        &Tables::default(),
    );
    assert_eq!(d.segments, ["retail", "china"]);
    assert_eq!(slot(&d, "banner").variant, "china-banner");
    assert_eq!(slot(&d, "banner").reason.segment.as_deref(), Some("china"));
    // A rule combining stage and a score condition.
    let d = p.decide(
        &visitor(json!({"id": id, "score": {"stage": "decision", "fit": {"score": 70}}})),
        &Tables::default(),
    );
    assert_eq!(slot(&d, "banner").variant, "late-stage");
    assert_eq!(slot(&d, "banner").reason.kind, ReasonKind::Rule);
}

#[test]
fn maxmind_asn_organization_maps_to_an_industry() {
    let p = site();
    let db = asn_db();
    let dbs: [&dyn IpDatabase; 1] = [&db];
    let tables = Tables {
        accounts: None,
        maxmind: &dbs,
    };
    // 53.0.0.0/8 is AS31399 "Daimler Autonomous System" in the test database.
    let id = not_held_out("mm");
    let ctx = p.context(&visitor(json!({"id": id, "ip": "53.1.2.3"})), &tables);
    assert_eq!(ctx["ip"]["asn"], 31399);
    assert_eq!(ctx["asOrganization"], "Daimler Autonomous System");
    assert_eq!(ctx["industry"], "Manufacturing");
    assert_eq!(ctx["company"], "Daimler");
    assert_eq!(ctx["sources"]["industry"], "rule:daimler");
    assert_eq!(ctx["sources"]["asn"], "maxmind");
    let d = p.decide(&visitor(json!({"id": id, "ip": "53.1.2.3"})), &tables);
    assert_eq!(slot(&d, "hero").variant, "manufacturing-hero");
    // 18.0.0.0/8 is AS3 "Massachusetts Institute of Technology": the regex rule.
    let d = p.decide(&visitor(json!({"id": id, "ip": "18.9.22.1"})), &tables);
    assert_eq!(d.primary_segment.as_deref(), Some("education"));
    assert_eq!(slot(&d, "hero").variant, "education-hero");
    // MaxMind beats the request attributes for the same fact.
    let ctx = p.context(
        &visitor(json!({"id": id, "ip": "53.1.2.3",
            "request": {"asn": 1, "asOrganization": "Other", "country": "DE"}})),
        &tables,
    );
    assert_eq!(ctx["asn"], 31399);
    assert_eq!(ctx["country"], "DE");
    assert_eq!(ctx["sources"]["country"], "request");
}

#[test]
fn request_attributes_alone_still_segment() {
    let p = site();
    let id = not_held_out("edge");
    // Cloudflare request.cf, no tables at all.
    let cf = json!({"country": "CN", "asn": 4134, "asOrganization": "CHINANET-BACKBONE",
        "city": "Beijing", "region": "Beijing", "regionCode": "BJ", "continent": "AS",
        "colo": "HKG"});
    let d = p.decide(
        &visitor(json!({"id": id, "request": cf})),
        &Tables::default(),
    );
    assert_eq!(d.segments, ["china"]);
    assert_eq!(slot(&d, "banner").variant, "china-banner");
    // An AS organization from the edge goes through the org rules too.
    let d = p.decide(
        &visitor(json!({"id": id, "request": {"asOrganization": "PetroChina Company Limited"}})),
        &Tables::default(),
    );
    assert_eq!(slot(&d, "hero").variant, "oil-gas-hero");
    // And an ASN (Cloudflare may send it as a string).
    let d = p.decide(
        &visitor(json!({"id": id, "request": {"asn": "31399"}})),
        &Tables::default(),
    );
    assert_eq!(slot(&d, "hero").variant, "manufacturing-hero");
}

#[test]
fn content_recommendations_explain_themselves() {
    let p = site();
    let table = accounts();
    let tables = Tables {
        accounts: Some(&table),
        maxmind: &[],
    };
    let v = visitor(json!({"id": "og-1", "ip": "203.0.113.20",
        "score": {"stage": "consideration", "tier": "warm",
                  "interests": [{"tag": "oil-gas", "share": 0.7}, {"tag": "iot", "share": 0.3}]},
        "seen": ["og-trends-report"]}));
    let d = p.decide(&v, &tables);
    let recs = &d.recommendations;
    assert_eq!(recs[0].id, "og-refinery-case");
    let factors: Vec<&str> = recs[0].reasons.iter().map(|r| r.factor).collect();
    assert_eq!(
        factors,
        ["industry", "companySize", "stage", "interest", "tier"]
    );
    assert!(
        recs.iter().all(|r| r.id != "og-trends-report"),
        "seen is skipped"
    );
    assert!(
        recs.iter().all(|r| !r.id.starts_with("retail-cold")),
        "other industry"
    );
    assert!(
        recs.iter().all(|r| !r.id.starts_with("mfg")),
        "other industry"
    );
}

#[test]
fn malformed_configs_give_path_precise_errors() {
    let base: Value = serde_json::from_str(&config_text()).unwrap();
    // (JSON pointer to replace, new value, expected path, expected message)
    let cases = [
        (
            "/slots/2/variants/0/when",
            json!({"path": {"$regex": "(unclosed"}}),
            "slots[2].variants[0].when.path.$regex",
            "invalid regex",
        ),
        (
            "/segments/1/when",
            json!({"industry": {"$bogus": 1}}),
            "segments[1].when.industry.$bogus",
            "",
        ),
        (
            "/slots/0/variants/1/segment",
            json!("mining"),
            "slots[0].variants[1].segment",
            "unknown segment",
        ),
        (
            "/slots/2/experiment/coverage",
            json!(2),
            "slots[2].experiment.coverage",
            "between 0 and 1",
        ),
        (
            "/slots/2/experiment/weights",
            json!([0.5, "half"]),
            "slots[2].experiment.weights[1]",
            "expected a number",
        ),
        (
            "/orgRules/3/regex",
            json!("["),
            "orgRules[3].regex",
            "invalid regex",
        ),
        (
            "/content/items/4/stage",
            json!("purchase"),
            "content.items[4].stage",
            "unknown variant",
        ),
        (
            "/slots/1/variants/0/kind",
            json!("html"),
            "slots[1].variants[0].kind",
            "unknown variant",
        ),
        (
            "/slots/3/id",
            json!("hero"),
            "slots[3].id",
            "duplicate slot id",
        ),
    ];
    for (pointer, value, path, message) in cases {
        let mut doc = base.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        doc.pointer_mut(parent).unwrap()[key] = value;
        let err = Personalizer::from_json(&doc.to_string())
            .unwrap_err()
            .errors
            .remove(0);
        assert_eq!(err.path, path, "{err}");
        assert!(err.message.contains(message), "{err}");
    }
    let err = Personalizer::from_json("{\"slots\": [}")
        .unwrap_err()
        .errors
        .remove(0);
    assert!(err.message.contains("line 1"), "{err}");
}

#[test]
fn a_site_config_may_name_its_json_schema() {
    let mut doc: Value = serde_json::from_str(&config_text()).unwrap();
    doc["$schema"] = json!("./node_modules/nurture/schema/site.schema.json");
    let with = Personalizer::from_value(doc).unwrap();
    assert!(with.warnings().is_empty(), "{:?}", with.warnings());
    // Only at the top: inside the document it is an unknown key like any other.
    let err = Personalizer::from_value(json!({ "slots": [{ "id": "a", "$schema": "x" }] }))
        .unwrap_err()
        .errors
        .remove(0);
    assert_eq!(err.path, "slots[0].$schema");
}

#[test]
fn hostile_inputs_never_panic() {
    let p = site();
    let table = accounts();
    let db = asn_db();
    let dbs: [&dyn IpDatabase; 1] = [&db];
    let tables = Tables {
        accounts: Some(&table),
        maxmind: &dbs,
    };
    let huge = "x".repeat(1 << 20);
    let weird_ips = [
        "",
        " ",
        "999.1.1.1",
        "1.2.3",
        "::ffff:",
        "1.2.3.4%eth0",
        "fe80::1%25en0",
        "01.02.03.04",
        "::::",
        "1.2.3.4/24",
        "\u{0}",
        &huge,
    ];
    for ip in weird_ips {
        let d = p.decide(&visitor(json!({"id": huge, "ip": ip})), &tables);
        assert_eq!(d.decisions.len(), 4);
    }
    // Deeply nested visitor data and odd score shapes.
    let mut deep = json!("leaf");
    for _ in 0..500 {
        deep = json!({ "a": deep });
    }
    let v = visitor(
        json!({"id": 1e300, "profile": {"industry": deep, "company": [1, 2]},
        "score": {"fit": "high", "tier": 3, "interests": [null, 1, {"tag": 2}, {"tag": "retail", "share": -1}]},
        "page": {"utm": deep.clone(), "path": 42}, "request": {"asn": "AS13335", "country": {}}}),
    );
    let d = p.decide(&v, &tables);
    assert_eq!(d.decisions.len(), 4);
    let many: Vec<Value> = (0..20_000)
        .map(|i| json!({"tag": format!("t{i}"), "weight": i}))
        .collect();
    let d = p.decide(
        &visitor(json!({"id": "many", "score": {"interests": many}})),
        &tables,
    );
    assert_eq!(d.decisions.len(), 4);
    // Conditions nested past the limit are refused with a path, not a crash.
    let mut cond = json!({"country": "CN"});
    for _ in 0..200 {
        cond = json!({ "$not": { "$not": cond } });
    }
    let doc = json!({"segments": [{"id": "deep", "when": cond}]});
    let err = Personalizer::from_value(doc).unwrap_err().errors.remove(0);
    assert!(err.path.starts_with("segments[0].when.$not"), "{err}");
    assert!(err.message.contains("nested deeper"), "{err}");
    // Wrong-shaped visitors are refused with the field's path.
    for (v, path) in [
        (json!([]), ""),
        (json!({"id": {}}), "id"),
        (json!({"ip": 1}), "ip"),
        (json!({"score": []}), "score"),
        (json!({"seen": "x"}), "seen"),
    ] {
        assert_eq!(Visitor::from_value(v).unwrap_err().path, path);
    }
}

// ------------------------------------------------------- every error at once

#[test]
fn a_config_with_an_error_in_each_of_three_segments_reports_all_three() {
    let mut doc: Value = serde_json::from_str(&config_text()).unwrap();
    let segments = doc["segments"].as_array_mut().unwrap();
    segments[1]["priority"] = json!("high"); // a string where a number belongs
    segments[2]["when"] = json!({"industry": {"$inn": ["Manufacturing"]}}); // misspelled operator
    segments[4]["whn"] = json!({}); // an unknown key
                                    // And an error further on, after the shape errors were set aside.
    doc["slots"][3]["variants"][0]["tier"] = json!(["lukewarm"]);
    let report = Personalizer::check(doc.clone());
    let paths: Vec<&str> = report.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "segments[1].priority",
            "segments[4].whn",
            "segments[2].when.industry.$inn",
            "slots[3].variants[0].tier[0]",
        ],
        "{report}"
    );
    assert!(report.errors[0].message.contains("expected a number"));
    assert!(report.errors[1].message.contains("unknown field `whn`"));
    assert!(
        report.errors[2].message.contains("unknown operator"),
        "{report}"
    );
    assert!(report.errors[3].message.contains("unknown tier"));
    let err = Personalizer::from_value(doc).err().unwrap();
    assert_eq!(err.errors, report.errors);
}

#[test]
fn every_semantic_error_is_reported_not_the_first() {
    let doc = json!({
        "segments": [
            {"id": "a", "when": {"x": {"$regex": "("}}},
            {"id": "a", "when": {}},
            {"id": "", "priority": 1, "when": {}}
        ],
        "slots": [
            {"id": "s", "variants": [{"id": "default", "segment": "nope"}],
             "experiment": {"key": "", "variations": ["ghost"], "coverage": 2}},
            {"id": "s", "holdout": {"share": 3}}
        ],
        "content": {"items": [
            {"id": "", "type": "case-study"},
            {"id": "x", "type": "case-study"},
            {"id": "x", "type": "case-study"}
        ]}
    });
    let report = Personalizer::check(doc);
    let paths: Vec<&str> = report.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "segments[0].when.x.$regex",
            "segments[1].id",
            "segments[2].id",
            "slots[0].variants[0].id",
            "slots[0].variants[0].segment",
            "slots[0].experiment.key",
            "slots[0].experiment.variations",
            "slots[0].experiment.variations[0]",
            "slots[0].experiment.coverage",
            "slots[1].id",
            "slots[1].holdout.share",
            "content.items[0].id",
            "content.items[2].id",
        ],
        "{report}"
    );
}
