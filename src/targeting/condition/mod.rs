//! GrowthBook targeting conditions (`mongrule.ts`, SDK spec 0.8.0), compiled once
//! and evaluated many times.
//!
//! # Semantics (mirroring `evalCondition` / `evalConditionValue` /
//! `evalOperatorCondition` line by line)
//!
//! - A condition object is an AND of its entries. `$or`, `$nor`, `$and` take a
//!   list of conditions (an empty `$or` passes, so an empty `$nor` fails), `$not`
//!   takes a condition. Every other key is a dotted attribute path
//!   (`"father.age"`; array elements via `"tags.0"`, `"tags.length"`), looked up
//!   like `getPath`: a missing step yields `null`.
//! - Plain values compare the JS way: a string condition matches when
//!   `String(value)` equals it (`{"n": "1"}` matches `1` and `["1"]`), a number
//!   when `value * 1` equals it (`{"n": 1}` matches `"1"`, `true`, `[1]`), a
//!   boolean when the value is non-null and its truthiness equals it, `null`
//!   only `null`/missing, and arrays / non-operator objects by
//!   `JSON.stringify` equality.
//! - An object whose keys all start with `$` is an AND of operators:
//!   `$eq $ne` (strict `===`; arrays/objects are never `===`), `$lt $lte $gt
//!   $gte` (JS relational comparison: two strings compare by UTF-16 code units,
//!   otherwise both sides become numbers, `null` is `0`, NaN never matches, so
//!   a missing attribute is `< 5`), `$exists`, `$in $nin` (an array attribute
//!   matches on any common element), `$ini $nini $alli $regexi` (the same,
//!   case-insensitive), `$all`, `$size`, `$elemMatch` (skips falsy elements,
//!   takes either operators or a nested condition), `$type` (`"string"`,
//!   `"number"`, `"boolean"`, `"object"`, `"array"`, `"null"`), `$regex`
//!   (tested against `String(value)`, so a missing attribute is the text
//!   `"null"`), `$not`, the version operators `$veq $vne $vgt $vgte $vlt $vlte`
//!   (see [`crate::targeting::version`]) and `$inGroup $notInGroup` (membership
//!   in `saved_groups[name]`, a missing group being empty).
//! - An unknown operator is `false`; an invalid regex makes its operator
//!   `false` (so `$not` of it is `true`), exactly as GrowthBook's `try/catch`.
//! - Where JS would throw (e.g. `{"$or": null}`, `{"$not": null}`,
//!   `{"$elemMatch": null}` on an array), and where nesting exceeds
//!   [`MAX_CONDITION_DEPTH`] levels or values exceed 256 levels, the whole
//!   condition evaluates to `false`.
//!
//! # Malformed input
//!
//! JS evaluates malformed conditions through `Object.entries`: an array
//! condition behaves like an object with keys `"0"`, `"1"`…, a string like one
//! with one-character values, a number/boolean like `{}`. `$and`/`$or`/`$nor`
//! over a non-array (other than a string) act like an empty list. These are all
//! reproduced, and reported as [`Issue`]s by [`Condition::compile`]: each
//! names the JSON path of the bad part (`$and[2].country.$regex`) and how it
//! evaluates. Compilation never fails hard: [`Condition::compile_lenient`]
//! returns a condition that evaluates exactly like GrowthBook would.
//!
//! # Known differences from the JS SDK
//!
//! - Objects compared via `JSON.stringify` equality: JS is sensitive to key
//!   insertion order; here integer-like keys come first (as in JS) and the
//!   remaining keys follow `serde_json`'s map order, which without its
//!   `preserve_order` feature is sorted, i.e. key order is ignored.
//! - Operators inside one object are evaluated in map order; this can only
//!   matter for which of "false" or "JS would throw" wins, and both end as a
//!   non-match at the top level except under `$not`.
//! - Inherited JS properties (`"constructor"`, `"toString"`, `"map"` …) are
//!   not looked up: such paths are missing. Strings are walked by Unicode scalar
//!   value, not UTF-16 code unit, where malformed conditions are strings.
//! - A saved group that is not an array: missing/falsy → empty (as JS); a
//!   string → substring test (as JS `String.prototype.includes`); any other
//!   value → evaluation aborts (JS throws a `TypeError`).
//! - Regex dialect differences: natively and in Node and workers, regexes
//!   are translated for regex-lite, with the differences listed in
//!   `crate::targeting::jsregex`; there `new Condition(c).eval`
//!   (src/wasm/condition.rs) hands the match to the JS engine's `RegExp`
//!   through [`RegexEngine`], but a pattern must still compile in
//!   regex-lite first. The page build compiles and matches every regex with
//!   the browser's `RegExp` ([`crate::regex`]): no dialect difference there.
//!
//! # Layout
//!
//! This file has the public API and the compiled form (the `Node` / `Entry`
//! / `ValueCond` / `Op` tree); `compile.rs` turns JSON into that tree,
//! `eval.rs` walks it against attributes, `ops.rs` evaluates the operators.

