//! One contract for every configuration document (scoring model, site
//! config, form): each loads through [`ConfigDocument`], and every problem,
//! fatal or not, is an [`Issue`] collected in a [`Diagnostics`].
//!
//! Loading never stops at the first problem. Shape errors (a string where a
//! number belongs, an unknown key) are found by serde one at a time; after
//! each, the smallest part that holds it (the array element, or else the
//! key) is set aside and the rest is read again, so one document lists all
//! of them. What remains is then compiled, which adds the errors serde
//! cannot see (a misspelled condition operator, a duplicate id), with paths
//! that still point into the document as written.

use std::fmt;

use crate::json::Value;
use serde::de::DeserializeOwned;

/// How bad an [`Issue`] (a problem in a config document) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The document cannot be used until this is fixed.
    Error,
    /// The document loads, but this part may not do what its author meant
    /// (a variant that can never be chosen, weights that do not sum to 1).
    Warning,
}

/// One problem in a document. `path` names the field the way a person would
/// point at it in the JSON (`engagement.rules[3].points`); it is empty for
/// the document as a whole.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Issue {
    pub path: String,
    /// What was expected, or what is wrong, in the user's terms.
    pub message: String,
    /// `error`: the document cannot be used; `warning`: it loads, but this
    /// part may not do what was meant.
    pub severity: Severity,
}

impl Issue {
    pub fn error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            severity: Severity::Error,
        }
    }

    pub fn warning(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            severity: Severity::Warning,
        }
    }

    /// The same issue, found inside a part that sits at `base` in a larger
    /// document (a condition inside `slots[0].variants[1].when`).
    pub fn within(mut self, base: &str) -> Self {
        self.path = join_path(base, &self.path);
        self
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for Issue {}

/// The text of a number in a message or a reason: Rust's `{}` (`12.5`,
/// `-0`), except in the page build, which asks the JS engine for `String(x)`
/// (the same text, but `0` for `-0` and exponents from `1e+21` up and below
/// `1e-6`) and so ships no float formatting code.
#[cfg(not(js_engine))]
pub fn number_text(x: f64) -> String {
    x.to_string()
}

/// The text of a number in a message or a reason, see above.
#[cfg(js_engine)]
pub fn number_text(x: f64) -> String {
    crate::wasm::engine::number_to_string(x)
}

/// `base` + `inner` as one path: `slots[0]` + `id` is `slots[0].id`,
/// `tier` + `[1]` is `tier[1]`.
pub fn join_path(base: &str, inner: &str) -> String {
    if inner.is_empty() {
        return base.to_string();
    }
    if base.is_empty() {
        return inner.to_string();
    }
    let mut s = String::with_capacity(base.len() + inner.len() + 1);
    s.push_str(base);
    if !inner.starts_with('[') {
        s.push('.');
    }
    s.push_str(inner);
    s
}

/// Every error and warning found in a document, for editors and playgrounds
/// that show all problems at once. Serializes as `{errors, warnings}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Diagnostics {
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
    /// Array elements set aside after a shape error, so that later paths
    /// (which the pruned document numbers differently) can be put back in
    /// the document's own numbering.
    #[serde(skip)]
    pruned: Pruned,
}

impl Diagnostics {
    /// Diagnostics holding one error, such as a document that does not parse.
    pub fn failed(error: Issue) -> Self {
        let mut d = Self::default();
        d.push(error);
        d
    }

    /// Records an issue under its severity. A path into an array that lost
    /// elements to shape errors is renumbered to match the document.
    pub fn push(&mut self, mut issue: Issue) {
        issue.path = self.pruned.original_path(&issue.path);
        let list = match issue.severity {
            Severity::Error => &mut self.errors,
            Severity::Warning => &mut self.warnings,
        };
        if !list.contains(&issue) {
            list.push(issue);
        }
    }

