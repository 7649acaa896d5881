//! The classes every build exports, `Model` and `Personalizer`, and
//! `loadCompiled`: what the page runtime (JS, pkg-template/runtime/) scores
//! and decides with. How they are made from a JSON document is the full
//! builds' ([`super::score`], [`super::personalize`]); the page build makes
//! them from compiled configs only ([`super::page_core`]).

use crate::json::{Map, Value};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{from_js, invalid_argument, js_error};
use crate::compiled::{CompiledError, Loaded};
use crate::personalize::Personalizer;
#[cfg(feature = "live-visitor")]
use crate::score::EventSource;
use crate::score::Model;
use crate::time::{self, Millis};

/// A compiled scoring model, for scoring many visitors without compiling
/// the document each time.
#[wasm_bindgen(js_name = Model)]
pub struct ModelHandle {
    pub(super) model: SharedModel,
}

/// A `LiveVisitor` shares its model's compiled form (a copy costs more
/// than scoring a visitor); a build without `LiveVisitor` keeps it inline.
#[cfg(feature = "live-visitor")]
pub(super) type SharedModel = std::rc::Rc<Model>;
#[cfg(not(feature = "live-visitor"))]
pub(super) type SharedModel = Model;

impl ModelHandle {
    pub(super) fn from_model(model: Model) -> ModelHandle {
        // An `Rc` with `LiveVisitor`, the model itself without.
        #[allow(clippy::useless_conversion)]
        let model = SharedModel::from(model);
        ModelHandle { model }
    }
}

/// A compiled personalization config, for deciding many visitors.
#[wasm_bindgen(js_name = Personalizer)]
pub struct PersonalizerHandle {
    pub(super) inner: Personalizer,
    /// Tells this config from any other made in this instance (a freed
    /// one's memory may be reused): what a `LiveVisitor` keeps derived
    /// under one config is not used under another.
    #[cfg(feature = "live-visitor")]
    pub(super) serial: u32,
}

#[cfg(feature = "live-visitor")]
thread_local! {
    static SERIALS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

impl PersonalizerHandle {
    pub(super) fn from_personalizer(inner: Personalizer) -> PersonalizerHandle {
        PersonalizerHandle {
            inner,
            #[cfg(feature = "live-visitor")]
            serial: SERIALS.with(|n| {
                let serial = n.get().wrapping_add(1);
                n.set(serial);
                serial
            }),
        }
    }
}

/// The thrown `Error` for a refused compiled config: `code`
/// `compiled_config_version` or `compiled_config_corrupt`, and a message
/// saying what was expected.
pub(crate) fn compiled_error(e: &CompiledError) -> JsValue {
    js_error(e.code(), "", &e.message())
}

/// `Uint8Array` or `ArrayBuffer`, copied in; anything else is refused
/// with `what` as the path.
pub(super) fn read_bytes(value: &JsValue, what: &str) -> Result<Vec<u8>, JsValue> {
    if let Some(bytes) = value.dyn_ref::<js_sys::Uint8Array>() {
        return Ok(bytes.to_vec());
    }
    if let Some(buffer) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(js_sys::Uint8Array::new(buffer).to_vec());
    }
    Err(invalid_argument(
        what,
        "expected a Uint8Array or an ArrayBuffer",
    ))
}

/// `loadCompiled(bytes)` → `{kind, version, model, personalizer}`: a
/// compiled model, site config or edge config document (`compileConfig`,
/// `nurture compile`, the worker's `GET /v1/config?format=compiled`)
/// loaded into a `Model` and a `Personalizer` (`null` for what it does not
/// hold; an edge document without a model means the built-in one).
/// `version` is the edge document's `version`, else the source's hash.
/// Throws `compiled_config_version` or `compiled_config_corrupt`.
#[wasm_bindgen(js_name = loadCompiled)]
pub fn load_compiled(bytes: JsValue) -> Result<JsValue, JsValue> {
    let bytes = read_bytes(&bytes, "bytes")?;
    let Loaded {
        kind,
        personalizer,
        model,
        version,
    } = load(&bytes).map_err(|e| compiled_error(&e))?;
    let out = Object::new();
    let set = |key: &str, value: JsValue| {
        // Setting a property on a fresh object cannot fail.
        let _ = Reflect::set(&out, &key.into(), &value);
    };
    set("kind", kind.as_str().into());
    set("version", version.into());
    set(
        "model",
        model.map_or(JsValue::NULL, |m| ModelHandle::from_model(m).into()),
    );
    set(
        "personalizer",
        personalizer.map_or(JsValue::NULL, |p| {
            PersonalizerHandle::from_personalizer(p).into()
        }),
    );
    Ok(out.into())
}