mod compile;
mod eval;
mod ops;
mod order;
mod wire;

pub use order::looks_swapped;

use crate::json::{Map, Value};

use super::js::{Prim, Rel};
use compile::Compiler;
use eval::Ctx;
pub use eval::{value_at_path, Attributes, RegexEngine, SavedGroups};
use ops::InSet;

use crate::diagnostics::Issue;
use crate::regex::Regex;

/// Maximum nesting of conditions (each nested condition object, operator
/// object or list element counts one level). Deeper parts evaluate to `false`.
pub const MAX_CONDITION_DEPTH: usize = 64;

/// A compiled GrowthBook condition.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Condition {
    root: Node,
    /// The source and case flag of each regex, by the index in `Op::Regex`
    /// (kept where another regex engine may take them).
    #[cfg(feature = "condition-js-view")]
    #[serde(skip)]
    regexes: Vec<(String, bool)>,
}

/// What `evalCondition(obj, X)` does for a given `X`. Read back from a
/// compiled config by `wire.rs`, with the nesting bounded.
#[derive(Debug, Clone, serde::Serialize)]
enum Node {
    Entries(Vec<Entry>),
    Throw,
}

#[derive(Debug, Clone, serde::Serialize)]
enum Entry {
    Or(Vec<Node>),
    Nor(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    Field { path: Vec<String>, cond: ValueCond },
    Throw,
}

/// What `evalConditionValue(X, value)` does for a given `X`. Read back
/// from a compiled config by `wire.rs`, with the nesting bounded.
#[derive(Debug, Clone, serde::Serialize)]
enum ValueCond {
    Str(String),
    /// Case-insensitive string (inside `$alli`), already lower-cased.
    StrI(String),
    Num(f64),
    Bool(bool),
    Null,
    Json(#[serde(with = "crate::compiled::wire::value")] Value),
    Ops(Vec<Op>),
    Throw,
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
enum VerOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone, serde::Serialize)]
enum Op {
    Version(VerOp, String),
    /// `$eq`/`$ne`: `None` when the expected value is an array/object (never `===`).
    StrictEq {
        #[serde(with = "crate::compiled::wire::opt_value")]
        expected: Option<Value>,
        negate: bool,
    },
    Cmp(Rel, Prim),
    Exists(bool),
    In {
        set: InSet,
        negate: bool,
    },
    InGroup {
        key: String,
        negate: bool,
    },
    Not(Box<ValueCond>),
    Size(Box<ValueCond>),
    ElemMatchOps(Box<ValueCond>),
    ElemMatchCond(Box<Node>),
    /// `$elemMatch: null`: false on non-arrays, JS throws on arrays.
    ElemMatchNull,
    All(Vec<ValueCond>),
    /// A regex and its index in [`Condition::regex_sources`].
    Regex(Box<Regex>, usize),
    Type(String),
    False,
    Throw,
}

impl Condition {
    /// The source and case-insensitivity of every `$regex` / `$regexi` the
    /// condition compiled, in the order [`RegexEngine::is_match`] numbers
    /// them.
    #[cfg(feature = "condition-js-view")]
    pub fn regex_sources(&self) -> &[(String, bool)] {
        &self.regexes
    }

