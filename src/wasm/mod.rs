//! The WebAssembly layer: converts JavaScript values in and out of the core
//! and turns every core error into a thrown JS `Error` in one place
//! ([`IntoJsResult`]). Nothing else lives here.

pub mod forms;
pub mod score;

use js_sys::{Error as JsError, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::error::ConfigError;

/// Stable error codes that callers can branch on (`err.code`).
pub(crate) mod code {
    /// A configuration document is malformed; `err.path` names the field.
    pub const INVALID_CONFIG: &str = "invalid_config";
    /// An argument has the wrong shape; `err.path` names the argument.
    pub const INVALID_ARGUMENT: &str = "invalid_argument";
}

/// Builds the `Error` that every export throws: `message`, a stable `code`
/// and, where one applies, the `path` of the bad field or argument.
pub(crate) fn js_error(code: &str, path: &str, message: &str) -> JsValue {
    let full = if path.is_empty() {
        message.to_string()
    } else {
        format!("{path}: {message}")
    };
    let error = JsError::new(&full);
    // Setting a property on a fresh Error object cannot fail; if it ever
    // did, the error still carries its message.
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    if !path.is_empty() {
        let _ = Reflect::set(&error, &"path".into(), &path.into());
    }
    error.into()
}

pub(crate) trait IntoJsResult<T> {
    fn into_js(self) -> Result<T, JsValue>;
}

impl<T> IntoJsResult<T> for Result<T, ConfigError> {
    fn into_js(self) -> Result<T, JsValue> {
        self.map_err(|e| js_error(code::INVALID_CONFIG, &e.path, &e.message))
    }
}

/// Reads a JS value as JSON. `what` names the argument in the error.
pub(crate) fn from_js(value: JsValue, what: &str) -> Result<serde_json::Value, JsValue> {
    if value.is_undefined() {
        return Ok(serde_json::Value::Null);
    }
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| js_error(code::INVALID_ARGUMENT, what, &e.to_string()))
}

/// Writes a result as plain JS objects and arrays (no `Map`s), so it can be
/// read with dot access and passed to `JSON.stringify` as is.
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error(code::INVALID_ARGUMENT, "", &e.to_string()))
}

pub(crate) fn invalid_argument(path: &str, message: &str) -> JsValue {
    js_error(code::INVALID_ARGUMENT, path, message)
}