    pub fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.push(Issue::error(path, message));
    }

    pub fn warning(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.push(Issue::warning(path, message));
    }

    /// Records issues found in a part that sits at `base` in the document.
    pub fn extend_within(&mut self, base: &str, issues: impl IntoIterator<Item = Issue>) {
        for issue in issues {
            self.push(issue.within(base));
        }
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The elements of the array at `array` (`slots[2].variants`, numbered
    /// as the compiler sees the document, like the paths it records) that
    /// were set aside after a shape error. A compiler that looks up ids uses
    /// them so that a reference to one of them is not reported again as
    /// unknown: its own error already is.
    pub fn set_aside<'a>(&'a self, array: &str) -> impl Iterator<Item = &'a Value> + 'a {
        let array = self.pruned.original_path(array);
        self.pruned
            .0
            .iter()
            .filter(move |p| p.array == array)
            .flat_map(|p| p.values.iter())
    }

    /// True when an element of `array` whose `id` is `id` was set aside.
    pub fn set_aside_id(&self, array: &str, id: &str) -> bool {
        self.set_aside(array)
            .any(|v| v.get("id").and_then(Value::as_str) == Some(id))
    }
}

impl fmt::Display for Diagnostics {
    /// One error per line; warnings are not errors and are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// A configuration document: read from JSON, checked, compiled once.
///
/// Implementors say what the document looks like ([`Document`](Self::Document),
/// read by serde) and how to compile it ([`compile`](Self::compile), which
/// records every semantic problem); loading, checking and the reporting of
/// every error come from here, the same for every document.
pub trait ConfigDocument: Sized {
    /// The document as serde reads it.
    type Document: DeserializeOwned;

    /// Compiles a document that has the right shape, recording every error
    /// and warning in `diagnostics`. The compiled value keeps the warnings
    /// it was given; it is thrown away when any error was recorded.
    fn compile(document: Self::Document, diagnostics: &mut Diagnostics) -> Self;

    /// Loads a document from JSON text, or lists every error in it.
    fn from_json(json: &str) -> Result<Self, Diagnostics> {
        Self::from_value(parse_json(json)?)
    }

    /// Loads an already parsed document (as arrives from JavaScript, or as
    /// part of a larger document), or lists every error in it.
    fn from_value(value: Value) -> Result<Self, Diagnostics> {
        let (compiled, diagnostics) = Self::load(value);
        match compiled {
            Some(c) if !diagnostics.has_errors() => Ok(c),
            _ => Err(diagnostics),
        }
    }

    /// Every error and warning in a document, without failing.
    fn check(value: Value) -> Diagnostics {
        Self::load(value).1
    }

    /// Every error and warning in JSON text, without failing.
    fn check_json(json: &str) -> Diagnostics {
        match parse_json(json) {
            Ok(value) => Self::check(value),
            Err(d) => d,
        }
    }