    /// Compiles a condition, failing with every problem found (unknown
    /// operator, invalid regex, malformed structure, excessive nesting).
    /// Use [`Condition::compile_lenient`] to get GrowthBook's forgiving behaviour
    /// together with the same list.
    pub fn compile(condition: &Value) -> Result<Condition, Vec<Issue>> {
        let (cond, errors) = Self::compile_lenient(condition);
        if errors.is_empty() {
            Ok(cond)
        } else {
            Err(errors)
        }
    }

    /// Compiles a condition the way GrowthBook would evaluate it (bad parts
    /// become `false` or abort the evaluation), returning every problem found.
    pub fn compile_lenient(condition: &Value) -> (Condition, Vec<Issue>) {
        let mut c = Compiler {
            errors: Vec::new(),
            #[cfg(feature = "condition-js-view")]
            regexes: Vec::new(),
        };
        let root = c.node(condition, "", 0);
        let cond = Condition {
            root,
            #[cfg(feature = "condition-js-view")]
            regexes: c.regexes,
        };
        (cond, c.errors)
    }

    /// `evalCondition(attributes, condition, savedGroups)`. `saved_groups` maps
    /// group ids to arrays of values; anything that is not an object (e.g.
    /// `Value::Null`) means no groups.
    pub fn eval(&self, attributes: &Value, saved_groups: &Value) -> bool {
        let groups = saved_groups.as_object().map(|g| g as &dyn SavedGroups);
        self.eval_in(attributes, groups, None)
    }

    /// Like [`Condition::eval`] with the saved groups given as a map.
    pub fn eval_with_groups(&self, attributes: &Value, saved_groups: &Map<String, Value>) -> bool {
        self.eval_in(attributes, Some(saved_groups), None)
    }

