//! GrowthBook-compatible targeting exports, with the names and shapes of
//! GrowthBook's JS SDK helpers, so the shared test vectors run unchanged.

use crate::json::Value;
use wasm_bindgen::prelude::*;

use super::{from_js, invalid_argument, to_js};
use crate::targeting;

fn number(value: &JsValue, what: &str) -> Result<f64, JsValue> {
    value
        .as_f64()
        .ok_or_else(|| invalid_argument(what, "expected a number"))
}

fn string(value: &JsValue, what: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid_argument(what, "expected a string"))
}

/// `evalCondition(attributes, condition, savedGroups?) → boolean`, in
/// GrowthBook's argument order. A malformed condition is `false`, as in
/// GrowthBook. A call in nurture's old order `(condition, attributes)` is
/// refused when unambiguous (see [`targeting::looks_swapped`]): it would
/// otherwise answer `false` without a word.
#[wasm_bindgen(js_name = evalCondition)]
pub fn eval_condition_js(
    attributes: JsValue,
    condition: JsValue,
    saved_groups: JsValue,
) -> Result<bool, JsValue> {
    let attributes = from_js(attributes, "attributes")?;
    let condition = from_js(condition, "condition")?;
    let groups = from_js(saved_groups, "savedGroups")?;
    #[cfg(feature = "old-order-check")]
    if targeting::looks_swapped(&attributes, &condition) {
        return Err(invalid_argument(
            "attributes",
            "looks like a condition: the order is evalCondition(attributes, condition, savedGroups)",
        ));
    }
    Ok(targeting::eval_condition(
        &attributes,
        &condition,
        Some(&groups),
    ))
}

/// `hash(seed, value, version) → number | null` (FNV-1a, versions 1 and 2).
#[wasm_bindgen(js_name = hash)]
pub fn hash_js(seed: JsValue, value: JsValue, version: JsValue) -> Result<JsValue, JsValue> {
    let seed = string(&seed, "seed")?;
    let value = string(&value, "value")?;
    let version = number(&version, "version")?;
    // A non-integer or out-of-range version is simply unknown (null).
    let known = version.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&version);
    Ok(known
        .then(|| targeting::hash(&seed, &value, version as u32))
        .flatten()
        .map_or(JsValue::NULL, JsValue::from_f64))
}

/// `getBucketRange(numVariations, coverage, weights?) → [number, number][]`.
#[wasm_bindgen(js_name = getBucketRange)]
pub fn get_bucket_range_js(
    num_variations: JsValue,
    coverage: JsValue,
    weights: JsValue,
) -> Result<JsValue, JsValue> {
    let n = number(&num_variations, "numVariations")?;
    let coverage = if coverage.is_undefined() {
        1.0
    } else {
        number(&coverage, "coverage")?
    };
    let weights: Option<Vec<f64>> = match from_js(weights, "weights")? {
        Value::Null => None,
        Value::Array(list) => Some(
            list.iter()
                .map(|w| w.as_f64().unwrap_or(f64::NAN))
                .collect(),
        ),
        _ => return Err(invalid_argument("weights", "expected an array of numbers")),
    };
    let n = if n.is_finite() { n.trunc() as i64 } else { 0 };
    let ranges = targeting::get_bucket_ranges(n, coverage, weights.as_deref());
    let pairs: Vec<[f64; 2]> = ranges.iter().map(|&(a, b)| [a, b]).collect();
    to_js(&pairs)
}

/// `chooseVariation(n, ranges) → number` (−1 when `n` is in no range).
#[wasm_bindgen(js_name = chooseVariation)]
pub fn choose_variation_js(n: JsValue, ranges: JsValue) -> Result<i32, JsValue> {
    let n = number(&n, "n")?;
    let ranges = match from_js(ranges, "ranges")? {
        Value::Array(list) => list
            .iter()
            .map(|pair| match pair.as_array().map(Vec::as_slice) {
                Some([a, b]) => match (a.as_f64(), b.as_f64()) {
                    (Some(a), Some(b)) => Ok((a, b)),
                    _ => Err(()),
                },
                _ => Err(()),
            })
            .collect::<Result<Vec<(f64, f64)>, ()>>()
            .map_err(|()| invalid_argument("ranges", "expected [start, end] pairs of numbers"))?,
        _ => return Err(invalid_argument("ranges", "expected an array")),
    };
    Ok(targeting::choose_variation(n, &ranges))
}

/// `inNamespace(id, [namespace, lo, hi]) → boolean`.
#[wasm_bindgen(js_name = inNamespace)]
pub fn in_namespace_js(id: JsValue, namespace: JsValue) -> Result<bool, JsValue> {
    let id = string(&id, "id")?;
    match from_js(namespace, "namespace")? {
        Value::Array(parts) => match parts.as_slice() {
            [Value::String(name), lo, hi] => match (lo.as_f64(), hi.as_f64()) {
                (Some(lo), Some(hi)) => Ok(targeting::in_namespace(&id, (name, lo, hi))),
                _ => Err(invalid_argument("namespace", "expected [name, lo, hi]")),
            },
            _ => Err(invalid_argument("namespace", "expected [name, lo, hi]")),
        },
        _ => Err(invalid_argument("namespace", "expected [name, lo, hi]")),
    }
}

/// `getEqualWeights(n) → number[]`.
#[wasm_bindgen(js_name = getEqualWeights)]
pub fn get_equal_weights_js(n: JsValue) -> Result<JsValue, JsValue> {
    let n = number(&n, "n")?;
    let n = if n.is_finite() { n.trunc() as i64 } else { 0 };
    to_js(&targeting::get_equal_weights(n))
}
