//! Compiled configs (src/compiled/) answer exactly like the JSON they were
//! compiled from: every case of the shared scoring vectors scored with the
//! compiled model, and the sample and demo site configs deciding for many
//! visitors with the compiled site config, both as the full build loads
//! it (the documents compiled in place) and as the page-only build does
//! (the structures compiled ahead, src/compiled/wire.rs). Also keeps the embedded compiled
//! built-in model (`src/score/default_model.nrc`, what the page scores with
//! before a config arrives) in step with `default_model.json`:
//! `UPDATE_COMPILED=1 cargo test --test compiled` writes it again.

#![cfg(feature = "config-compiler")]

use nurture::compiled::{compile, compile_model, Compiled, Frame, Kind, DEFAULT_MODEL};
use nurture::personalize::{Personalizer, Tables, Visitor};
use nurture::score::{Model, ScoreOptions, DEFAULT_MODEL_JSON};
use nurture::ConfigDocument;
use serde_json::{json, Map, Value};

const VECTORS: &str = include_str!("data/vectors/scoring.json");

fn loaded_model(bytes: &[u8]) -> Model {
    Compiled::read(bytes)
        .and_then(Compiled::load)
        .expect("a compiled model loads")
        .model
        .expect("it holds a model")
}

/// The model as the page-only build reads it: the compiled structures
/// (src/compiled/wire.rs), no document read or compiled.
fn ahead_model(bytes: &[u8]) -> Model {
    Frame::read(bytes)
        .and_then(|f| f.load())
        .expect("a compiled model loads ahead")
        .model
        .expect("it holds a model")
}

fn score(model: &Model, case: &Value) -> Value {
    let profile: Option<&Map<String, Value>> = case["profile"].as_object();
    let events = case["events"].as_array().cloned().unwrap_or_default();
    let now = case["now"].as_i64().expect("now in ms");
    let mut options = ScoreOptions::default();
    if let Some(b) = case["options"]["breakdown"].as_bool() {
        options.breakdown = b;
    }
    if case["options"]["source"] == "browser" {
        options.source = nurture::score::EventSource::Browser;
    }
    serde_json::to_value(model.score(profile, &events, now, &options)).unwrap()
}

#[test]
fn the_embedded_compiled_default_model_is_up_to_date() {
    let model: Value = serde_json::from_str(DEFAULT_MODEL_JSON).unwrap();
    let bytes = compile_model(&model).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/score/default_model.nrc");
    if std::env::var_os("UPDATE_COMPILED").is_some() {
        std::fs::write(path, &bytes).unwrap();
        return;
    }
    assert!(
        bytes == DEFAULT_MODEL,
        "src/score/default_model.nrc is stale: UPDATE_COMPILED=1 cargo test --test compiled"
    );
    let compiled = Compiled::read(DEFAULT_MODEL).unwrap();
    assert_eq!(compiled.kind, Kind::Model);
    // The page-only build has no JSON fallback: the embedded form must load.
    assert!(nurture::compiled::embedded_default_model().is_ok());
    assert_eq!(compiled.model.as_ref(), Some(&model));
}

#[test]
fn every_scoring_vector_scores_alike_from_the_compiled_model() {
    let doc: Value = serde_json::from_str(VECTORS).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 70, "{} cases", cases.len());
    for case in cases {
        let (from_json, source) = match case.get("model") {
            None | Some(Value::Null) => (
                Model::default_model(),
                serde_json::from_str(DEFAULT_MODEL_JSON).unwrap(),
            ),
            Some(m) => (Model::from_value(m.clone()).unwrap(), m.clone()),
        };
        let bytes = compile_model(&source).unwrap();
        let compiled = loaded_model(&bytes);
        assert_eq!(
            score(&compiled, case),
            score(&from_json, case),
            "{}",
            case["name"]
        );
        assert_eq!(
            score(&ahead_model(&bytes), case),
            score(&from_json, case),
            "ahead: {}",
            case["name"]
        );
        if case.get("model").is_none_or(Value::is_null) {
            // What the page scores with before a config's model arrives.
            assert_eq!(
                score(&nurture::compiled::default_model(), case),
                score(&from_json, case),
                "{}",
                case["name"]
            );
        }
    }
}

