//! Validation of a submission, and merging it into the profile.

use crate::json::{Map, Number, Value};
use serde::Serialize;

use super::{is_known, ErrorCode, Field, FieldType, Form, Language, NextFields};
use crate::email::{self, MailboxKind};
use crate::phone;
use crate::score::result::FitResult;
use crate::score::{Model, ScoreOptions};
use crate::time::Millis;

/// Values longer than this (in bytes) are refused before they are looked at:
/// a 10 MB string costs a length check, not a scan.
const HARD_MAX_BYTES: usize = 64 * 1024;
/// Field names echoed back in errors are cut to this many characters.
const MAX_NAME_ECHO: usize = 64;

/// Parameters of one validation.
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions<'a> {
    pub language: Language,
    /// What is known about the visitor. It decides which fields were asked
    /// (unless `asked` says) and is what the submission is merged into.
    pub profile: Option<&'a Map<String, Value>>,
    /// The fields that were shown, when the caller kept the list; otherwise
    /// [`Form::next_fields`] on `profile` says which were.
    pub asked: Option<&'a [String]>,
    /// When the form was rendered, for the minimum fill time.
    pub rendered_at: Option<Millis>,
    /// When it was submitted; needed with `rendered_at`.
    pub now: Option<Millis>,
}

/// One problem with a submitted value.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FieldError {
    /// The field (or submitted key); empty for the form as a whole.
    pub field: String,
    pub code: ErrorCode,
    /// In the language asked for.
    pub message: String,
}

/// What the submission tells fit scoring beyond its values.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Signals {
    /// The class of the e-mail address given, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_kind: Option<MailboxKind>,
    /// A phone number with a repeated or running pattern.
    pub fake_phone: bool,
}

/// The answer of [`Form::validate`].
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Validation {
    pub valid: bool,
    pub errors: Vec<FieldError>,
    /// Cleaned, non-empty values of the asked fields that passed.
    pub values: Map<String, Value>,
    pub signals: Signals,
}

/// The profile after a valid submission.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Merge {
    pub profile: Map<String, Value>,
    /// Fields that were unknown and are known now.
    pub newly_known: Vec<String>,
    /// Fields that were known and got a different value.
    pub updated: Vec<String>,
}

/// The answer of [`Form::submit`] (`validateForm()` and `Form.validate()` in JavaScript).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Submission {
    #[serde(flatten)]
    pub validation: Validation,
    /// Present when the submission is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge: Option<Merge>,
    /// The fit score of the merged profile, when a model was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fit: Option<FitResult>,
    /// What to ask on the next visit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<NextFields>,
}

fn echo_name(name: &str) -> String {
    name.chars().take(MAX_NAME_ECHO).collect()
}

/// Every ISO 3166-1 alpha-2 code: the phone metadata's regions plus the few
/// territories without a telephone numbering plan of their own.
pub(crate) fn is_country_code(code: &str) -> bool {
    const WITHOUT_PHONE_PLAN: &[&str] = &["AQ", "BV", "GS", "HM", "PN", "TF", "UM"];
    code.len() == 2
        && (WITHOUT_PHONE_PLAN.contains(&code) || phone::region_codes().any(|r| r == code))
}

/// Control characters, direction overrides and isolates (the "Trojan
/// Source" characters), noncharacters, and U+FFFD, which is what a lone
/// surrogate from JavaScript turns into. Tabs and line breaks are allowed
/// only where `multiline` says so.
fn has_bad_characters(text: &str, multiline: bool) -> bool {
    text.chars().any(|c| match c {
        '\t' | '\n' | '\r' => !multiline,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        '\u{fffd}' | '\u{fffe}' | '\u{ffff}' => true,
        _ => false,
    })
}

/// `<b>`, `</script>`, `<!--`, `<?php`: a tag, not a "less than".
fn has_markup(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(2).any(|w| {
        matches!(w, [b'<', next] if next.is_ascii_alphabetic() || matches!(next, b'/' | b'!' | b'?'))
    })
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// A failed check: the code and the bound it crossed.
type Fail = (ErrorCode, Option<String>);

fn fail(code: ErrorCode) -> Fail {
    (code, None)
}

fn number_text(n: f64) -> String {
    crate::targeting::js_number_to_string(n)
}

struct Checker<'a> {
    form: &'a Form,
    signals: Signals,
}