    /// Reads as much of the document as has the right shape, then compiles
    /// it; `None` when not even the document's top level could be read.
    fn load(value: Value) -> (Option<Self>, Diagnostics) {
        let mut diagnostics = Diagnostics::default();
        let compiled = read_all::<Self::Document>(value, &mut diagnostics)
            .map(|doc| Self::compile(doc, &mut diagnostics));
        (compiled, diagnostics)
    }
}

/// The page build reads compiled configs only (its API refuses a raw
/// one, `raw_config_unsupported`), and its JSON value has no serde reader
/// of its own: no document is read there.
#[cfg(feature = "page-only")]
fn read_all<T: DeserializeOwned>(_: Value, diagnostics: &mut Diagnostics) -> Option<T> {
    diagnostics.error(
        "",
        "the page build reads compiled configs only: compile the document first",
    );
    None
}

/// JSON text as a value. A syntax error has no field path; serde's line and
/// column locate it.
fn parse_json(json: &str) -> Result<Value, Diagnostics> {
    serde_json::from_str(json).map_err(|e| Diagnostics::failed(Issue::error("", e.to_string())))
}

/// The most shape errors one document reports; a document with more is
/// probably not the kind of document expected at all.
#[cfg(not(feature = "page-only"))]
const MAX_SHAPE_ERRORS: usize = 50;

/// Reads `T` from `value`, recording every shape error: after each, the
/// innermost array element holding it (or, outside arrays, its key) is
/// removed and the rest is read again. Returns what could be read.
#[cfg(not(feature = "page-only"))]
fn read_all<T: DeserializeOwned>(mut value: Value, diagnostics: &mut Diagnostics) -> Option<T> {
    // serde would read an array as a struct's fields in order, and pruning
    // it would report each element; a document is an object.
    if !value.is_object() {
        diagnostics.error("", "expected a JSON object");
        return None;
    }
    // A key removed from an object makes serde report "missing field" at
    // the object; that says nothing new, so it is not repeated.
    let mut removed_keys: Vec<(String, String)> = Vec::new();
    for _ in 0..MAX_SHAPE_ERRORS {
        let err = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(doc) => return Some(doc),
            Err(err) => err,
        };
        let path = JsonPath::from_serde(err.path());
        let message = humanize(&err.into_inner().to_string());
        let rendered = path.render();
        let echo = removed_keys
            .iter()
            .any(|(at, key)| *at == rendered && message == format!("missing field `{key}`"));
        if !echo {
            diagnostics.error(rendered, message);
        }
        match path.prune(&mut value) {
            Some(Removed::Element {
                array,
                index,
                value,
            }) => {
                let array = diagnostics.pruned.original_path(&array.render());
                diagnostics.pruned.record(array, index, value);
            }
            Some(Removed::Key { object, key }) => {
                removed_keys.push((object.render(), key));
            }
            None => return None,
        }
    }
    diagnostics.error("", "too many errors: fix these and check again");
    None
}

/// One step of a path into a JSON document.
#[cfg(not(feature = "page-only"))]
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

#[cfg(not(feature = "page-only"))]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct JsonPath(Vec<Step>);

/// What [`JsonPath::prune`] took out of a document.
#[cfg(not(feature = "page-only"))]
enum Removed {
    Element {
        array: JsonPath,
        index: usize,
        value: Value,
    },
    Key {
        object: JsonPath,
        key: String,
    },
}

#[cfg(not(feature = "page-only"))]
impl JsonPath {
    /// serde_path_to_error's path. `None` steps (serde could not tell where
    /// it was) end the path there.
    fn from_serde(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment;
        let mut steps = Vec::new();
        for segment in path.iter() {
            match segment {
                Segment::Seq { index } => steps.push(Step::Index(*index)),
                Segment::Map { key } | Segment::Enum { variant: key } => {
                    steps.push(Step::Key(key.clone()))
                }
                Segment::Unknown => break,
            }
        }
        Self(steps)
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for step in &self.0 {
            match step {
                Step::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
                Step::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
            }
        }
        out
    }

    /// Removes from `doc` the innermost array element on this path, or the
    /// last key when the path crosses no array. `None` when there is nothing
    /// left to remove (the error is about the document as a whole) or the
    /// path does not lead anywhere in `doc`.
    fn prune(&self, doc: &mut Value) -> Option<Removed> {
        let cut = self
            .0
            .iter()
            .rposition(|s| matches!(s, Step::Index(_)))
            .or_else(|| self.0.len().checked_sub(1))?;
        let (parent, last) = self.0.split_at(cut);
        let mut at = &mut *doc;
        for step in parent {
            at = match (step, at) {
                (Step::Key(k), Value::Object(map)) => map.get_mut(k)?,
                (Step::Index(i), Value::Array(list)) => list.get_mut(*i)?,
                _ => return None,
            };
        }
        let parent = JsonPath(parent.to_vec());
        match (last.first()?, at) {
            (Step::Index(i), Value::Array(list)) if *i < list.len() => {
                let value = list.remove(*i);
                Some(Removed::Element {
                    array: parent,
                    index: *i,
                    value,
                })
            }
            (Step::Key(k), Value::Object(map)) => {
                map.remove(k)?;
                Some(Removed::Key {
                    object: parent,
                    key: k.clone(),
                })
            }
            _ => None,
        }
    }
}

