//! `LiveVisitor`: one visitor's engagement state held inside wasm between
//! calls. `track()` takes an event as a few strings and numbers and adds it
//! to the state incrementally; `score()` reads the state without any
//! history crossing the boundary. Not in the page build (feature
//! `visitor-state`).
//!
//! NOTE: calls out of wasm into JS cost far more than calls in, and every
//! `JsValue` argument is read with calls out (a string with two). So
//! `track` and `page` as the package exports them are JS
//! (`visitor_track.js`, put on the class by `model.visitor()`): they check
//! the arguments' types, hand each distinct action, URL and tag list over
//! once (`internAction`, `internUrl`, `internTags`: checked and worked out
//! against the model here, and numbered), and then each event as numbers
//! only (`trackInterned`). Arguments of any other type (a `Date`, a dwell
//! time as text, tags that are not strings) go to the methods below that
//! read `JsValue`s, which keep every documented reading and error.

use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::score::{read_now, read_profile, ModelHandle};
use super::{invalid_argument, to_js};
use crate::personalize::{ViewBase, Visitor};
use crate::score::result::RuleTotal;
use crate::score::{
    EventFields, EventSource, FieldError, FitResult, Interest, InternedEvent, LiveVisitor, Model,
    ScoreOptions, ScoreResult, Stage, Tier, TAG_SEPARATOR,
};
use crate::time::{self, Millis};

#[wasm_bindgen(module = "/src/wasm/visitor_track.js")]
extern "C" {
    /// Puts the typed `track` and `page` on the class of `visitor`, once.
    #[wasm_bindgen(js_name = installTrack)]
    fn install_track(visitor: &JsValue);
}

/// A visitor's state and the model it is scored with.
#[wasm_bindgen(js_name = LiveVisitor)]
pub struct VisitorHandle {
    // NOTE: a wasm-bindgen class cannot borrow another: the visitor
    // shares the compiled model with its `Model`, which may be freed first.
    pub(super) model: Rc<Model>,
    pub(super) live: LiveVisitor,
    /// The clock's last reading: read again only for an event it cannot
    /// vouch for (one stamped past it plus the model's clock skew), which
    /// saves a call out to JS on most events.
    clock: f64,
    /// The texts of the last `scoreParts` or `decisionParts`, for
    /// `scoreTexts` and `decisionTexts`.
    pub(super) texts: String,
    /// What `setContext` set: the visitor as decisions read it, its score
    /// left to `decisions`.
    pub(super) context: Visitor,
    /// The events taken and the `now` the context's score was summarized
    /// at: the same two give the same score.
    pub(super) summarized: Option<(u64, Millis)>,
    /// What the context adds to the visitor under one `Personalizer`
    /// (by its serial), without lookup tables.
    pub(super) base: Option<(u32, ViewBase)>,
    /// The fit of the context's profile, without its breakdown: decisions
    /// score it once per `setContext`, not on every call.
    pub(super) fit: Option<FitResult>,
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

/// `"server"` or `"browser"`: the batch path's, but a page's events by
/// default.
fn read_source(value: &JsValue) -> Result<EventSource, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(EventSource::Browser);
    }
    super::state::read_source(value)
}

/// A field that may be left out: `None` for `undefined` or `null`.
///
/// NOTE: every argument is a `JsValue` read here, as in the rest of the
/// API, so a value of the wrong type is a typed error; typed parameters
/// would throw the glue's `TypeError` instead.
fn given(value: Option<JsValue>) -> Option<JsValue> {
    value.filter(|v| !v.is_null())
}

fn string_field(value: &JsValue, field: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid_argument(field, "expected a string"))
}

/// Milliseconds, or a `Date`.
fn read_timestamp(value: &JsValue) -> Result<f64, JsValue> {
    if let Some(ms) = value.as_f64() {
        return Ok(ms);
    }
    match value.dyn_ref::<js_sys::Date>() {
        Some(date) => Ok(date.get_time()),
        None => Err(invalid_argument(
            "timestamp",
            "expected milliseconds since the epoch (Date.now()) or a Date",
        )),
    }
}

/// A number, or text read as the fit rules read numbers people typed
/// (`"90"`, `"1,200"`), as scoring reads `properties.dwellSeconds`.
fn read_dwell(value: &JsValue) -> Result<f64, JsValue> {
    let refuse = || invalid_argument("dwellSeconds", "expected a number ≥ 0");
    match value.as_f64() {
        Some(d) => Ok(d),
        None => value
            .as_string()
            .and_then(|s| crate::score::fit::parse_number_loose(&s))
            .ok_or_else(refuse),
    }
}

