//! What the page build leaves to the JS engine (the `js_engine` cfg, see
//! the `rust-engines` feature): `RegExp`, which it matches every regex with
//! (see [`crate::regex`]) and which `new Condition(c).eval` matches `$regex`
//! / `$regexi` with in Node and workers too (src/wasm/condition.rs); and
//! `String(x)` for numbers, so no float formatting code ships to pages.

use js_sys::Error as JsError;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The global `RegExp`, with a constructor that reports a bad pattern.
    #[wasm_bindgen(js_name = RegExp)]
    #[derive(Debug, Clone)]
    pub type JsRegExp;
    #[wasm_bindgen(catch, constructor, js_class = "RegExp")]
    fn new(pattern: &str, flags: &str) -> Result<JsRegExp, JsValue>;
    /// `RegExp.prototype.test`: never stateful here, no regex is made with
    /// the `g` or `y` flag.
    #[wasm_bindgen(method)]
    pub fn test(this: &JsRegExp, text: &str) -> bool;
    /// The global `String` function.
    #[wasm_bindgen(js_name = String)]
    fn js_string(x: f64) -> String;
    /// `String.prototype.toLowerCase`.
    #[wasm_bindgen(js_namespace = ["String", "prototype", "toLowerCase"], js_name = call)]
    fn js_to_lower_case(text: &str) -> String;
    /// The global `Number` function.
    #[wasm_bindgen(js_name = Number)]
    fn js_number(text: &str) -> f64;
}

/// `String(x)`: JS's own text of a number (`1e+21`, `1e-7`, `-0` → `0`).
pub fn number_to_string(x: f64) -> String {
    js_string(x)
}

/// `text.toLowerCase()`.
pub fn to_lower_case(text: &str) -> String {
    js_to_lower_case(text)
}

/// `Number(text)`: JS's own reading of a decimal literal.
pub fn string_to_number(text: &str) -> f64 {
    js_number(text)
}

/// `new RegExp(pattern, flags)`, or the engine's reason for refusing the
/// pattern (`Unterminated group`, without V8's `Invalid regular
/// expression: /…/: ` in front, which the caller's message already says).
pub fn compile(pattern: &str, flags: &str) -> Result<JsRegExp, String> {
    JsRegExp::new(pattern, flags).map_err(|e| {
        let message = String::from(JsError::from(e).message());
        match message.rsplit_once(": ") {
            Some((_, reason)) => reason.to_owned(),
            None => message,
        }
    })
}