/// Which elements of which arrays were removed, each array named by its
/// path in the document as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Pruned(Vec<PrunedArray>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct PrunedArray {
    array: String,
    /// Original indices, sorted.
    removed: Vec<usize>,
    /// The removed elements, in the order they were removed.
    values: Vec<Value>,
}

impl Pruned {
    #[cfg(not(feature = "page-only"))]
    fn record(&mut self, array: String, index_in_pruned: usize, value: Value) {
        let slot = match self.0.iter().position(|p| p.array == array) {
            Some(at) => at,
            None => {
                self.0.push(PrunedArray {
                    array,
                    removed: Vec::new(),
                    values: Vec::new(),
                });
                self.0.len() - 1
            }
        };
        if let Some(p) = self.0.get_mut(slot) {
            let original = original_index(&p.removed, index_in_pruned);
            let at = p.removed.partition_point(|&r| r < original);
            p.removed.insert(at, original);
            p.values.push(value);
        }
    }

    /// `path` (numbered as in the pruned document) numbered as in the
    /// document as written.
    fn original_path(&self, path: &str) -> String {
        if self.0.is_empty() {
            return path.to_string();
        }
        let mut out = String::with_capacity(path.len());
        let mut rest = path;
        while let Some(open) = rest.find('[') {
            let (before, after) = rest.split_at(open);
            out.push_str(before);
            let Some(close) = after.find(']') else { break };
            let digits = after.get(1..close).unwrap_or("");
            match digits.parse::<usize>() {
                Ok(index) => {
                    let index = match self.0.iter().find(|p| p.array == out) {
                        Some(p) => original_index(&p.removed, index),
                        None => index,
                    };
                    out.push('[');
                    out.push_str(&index.to_string());
                    out.push(']');
                }
                Err(_) => out.push_str(after.get(..=close).unwrap_or("")),
            }
            rest = after.get(close + 1..).unwrap_or("");
        }
        out.push_str(rest);
        out
    }
}

/// The original index of the element now at `index`, given the sorted
/// original indices removed before it.
fn original_index(removed: &[usize], index: usize) -> usize {
    let mut original = index;
    for &r in removed {
        if r <= original {
            original += 1;
        }
    }
    original
}

