//! `calibrate(leads, options?)`: learns a model's points from labelled
//! leads (src/calibrate/). In the full build only; a page calibrates in a
//! Web Worker that loads it.

use wasm_bindgen::prelude::*;

use super::{from_js, invalid_argument, js_error, to_js};
use crate::calibrate::{calibrate_text_with_progress, Progress};

/// `leads` is JSON text (an array, or JSON Lines) or an array of lead
/// objects; the answer is `{model, report}`. Bad input throws an `Error`
/// with `code: "invalid_argument"` and the `path` of the bad lead or option
/// (`leads[3].converted`). `onProgress(done, total, stage)`, if given, is
/// called after each step (each cross-validation fold of each setting
/// tried); what it throws is ignored, so a progress bar cannot break a run.
#[wasm_bindgen(js_name = calibrate)]
pub fn calibrate_js(
    leads: JsValue,
    options: JsValue,
    on_progress: Option<js_sys::Function>,
) -> Result<JsValue, JsValue> {
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
    let mut progress = |p: Progress| {
        if let Some(f) = &on_progress {
            let _ = f.call3(
                &JsValue::NULL,
                &JsValue::from(p.done as f64),
                &JsValue::from(p.total as f64),
                &JsValue::from_str(p.stage),
            );
        }
    };
    match calibrate_text_with_progress(&text, &options, &mut progress) {
        Ok(calibration) => to_js(&calibration),
        Err(issue) => Err(js_error(
            super::code::INVALID_ARGUMENT,
            &issue.path,
            &issue.message,
        )),
    }
}