impl Checker<'_> {
    /// `Ok(None)`: empty. `Ok(Some(v))`: the cleaned value.
    fn check(&mut self, field: &Field, raw: Option<&Value>) -> Result<Option<Value>, Fail> {
        let c = &field.config;
        let raw = match raw {
            None | Some(Value::Null) => return Ok(None),
            Some(v) => v,
        };
        match c.kind {
            FieldType::Consent => match raw {
                Value::Bool(b) => Ok(Some(Value::Bool(*b))),
                Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                    "" => Ok(None),
                    "true" | "on" | "yes" | "1" => Ok(Some(Value::Bool(true))),
                    "false" | "off" | "no" | "0" => Ok(Some(Value::Bool(false))),
                    _ => Err(fail(ErrorCode::InvalidType)),
                },
                _ => Err(fail(ErrorCode::InvalidType)),
            },
            FieldType::MultiSelect => {
                let items: Vec<&Value> = match raw {
                    Value::Array(a) => a.iter().collect(),
                    Value::String(_) => vec![raw],
                    _ => return Err(fail(ErrorCode::InvalidType)),
                };
                if items.len() > field.options.len() {
                    return Err(fail(ErrorCode::NotAllowed));
                }
                let mut out: Vec<Value> = Vec::new();
                for item in items {
                    let Value::String(s) = item else {
                        return Err(fail(ErrorCode::InvalidType));
                    };
                    let s = self.text(s, false)?;
                    if s.is_empty() {
                        continue;
                    }
                    if !field.options.contains(&s) {
                        return Err(fail(ErrorCode::NotAllowed));
                    }
                    if !out.iter().any(|v| v.as_str() == Some(s.as_str())) {
                        out.push(Value::String(s));
                    }
                }
                Ok((!out.is_empty()).then_some(Value::Array(out)))
            }
            FieldType::Number => {
                let n = match raw {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => {
                        let s = self.text(s, false)?;
                        if s.is_empty() {
                            return Ok(None);
                        }
                        crate::text::parse_number(&s.replace([',', ' ', '_'], ""))
                    }
                    _ => return Err(fail(ErrorCode::InvalidType)),
                };
                let n = n
                    .filter(|n| n.is_finite())
                    .ok_or(fail(ErrorCode::NotANumber))?;
                if let Some(min) = c.min.filter(|min| n < *min) {
                    return Err((ErrorCode::BelowMin, Some(number_text(min))));
                }
                if let Some(max) = c.max.filter(|max| n > *max) {
                    return Err((ErrorCode::AboveMax, Some(number_text(max))));
                }
                Ok(Number::from_f64(n).map(Value::Number))
            }
            _ => {
                let text = match raw {
                    Value::String(s) => s.clone(),
                    Value::Number(n)
                        if matches!(
                            c.kind,
                            FieldType::Text | FieldType::Phone | FieldType::Hidden
                        ) =>
                    {
                        n.to_string()
                    }
                    Value::Bool(b) if c.kind == FieldType::Hidden => b.to_string(),
                    _ => return Err(fail(ErrorCode::InvalidType)),
                };
                let text = self.text(&text, c.kind == FieldType::Text)?;
                if text.is_empty() {
                    return Ok(None);
                }
                self.string_field(field, text).map(Some)
            }
        }
    }

    /// Bounds, bad characters and trimming, common to every text value.
    fn text(&self, raw: &str, multiline: bool) -> Result<String, Fail> {
        if raw.len() > HARD_MAX_BYTES {
            return Err((
                ErrorCode::TooLong,
                Some(super::DEFAULT_MAX_LENGTH.to_string()),
            ));
        }
        let trimmed = raw.trim();
        if has_bad_characters(trimmed, multiline) {
            return Err(fail(ErrorCode::ControlCharacters));
        }
        Ok(trimmed.to_string())
    }

    fn string_field(&mut self, field: &Field, text: String) -> Result<Value, Fail> {
        let c = &field.config;
        let len = utf16_len(&text);
        let max = c
            .max_length
            .map_or(super::DEFAULT_MAX_LENGTH, |m| m as usize);
        if len > max {
            return Err((ErrorCode::TooLong, Some(max.to_string())));
        }
        if let Some(min) = c.min_length.filter(|m| len < *m as usize) {
            return Err((ErrorCode::TooShort, Some(min.to_string())));
        }
        if matches!(c.kind, FieldType::Text | FieldType::Hidden) && has_markup(&text) {
            return Err(fail(ErrorCode::HtmlNotAllowed));
        }
        if let Some(re) = &field.pattern {
            if !re.is_match(&text) {
                return Err(fail(ErrorCode::Pattern));
            }
        }
        match c.kind {
            FieldType::Email => {
                let check = email::check_email(&text);
                let normalized = match (check.valid, check.normalized) {
                    (true, Some(n)) => n,
                    _ => return Err(fail(ErrorCode::InvalidEmail)),
                };
                self.signals.email_kind = Some(check.kind);
                let business_only = c
                    .business_email
                    .unwrap_or(self.form.require_business_email());
                match check.kind {
                    MailboxKind::Disposable => Err(fail(ErrorCode::DisposableEmail)),
                    MailboxKind::Free if business_only => {
                        Err(fail(ErrorCode::BusinessEmailRequired))
                    }
                    _ => Ok(Value::String(normalized)),
                }
            }
            FieldType::Phone => {
                let check = phone::check_phone(&text, c.default_region.as_deref());
                match (check.valid, check.e164) {
                    (true, Some(e164)) => {
                        self.signals.fake_phone |= check.fake;
                        Ok(Value::String(e164))
                    }
                    _ => Err(fail(ErrorCode::InvalidPhone)),
                }
            }
            FieldType::Select => {
                if field.options.contains(&text) {
                    Ok(Value::String(text))
                } else {
                    Err(fail(ErrorCode::NotAllowed))
                }
            }
            FieldType::Country => {
                let code = text.to_ascii_uppercase();
                let allowed = if field.options.is_empty() {
                    is_country_code(&code)
                } else {
                    field.options.iter().any(|o| o.eq_ignore_ascii_case(&code))
                };
                if allowed {
                    Ok(Value::String(code))
                } else {
                    Err(fail(ErrorCode::NotAllowed))
                }
            }
            _ => Ok(Value::String(text)),
        }
    }
}

