//! Walking the compiled tree against attributes: `evalCondition` and
//! `evalConditionValue`, with `getPath` for dotted attribute paths, over
//! any [`Attributes`] source.

use std::borrow::Cow;

use crate::json::{Map, Value};

use super::{Entry, Node, ValueCond};
use crate::targeting::js::{array_index, stringify_eq, to_js_string, to_number, truthy, Abort};

/// `getPath(obj, path)`: walks objects by key and arrays by index (or
/// `length`); anything else, or a missing step, gives `null`.
pub fn value_at_path<'a>(obj: &'a Value, path: &[String]) -> Cow<'a, Value> {
    let mut cur: &'a Value = obj;
    for (i, part) in path.iter().enumerate() {
        match cur {
            Value::Object(m) => match m.get(part) {
                Some(v) => cur = v,
                None => return Cow::Owned(Value::Null),
            },
            Value::Array(a) => {
                if part == "length" {
                    // `length` is always a number, so nothing can follow it.
                    return Cow::Owned(if i + 1 == path.len() {
                        Value::from(a.len())
                    } else {
                        Value::Null
                    });
                }
                match array_index(part).and_then(|i| a.get(i)) {
                    Some(v) => cur = v,
                    None => return Cow::Owned(Value::Null),
                }
            }
            _ => return Cow::Owned(Value::Null),
        }
    }
    Cow::Borrowed(cur)
}

/// Where a compiled condition reads attributes from: a JSON value, or any
/// other source that can answer `getPath` (the wasm build reads the
/// caller's JS object in place, only at the paths the condition names).
pub trait Attributes {
    /// `getPath(attributes, path)`: the value at the dotted path, as JSON;
    /// `null` when a step is missing.
    fn get_path(&self, path: &[String]) -> Cow<'_, Value>;
}

impl Attributes for Value {
    fn get_path(&self, path: &[String]) -> Cow<'_, Value> {
        value_at_path(self, path)
    }
}

/// Where `$inGroup` / `$notInGroup` read the saved groups from.
pub trait SavedGroups {
    /// `savedGroups[key]`, `None` when there is no such group.
    fn group(&self, key: &str) -> Option<Cow<'_, Value>>;
}

impl SavedGroups for Map<String, Value> {
    fn group(&self, key: &str) -> Option<Cow<'_, Value>> {
        self.get(key).map(Cow::Borrowed)
    }
}

/// Another engine for `$regex` / `$regexi`: the wasm build matches with
/// the JS engine's own `RegExp`, GrowthBook's dialect. A pattern it cannot
/// take is left to the built-in engine.
pub trait RegexEngine {
    /// Whether regex number `index` (in the order the condition compiled
    /// them: `Condition::regex_sources`) matches `text`; `None` to use the
    /// built-in engine.
    fn is_match(&self, index: usize, text: &str) -> Option<bool>;
}

pub(super) struct Ctx<'g> {
    pub(super) groups: Option<&'g dyn SavedGroups>,
    #[cfg(feature = "condition-js-view")]
    pub(super) regexes: Option<&'g dyn RegexEngine>,
}

