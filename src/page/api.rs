//! What the page calls: `start`, the `Nurture` methods and `swapSlot`,
//! plus reading the stored state.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Reflect};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Storage, Window};

use super::config::{load_config, start_model};
use super::options::{read_options, ConsentMode};
use super::runtime::{make_timers, notify};
use super::slots::{self, SlotUndo};
use super::state::{ResetReason, Stored};
use super::tracking::{begin_page, install_listeners, track_event};
use super::transport::flush;
use super::{
    get, no_browser, now, random_id, to_js, warn, ConfigState, Nurture, Page, Rt, Runtime, CURRENT,
    ENVELOPE_BYTES, MAX_EVENT_BYTES,
};
use crate::delivery::Backoff;
use crate::score::event::MAX_NAME_LEN;
use crate::wasm::{from_js, invalid_argument};

/// Starts nurture on this page: `start({config?, model?, endpoint?,
/// consent?, reapply?, storageKey?, antiFlickerMs?, hiddenAt?, autoTrack?,
/// request?, batchMs?})`. `config` is the site's personalization config or
/// the edge's config document (`GET /v1/config`): an object, a URL to fetch
/// it from, or a promise of it. A second `start` stops the first runtime.
#[wasm_bindgen(js_name = start)]
pub fn start(options: JsValue) -> Result<Nurture, JsValue> {
    if let Some(previous) = CURRENT.with(|c| c.borrow_mut().take()) {
        stop_runtime(&previous);
    }
    let opts = read_options(&options)?;
    let window = web_sys::window().ok_or_else(no_browser)?;
    let document = window.document().ok_or_else(no_browser)?;
    let (model, explicit_model) = start_model(get(&options, "model"))?;
    // Sandboxed frames and some privacy modes throw on localStorage access:
    // then the state lives in memory only.
    let storage = window.local_storage().ok().flatten();
    let (stored, reset) = load(storage.as_ref(), &opts.key)?;
    let opted_out = storage
        .as_ref()
        .and_then(|s| s.get_item(&opt_out_key(&opts.key)).ok().flatten())
        .is_some();
    let gpc = get(&window.navigator(), "globalPrivacyControl").as_bool() == Some(true);
    let consent =
        stored.consent == Some(true) || (opts.mode == ConsentMode::Implied && !gpc && !opted_out);
    let edge = slots::edge_applied(&document);
    let cross_origin = opts
        .endpoint
        .as_deref()
        .is_some_and(|e| is_cross_origin(&window, e));
    let rt: Rt = Rc::new(RefCell::new(Runtime {
        window,
        document,
        storage,
        options: opts,
        cross_origin,
        model,
        personalizer: None,
        config_state: ConfigState::Loading,
        state: stored,
        consent,
        gpc,
        reset,
        score: Value::Null,
        decisions: Value::Null,
        applied: Vec::new(),
        pinned: Vec::new(),
        config_version: None,
        config_error: None,
        dropped: 0,
        edge,
        gave_up: false,
        page: Page::default(),
        callbacks: Vec::new(),
        exposure: super::exposure::read_option(&options)?,
        next_callback: 1,
        listeners: Vec::new(),
        history: Vec::new(),
        timer_cbs: Vec::new(),
        give_up_timer: None,
        flush_timer: None,
        tick_timer: None,
        in_flight: Vec::new(),
        graveyard: Vec::new(),
        backoff: Backoff::default(),
        stopped: false,
    }));
    make_timers(&rt);
    {
        let mut r = rt.borrow_mut();
        if let Some(reason) = r.reset {
            // Reported once: the fresh state replaces the bad one now, so
            // the next page load finds nothing to report.
            let mut msg = String::from("nurture: the stored visitor state was reset (");
            msg.push_str(reason.as_str());
            msg.push(')');
            warn(&msg);
        }
        r.save();
        if r.consent {
            slots::mark_pending(&r.document, &r.edge);
            let elapsed = r.options.hidden_at.map_or(0.0, |t| (now() - t).max(0.0));
            let wait = (r.options.anti_flicker_ms - elapsed).max(0.0);
            r.set_timer(0, wait as i32);
        } else {
            slots::clear_pending(&r.document);
        }
    }
    load_config(&rt, get(&options, "config"), explicit_model)?;
    let auto = rt.borrow().options.auto_track;
    if auto {
        install_listeners(&rt);
        begin_page(&rt, None, false);
    } else {
        let mut r = rt.borrow_mut();
        r.read_page();
        r.refresh();
        r.apply_all();
    }
    CURRENT.with(|c| *c.borrow_mut() = Some(rt.clone()));
    notify(&rt);
    Ok(Nurture { rt })
}

