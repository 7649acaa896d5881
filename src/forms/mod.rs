//! Forms: progressive profiling and validation.
//!
//! A form is a JSON document (fields in priority order, their validation,
//! labels in English and Chinese, and the progressive profiling rules),
//! loaded, checked and compiled once into a [`Form`]. Then:
//!
//! - [`Form::next_fields`]: which fields to show to this visitor now: the
//!   always-shown ones, plus at most `maxUnknownFields` (2) of the fields
//!   still unknown, in priority order, each only when its `showIf` condition
//!   holds on the known profile. Known fields are never asked again.
//! - [`Form::validate`]: per-field errors with stable codes and messages,
//!   bot checks, and the cleaned values of the fields that were asked.
//! - [`Form::submit`]: validation, then merging into the profile (an empty
//!   value never overwrites a known one) and the fit score recomputed.

mod config;
pub mod messages;
mod validate;

use crate::json::{Map, Value};
use serde::Serialize;

pub use config::{FieldConfig, FieldType, FormConfig, Label, OptionConfig};
pub use messages::{ErrorCode, Language};
pub use validate::{
    merge_profile, FieldError, Merge, Signals, Submission, ValidateOptions, Validation,
};

use crate::diagnostics::{ConfigDocument, Diagnostics, Issue};
use crate::regex::{compile_js_regex, Regex, RegexError};
use crate::targeting::Condition;

/// Unknown fields asked per showing when the form does not say.
pub const DEFAULT_MAX_UNKNOWN_FIELDS: usize = 2;
/// `maxLength` of text fields that set none: long enough for any name,
/// title or company, short enough to keep a profile small.
pub const DEFAULT_MAX_LENGTH: usize = 500;

/// A compiled form, ready to answer many visitors.
#[derive(Debug, Clone)]
pub struct Form {
    id: Option<String>,
    fields: Vec<Field>,
    max_unknown: usize,
    require_business_email: bool,
    honeypot: Option<String>,
    min_fill_ms: Option<i64>,
    warnings: Vec<Issue>,
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) config: FieldConfig,
    pub(crate) pattern: Option<Regex>,
    pub(crate) show_if: Option<Condition>,
    pub(crate) options: Vec<String>,
}

/// Why a field is shown ([`NextFields::fields`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ShowReason {
    /// Marked `always`: shown on every visit (e-mail, consent).
    Always,
    /// Not known yet, and its turn in the queue.
    Unknown,
}

/// One field to render, with what a renderer needs.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ShownField {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub required: bool,
    pub reason: ShowReason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<Label>,
    /// The value already known (an always-shown field), to pre-fill.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<OptionConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// The answer of [`Form::next_fields`] (`nextFields()` in JavaScript).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct NextFields {
    /// Fields to show, in priority order.
    pub fields: Vec<ShownField>,
    /// Hidden fields to include (UTM tags, the page ...), and the honeypot.
    pub hidden: Vec<String>,
    /// Unknown fields that remain after this showing (conditions holding).
    pub remaining: usize,
    /// True when nothing unknown is left to ask.
    pub complete: bool,
}

impl NextFields {
    /// Every name the visitor may send back: shown, hidden and the honeypot.
    pub fn names(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|f| f.name.clone())
            .chain(self.hidden.iter().cloned())
            .collect()
    }
}

/// True when the profile holds a usable value: not missing, `null`, an empty
/// or blank string, an empty list, or `false` (an unticked consent).
pub fn is_known(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

impl ConfigDocument for Form {
    type Document = FormConfig;

    fn compile(config: FormConfig, d: &mut Diagnostics) -> Form {
        Self::compile_into(config, d)
    }
}

impl Form {
    /// Checks and compiles a parsed document, recording every problem.
    fn compile_into(config: FormConfig, report: &mut Diagnostics) -> Form {
        let compiled = config::compile_fields(&config, report);
        if config.fields.is_empty() {
            report.push(Issue::error("fields", "a form needs at least one field"));
        }
        let max_unknown = match config.max_unknown_fields {
            None => DEFAULT_MAX_UNKNOWN_FIELDS,
            Some(0) => {
                report.push(Issue::error(
                    "maxUnknownFields",
                    "must be at least 1, or the profile never fills in",
                ));
                DEFAULT_MAX_UNKNOWN_FIELDS
            }
            Some(n) => n as usize,
        };
        let min_fill_ms = match config.min_fill_seconds {
            None => None,
            Some(s) if s.is_finite() && (0.0..=3600.0).contains(&s) => Some((s * 1000.0) as i64),
            Some(_) => {
                report.push(Issue::error(
                    "minFillSeconds",
                    "expected a number of seconds between 0 and 3600",
                ));
                None
            }
        };
        if let Some(name) = &config.honeypot {
            if name.trim().is_empty() {
                report.push(Issue::error("honeypot", "expected a field name"));
            } else if config.fields.iter().any(|f| &f.name == name) {
                report.push(Issue::error(
                    "honeypot",
                    format!(
                        "\"{name}\" is also a real field: the honeypot needs a name of its own"
                    ),
                ));
            }
        }
        Form {
            id: config.id,
            fields: compiled,
            max_unknown,
            require_business_email: config.require_business_email,
            honeypot: config.honeypot,
            min_fill_ms,
            warnings: report.warnings.clone(),
        }
    }

    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Warnings found while compiling.
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }

    /// The field names, in priority order.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.config.name.as_str())
    }

    pub(crate) fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Which fields to show now, given what is known about the visitor.
    pub fn next_fields(&self, known: &Map<String, Value>) -> NextFields {
        let attributes = Value::Object(known.clone());
        let mut out = NextFields {
            fields: Vec::new(),
            hidden: Vec::new(),
            remaining: 0,
            complete: true,
        };
        let mut asked_unknown = 0;
        for field in &self.fields {
            let c = &field.config;
            if c.kind == FieldType::Hidden {
                out.hidden.push(c.name.clone());
                continue;
            }
            if let Some(cond) = &field.show_if {
                if !cond.eval(&attributes, &Value::Null) {
                    continue;
                }
            }
            let value = known.get(&c.name);
            let known_now = is_known(value);
            let reason = if c.always {
                ShowReason::Always
            } else if known_now {
                continue;
            } else if asked_unknown < self.max_unknown {
                asked_unknown += 1;
                ShowReason::Unknown
            } else {
                out.remaining += 1;
                continue;
            };
            out.fields.push(ShownField {
                name: c.name.clone(),
                kind: c.kind,
                required: c.required,
                reason,
                label: c.label.clone(),
                value: value.filter(|v| is_known(Some(v))).cloned(),
                options: c.options.clone().unwrap_or_default(),
                min_length: c.min_length,
                max_length: c.max_length,
                pattern: c.pattern.clone(),
                min: c.min,
                max: c.max,
            });
        }
        // Complete once this showing asks nothing unknown and nothing waits.
        out.complete = asked_unknown == 0 && out.remaining == 0;
        if let Some(h) = &self.honeypot {
            out.hidden.push(h.clone());
        }
        out
    }

    pub(crate) fn honeypot(&self) -> Option<&str> {
        self.honeypot.as_deref()
    }

    pub(crate) fn min_fill_ms(&self) -> Option<i64> {
        self.min_fill_ms
    }

    pub(crate) fn require_business_email(&self) -> bool {
        self.require_business_email
    }
}

/// Compiles an HTML `pattern` attribute the way browsers do: a JavaScript
/// regular expression matched against the whole value.
pub(crate) fn compile_pattern(source: &str) -> Result<Regex, RegexError> {
    compile_js_regex(&format!("^(?:{source})$"), false)
}
