//! The browser runtime: what a page gets when it embeds nurture.
//!
//! ```js
//! import init, { start } from "/pkg/page/nurture.js"; // or /pkg/browser/ for JSON configs
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
//!
//! The files: [`state`] (what is stored) and [`slots`] (swapping a slot's
//! content) are the two halves with their own API; `api.rs` is what the page
//! calls (`start`, the `Nurture` methods, `swapSlot`), `options.rs` reading
//! `start`'s options, `config.rs` reading
//! the site config or the edge's config document, `runtime.rs` the
//! runtime's own plumbing (timers, saving, recording, scoring and deciding,
//! applying decisions), `tracking.rs` what it observes on the page (page
//! views, dwell and scroll, clicks, form submits, navigation) and
//! `transport.rs` how events reach the edge: the I/O around the delivery
//! policy in [`crate::delivery`] (batches, what an answer settles, retries,
//! the visitor token), which is pure and tested natively.

pub mod slots;
pub mod state;

mod api;
mod config;
mod exposure;
mod options;
mod runtime;
mod tracking;
mod transport;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Reflect};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Event, EventTarget, Storage, Window};

use crate::delivery::{Backoff, SentFor};
use crate::personalize::Personalizer;
use crate::score::Model;
use crate::wasm::invalid_argument;
pub use api::{start, swap_slot};
use options::Options;
use slots::SlotUndo;
use state::{ResetReason, Stored};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console)]
    fn warn(message: &str);
}

/// The worker's visitor token header, on its answers and our requests.
const TOKEN_HEADER: &str = "x-nurture-visitor";
/// Dwell time is folded into the current page event this often.
const TICK_MS: i32 = 5_000;
const MAX_PAGE_TAGS: usize = 20;
/// A manual `page()` for the URL of the current page view, this soon after
/// that view began, is the same view (see `tracking::begin_page`).
const SAME_VIEW_MS: f64 = 2_000.0;
/// The largest event `track()`, `page()` and `identify()` take, as JSON
/// with the envelope the runtime adds: the worker's default
/// `MAX_EVENT_BYTES`, so an event the page keeps is one the edge takes.
const MAX_EVENT_BYTES: usize = 4_096;
/// What the envelope (`messageId`, `anonymousId`, `timestamp`) adds to an
/// event's JSON at most.
const ENVELOPE_BYTES: usize = 150;
const DOWNLOAD_EXTENSIONS: &[&str] = &[
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".zip", ".csv", ".epub", ".key",
];

#[derive(Default)]
struct Page {
    message_id: Option<String>,
    /// `pathname + search`, to tell a real navigation from a replaceState.
    location: String,
    attrs: Map<String, Value>,
    tags: Vec<String>,
    visible_since: Option<f64>,
    /// When the view began (`Date.now()`).
    started: f64,
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

/// A batch on its way.
struct InFlight {
    ids: Vec<String>,
    sent_for: SentFor,
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
    /// With `reapply: "never"`, the decision each slot was first swapped to
    /// on this page load; later ones show the same.
    pinned: Vec<(String, Value)>,
    /// `version` of the edge's config document, when the config was one
    /// (of a compiled config, its source hash).
    config_version: Option<String>,
    /// Why the config was refused, for `state().configError`.
    config_error: Option<config::ConfigError>,
    /// Unsent events dropped because the outbox was full, since start.
    dropped: u64,
    edge: Vec<slots::EdgeDecision>,
    gave_up: bool,
    page: Page,
    callbacks: Vec<(u32, Function)>,
    exposure: exposure::Exposures,
    next_callback: u32,
    listeners: Vec<Listener>,
    history: Vec<(JsValue, &'static str, Function, HistoryHook)>,
    timer_cbs: Vec<Closure<dyn FnMut()>>,
    give_up_timer: Option<i32>,
    flush_timer: Option<i32>,
    tick_timer: Option<i32>,
    in_flight: Vec<InFlight>,
    graveyard: Vec<Closure<dyn FnMut(JsValue)>>,
    backoff: Backoff,
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
    crate::wasm::to_js(value).unwrap_or(JsValue::NULL)
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
