//! Form exports: `checkEmail`, `checkPhone`, the `Form` class (a form
//! compiled once, for many submissions) and the one-off `nextFields` and
//! `validateForm`, which compile the form on every call.

use crate::json::{Map, Value};
use wasm_bindgen::prelude::*;

use super::{dates_to_millis, from_js, invalid_argument, to_js, IntoJsResult};
use crate::diagnostics::ConfigDocument;
use crate::forms::{Form, Language, ValidateOptions};
use crate::score::Model;
use crate::time::{self, Millis};

fn read_string(value: JsValue, what: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid_argument(what, "expected a string"))
}

fn read_object(value: JsValue, what: &str) -> Result<Map<String, Value>, JsValue> {
    match from_js(value, what)? {
        Value::Null => Ok(Map::new()),
        Value::Object(map) => Ok(map),
        _ => Err(invalid_argument(what, "expected an object, or null")),
    }
}

fn read_form(value: JsValue) -> Result<Form, JsValue> {
    match from_js(value, "form")? {
        v @ Value::Object(_) => Form::from_value(v).into_js(),
        _ => Err(invalid_argument(
            "form",
            "expected a form definition object",
        )),
    }
}

fn read_millis(value: Option<&Value>, what: &str) -> Result<Option<Millis>, JsValue> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .map(time::from_f64)
            .transpose()
            .map_err(|e| invalid_argument(what, e.message())),
        Some(_) => Err(invalid_argument(
            what,
            "expected milliseconds since the epoch (Date.now()) or a Date",
        )),
    }
}

/// `checkEmail(address)` → `{ valid, kind, reason?, normalized? }`.
#[wasm_bindgen(js_name = checkEmail)]
pub fn check_email_js(address: JsValue) -> Result<JsValue, JsValue> {
    let address = read_string(address, "address")?;
    to_js(&crate::email::check_email(&address))
}

/// `checkPhone(number, defaultRegion?)` → `{ valid, e164?, region?, reason?, fake }`.
#[wasm_bindgen(js_name = checkPhone)]
pub fn check_phone_js(number: JsValue, default_region: JsValue) -> Result<JsValue, JsValue> {
    let number = read_string(number, "number")?;
    let region = if default_region.is_undefined() || default_region.is_null() {
        None
    } else {
        Some(read_string(default_region, "defaultRegion")?)
    };
    to_js(&crate::phone::check_phone(&number, region.as_deref()))
}

fn next_fields_with(form: &Form, known_profile: JsValue) -> Result<JsValue, JsValue> {
    let known = read_object(known_profile, "knownProfile")?;
    to_js(&form.next_fields(&known))
}

fn validate_with(form: &Form, submission: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let submission = match from_js(submission, "submission")? {
        Value::Object(map) => map,
        _ => return Err(invalid_argument("submission", "expected an object")),
    };
    let options_js = options;
    let mut options = read_object(options_js.clone(), "options")?;
    for key in ["now", "renderedAt"] {
        dates_to_millis(&options_js, &mut options, key);
    }
    let language = match options.get("language") {
        None | Some(Value::Null) => Language::En,
        Some(Value::String(tag)) => Language::from_tag(tag),
        Some(_) => {
            return Err(invalid_argument(
                "options.language",
                "expected a language tag such as \"zh-Hans\"",
            ))
        }
    };
    let profile = match options.get("profile") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map),
        Some(_) => return Err(invalid_argument("options.profile", "expected an object")),
    };
    let asked: Option<Vec<String>> = match options.get("asked") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => Some(
            list.iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| invalid_argument("options.asked", "expected field names"))?,
        ),
        Some(_) => return Err(invalid_argument("options.asked", "expected an array")),
    };
    let model = match options.get("model") {
        None => None,
        Some(Value::Null) => Some(Model::default_model()),
        Some(doc) => Some(Model::from_value(doc.clone()).into_js()?),
    };
    let validate = ValidateOptions {
        language,
        profile,
        asked: asked.as_deref(),
        rendered_at: read_millis(options.get("renderedAt"), "options.renderedAt")?,
        now: read_millis(options.get("now"), "options.now")?,
    };
    to_js(&form.submit(model.as_ref(), &submission, &validate))
}

/// `nextFields(form, knownProfile)` → `{ fields, hidden, remaining, complete }`.
#[wasm_bindgen(js_name = nextFields)]
pub fn next_fields_js(form: JsValue, known_profile: JsValue) -> Result<JsValue, JsValue> {
    next_fields_with(&read_form(form)?, known_profile)
}

/// `validateForm(form, submission, options?)`. Options: `language` (`en`,
/// `zh-Hans`, `zh-Hant`, or any BCP 47 tag), `profile` (what is known),
/// `asked` (names of the fields shown), `renderedAt` and `now` (ms), `model`
/// (a scoring model document; `null` for the built-in one; leave it out to
/// skip fit scoring). Answers `{ valid, errors, values, signals, merge?,
/// fit?, next? }`.
#[wasm_bindgen(js_name = validateForm)]
pub fn validate_form_js(
    form: JsValue,
    submission: JsValue,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    validate_with(&read_form(form)?, submission, options)
}

// Reading and compiling the definition (fields, patterns, `showIf`
// conditions) is most of what a `validateForm` call costs in wasm; the class
// does it once. The doc comments below are copied into the browser entry's
// glue, which has a gzip budget: the full docs are in pkg-template/index.d.ts.
// No `fieldNames` getter: the caller holds the definition, and with the
// longer docs it cost 910 bytes gzip of that budget.
/// A form compiled once, for many submissions.
#[wasm_bindgen(js_name = Form)]
pub struct FormHandle {
    form: Form,
}

#[wasm_bindgen(js_class = Form)]
impl FormHandle {
    /// Throws as `validateForm` does for a bad definition.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<FormHandle, JsValue> {
        Ok(FormHandle {
            form: read_form(config)?,
        })
    }

    /// `validateForm` without the form argument.
    pub fn validate(&self, submission: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        validate_with(&self.form, submission, options)
    }

    /// As `nextFields`.
    #[wasm_bindgen(js_name = nextFields)]
    pub fn next_fields(&self, known_profile: JsValue) -> Result<JsValue, JsValue> {
        next_fields_with(&self.form, known_profile)
    }

    /// The definition's `id`, if any.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> Option<String> {
        self.form.id().map(str::to_string)
    }

    /// Warnings found while compiling: `[{path, message}]`.
    #[wasm_bindgen(getter)]
    pub fn warnings(&self) -> Result<JsValue, JsValue> {
        to_js(self.form.warnings())
    }
}
