//! Fit (explicit) scoring: is this the right person at the right company?
//! Rules over profile fields, plus built-in negative checks
//! (those are in `negative.rs`).

mod negative;

use crate::json::{Map, Value};

use super::config::{FieldNames, FitOp, FitRuleConfig};
use super::result::{round2, FitPoint, FitResult};
use crate::compiled::read::{Wire, WireRead};
use crate::diagnostics::{number_text, Diagnostics, Issue};
use crate::regex::Regex;
pub use negative::{is_fake_phone, NegativeChecks};

/// A profile value reduced to what rules compare.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
enum Scalar {
    Text(String),
    Number(f64),
    Bool(bool),
}

impl Scalar {
    fn from_json(value: &Value) -> Option<Scalar> {
        match value {
            Value::String(s) => Some(Scalar::Text(crate::text::lowercase(s.trim()))),
            Value::Number(n) => n.as_f64().map(Scalar::Number),
            Value::Bool(b) => Some(Scalar::Bool(*b)),
            _ => None,
        }
    }

    fn equals(&self, other: &Scalar) -> bool {
        match (self, other) {
            (Scalar::Text(a), Scalar::Text(b)) => a == b,
            (Scalar::Number(a), Scalar::Number(b)) => a == b,
            (Scalar::Bool(a), Scalar::Bool(b)) => a == b,
            (Scalar::Text(t), Scalar::Number(n)) | (Scalar::Number(n), Scalar::Text(t)) => {
                parse_number_loose(t) == Some(*n)
            }
            (Scalar::Text(t), Scalar::Bool(b)) | (Scalar::Bool(b), Scalar::Text(t)) => {
                t == if *b { "true" } else { "false" }
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
enum Matcher {
    OneOf(Vec<Scalar>),
    Contains(Vec<String>),
    Pattern(Regex),
    Range { min: Option<f64>, max: Option<f64> },
    Present,
    Absent,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FitRule {
    id: String,
    label: Option<String>,
    field: String,
    path: Vec<String>,
    matcher: Matcher,
    points: f64,
    group: Option<String>,
}

impl FitRule {
    pub fn compile(rule: &FitRuleConfig, path: &str, d: &mut Diagnostics) -> Option<FitRule> {
        if rule.id.trim().is_empty() {
            d.push(Issue::error(
                format!("{path}.id"),
                "expected a non-empty id",
            ));
        }
        if rule.field.trim().is_empty() {
            d.push(Issue::error(
                format!("{path}.field"),
                "expected a field name",
            ));
        }
        if rule.points == 0.0 {
            d.push(Issue::warning(
                format!("{path}.points"),
                "0 points: this rule adds nothing",
            ));
        }
        let unused = |name: &str, present: bool, d: &mut Diagnostics| {
            if present {
                d.push(Issue::warning(
                    format!("{path}.{name}"),
                    format!("ignored: op {:?} does not use {name}", rule.op),
                ));
            }
        };
        let matcher = match rule.op {
            FitOp::Equals => {
                unused("values", rule.values.is_some(), d);
                let Some(value) = &rule.value else {
                    d.push(Issue::error(
                        format!("{path}.value"),
                        "op equals needs a value",
                    ));
                    return None;
                };
                let Some(scalar) = Scalar::from_json(value) else {
                    d.push(Issue::error(
                        format!("{path}.value"),
                        "expected a string, number or boolean",
                    ));
                    return None;
                };
                Matcher::OneOf(vec![scalar])
            }
            FitOp::OneOf => {
                unused("value", rule.value.is_some(), d);
                let Some(values) = &rule.values else {
                    d.push(Issue::error(
                        format!("{path}.values"),
                        "op oneOf needs a list of values",
                    ));
                    return None;
                };
                let mut scalars = Vec::with_capacity(values.len());
                for (i, v) in values.iter().enumerate() {
                    match Scalar::from_json(v) {
                        Some(s) => scalars.push(s),
                        None => d.push(Issue::error(
                            format!("{path}.values[{i}]"),
                            "expected a string, number or boolean",
                        )),
                    }
                }
                if scalars.is_empty() {
                    d.push(Issue::warning(
                        format!("{path}.values"),
                        "an empty list never matches",
                    ));
                }
                Matcher::OneOf(scalars)
            }
            FitOp::Contains => {
                unused("value", rule.value.is_some(), d);
                let Some(values) = &rule.values else {
                    d.push(Issue::error(
                        format!("{path}.values"),
                        "op contains needs a list of words",
                    ));
                    return None;
                };
                let mut words = Vec::with_capacity(values.len());
                for (i, v) in values.iter().enumerate() {
                    match v {
                        Value::String(s) if !s.trim().is_empty() => {
                            words.push(crate::text::lowercase(s.trim()))
                        }
                        _ => d.push(Issue::error(
                            format!("{path}.values[{i}]"),
                            "expected a non-empty string",
                        )),
                    }
                }
                if words.is_empty() {
                    d.push(Issue::warning(
                        format!("{path}.values"),
                        "an empty list never matches",
                    ));
                }
                Matcher::Contains(words)
            }
            FitOp::Pattern => {
                let Some(pattern) = &rule.pattern else {
                    d.push(Issue::error(
                        format!("{path}.pattern"),
                        "op pattern needs a regular expression",
                    ));
                    return None;
                };
                match Regex::rust(pattern) {
                    Ok(re) => Matcher::Pattern(re),
                    Err(e) => {
                        d.push(Issue::error(
                            format!("{path}.pattern"),
                            format!("invalid regular expression: {e}"),
                        ));
                        return None;
                    }
                }
            }
            FitOp::Range => {
                if rule.min.is_none() && rule.max.is_none() {
                    d.push(Issue::error(
                        format!("{path}.min"),
                        "op range needs min, max or both",
                    ));
                    return None;
                }
                if let (Some(min), Some(max)) = (rule.min, rule.max) {
                    if min > max {
                        d.push(Issue::error(
                            format!("{path}.max"),
                            format!(
                                "max ({}) is below min ({})",
                                number_text(max),
                                number_text(min)
                            ),
                        ));
                        return None;
                    }
                }
                Matcher::Range {
                    min: rule.min,
                    max: rule.max,
                }
            }
            FitOp::Present | FitOp::Absent => {
                unused("value", rule.value.is_some(), d);
                unused("values", rule.values.is_some(), d);
                if rule.op == FitOp::Present {
                    Matcher::Present
                } else {
                    Matcher::Absent
                }
            }
        };
        if !matches!(rule.op, FitOp::Pattern) {
            unused("pattern", rule.pattern.is_some(), d);
        }
        if !matches!(rule.op, FitOp::Range) {
            unused("min", rule.min.is_some(), d);
            unused("max", rule.max.is_some(), d);
        }
        Some(FitRule {
            id: rule.id.clone(),
            label: rule.label.clone(),
            field: rule.field.clone(),
            path: rule.field.split('.').map(str::to_string).collect(),
            matcher,
            points: rule.points,
            group: rule.group.clone(),
        })
    }

    /// The value that made the rule match, if it matches.
    fn matches<'p>(&self, profile: &'p Map<String, Value>) -> Option<&'p Value> {
        static NULL: Value = Value::Null;
        let value = lookup(profile, &self.path);
        match &self.matcher {
            Matcher::Present => value.filter(|v| is_present(v)),
            Matcher::Absent => match value {
                Some(v) if is_present(v) => None,
                Some(v) => Some(v),
                None => Some(&NULL),
            },
            matcher => {
                let value = value?;
                let hit = match value {
                    Value::Array(items) => items.iter().any(|item| matches_one(matcher, item)),
                    single => matches_one(matcher, single),
                };
                hit.then_some(value)
            }
        }
    }
}

fn matches_one(matcher: &Matcher, value: &Value) -> bool {
    match matcher {
        Matcher::OneOf(options) => {
            Scalar::from_json(value).is_some_and(|s| options.iter().any(|o| o.equals(&s)))
        }
        Matcher::Contains(words) => match value {
            Value::String(s) => {
                let text = crate::text::lowercase(s);
                words.iter().any(|w| text.contains(w.as_str()))
            }
            _ => false,
        },
        Matcher::Pattern(re) => match value {
            Value::String(s) => re.is_match(s),
            Value::Number(n) => re.is_match(&crate::targeting::json_number_text(n)),
            _ => false,
        },
        Matcher::Range { min, max } => {
            let number = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => parse_number_loose(s),
                _ => None,
            };
            number.is_some_and(|n| min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m))
        }
        Matcher::Present | Matcher::Absent => false,
    }
}

fn lookup<'p>(profile: &'p Map<String, Value>, path: &[String]) -> Option<&'p Value> {
    let (first, rest) = path.split_first()?;
    let mut value = profile.get(first)?;
    for key in rest {
        value = value.as_object()?.get(key)?;
    }
    Some(value)
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// The value at a dotted field name, walked without allocating: the
/// negative checks read several fields on every scoring call.
pub(super) fn dotted_field<'p>(profile: &'p Map<String, Value>, name: &str) -> Option<&'p Value> {
    let mut keys = name.split('.');
    let mut value = profile.get(keys.next()?)?;
    for key in keys {
        value = value.as_object()?.get(key)?;
    }
    Some(value)
}

