//! `Visitor`: one visitor's engagement state held inside wasm between
//! calls. `track()` takes an event as a few strings and numbers and adds it
//! to the state incrementally; `score()` reads the state without any
//! history crossing the boundary. Not in the page build (feature
//! `visitor-state`).

use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::score::{read_now, read_profile, ModelHandle};
use super::{invalid_argument, to_js};
use crate::score::result::RuleTotal;
use crate::score::{
    EventFields, EventSource, FieldError, Interest, LiveVisitor, Model, ScoreOptions, Stage, Tier,
};
use crate::time::{self, Millis};

/// A visitor's state and the model it is scored with.
#[wasm_bindgen(js_name = Visitor)]
pub struct VisitorHandle {
    // NOTE: a wasm-bindgen class cannot borrow another: the visitor
    // shares the compiled model with its `Model`, which may be freed first.
    model: Rc<Model>,
    live: LiveVisitor,
    /// The clock's last reading: read again only for an event it cannot
    /// vouch for (one stamped past it plus the model's clock skew), which
    /// saves a call out to JS on most events.
    clock: f64,
}

/// What `score()` returns: what decisions read, and the totals per rule.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    now: Millis,
    fit: f64,
    fit_grade: char,
    engagement: f64,
    level: u8,
    grade: &'a str,
    tier: Tier,
    stage: Stage,
    mql: bool,
    interests: &'a [Interest],
    events: u64,
    rules: &'a [RuleTotal],
}

fn field_error(e: FieldError) -> JsValue {
    invalid_argument(e.field, &e.message)
}

/// `tags`: a string (one tag), an array of strings, or nothing.
///
/// NOTE: calls out of wasm into JS cost far more than calls in (each
/// tag read on its own took two, a third of a tracked event). So the
/// value crosses as its `JSON.stringify` text, two calls whatever it
/// holds, and is read as that text says: a value with `toJSON` (a `Date`)
/// counts as what it returns. Text that does not read as a string or an
/// array of strings (a lone surrogate, a number) is read again value by
/// value, which keeps or refuses it as scoring does.
fn read_tags(value: Option<JsValue>) -> Result<Vec<String>, JsValue> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let text = js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|t| t.as_string());
    let tags = text.and_then(|t| match t.as_bytes().first() {
        Some(b'[') => plain_strings(&t).or_else(|| serde_json::from_str(&t).ok()),
        Some(b'"') => serde_json::from_str::<String>(&t).ok().map(|tag| vec![tag]),
        _ => None,
    });
    match tags {
        Some(tags) if tags.len() <= crate::score::event::MAX_TAGS => return Ok(tags),
        _ => {}
    }
    if let Some(tag) = value.as_string() {
        return Ok(vec![tag]);
    }
    let Some(list) = value.dyn_ref::<js_sys::Array>() else {
        return Err(invalid_argument(
            "tags",
            "expected a string or an array of strings",
        ));
    };
    // Refused before the strings are copied in; the core checks the rest.
    let count = list.length();
    if count as usize > crate::score::event::MAX_TAGS {
        return Err(invalid_argument("tags", "more than 50 tags"));
    }
    (0..count)
        .map(|i| {
            list.get(i)
                .as_string()
                .ok_or_else(|| invalid_argument("tags", "expected a string or an array of strings"))
        })
        .collect()
}

/// `["a","b"]` without escapes, read without serde_json: most tag lists.
/// `None` for anything else, which serde_json then reads.
fn plain_strings(text: &str) -> Option<Vec<String>> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    if inner.contains('\\') {
        return None;
    }
    let mut tags = Vec::new();
    for item in inner.split(',') {
        // A comma inside a tag splits it: its halves do not both read
        // as strings, or the count of quotes is off.
        let tag = item.strip_prefix('"')?.strip_suffix('"')?;
        if tag.contains('"') {
            return None;
        }
        tags.push(tag.to_string());
    }
    Some(tags)
}

