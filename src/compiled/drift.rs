//! Keeps the hand-written reader of the compiled structures ([`super::read`])
//! in step with what the full build writes (serde's derived `Serialize`,
//! postcard): for the built-in model, the sample, demo and DOM test site
//! configs, every scoring vector's model, every GrowthBook condition case
//! and a site config that uses every kind of rule, the compiled structures
//! are written, read back by hand and written again, and must come out
//! the same bytes. Any prefix of them is refused, and damaged bytes are
//! refused or read, never a panic.

use serde::Serialize;
use serde_json::{json, Value};

use super::read::{from_bytes, WireRead};
use super::{compile, wire, Frame, Kind, DEFAULT_MODEL};
use crate::personalize::Personalizer;
use crate::score::wire::Parts;
use crate::targeting::Condition;
use crate::ConfigDocument;

fn document(path: &str) -> Value {
    let path = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Written, read and written again: the same bytes; every prefix refused;
/// damaged bytes never panic.
fn reads_back<T: WireRead + Serialize>(what: &str, bytes: &[u8]) {
    let read: T = from_bytes(bytes).unwrap_or_else(|_| panic!("{what}: does not read back"));
    assert!(wire::encode(&read) == bytes, "{what}: reads back different");
    for cut in 0..bytes.len() {
        assert!(
            from_bytes::<T>(&bytes[..cut]).is_err(),
            "{what}: cut at {cut}"
        );
    }
    let step = bytes.len() / 1500 + 1;
    for at in (0..bytes.len()).step_by(step) {
        for flip in [0xFF, 0x80, 0x01] {
            let mut damaged = bytes.to_vec();
            damaged[at] ^= flip;
            let _ = from_bytes::<T>(&damaged);
        }
    }
}

/// The compiled structures of a compiled config, each checked.
fn check_compiled(what: &str, bytes: &[u8]) {
    let frame = Frame::read(bytes).unwrap();
    if let Some(site) = frame.compiled_site {
        reads_back::<Personalizer>(what, site);
    }
    if let Some(model) = frame.compiled_model {
        reads_back::<Parts>(what, model);
    }
    assert!(frame.compiled_site.is_some() || frame.compiled_model.is_some());
}

fn check(what: &str, document: &Value, kind: Kind) {
    check_compiled(what, &compile(document, Some(kind)).unwrap());
}

#[test]
fn the_built_in_model_reads_back() {
    check_compiled("default_model.nrc", DEFAULT_MODEL);
    let model: Value = serde_json::from_str(crate::score::DEFAULT_MODEL_JSON).unwrap();
    check("default_model.json", &model, Kind::Model);
}

#[test]
fn the_site_configs_read_back() {
    for path in [
        "tests/data/site-config.json",
        "demo/site-config.json",
        "tests/data/compiled/dom-site.json",
    ] {
        check(path, &document(path), Kind::Site);
    }
    let edge = json!({"site": document("demo/site-config.json"),
        "model": serde_json::from_str::<Value>(crate::score::DEFAULT_MODEL_JSON).unwrap()});
    check("edge document", &edge, Kind::Edge);
}

#[test]
fn every_scoring_vector_model_reads_back() {
    let vectors = document("tests/data/vectors/scoring.json");
    let mut models = 0;
    for case in vectors["cases"].as_array().unwrap() {
        if let Some(model) = case.get("model").filter(|m| !m.is_null()) {
            check(case["name"].as_str().unwrap_or("case"), model, Kind::Model);
            models += 1;
        }
    }
    assert!(models >= 30, "{models} models");
}

#[test]
fn every_growthbook_condition_reads_back() {
    let cases = document("tests/data/vectors/growthbook-cases.json");
    let cases = cases["evalCondition"].as_array().unwrap();
    assert!(cases.len() > 100);
    for case in cases {
        let (condition, _) = Condition::compile_lenient(&case[1]);
        let bytes = wire::encode(&condition);
        reads_back::<Condition>(case[0].as_str().unwrap_or("case"), &bytes);
    }
}

/// A site config with every kind of organization rule, targeting,
/// experiment, holdout and content persona.
fn every_kind_of_rule() -> Value {
    json!({
        "version": "7",
        "savedGroups": {"vips": ["a", 1, true, null, {"x": [1.5]}]},
        "topInterests": 4,
        "holdout": {"share": 0.05, "seed": "s"},
        "orgRules": [
            {"id": "eq", "equals": ["PetroChina", "Shell"], "set": {"industry": "oil-gas"}},
            {"id": "has", "field": "isp", "contains": "energy", "set": {"industry": "energy"}},
            {"id": "suf", "field": "domain", "suffix": [".gov"], "set": {"sector": "public"}},
            {"id": "re", "field": "company", "regex": "^acme", "caseSensitive": true, "set": {"n": 1}},
            {"id": "asn", "asn": [64500, 4294967295u64], "set": {"big": true}}
        ],
        "segments": [
            {"id": "cn", "priority": 2, "when": {"country": "CN", "name": {"$regex": "pe.*"}}},
            {"id": "ops", "when": {"$or": [{"age": {"$gt": 3, "$lte": "9"}},
                {"v": {"$vgt": "1.2.3"}}, {"tags": {"$all": ["a", "b"], "$size": {"$gt": 1}}},
                {"x": {"$in": ["a", 2, true, false, null, [1]], "$nin": ["z"]}},
                {"g": {"$inGroup": "vips"}}, {"t": {"$type": "string", "$exists": true}},
                {"e": {"$elemMatch": {"$eq": {"k": 1}}}}, {"o": {"$elemMatch": {"a": 1}}},
                {"$nor": [{"n": null}]}, {"$not": {"m": {"$regexi": "X"}}},
                {"q": {"$ne": 1.5, "$not": {"$eq": "y"}}}]}}
        ],
        "slots": [
            {"id": "hero", "default": {"content": {"title": "Hi", "n": -3}, "kind": "html-template"},
             "variants": [
                {"id": "a", "segment": "cn", "content": "A"},
                {"id": "b", "when": {"country": "US"}, "tier": ["hot"], "stage": "decision",
                 "interest": "iot", "content": ["x", 18446744073709551615u64]}
             ],
             "experiment": {"key": "e1", "seed": "s1", "variations": ["default", "a", "b"],
                "weights": [0.2, 0.3, 0.5], "coverage": 0.9, "namespace": ["ns", 0, 0.5],
                "hashAttribute": "deviceId", "hashVersion": 2, "segment": "cn"},
             "holdout": {"share": 0.1}}
        ],
        "content": {"limit": 3, "weights": {"industry": 0.5},
            "items": [
                {"id": "c1", "title": "T", "url": "/c1", "type": "case-study", "topic": ["Oil & Gas"],
                 "tags": "x", "stage": "consideration",
                 "persona": {"industry": "Oil & Gas", "role": ["engineering"],
                    "companySize": ["1-50", "1000+"], "region": "EMEA"}},
                {"id": "c2", "type": "other"}
            ]}
    })
}

#[test]
fn a_site_config_with_every_kind_of_rule_reads_back() {
    let site = every_kind_of_rule();
    let compiled = Personalizer::from_value(site.clone());
    assert!(compiled.is_ok(), "{:?}", compiled.err());
    check("every kind of rule", &site, Kind::Site);
}