pub(super) fn text_field<'p>(profile: &'p Map<String, Value>, name: &str) -> Option<&'p str> {
    dotted_field(profile, name).and_then(Value::as_str)
}

/// Reads numbers the way people type them in forms: `5,000`, `1000+`,
/// `$10M`, `2.5k`, and a range such as `201-500` as its lower bound (the
/// company has at least that many).
pub fn parse_number_loose(text: &str) -> Option<f64> {
    let cleaned: String = text
        .trim()
        .trim_start_matches(['$', '€', '£', '¥', '￥'])
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' '))
        .collect();
    let cleaned = cleaned.trim_end_matches('+');
    // "201-500": the lower bound; a leading minus is a sign, not a range.
    let first = match cleaned.get(1..).and_then(|rest| rest.find('-')) {
        Some(at) => cleaned.get(..at + 1).unwrap_or(cleaned),
        None => cleaned,
    };
    let lower = first.to_ascii_lowercase();
    let (digits, scale) = match lower.chars().last() {
        Some('k') => (lower.get(..lower.len() - 1)?, 1e3),
        Some('m') => (lower.get(..lower.len() - 1)?, 1e6),
        Some('b') => (lower.get(..lower.len() - 1)?, 1e9),
        _ => (lower.as_str(), 1.0),
    };
    let value = crate::text::parse_number(digits)?;
    value.is_finite().then_some(value * scale)
}