#[wasm_bindgen(js_class = Visitor)]
impl VisitorHandle {
    /// `new Visitor(model, state?, source?)`: a visitor scored with
    /// `model`, from the bytes of `toBytes()` (or `Model.ingest`'s `state`),
    /// or new. `source` is `"browser"` (the default: no event counts for a
    /// rule that only a back-office source may trigger) or `"server"`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        model: &ModelHandle,
        state: Option<Vec<u8>>,
        source: JsValue,
    ) -> Result<VisitorHandle, JsValue> {
        let source = if source.is_undefined() || source.is_null() {
            EventSource::Browser
        } else {
            source
                .as_string()
                .as_deref()
                .and_then(EventSource::from_name)
                .ok_or_else(|| invalid_argument("source", "expected \"server\" or \"browser\""))?
        };
        let model = Rc::clone(&model.model);
        let state = match state {
            None => model.new_state(),
            Some(bytes) => model
                .load_state_bytes(&bytes)
                .map_err(|e| invalid_argument("state", &e.to_string()))?,
        };
        let live = model
            .live_visitor(state, source)
            .map_err(|e| invalid_argument("state", &e.to_string()))?;
        Ok(VisitorHandle {
            model,
            live,
            clock: f64::NEG_INFINITY,
        })
    }

    /// `visitor.track(action, url?, timestamp?, tags?, dwellSeconds?)`:
    /// adds one event (`action` `"page"` for a page view) at `timestamp`
    /// (milliseconds or a Date; now when left out). Throws
    /// `invalid_argument` naming the field for an event the batch path
    /// would reject.
    pub fn track(
        &mut self,
        action: &str,
        url: Option<String>,
        timestamp: Option<f64>,
        tags: Option<JsValue>,
        dwell_seconds: Option<f64>,
    ) -> Result<(), JsValue> {
        let tags = read_tags(tags)?;
        let timestamp = match timestamp {
            Some(t) => t,
            None => {
                self.clock = js_sys::Date::now();
                self.clock
            }
        };
        // NaN compares false: read the clock, and let the check refuse it.
        let vouched = timestamp <= self.clock + self.model.max_skew_ms() as f64;
        if !vouched {
            self.clock = js_sys::Date::now();
        }
        let now = time::from_f64(self.clock).map_err(|e| invalid_argument("now", e.message()))?;
        let fields = EventFields {
            action,
            url: url.as_deref(),
            tags: &tags,
            dwell_seconds,
            timestamp,
        };
        let event = self
            .model
            .event_from_fields(&fields, now, self.live.source())
            .map_err(field_error)?;
        self.model.track(&mut self.live, &event, now);
        Ok(())
    }

    /// `visitor.page(url, timestamp?, tags?, dwellSeconds?)`: a page view.
    pub fn page(
        &mut self,
        url: String,
        timestamp: Option<f64>,
        tags: Option<JsValue>,
        dwell_seconds: Option<f64>,
    ) -> Result<(), JsValue> {
        self.track("page", Some(url), timestamp, tags, dwell_seconds)
    }

    /// `visitor.score(now?, profile?)` → `{now, fit, fitGrade, engagement,
    /// level, grade, tier, stage, mql, interests, events, rules}`: the same
    /// figures `model.score` gives for every event tracked.
    pub fn score(&mut self, now: JsValue, profile: JsValue) -> Result<JsValue, JsValue> {
        let now = read_now(now)?;
        let profile = read_profile(profile)?;
        let options = ScoreOptions {
            breakdown: false,
            ..ScoreOptions::default()
        };
        let result = self
            .model
            .score_visitor(&mut self.live, profile.as_ref(), now, &options)
            .map_err(|e| invalid_argument("state", &e.to_string()))?;
        to_js(&Summary {
            now: result.now,
            fit: result.fit.score,
            fit_grade: result.fit.grade,
            engagement: result.engagement.score,
            level: result.engagement.level,
            grade: &result.grade,
            tier: result.tier,
            stage: result.stage,
            mql: result.mql.qualified,
            interests: &result.interests,
            events: self.live.events(),
            rules: &result.engagement.rules,
        })
    }

    /// `visitor.toBytes()`: the state to store, read back by `new
    /// Visitor(model, bytes)` and by `model.ingest` / `model.scoreState`.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&mut self) -> Vec<u8> {
        self.model.settle_visitor(&mut self.live, None);
        self.live.state().to_bytes()
    }

    /// Events tracked so far, the stored state's included.
    #[wasm_bindgen(getter)]
    pub fn events(&self) -> f64 {
        self.live.events() as f64
    }
}
