//! The browser runtime: what a page gets when it embeds nurture.
//!
//! ```js
//! import init, { start } from "/pkg/browser/nurture.js";
//! await init();
//! const nurture = start({ config: "/nurture/site-config.json", endpoint: "https://edge.example",
//!                         consent: "required" });
//! nurture.onChange(({ score, decisions }) => render(score));
//! nurture.consent(true);           // after the visitor agreed
//! nurture.track("Demo Requested", { plan: "business" });
//! ```
//!
//! It keeps the visitor's state in `localStorage` ([`state`]), scores it
//! with the core on every event (as a browser source, like the edge scores
//! what a page posts: rules with `"source": "server"` give 0), asks the core which variant each slot
//! shows and applies that to the page ([`slots`]), tracks what the visitor
//! does, and sends events in batches to the edge. Only this module touches
//! the DOM; every decision comes from the core.
//!
//! Consent: with `consent: "required"`, or when the browser sends the
//! Global Privacy Control signal, nothing is stored or sent and nothing is
//! personalized until `consent(true)`. `consent(false)` undoes every swap,
//! clears the stored state and remembers the refusal.
//!
//! Identity at the edge: when `endpoint` is the page's own origin (the
//! worker fronts the site), the worker's first-party cookie names the
//! visitor, as it always did. When it is another origin, that cookie is a
//! third-party one that many browsers block, so the runtime keeps the signed
//! token the worker answers with (`x-nurture-visitor`) in the stored state
//! and sends it back: as that request header on `fetch`, and as the body's
//! `visitorToken` on `sendBeacon` (which cannot set headers).

pub mod slots;
pub mod state;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::{Function, Object, Promise, Reflect};
use serde_json::{json, Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, EventTarget, RequestInit, Storage, Window};

use super::{from_js, invalid_argument, IntoJsResult};
use crate::personalize::{Personalizer, Tables, Visitor};
use crate::score::{EventSource, Model, ScoreOptions};
use slots::SlotUndo;
use state::{message_id, valid_token, ResetReason, Stored};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console)]
    fn warn(message: &str);
}