impl Form {
    /// Validates a submission against the fields that were asked.
    pub fn validate(
        &self,
        submission: &Map<String, Value>,
        options: &ValidateOptions,
    ) -> Validation {
        let lang = options.language;
        let error = |field: &str, (code, limit): Fail| FieldError {
            field: echo_name(field),
            code,
            message: code.message(lang, limit.as_deref()),
        };
        let mut checker = Checker {
            form: self,
            signals: Signals::default(),
        };
        // Bots first, and nothing else is said to them.
        let honeypot_filled = self.honeypot().is_some_and(|h| is_known(submission.get(h)));
        let too_fast = match (self.min_fill_ms(), options.rendered_at, options.now) {
            (Some(min), Some(rendered), Some(now)) => now.saturating_sub(rendered) < min,
            _ => false,
        };
        if honeypot_filled || too_fast {
            return Validation {
                valid: false,
                errors: vec![error("", fail(ErrorCode::BotSuspected))],
                values: Map::new(),
                signals: Signals::default(),
            };
        }
        let empty = Map::new();
        let asked: Vec<String> = match options.asked {
            Some(list) => list.to_vec(),
            None => self.next_fields(options.profile.unwrap_or(&empty)).names(),
        };
        let mut errors = Vec::new();
        for key in submission.keys() {
            let is_honeypot = self.honeypot() == Some(key.as_str());
            let is_field = self.fields().iter().any(|f| f.config.name == *key);
            if !is_honeypot && (!is_field || !asked.contains(key)) {
                errors.push(error(key, fail(ErrorCode::NotAsked)));
            }
        }
        let mut values = Map::new();
        for field in self.fields() {
            let c = &field.config;
            if !asked.contains(&c.name) {
                continue;
            }
            match checker.check(field, submission.get(&c.name)) {
                Err(f) => errors.push(error(&c.name, f)),
                Ok(value) => {
                    let required = c.required && c.kind != FieldType::Hidden;
                    if c.kind == FieldType::Consent && required && value != Some(Value::Bool(true))
                    {
                        errors.push(error(&c.name, fail(ErrorCode::ConsentRequired)));
                    } else if required && value.is_none() {
                        errors.push(error(&c.name, fail(ErrorCode::Required)));
                    } else if let Some(v) = value {
                        values.insert(c.name.clone(), v);
                    }
                }
            }
        }
        Validation {
            valid: errors.is_empty(),
            errors,
            values,
            signals: checker.signals,
        }
    }

    /// Validates, and when the submission is valid merges it into the
    /// profile, scores the merged profile's fit with `model`, and says what
    /// to ask next time.
    pub fn submit(
        &self,
        model: Option<&Model>,
        submission: &Map<String, Value>,
        options: &ValidateOptions,
    ) -> Submission {
        let validation = self.validate(submission, options);
        if !validation.valid {
            return Submission {
                validation,
                merge: None,
                fit: None,
                next: None,
            };
        }
        let empty = Map::new();
        let merge = merge_profile(options.profile.unwrap_or(&empty), &validation.values);
        let fit = model.map(|m| {
            m.score(
                Some(&merge.profile),
                &[],
                options.now.unwrap_or(0),
                &ScoreOptions::totals_only(),
            )
            .fit
        });
        let next = self.next_fields(&merge.profile);
        Submission {
            validation,
            merge: Some(merge),
            fit,
            next: Some(next),
        }
    }
}

/// Merges cleaned values into a profile. An empty value never overwrites a
/// known one; the answer says which fields became known and which changed.
pub fn merge_profile(known: &Map<String, Value>, values: &Map<String, Value>) -> Merge {
    let mut profile = known.clone();
    let mut newly_known = Vec::new();
    let mut updated = Vec::new();
    for (key, value) in values {
        if !is_known(Some(value)) {
            continue;
        }
        let before = profile.get(key);
        if !is_known(before) {
            newly_known.push(key.clone());
        } else if before != Some(value) {
            updated.push(key.clone());
        }
        profile.insert(key.clone(), value.clone());
    }
    Merge {
        profile,
        newly_known,
        updated,
    }
}
