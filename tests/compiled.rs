//! Compiled configs (src/compiled/) answer exactly like the JSON they were
//! compiled from: every case of the shared scoring vectors scored with the
//! compiled model, and the sample and demo site configs deciding for many
//! visitors with the compiled site config. Also keeps the embedded compiled
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

/// The model as the page-only build reads it: straight from the compiled
/// tree (src/compiled/de.rs), no `Value` for the document.
fn typed_model(bytes: &[u8]) -> Model {
    Frame::read(bytes)
        .and_then(|f| f.load())
        .expect("a compiled model loads typed")
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
            score(&typed_model(&bytes), case),
            score(&from_json, case),
            "typed: {}",
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
    // What the page-only build reads, straight from the tree.
    let typed = Frame::read(&bytes)
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
            typed.decide(&visitor, &tables),
            expected,
            "typed {name}: {v}"
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
    let typed = Frame::read(&bytes).and_then(|f| f.load()).unwrap();
    assert_eq!(typed.version, loaded.version);
    assert!(typed.personalizer.is_some() && typed.model.is_some());
    let model = loaded.model.unwrap();
    let case = json!({"profile": {"title": "VP of Operations", "industry": "Oil & Gas"},
        "events": [{"type": "track", "event": "Demo Requested", "timestamp": 1_795_632_120_000i64}],
        "now": 1_795_632_120_000i64});
    assert_eq!(score(&model, &case), score(&Model::default_model(), &case));
}

/// The compiled site config the DOM tests (tests/wasm_dom.rs) hand the
/// page build, which has no compiler: kept in step with its JSON here.
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