impl Ctx<'_> {
    pub(super) fn node<A: Attributes + ?Sized>(&self, n: &Node, obj: &A) -> Result<bool, Abort> {
        match n {
            Node::Throw => Err(Abort),
            Node::Entries(entries) => {
                for e in entries {
                    if !self.entry(e, obj)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
        }
    }

    fn any<A: Attributes + ?Sized>(&self, list: &[Node], obj: &A) -> Result<bool, Abort> {
        if list.is_empty() {
            return Ok(true);
        }
        for n in list {
            if self.node(n, obj)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn entry<A: Attributes + ?Sized>(&self, e: &Entry, obj: &A) -> Result<bool, Abort> {
        match e {
            Entry::Or(list) => self.any(list, obj),
            Entry::Nor(list) => Ok(!self.any(list, obj)?),
            Entry::And(list) => {
                for n in list {
                    if !self.node(n, obj)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Entry::Not(n) => Ok(!self.node(n, obj)?),
            Entry::Field { path, cond } => self.value(cond, &obj.get_path(path)),
            Entry::Throw => Err(Abort),
        }
    }

    pub(super) fn value(&self, c: &ValueCond, v: &Value) -> Result<bool, Abort> {
        Ok(match c {
            ValueCond::Str(s) => to_js_string(v)? == s.as_str(),
            ValueCond::StrI(s) => crate::text::lower(&to_js_string(v)?) == s.as_str(),
            ValueCond::Num(n) => to_number(v)? == *n,
            ValueCond::Bool(b) => !v.is_null() && truthy(v) == *b,
            ValueCond::Null => v.is_null(),
            ValueCond::Json(j) => stringify_eq(v, j, 0)?,
            ValueCond::Ops(ops) => {
                for op in ops {
                    if !self.op(op, v)? {
                        return Ok(false);
                    }
                }
                true
            }
            ValueCond::Throw => return Err(Abort),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::ev;

    #[test]
    fn paths_and_exists() {
        let attrs = json!({"a": {"b": {"c": 0}}, "tags": ["x", "y"], "s": "str", "n": null});
        assert!(ev(json!({"a.b.c": {"$exists": true}}), attrs.clone()));
        assert!(ev(json!({"a.b.d": {"$exists": false}}), attrs.clone()));
        assert!(ev(json!({"a.x.y.z": {"$exists": false}}), attrs.clone()));
        assert!(ev(json!({"s.length": {"$exists": false}}), attrs.clone()));
        assert!(ev(json!({"n": {"$exists": false}}), attrs.clone()));
        assert!(ev(json!({"n.x": {"$exists": false}}), attrs.clone()));
        // Truthiness of the $exists argument.
        assert!(ev(json!({"a": {"$exists": 1}}), attrs.clone()));
        assert!(ev(json!({"zz": {"$exists": ""}}), attrs.clone()));
        // Arrays are indexable and have a length, as with JS `in`.
        assert!(ev(json!({"tags.1": "y"}), attrs.clone()));
        assert!(ev(json!({"tags.2": {"$exists": false}}), attrs.clone()));
        assert!(ev(json!({"tags.01": {"$exists": false}}), attrs.clone()));
        assert!(ev(json!({"tags.length": 2}), attrs.clone()));
        assert!(ev(json!({"tags.length.length": null}), attrs.clone()));
        assert!(ev(json!({"a.b": {"c": 0}}), attrs.clone()));
        // Keys are split on every dot.
        assert!(ev(json!({"x.y": {"$exists": false}}), json!({"x.y": 1})));
        // Non-object attributes: every path is missing.
        assert!(ev(json!({"a": null}), json!("not an object")));
    }

    #[test]
    fn js_coercions_in_plain_equality() {
        // String condition: String(value) === condition.
        assert!(ev(json!({"n": "1"}), json!({"n": 1})));
        assert!(ev(json!({"n": "1.5"}), json!({"n": 1.5})));
        assert!(ev(json!({"n": "a,b"}), json!({"n": ["a", "b"]})));
        assert!(ev(json!({"n": "null"}), json!({})));
        assert!(ev(json!({"n": "true"}), json!({"n": true})));
        assert!(ev(json!({"n": "[object Object]"}), json!({"n": {}})));
        assert!(ev(json!({"n": "1e+21"}), json!({"n": 1e21})));
        // Number condition: value * 1 === condition.
        assert!(ev(json!({"n": 1}), json!({"n": "1"})));
        assert!(ev(json!({"n": 1}), json!({"n": " 0x1 "})));
        assert!(ev(json!({"n": 1}), json!({"n": true})));
        assert!(ev(json!({"n": 1}), json!({"n": [1]})));
        assert!(ev(json!({"n": 0}), json!({})));
        assert!(ev(json!({"n": 0}), json!({"n": ""})));
        assert!(!ev(json!({"n": 1}), json!({"n": "abc"})));
        assert!(ev(json!({"n": 1.0}), json!({"n": 1})));
        // Boolean condition: non-null and truthiness matches.
        assert!(ev(json!({"b": true}), json!({"b": "yes"})));
        assert!(ev(json!({"b": true}), json!({"b": []})));
        assert!(ev(json!({"b": false}), json!({"b": 0})));
        assert!(ev(json!({"b": false}), json!({"b": ""})));
        assert!(!ev(json!({"b": false}), json!({"b": null})));
        assert!(!ev(json!({"b": false}), json!({})));
        // Arrays/objects: JSON.stringify equality (numbers as JS numbers).
        assert!(ev(
            json!({"a": [1, "x", null]}),
            json!({"a": [1.0, "x", null]})
        ));
        assert!(!ev(json!({"a": [1]}), json!({"a": ["1"]})));
        assert!(ev(json!({"a": {}}), json!({"a": {}})));
        assert!(!ev(json!({"a": {}}), json!({"a": []})));
        // A mixed object ($ and non-$ keys) is a literal, not operators.
        assert!(ev(
            json!({"a": {"$gt": 1, "b": 2}}),
            json!({"a": {"$gt": 1, "b": 2}})
        ));
        assert!(!ev(json!({"a": {"$gt": 1, "b": 2}}), json!({"a": 5})));
    }
}
