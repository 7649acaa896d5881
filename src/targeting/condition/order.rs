//! Telling a call in the old argument order apart: nurture's
//! `evalCondition` once took `(condition, attributes)`, GrowthBook's takes
//! `(attributes, condition)`. A call in the old order evaluates the
//! attributes as a condition and quietly answers `false`, so the JS export
//! refuses it instead, when the answer is unambiguous:
//!
//! - the attributes use a GrowthBook operator (`{"$or": …}`, or a field
//!   whose value is an object with a `$` key such as `$in` or `$gt`), and
//! - the condition uses none (no `$` key at its top, nor in a field's
//!   object: where GrowthBook's operators go).
//!
//! Attribute values are visitor data: an object keyed by `$in` or `$gt` is
//! not something a visitor has, while `{"$groups": [...]}` (a top-level `$`
//! key that is no operator, holding no such object) is, and is left alone.

use crate::json::Value;

/// Whether `value` has a condition's shape: a field whose value is an
/// object with a `$` key (`{"field": {"$in": …}}`), or at the top a `$` key
/// (`any_top`) or just `$or`, `$and`, `$nor`, `$not` (not `any_top`: a
/// visitor may have an attribute `$groups`).
fn condition_shaped(value: &Value, any_top: bool) -> bool {
    value.as_object().is_some_and(|map| {
        map.iter().any(|(key, v)| {
            (if any_top {
                key.starts_with('$')
            } else {
                matches!(key.as_str(), "$or" | "$and" | "$nor" | "$not")
            }) || v
                .as_object()
                .is_some_and(|inner| inner.keys().any(|k| k.starts_with('$')))
        })
    })
}

/// Whether `(attributes, condition)` looks like a call in the old order
/// `(condition, attributes)`: see the module documentation.
pub fn looks_swapped(attributes: &Value, condition: &Value) -> bool {
    condition_shaped(attributes, false) && !condition_shaped(condition, true)
}

#[cfg(test)]
mod tests {
    use super::looks_swapped;
    use serde_json::{json, Value};

    #[test]
    fn old_order_is_recognised() {
        // (condition, attributes) passed where (attributes, condition) goes.
        for (cond, attrs) in [
            (
                json!({"country": {"$in": ["CN"]}}),
                json!({"country": "CN"}),
            ),
            (json!({"$or": [{"a": 1}, {"b": 2}]}), json!({"a": 1})),
            (json!({"score.fit": {"$gte": 50}}), json!({})),
        ] {
            assert!(looks_swapped(&cond, &attrs), "{cond} / {attrs}");
        }
    }

    #[test]
    fn growthbook_order_is_never_refused() {
        // GrowthBook's own vectors, in its order, are never mistaken for
        // the old one.
        let text = include_str!("../../../tests/data/vectors/growthbook-cases.json");
        let doc: Value = serde_json::from_str(text).unwrap();
        let cases = doc["evalCondition"].as_array().unwrap();
        assert_eq!(cases.len(), 124);
        for case in cases {
            assert!(!looks_swapped(&case[2], &case[1]), "{}", case[0]);
        }
        // A `$` attribute that is no operator, and plain equality.
        assert!(!looks_swapped(&json!({"$groups": ["a"]}), &json!({"x": 1})));
        assert!(!looks_swapped(
            &json!({"a": {"b": 1}}),
            &json!({"a": {"b": 1}})
        ));
        // Both sides use operators: evaluated as GrowthBook would.
        assert!(!looks_swapped(
            &json!({"a": {"$in": [1]}}),
            &json!({"a": {"$exists": true}})
        ));
    }
}
