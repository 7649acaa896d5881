//! `start`'s options object, read once into typed [`Options`]; a value of
//! the wrong kind is refused with its path (`options.consent`).

use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::get;
use crate::wasm::{from_js, invalid_argument};

const DEFAULT_KEY: &str = "nurture";
/// The longest slots may stay hidden, whatever the options say.
const MAX_ANTI_FLICKER_MS: f64 = 300.0;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ConsentMode {
    /// Track unless the visitor refused or sends Global Privacy Control.
    Implied,
    /// Wait for `consent(true)`.
    Required,
}

/// When slots follow changed decisions (`options.reapply`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Reapply {
    /// Each slot shows the variant first applied on this page load.
    Never,
    /// At the next page view (SPA navigation or `page()`).
    Navigation,
    /// As soon as the decisions change.
    Immediate,
}

pub(super) struct Options {
    pub(super) endpoint: Option<String>,
    pub(super) reapply: Reapply,
    pub(super) mode: ConsentMode,
    pub(super) key: String,
    pub(super) anti_flicker_ms: f64,
    pub(super) hidden_at: Option<f64>,
    pub(super) auto_track: bool,
    pub(super) request: Option<Map<String, Value>>,
    pub(super) batch_ms: i32,
}

pub(super) fn read_options(options: &JsValue) -> Result<Options, JsValue> {
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
    let reapply = match get(options, "reapply") {
        v if v.is_undefined() || v.is_null() => Reapply::Navigation,
        v => match v.as_string().as_deref() {
            Some("never") => Reapply::Never,
            Some("navigation") => Reapply::Navigation,
            Some("immediate") => Reapply::Immediate,
            _ => {
                return Err(invalid_argument(
                    "options.reapply",
                    "expected \"never\", \"navigation\" or \"immediate\"",
                ))
            }
        },
    };
    let hidden_at = get(options, "hiddenAt");
    let hidden_at = match hidden_at.dyn_ref::<js_sys::Date>() {
        Some(date) => Some(date.get_time()).filter(|t| t.is_finite()),
        None => hidden_at.as_f64(),
    };
    let anti_flicker_ms = get(options, "antiFlickerMs")
        .as_f64()
        .unwrap_or(MAX_ANTI_FLICKER_MS)
        .clamp(0.0, MAX_ANTI_FLICKER_MS);
    Ok(Options {
        endpoint: text("endpoint").map(|e| e.trim_end_matches('/').to_string()),
        reapply,
        mode,
        key: text("storageKey").unwrap_or_else(|| DEFAULT_KEY.to_string()),
        anti_flicker_ms,
        hidden_at,
        auto_track: get(options, "autoTrack").as_bool().unwrap_or(true),
        request,
        batch_ms: get(options, "batchMs")
            .as_f64()
            .map_or(1000, |ms| ms.clamp(0.0, 60_000.0) as i32),
    })
}
