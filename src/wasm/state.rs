//! A visitor's incremental engagement state for the edge: the Durable
//! Object keeps the stored bytes and hands them in with each batch; only
//! the bytes, the batch's JSON text and a few numbers cross the boundary,
//! never the history. The batch's text is read straight into events, with
//! no `Value` tree (`crate::score::event_text`). Not in the page build
//! (feature `visitor-state`).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::handles::{read_now, read_profile, source_or, ModelHandle};
use super::score::{read_events_text, read_options};
use super::{invalid_argument, to_js};
use crate::score::event::MAX_EVENTS_PER_CALL;
use crate::score::forwarded::ForwardedScore;
use crate::score::{
    Event, EventSource, RejectedEvent, ScoreOptions, ScoreResult, ScoreSummary, UnscoredEvent,
    VisitorState,
};
use crate::time::Millis;

/// What the limit's error tells a caller of `ingest` and `validateEvents`.
const BATCH_HINT: &str = "send them in batches";

#[derive(Serialize)]
struct Checked {
    /// Indices of the events that are valid, in batch order.
    accepted: Vec<usize>,
    rejected: Vec<RejectedEvent>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Ingested {
    /// Indices of the events taken, in batch order.
    accepted: Vec<usize>,
    rejected: Vec<RejectedEvent>,
    unscored: Vec<UnscoredEvent>,
    /// Events the visitor's state holds in all.
    events_total: u64,
}

#[wasm_bindgen(js_class = Model)]
impl ModelHandle {
    /// `model.validateEvents(eventsJson, now?, source?)` →
    /// `{accepted: [index], rejected: [{index, id?, reason}]}`: what scoring
    /// would accept, with each rejection's reason, without scoring.
    #[wasm_bindgen(js_name = validateEvents)]
    pub fn validate_events(
        &self,
        events_json: JsValue,
        now: JsValue,
        source: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (text, now, source) = read_batch(events_json, now, source)?;
        let (accepted, rejected) = self.check_events(&text, now, source)?;
        to_js(&Checked {
            accepted: accepted.iter().map(|e| e.index).collect(),
            rejected,
        })
    }

    /// `model.ingest(state, eventsJson, now?, source?)` → `{state,
    /// accepted, rejected, unscored, eventsTotal}`: adds a batch to a
    /// visitor's stored state (`null` for a new visitor); `state` is the new
    /// state's bytes to store. Throws `invalid_argument` (path `state`) for
    /// a state of another model or version.
    pub fn ingest(
        &self,
        state: JsValue,
        events_json: JsValue,
        now: JsValue,
        source: JsValue,
    ) -> Result<JsValue, JsValue> {
        let mut visitor = self.read_state(state)?;
        self.ingest_batch(&mut visitor, events_json, now, source, Always)
    }

    /// `model.restartState(state, now?)`: a state for this model from one
    /// stored under another model or format, started again from the events
    /// it still holds whole (its newest); the old sums cannot be re-read.
    #[wasm_bindgen(js_name = restartState)]
    pub fn restart_state(&self, state: JsValue, now: JsValue) -> Result<Vec<u8>, JsValue> {
        let state = state_bytes(&state)?.unwrap_or_default();
        let now = read_now(now)?;
        Ok(self.model.restart_state(&state, now).to_bytes())
    }

    /// `model.scoreState(state, profile, now?, options?)`: the visitor's
    /// score from its stored state, the same result `score()` gives for its
    /// whole history (the breakdown lists its newest events), plus its
    /// `summary`: what decisions read (`decide`'s `visitor.score`).
    #[wasm_bindgen(js_name = scoreState)]
    pub fn score_state(
        &self,
        state: JsValue,
        profile: JsValue,
        now: JsValue,
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let visitor = self.read_state(state)?;
        let profile = read_profile(profile)?;
        let now = read_now(now)?;
        let (options, _) = read_options(options)?;
        let result = self
            .model
            .score_state(&visitor, profile.as_ref(), now, &options)
            .map_err(|e| invalid_argument("state", &e.to_string()))?;
        to_js(&Scored {
            summary: result.summary(),
            result: &result,
        })
    }
}

/// A visitor's engagement state held in the core's memory between batches
/// (`model.openState(bytes)`), so the object that keeps a visitor reads its
/// stored bytes once, when it starts, rather than twice a batch (to ingest,
/// then to score): reading them is the dearest part of a batch (about 3×
/// ingesting one, benches/visitor_state.rs). Its stored form is still
/// written on each batch that changes it (`ingestInto` answers it), for
/// storage.
#[wasm_bindgen(js_name = VisitorEngagement)]
pub struct EngagementHandle {
    state: VisitorState,
}

#[wasm_bindgen(js_class = VisitorEngagement)]
impl EngagementHandle {
    /// The stored form (`model.ingest`'s `state`).
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.state.to_bytes()
    }

    /// Events the state holds in all.
    #[wasm_bindgen(getter, js_name = eventsTotal)]
    pub fn events_total(&self) -> f64 {
        // Exact up to 2^53 events.
        self.state.events() as f64
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Forwarded<'a> {
    summary: ForwardedScore<'a>,
    /// Why the visitor qualifies (or not), for the `Lead Qualified` signal.
    mql_reason: &'a str,
}

#[wasm_bindgen(js_class = Model)]
impl ModelHandle {
    /// `model.openState(state)`: a visitor's state to keep in the core
    /// between batches, from its stored bytes (`null` for a new visitor).
    /// Throws `invalid_argument` (path `state`) as `ingest` does.
    #[wasm_bindgen(js_name = openState)]
    pub fn open_state(&self, state: JsValue) -> Result<EngagementHandle, JsValue> {
        Ok(EngagementHandle {
            state: self.read_state(state)?,
        })
    }

