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
//!   (see [`crate::target::version`]) and `$inGroup $notInGroup` (membership
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
//! reproduced, and reported as [`ConditionError`]s by [`Condition::compile`].
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
//! - Regex dialect differences: see [`crate::target::jsregex`].

use std::collections::HashSet;
use std::fmt;

use regex_lite::Regex;
use serde_json::{Map, Value};

use super::js::{
    array_index, deeper_than, num, relational, strict_eq, stringify_eq, to_js_string, to_number,
    to_primitive, truthy, type_name, utf16_cmp, Abort, Prim, Rel, MAX_VALUE_DEPTH,
};
use super::jsregex::compile_js_regex;
use super::version::padded_version_string;

/// Maximum nesting of conditions (each nested condition object, operator
/// object or list element counts one level). Deeper parts evaluate to `false`.
pub const MAX_CONDITION_DEPTH: usize = 64;

/// A problem found while compiling a condition, with the JSON path of the
/// offending part, e.g. `$and[2].country.$regex: invalid regex "(": …`.
///
/// Compilation never fails hard: [`Condition::compile_lenient`] always returns a
/// condition that evaluates exactly like GrowthBook would (the bad part is
/// `false`); these errors are warnings for the author of the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    /// JSON path of the offending part (empty for the root).
    pub path: String,
    /// What is wrong with it and how it evaluates.
    pub message: String,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ConditionError {}

/// A compiled GrowthBook condition.
#[derive(Debug, Clone)]
pub struct Condition {
    root: Node,
}

/// What `evalCondition(obj, X)` does for a given `X`.
#[derive(Debug, Clone)]
enum Node {
    Entries(Vec<Entry>),
    Throw,
}

