//! GrowthBook's `evalCondition` vectors as the page build meets them: each
//! condition compiled by the full build (as `nurture compile` and the edge
//! compile a site config's), its compiled bytes read back by hand
//! (`compiled::read`) and evaluated over attributes held in the build's
//! own JSON value.
//!
//! Run three ways (scripts/test.sh): natively with the default features,
//! where the bytes are also checked against what the compiler writes now;
//! and in wasm with `--no-default-features --features page-only`, the
//! page build's features: its lean JSON value (src/json/lean.rs), no
//! serde_json in the core, and `$regex` on the JS engine's own `RegExp`.
//!
//! The compiled bytes are committed (tests/data/vectors/
//! growthbook-compiled.json) because the page build has no compiler to
//! write them; `UPDATE_VECTORS=1 cargo test --test page_conditions`
//! writes them again after a change to the compiled format.

use nurture::compiled::read::from_bytes;
use nurture::json::{Map, Value};
use nurture::targeting::Condition;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const CASES: &str = include_str!("data/vectors/growthbook-cases.json");
const COMPILED: &str = include_str!("data/vectors/growthbook-compiled.json");

/// `evalCondition`'s cases: `[name, condition, attributes, expected, savedGroups?]`.
fn cases() -> Vec<serde_json::Value> {
    let all: serde_json::Value = serde_json::from_str(CASES).expect("the vectors are JSON");
    all["evalCondition"]
        .as_array()
        .expect("evalCondition is a list")
        .clone()
}

/// The committed compiled form: `[name, hex of the compiled bytes]` per case.
fn compiled() -> Vec<(String, Vec<u8>)> {
    let doc: serde_json::Value =
        serde_json::from_str(COMPILED).expect("the compiled vectors are JSON");
    doc["conditions"]
        .as_array()
        .expect("conditions is a list")
        .iter()
        .map(|c| {
            let name = c[0].as_str().expect("a name").to_owned();
            (name, unhex(c[1].as_str().expect("hex bytes")))
        })
        .collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A JSON value as the build under test holds it: serde_json's in the
/// full build, the lean one in the page build (numbers keep their kind).
fn held(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                Value::from(n.as_f64().expect("a finite number"))
            }
        }
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(items) => Value::from(items.iter().map(held).collect::<Vec<_>>()),
        serde_json::Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.clone(), held(v));
            }
            Value::from(out)
        }
    }
}

#[test]
fn compiled_conditions_answer_as_growthbook() {
    let cases = cases();
    let compiled = compiled();
    assert_eq!(
        compiled.len(),
        cases.len(),
        "one compiled condition per case: UPDATE_VECTORS=1 cargo test --test page_conditions"
    );
    let mut failures = Vec::new();
    for (case, (name, bytes)) in cases.iter().zip(&compiled) {
        assert_eq!(
            case[0].as_str(),
            Some(name.as_str()),
            "the cases and their compiled forms are in one order"
        );
        let condition: Condition = match from_bytes(bytes) {
            Ok(c) => c,
            Err(_) => {
                failures.push(format!("{name}: the compiled bytes do not read"));
                continue;
            }
        };
        let attributes = held(&case[2]);
        let groups = case.get(4).map(held).unwrap_or(Value::Null);
        let expected = case[3].as_bool().expect("expected is a bool");
        if condition.eval(&attributes, &groups) != expected {
            failures.push(format!("{name}: expected {expected}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The committed bytes are what the compiler writes now.
#[cfg(not(feature = "page-only"))]
#[test]
fn compiled_vectors_are_current() {
    let written: Vec<serde_json::Value> = cases()
        .iter()
        .map(|case| {
            let (condition, _problems) = Condition::compile_lenient(&case[1]);
            let bytes = postcard::to_allocvec(&condition).expect("a condition serializes");
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            serde_json::json!([case[0], hex])
        })
        .collect();
    let doc = serde_json::json!({
        "about": "GrowthBook's evalCondition cases (growthbook-cases.json, same order) compiled by the full build: [name, postcard bytes as hex]. tests/page_conditions.rs reads them in the page build. Written by UPDATE_VECTORS=1 cargo test --test page_conditions.",
        "conditions": written,
    });
    let text = serde_json::to_string_pretty(&doc).expect("JSON") + "\n";
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/vectors/growthbook-compiled.json"
    );
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(path, &text).expect("write the compiled vectors");
        return;
    }
    assert!(
        text == COMPILED,
        "tests/data/vectors/growthbook-compiled.json is not what the compiler writes now: UPDATE_VECTORS=1 cargo test --test page_conditions"
    );
}