    /// [`Condition::eval`] over any attribute source: only the paths the
    /// condition names are read, each once per mention. `regexes` may
    /// match `$regex`/`$regexi` with another engine (see [`RegexEngine`];
    /// only with the `condition-js-view` feature, else it is ignored).
    pub fn eval_in<A: Attributes + ?Sized>(
        &self,
        attributes: &A,
        saved_groups: Option<&dyn SavedGroups>,
        regexes: Option<&dyn RegexEngine>,
    ) -> bool {
        #[cfg(not(feature = "condition-js-view"))]
        let _ = regexes;
        let ctx = Ctx {
            groups: saved_groups,
            #[cfg(feature = "condition-js-view")]
            regexes,
        };
        ctx.node(&self.root, attributes).unwrap_or(false)
    }
}

/// Compiles and evaluates in one go, with GrowthBook's forgiving semantics
/// (an invalid regex or unknown operator is a non-match of that part, never an
/// error).
///
/// The argument order is GrowthBook's: `evalCondition(attributes, condition,
/// savedGroups)`.
pub fn eval_condition(attributes: &Value, condition: &Value, saved_groups: Option<&Value>) -> bool {
    let (cond, _warnings) = Condition::compile_lenient(condition);
    cond.eval(attributes, saved_groups.unwrap_or(&Value::Null))
}

/// `evalCondition` with no saved groups, for the tests of every file here.
#[cfg(test)]
fn ev(cond: Value, attrs: Value) -> bool {
    eval_condition(&attrs, &cond, None)
}

/// `evalCondition` with saved groups, for the tests of every file here.
#[cfg(test)]
fn evg(cond: Value, attrs: Value, groups: Value) -> bool {
    eval_condition(&attrs, &cond, Some(&groups))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The upstream `evalCondition` cases (GrowthBook cases.json, spec 0.5.4)
    /// that the vector copy dropped, plus cases for later operators derived
    /// from `mongrule.ts`. Shape: `[name, condition, attributes, expected, savedGroups?]`.
    #[test]
    fn upstream_cases_missing_from_vector_copy() {
        let cases: Value = serde_json::from_str(
            r#"[
            ["$not - fail", {"$not": {"name": "hello"}}, {"name": "hello"}, false],
            ["$groups - match", {"$and": [
                {"$groups": {"$elemMatch": {"$eq": "a"}}},
                {"$groups": {"$elemMatch": {"$eq": "b"}}},
                {"$or": [{"$groups": {"$elemMatch": {"$eq": "c"}}}, {"$groups": {"$elemMatch": {"$eq": "e"}}}]},
                {"$not": {"$groups": {"$elemMatch": {"$eq": "f"}}}},
                {"$not": {"$groups": {"$elemMatch": {"$eq": "g"}}}}
            ]}, {"$groups": ["a", "b", "c", "d"]}, true],
            ["$and/$or - first or true", {"$and": [{"father.age": {"$gt": 65}}, {"$or": [{"bday": {"$regex": "-12-25$"}}, {"name": "santa"}]}]},
                {"name": "santa", "bday": "1980-12-20", "father": {"age": 70}}, true],
            ["$and/$or - first and false", {"$and": [{"father.age": {"$gt": 65}}, {"$or": [{"bday": {"$regex": "-12-25$"}}, {"name": "santa"}]}]},
                {"name": "santa", "bday": "1980-12-25", "father": {"age": 65}}, false],
            ["$and/$or - both and false", {"$and": [{"father.age": {"$gt": 65}}, {"$or": [{"bday": {"$regex": "-12-25$"}}, {"name": "santa"}]}]},
                {"name": "john smith", "bday": "1956-12-20", "father": {"age": 40}}, false],
            ["$exists - false fail", {"pets.dog.name": {"$exists": false}}, {"pets": {"dog": {"name": "fido"}}}, false],
            ["$exists - true pass", {"pets.dog.name": {"$exists": true}}, {"pets": {"dog": {"name": "fido"}}}, true],
            ["$in - pass", {"num": {"$in": [1, 2, 3]}}, {"num": 2}, true],
            ["$in - not array", {"num": {"$in": 1}}, {"num": 1}, false],
            ["$in - array pass 2", {"tags": {"$in": ["a", "b"]}}, {"tags": ["d", "b", "f"]}, true],
            ["$in - array fail 1", {"tags": {"$in": ["a", "b"]}}, {"tags": ["d", "e", "f"]}, false],
            ["$nin - fail", {"num": {"$nin": [1, 2, 3]}}, {"num": 2}, false],
            ["$nin - array fail 1", {"tags": {"$nin": ["a", "b"]}}, {"tags": ["d", "e", "a"]}, false],
            ["$nin - array fail 3", {"tags": {"$nin": ["a", "b"]}}, {"tags": ["d", "b", "a"]}, false],
            ["$nin - array pass 2", {"tags": {"$nin": ["a", "b"]}}, {"tags": []}, true],
            ["$elemMatch - fail - flat arrays", {"nums": {"$elemMatch": {"$gt": 10}}}, {"nums": [0, 5, -20, 8]}, false],
            ["missing attribute with comparison operators", {"age": {"$gt": -10, "$lt": 10, "$gte": -9, "$lte": 9, "$ne": 10}}, {}, true],
            ["comparing numbers and strings - v2", {"n": {"$gt": "5", "$lt": "10"}}, {"n": 8}, true],
            ["empty $and - pass", {"$and": []}, {"hello": "world"}, true],
            ["$eq - pass", {"occupation": {"$eq": "engineer"}}, {"occupation": "engineer"}, true],
            ["$ne - pass", {"level": {"$ne": "senior"}}, {"level": "junior"}, true],
            ["$regex - pass", {"userAgent": {"$regex": "(Mobile|Tablet)"}}, {"userAgent": "Android Mobile Browser"}, true],
            ["$gt/$lt numbers - pass", {"age": {"$gt": 30, "$lt": 60}}, {"age": 50}, true],
            ["$gt/$lt numbers - fail $gt", {"age": {"$gt": 30, "$lt": 60}}, {"age": 30}, false],
            ["$gte/$lte numbers - pass $gte", {"age": {"$gte": 30, "$lte": 60}}, {"age": 30}, true],
            ["$gte/$lte numbers - fail $lte", {"age": {"$gte": 30, "$lte": 60}}, {"age": 61}, false],
            ["$gt/$lt strings - fail $gt", {"word": {"$gt": "alphabet", "$lt": "zebra"}}, {"word": "alphabet"}, false],
            ["$gt/$lt strings - pass", {"word": {"$gt": "alphabet", "$lt": "zebra"}}, {"word": "always"}, true],
            ["nested value is null", {"address.state": "CA"}, {"address": null}, false],
            ["$type string - pass", {"a": {"$type": "string"}}, {"a": "a"}, true],
            ["$type null - pass", {"a": {"$type": "null"}}, {"a": null}, true],
            ["$type boolean - pass", {"a": {"$type": "boolean"}}, {"a": false}, true],
            ["$type number - pass", {"a": {"$type": "number"}}, {"a": 1}, true],
            ["$type object - pass", {"a": {"$type": "object"}}, {"a": {"a": "b"}}, true],
            ["$type array - pass", {"a": {"$type": "array"}}, {"a": [1, 2]}, true],
            ["unknown operator - pass", {"name": {"$regx": "hello"}}, {"name": "hello"}, false],
            ["$regex invalid - fail", {"name": {"$regex": "/???***[)"}}, {"hello": "hello"}, false],
            ["$size empty - fail", {"tags": {"$size": 0}}, {"tags": [10]}, false],
            ["$size number - fail small", {"tags": {"$size": 3}}, {"tags": ["a", "b"]}, false],
            ["$size number - fail not array", {"tags": {"$size": 3}}, {"tags": "abc"}, false],
            ["$size nested - fail equal", {"tags": {"$size": {"$gt": 2}}}, {"tags": [0, 1]}, false],
            ["$elemMatch contains - pass", {"tags": {"$elemMatch": {"$eq": "bar"}}}, {"tags": ["foo", "bar", "baz"]}, true],
            ["$elemMatch intersection - pass", {"tags": {"$elemMatch": {"$in": ["a", "b"]}}}, {"tags": ["d", "e", "b"]}, true],
            ["$elemMatch not contains - pass", {"tags": {"$not": {"$elemMatch": {"$eq": "bar"}}}}, {"tags": ["foo", "baz"]}, true],
            ["$elemMatch nested - pass", {"hobbies": {"$elemMatch": {"name": {"$regex": "^ping"}}}},
                {"hobbies": [{"name": "bowling"}, {"name": "pingpong"}, {"name": "tennis"}]}, true],
            ["$elemMatch nested - fail not array", {"hobbies": {"$elemMatch": {"name": {"$regex": "^ping"}}}}, {"hobbies": "all"}, false],
            ["$not - fail (regex)", {"name": {"$not": {"$regex": "^hello"}}}, {"name": "hello world"}, false],
            ["$all - fail", {"tags": {"$all": ["one", "three"]}}, {"tags": ["one", "two", "four"]}, false],
            ["$nor - pass", {"$nor": [{"name": "john"}, {"age": {"$lt": 30}}]}, {"name": "jim", "age": 40}, true],
            ["$nor - fail first", {"$nor": [{"name": "john"}, {"age": {"$lt": 30}}]}, {"name": "john", "age": 40}, false],
            ["equals array - pass", {"tags": ["hello", "world"]}, {"tags": ["hello", "world"]}, true],
            ["equals array - fail missing item", {"tags": ["hello", "world"]}, {"tags": ["hello"]}, false],
            ["equals array - fail type mismatch", {"tags": ["hello", "world"]}, {"tags": "hello world"}, false],
            ["equals object - fail extra property", {"tags": {"hello": "world"}}, {"tags": {"hello": "world", "yes": "please"}}, false],
            ["equals object - fail type mismatch", {"tags": {"hello": "world"}}, {"tags": "hello world"}, false],
            ["null condition - missing attribute", {"userId": null}, {}, true],
            ["null condition - zero attribute", {"userId": null}, {"userId": 0}, false],
            ["$vgt/$vlt - pass - minor", {"version": {"$vgt": "10.2.11", "$vlt": "10.20.11"}}, {"version": "10.12.11"}, true],
            ["$vgt/$vlt - fail $vlt - major", {"version": {"$vgt": "30.0.0", "$vlt": "50.0.0"}}, {"version": "60.0.0"}, false],
            ["$vgt/$vlt - fail $vlt - patch", {"version": {"$vgt": "10.2.30", "$vlt": "10.2.50"}}, {"version": "10.2.60"}, false],
            ["$vgt/$vlt - fail $vgt - minor", {"version": {"$vgt": "10.30.0", "$vlt": "10.50.0"}}, {"version": "10.20.0"}, false],
            ["$vgte/$vlte - pass $vgte - major", {"version": {"$vgte": "30.1.2", "$vlte": "60.1.2"}}, {"version": "30.1.2"}, true],
            ["$vgte/$vlte - pass $vgte - patch", {"version": {"$vgte": "5.10.30", "$vlte": "5.10.60"}}, {"version": "5.10.30"}, true],
            ["$vgte/$vlte - pass $vlte - minor", {"version": {"$vgte": "1.30.2", "$vlte": "1.60.2"}}, {"version": "1.60.2"}, true],
            ["$vgte/$vlte - fail $vlte - major", {"version": {"$vgte": "30.1.2", "$vlte": "60.1.2"}}, {"version": "61.1.2"}, false],
            ["$vgte/$vlte - fail $vgt - patch", {"version": {"$vgte": "1.2.30", "$vlte": "1.2.60"}}, {"version": "1.2.29"}, false],
            ["$vgt/$vlt prerelease w/ multiple fields - fail $vgt", {"v": {"$vgt": "1.0.0-alpha.2", "$vlt": "1.0.0-beta.1"}}, {"v": "1.0.0-alpha.1"}, false],
            ["$vgt/$vlt prerelease - pass", {"v": {"$vgt": "1.0.0-alpha", "$vlt": "1.0.0-beta"}}, {"v": "1.0.0-alpha.10"}, true],
            ["$veq - pass", {"v": {"$veq": "1.2.3"}}, {"v": "1.2.3"}, true],
            ["$vne - pass", {"v": {"$vne": "1.2.3"}}, {"v": "2.2.3"}, true],
            ["$ini - pass (array intersection, mixed case)", {"tags": {"$ini": ["A", "b"]}}, {"tags": ["x", "B"]}, true],
            ["$ini - numbers untouched", {"n": {"$ini": [1, "X"]}}, {"n": 1}, true],
            ["$nini - pass", {"country": {"$nini": ["us", "uk"]}}, {"country": "CA"}, true],
            ["$nini - not array", {"country": {"$nini": "us"}}, {"country": "CA"}, false],
            ["$alli - fail (one missing)", {"tags": {"$alli": ["One", "Four"]}}, {"tags": ["ONE", "two", "three"]}, false],
            ["$alli - nested operators keep working", {"tags": {"$alli": [{"$regex": "^o"}, "TWO"]}}, {"tags": ["one", "two"]}, true],
            ["$regexi - invalid", {"ua": {"$regexi": "(unclosed"}}, {"ua": "unclosed"}, false],
            ["$regex - case sensitive", {"ua": {"$regex": "mobile"}}, {"ua": "Mobile"}, false],
            ["$notInGroup fails for member", {"id": {"$notInGroup": "g"}}, {"id": 2}, false, {"g": [1, 2, 3]}],
            ["$notInGroup passes for unknown group", {"id": {"$notInGroup": "nope"}}, {"id": 2}, true, {"g": [1, 2, 3]}],
            ["$inGroup - strict types", {"id": {"$inGroup": "g"}}, {"id": "1"}, false, {"g": [1, 2, 3]}],
            ["$inGroup - array attribute intersects", {"ids": {"$inGroup": "g"}}, {"ids": [9, 3]}, true, {"g": [1, 2, 3]}],
            ["$inGroup - without saved groups", {"id": {"$inGroup": "g"}}, {"id": 1}, false]
        ]"#,
        )
        .unwrap_or(Value::Null);
        assert_eq!(cases.as_array().map(Vec::len), Some(83));
        let mut failures = Vec::new();
        for case in cases.as_array().into_iter().flatten() {
            let name = case[0].as_str().unwrap_or("?");
            let expected = case[3].as_bool().expect("expected bool");
            let got = eval_condition(&case[2], &case[1], case.get(4));
            if got != expected {
                failures.push(format!("{name}: expected {expected}, got {got}"));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn malformed_conditions_follow_js() {
        // Object.entries on non-objects.
        assert!(!ev(json!({"$not": 5}), json!({})));
        assert!(ev(json!({"$or": {"a": 1}}), json!({})));
        assert!(ev(json!({"$and": 3}), json!({})));
        assert!(!ev(json!({"$nor": {}}), json!({})));
        assert!(!ev(json!({"$or": null}), json!({})));
        assert!(!ev(json!({"$not": {"$not": null}}), json!({})));
        assert!(!ev(json!(null), json!({})));
        assert!(ev(json!(true), json!({})));
        assert!(ev(json!(["a"]), json!({"0": "a"})));
        assert!(ev(json!("ab"), json!({"0": "a", "1": "b"})));
        assert!(ev(json!({"$or": "ab"}), json!({"0": "b"})));
        assert!(!ev(json!({"$or": "ab"}), json!({"0": "c"})));
    }

    fn nest(depth: usize, leaf: Value, wrap: impl Fn(Value) -> Value) -> Value {
        let mut v = leaf;
        for _ in 0..depth {
            v = wrap(v);
        }
        v
    }

    #[test]
    fn deep_nesting_is_bounded() {
        // Shallow enough: evaluates normally.
        let ok = nest(20, json!({"a": 1}), |v| json!({"$and": [v]}));
        assert!(ev(ok, json!({"a": 1})));
        // Too deep: false (and reported), whichever operator nests.
        for wrap in [
            (|v| json!({"$and": [v]})) as fn(Value) -> Value,
            |v| json!({"$not": {"$not": v}}),
            |v| json!({"$or": [v]}),
        ] {
            let deep = nest(200, json!({"a": 1}), wrap);
            assert!(!ev(deep.clone(), json!({"a": 1})));
            let err = Condition::compile(&deep)
                .err()
                .and_then(|e| e.first().map(|e| e.message.clone()))
                .unwrap_or_default();
            assert!(err.contains("deeper than 64"), "{err}");
        }
        let deep = nest(200, json!({"$eq": 1}), |v| json!({"$not": v}));
        assert!(!ev(json!({"a": deep}), json!({"a": 1})));
        let deep = nest(200, json!({"$eq": 1}), |v| json!({"$elemMatch": v}));
        assert!(!ev(json!({"a": deep}), json!({"a": [[1]]})));
        // Deep attribute values: stringify / toString recursion is bounded too.
        let deep_attr = nest(600, json!(1), |v| json!([v]));
        assert!(!ev(json!({"a": [[1]]}), json!({"a": deep_attr.clone()})));
        assert!(!ev(json!({"a": "1"}), json!({"a": deep_attr.clone()})));
        assert!(!ev(
            json!({"a": {"$regex": "1"}}),
            json!({"a": deep_attr.clone()})
        ));
        assert!(ev(
            json!({"a": {"$type": "array"}}),
            json!({"a": deep_attr})
        ));
    }

    #[test]
    fn huge_inputs_stay_fast() {
        let n = 200_000usize;
        let list: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
        let attr: Vec<String> = (0..n).map(|i| format!("w{i}")).collect();
        let c = Condition::compile(&json!({"t": {"$in": list}})).ok();
        let start = std::time::Instant::now();
        assert!(c
            .as_ref()
            .is_some_and(|c| !c.eval(&json!({"t": attr}), &Value::Null)));
        assert!(start.elapsed().as_secs() < 5);
        // Pathological regex: linear time, no backtracking blow-up.
        let hay = "a".repeat(50_000);
        let start = std::time::Instant::now();
        assert!(!ev(json!({"s": {"$regex": "^(a+)+$b"}}), json!({"s": hay})));
        assert!(start.elapsed().as_secs() < 5);
        // Huge quantifier bounds exceed regex-lite's size limit: false, no panic.
        assert!(!ev(
            json!({"s": {"$regex": "a{1000000}"}}),
            json!({"s": "a"})
        ));
    }
}