fn visitors() -> Vec<Value> {
    let scores = [
        json!(null),
        json!({"fit": {"score": 20}, "engagement": {"score": 35}, "grade": "C2", "tier": "warm",
            "stage": "consideration", "interests": [{"tag": "retail", "weight": 2.4, "share": 0.6},
            {"tag": "iot", "weight": 1.6, "share": 0.4}]}),
        json!({"fit": {"score": 90}, "engagement": {"score": 80}, "grade": "A1", "tier": "hot",
            "stage": "decision", "mql": {"qualified": true},
            "interests": [{"tag": "oil-gas", "weight": 5, "share": 1.0}]}),
    ];
    let requests = [
        json!(null),
        json!({"country": "CN", "asOrganization": "PetroChina"}),
        json!({"country": "US", "city": "Houston", "asn": 64500}),
        json!({"country": "DE", "asOrganization": "Siemens AG"}),
    ];
    let pages = [
        json!({"path": "/"}),
        json!({"path": "/pricing"}),
        json!({"path": "/solutions/retail", "tags": ["retail"]}),
    ];
    let mut out = Vec::new();
    for i in 0..120 {
        let mut v = json!({"id": format!("visitor-{i}")});
        v["score"] = scores[i % scores.len()].clone();
        v["request"] = requests[i / 3 % requests.len()].clone();
        v["page"] = pages[i / 12 % pages.len()].clone();
        if i % 5 == 0 {
            v["profile"] =
                json!({"industry": "Oil & Gas", "company": "PetroChina", "companySize": 5000});
        }
        out.push(v);
    }
    out
}

fn decides_alike(name: &str, site: Value) {
    let from_json = Personalizer::from_value(site.clone()).unwrap();
    let bytes = compile(&site, Some(Kind::Site)).unwrap();
    let compiled = Compiled::read(&bytes)
        .and_then(Compiled::load)
        .unwrap()
        .personalizer
        .unwrap();
    // What the page-only build reads: the compiled structures.
    let ahead = Frame::read(&bytes)
        .and_then(|f| f.load())
        .unwrap()
        .personalizer
        .unwrap();
    for v in visitors() {
        let visitor = Visitor::from_value(v.clone()).unwrap();
        let tables = Tables::default();
        let expected = from_json.decide(&visitor, &tables);
        assert_eq!(compiled.decide(&visitor, &tables), expected, "{name}: {v}");
        assert_eq!(
            ahead.decide(&visitor, &tables),
            expected,
            "ahead {name}: {v}"
        );
    }
}

#[test]
fn the_sample_and_demo_site_configs_decide_alike_when_compiled() {
    for name in ["tests/data/site-config.json", "demo/site-config.json"] {
        let path = format!("{}/{name}", env!("CARGO_MANIFEST_DIR"));
        let site: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        decides_alike(name, site);
    }
}

#[test]
fn the_edge_document_compiles_both_and_keeps_its_version() {
    let path = format!("{}/demo/site-config.json", env!("CARGO_MANIFEST_DIR"));
    let site: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let model: Value = serde_json::from_str(DEFAULT_MODEL_JSON).unwrap();
    let doc = json!({"version": "00ff00ff00ff00ff", "site": site, "model": model});
    let bytes = compile(&doc, None).unwrap();
    let loaded = Compiled::read(&bytes).and_then(Compiled::load).unwrap();
    assert_eq!(loaded.version, "00ff00ff00ff00ff");
    let ahead = Frame::read(&bytes).and_then(|f| f.load()).unwrap();
    assert_eq!(ahead.version, loaded.version);
    assert!(ahead.personalizer.is_some() && ahead.model.is_some());
    let model = loaded.model.unwrap();
    let case = json!({"profile": {"title": "VP of Operations", "industry": "Oil & Gas"},
        "events": [{"type": "track", "event": "Demo Requested", "timestamp": 1_795_632_120_000i64}],
        "now": 1_795_632_120_000i64});
    assert_eq!(score(&model, &case), score(&Model::default_model(), &case));
}