/// Whether `endpoint` (absolute, or relative to the page) is on another
/// origin than the page, as the browser's `URL` resolves it. When that
/// cannot be told, it counts as another origin: sending the token where the
/// cookie would have done is harmless, losing the visitor is not.
fn is_cross_origin(window: &Window, endpoint: &str) -> bool {
    let here = window.location().origin().ok();
    let base = window.location().href().ok();
    let origin = get(&js_sys::global(), "URL")
        .dyn_into::<Function>()
        .ok()
        .and_then(|url| {
            let args = js_sys::Array::of2(
                &JsValue::from_str(endpoint),
                &base.map_or(JsValue::UNDEFINED, |b| JsValue::from_str(&b)),
            );
            Reflect::construct(&url, &args).ok()
        })
        .and_then(|u| get(&u, "origin").as_string());
    match (here, origin) {
        (Some(here), Some(there)) => here != there,
        _ => true,
    }
}

/// The properties of a `track`, `page` or `identify` call, refused when
/// the event would be larger than the edge takes ([`MAX_EVENT_BYTES`]):
/// the page would keep and score what the edge then drops.
fn read_properties(
    value: JsValue,
    what: &str,
    name_len: usize,
) -> Result<Map<String, Value>, JsValue> {
    let map = match from_js(value, what)? {
        Value::Null => Map::new(),
        Value::Object(map) => map,
        _ => return Err(invalid_argument(what, "expected an object")),
    };
    let bytes = serde_json::to_string(&map).map_or(usize::MAX, |t| t.len());
    let total = bytes
        .saturating_add(name_len)
        .saturating_add(ENVELOPE_BYTES);
    if total > MAX_EVENT_BYTES {
        return Err(invalid_argument(
            what,
            "the event would be over 4096 bytes as JSON, the most the edge takes (MAX_EVENT_BYTES)",
        ));
    }
    Ok(map)
}

fn opt_out_key(key: &str) -> String {
    let mut k = String::from(key);
    k.push_str(":optout");
    k
}

/// Reads the stored state; anything unreadable is removed and reported.
fn load(storage: Option<&Storage>, key: &str) -> Result<(Stored, Option<ResetReason>), JsValue> {
    let text = storage.and_then(|s| s.get_item(key).ok().flatten());
    let Some(text) = text else {
        return Ok((Stored::new(random_id()?), None));
    };
    match Stored::parse(&text) {
        Ok(stored) => Ok((stored, None)),
        Err(reason) => {
            if let Some(s) = storage {
                let _ = s.remove_item(key);
            }
            Ok((Stored::new(random_id()?), Some(reason)))
        }
    }
}

fn stop_runtime(rt: &Rt) {
    let mut r = rt.borrow_mut();
    r.stopped = true;
    for (target, kind, capture, closure) in r.listeners.drain(..) {
        let _ = target.remove_event_listener_with_callback_and_bool(
            kind,
            closure.as_ref().unchecked_ref(),
            capture,
        );
    }
    for (history, name, original, _hook) in r.history.drain(..) {
        let _ = Reflect::set(&history, &JsValue::from_str(name), &original);
    }
    for t in [r.give_up_timer.take(), r.flush_timer.take()]
        .into_iter()
        .flatten()
    {
        r.window.clear_timeout_with_handle(t);
    }
    if let Some(t) = r.tick_timer.take() {
        r.window.clear_interval_with_handle(t);
    }
}

#[wasm_bindgen]
impl Nurture {
    /// Same as the `start()` function.
    pub fn start(options: JsValue) -> Result<Nurture, JsValue> {
        start(options)
    }

    /// `track(event, properties?)`: a named action (`"Demo Requested"`).
    pub fn track(&self, event: String, properties: JsValue) -> Result<(), JsValue> {
        if event.trim().is_empty() {
            return Err(invalid_argument("event", "expected an event name"));
        }
        if event.len() > MAX_NAME_LEN {
            return Err(invalid_argument("event", "longer than 200 characters"));
        }
        let props = read_properties(properties, "properties", event.len())?;
        track_event(&self.rt, &event, props);
        Ok(())
    }

    /// `page(properties?)`: a page view now. Returns `false` when it is the
    /// page view already recorded for this URL (see `begin_page`).
    pub fn page(&self, properties: JsValue) -> Result<bool, JsValue> {
        let extra = match properties.is_undefined() || properties.is_null() {
            true => None,
            false => Some(read_properties(properties, "properties", 0)?),
        };
        Ok(begin_page(&self.rt, extra, true))
    }

