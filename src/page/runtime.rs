//! The runtime's plumbing: timers, saving the state, recording events,
//! scoring and deciding, applying decisions to the slots, telling the
//! `onChange` listeners.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::Function;
use serde_json::{json, Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

use super::options::Reapply;
use super::slots;
use super::state::ResetReason;
use super::transport::flush;
use super::{now, reencode, to_js, warn, Applied, ConfigState, Rt, Runtime, TICK_MS};
use crate::delivery::message_id;
use crate::personalize::{Tables, Visitor};
use crate::score::{EventSource, ScoreOptions};

/// Timer callbacks, made once: 0 gives up the anti-flicker wait, 1 flushes
/// the outbox, 2 folds dwell time in.
pub(super) fn make_timers(rt: &Rt) {
    let w: Weak<RefCell<Runtime>> = Rc::downgrade(rt);
    let give_up = {
        let w = w.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(rt) = w.upgrade() {
                let mut r = rt.borrow_mut();
                r.give_up_timer = None;
                r.give_up();
            }
        })
    };
    let flush_cb = {
        let w = w.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(rt) = w.upgrade() {
                {
                    let mut r = rt.borrow_mut();
                    r.flush_timer = None;
                    // Handlers of finished requests are dropped here, never
                    // inside themselves.
                    r.graveyard.clear();
                }
                flush(&rt, false);
            }
        })
    };
    let tick = Closure::<dyn FnMut()>::new(move || {
        if let Some(rt) = w.upgrade() {
            let changed = {
                let mut r = rt.borrow_mut();
                r.fold_dwell()
            };
            if changed {
                rt.borrow_mut().refresh();
                notify(&rt);
            }
        }
    });
    let mut r = rt.borrow_mut();
    r.timer_cbs = vec![give_up, flush_cb, tick];
    if let Some(cb) = r.timer_cbs.get(2) {
        r.tick_timer = r
            .window
            .set_interval_with_callback_and_timeout_and_arguments_0(
                cb.as_ref().unchecked_ref(),
                TICK_MS,
            )
            .ok();
    }
}

impl Runtime {
    pub(super) fn set_timer(&mut self, which: usize, ms: i32) {
        if self.stopped {
            return;
        }
        let Some(cb) = self.timer_cbs.get(which) else {
            return;
        };
        let handle = self
            .window
            .set_timeout_with_callback_and_timeout_and_arguments_0(cb.as_ref().unchecked_ref(), ms)
            .ok();
        match which {
            0 => self.give_up_timer = handle,
            _ => self.flush_timer = handle,
        }
    }

    pub(super) fn save(&mut self) {
        if !self.consent {
            return;
        }
        if let Some(storage) = &self.storage {
            let text = self.state.to_text();
            // A full quota only means this visit is not remembered.
            let _ = storage.set_item(&self.options.key, &text);
        }
    }

    /// Anti-flicker gave up (or the config failed): show the defaults, and
    /// do not swap content under the reader's eyes later on this page.
    pub(super) fn give_up(&mut self) {
        if let Some(t) = self.give_up_timer.take() {
            self.window.clear_timeout_with_handle(t);
        }
        if self.config_state != ConfigState::Ready {
            self.gave_up = true;
        }
        slots::clear_pending(&self.document);
    }

    fn next_message_id(&mut self) -> String {
        let mut id = self.state.id.clone();
        id.push('-');
        id.push_str(&self.state.seq.to_string());
        self.state.seq += 1;
        id
    }

    fn envelope(&mut self, mut event: Map<String, Value>) -> Map<String, Value> {
        event.insert("messageId".into(), Value::String(self.next_message_id()));
        event.insert("anonymousId".into(), Value::String(self.state.id.clone()));
        event.insert("timestamp".into(), json!(now().round()));
        event
    }

    /// Records an event: kept for scoring, queued for the edge (unless held
    /// back: the page event waits for its dwell time), stored, re-scored.
    pub(super) fn record(&mut self, event: Map<String, Value>, queue: bool) -> String {
        let event = self.envelope(event);
        let id = message_id(&Value::Object(event.clone()))
            .unwrap_or_default()
            .to_string();
        let send = queue && self.options.endpoint.is_some();
        let dropped = self.state.push_event(Value::Object(event), send);
        if dropped > 0 {
            if self.dropped == 0 {
                warn("nurture: the outbox is full (300 unsent events); the oldest are dropped");
            }
            self.dropped += dropped as u64;
        }
        self.save();
        self.refresh();
        if send {
            self.schedule_flush();
        }
        id
    }

    fn schedule_flush(&mut self) {
        if self.flush_timer.is_none() && self.consent {
            let ms = self.options.batch_ms;
            self.set_timer(1, ms);
        }
    }

    /// Score and decisions from the current state. Scored as the browser
    /// that reported every event, as the edge scores what a page posts: a
    /// rule that counts only server-reported events scores 0 here too.
    pub(super) fn refresh(&mut self) {
        let at = crate::time::from_f64(now()).unwrap_or(0);
        let result = self.model.score(
            Some(&self.state.profile),
            &self.state.events,
            at,
            &ScoreOptions {
                breakdown: true,
                source: EventSource::Browser,
            },
        );
        let summary = result.summary();
        self.score = reencode(&result);
        let before = std::mem::take(&mut self.decisions);
        self.decisions = match (&self.personalizer, self.consent) {
            (Some(p), true) => {
                let visitor = Visitor {
                    id: self.state.id.clone(),
                    ip: None,
                    request: self.options.request.clone(),
                    profile: Some(self.state.profile.clone()),
                    score: Some(summary),
                    page: Some(self.page.attrs.clone()),
                    seen: Vec::new(),
                };
                reencode(&p.decide(&visitor, &Tables::default()))
            }
            _ => Value::Null,
        };
        if self.options.reapply == Reapply::Immediate && self.decisions != before {
            self.apply_all();
        }
    }