/// The compiled site config the DOM tests (tests/e2e/dom-*.test.mjs) hand
/// the page build, which has no compiler: kept in step with its JSON here.
#[test]
fn the_dom_tests_compiled_fixture_is_up_to_date() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/compiled/");
    let site: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}dom-site.json")).unwrap())
            .unwrap();
    let bytes = compile(&site, Some(Kind::Site)).unwrap();
    let path = format!("{dir}dom-site.nrc");
    if std::env::var_os("UPDATE_COMPILED").is_some() {
        std::fs::write(&path, &bytes).unwrap();
        return;
    }
    assert!(
        std::fs::read(&path).unwrap() == bytes,
        "{path} is stale: UPDATE_COMPILED=1 cargo test --test compiled"
    );
}

/// The edge's document with a model and a site config that use what the
/// compiled structures carry specially: regexes (fit `pattern` in
/// regex-lite's syntax, `$regex`/`$regexi`, organization rules), JSON
/// values (`$eq` with an object, `$in` lists, saved groups, slot content),
/// caps, aggregates, inactivity, calibration, MQL, a holdout, an
/// experiment and a content matrix.
fn ahead_document() -> Value {
    let mut model: Value = serde_json::from_str(DEFAULT_MODEL_JSON).unwrap();
    let rules = model["fit"]["rules"].as_array_mut().unwrap();
    rules.push(json!({"id": "cn-mobile", "field": "phone", "op": "pattern",
        "pattern": "(?i)^\\+86 ?1[3-9]\\d", "points": 4}));
    rules.push(json!({"id": "petro", "field": "company", "op": "pattern",
        "pattern": "^petro", "points": 3}));
    model["mql"] = json!({"grades": ["A1", "b2"], "minFit": 30, "minEngagement": 20});
    model["calibration"] = json!({"intercept": -4, "slope": 0.05});
    let path = format!("{}/demo/site-config.json", env!("CARGO_MANIFEST_DIR"));
    let mut site: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let segments = site["segments"].as_array_mut().unwrap();
    segments.push(json!({"id": "petro-re", "priority": 95,
        "when": {"company": {"$regex": "^Petro(China)?$"}}}));
    segments.push(json!({"id": "energy-rei", "priority": 5,
        "when": {"$or": [{"industry": {"$regexi": "oil|energy"}},
                         {"utm.campaign": {"$regexi": "^oil-"}}]}}));
    segments.push(json!({"id": "eq-object", "priority": 1,
        "when": {"utm": {"$eq": {"campaign": "oil-gas"}}, "country": {"$in": ["CN", "DE", 1]}}}));
    site["orgRules"].as_array_mut().unwrap().push(
        json!({"id": "siemens", "regex": "\\bsiemens\\b", "set": {"industry": "Manufacturing"}}),
    );
    let slots = site["slots"].as_array_mut().unwrap();
    slots.push(json!({"id": "ahead", "default": {"content": {"n": 1.5, "list": [1, -2, "三"]}},
        "variants": [{"id": "re", "segment": "petro-re", "content": "regex"},
                     {"id": "rei", "when": {"segments": {"$in": ["energy-rei", "eq-object", "china"]}},
                      "content": {"x": null}}]}));
    slots.push(json!({"id": "exp", "default": {"content": "control"},
        "variants": [{"id": "a", "content": "A"}, {"id": "b", "content": "B"}],
        "experiment": {"key": "exp-1", "hashVersion": 2, "variations": ["default", "a", "b"],
            "weights": [0.4, 0.3, 0.3]}}));
    site["holdout"] = json!({"share": 0.1, "seed": "h"});
    site["content"] = json!({"limit": 2, "items": [
        {"id": "cs-refinery", "type": "case-study", "topic": ["oil-gas"], "stage": "consideration",
         "persona": {"industry": ["Oil & Gas"], "companySize": ["1000+"]}},
        {"id": "wp-retail", "type": "white-paper", "topic": "retail", "stage": "awareness"},
        {"id": "demo", "type": "demo", "stage": "decision"}]});
    json!({"site": site, "model": model})
}

