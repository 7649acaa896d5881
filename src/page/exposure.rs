//! Exposures: the first time this visitor sees a slot whose decision came
//! from an experiment the page decided, an `Experiment Viewed`
//! track event goes into the normal event queue and `onExposure(experiment,
//! result)` is called: GrowthBook's `trackingCallback`, once per visitor and
//! experiment. The experiments already reported are kept in the stored
//! state, so a reload or the next page does not report them again.
//!
//! The edge reports the experiments it decided on the pages it personalizes
//! (slots it applied are not reported here); the visitor's Durable Object keeps the experiments it has forwarded
//! and drops a later `Experiment Viewed` for one of them, so page and edge
//! together still give the collector one.

use js_sys::Function;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::tracking::track_event;
use super::{get, Rt, Runtime};
use crate::wasm::invalid_argument;

/// The event name, Segment's and GrowthBook's.
pub const EVENT: &str = "Experiment Viewed";
/// Experiments remembered in the stored state; the oldest are forgotten
/// first (and would be reported again, which the edge then drops).
pub const MAX_EXPOSED: usize = 100;

/// One experiment shown: its key, the variation's index, the variant and
/// the slot.
struct Shown {
    key: String,
    index: u64,
    variant: String,
    slot: String,
}

/// The `onExposure` option and the calls waiting for no borrow to be held.
#[derive(Default)]
pub(super) struct Exposures {
    callback: Option<Function>,
    pending: Vec<Shown>,
}

/// Reads `options.onExposure`: absent, or a function.
pub(super) fn read_option(options: &JsValue) -> Result<Exposures, JsValue> {
    let value = get(options, "onExposure");
    if value.is_undefined() || value.is_null() {
        return Ok(Exposures::default());
    }
    if !value.is_function() {
        return Err(invalid_argument(
            "options.onExposure",
            "expected a function",
        ));
    }
    Ok(Exposures {
        callback: Some(value.unchecked_into()),
        pending: Vec::new(),
    })
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The experiment behind `decision` if it is the one for `slot` showing
/// `variant`.
fn shown(decision: &Value, slot: &str, variant: &str) -> Option<Shown> {
    let reason = decision.get("reason")?;
    if text(decision, "slot") != slot
        || text(decision, "variant") != variant
        || text(reason, "kind") != "experiment"
    {
        return None;
    }
    Some(Shown {
        key: reason.get("experiment")?.as_str()?.to_string(),
        index: reason.get("variationIndex").and_then(Value::as_u64)?,
        variant: variant.to_string(),
        slot: slot.to_string(),
    })
}

impl Runtime {
    /// Finds the experiments of the slots on the page now that this visitor
    /// has not been exposed to yet; [`fire`] reports them. Called after the
    /// slots show their decisions.
    pub(super) fn report_exposures(&mut self) {
        // Every applied slot was on the page when it was applied, which is
        // when it is first reported.
        let mut found: Vec<Shown> = Vec::new();
        let all = self.decisions.get("decisions").and_then(Value::as_array);
        // Slots the edge decided are the edge's to report.
        for a in self.applied.iter().filter(|a| !a.by_edge) {
            if let Some(s) = all
                .into_iter()
                .flatten()
                .find_map(|d| shown(d, &a.slot, &a.variant))
            {
                found.push(s);
            }
        }
        for s in found {
            if self
                .state
                .exposed
                .iter()
                .any(|k| k.as_str() == Some(&s.key))
            {
                continue;
            }
            self.state.exposed.push(Value::String(s.key.clone()));
            if self.state.exposed.len() > MAX_EXPOSED {
                self.state.exposed.remove(0);
            }
            self.exposure.pending.push(s);
        }
    }
}

fn put(map: &mut Map<String, Value>, key: &str, value: String) {
    map.insert(key.to_string(), Value::String(value));
}

/// Sends an `Experiment Viewed` event through the normal queue and calls
/// `onExposure` for each exposure [`Runtime::report_exposures`] found, with
/// no borrow held (the callback may call back into nurture).
pub(super) fn fire(rt: &Rt) {
    let (callback, pending) = {
        let mut r = rt.borrow_mut();
        if r.exposure.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut r.exposure.pending);
        (r.exposure.callback.clone(), pending)
    };
    for s in pending {
        // GrowthBook's documented Segment call: experimentId is the
        // experiment's key, variationId its result's `key` (the variation's
        // index as text); nurture adds the variant and slot.
        let index = s.index.to_string();
        let mut properties = Map::new();
        put(&mut properties, "experimentId", s.key.clone());
        put(&mut properties, "variationId", index.clone());
        put(&mut properties, "variant", s.variant.clone());
        put(&mut properties, "slot", s.slot.clone());
        track_event(rt, EVENT, properties);
        let Some(callback) = &callback else { continue };
        let mut experiment = Map::new();
        put(&mut experiment, "key", s.key);
        put(&mut experiment, "slot", s.slot);
        // GrowthBook's `Result`, in its names.
        let mut result = Map::new();
        put(&mut result, "key", index);
        result.insert("variationId".into(), Value::from(s.index));
        put(&mut result, "value", s.variant);
        // A throwing callback must not stop the others.
        let _ = callback.call2(
            &JsValue::NULL,
            &super::to_js(&Value::Object(experiment)),
            &super::to_js(&Value::Object(result)),
        );
    }
}