    /// `model.ingestInto(engagement, eventsJson, now?, source?)` →
    /// `{accepted, rejected, unscored, eventsTotal, state?}`: `ingest` on a
    /// state held in the core, changed in place. `state` (the new stored
    /// bytes) is there when an event was taken; a batch with none leaves
    /// the state as it was. Text that is not JSON changes nothing.
    #[wasm_bindgen(js_name = ingestInto)]
    pub fn ingest_into(
        &self,
        engagement: &mut EngagementHandle,
        events_json: JsValue,
        now: JsValue,
        source: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.ingest_batch(&mut engagement.state, events_json, now, source, WhenTaken)
    }

    /// `model.forwardedScore(engagement, profile, now?)` → `{summary,
    /// mqlReason}`: the visitor's score from a state held in the core, as
    /// the edge stores and forwards it (`crate::score::forwarded`), without
    /// the per-rule totals it is cut from.
    #[wasm_bindgen(js_name = forwardedScore)]
    pub fn forwarded_score(
        &self,
        engagement: &EngagementHandle,
        profile: JsValue,
        now: JsValue,
    ) -> Result<JsValue, JsValue> {
        let profile = read_profile(profile)?;
        let now = read_now(now)?;
        let options = ScoreOptions::totals_only();
        let result = self
            .model
            .score_state(&engagement.state, profile.as_ref(), now, &options)
            .map_err(|e| invalid_argument("state", &e.to_string()))?;
        to_js(&Forwarded {
            summary: result.forwarded(),
            mql_reason: &result.mql.reason,
        })
    }
}

/// A score with the summary that decisions read, so the edge hands
/// `decide` exactly what the page builds from its own result.
#[derive(Serialize)]
struct Scored<'a> {
    #[serde(flatten)]
    result: &'a ScoreResult,
    summary: ScoreSummary,
}

/// When `ingest_batch` ingests and answers the new state's bytes.
#[derive(Clone, Copy, PartialEq)]
enum Update {
    /// Always (`ingest`: the caller stores what it is given).
    Always,
    /// Only when an event is taken (`ingestInto`: the state is held).
    WhenTaken,
}
use Update::{Always, WhenTaken};

/// A batch's arguments: its JSON text (refused past the limit), `now` and
/// the source.
fn read_batch(
    events_json: JsValue,
    now: JsValue,
    source: JsValue,
) -> Result<(String, Millis, EventSource), JsValue> {
    let text = read_events_text(events_json, MAX_EVENTS_PER_CALL, BATCH_HINT)?;
    Ok((
        text,
        read_now(now)?,
        source_or(&source, EventSource::Server)?,
    ))
}

impl ModelHandle {
    /// Validates a batch and ingests its events into `visitor`:
    /// `{accepted, rejected, unscored, eventsTotal, state?}`. Text that is
    /// not JSON changes nothing.
    fn ingest_batch(
        &self,
        visitor: &mut VisitorState,
        events_json: JsValue,
        now: JsValue,
        source: JsValue,
        update: Update,
    ) -> Result<JsValue, JsValue> {
        let (text, now, source) = read_batch(events_json, now, source)?;
        let (events, rejected) = self.check_events(&text, now, source)?;
        let changed = update == Always || !events.is_empty();
        let unscored = if changed {
            self.model
                .ingest(visitor, &events, now, source)
                .map_err(|e| invalid_argument("state", &e.to_string()))?
        } else {
            Vec::new()
        };
        let out = to_js(&Ingested {
            accepted: events.iter().map(|e| e.index).collect(),
            rejected,
            unscored,
            events_total: visitor.events(),
        })?;
        if changed {
            let bytes = js_sys::Uint8Array::from(visitor.to_bytes().as_slice());
            // Setting a property on a fresh plain object cannot fail.
            let _ = js_sys::Reflect::set(&out, &"state".into(), &bytes);
        }
        Ok(out)
    }

    /// The batch's text read straight into checked events (no `Value`
    /// tree); text that is not a JSON array is the `events` argument's
    /// error, with serde_json's message.
    fn check_events<'t>(
        &self,
        text: &'t str,
        now: Millis,
        source: EventSource,
    ) -> Result<(Vec<Event<'t>>, Vec<RejectedEvent>), JsValue> {
        self.model
            .validate_events_text(text, now, source)
            .map_err(|e| invalid_argument("events", &e.to_string()))
    }

    fn read_state(&self, bytes: JsValue) -> Result<VisitorState, JsValue> {
        match state_bytes(&bytes)? {
            None => Ok(self.model.new_state()),
            Some(bytes) => self
                .model
                .load_state_bytes(&bytes)
                .map_err(|e| invalid_argument("state", &e.to_string())),
        }
    }
}

/// A stored state argument: `null` or `undefined` for a new visitor, else
/// its bytes as a `Uint8Array` (or an `ArrayBuffer`). Read here rather than
/// by the glue, whose copy of a `Vec<u8>` argument takes any array-like
/// and overflows the stack on a nested one instead of refusing it.
fn state_bytes(value: &JsValue) -> Result<Option<Vec<u8>>, JsValue> {
    if value.is_null() || value.is_undefined() {
        return Ok(None);
    }
    if let Some(array) = value.dyn_ref::<js_sys::Uint8Array>() {
        return Ok(Some(array.to_vec()));
    }
    if let Some(buffer) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(Some(js_sys::Uint8Array::new(buffer).to_vec()));
    }
    Err(invalid_argument(
        "state",
        "expected the stored state as a Uint8Array, or null for a new visitor",
    ))
}