#[test]
fn a_config_compiled_ahead_decides_and_scores_like_one_compiled_in_place() {
    let doc = ahead_document();
    let in_place_model = Model::from_value(doc["model"].clone()).unwrap();
    let in_place_site = Personalizer::from_value(doc["site"].clone()).unwrap();
    let bytes = compile(&doc, Some(Kind::Edge)).unwrap();
    // What the page-only build loads: the compiled structures, no document.
    let ahead = Frame::read(&bytes).and_then(|f| f.load()).unwrap();
    let (ahead_model, ahead_site) = (ahead.model.unwrap(), ahead.personalizer.unwrap());
    assert_eq!(ahead_model.fingerprint(), in_place_model.fingerprint());

    let now = 1_795_632_120_000i64;
    let event = |name: &str, ago_days: i64| json!({"type": "track", "event": name, "timestamp": now - ago_days * 86_400_000});
    let page = |path: &str, ago_days: i64| json!({"type": "page", "properties": {"path": path}, "timestamp": now - ago_days * 86_400_000});
    let histories = [
        vec![],
        vec![
            event("Demo Requested", 0),
            page("/pricing", 1),
            page("/pricing", 2),
        ],
        vec![
            page("/case-studies/refinery", 40),
            page("/careers", 3),
            event("Whitepaper Downloaded", 10),
        ],
        (0..30).map(|d| page("/industries/oil-gas", d)).collect(),
    ];
    let profiles = [
        json!(null),
        json!({"email": "li.wei@petrochina.com.cn", "phone": "+86 139 1234 5678", "title": "VP Operations",
               "company": "PetroChina", "industry": "Oil & Gas", "companySize": 5000}),
        json!({"email": "anna@gmail.com", "title": "Student", "company": "Siemens AG"}),
        json!({"company": "Petro", "industry": "Energy", "companySize": 40, "role": "engineer"}),
    ];
    let requests = [
        json!(null),
        json!({"country": "CN", "asOrganization": "PetroChina"}),
        json!({"country": "DE", "asOrganization": "Siemens AG"}),
    ];
    let pages = [
        json!({"path": "/"}),
        json!({"path": "/pricing", "utm": {"campaign": "oil-gas"}}),
    ];
    let mut compared = 0;
    let mut variants = std::collections::BTreeSet::new();
    for (i, history) in histories.iter().enumerate() {
        for (j, profile) in profiles.iter().enumerate() {
            let case = json!({"profile": profile, "events": history, "now": now});
            let (in_place, from_ahead) =
                (score(&in_place_model, &case), score(&ahead_model, &case));
            assert_eq!(from_ahead, in_place, "history {i}, profile {j}");
            let summary = in_place_model
                .score(profile.as_object(), history, now, &ScoreOptions::default())
                .summary();
            for (k, request) in requests.iter().enumerate() {
                let mut v = json!({"id": format!("visitor-{i}-{j}-{k}"), "profile": profile,
                    "request": request, "page": pages[(i + j + k) % pages.len()]});
                v["score"] = serde_json::to_value(&summary).unwrap();
                let visitor = Visitor::from_value(v.clone()).unwrap();
                let tables = Tables::default();
                let decided = ahead_site.decide(&visitor, &tables);
                assert_eq!(decided, in_place_site.decide(&visitor, &tables), "{v}");
                for d in serde_json::to_value(&decided).unwrap()["decisions"]
                    .as_array()
                    .unwrap()
                {
                    variants.insert(format!("{}/{}", d["slot"], d["variant"]).replace('"', ""));
                }
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 48);
    // The regex segments, the experiment's arms and the defaults all came up.
    for seen in ["ahead/re", "ahead/rei", "ahead/default", "exp/a", "exp/b"] {
        assert!(variants.contains(seen), "{seen} not in {variants:?}");
    }
}
