//! Scoring exports: `score()` for one-off calls and the `Model` class for
//! scoring many visitors with one compiled model.

use std::cell::OnceCell;

use crate::json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::handles::{read_now, read_profile, ModelHandle};
use super::{dates_to_millis, from_js, invalid_argument, to_js, IntoJsResult};
use crate::diagnostics::ConfigDocument;
use crate::score::event::MAX_EVENTS_PER_CALL;
use crate::score::{EventSource, Model, ScoreOptions, DEFAULT_MODEL_JSON};

thread_local! {
    static DEFAULT_MODEL: OnceCell<Model> = const { OnceCell::new() };
}

fn with_default_model<R>(f: impl FnOnce(&Model) -> R) -> R {
    DEFAULT_MODEL.with(|cell| f(cell.get_or_init(Model::default_model)))
}

/// The events of one call, refused before any is read when there are more
/// than `max`. A `Date` as an event's `timestamp` is read as its
/// milliseconds.
fn read_events(value: JsValue, max: usize) -> Result<Vec<Value>, JsValue> {
    if value.is_null() || value.is_undefined() {
        return Ok(Vec::new());
    }
    let Some(array) = value
        .dyn_ref::<js_sys::Array>()
        .filter(|_| js_sys::Array::is_array(&value))
    else {
        return Err(invalid_argument("events", "expected an array of events"));
    };
    let count = array.length() as usize;
    if count > max {
        return Err(too_many_events(&count.to_string(), max, SCORE_HINT));
    }
    let Value::Array(mut list) = from_js(value.clone(), "events")? else {
        return Err(invalid_argument("events", "expected an array of events"));
    };
    for (i, event) in list.iter_mut().enumerate() {
        if let Value::Object(map) = event {
            dates_to_millis(&array.get(i as u32), map, "timestamp");
        }
    }
    Ok(list)
}

const SCORE_HINT: &str = "options.maxEvents raises it";

/// The error for a call with more events than it takes: names the limit.
pub(super) fn too_many_events(count: &str, max: usize, hint: &str) -> JsValue {
    let mut message = String::from(count);
    message.push_str(" events in one call; the limit is ");
    message.push_str(&max.to_string());
    message.push_str(" (");
    message.push_str(hint);
    message.push(')');
    invalid_argument("events", &message)
}

/// `score`'s options: the core's, and how many events the call takes.
pub(super) fn read_options(value: JsValue) -> Result<(ScoreOptions, usize), JsValue> {
    let mut options = ScoreOptions::default();
    let mut max_events = MAX_EVENTS_PER_CALL;
    match from_js(value, "options")? {
        Value::Null => {}
        Value::Object(map) => {
            match map.get("maxEvents") {
                None | Some(Value::Null) => {}
                Some(v) => match v.as_u64().filter(|n| *n > 0) {
                    Some(n) => max_events = usize::try_from(n).unwrap_or(usize::MAX),
                    None => {
                        return Err(invalid_argument(
                            "options.maxEvents",
                            "expected a whole number of events ≥ 1",
                        ))
                    }
                },
            }
            match map.get("breakdown") {
                None | Some(Value::Null) => {}
                Some(Value::Bool(b)) => options.breakdown = *b,
                Some(_) => {
                    return Err(invalid_argument(
                        "options.breakdown",
                        "expected true or false",
                    ))
                }
            }
            match map.get("source") {
                None | Some(Value::Null) => {}
                Some(v) => match v.as_str().and_then(EventSource::from_name) {
                    Some(source) => options.source = source,
                    None => {
                        return Err(invalid_argument(
                            "options.source",
                            "expected \"server\" or \"browser\"",
                        ))
                    }
                },
            }
        }
        _ => return Err(invalid_argument("options", "expected an object")),
    }
    Ok((options, max_events))
}

/// The events as JSON text (`JSON.stringify(events)`), parsed here with
/// serde_json: for a few hundred stored events that is several times cheaper
/// than reading them across the boundary value by value (serde-wasm-bindgen
/// makes a JS call for every key, string and number). serde_json refuses
/// input nested over 128 levels, so deep text cannot exhaust the stack.
/// A list of more than `max` events is refused before it is parsed.
pub(super) fn read_events_json(
    value: JsValue,
    max: usize,
    hint: &str,
) -> Result<Vec<Value>, JsValue> {
    let text = read_events_text(value, max, hint)?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(list)) => Ok(list),
        Ok(Value::Null) => Ok(Vec::new()),
        Ok(_) => Err(invalid_argument(
            "events",
            "expected a JSON array of events",
        )),
        Err(e) => Err(invalid_argument("events", &e.to_string())),
    }
}