#[wasm_bindgen(js_class = Model)]
impl ModelHandle {
    /// `model.visitor(state?, source?)`: a `LiveVisitor` scored with this
    /// model, from the bytes of `toBytes()` (or `Model.ingest`'s `state`),
    /// or new.
    pub fn visitor(&self, state: JsValue, source: JsValue) -> Result<JsValue, JsValue> {
        let source = read_source(&source)?;
        let model = Rc::clone(&self.model);
        let state = if state.is_undefined() || state.is_null() {
            model.new_state()
        } else {
            let Some(bytes) = state.dyn_ref::<js_sys::Uint8Array>() else {
                return Err(invalid_argument("state", "expected a Uint8Array"));
            };
            model
                .load_state_bytes(&bytes.to_vec())
                .map_err(|e| invalid_argument("state", &e.to_string()))?
        };
        let live = model
            .live_visitor(state, source)
            .map_err(|e| invalid_argument("state", &e.to_string()))?;
        let visitor = JsValue::from(VisitorHandle {
            model,
            live,
            clock: f64::NEG_INFINITY,
            texts: String::new(),
            context: Visitor::default(),
            summarized: None,
            base: None,
            fit: None,
        });
        install_track(&visitor);
        Ok(visitor)
    }
}

#[wasm_bindgen(js_class = LiveVisitor)]
impl VisitorHandle {
    /// `visitor.track(action, url?, timestamp?, tags?, dwellSeconds?)`:
    /// adds one event (`action` `"page"` for a page view) at `timestamp`
    /// (milliseconds or a Date; now when left out). Throws
    /// `invalid_argument` naming the field for an event the batch path
    /// would reject.
    pub fn track(
        &mut self,
        action: JsValue,
        url: Option<JsValue>,
        timestamp: Option<JsValue>,
        tags: Option<JsValue>,
        dwell_seconds: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let action = string_field(&action, "action")?;
        let url = given(url).map(|u| string_field(&u, "url")).transpose()?;
        self.add(&action, url, timestamp, tags, dwell_seconds)
    }

    /// `visitor.page(url, timestamp?, tags?, dwellSeconds?)`: a page view.
    pub fn page(
        &mut self,
        url: JsValue,
        timestamp: Option<JsValue>,
        tags: Option<JsValue>,
        dwell_seconds: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let url = string_field(&url, "url")?;
        self.add("page", Some(url), timestamp, tags, dwell_seconds)
    }

