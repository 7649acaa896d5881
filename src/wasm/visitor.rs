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

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::handles::{read_now, read_profile, source_or, ModelHandle};
use super::invalid_argument;
use crate::personalize::{ViewBase, Visitor};
use crate::score::{
    EventSource, FieldError, FitResult, InternedEvent, LiveVisitor, Model, ScoreOptions,
    ScoreResult, TAG_SEPARATOR,
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

pub(super) fn field_error(e: FieldError) -> JsValue {
    invalid_argument(e.field, &e.message)
}

#[wasm_bindgen(js_class = Model)]
impl ModelHandle {
    /// `model.visitor(state?, source?)`: a `LiveVisitor` scored with this
    /// model, from the bytes of `toBytes()` (or `Model.ingest`'s `state`),
    /// or new.
    pub fn visitor(&self, state: JsValue, source: JsValue) -> Result<JsValue, JsValue> {
        let source = source_or(&source, EventSource::Browser)?;
        let model = Rc::clone(&self.model);
        let state = if state.is_undefined() || state.is_null() {
            model.new_state()
        } else if cfg!(not(feature = "visitor-state")) {
            // The page replays its stored events instead: the state's
            // reader and writer stay out of the page build.
            return Err(invalid_argument(
                "state",
                "stored visitor states are read by the Node and edge builds, not by the page build",
            ));
        } else {
            let Some(bytes) = state.dyn_ref::<js_sys::Uint8Array>() else {
                return Err(invalid_argument("state", "expected a Uint8Array"));
            };
            model
                .load_state_bytes(&bytes.to_vec())
                .map_err(|e| invalid_argument("state", &e.message()))?
        };
        let live = model
            .live_visitor(state, source)
            .map_err(|e| invalid_argument("state", &e.message()))?;
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
    /// `visitor.scoreParts(now?, profile?)`: `score()` as numbers, its
    /// texts kept for `scoreTexts`. The package's `score` builds its object
    /// from them (`visitor_track.js`), without JSON text: `[now, fit,
    /// engagement, level, mql (1 or 0), events, interests, (weight, share)
    /// per interest, rules, (events, capped, untrusted, points, decayLost)
    /// per rule]`. `profile` as [`VisitorHandle::scored`] reads it.
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
    #[cfg(feature = "visitor-state")]
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
    /// `profile` left out (`undefined`): the profile `setContext` set
    /// (none before it), and the summary is kept for `decisions` at the
    /// same `now`, so a page that scores and then decides scores once.
    /// `null`: no profile.
    pub(super) fn scored(
        &mut self,
        now: JsValue,
        profile: JsValue,
    ) -> Result<ScoreResult, JsValue> {
        let now = read_now(now)?;
        if profile.is_undefined() {
            return self.score_in_context(now);
        }
        let profile = read_profile(profile)?;
        self.score_at(now, profile.as_ref())
    }

    /// The visitor's score at `now` with `profile`, without the breakdown.
    pub(super) fn score_at(
        &mut self,
        now: Millis,
        profile: Option<&crate::json::Map<String, crate::json::Value>>,
    ) -> Result<ScoreResult, JsValue> {
        let options = ScoreOptions::totals_only();
        self.model
            .score_visitor(&mut self.live, profile, now, &options)
            .map_err(|e| invalid_argument("state", &e.message()))
    }

    /// The event's time (the clock's when `None`) and the `now` it is
    /// checked at.
    pub(super) fn clock(&mut self, timestamp: Option<f64>) -> Result<(f64, Millis), JsValue> {
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
