//! The form document and its compilation.

use crate::json::Value;
use serde::{Deserialize, Serialize};

use super::{compile_pattern, Field};
use crate::diagnostics::Diagnostics;
use crate::diagnostics::{number_text, Issue};
use crate::targeting::Condition;

/// A form for progressive profiling and validation (`nextFields`,
/// `validateForm`): fields in priority order, their checks, labels in English
/// and Chinese.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FormConfig {
    /// The JSON Schema this document follows, for editors; the loader ignores it.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    /// Fields in priority order: the first unknown ones are asked first.
    pub fields: Vec<FieldConfig>,
    /// Unknown fields asked per showing (default 2).
    #[serde(default)]
    pub max_unknown_fields: Option<u32>,
    /// Refuse free-mail addresses (gmail.com, qq.com ...) on this form.
    #[serde(default)]
    pub require_business_email: bool,
    /// Name of an invisible field that people leave empty and bots fill in.
    #[serde(default)]
    pub honeypot: Option<String>,
    /// A submission sent sooner than this after the form was rendered is
    /// taken for a bot. The render time is a parameter of validation.
    #[serde(default)]
    pub min_fill_seconds: Option<f64>,
}

/// The kinds of field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum FieldType {
    Email,
    Phone,
    Text,
    Number,
    Select,
    MultiSelect,
    /// An ISO 3166-1 alpha-2 region code (`CN`, `TW`).
    Country,
    /// A consent checkbox: `true` when ticked.
    Consent,
    /// Sent with the form but never shown (UTM tags, the page).
    Hidden,
}

/// A label: one string, or one per language.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Label {
    Text(String),
    Localized {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        en: Option<String>,
        #[serde(rename = "zh-Hans", default, skip_serializing_if = "Option::is_none")]
        zh_hans: Option<String>,
        #[serde(rename = "zh-Hant", default, skip_serializing_if = "Option::is_none")]
        zh_hant: Option<String>,
    },
}

/// An allowed value of a select: the value alone, or with its label.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum OptionConfig {
    Value(String),
    Labeled {
        value: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<Label>,
    },
}

impl OptionConfig {
    pub fn value(&self) -> &str {
        match self {
            OptionConfig::Value(v) => v,
            OptionConfig::Labeled { value, .. } => value,
        }
    }
}

/// One field of a form.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldConfig {
    /// The profile key the value is stored under.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub label: Option<Label>,
    #[serde(default)]
    pub required: bool,
    /// Shown on every visit, known or not (e-mail, consent).
    #[serde(default)]
    pub always: bool,
    /// A GrowthBook condition over the known profile; the field is shown
    /// only when it holds.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::Condition>")
    )]
    pub show_if: Option<Value>,
    #[serde(default)]
    pub min_length: Option<u32>,
    #[serde(default)]
    pub max_length: Option<u32>,
    /// An HTML `pattern`: a JavaScript regular expression for the whole value.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Allowed values of a select, multi-select or country field.
    #[serde(default)]
    pub options: Option<Vec<OptionConfig>>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// Region for phone numbers written without `+` (`CN`).
    #[serde(default)]
    pub default_region: Option<String>,
    /// Refuse free-mail addresses on this e-mail field.
    #[serde(default)]
    pub business_email: Option<bool>,
}

pub(super) fn compile_fields(config: &super::FormConfig, report: &mut Diagnostics) -> Vec<Field> {
    let mut out = Vec::with_capacity(config.fields.len());
    let mut seen: Vec<&str> = Vec::new();
    for (i, f) in config.fields.iter().enumerate() {
        let at = |key: &str| format!("fields[{i}].{key}");
        let mut error = |key: &str, message: String| {
            report.push(Issue::error(at(key), message));
        };
        let name = f.name.trim();
        if name.is_empty() {
            error("name", "expected a field name".into());
        } else if name != f.name || name.chars().any(char::is_control) {
            error(
                "name",
                "a field name cannot have spaces at its ends or control characters".into(),
            );
        } else if seen.contains(&name) {
            error("name", format!("duplicate field name \"{name}\""));
        }
        seen.push(name);
        let pattern = match &f.pattern {
            None => None,
            Some(p) => match compile_pattern(p) {
                Ok(re) => Some(re),
                Err(e) => {
                    error("pattern", format!("invalid regular expression: {e}"));
                    None
                }
            },
        };
        let show_if = match &f.show_if {
            None => None,
            Some(cond) => match Condition::compile(cond) {
                Ok(c) => Some(c),
                Err(issues) => {
                    report.extend_within(&at("showIf"), issues);
                    None
                }
            },
        };
        let choice = matches!(f.kind, FieldType::Select | FieldType::MultiSelect);
        let options: Vec<String> = f
            .options
            .iter()
            .flatten()
            .map(|o| o.value().to_string())
            .collect();
        if choice && options.is_empty() {
            report.push(Issue::error(
                at("options"),
                "a select needs at least one option",
            ));
        }
        if f.options.is_some() && !choice && f.kind != FieldType::Country {
            report.push(Issue::warning(
                at("options"),
                "ignored: only selects and countries have options",
            ));
        }
        if let Some(country_options) = f.options.as_ref().filter(|_| f.kind == FieldType::Country) {
            for (j, o) in country_options.iter().enumerate() {
                if !super::validate::is_country_code(&o.value().to_ascii_uppercase()) {
                    report.push(Issue::error(
                        format!("fields[{i}].options[{j}]"),
                        format!("\"{}\" is not an ISO 3166 region code", o.value()),
                    ));
                }
            }
        }
        if let (Some(min), Some(max)) = (f.min_length, f.max_length) {
            if min > max {
                report.push(Issue::error(
                    at("minLength"),
                    format!("minLength {min} is above maxLength {max}"),
                ));
            }
        }
        for (key, v) in [("min", f.min), ("max", f.max)] {
            if v.is_some_and(|v| !v.is_finite()) {
                report.push(Issue::error(at(key), "expected a finite number"));
            }
        }
        if let (Some(min), Some(max)) = (f.min, f.max) {
            if min > max {
                report.push(Issue::error(
                    at("min"),
                    format!("min {} is above max {}", number_text(min), number_text(max)),
                ));
            }
        }
        if (f.min.is_some() || f.max.is_some()) && f.kind != FieldType::Number {
            report.push(Issue::warning(
                at("min"),
                "ignored: only number fields have min and max",
            ));
        }
        if let Some(region) = &f.default_region {
            if crate::phone::calling_code(region).is_none() {
                report.push(Issue::error(
                    at("defaultRegion"),
                    format!("\"{region}\" is not a region code known to the phone metadata"),
                ));
            }
            if f.kind != FieldType::Phone {
                report.push(Issue::warning(
                    at("defaultRegion"),
                    "ignored: only phone fields have a default region",
                ));
            }
        }
        if f.kind == FieldType::Hidden && (f.required || f.always || f.show_if.is_some()) {
            report.push(Issue::warning(
                at("type"),
                "a hidden field is always sent and never shown: required, always and showIf are ignored",
            ));
        }
        if f.always && f.show_if.is_some() {
            report.push(Issue::warning(
                at("always"),
                "shown on every visit only while showIf holds",
            ));
        }
        out.push(Field {
            config: f.clone(),
            pattern,
            show_if,
            options,
        });
    }
    out
}