/// serde speaks of `f64` and `u32`; a marketer editing JSON thinks of "a
/// number". The serde line/column suffix is dropped when a path is given.
#[cfg(not(feature = "page-only"))]
fn humanize(message: &str) -> String {
    let mut text = message.to_string();
    if let Some(at) = text.find(" at line ") {
        text.truncate(at);
    }
    for (rust, human) in [
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected u64", "expected a whole number ≥ 0"),
        ("expected u32", "expected a whole number ≥ 0"),
        ("expected u16", "expected a whole number ≥ 0"),
        ("expected u8", "expected a whole number ≥ 0"),
        ("expected usize", "expected a whole number ≥ 0"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected an array"),
        ("expected struct", "expected an object"),
        ("expected a map", "expected an object"),
    ] {
        text = text.replace(rust, human);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Rule {
        #[allow(dead_code)]
        points: f64,
        #[serde(default)]
        #[allow(dead_code)]
        tags: Vec<String>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[allow(dead_code)]
        rules: Vec<Rule>,
        #[serde(default)]
        #[allow(dead_code)]
        half_life: f64,
    }

    /// Reports every rule whose points are not 0 as a semantic error, so
    /// the tests can see which rules reached the compiler and under which
    /// path.
    struct Compiled(usize);
    impl ConfigDocument for Compiled {
        type Document = Doc;
        fn compile(doc: Doc, d: &mut Diagnostics) -> Self {
            for (i, r) in doc.rules.iter().enumerate() {
                if r.points != 0.0 {
                    d.error(format!("rules[{i}].points"), "must be 0");
                }
            }
            Compiled(doc.rules.len())
        }
    }

    fn paths(d: &Diagnostics) -> Vec<(&str, &str)> {
        d.errors
            .iter()
            .map(|e| (e.path.as_str(), e.message.as_str()))
            .collect()
    }

    #[test]
    fn wrong_type_names_the_path_and_a_human_type() {
        let d = Compiled::check_json(r#"{"rules":[{"points":0},{"points":"ten"}]}"#);
        assert_eq!(
            d.to_string(),
            "rules[1].points: invalid type: string \"ten\", expected a number"
        );
    }

    #[test]
    fn syntax_error_keeps_line_and_column() {
        let d = Compiled::check_json("{\"rules\": [\n  {\"points\": 1,}\n]}");
        assert_eq!(d.errors.len(), 1);
        assert_eq!(d.errors[0].path, "");
        assert!(d.errors[0].message.contains("line 2"), "{d}");
    }

    #[test]
    fn every_shape_error_is_reported_with_the_documents_own_numbering() {
        // Shape errors in rules 1, 3 and 4; rule 5 reaches the compiler as
        // the pruned document's rules[2] and is reported as rules[5].
        let d = Compiled::check(json!({"rules": [
            {"points": 0},
            {"points": "ten"},
            {"points": 0},
            {"pionts": 0},
            {"points": 0, "tags": [1]},
            {"points": 3}
        ]}));
        assert_eq!(
            paths(&d),
            [
                (
                    "rules[1].points",
                    "invalid type: string \"ten\", expected a number"
                ),
                (
                    "rules[3].pionts",
                    "unknown field `pionts`, expected `points` or `tags`"
                ),
                (
                    "rules[4].tags[0]",
                    "invalid type: integer `1`, expected a string"
                ),
                ("rules[5].points", "must be 0"),
            ]
        );
    }

    #[test]
    fn a_bad_key_outside_arrays_is_dropped_without_an_echo() {
        let d = Compiled::check(json!({"rules": [{"points": 0}], "half_life": "x", "colour": 1}));
        assert_eq!(
            paths(&d),
            [
                (
                    "colour",
                    "unknown field `colour`, expected `rules` or `half_life`"
                ),
                ("half_life", "invalid type: string \"x\", expected a number"),
            ]
        );
        // A required key that is dropped is reported once, not again as
        // missing.
        let d = Compiled::check(json!({"rules": 3}));
        assert_eq!(
            paths(&d),
            [("rules", "invalid type: integer `3`, expected an array")]
        );
    }

    #[test]
    fn a_document_that_is_not_an_object_stops_at_once() {
        let (compiled, d) = Compiled::load(json!([1, 2]));
        assert!(compiled.is_none());
        assert_eq!(d.errors.len(), 1, "{d}");
    }

    #[test]
    fn a_clean_document_loads() {
        let c = Compiled::from_json(r#"{"rules":[{"points":0},{"points":0}]}"#).unwrap();
        assert_eq!(c.0, 2);
    }

    #[test]
    fn renumbering_handles_removals_in_nested_arrays() {
        let mut p = Pruned::default();
        p.record("a".into(), 0, Value::Null); // original a[0]
        p.record("a".into(), 1, Value::Null); // pruned a[1] is original a[2]
        p.record("a[3].b".into(), 0, Value::Null);
        assert_eq!(p.original_path("a[0].x"), "a[1].x");
        assert_eq!(p.original_path("a[1].b[0]"), "a[3].b[1]");
        assert_eq!(p.original_path("c[0]"), "c[0]");
        assert_eq!(original_index(&[0, 2], 0), 1);
        assert_eq!(original_index(&[0, 2], 1), 3);
    }

    #[test]
    fn join_path_handles_indices_and_empty_parts() {
        assert_eq!(join_path("slots[0]", "id"), "slots[0].id");
        assert_eq!(join_path("tier", "[1]"), "tier[1]");
        assert_eq!(join_path("", "id"), "id");
        assert_eq!(join_path("when", ""), "when");
    }
}