/// The page build loads the compiled structures; the others compile the
/// checked documents the bytes carry, as they do any document.
#[cfg(feature = "page-only")]
pub(super) fn load(bytes: &[u8]) -> Result<Loaded, CompiledError> {
    crate::compiled::Frame::read(bytes)?.load()
}
#[cfg(not(feature = "page-only"))]
fn load(bytes: &[u8]) -> Result<Loaded, CompiledError> {
    crate::compiled::Compiled::read(bytes)?.load()
}

/// `now`: milliseconds since the epoch or a `Date`; the browser's clock
/// when left out (the core itself never reads a clock).
pub(super) fn read_now(value: JsValue) -> Result<Millis, JsValue> {
    if value.is_undefined() || value.is_null() {
        return time::from_f64(js_sys::Date::now())
            .map_err(|e| invalid_argument("now", e.message()));
    }
    if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        return time::from_f64(date.get_time()).map_err(|e| invalid_argument("now", e.message()));
    }
    match value.as_f64() {
        Some(ms) => time::from_f64(ms).map_err(|e| invalid_argument("now", e.message())),
        None => Err(invalid_argument(
            "now",
            "expected milliseconds since the epoch (Date.now()) or a Date",
        )),
    }
}

pub(super) fn read_profile(value: JsValue) -> Result<Option<Map<String, Value>>, JsValue> {
    match from_js(value, "profile")? {
        Value::Null => Ok(None),
        Value::Object(map) => Ok(Some(map)),
        _ => Err(invalid_argument(
            "profile",
            "expected an object of profile fields, or null",
        )),
    }
}

/// `"server"` or `"browser"`, `default` when left out (the edge's batches
/// are the server's, a visitor tracked in a page the browser's).
#[cfg(feature = "live-visitor")]
pub(super) fn source_or(value: &JsValue, default: EventSource) -> Result<EventSource, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(default);
    }
    value
        .as_string()
        .as_deref()
        .and_then(EventSource::from_name)
        .ok_or_else(|| invalid_argument("source", "expected \"server\" or \"browser\""))
}

/// A refused visitor document's field as the argument's path
/// (`visitor.profile`).
pub(super) fn invalid_visitor(e: crate::diagnostics::Issue) -> JsValue {
    let mut path = String::from("visitor");
    if !e.path.is_empty() {
        path.push('.');
        path.push_str(&e.path);
    }
    invalid_argument(&path, &e.message)
}

/// The stand-in for the lookup tables in a build without them (the page's
/// and the browser's): a page does not know its visitor's address, so it
/// has none, and a `tables` argument is refused rather than ignored.
#[cfg(not(feature = "ip-tables"))]
pub(super) struct HeldTables;

#[cfg(not(feature = "ip-tables"))]
impl HeldTables {
    pub(super) fn read(value: &JsValue) -> Result<HeldTables, JsValue> {
        if value.is_undefined() || value.is_null() {
            return Ok(HeldTables);
        }
        Err(invalid_argument(
            "tables",
            "lookup tables (CidrTable, MaxMindDb) are in the Node and edge builds, not in the page build",
        ))
    }

    pub(super) fn with<R>(&self, f: impl FnOnce(&crate::personalize::Tables<'_>) -> R) -> R {
        f(&crate::personalize::Tables::default())
    }
}
