//! The operators (`evalOperatorCondition`): `$eq`, `$in`, `$elemMatch`,
//! `$regex`, the version operators, `$inGroup` and the rest, plus the hashed
//! set behind `$in`.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, DefaultHasher};

use crate::json::Value;

use super::{Ctx, Op, VerOp};
use crate::targeting::js::{
    num, relational, strict_eq, to_js_string, to_primitive, truthy, type_name, utf16_cmp, Abort,
};
use crate::targeting::version::padded_version_string;

/// A hashed set with fixed keys (the lists come from configs, not
/// visitors); written sorted ([`sorted`]), so the same document compiles to
/// the same bytes (src/compiled/wire.rs).
type Set<T> = HashSet<T, BuildHasherDefault<DefaultHasher>>;

/// The primitive members of an `$in` list, hashed (arrays/objects in the list
/// can never be `includes`-equal to anything and are dropped).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub(super) struct InSet {
    #[serde(serialize_with = "sorted")]
    strings: Set<String>,
    #[serde(serialize_with = "sorted")]
    numbers: Set<u64>,
    has_true: bool,
    has_false: bool,
    has_null: bool,
    insensitive: bool,
}

impl crate::compiled::read::WireRead for InSet {
    fn read(w: &mut crate::compiled::read::Wire<'_>) -> Self {
        InSet {
            strings: w.read(),
            numbers: w.read(),
            has_true: w.read(),
            has_false: w.read(),
            has_null: w.read(),
            insensitive: w.read(),
        }
    }
}

/// A set written in sorted order (a sequence, as serde writes a set): its
/// bytes do not depend on the order it was built in, so a set read back
/// from a compiled config ([`crate::compiled::read`]) writes the same bytes
/// as the one compiled, which `src/compiled/drift.rs` checks.
fn sorted<T: Ord + serde::Serialize, S: serde::Serializer>(
    set: &Set<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut items: Vec<&T> = set.iter().collect();
    items.sort_unstable();
    s.collect_seq(items)
}

fn num_key(f: f64) -> u64 {
    // -0 and 0 are SameValueZero-equal.
    if f == 0.0 {
        0.0f64.to_bits()
    } else {
        f.to_bits()
    }
}

impl InSet {
    pub(super) fn new<'a>(items: impl IntoIterator<Item = &'a Value>, insensitive: bool) -> Self {
        let mut s = InSet {
            insensitive,
            ..InSet::default()
        };
        for v in items {
            match v {
                Value::String(x) => {
                    s.strings.insert(if insensitive {
                        crate::text::lowercase(x)
                    } else {
                        x.clone()
                    });
                }
                Value::Number(n) => {
                    s.numbers.insert(num_key(num(n)));
                }
                Value::Bool(true) => s.has_true = true,
                Value::Bool(false) => s.has_false = true,
                Value::Null => s.has_null = true,
                Value::Array(_) | Value::Object(_) => {}
            }
        }
        s
    }

    fn contains(&self, v: &Value) -> bool {
        match v {
            Value::String(x) => {
                if self.insensitive {
                    self.strings.contains(&crate::text::lowercase(x))
                } else {
                    self.strings.contains(x)
                }
            }
            Value::Number(n) => self.numbers.contains(&num_key(num(n))),
            Value::Bool(b) => {
                if *b {
                    self.has_true
                } else {
                    self.has_false
                }
            }
            Value::Null => self.has_null,
            Value::Array(_) | Value::Object(_) => false,
        }
    }

    /// `isIn(actual, expected)`: intersection when `actual` is an array.
    fn is_in(&self, actual: &Value) -> bool {
        match actual {
            Value::Array(a) => a.iter().any(|el| self.contains(el)),
            _ => self.contains(actual),
        }
    }
}