/// The events' JSON text, refused when it is not a string or lists more
/// than `max` events; parsed by the caller.
pub(super) fn read_events_text(value: JsValue, max: usize, hint: &str) -> Result<String, JsValue> {
    let Some(text) = value.as_string() else {
        return Err(invalid_argument(
            "events",
            "expected the events as JSON text (JSON.stringify(events))",
        ));
    };
    if more_than(&text, max) {
        let mut more = String::from("more than ");
        more.push_str(&max.to_string());
        return Err(too_many_events(&more, max, hint));
    }
    Ok(text)
}

/// Whether JSON text that is an array has more than `max` elements,
/// scanning no further than the element past `max`: the commas outside
/// nested values and strings. Text that is not an array answers `false`
/// (serde_json then says what is wrong with it). A scan rather than a
/// counting serde visitor: the visitor cost the page build 2 KB of wasm.
fn more_than(text: &str, max: usize) -> bool {
    let bytes = text.trim_start().as_bytes();
    if bytes.first() != Some(&b'[') {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut commas = 0usize;
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            // Elements are the commas plus one.
            b',' if depth == 1 => {
                commas += 1;
                if commas >= max {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

fn score_with(
    model: &Model,
    profile: JsValue,
    events: JsValue,
    now: JsValue,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let profile = read_profile(profile)?;
    let (options, max_events) = read_options(options)?;
    let events = read_events(events, max_events)?;
    let now = read_now(now)?;
    to_js(&model.score(profile.as_ref(), &events, now, &options))
}

/// Scores a visitor: `score(model, profile, events, now?, options?)`.
/// `model` is a model document, or `null` for the built-in default.
#[wasm_bindgen(js_name = score)]
pub fn score_js(
    model: JsValue,
    profile: JsValue,
    events: JsValue,
    now: JsValue,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    if model.is_null() || model.is_undefined() {
        return with_default_model(|m| score_with(m, profile, events, now, options));
    }
    let compiled = Model::from_value(from_js(model, "model")?).into_js()?;
    score_with(&compiled, profile, events, now, options)
}

/// The built-in model document, to copy and edit.
#[wasm_bindgen(js_name = defaultModel)]
pub fn default_model_js() -> Result<JsValue, JsValue> {
    let value: Value = serde_json::from_str(DEFAULT_MODEL_JSON)
        .map_err(|e| invalid_argument("", &e.to_string()))?;
    to_js(&value)
}

/// Lists every error and warning in a model document without throwing:
/// `{ errors: [{path, message, severity}], warnings: [...] }`.
#[wasm_bindgen(js_name = checkModel)]
pub fn check_model_js(model: JsValue) -> Result<JsValue, JsValue> {
    to_js(&Model::check(from_js(model, "model")?))
}

#[wasm_bindgen(js_class = Model)]
impl ModelHandle {
    /// `new Model(config?)`: compiles `config` (the default model when left
    /// out). Throws an `Error` with `code: "invalid_config"` and the `path` of
    /// the first bad field.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<ModelHandle, JsValue> {
        let model = match from_js(config, "config")? {
            Value::Null => Model::default_model(),
            value => Model::from_value(value).into_js()?,
        };
        Ok(ModelHandle::from_model(model))
    }

    /// `model.score(profile, events, now?, options?)`.
    pub fn score(
        &self,
        profile: JsValue,
        events: JsValue,
        now: JsValue,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        score_with(&self.model, profile, events, now, options)
    }

    /// `model.scoreJson(profile, eventsJson, now?, options?)`: `score` with
    /// the events as JSON text, for callers that hold many events (the edge
    /// worker re-scores a visitor's whole stored history on every batch).
    #[wasm_bindgen(js_name = scoreJson)]
    pub fn score_json(
        &self,
        profile: JsValue,
        events_json: JsValue,
        now: JsValue,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let profile = read_profile(profile)?;
        let (options, max_events) = read_options(options)?;
        let events = read_events_json(events_json, max_events, SCORE_HINT)?;
        let now = read_now(now)?;
        to_js(&self.model.score(profile.as_ref(), &events, now, &options))
    }

    /// Warnings found while compiling: `[{path, message}]`.
    #[wasm_bindgen(getter)]
    pub fn warnings(&self) -> Result<JsValue, JsValue> {
        to_js(self.model.warnings())
    }

    // `fit.browserTraits`: the profile fields a browser's own
    // `identify`/`group` may set for scoring (the rest need a validated form
    // or a server source). A plain comment, not a doc comment: doc comments
    // are copied into the browser entry's glue, which has a gzip budget (the
    // docs are in pkg-template/index.d.ts). Through `Value`, whose
    // serialization the wasm has anyway.
    #[wasm_bindgen(getter, js_name = browserTraits)]
    pub fn browser_traits(&self) -> Result<JsValue, JsValue> {
        to_js(&Value::from(self.model.browser_traits().to_vec()))
    }
}
