//! JSON → the compiled condition tree, with a path-precise
//! [`Issue`] for every malformed part.

use crate::json::{Map, Value};

use super::{Entry, InSet, Issue, Node, Op, ValueCond, VerOp, MAX_CONDITION_DEPTH};
use crate::regex::compile_js_regex;
use crate::targeting::js::{
    deeper_than, num, to_js_string, to_primitive, truthy, Abort, Rel, MAX_VALUE_DEPTH,
};
use crate::targeting::version::padded_version_string;

pub(super) struct Compiler {
    pub(super) errors: Vec<Issue>,
    /// Every `$regex`/`$regexi` compiled, in order: `(source, insensitive)`.
    #[cfg(feature = "condition-js-view")]
    pub(super) regexes: Vec<(String, bool)>,
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
    /// Records a regex for [`super::Condition::regex_sources`]; its index.
    #[cfg(feature = "condition-js-view")]
    fn note_regex(&mut self, source: &str, insensitive: bool) -> usize {
        self.regexes.push((source.to_string(), insensitive));
        self.regexes.len() - 1
    }

    /// Without another regex engine to hand regexes to, none are recorded.
    #[cfg(not(feature = "condition-js-view"))]
    fn note_regex(&mut self, _source: &str, _insensitive: bool) -> usize {
        0
    }

    fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(Issue::error(path, message));
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
    pub(super) fn node(&mut self, v: &Value, path: &str, depth: usize) -> Node {
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
            Value::String(s) if insensitive => ValueCond::StrI(crate::text::lowercase(s)),
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
                    Ok(re) => Op::Regex(Box::new(re), self.note_regex(src, op == "$regexi")),
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

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::Condition;

    #[test]
    fn compile_reports_paths() {
        let cond = json!({"$and": [{"a": 1}, {"b": 2}, {"country": {"$regex": "(unclosed"}}]});
        let err = Condition::compile(&cond)
            .err()
            .and_then(|e| e.first().map(|e| e.to_string()))
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
}