impl Ctx<'_> {
    pub(super) fn op(&self, op: &Op, actual: &Value) -> Result<bool, Abort> {
        use std::cmp::Ordering::*;
        Ok(match op {
            Op::Version(k, expected) => {
                let ord = utf16_cmp(&padded_version_string(actual), expected);
                match k {
                    VerOp::Eq => ord == Equal,
                    VerOp::Ne => ord != Equal,
                    VerOp::Gt => ord == Greater,
                    VerOp::Gte => ord != Less,
                    VerOp::Lt => ord == Less,
                    VerOp::Lte => ord != Greater,
                }
            }
            Op::StrictEq { expected, negate } => {
                let eq = expected.as_ref().is_some_and(|e| strict_eq(actual, e));
                eq != *negate
            }
            Op::Cmp(rel, expected) => relational(*rel, &to_primitive(actual)?, expected),
            Op::Exists(want) => actual.is_null() != *want,
            Op::In { set, negate } => set.is_in(actual) != *negate,
            Op::InGroup { key, negate } => self.in_group(key, actual)? != *negate,
            Op::Not(c) => !self.value(c, actual)?,
            Op::Size(c) => match actual {
                Value::Array(a) => self.value(c, &Value::from(a.len()))?,
                _ => false,
            },
            Op::ElemMatchOps(c) => match actual {
                Value::Array(a) => {
                    for el in a {
                        if truthy(el) && self.value(c, el)? {
                            return Ok(true);
                        }
                    }
                    false
                }
                _ => false,
            },
            Op::ElemMatchCond(n) => match actual {
                Value::Array(a) => {
                    for el in a {
                        if truthy(el) && self.node(n, el)? {
                            return Ok(true);
                        }
                    }
                    false
                }
                _ => false,
            },
            Op::ElemMatchNull => match actual {
                Value::Array(_) => return Err(Abort),
                _ => false,
            },
            Op::All(items) => match actual {
                Value::Array(a) => {
                    for item in items {
                        let mut passed = false;
                        for el in a {
                            if self.value(item, el)? {
                                passed = true;
                                break;
                            }
                        }
                        if !passed {
                            return Ok(false);
                        }
                    }
                    true
                }
                _ => false,
            },
            Op::Regex(re, _index) => {
                let text = to_js_string(actual)?;
                #[cfg(feature = "condition-js-view")]
                if let Some(answer) = self.regexes.and_then(|e| e.is_match(*_index, &text)) {
                    return Ok(answer);
                }
                re.is_match(&text)
            }
            Op::Type(t) => type_name(actual) == t,
            Op::False => false,
            Op::Throw => return Err(Abort),
        })
    }

    /// `isIn(actual, savedGroups[key] || [])`.
    fn in_group(&self, key: &str, actual: &Value) -> Result<bool, Abort> {
        let group = self.groups.and_then(|g| g.group(key));
        match group.as_deref() {
            None => Ok(false),
            Some(g) if !truthy(g) => Ok(false),
            Some(Value::Array(list)) => Ok(match actual {
                Value::Array(a) if a.len() > 8 && list.len() > 8 => {
                    InSet::new(list, false).is_in(actual)
                }
                Value::Array(a) => a.iter().any(|el| list.iter().any(|x| strict_eq(el, x))),
                _ => list.iter().any(|x| strict_eq(actual, x)),
            }),
            // `"abc".includes(x)`: substring test on String(x).
            Some(Value::String(s)) => match actual {
                Value::Array(a) => {
                    for el in a {
                        if s.contains(to_js_string(el)?.as_ref()) {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                }
                _ => Ok(s.contains(to_js_string(actual)?.as_ref())),
            },
            // JS: `(...).includes is not a function`.
            Some(_) => Err(Abort),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map, Value};

    use super::super::{ev, evg, Condition};

    #[test]
    fn type_of_every_json_type() {
        let values = [
            (json!(null), "null"),
            (json!(true), "boolean"),
            (json!(0), "number"),
            (json!(1.5), "number"),
            (json!(""), "string"),
            (json!([]), "array"),
            (json!({}), "object"),
        ];
        let names = [
            "null",
            "boolean",
            "number",
            "string",
            "array",
            "object",
            "undefined",
            "unknown",
        ];
        for (v, t) in &values {
            for name in names {
                assert_eq!(
                    ev(json!({"a": {"$type": name}}), json!({"a": v})),
                    *t == name,
                    "{v} {name}"
                );
            }
        }
        // A missing attribute is null to getPath.
        assert!(ev(json!({"a": {"$type": "null"}}), json!({})));
        assert!(!ev(json!({"a": {"$type": "undefined"}}), json!({})));
        // A non-string $type never matches.
        assert!(!ev(json!({"a": {"$type": 1}}), json!({"a": 1})));
    }

    #[test]
    fn operator_semantics() {
        // $eq/$ne are strict: no coercion, arrays/objects never equal.
        assert!(!ev(json!({"n": {"$eq": 1}}), json!({"n": "1"})));
        assert!(!ev(json!({"a": {"$eq": [1]}}), json!({"a": [1]})));
        assert!(ev(json!({"a": {"$ne": [1]}}), json!({"a": [1]})));
        assert!(ev(json!({"a": {"$eq": null}}), json!({})));
        // Relational: strings compare as strings, else numbers; NaN never.
        assert!(ev(json!({"v": {"$lt": "5"}}), json!({"v": "10"})));
        assert!(!ev(json!({"v": {"$lt": 5}}), json!({"v": "10"})));
        assert!(!ev(json!({"v": {"$gte": 0}}), json!({"v": "abc"})));
        assert!(!ev(json!({"v": {"$lte": 0}}), json!({"v": "abc"})));
        assert!(ev(json!({"v": {"$lt": 1}}), json!({"v": false})));
        assert!(ev(json!({"v": {"$gt": 1}}), json!({"v": [2]})));
        assert!(ev(json!({"v": {"$lt": "b"}}), json!({"v": ["a"]})));
        // $in: strict membership, intersection on arrays, no object matches.
        assert!(!ev(json!({"n": {"$in": ["1"]}}), json!({"n": 1})));
        assert!(ev(json!({"n": {"$in": [null]}}), json!({})));
        assert!(!ev(json!({"n": {"$in": [[1]]}}), json!({"n": [1]})));
        assert!(ev(json!({"n": {"$in": [[1], 1]}}), json!({"n": [1]})));
        assert!(ev(json!({"n": {"$in": [0]}}), json!({"n": -0.0})));
        assert!(ev(json!({"n": {"$nin": []}}), json!({"n": 1})));
        // $size and $all.
        assert!(ev(
            json!({"t": {"$size": {"$in": [1, 2]}}}),
            json!({"t": [5]})
        ));
        assert!(ev(json!({"t": {"$all": []}}), json!({"t": []})));
        assert!(!ev(json!({"t": {"$all": []}}), json!({"t": "x"})));
        assert!(ev(
            json!({"t": {"$all": [{"$gt": 5}, 1]}}),
            json!({"t": [1, 7]})
        ));
        // $regex tests String(value): a missing attribute is "null".
        assert!(ev(json!({"x": {"$regex": "^null$"}}), json!({})));
        assert!(ev(json!({"x": {"$regex": "^1,2$"}}), json!({"x": [1, 2]})));
        assert!(ev(json!({"x": {"$regex": "^a/b$"}}), json!({"x": "a/b"})));
        assert!(!ev(json!({"x": {"$regex": 5}}), json!({"x": "5"})));
        // $not with $regex, and with things that are always false.
        assert!(ev(
            json!({"x": {"$not": {"$regex": "^a"}}}),
            json!({"x": "ba"})
        ));
        assert!(ev(
            json!({"x": {"$not": {"$regex": "(("}}}),
            json!({"x": "(("})
        ));
        assert!(ev(json!({"x": {"$not": {"$bogus": 1}}}), json!({"x": 1})));
        assert!(ev(json!({"x": {"$not": "a"}}), json!({"x": "b"})));
        // Operators inside one object are ANDed.
        assert!(!ev(json!({"x": {"$gt": 1, "$bogus": 1}}), json!({"x": 5})));
        // $or/$nor/$and inside a value position are unknown operators.
        assert!(!ev(json!({"x": {"$or": [1]}}), json!({"x": 1})));
        // Empty lists.
        assert!(ev(json!({"$or": []}), json!({})));
        assert!(!ev(json!({"$nor": []}), json!({})));
        // Operator object with no keys is a literal {}.
        assert!(ev(json!({"x": {}}), json!({"x": {}})));
        assert!(!ev(json!({"x": {}}), json!({})));
    }

    #[test]
    fn elem_match_semantics() {
        // Nested operators.
        assert!(ev(
            json!({"n": {"$elemMatch": {"$gt": 1, "$lt": 3}}}),
            json!({"n": [0, 2, 5]})
        ));
        assert!(!ev(
            json!({"n": {"$elemMatch": {"$gt": 1, "$lt": 2}}}),
            json!({"n": [0, 2, 5]})
        ));
        // Nested conditions with logical operators on objects.
        let c = json!({"items": {"$elemMatch": {"$or": [{"sku": "a"}, {"qty": {"$gte": 10}}], "price": {"$lt": 5}}}});
        assert!(ev(
            c.clone(),
            json!({"items": [{"sku": "b", "qty": 1, "price": 1}, {"sku": "c", "qty": 12, "price": 4}]})
        ));
        assert!(!ev(
            c,
            json!({"items": [{"sku": "a", "qty": 1, "price": 9}]})
        ));
        // Doubly nested.
        let c = json!({"a": {"$elemMatch": {"b": {"$elemMatch": {"$eq": "x"}}}}});
        assert!(ev(
            c.clone(),
            json!({"a": [{"b": ["y"]}, {"b": ["z", "x"]}]})
        ));
        assert!(!ev(c, json!({"a": [{"b": ["y"]}]})));
        // Falsy elements are skipped (`if (actual[i] && check(actual[i]))`).
        assert!(!ev(
            json!({"n": {"$elemMatch": {"$eq": 0}}}),
            json!({"n": [0]})
        ));
        assert!(!ev(
            json!({"n": {"$elemMatch": {"$eq": ""}}}),
            json!({"n": [""]})
        ));
        assert!(!ev(
            json!({"n": {"$elemMatch": {"$exists": false}}}),
            json!({"n": [null]})
        ));
        // Empty non-operator object: every truthy element matches.
        assert!(ev(json!({"n": {"$elemMatch": {}}}), json!({"n": [0, 1]})));
        assert!(!ev(json!({"n": {"$elemMatch": {}}}), json!({"n": [0]})));
        // $elemMatch null: JS throws once it reaches an array.
        assert!(!ev(
            json!({"n": {"$not": {"$elemMatch": null}}}),
            json!({"n": [1]})
        ));
        assert!(ev(
            json!({"n": {"$not": {"$elemMatch": null}}}),
            json!({"n": 1})
        ));
    }

    #[test]
    fn case_insensitive_operators() {
        assert!(ev(json!({"c": {"$ini": ["ÉTÉ"]}}), json!({"c": "été"})));
        assert!(!ev(json!({"c": {"$in": ["ÉTÉ"]}}), json!({"c": "été"})));
        assert!(ev(json!({"c": {"$alli": ["ÉTÉ"]}}), json!({"c": ["été"]})));
        assert!(ev(json!({"c": {"$regexi": "^été$"}}), json!({"c": "ÉTÉ"})));
        assert!(ev(json!({"c": {"$alli": ["1"]}}), json!({"c": [1]})));
    }

    #[test]
    fn versions_in_conditions() {
        assert!(ev(
            json!({"v": {"$vlt": "1.2.3"}}),
            json!({"v": "1.2.3-beta"})
        ));
        assert!(ev(
            json!({"v": {"$vgt": "1.2.3-beta"}}),
            json!({"v": "1.2.3"})
        ));
        assert!(ev(
            json!({"v": {"$vgt": "1.2.3-alpha"}}),
            json!({"v": "1.2.3-beta"})
        ));
        assert!(ev(
            json!({"v": {"$veq": "1.2.3-beta"}}),
            json!({"v": "v1.2.3-beta+exp.sha.5114f85"})
        ));
        assert!(ev(
            json!({"v": {"$vgte": "1.2.3-beta", "$vlte": "1.2.3"}}),
            json!({"v": "1.2.3-rc.1"})
        ));
        // Numbers are formatted the JS way; missing/non-strings are "0".
        assert!(ev(json!({"v": {"$veq": "2.5"}}), json!({"v": 2.5})));
        assert!(ev(json!({"v": {"$veq": 0}}), json!({})));
        assert!(ev(json!({"v": {"$vlt": "0.0.1"}}), json!({"v": true})));
    }

    #[test]
    fn saved_group_edge_cases() {
        assert!(evg(
            json!({"id": {"$inGroup": "g"}}),
            json!({"id": "b"}),
            json!({"g": "abc"})
        ));
        assert!(!evg(
            json!({"id": {"$inGroup": "g"}}),
            json!({"id": "x"}),
            json!({"g": "abc"})
        ));
        assert!(!evg(
            json!({"id": {"$inGroup": "g"}}),
            json!({"id": 1}),
            json!({"g": null})
        ));
        assert!(evg(
            json!({"id": {"$notInGroup": "g"}}),
            json!({"id": 1}),
            json!({"g": 0})
        ));
        // JS throws (`includes` is not a function): false even under $not.
        assert!(!evg(
            json!({"id": {"$not": {"$inGroup": "g"}}}),
            json!({"id": 1}),
            json!({"g": {"a": 1}})
        ));
        // Non-string group names are property keys.
        assert!(evg(
            json!({"id": {"$inGroup": 7}}),
            json!({"id": 1}),
            json!({"7": [1]})
        ));
        // Big groups and big array attributes.
        let big: Vec<i64> = (0..10_000).collect();
        assert!(evg(
            json!({"ids": {"$inGroup": "g"}}),
            json!({"ids": [-1, 9_999]}),
            json!({"g": big.clone()})
        ));
        let attrs: Vec<i64> = (10_000..20_000).collect();
        assert!(!evg(
            json!({"ids": {"$inGroup": "g"}}),
            json!({"ids": attrs}),
            json!({"g": big})
        ));
        let m: Map<String, Value> = serde_json::from_value(json!({"g": [1]})).unwrap_or_default();
        let c = Condition::compile(&json!({"id": {"$inGroup": "g"}})).ok();
        assert!(c.is_some_and(|c| c.eval_with_groups(&json!({"id": 1}), &m)));
    }
}