    /// `identify(traits)`: what the visitor told us (a form), merged into
    /// the profile that fit is scored on.
    pub fn identify(&self, traits: JsValue) -> Result<(), JsValue> {
        if !traits.is_object() {
            return Err(invalid_argument("traits", "expected an object"));
        }
        let traits = read_properties(traits, "traits", 0)?;
        {
            let mut r = self.rt.borrow_mut();
            for (k, v) in &traits {
                r.state.profile.insert(k.clone(), v.clone());
            }
            let mut event = Map::new();
            event.insert("type".into(), Value::String("identify".into()));
            event.insert("traits".into(), Value::Object(traits));
            r.record(event, true);
        }
        notify(&self.rt);
        Ok(())
    }

    /// The visitor's current score (a `score()` result with breakdown).
    pub fn score(&self) -> JsValue {
        to_js(&self.rt.borrow().score)
    }

    /// The current slot decisions (`decide()`'s result), `null` before the
    /// config arrives or without consent.
    pub fn decisions(&self) -> JsValue {
        to_js(&self.rt.borrow().decisions)
    }

    /// Everything at once: `{visitorId, consent, globalPrivacyControl,
    /// reset, score, decisions, applied, page, events, unsent}`.
    pub fn state(&self) -> JsValue {
        to_js(&self.rt.borrow().snapshot())
    }

    /// `onChange(cb)`: `cb(state)` at once, before `onChange` returns, with
    /// the current state, then after every event, consent change and
    /// decision. Returns a function that unsubscribes.
    #[wasm_bindgen(js_name = onChange)]
    pub fn on_change(&self, cb: Function) -> JsValue {
        let (id, now) = {
            let mut r = self.rt.borrow_mut();
            let id = r.next_callback;
            r.next_callback += 1;
            r.callbacks.push((id, cb.clone()));
            (id, to_js(&r.snapshot()))
        };
        // No borrow is held: the listener may call back into nurture. A
        // throwing listener is ignored, as it is on every later change.
        let _ = cb.call1(&JsValue::NULL, &now);
        let w = Rc::downgrade(&self.rt);
        Closure::once_into_js(move || {
            if let Some(rt) = w.upgrade() {
                rt.borrow_mut().callbacks.retain(|(i, _)| *i != id);
            }
        })
    }

    /// `consent(true)` stores and sends from now on, and personalizes.
    /// `consent(false)` undoes every swap, clears the stored state (a new
    /// visitor id next time) and remembers the refusal.
    pub fn consent(&self, granted: bool) {
        {
            let mut r = self.rt.borrow_mut();
            let opt_out = opt_out_key(&r.options.key);
            if granted {
                r.consent = true;
                r.state.consent = Some(true);
                if let Some(s) = &r.storage {
                    let _ = s.remove_item(&opt_out);
                }
                r.save();
                r.refresh();
                r.gave_up = false;
                r.apply_all();
            } else {
                r.consent = false;
                r.undo_all();
                r.pinned.clear();
                slots::clear_pending(&r.document);
                if let Some(s) = &r.storage {
                    let _ = s.remove_item(&r.options.key);
                    let _ = s.set_item(&opt_out, "1");
                }
                if let Ok(id) = random_id() {
                    r.state = Stored::new(id);
                }
                r.page.message_id = None;
                r.refresh();
            }
        }
        if granted {
            flush(&self.rt, false);
        }
        notify(&self.rt);
    }

    /// Sends what is waiting now instead of at the next batch.
    pub fn flush(&self) {
        flush(&self.rt, false);
    }

    /// Removes every listener and timer (swaps stay as they are).
    pub fn stop(&self) {
        stop_runtime(&self.rt);
        CURRENT.with(|c| {
            let mut c = c.borrow_mut();
            if c.as_ref().is_some_and(|cur| Rc::ptr_eq(cur, &self.rt)) {
                *c = None;
            }
        });
    }

    #[wasm_bindgen(getter, js_name = visitorId)]
    pub fn visitor_id(&self) -> String {
        self.rt.borrow().state.id.clone()
    }
}

/// `swapSlot(element, decision)`: applies one decision to one element and
/// returns its undo (`undefined` when the decision keeps the default).
///
/// The element arrives as a plain value and is checked here: a typed
/// `Element` parameter would let a wrong argument fail inside the glue with
/// an uncoded `TypeError`.
#[wasm_bindgen(js_name = swapSlot)]
pub fn swap_slot(element: JsValue, decision: JsValue) -> Result<Option<SlotUndo>, JsValue> {
    let element: &Element = element
        .dyn_ref()
        .ok_or_else(|| invalid_argument("element", "expected a DOM element"))?;
    let doc = element.owner_document().ok_or_else(no_browser)?;
    slots::swap(&doc, element, &from_js(decision, "decision")?)
}
