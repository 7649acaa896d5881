//! `calibrate(leads, options?)`: learns a model's points from labelled
//! leads (src/calibrate/). In the full build only; a page calibrates in a
//! Web Worker that loads it.

use wasm_bindgen::prelude::*;

use super::{from_js, invalid_argument, js_error, to_js};
use crate::calibrate::calibrate_text;

/// `leads` is JSON text (an array, or JSON Lines) or an array of lead
/// objects; the answer is `{model, report}`. Bad input throws an `Error`
/// with `code: "invalid_argument"` and the `path` of the bad lead or option
/// (`leads[3].converted`).
#[wasm_bindgen(js_name = calibrate)]
pub fn calibrate_js(leads: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    // An array goes across as JSON text: far cheaper than reading every
    // key and string through serde-wasm-bindgen, and one parser for both.
    let text = match leads.as_string() {
        Some(text) => text,
        None if js_sys::Array::is_array(&leads) => js_sys::JSON::stringify(&leads)
            .map(String::from)
            .map_err(|_| invalid_argument("leads", "the leads could not be read as JSON"))?,
        None => {
            return Err(invalid_argument(
                "leads",
                "expected an array of leads or their JSON text (JSON Lines or an array)",
            ))
        }
    };
    let options = from_js(options, "options")?;
    match calibrate_text(&text, &options) {
        Ok(calibration) => to_js(&calibration),
        Err(issue) => Err(js_error(
            super::code::INVALID_ARGUMENT,
            &issue.path,
            &issue.message,
        )),
    }
}