#[derive(Debug, Clone)]
enum Entry {
    Or(Vec<Node>),
    Nor(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    Field { path: Vec<String>, cond: ValueCond },
    Throw,
}

/// What `evalConditionValue(X, value)` does for a given `X`.
#[derive(Debug, Clone)]
enum ValueCond {
    Str(String),
    /// Case-insensitive string (inside `$alli`), already lower-cased.
    StrI(String),
    Num(f64),
    Bool(bool),
    Null,
    Json(Value),
    Ops(Vec<Op>),
    Throw,
}

#[derive(Debug, Clone, Copy)]
enum VerOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone)]
enum Op {
    Version(VerOp, String),
    /// `$eq`/`$ne`: `None` when the expected value is an array/object (never `===`).
    StrictEq {
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
    Regex(Box<Regex>),
    Type(String),
    False,
    Throw,
}

/// The primitive members of an `$in` list, hashed (arrays/objects in the list
/// can never be `includes`-equal to anything and are dropped).
#[derive(Debug, Clone, Default)]
struct InSet {
    strings: HashSet<String>,
    numbers: HashSet<u64>,
    has_true: bool,
    has_false: bool,
    has_null: bool,
    insensitive: bool,
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
    fn new<'a>(items: impl IntoIterator<Item = &'a Value>, insensitive: bool) -> Self {
        let mut s = InSet {
            insensitive,
            ..InSet::default()
        };
        for v in items {
            match v {
                Value::String(x) => {
                    s.strings.insert(if insensitive {
                        x.to_lowercase()
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
                    self.strings.contains(&x.to_lowercase())
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

struct Compiler {
    errors: Vec<ConditionError>,
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn is_operator_object(m: &Map<String, Value>) -> bool {
    !m.is_empty() && m.keys().all(|k| k.starts_with('$'))
}

impl Compiler {
    fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(ConditionError {
            path: path.to_string(),
            message: message.into(),
        });
    }

    fn too_deep(&mut self, path: &str, depth: usize) -> bool {
        if depth > MAX_CONDITION_DEPTH {
            self.warn(
                path,
                format!(
                    "condition nested deeper than {MAX_CONDITION_DEPTH} levels; the whole condition evaluates to false"
                ),
            );
            true
        } else {
            false
        }
    }

    /// `evalCondition(obj, v)`.
    fn node(&mut self, v: &Value, path: &str, depth: usize) -> Node {
        if self.too_deep(path, depth) {
            return Node::Throw;
        }
        match v {
            Value::Object(m) => Node::Entries(
                m.iter()
                    .map(|(k, v)| self.entry(k, v, &child(path, k), depth))
                    .collect(),
            ),
            Value::Array(a) => {
                self.warn(
                    path,
                    "condition is an array; JS treats it as an object keyed \"0\", \"1\", …",
                );
                Node::Entries(
                    a.iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let k = i.to_string();
                            self.entry(&k, v, &format!("{path}[{i}]"), depth)
                        })
                        .collect(),
                )
            }
            Value::String(s) => {
                self.warn(
                    path,
                    "condition is a string; JS treats it as an object keyed by character index",
                );
                Node::Entries(
                    s.chars()
                        .enumerate()
                        .map(|(i, c)| Entry::Field {
                            path: vec![i.to_string()],
                            cond: ValueCond::Str(c.to_string()),
                        })
                        .collect(),
                )
            }
            Value::Number(_) | Value::Bool(_) => {
                self.warn(
                    path,
                    "condition is not an object; it matches everything (as in JS)",
                );
                Node::Entries(Vec::new())
            }
            Value::Null => {
                self.warn(
                    path,
                    "condition is null; JS throws, so the whole condition evaluates to false",
                );
                Node::Throw
            }
        }
    }

    fn entry(&mut self, key: &str, v: &Value, path: &str, depth: usize) -> Entry {
        match key {
            "$or" | "$nor" | "$and" => {
                let Some(list) = self.list(v, path, depth + 1) else {
                    return Entry::Throw;
                };
                match key {
                    "$or" => Entry::Or(list),
                    "$nor" => Entry::Nor(list),
                    _ => Entry::And(list),
                }
            }
            "$not" => Entry::Not(Box::new(self.node(v, path, depth + 1))),
            _ => Entry::Field {
                path: key.split('.').map(str::to_string).collect(),
                cond: self.value_cond(v, path, depth + 1, false),
            },
        }
    }

    /// The argument of `$or`/`$nor`/`$and`; `None` when JS would throw.
    fn list(&mut self, v: &Value, path: &str, depth: usize) -> Option<Vec<Node>> {
        if self.too_deep(path, depth) {
            return None;
        }
        match v {
            Value::Array(a) => Some(
                a.iter()
                    .enumerate()
                    .map(|(i, c)| self.node(c, &format!("{path}[{i}]"), depth + 1))
                    .collect(),
            ),
            Value::String(s) => {
                self.warn(
                    path,
                    "expected an array of conditions, got a string (JS iterates its characters)",
                );
                Some(
                    s.chars()
                        .enumerate()
                        .map(|(i, c)| {
                            self.node(
                                &Value::String(c.to_string()),
                                &format!("{path}[{i}]"),
                                depth + 1,
                            )
                        })
                        .collect(),
                )
            }
            Value::Null => {
                self.warn(
                    path,
                    "expected an array of conditions, got null (JS throws; evaluates to false)",
                );
                None
            }
            _ => {
                self.warn(
                    path,
                    "expected an array of conditions; JS treats this as an empty list",
                );
                Some(Vec::new())
            }
        }
    }

    /// `evalConditionValue(v, value, insensitive)`.
    fn value_cond(&mut self, v: &Value, path: &str, depth: usize, insensitive: bool) -> ValueCond {
        if self.too_deep(path, depth) {
            return ValueCond::Throw;
        }
        match v {
            Value::String(s) if insensitive => ValueCond::StrI(s.to_lowercase()),
            Value::String(s) => ValueCond::Str(s.clone()),
            Value::Number(n) => ValueCond::Num(num(n)),
            Value::Bool(b) => ValueCond::Bool(*b),
            Value::Null => ValueCond::Null,
            Value::Object(m) if is_operator_object(m) => ValueCond::Ops(
                m.iter()
                    .map(|(op, e)| self.op(op, e, &child(path, op), depth))
                    .collect(),
            ),
            Value::Array(_) | Value::Object(_) => {
                if deeper_than(v, MAX_VALUE_DEPTH) {
                    self.warn(path, "value nested too deeply; evaluates to false");
                    ValueCond::Throw
                } else {
                    ValueCond::Json(v.clone())
                }
            }
        }
    }

    fn op(&mut self, op: &str, e: &Value, path: &str, depth: usize) -> Op {
        let version = |k: VerOp| Op::Version(k, padded_version_string(e));
        let expects_array = |me: &mut Self| {
            me.warn(path, "expects an array; evaluates to false");
            Op::False
        };
        match op {
            "$veq" => version(VerOp::Eq),
            "$vne" => version(VerOp::Ne),
            "$vgt" => version(VerOp::Gt),
            "$vgte" => version(VerOp::Gte),
            "$vlt" => version(VerOp::Lt),
            "$vlte" => version(VerOp::Lte),
            "$eq" | "$ne" => Op::StrictEq {
                expected: match e {
                    Value::Array(_) | Value::Object(_) => None,
                    _ => Some(e.clone()),
                },
                negate: op == "$ne",
            },
            "$lt" | "$lte" | "$gt" | "$gte" => {
                let rel = match op {
                    "$lt" => Rel::Lt,
                    "$lte" => Rel::Lte,
                    "$gt" => Rel::Gt,
                    _ => Rel::Gte,
                };
                match to_primitive(e) {
                    Ok(p) => Op::Cmp(rel, p),
                    Err(Abort) => {
                        self.warn(path, "value nested too deeply; evaluates to false");
                        Op::Throw
                    }
                }
            }
            "$exists" => Op::Exists(truthy(e)),
            "$in" | "$nin" | "$ini" | "$nini" => match e {
                Value::Array(a) => Op::In {
                    set: InSet::new(a, op.ends_with('i')),
                    negate: op.starts_with("$n"),
                },
                _ => expects_array(self),
            },
            "$inGroup" | "$notInGroup" => match to_js_string(e) {
                Ok(key) => Op::InGroup {
                    key: key.into_owned(),
                    negate: op == "$notInGroup",
                },
                Err(Abort) => Op::Throw,
            },
            "$not" => Op::Not(Box::new(self.value_cond(e, path, depth + 1, false))),
            "$size" => Op::Size(Box::new(self.value_cond(e, path, depth + 1, false))),
            "$elemMatch" => match e {
                Value::Object(m) if is_operator_object(m) => {
                    Op::ElemMatchOps(Box::new(self.value_cond(e, path, depth + 1, false)))
                }
                Value::Null => {
                    self.warn(
                        path,
                        "$elemMatch of null (JS throws on arrays); evaluates to false",
                    );
                    Op::ElemMatchNull
                }
                _ => Op::ElemMatchCond(Box::new(self.node(e, path, depth + 1))),
            },
            "$all" | "$alli" => match e {
                Value::Array(a) => Op::All(
                    a.iter()
                        .enumerate()
                        .map(|(i, c)| {
                            self.value_cond(c, &format!("{path}[{i}]"), depth + 1, op == "$alli")
                        })
                        .collect(),
                ),
                _ => expects_array(self),
            },
            "$regex" | "$regexi" => match e {
                Value::String(src) => match compile_js_regex(src, op == "$regexi") {
                    Ok(re) => Op::Regex(Box::new(re)),
                    Err(msg) => {
                        self.warn(
                            path,
                            format!("invalid regex {src:?}: {msg}; evaluates to false"),
                        );
                        Op::False
                    }
                },
                _ => {
                    self.warn(path, "regex must be a string; evaluates to false");
                    Op::False
                }
            },
            "$type" => match e {
                Value::String(t) => Op::Type(t.clone()),
                _ => {
                    self.warn(path, "$type must be a string; evaluates to false");
                    Op::False
                }
            },
            _ => {
                self.warn(path, format!("unknown operator {op}; evaluates to false"));
                Op::False
            }
        }
    }
}

/// `getPath(obj, path)`: walks objects by key and arrays by index (or
/// `length`); anything else, or a missing step, gives `null`.
fn get_path<'a>(obj: &'a Value, path: &[String]) -> std::borrow::Cow<'a, Value> {
    use std::borrow::Cow;
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

struct Ctx<'g> {
    groups: Option<&'g Map<String, Value>>,
}

impl Ctx<'_> {
    fn node(&self, n: &Node, obj: &Value) -> Result<bool, Abort> {
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

    fn any(&self, list: &[Node], obj: &Value) -> Result<bool, Abort> {
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

    fn entry(&self, e: &Entry, obj: &Value) -> Result<bool, Abort> {
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
            Entry::Field { path, cond } => self.value(cond, &get_path(obj, path)),
            Entry::Throw => Err(Abort),
        }
    }

    fn value(&self, c: &ValueCond, v: &Value) -> Result<bool, Abort> {
        Ok(match c {
            ValueCond::Str(s) => to_js_string(v)? == s.as_str(),
            ValueCond::StrI(s) => to_js_string(v)?.to_lowercase() == *s,
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

    fn op(&self, op: &Op, actual: &Value) -> Result<bool, Abort> {
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
            Op::Regex(re) => re.is_match(&to_js_string(actual)?),
            Op::Type(t) => type_name(actual) == t,
            Op::False => false,
            Op::Throw => return Err(Abort),
        })
    }

    /// `isIn(actual, savedGroups[key] || [])`.
    fn in_group(&self, key: &str, actual: &Value) -> Result<bool, Abort> {
        let group = self.groups.and_then(|g| g.get(key));
        match group {
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

impl Condition {
    /// Compiles a condition, failing on the first problem found (unknown
    /// operator, invalid regex, malformed structure, excessive nesting).
    /// Use [`Condition::compile_lenient`] to get GrowthBook's forgiving behaviour
    /// together with all warnings.
    pub fn compile(condition: &Value) -> Result<Condition, ConditionError> {
        let (cond, mut errors) = Self::compile_lenient(condition);
        if errors.is_empty() {
            Ok(cond)
        } else {
            Err(errors.swap_remove(0))
        }
    }

    /// Compiles a condition the way GrowthBook would evaluate it (bad parts
    /// become `false` or abort the evaluation), returning every problem found.
    pub fn compile_lenient(condition: &Value) -> (Condition, Vec<ConditionError>) {
        let mut c = Compiler { errors: Vec::new() };
        let root = c.node(condition, "", 0);
        (Condition { root }, c.errors)
    }

    /// `evalCondition(attributes, condition, savedGroups)`. `saved_groups` maps
    /// group ids to arrays of values; anything that is not an object (e.g.
    /// `Value::Null`) means no groups.
    pub fn eval(&self, attributes: &Value, saved_groups: &Value) -> bool {
        let ctx = Ctx {
            groups: saved_groups.as_object(),
        };
        ctx.node(&self.root, attributes).unwrap_or(false)
    }

    /// Like [`Condition::eval`] with the saved groups given as a map.
    pub fn eval_with_groups(&self, attributes: &Value, saved_groups: &Map<String, Value>) -> bool {
        let ctx = Ctx {
            groups: Some(saved_groups),
        };
        ctx.node(&self.root, attributes).unwrap_or(false)
    }
}

/// Compiles and evaluates in one go, with GrowthBook's forgiving semantics
/// (an invalid regex or unknown operator is a non-match of that part, never an
/// error).
pub fn eval_condition(condition: &Value, attributes: &Value, saved_groups: Option<&Value>) -> bool {
    let (cond, _warnings) = Condition::compile_lenient(condition);
    cond.eval(attributes, saved_groups.unwrap_or(&Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(cond: Value, attrs: Value) -> bool {
        eval_condition(&cond, &attrs, None)
    }

    fn evg(cond: Value, attrs: Value, groups: Value) -> bool {
        eval_condition(&cond, &attrs, Some(&groups))
    }

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
            let got = eval_condition(&case[1], &case[2], case.get(4));
            if got != expected {
                failures.push(format!("{name}: expected {expected}, got {got}"));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

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

    #[test]
    fn compile_reports_paths() {
        let cond = json!({"$and": [{"a": 1}, {"b": 2}, {"country": {"$regex": "(unclosed"}}]});
        let err = Condition::compile(&cond)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("$and[2].country.$regex: invalid regex \"(unclosed\""),
            "{err}"
        );
        let (c, errors) = Condition::compile_lenient(&json!({
            "x": {"$foo": 1},
            "y": {"$in": 3},
            "$or": null,
            "z": {"$elemMatch": {"w": {"$regexi": "[" }}}
        }));
        let msgs: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("x.$foo: unknown operator $foo")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("y.$in: expects an array")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.starts_with("$or: expected an array")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("z.$elemMatch.w.$regexi: invalid regex")),
            "{msgs:?}"
        );
        assert!(!c.eval(&json!({}), &Value::Null));
        assert!(
            Condition::compile(&json!({"a": {"$in": [1]}, "$or": [{"b": {"$regex": "^x"}}]}))
                .is_ok()
        );
        // Compile once, evaluate many times.
        let c = Condition::compile(&json!({"ua": {"$regex": "Mobile"}})).ok();
        let c = c.as_ref();
        assert!(c.is_some_and(|c| c.eval(&json!({"ua": "Mobile Safari"}), &Value::Null)));
        assert!(c.is_some_and(|c| !c.eval(&json!({"ua": "Desktop"}), &Value::Null)));
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
                .map(|e| e.message)
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
