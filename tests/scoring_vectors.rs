//! The shared scoring vectors (tests/data/vectors/scoring.json): every case
//! scored by the core and compared, whole result, with what the file says.
//! The same file runs against both builds of the npm package
//! (tests/js/scoring-vectors.test.mjs). How the expectations were made and
//! which were checked by hand: tests/data/vectors/README.md.

use nurture::score::{EventSource, Model, ScoreOptions};
use nurture::ConfigDocument;
use serde_json::{Map, Value};

const VECTORS: &str = include_str!("data/vectors/scoring.json");

/// The number of cases: adding or removing one is a decision, not a drift.
const CASES: usize = 74;

/// Floats may differ in the last bits between targets (`powf` of the host's
/// libm and of the wasm build); the results are rounded to 4 decimals.
const TOLERANCE: f64 = 1e-6;

fn cases() -> Vec<Value> {
    let doc: Value = serde_json::from_str(VECTORS).expect("scoring.json is JSON");
    doc["cases"].as_array().expect("a list of cases").clone()
}

fn options(case: &Value) -> ScoreOptions {
    let mut options = ScoreOptions::default();
    if let Some(o) = case.get("options") {
        if let Some(b) = o.get("breakdown").and_then(Value::as_bool) {
            options.breakdown = b;
        }
        match o.get("source").and_then(Value::as_str) {
            None | Some("server") => {}
            Some("browser") => options.source = EventSource::Browser,
            Some(other) => panic!("options.source {other:?}"),
        }
    }
    options
}

fn score(case: &Value) -> Value {
    let model = match case.get("model") {
        None | Some(Value::Null) => Model::default_model(),
        Some(doc) => Model::from_value(doc.clone())
            .unwrap_or_else(|e| panic!("{}: model should load: {e}", case["name"])),
    };
    let profile: Option<&Map<String, Value>> = case["profile"].as_object();
    let events = case["events"].as_array().cloned().unwrap_or_default();
    let now = case["now"].as_i64().expect("now in ms");
    let result = model.score(profile, &events, now, &options(case));
    serde_json::to_value(result).expect("a result serializes")
}

/// Where `got` and `want` differ first, as a JSON path, or `None`.
fn difference(got: &Value, want: &Value, at: &str) -> Option<String> {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64()?, b.as_f64()?);
            ((a - b).abs() > TOLERANCE).then(|| format!("{at}: got {a}, expected {b}"))
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Some(format!("{at}: {} items, expected {}", a.len(), b.len()));
            }
            a.iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| difference(x, y, &format!("{at}[{i}]")))
        }
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (a.get(k), b.get(k)) {
                (Some(x), Some(y)) => difference(x, y, &format!("{at}.{k}")),
                (Some(x), None) => Some(format!("{at}.{k}: unexpected {x}")),
                (None, Some(y)) => Some(format!("{at}.{k}: missing, expected {y}")),
                (None, None) => None,
            })
        }
        (a, b) => (a != b).then(|| format!("{at}: got {a}, expected {b}")),
    }
}

#[test]
fn every_scoring_vector_gives_the_expected_result() {
    let cases = cases();
    assert_eq!(cases.len(), CASES, "case count");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().expect("a name");
        let want = case.get("expected").filter(|e| !e.is_null());
        let Some(want) = want else {
            failures.push(format!("{name}: no expected result (run the generator)"));
            continue;
        };
        if let Some(diff) = difference(&score(case), want, "expected") {
            failures.push(format!("{name}: {diff}"));
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

#[test]
fn case_names_are_unique_and_cases_well_formed() {
    let cases = cases();
    let mut names: Vec<&str> = cases.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names.len(), cases.len(), "every case has a name");
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "names are unique");
    for case in &cases {
        let keys: Vec<&str> = case
            .as_object()
            .expect("a case is an object")
            .keys()
            .map(String::as_str)
            .collect();
        for key in &keys {
            assert!(
                ["name", "model", "profile", "events", "now", "options", "expected"].contains(key),
                "{}: unknown key {key}",
                case["name"]
            );
        }
    }
}

/// The comparison itself: a float within the tolerance is equal, anything
/// else that differs is reported with its path.
#[test]
fn the_comparison_reports_the_first_difference_with_its_path() {
    let want = serde_json::json!({ "a": [1.0, { "b": 0.25 }], "c": "x" });
    let near = serde_json::json!({ "a": [1.000_000_000_1, { "b": 0.25 }], "c": "x" });
    assert_eq!(difference(&near, &want, "r"), None);
    let off = serde_json::json!({ "a": [1.0, { "b": 0.2501 }], "c": "x" });
    assert_eq!(
        difference(&off, &want, "r").as_deref(),
        Some("r.a[1].b: got 0.2501, expected 0.25")
    );
    let extra = serde_json::json!({ "a": [1.0, { "b": 0.25 }], "c": "x", "d": null });
    assert_eq!(
        difference(&extra, &want, "r").as_deref(),
        Some("r.d: unexpected null")
    );
}
