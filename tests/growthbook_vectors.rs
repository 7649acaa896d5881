//! Runs every case of GrowthBook's shared SDK test vectors (spec 0.8.0 copy in
//! `tests/data/vectors/growthbook-cases.json`) against `crate::targeting`.
//!
//! Float results are compared like GrowthBook's own `json.test.ts`: hashes
//! exactly, bucket ranges and equal weights after `Math.floor(n * 1e8) / 1e8`
//! on both sides (and additionally within 1e-8 before rounding).

use nurture::targeting::{
    choose_variation, eval_condition, get_bucket_ranges, get_equal_weights, hash, in_namespace,
    Condition,
};
use serde_json::Value;

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/vectors/growthbook-cases.json"
);

fn load() -> Value {
    let text = std::fs::read_to_string(CASES).expect("read growthbook-cases.json");
    serde_json::from_str(&text).expect("parse growthbook-cases.json")
}

fn section<'a>(all: &'a Value, name: &str) -> &'a Vec<Value> {
    all[name]
        .as_array()
        .unwrap_or_else(|| panic!("section {name} missing"))
}

fn round8(n: f64) -> f64 {
    (n * 1e8).floor() / 1e8
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn ranges(v: &Value) -> Vec<(f64, f64)> {
    v.as_array()
        .expect("ranges array")
        .iter()
        .map(|r| (f(&r[0]), f(&r[1])))
        .collect()
}

fn finish(section: &str, run: usize, expected_count: usize, failures: Vec<String>) {
    for fail in &failures {
        eprintln!("FAIL {section}: {fail}");
    }
    assert!(
        failures.is_empty(),
        "{section}: {} of {run} cases failed",
        failures.len()
    );
    assert_eq!(run, expected_count, "{section}: unexpected number of cases");
    eprintln!("{section}: {run}/{expected_count} passed");
}

#[test]
fn eval_condition_vectors() {
    let all = load();
    let cases = section(&all, "evalCondition");
    let mut failures = Vec::new();
    for case in cases {
        let name = case[0].as_str().unwrap_or("?");
        let (cond, attrs, expected) = (&case[1], &case[2], case[3].as_bool().expect("bool"));
        let groups = case.get(4);
        let got = eval_condition(attrs, cond, groups);
        // The compiled form must agree with the one-shot helper.
        let (compiled, _) = Condition::compile_lenient(cond);
        let got2 = compiled.eval(attrs, groups.unwrap_or(&Value::Null));
        if got != expected || got2 != expected {
            failures.push(format!(
                "{name}: expected {expected}, got {got} (compiled: {got2}); condition {cond}, attributes {attrs}"
            ));
        }
    }
    finish("evalCondition", cases.len(), 124, failures);
}

#[test]
fn hash_vectors() {
    let all = load();
    let cases = section(&all, "hash");
    let mut failures = Vec::new();
    for case in cases {
        let seed = case[0].as_str().expect("seed");
        let value = case[1].as_str().expect("value");
        let version = u32::try_from(case[2].as_u64().expect("version")).expect("u32");
        let expected = case[3].as_f64();
        let got = hash(seed, value, version);
        // Exact: the JS test uses toEqual on the raw float.
        if got != expected {
            failures.push(format!(
                "hash({seed:?}, {value:?}, {version}): expected {expected:?}, got {got:?}"
            ));
        }
    }
    finish("hash", cases.len(), 15, failures);
}

#[test]
fn get_bucket_range_vectors() {
    let all = load();
    let cases = section(&all, "getBucketRange");
    let mut failures = Vec::new();
    for case in cases {
        let name = case[0].as_str().unwrap_or("?");
        let args = &case[1];
        let n = args[0].as_i64().expect("numVariations");
        let coverage = f(&args[1]);
        let weights: Option<Vec<f64>> = args[2].as_array().map(|w| w.iter().map(f).collect());
        let got = get_bucket_ranges(n, coverage, weights.as_deref());
        let expected = ranges(&case[2]);
        let ok = got.len() == expected.len()
            && got.iter().zip(&expected).all(|(g, e)| {
                round8(g.0) == round8(e.0)
                    && round8(g.1) == round8(e.1)
                    && (g.0 - e.0).abs() < 1e-8
                    && (g.1 - e.1).abs() < 1e-8
            });
        if !ok {
            failures.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
    }
    finish("getBucketRange", cases.len(), 13, failures);
}

#[test]
fn choose_variation_vectors() {
    let all = load();
    let cases = section(&all, "chooseVariation");
    let mut failures = Vec::new();
    for case in cases {
        let name = case[0].as_str().unwrap_or("?");
        let got = choose_variation(f(&case[1]), &ranges(&case[2]));
        let expected = case[3].as_i64().expect("index");
        if i64::from(got) != expected {
            failures.push(format!("{name}: expected {expected}, got {got}"));
        }
    }
    finish("chooseVariation", cases.len(), 13, failures);
}

#[test]
fn get_equal_weights_vectors() {
    let all = load();
    let cases = section(&all, "getEqualWeights");
    let mut failures = Vec::new();
    for case in cases {
        let n = case[0].as_i64().expect("n");
        let expected: Vec<f64> = case[1].as_array().expect("weights").iter().map(f).collect();
        let got = get_equal_weights(n);
        let ok = got.len() == expected.len()
            && got
                .iter()
                .zip(&expected)
                .all(|(g, e)| round8(*g) == round8(*e) && (g - e).abs() < 1e-8);
        if !ok {
            failures.push(format!(
                "getEqualWeights({n}): expected {expected:?}, got {got:?}"
            ));
        }
    }
    finish("getEqualWeights", cases.len(), 6, failures);
}

#[test]
fn in_namespace_vectors() {
    let all = load();
    let cases = section(&all, "inNamespace");
    let mut failures = Vec::new();
    for case in cases {
        let name = case[0].as_str().unwrap_or("?");
        let id = case[1].as_str().expect("id");
        let ns = &case[2];
        let namespace = (ns[0].as_str().expect("namespace"), f(&ns[1]), f(&ns[2]));
        let expected = case[3].as_bool().expect("bool");
        let got = in_namespace(id, namespace);
        if got != expected {
            failures.push(format!("{name}: expected {expected}, got {got}"));
        }
    }
    finish("inNamespace", cases.len(), 16, failures);
}