const DEFAULT_KEY: &str = "nurture";
/// The worker's visitor token header, on its answers and our requests.
const TOKEN_HEADER: &str = "x-nurture-visitor";
/// The longest slots may stay hidden, whatever the options say.
const MAX_ANTI_FLICKER_MS: f64 = 300.0;
const BATCH_SIZE: usize = 50;
/// Dwell time is folded into the current page event this often.
const TICK_MS: i32 = 5_000;
const RETRY_FIRST_MS: f64 = 2_000.0;
const RETRY_MAX_MS: f64 = 60_000.0;
const MAX_PAGE_TAGS: usize = 20;
const DOWNLOAD_EXTENSIONS: &[&str] = &[
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".zip", ".csv", ".epub", ".key",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum ConsentMode {
    /// Track unless the visitor refused or sends Global Privacy Control.
    Implied,
    /// Wait for `consent(true)`.
    Required,
}

struct Options {
    endpoint: Option<String>,
    mode: ConsentMode,
    key: String,
    anti_flicker_ms: f64,
    hidden_at: Option<f64>,
    auto_track: bool,
    request: Option<Map<String, Value>>,
    batch_ms: i32,
}

#[derive(Default)]
struct Page {
    message_id: Option<String>,
    /// `pathname + search`, to tell a real navigation from a replaceState.
    location: String,
    attrs: Map<String, Value>,
    tags: Vec<String>,
    visible_since: Option<f64>,
    dwell_ms: f64,
    max_scroll: f64,
    /// The page event goes to the outbox when the page ends (or is hidden),
    /// with its dwell time, so the edge scores what the page scored.
    queued: bool,
}

struct Applied {
    slot: String,
    variant: String,
    by_edge: bool,
    undo: Option<SlotUndo>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ConfigState {
    Loading,
    Ready,
    Failed,
}

struct Batch {
    ids: Vec<String>,
    /// The local visitor id and the token the batch went out with: an
    /// answer may only update (or drop) the token of the visitor it was
    /// sent for, not of the one that replaced it after `consent(false)`.
    anon: String,
    token: Option<String>,
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

type Listener = (EventTarget, &'static str, bool, Closure<dyn FnMut(Event)>);
type HistoryHook = Closure<dyn FnMut(JsValue, JsValue, JsValue) -> JsValue>;

struct Runtime {
    window: Window,
    document: Document,
    storage: Option<Storage>,
    options: Options,
    /// The endpoint is on another origin than the page: its cookie cannot
    /// be relied on, the stored token carries the identity.
    cross_origin: bool,
    model: Model,
    personalizer: Option<Personalizer>,
    config_state: ConfigState,
    state: Stored,
    consent: bool,
    gpc: bool,
    reset: Option<ResetReason>,
    score: Value,
    decisions: Value,
    applied: Vec<Applied>,
    edge: Vec<slots::EdgeDecision>,
    gave_up: bool,
    page: Page,
    callbacks: Vec<(u32, Function)>,
    next_callback: u32,
    listeners: Vec<Listener>,
    history: Vec<(JsValue, &'static str, Function, HistoryHook)>,
    timer_cbs: Vec<Closure<dyn FnMut()>>,
    give_up_timer: Option<i32>,
    flush_timer: Option<i32>,
    tick_timer: Option<i32>,
    in_flight: Vec<Batch>,
    graveyard: Vec<Closure<dyn FnMut(JsValue)>>,
    retry_ms: f64,
    stopped: bool,
}

type Rt = Rc<RefCell<Runtime>>;

thread_local! {
    static CURRENT: RefCell<Option<Rt>> = const { RefCell::new(None) };
}

/// A started runtime. `start(options)` returns it.
#[wasm_bindgen]
pub struct Nurture {
    rt: Rt,
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// `promise.then(ok, err)` on any thenable.
fn then2(promise: &JsValue, ok: &JsValue, err: &JsValue) -> JsValue {
    match get(promise, "then").dyn_into::<Function>() {
        Ok(then) => then.call2(promise, ok, err).unwrap_or(JsValue::UNDEFINED),
        Err(_) => JsValue::UNDEFINED,
    }
}

/// A result as a JSON value. Through text rather than `serde_json::to_value`:
/// the text serializers of these types are in the build already (`to_js`),
/// and a second, `Value`-building copy of them cost 13 KB of wasm.
fn reencode<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_string(value)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

fn to_js(value: &Value) -> JsValue {
    super::to_js(value).unwrap_or(JsValue::NULL)
}

fn no_browser() -> JsValue {
    invalid_argument(
        "",
        "nurture's browser runtime needs a window and a document",
    )
}

/// A random 128-bit visitor id as 32 hex digits, from the browser's crypto.
pub fn random_id() -> Result<String, JsValue> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|_| invalid_argument("", "crypto.getRandomValues is not available"))?;
    let mut id = String::with_capacity(32);
    for b in bytes {
        for nibble in [b >> 4, b & 15] {
            id.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    Ok(id)
}

fn read_options(options: &JsValue) -> Result<Options, JsValue> {
    let text = |key: &str| get(options, key).as_string().filter(|s| !s.is_empty());
    let mode = match text("consent").as_deref() {
        None | Some("implied") | Some("granted") => ConsentMode::Implied,
        Some("required") => ConsentMode::Required,
        Some(_) => {
            return Err(invalid_argument(
                "options.consent",
                "expected \"required\" or \"implied\"",
            ))
        }
    };
    let request = match from_js(get(options, "request"), "options.request")? {
        Value::Object(map) => Some(map),
        _ => None,
    };
    let anti_flicker_ms = get(options, "antiFlickerMs")
        .as_f64()
        .unwrap_or(MAX_ANTI_FLICKER_MS)
        .clamp(0.0, MAX_ANTI_FLICKER_MS);
    Ok(Options {
        endpoint: text("endpoint").map(|e| e.trim_end_matches('/').to_string()),
        mode,
        key: text("storageKey").unwrap_or_else(|| DEFAULT_KEY.to_string()),
        anti_flicker_ms,
        hidden_at: get(options, "hiddenAt").as_f64(),
        auto_track: get(options, "autoTrack").as_bool().unwrap_or(true),
        request,
        batch_ms: get(options, "batchMs")
            .as_f64()
            .map_or(1000, |ms| ms.clamp(0.0, 60_000.0) as i32),
    })
}

/// Starts nurture on this page: `start({config?, model?, endpoint?,
/// consent?, storageKey?, antiFlickerMs?, hiddenAt?, autoTrack?, request?,
/// batchMs?})`. `config` is the site's personalization config: an object, a
/// URL to fetch it from, or a promise of it. A second `start` stops the
/// first runtime.
#[wasm_bindgen(js_name = start)]
pub fn start(options: JsValue) -> Result<Nurture, JsValue> {
    if let Some(previous) = CURRENT.with(|c| c.borrow_mut().take()) {
        stop_runtime(&previous);
    }
    let opts = read_options(&options)?;
    let window = web_sys::window().ok_or_else(no_browser)?;
    let document = window.document().ok_or_else(no_browser)?;
    let model = match from_js(get(&options, "model"), "options.model")? {
        Value::Null => Model::default_model(),
        doc => Model::from_value(doc).into_js()?,
    };
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
        edge,
        gave_up: false,
        page: Page::default(),
        callbacks: Vec::new(),
        next_callback: 1,
        listeners: Vec::new(),
        history: Vec::new(),
        timer_cbs: Vec::new(),
        give_up_timer: None,
        flush_timer: None,
        tick_timer: None,
        in_flight: Vec::new(),
        graveyard: Vec::new(),
        retry_ms: RETRY_FIRST_MS,
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
    load_config(&rt, get(&options, "config"))?;
    let auto = rt.borrow().options.auto_track;
    if auto {
        install_listeners(&rt);
        begin_page(&rt, JsValue::UNDEFINED);
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

/// The config may be an object, a URL or a promise; slots wait for it
/// (hidden at most `antiFlickerMs`).
fn load_config(rt: &Rt, config: JsValue) -> Result<(), JsValue> {
    if config.is_undefined() || config.is_null() {
        rt.borrow_mut().config_state = ConfigState::Failed;
        return Ok(());
    }
    let promise = if let Some(url) = config.as_string() {
        let window = rt.borrow().window.clone();
        let json = Closure::once_into_js(|resp: JsValue| -> JsValue {
            let ok = get(&resp, "ok").as_bool() == Some(true);
            match (ok, get(&resp, "json").dyn_into::<Function>()) {
                (true, Ok(f)) => f.call0(&resp).unwrap_or(JsValue::NULL),
                _ => Promise::reject(&JsValue::from_str("config request failed")).into(),
            }
        });
        then2(
            &window.fetch_with_str(&url).into(),
            &json,
            &JsValue::UNDEFINED,
        )
    } else if get(&config, "then").is_function() {
        config
    } else {
        let p = Personalizer::from_value(from_js(config, "options.config")?).into_js()?;
        let mut r = rt.borrow_mut();
        r.personalizer = Some(p);
        r.config_state = ConfigState::Ready;
        return Ok(());
    };
    let weak = Rc::downgrade(rt);
    let weak2 = weak.clone();
    let ok = Closure::once_into_js(move |value: JsValue| {
        let Some(rt) = weak.upgrade() else { return };
        let compiled = from_js(value, "config")
            .ok()
            .and_then(|v| Personalizer::from_value(v).ok());
        {
            let mut r = rt.borrow_mut();
            match compiled {
                Some(p) => {
                    r.personalizer = Some(p);
                    r.config_state = ConfigState::Ready;
                    r.refresh();
                    r.apply_all();
                }
                None => {
                    warn("nurture: the site config is not valid; slots keep their defaults");
                    r.config_state = ConfigState::Failed;
                    r.give_up();
                }
            }
        }
        notify(&rt);
    });
    let failed = Closure::once_into_js(move |_: JsValue| {
        let Some(rt) = weak2.upgrade() else { return };
        warn("nurture: the site config could not be loaded; slots keep their defaults");
        let mut r = rt.borrow_mut();
        r.config_state = ConfigState::Failed;
        r.give_up();
    });
    then2(&promise, &ok, &failed);
    Ok(())
}

/// Timer callbacks, made once: 0 gives up the anti-flicker wait, 1 flushes
/// the outbox, 2 folds dwell time in.
fn make_timers(rt: &Rt) {
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
    fn set_timer(&mut self, which: usize, ms: i32) {
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

    fn save(&mut self) {
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
    fn give_up(&mut self) {
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
    fn record(&mut self, event: Map<String, Value>, queue: bool) -> String {
        let event = self.envelope(event);
        let id = message_id(&Value::Object(event.clone()))
            .unwrap_or_default()
            .to_string();
        let send = queue && self.options.endpoint.is_some();
        self.state.push_event(Value::Object(event), send);
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
    fn refresh(&mut self) {
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
        self.score = reencode(&result);
        self.decisions = match (&self.personalizer, self.consent) {
            (Some(p), true) => {
                let visitor = Visitor {
                    id: self.state.id.clone(),
                    ip: None,
                    request: self.options.request.clone(),
                    profile: Some(self.state.profile.clone()),
                    score: self.score.as_object().cloned(),
                    page: Some(self.page.attrs.clone()),
                    seen: Vec::new(),
                };
                reencode(&p.decide(&visitor, &Tables::default()))
            }
            _ => Value::Null,
        };
    }

    /// Swaps every slot to its decision, unless the edge did it already,
    /// it already shows that variant, or anti-flicker gave up on this page.
    fn apply_all(&mut self) {
        if !self.consent || self.gave_up || self.config_state != ConfigState::Ready {
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
            let Some(decision) = list
                .iter()
                .find(|d| d.get("slot").and_then(Value::as_str) == Some(id.as_str()))
            else {
                continue;
            };
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
            match slots::swap(&self.document, &el, decision) {
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

    fn undo_all(&mut self) {
        // Newest first, so nested swaps unwind in order.
        while let Some(mut a) = self.applied.pop() {
            if let Some(u) = a.undo.as_mut() {
                u.undo();
            }
        }
    }

    /// Reads the page attributes segments can use and the content tags.
    fn read_page(&mut self) {
        let loc = self.window.location();
        let path = loc.pathname().unwrap_or_default();
        let search = loc.search().unwrap_or_default();
        let mut attrs = Map::new();
        attrs.insert("path".into(), Value::String(path.clone()));
        attrs.insert("url".into(), Value::String(loc.href().unwrap_or_default()));
        attrs.insert("referrer".into(), Value::String(self.document.referrer()));
        attrs.insert("title".into(), Value::String(self.document.title()));
        let (query, utm) = parse_query(&search);
        if !utm.is_empty() {
            attrs.insert("utm".into(), Value::Object(utm));
        }
        if !query.is_empty() {
            attrs.insert("query".into(), Value::Object(query));
        }
        let tags = page_tags(&self.document);
        attrs.insert(
            "tags".into(),
            Value::Array(tags.iter().cloned().map(Value::String).collect()),
        );
        let mut location = path;
        location.push_str(&search);
        self.page = Page {
            location,
            attrs,
            tags,
            visible_since: (!self.document.hidden()).then(now),
            ..Page::default()
        };
    }

    /// Adds the visible time since the last fold to the page event.
    /// Returns whether the page event changed.
    fn fold_dwell(&mut self) -> bool {
        let t = now();
        if let Some(since) = self.page.visible_since {
            self.page.dwell_ms += (t - since).max(0.0);
            self.page.visible_since = (!self.document.hidden()).then_some(t);
        } else if !self.document.hidden() {
            self.page.visible_since = Some(t);
        }
        let Some(id) = self.page.message_id.clone() else {
            return false;
        };
        let dwell = (self.page.dwell_ms / 1000.0).floor();
        let depth = (self.page.max_scroll * 100.0).round();
        let mut changed = false;
        for e in self.state.events.iter_mut().rev() {
            if message_id(e) == Some(id.as_str()) {
                if let Some(Value::Object(p)) = e.get_mut("properties") {
                    if p.get("dwellSeconds").and_then(Value::as_f64) != Some(dwell) {
                        p.insert("dwellSeconds".into(), json!(dwell));
                        changed = true;
                    }
                    p.insert("scrollDepth".into(), json!(depth));
                }
                break;
            }
        }
        if changed {
            self.save();
        }
        changed
    }

    /// The page event goes out with the dwell time it has so far.
    fn end_page(&mut self) {
        self.fold_dwell();
        if self.page.queued || self.options.endpoint.is_none() {
            return;
        }
        let Some(id) = self.page.message_id.clone() else {
            return;
        };
        let event = self
            .state
            .events
            .iter()
            .rev()
            .find(|e| message_id(e) == Some(id.as_str()))
            .cloned();
        if let Some(e) = event {
            self.state.outbox.push(e);
            self.page.queued = true;
            self.save();
        }
    }

    fn snapshot(&self) -> Value {
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
        })
    }
}

fn parse_query(search: &str) -> (Map<String, Value>, Map<String, Value>) {
    let mut query = Map::new();
    let mut utm = Map::new();
    for pair in search.trim_start_matches('?').split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k.is_empty() {
            continue;
        }
        let decode = |s: &str| -> String {
            let s = s.replace('+', " ");
            js_sys::decode_uri_component(&s)
                .ok()
                .and_then(|d| d.as_string())
                .unwrap_or(s)
        };
        let (k, v) = (decode(k), decode(v));
        if let Some(name) = k.strip_prefix("utm_") {
            utm.insert(name.to_string(), Value::String(v.clone()));
        }
        query.insert(k, Value::String(v));
    }
    (query, utm)
}

/// Content tags from `<meta name="nurture:tags">` and `data-nurture-tags`
/// attributes, comma-separated, lower-cased.
fn page_tags(doc: &Document) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    let mut add = |text: &str| {
        for t in text.split(',') {
            let t = t.trim().to_lowercase();
            if !t.is_empty() && !tags.contains(&t) && tags.len() < MAX_PAGE_TAGS {
                tags.push(t);
            }
        }
    };
    if let Ok(list) = doc.query_selector_all("meta[name=\"nurture:tags\"], [data-nurture-tags]") {
        for i in 0..list.length() {
            let Some(el) = list.get(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
                continue;
            };
            let text = if el.tag_name().eq_ignore_ascii_case("meta") {
                el.get_attribute("content")
            } else {
                el.get_attribute("data-nurture-tags")
            };
            if let Some(text) = text {
                add(&text);
            }
        }
    }
    tags
}

/// Starts a page view (first load, or a single-page-app navigation).
fn begin_page(rt: &Rt, extra: JsValue) {
    {
        let mut r = rt.borrow_mut();
        if r.page.message_id.is_some() {
            r.end_page();
        }
        r.read_page();
        let mut props = r.page.attrs.clone();
        props.insert("dwellSeconds".into(), json!(0));
        if let Ok(Value::Object(extra)) = from_js(extra, "properties") {
            props.extend(extra);
        }
        let mut event = Map::new();
        event.insert("type".into(), Value::String("page".into()));
        event.insert("properties".into(), Value::Object(props));
        let id = r.record(event, false);
        r.page.message_id = Some(id);
        r.gave_up = r.gave_up && r.config_state != ConfigState::Ready;
        r.apply_all();
    }
    notify(rt);
}

/// Tells every `onChange` listener; no borrow is held while they run, so
/// they may call back into nurture.
fn notify(rt: &Rt) {
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

fn listen(rt: &Rt, target: EventTarget, kind: &'static str, capture: bool, f: fn(&Rt, Event)) {
    let w = Rc::downgrade(rt);
    let closure = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        if let Some(rt) = w.upgrade() {
            f(&rt, e);
        }
    });
    let _ = target.add_event_listener_with_callback_and_bool(
        kind,
        closure.as_ref().unchecked_ref(),
        capture,
    );
    rt.borrow_mut()
        .listeners
        .push((target, kind, capture, closure));
}

fn install_listeners(rt: &Rt) {
    let (window, document) = {
        let r = rt.borrow();
        (r.window.clone(), r.document.clone())
    };
    let doc: EventTarget = document.into();
    let win: EventTarget = window.clone().into();
    listen(rt, doc.clone(), "click", true, on_click);
    listen(rt, doc.clone(), "submit", true, on_submit);
    listen(rt, doc, "visibilitychange", false, on_visibility);
    listen(rt, win.clone(), "scroll", false, on_scroll);
    listen(rt, win.clone(), "pagehide", false, on_page_hide);
    listen(rt, win, "popstate", false, |rt, _| on_navigation(rt));
    // Single-page apps change the URL with history.pushState/replaceState,
    // which fire no event: wrap both.
    let history = get(&window, "history");
    for name in ["pushState", "replaceState"] {
        let Ok(original) = get(&history, name).dyn_into::<Function>() else {
            continue;
        };
        let w = Rc::downgrade(rt);
        let (orig, hist) = (original.clone(), history.clone());
        let hook: HistoryHook = Closure::new(move |a: JsValue, b: JsValue, c: JsValue| {
            let out = orig.call3(&hist, &a, &b, &c).unwrap_or(JsValue::UNDEFINED);
            if let Some(rt) = w.upgrade() {
                on_navigation(&rt);
            }
            out
        });
        let _ = Reflect::set(&history, &JsValue::from_str(name), hook.as_ref());
        rt.borrow_mut()
            .history
            .push((history.clone(), name, original, hook));
    }
}

fn on_navigation(rt: &Rt) {
    let changed = {
        let r = rt.borrow();
        let loc = r.window.location();
        let mut here = loc.pathname().unwrap_or_default();
        here.push_str(&loc.search().unwrap_or_default());
        here != r.page.location
    };
    if changed {
        begin_page(rt, JsValue::UNDEFINED);
    }
}

fn on_visibility(rt: &Rt, _: Event) {
    let hidden = rt.borrow().document.hidden();
    {
        let mut r = rt.borrow_mut();
        if hidden {
            r.end_page();
        } else {
            r.fold_dwell();
        }
        r.refresh();
    }
    if hidden {
        flush(rt, true);
    }
    notify(rt);
}

fn on_page_hide(rt: &Rt, _: Event) {
    rt.borrow_mut().end_page();
    flush(rt, true);
}

fn on_scroll(rt: &Rt, _: Event) {
    let mut r = rt.borrow_mut();
    let y = r.window.scroll_y().unwrap_or(0.0);
    let view = r
        .window
        .inner_height()
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    let full = r
        .document
        .document_element()
        .map_or(0.0, |e| f64::from(e.scroll_height()));
    if full > 0.0 {
        let depth = ((y + view) / full).clamp(0.0, 1.0);
        if depth > r.page.max_scroll {
            r.page.max_scroll = depth;
        }
    }
}

fn on_click(rt: &Rt, e: Event) {
    let Some(el) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let Ok(Some(a)) = el.closest("a[href]") else {
        return;
    };
    let href = get(&a, "href").as_string().unwrap_or_default();
    let path = get(&a, "pathname").as_string().unwrap_or_default();
    let host = get(&a, "host").as_string().unwrap_or_default();
    let protocol = get(&a, "protocol").as_string().unwrap_or_default();
    let lower = path.to_ascii_lowercase();
    let is_download =
        a.has_attribute("download") || DOWNLOAD_EXTENSIONS.iter().any(|x| lower.ends_with(x));
    let here = rt.borrow().window.location().host().unwrap_or_default();
    let outbound = !is_download && (protocol == "http:" || protocol == "https:") && host != here;
    if !is_download && !outbound {
        return;
    }
    let mut props = Map::new();
    props.insert("url".into(), Value::String(href));
    let mut tags = rt.borrow().page.tags.clone();
    if let Ok(Some(tagged)) = a.closest("[data-nurture-tags]") {
        for t in tagged
            .get_attribute("data-nurture-tags")
            .unwrap_or_default()
            .split(',')
        {
            let t = t.trim().to_lowercase();
            if !t.is_empty() && !tags.contains(&t) {
                tags.push(t);
            }
        }
    }
    props.insert(
        "tags".into(),
        Value::Array(tags.into_iter().map(Value::String).collect()),
    );
    let name = if is_download {
        props.insert("path".into(), Value::String(path));
        "File Downloaded"
    } else {
        "Outbound Link Clicked"
    };
    track_event(rt, name, props);
}

fn on_submit(rt: &Rt, e: Event) {
    let Some(form) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    if form.has_attribute("data-nurture-ignore") {
        return;
    }
    // Field values are not read here: what the visitor typed reaches nurture
    // only through identify(), which the site calls on purpose.
    let form_id = form
        .get_attribute("id")
        .or_else(|| form.get_attribute("name"))
        .or_else(|| form.get_attribute("action"))
        .unwrap_or_default();
    let mut props = Map::new();
    props.insert("formId".into(), Value::String(form_id));
    let (path, tags) = {
        let r = rt.borrow();
        (r.page.attrs.get("path").cloned(), r.page.tags.clone())
    };
    props.insert("path".into(), path.unwrap_or(Value::Null));
    props.insert(
        "tags".into(),
        Value::Array(tags.into_iter().map(Value::String).collect()),
    );
    track_event(rt, "Form Submitted", props);
}

fn track_event(rt: &Rt, name: &str, properties: Map<String, Value>) {
    {
        let mut r = rt.borrow_mut();
        if r.stopped {
            return;
        }
        let mut event = Map::new();
        event.insert("type".into(), Value::String("track".into()));
        event.insert("event".into(), Value::String(name.to_string()));
        event.insert("properties".into(), Value::Object(properties));
        r.record(event, true);
    }
    notify(rt);
}

/// Sends up to [`BATCH_SIZE`] unsent events that are not already on their
/// way, with `fetch`; `keepalive` (page hide) uses `sendBeacon` first.
/// Delivery is at least once: a batch whose answer was lost is sent again,
/// and its `messageId`s let the edge drop what it already has.
fn flush(rt: &Rt, keepalive: bool) {
    let (window, url, body, ids, anon, token) = {
        let r = rt.borrow();
        let Some(endpoint) = r.options.endpoint.clone() else {
            return;
        };
        if !r.consent || r.stopped {
            return;
        }
        let busy: Vec<&String> = r.in_flight.iter().flat_map(|b| b.ids.iter()).collect();
        let batch: Vec<Value> = r
            .state
            .outbox
            .iter()
            .filter(|e| message_id(e).is_some_and(|id| !busy.iter().any(|b| b.as_str() == id)))
            .take(BATCH_SIZE)
            .cloned()
            .collect();
        if batch.is_empty() {
            return;
        }
        let ids: Vec<String> = batch
            .iter()
            .filter_map(|e| message_id(e).map(str::to_string))
            .collect();
        let token = if r.cross_origin {
            r.state.token.clone()
        } else {
            None
        };
        let mut body = json!({"events": batch, "consent": true, "sentAt": now().round()});
        // The beacon cannot carry the header: the token rides in the body.
        if let (true, Some(t), Value::Object(map)) = (keepalive, &token, &mut body) {
            map.insert("visitorToken".into(), Value::String(t.clone()));
        }
        let body = body.to_string();
        let mut url = endpoint;
        url.push_str("/v1/events");
        (r.window.clone(), url, body, ids, r.state.id.clone(), token)
    };
    if keepalive {
        // The page is going away: the beacon queue is the browser's promise
        // to deliver, so the batch counts as sent and the next page does not
        // send it again. A refused beacon (over its quota) falls back to a
        // keepalive fetch.
        if window
            .navigator()
            .send_beacon_with_opt_str(&url, Some(&body))
            .unwrap_or(false)
        {
            let mut r = rt.borrow_mut();
            r.state.acknowledge(&ids);
            r.save();
            return;
        }
    }
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&body));
    // `RequestInit.keepalive` has no setter in web-sys yet.
    let _ = Reflect::set(&init, &"keepalive".into(), &keepalive.into());
    let headers = Object::new();
    let _ = Reflect::set(&headers, &"content-type".into(), &"application/json".into());
    // Credentials stay at fetch's default (same-origin): the same-origin
    // worker gets its cookie as before; another origin gets the token
    // header instead. `include` would add nothing the token does not carry,
    // and a worker that allows any origin ("*") could not answer it at all.
    if let Some(t) = &token {
        let _ = Reflect::set(&headers, &TOKEN_HEADER.into(), &t.into());
    }
    init.set_headers(&headers);
    let promise = window.fetch_with_str_and_init(&url, &init);
    let w1 = Rc::downgrade(rt);
    let w2 = w1.clone();
    let (ids1, ids2) = (ids.clone(), ids.clone());
    let ok = Closure::<dyn FnMut(JsValue)>::new(move |resp: JsValue| {
        if let Some(rt) = w1.upgrade() {
            on_sent(
                &rt,
                &ids1,
                get(&resp, "status").as_f64(),
                response_token(&resp),
            );
        }
    });
    let err = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
        if let Some(rt) = w2.upgrade() {
            on_sent(&rt, &ids2, None, None);
        }
    });
    then2(&promise.into(), ok.as_ref(), err.as_ref());
    rt.borrow_mut().in_flight.push(Batch {
        ids,
        anon,
        token,
        handlers: vec![ok, err],
    });
}

/// The `x-nurture-visitor` header of a `fetch` answer, when it holds
/// something that can be a token (a cross-origin answer shows it only if
/// the worker exposes it, which it does for the origins it lists).
fn response_token(resp: &JsValue) -> Option<String> {
    let headers = get(resp, "headers");
    let read = get(&headers, "get").dyn_into::<Function>().ok()?;
    read.call1(&headers, &JsValue::from_str(TOKEN_HEADER))
        .ok()?
        .as_string()
        .filter(|t| valid_token(t))
}

impl Runtime {
    fn retry_later(&mut self) {
        if self.flush_timer.is_none() {
            let ms = self.retry_ms;
            self.set_timer(1, ms as i32);
        }
        self.retry_ms = (self.retry_ms * 2.0).min(RETRY_MAX_MS);
    }
}

/// A batch came back. 2xx: done. 400/413/422: the edge will never take
/// these events, so they are dropped rather than retried forever. Anything
/// else (network error, 429, 5xx): kept and retried with backoff; the
/// `messageId`s let the edge drop a batch it had already taken.
///
/// The token: the newest one the worker answered with is kept (the worker
/// re-signs after a key rotation). A 401 to a batch sent with the stored
/// token means the worker will never take that token again (expired,
/// signed with a retired key, or not the worker's): it is forgotten and the
/// batch goes again at once, without it, so the worker starts a new visitor
/// rather than refusing every batch from now on.
fn on_sent(rt: &Rt, ids: &[String], status: Option<f64>, received: Option<String>) {
    let mut r = rt.borrow_mut();
    let mut sent = None;
    if let Some(pos) = r.in_flight.iter().position(|b| b.ids == ids) {
        let batch = r.in_flight.remove(pos);
        sent = Some((batch.anon, batch.token));
        r.graveyard.extend(batch.handlers);
    }
    let (anon, token) = sent.unwrap_or_default();
    let ours = r.cross_origin && r.consent && anon == r.state.id;
    if ours && status == Some(401.0) && token.is_some() && r.state.token == token {
        warn("nurture: the edge refused the stored visitor token; it is dropped");
        r.state.token = None;
        r.save();
        r.set_timer(1, 0);
        return;
    }
    if let (true, Some(t)) = (ours, received) {
        if r.state.token.as_ref() != Some(&t) {
            r.state.token = Some(t);
            r.save();
        }
    }
    match status {
        Some(s) if (200.0..300.0).contains(&s) => {
            r.state.acknowledge(ids);
            r.retry_ms = RETRY_FIRST_MS;
            r.save();
            if !r.state.outbox.is_empty() {
                r.set_timer(1, 0);
            } else if r.flush_timer.is_none() {
                // Let the flush timer clear the finished handlers.
                r.set_timer(1, 0);
            }
        }
        Some(s) if s == 400.0 || s == 413.0 || s == 422.0 => {
            warn("nurture: the edge refused a batch of events; they are dropped");
            r.state.acknowledge(ids);
            r.save();
        }
        _ => r.retry_later(),
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
        let props = match from_js(properties, "properties")? {
            Value::Null => Map::new(),
            Value::Object(map) => map,
            _ => return Err(invalid_argument("properties", "expected an object")),
        };
        track_event(&self.rt, &event, props);
        Ok(())
    }

    /// `page(properties?)`: a page view now (the runtime records the first
    /// one and history changes by itself).
    pub fn page(&self, properties: JsValue) {
        begin_page(&self.rt, properties);
    }

    /// `identify(traits)`: what the visitor told us (a form), merged into
    /// the profile that fit is scored on.
    pub fn identify(&self, traits: JsValue) -> Result<(), JsValue> {
        let Value::Object(traits) = from_js(traits, "traits")? else {
            return Err(invalid_argument("traits", "expected an object"));
        };
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

    /// `onChange(cb)`: `cb(state)` after every event, consent change and
    /// decision. Returns a function that unsubscribes.
    #[wasm_bindgen(js_name = onChange)]
    pub fn on_change(&self, cb: Function) -> JsValue {
        let id = {
            let mut r = self.rt.borrow_mut();
            let id = r.next_callback;
            r.next_callback += 1;
            r.callbacks.push((id, cb));
            id
        };
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