    /// `visitor.score(now?, profile?)` → `{now, fit, fitGrade, engagement,
    /// level, grade, tier, stage, mql, interests, events, rules}`: the same
    /// figures `model.score` gives for every event tracked.
    pub fn score(&mut self, now: JsValue, profile: JsValue) -> Result<JsValue, JsValue> {
        let result = self.scored(now, profile)?;
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

    /// `visitor.scoreParts(now?, profile?)`: `score()` as numbers, its
    /// texts kept for `scoreTexts`. The package's `score` builds its object
    /// from them (`visitor_track.js`), without JSON text: `[now, fit,
    /// engagement, level, mql (1 or 0), events, interests, (weight, share)
    /// per interest, rules, (events, capped, untrusted, points, decayLost)
    /// per rule]`.
    #[wasm_bindgen(js_name = scoreParts)]
    pub fn score_parts(&mut self, now: JsValue, profile: JsValue) -> Result<Vec<f64>, JsValue> {
        let result = self.scored(now, profile)?;
        let mut numbers =
            Vec::with_capacity(8 + 2 * result.interests.len() + 5 * result.engagement.rules.len());
        numbers.extend_from_slice(&[
            result.now as f64,
            result.fit.score,
            result.engagement.score,
            f64::from(result.engagement.level),
            f64::from(u8::from(result.mql.qualified)),
            self.live.events() as f64,
            result.interests.len() as f64,
        ]);
        let mut texts = std::mem::take(&mut self.texts);
        texts.clear();
        texts.push(result.fit.grade);
        for text in [&result.grade, result.tier.as_str(), result.stage.as_str()] {
            texts.push(TAG_SEPARATOR);
            texts.push_str(text);
        }
        for interest in &result.interests {
            numbers.extend_from_slice(&[interest.weight, interest.share]);
            texts.push(TAG_SEPARATOR);
            texts.push_str(&interest.tag);
        }
        numbers.push(result.engagement.rules.len() as f64);
        for rule in &result.engagement.rules {
            numbers.extend_from_slice(&[
                rule.events as f64,
                rule.capped as f64,
                rule.untrusted as f64,
                rule.points,
                rule.decay_lost,
            ]);
            texts.push(TAG_SEPARATOR);
            texts.push_str(&rule.rule);
        }
        self.texts = texts;
        Ok(numbers)
    }

    /// The texts of the last `scoreParts`, joined by U+001F: fit grade,
    /// grade, tier, stage, each interest's tag, each rule's id.
    #[wasm_bindgen(js_name = scoreTexts)]
    pub fn score_texts(&self) -> String {
        self.texts.clone()
    }

    /// `visitor.trackBatch(numbers, times, dwells, now)`: events as
    /// `trackInterned` takes them, all checked at the clock reading `now`:
    /// three numbers each in `numbers` (action, URL, tags), the time in
    /// `times` and the dwell time in `dwells` (negative for none). The
    /// package's `track` gathers them (`visitor_track.js`).
    #[wasm_bindgen(js_name = trackBatch)]
    pub fn track_batch(
        &mut self,
        numbers: &[u32],
        times: &[f64],
        dwells: &[f64],
        now: f64,
    ) -> Result<(), JsValue> {
        let at = time::from_f64(now).map_err(|e| invalid_argument("now", e.message()))?;
        self.clock = self.clock.max(now);
        for ((ids, &timestamp), &dwell) in numbers.chunks_exact(3).zip(times).zip(dwells) {
            let &[action, url, tags] = ids else {
                continue;
            };
            let event = InternedEvent {
                action,
                url,
                tags,
                dwell_seconds: (dwell >= 0.0).then_some(dwell),
                timestamp,
            };
            self.model
                .track_interned(&mut self.live, &event, at)
                .map_err(field_error)?;
        }
        Ok(())
    }

    /// How far past the clock an event's time may be, in milliseconds (the
    /// model's clock skew).
    #[wasm_bindgen(getter, js_name = maxSkewMs)]
    pub fn max_skew_ms(&self) -> f64 {
        self.model.max_skew_ms() as f64
    }

    /// `visitor.internAction(action)` → the number `trackInterned` takes
    /// for it (the package's `track` calls it once per distinct action).
    #[wasm_bindgen(js_name = internAction)]
    pub fn intern_action(&mut self, action: &str) -> Result<u32, JsValue> {
        self.model
            .intern_action(&mut self.live, action)
            .map_err(field_error)
    }

    /// `visitor.internUrl(url)` → its number (0 for a blank URL).
    #[wasm_bindgen(js_name = internUrl)]
    pub fn intern_url(&mut self, url: &str) -> Result<u32, JsValue> {
        self.model
            .intern_url(&mut self.live, url)
            .map_err(field_error)
    }

    /// `visitor.internTags(joined)` → the number of a tag list given as its
    /// tags joined by U+001F (0 for none).
    #[wasm_bindgen(js_name = internTags)]
    pub fn intern_tags(&mut self, joined: &str) -> Result<u32, JsValue> {
        self.model
            .intern_tag_text(&mut self.live, joined)
            .map_err(field_error)
    }

    /// `visitor.trackInterned(action, url, tags, timestamp?, dwellSeconds?)`:
    /// `track` with its texts given by number.
    #[wasm_bindgen(js_name = trackInterned)]
    pub fn track_interned(
        &mut self,
        action: u32,
        url: u32,
        tags: u32,
        timestamp: Option<f64>,
        dwell_seconds: Option<f64>,
    ) -> Result<(), JsValue> {
        let (timestamp, now) = self.clock(timestamp)?;
        let event = InternedEvent {
            action,
            url,
            tags,
            dwell_seconds,
            timestamp,
        };
        self.model
            .track_interned(&mut self.live, &event, now)
            .map_err(field_error)
    }

    /// `visitor.toBytes()`: the state to store, read back by `new
    /// LiveVisitor(model, bytes)` and by `model.ingest` / `model.scoreState`.
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

impl VisitorHandle {
    /// The visitor's score at `now` with `profile`, without the breakdown.
    fn scored(&mut self, now: JsValue, profile: JsValue) -> Result<ScoreResult, JsValue> {
        let now = read_now(now)?;
        let profile = read_profile(profile)?;
        self.score_at(now, profile.as_ref())
    }

    /// The visitor's score at `now` with `profile`, without the breakdown.
    pub(super) fn score_at(
        &mut self,
        now: Millis,
        profile: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Result<ScoreResult, JsValue> {
        let options = ScoreOptions::totals_only();
        self.model
            .score_visitor(&mut self.live, profile, now, &options)
            .map_err(|e| invalid_argument("state", &e.to_string()))
    }

    /// `track` once the name and URL are read.
    fn add(
        &mut self,
        action: &str,
        url: Option<String>,
        timestamp: Option<JsValue>,
        tags: Option<JsValue>,
        dwell_seconds: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let timestamp = given(timestamp).map(|t| read_timestamp(&t)).transpose()?;
        let tags = read_tags(given(tags))?;
        let dwell_seconds = given(dwell_seconds).map(|d| read_dwell(&d)).transpose()?;
        let (timestamp, now) = self.clock(timestamp)?;
        let fields = EventFields {
            action,
            url: url.as_deref(),
            tags: &tags,
            dwell_seconds,
            timestamp,
        };
        self.model
            .track(&mut self.live, &fields, now)
            .map_err(field_error)
    }

    /// The event's time (the clock's when `None`) and the `now` it is
    /// checked at.
    fn clock(&mut self, timestamp: Option<f64>) -> Result<(f64, Millis), JsValue> {
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
        Ok((timestamp, now))
    }
}
