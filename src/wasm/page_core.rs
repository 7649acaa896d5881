//! The page build's (pkg/page) side of the classes: `new Model()` (the
//! built-in model), `new Model(bytes)` and `new Personalizer(bytes)` from
//! compiled configs only. The page build has no reader for JSON configs,
//! so a config object is refused with `raw_config_unsupported`, naming the
//! two ways to get a compiled one.

use wasm_bindgen::prelude::*;

use super::handles::{
    compiled_error, invalid_visitor, load, read_bytes, ModelHandle, PersonalizerHandle,
};
use super::{from_js, js_error};
use crate::compiled::{self, Loaded};
use crate::personalize::Visitor;

/// The code of the error for a JSON config handed to the page build.
pub const RAW_CONFIG_UNSUPPORTED: &str = "raw_config_unsupported";

/// What that error says.
pub const RAW_CONFIG_MESSAGE: &str = "this page build (nurture/page) reads compiled configs only, not JSON: compile it with `npx nurture compile site.json > site.nrc`, ask the worker for `GET /v1/config?format=compiled`, or load nurture/browser, which reads JSON";

/// A compiled config's bytes, loaded; JSON refused as the page build must.
fn loaded(config: &JsValue, what: &str) -> Result<Loaded, JsValue> {
    // Anything but bytes is a config object (or text) the page cannot read.
    let bytes = read_bytes(config, what)
        .map_err(|_| js_error(RAW_CONFIG_UNSUPPORTED, what, RAW_CONFIG_MESSAGE))?;
    load(&bytes).map_err(|e| compiled_error(&e))
}

#[wasm_bindgen(js_class = Model)]
impl ModelHandle {
    /// `new Model(bytes?)`: a compiled model (or an edge document's), the
    /// built-in model when left out.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<ModelHandle, JsValue> {
        let model = if config.is_undefined() || config.is_null() {
            compiled::embedded_default_model().map_err(|e| compiled_error(&e))?
        } else {
            loaded(&config, "config")?.model.ok_or_else(|| {
                js_error(
                    "compiled_config_corrupt",
                    "config",
                    "expected a compiled model (`npx nurture compile model.json`)",
                )
            })?
        };
        Ok(ModelHandle::from_model(model))
    }
}

#[wasm_bindgen(js_class = Personalizer)]
impl PersonalizerHandle {
    /// `new Personalizer(bytes)`: a compiled site config (or an edge
    /// document's).
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<PersonalizerHandle, JsValue> {
        let personalizer = loaded(&config, "config")?.personalizer.ok_or_else(|| {
            js_error(
                "compiled_config_corrupt",
                "config",
                "expected a compiled site config (`npx nurture compile site.json`)",
            )
        })?;
        Ok(PersonalizerHandle::from_personalizer(personalizer))
    }
}

/// The context `LiveVisitor.setContext` takes, read value by value.
pub(super) fn read_visitor(value: JsValue) -> Result<Visitor, JsValue> {
    Visitor::from_value(from_js(value, "visitor")?).map_err(invalid_visitor)
}