    /// Swaps every slot to its decision, unless the edge did it already,
    /// it already shows that variant, or anti-flicker gave up on this page
    /// (which `reapply: "immediate"` overrides: it follows the decisions).
    /// With `reapply: "never"`, a slot shows the decision it was first
    /// swapped to on this page load, whatever the decisions say now.
    pub(super) fn apply_all(&mut self) {
        let gave_up = self.gave_up && self.options.reapply != Reapply::Immediate;
        if !self.consent || gave_up || self.config_state != ConfigState::Ready {
            if self.config_state != ConfigState::Loading || !self.consent {
                slots::clear_pending(&self.document);
            }
            return;
        }
        let list = self
            .decisions
            .get("decisions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for el in slots::slot_elements(&self.document) {
            let id = slots::slot_id(&el);
            if let Some(edge) = self.edge.iter().find(|e| e.slot == id) {
                if !self.applied.iter().any(|a| a.slot == id && a.by_edge) {
                    // What the edge left to the page is rendered here, once.
                    let undo = match &edge.render {
                        Some(decision) => match slots::swap(&self.document, &el, decision) {
                            Ok(undo) => undo,
                            Err(_) => {
                                warn("nurture: a slot could not be swapped; it keeps its default");
                                None
                            }
                        },
                        None => None,
                    };
                    self.applied.push(Applied {
                        slot: id.clone(),
                        variant: edge.variant.clone(),
                        by_edge: true,
                        undo,
                    });
                }
                continue;
            }
            let pinned = self
                .pinned
                .iter()
                .find(|(s, _)| *s == id)
                .map(|(_, d)| d.clone());
            let first = pinned.is_none();
            let Some(decision) = pinned.or_else(|| {
                list.iter()
                    .find(|d| d.get("slot").and_then(Value::as_str) == Some(id.as_str()))
                    .cloned()
            }) else {
                continue;
            };
            if self.options.reapply == Reapply::Never && first {
                self.pinned.push((id.clone(), decision.clone()));
            }
            let variant = decision
                .get("variant")
                .and_then(Value::as_str)
                .unwrap_or("default");
            let current = el.get_attribute(slots::APPLIED_ATTR);
            if current.as_deref() == Some(variant) {
                continue;
            }
            if current.is_some() {
                self.undo_element(&el);
            }
            match slots::swap(&self.document, &el, &decision) {
                Ok(undo) => self.applied.push(Applied {
                    slot: id,
                    variant: variant.to_string(),
                    by_edge: false,
                    undo,
                }),
                Err(_) => warn("nurture: a slot could not be swapped; it keeps its default"),
            }
        }
        if let Some(t) = self.give_up_timer.take() {
            self.window.clear_timeout_with_handle(t);
        }
        slots::clear_pending(&self.document);
        self.report_exposures();
    }

    fn undo_element(&mut self, el: &Element) {
        if let Some(pos) = self
            .applied
            .iter()
            .position(|a| a.undo.as_ref().is_some_and(|u| &u.element() == el))
        {
            let mut a = self.applied.remove(pos);
            if let Some(u) = a.undo.as_mut() {
                u.undo();
            }
        }
    }

    pub(super) fn undo_all(&mut self) {
        // Newest first, so nested swaps unwind in order.
        while let Some(mut a) = self.applied.pop() {
            if let Some(u) = a.undo.as_mut() {
                u.undo();
            }
        }
    }

    pub(super) fn snapshot(&self) -> Value {
        let applied: Vec<Value> = self
            .applied
            .iter()
            .map(|a| json!({"slot": a.slot, "variant": a.variant, "by": if a.by_edge { "edge" } else { "browser" }}))
            .collect();
        json!({
            "visitorId": self.state.id,
            "consent": self.consent,
            "globalPrivacyControl": self.gpc,
            "reset": self.reset.map(ResetReason::as_str),
            "score": self.score,
            "decisions": self.decisions,
            "applied": applied,
            "page": self.page.attrs,
            "events": self.state.events.len(),
            "unsent": self.state.outbox.len(),
            "dropped": self.dropped,
            "configVersion": self.config_version,
            "configError": self.config_error.as_ref().map(|e| json!({"code": e.code, "message": e.message})),
        })
    }
}

/// Tells every `onChange` listener; no borrow is held while they run, so
/// they may call back into nurture.
pub(super) fn notify(rt: &Rt) {
    super::exposure::fire(rt);
    let (callbacks, snapshot) = {
        let r = rt.borrow();
        if r.callbacks.is_empty() {
            return;
        }
        let cbs: Vec<Function> = r.callbacks.iter().map(|(_, f)| f.clone()).collect();
        (cbs, to_js(&r.snapshot()))
    };
    for cb in callbacks {
        // A throwing listener must not stop the others.
        let _ = cb.call1(&JsValue::NULL, &snapshot);
    }
}