// ---------------------------------------------------------------- scoring

pub fn score(
    rules: &[FitRule],
    negative: &NegativeChecks,
    fields: &FieldNames,
    grades: &super::config::GradeThresholds,
    profile: &Map<String, Value>,
) -> FitResult {
    let mut breakdown = Vec::new();
    let mut groups_done: Vec<&str> = Vec::new();
    for rule in rules {
        if let Some(group) = rule.group.as_deref() {
            if groups_done.contains(&group) {
                continue;
            }
        }
        if let Some(value) = rule.matches(profile) {
            if let Some(group) = rule.group.as_deref() {
                groups_done.push(group);
            }
            breakdown.push(FitPoint {
                rule: rule.id.clone(),
                label: rule.label.clone(),
                field: rule.field.clone(),
                value: value.clone(),
                points: rule.points,
            });
        }
    }
    negative.apply(profile, fields, &mut breakdown);
    let score = round2(breakdown.iter().map(|p| p.points).sum());
    let grade = if score >= grades.a {
        'A'
    } else if score >= grades.b {
        'B'
    } else if score >= grades.c {
        'C'
    } else {
        'D'
    };
    FitResult {
        score,
        grade,
        breakdown,
    }
}

impl WireRead for Scalar {
    fn read(w: &mut Wire<'_>) -> Self {
        match w.u32() {
            0 => Scalar::Text(w.read()),
            1 => Scalar::Number(w.read()),
            2 => Scalar::Bool(w.read()),
            _ => w.invalid(Scalar::Bool(false)),
        }
    }
}

impl WireRead for Matcher {
    fn read(w: &mut Wire<'_>) -> Self {
        match w.u32() {
            0 => Matcher::OneOf(w.read()),
            1 => Matcher::Contains(w.read()),
            2 => match Regex::read_compiled(w) {
                Some(regex) => Matcher::Pattern(regex),
                None => Matcher::Absent,
            },
            3 => Matcher::Range {
                min: w.read(),
                max: w.read(),
            },
            4 => Matcher::Present,
            5 => Matcher::Absent,
            _ => w.invalid(Matcher::Absent),
        }
    }
}

impl WireRead for FitRule {
    fn read(w: &mut Wire<'_>) -> Self {
        FitRule {
            id: w.read(),
            label: w.read(),
            field: w.read(),
            path: w.read(),
            matcher: w.read(),
            points: w.read(),
            group: w.read(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_numbers() {
        assert_eq!(parse_number_loose("5,000"), Some(5000.0));
        assert_eq!(parse_number_loose("1000+"), Some(1000.0));
        assert_eq!(parse_number_loose("201-500"), Some(201.0));
        assert_eq!(parse_number_loose("$10M"), Some(10_000_000.0));
        assert_eq!(parse_number_loose("2.5k"), Some(2500.0));
        assert_eq!(parse_number_loose("-3"), Some(-3.0));
        assert_eq!(parse_number_loose("lots"), None);
        assert_eq!(parse_number_loose(""), None);
    }
}
