//! The runtime's configuration as `start({config})` gives it: the site's
//! personalization config (an object, a URL, or a promise of either), or
//! the edge worker's config document, `GET /v1/config`:
//! `{"version": "<hash>", "site": <site config>, "model": <model or null>}`.
//! From that document the page takes the site config and the model, so the
//! page scores and decides with what the edge does, and cannot drift from it.
//!
//! Either may come compiled (src/compiled/: `compileConfig()` in Node, the
//! worker's `GET /v1/config?format=compiled`, `nurture compile`): as bytes
//! (`Uint8Array`, `ArrayBuffer`), as the base64 text of them (what the edge
//! embeds in a page), as a URL whose answer is them, or as a promise of
//! any of these. A compiled config is read without parsing JSON or tracking
//! paths. A refused one (another format version, truncated, damaged) leaves
//! the runtime running with the slots at their defaults, nothing swapped and
//! the outbox as it was; `state().configError` says why.
//!
//! The raw JSON route (an object, or a URL answering JSON) works in
//! pkg/browser, with every path-precise error; it parses and checks the
//! documents on every page load, which is what compiling saves. The
//! page-only build (`page-only`, pkg/page) has no JSON reader for configs:
//! there a raw config (or a raw `options.model`) is refused with
//! `raw_config_unsupported`, the slots keep their defaults and the outbox
//! is untouched, and the console names `npx nurture compile` and the
//! worker's `GET /v1/config?format=compiled`.

use std::rc::Rc;

use js_sys::{Function, Promise};
#[cfg(not(feature = "page-only"))]
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::runtime::notify;
use super::{get, then2, warn, ConfigState, Rt};
#[cfg(feature = "page-only")]
use crate::compiled::Frame;
use crate::compiled::{self, CompiledError};
#[cfg(not(feature = "page-only"))]
use crate::diagnostics::{ConfigDocument, Diagnostics, Issue};
use crate::personalize::Personalizer;
use crate::score::Model;
#[cfg(not(feature = "page-only"))]
use crate::wasm::{config_error, from_js, IntoJsResult};

/// `options.model` as the page gave it, to tell whether the config's own
/// model differs: the document (JSON route), or in the page-only build the
/// compiled model's tree.
#[cfg(not(feature = "page-only"))]
pub(super) type ExplicitModel = Value;
#[cfg(feature = "page-only")]
pub(super) type ExplicitModel = Vec<u8>;

/// The code of `state().configError` (and of the error `start` throws for
/// `options.model`) when the page-only build is handed JSON.
#[cfg(feature = "page-only")]
const RAW_CONFIG_UNSUPPORTED: &str = "raw_config_unsupported";

#[cfg(feature = "page-only")]
const RAW_CONFIG_MESSAGE: &str = "this page build (nurture/page) reads compiled configs only, not JSON: compile it with `npx nurture compile site.json > site.nrc`, ask the worker for `GET /v1/config?format=compiled`, or load nurture/browser, which reads JSON";

/// The model `start` scores with, and `options.model` as given (see
/// [`ExplicitModel`]): the built-in model, from its compiled form, when
/// the page gave none.
pub(super) fn start_model(given: JsValue) -> Result<(Model, Option<ExplicitModel>), JsValue> {
    if given.is_undefined() || given.is_null() {
        #[cfg(not(feature = "page-only"))]
        return Ok((compiled::default_model(), None));
        #[cfg(feature = "page-only")]
        return compiled::embedded_default_model()
            .map(|model| (model, None))
            .map_err(|e| crate::wasm::js_error(e.code(), "", &e.message()));
    }
    #[cfg(not(feature = "page-only"))]
    {
        let doc = from_js(given, "options.model")?;
        let model = Model::from_value(doc.clone()).into_js()?;
        Ok((model, Some(doc)))
    }
    #[cfg(feature = "page-only")]
    {
        let refused =
            |code: &str, message: &str| crate::wasm::js_error(code, "options.model", message);
        let Arrived::Compiled(bytes) = arrived(given) else {
            return Err(refused(RAW_CONFIG_UNSUPPORTED, RAW_CONFIG_MESSAGE));
        };
        let frame = Frame::read(&bytes).map_err(|e| refused(e.code(), &e.message()))?;
        let (Some(tree), None) = (frame.model, frame.site) else {
            return Err(refused(
                "compiled_config_corrupt",
                "expected a compiled model (`npx nurture compile model.json`)",
            ));
        };
        let model = frame
            .load()
            .map_err(|e| refused(e.code(), &e.message()))?
            .model
            .ok_or_else(|| {
                refused(
                    "compiled_config_corrupt",
                    "a compiled config without a model",
                )
            })?;
        Ok((model, Some(tree.to_vec())))
    }
}

/// A config as it arrived: compiled bytes, or a JSON value.
enum Arrived {
    Compiled(Vec<u8>),
    Json(JsValue),
}

/// `Uint8Array`, `ArrayBuffer` or base64 text of a compiled config
/// (base64 of its magic starts `iU5SQ`, which no URL a page means does):
/// the bytes; anything else is JSON (an object) or a URL.
fn arrived(value: JsValue) -> Arrived {
    if let Some(bytes) = value.dyn_ref::<js_sys::Uint8Array>() {
        return Arrived::Compiled(bytes.to_vec());
    }
    if let Some(buffer) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        return Arrived::Compiled(js_sys::Uint8Array::new(buffer).to_vec());
    }
    match value.as_string() {
        Some(text) if text.starts_with(compiled::BASE64_MAGIC) => {
            // Text that is not base64 fails below as "not a compiled config".
            Arrived::Compiled(compiled::decode_base64(&text).unwrap_or_default())
        }
        _ => Arrived::Json(value),
    }
}

/// A compiled config read and compiled. `explicit` (`options.model`) wins
/// over the document's model, as on the JSON route. Read through a `Value`
/// ([`Compiled`]) as this build's JSON route reads configs, so the config
/// types' readers are instantiated once.
#[cfg(not(feature = "page-only"))]
fn load_compiled(bytes: &[u8], explicit: Option<&ExplicitModel>) -> Result<Loaded, CompiledError> {
    let mut compiled = compiled::Compiled::read(bytes)?;
    if compiled.site.is_none() {
        return Err(MODEL_NOT_SITE);
    }
    if let (Some(given), Some(doc)) = (explicit, &compiled.model) {
        if given != doc {
            warn(MODEL_DIFFERS);
        }
        compiled.model = None;
    }
    loaded(compiled.load()?)
}

/// A compiled config read and compiled straight from its bytes
/// ([`Frame`]). `explicit` (`options.model`, a compiled model's tree) wins
/// over the document's model.
#[cfg(feature = "page-only")]
fn load_compiled(bytes: &[u8], explicit: Option<&ExplicitModel>) -> Result<Loaded, CompiledError> {
    let mut frame = Frame::read(bytes)?;
    if frame.site.is_none() {
        return Err(MODEL_NOT_SITE);
    }
    if let (Some(given), Some(doc)) = (explicit, frame.model) {
        if given.as_slice() != doc {
            warn(MODEL_DIFFERS);
        }
        frame.model = None;
    }
    loaded(frame.load()?)
}

const MODEL_NOT_SITE: CompiledError = CompiledError::Corrupt(
    "a compiled model where a site config was expected: compile the site config or the edge's document",
);
const MODEL_DIFFERS: &str =
    "nurture: options.model differs from the model in the compiled config; options.model is used";

fn loaded(loaded: compiled::Loaded) -> Result<Loaded, CompiledError> {
    Ok(Loaded {
        personalizer: loaded.personalizer.ok_or(CompiledError::Corrupt(
            "a compiled config without a site config",
        ))?,
        model: loaded.model,
        version: Some(loaded.version),
    })
}

/// Why a compiled config was refused, kept for `state().configError`.
pub(super) struct ConfigError {
    pub code: &'static str,
    pub message: String,
}

/// What the page does with a config that cannot be used: says why on the
/// console, keeps the slots at their defaults (nothing is swapped) and
/// keeps tracking; the outbox is untouched.
fn refuse(rt: &Rt, code: &'static str, message: String) {
    let mut msg = String::from("nurture: the config is not valid (");
    msg.push_str(&message);
    msg.push_str("); slots keep their defaults");
    warn(&msg);
    let mut r = rt.borrow_mut();
    r.config_state = ConfigState::Failed;
    r.config_error = Some(ConfigError { code, message });
    r.give_up();
}

/// A config, compiled.
struct Loaded {
    personalizer: Personalizer,
    /// The edge document's model, when it has one and `options.model` was
    /// not given.
    model: Option<Model>,
    /// The edge document's `version`.
    version: Option<String>,
}

/// Compiles a JSON config as it arrived. `explicit` is `options.model` when the
/// page gave one: it wins over the document's model (an explicit argument
/// beats a fetched default), with a warning when the two differ. The first
/// error in the document's own fields stops there; the site config and the
/// model report theirs with paths from the top of the document.
#[cfg(not(feature = "page-only"))]
fn compile(value: Value, explicit: Option<&Value>) -> Result<Loaded, Vec<Issue>> {
    // A site config has no `site` field (its schema allows none): a
    // document with one is the edge's.
    let (site, edge) = match value {
        Value::Object(mut map) if map.contains_key("site") => {
            if let Some(key) = map
                .keys()
                .find(|k| !matches!(k.as_str(), "version" | "site" | "model"))
            {
                return Err(vec![Issue::error(
                    key.as_str(),
                    "unknown field in the edge's config document, expected `version`, `site`, `model`",
                )]);
            }
            let Some(Value::String(version)) = map.remove("version") else {
                return Err(vec![Issue::error("version", "expected a string")]);
            };
            let model = map.remove("model").unwrap_or_default();
            (
                map.remove("site").unwrap_or_default(),
                Some((version, model)),
            )
        }
        site => (site, None),
    };
    let personalizer = Personalizer::from_value(site).map_err(|d| match edge {
        Some(_) => within("site", d),
        None => d.errors,
    })?;
    let Some((version, doc)) = edge else {
        return Ok(Loaded {
            personalizer,
            model: None,
            version: None,
        });
    };
    let model = match (explicit, doc) {
        (_, Value::Null) => None,
        (Some(given), doc) => {
            if *given != doc {
                warn("nurture: options.model differs from the model in the edge's config document; options.model is used");
            }
            None
        }
        (None, doc) => Some(Model::from_value(doc).map_err(|d| within("model", d))?),
    };
    Ok(Loaded {
        personalizer,
        model,
        version: Some(version),
    })
}

/// A part's errors, with paths from the top of the document.
#[cfg(not(feature = "page-only"))]
fn within(part: &str, d: Diagnostics) -> Vec<Issue> {
    d.errors
        .into_iter()
        .map(|mut issue| {
            let mut path = String::from(part);
            if !issue.path.is_empty() && !issue.path.starts_with('[') {
                path.push('.');
            }
            path.push_str(&issue.path);
            issue.path = path;
            issue
        })
        .collect()
}

fn install(rt: &Rt, loaded: Loaded) {
    let mut r = rt.borrow_mut();
    r.config_error = None;
    r.personalizer = Some(loaded.personalizer);
    if let Some(model) = loaded.model {
        r.model = model;
    }
    r.config_version = loaded.version;
    r.config_state = ConfigState::Ready;
}

/// The config may be an object, compiled bytes (or their base64), a URL or
/// a promise; slots wait for it (hidden at most `antiFlickerMs`). An object
/// is compiled now and a bad one throws `invalid_config` (the page-only
/// build refuses it as `raw_config_unsupported`, see the module's comment);
/// compiled bytes are read now and refused ones keep the defaults, as does
/// anything that arrives later and cannot be used.
pub(super) fn load_config(
    rt: &Rt,
    config: JsValue,
    model: Option<ExplicitModel>,
) -> Result<(), JsValue> {
    if config.is_undefined() || config.is_null() {
        rt.borrow_mut().config_state = ConfigState::Failed;
        return Ok(());
    }
    let config = match arrived(config) {
        Arrived::Compiled(bytes) => {
            match load_compiled(&bytes, model.as_ref()) {
                Ok(loaded) => install(rt, loaded),
                Err(e) => refuse(rt, e.code(), e.message()),
            }
            return Ok(());
        }
        Arrived::Json(config) => config,
    };
    let promise = if let Some(url) = config.as_string() {
        let window = rt.borrow().window.clone();
        then2(
            &window.fetch_with_str(&url).into(),
            &Closure::once_into_js(read_answer),
            &JsValue::UNDEFINED,
        )
    } else if get(&config, "then").is_function() {
        config
    } else {
        #[cfg(not(feature = "page-only"))]
        {
            let loaded = compile(from_js(config, "options.config")?, model.as_ref())
                .map_err(|errors| config_error(&errors))?;
            install(rt, loaded);
        }
        #[cfg(feature = "page-only")]
        refuse_raw(rt);
        return Ok(());
    };
    let weak = Rc::downgrade(rt);
    let weak2 = weak.clone();
    let ok = Closure::once_into_js(move |value: JsValue| {
        let Some(rt) = weak.upgrade() else { return };
        let loaded = match arrived(value) {
            Arrived::Compiled(bytes) => {
                #[cfg(feature = "page-only")]
                if is_json_text(&bytes) {
                    refuse_raw(&rt);
                    notify(&rt);
                    return;
                }
                load_compiled(&bytes, model.as_ref()).map_err(|e| (e.code(), e.message()))
            }
            #[cfg(not(feature = "page-only"))]
            Arrived::Json(value) => from_js(value, "config")
                .map_err(|_| vec![Issue::error("", "not a JSON value")])
                .and_then(|v| compile(v, model.as_ref()))
                .map_err(|errors| {
                    let mut msg = String::new();
                    if let Some(first) = errors.first() {
                        msg.push_str(&first.path);
                        msg.push_str(": ");
                        msg.push_str(&first.message);
                    }
                    ("invalid_config", msg)
                }),
            #[cfg(feature = "page-only")]
            Arrived::Json(_) => {
                refuse_raw(&rt);
                notify(&rt);
                return;
            }
        };
        match loaded {
            Ok(loaded) => {
                install(&rt, loaded);
                let mut r = rt.borrow_mut();
                r.refresh();
                r.apply_all();
            }
            Err((code, message)) => refuse(&rt, code, message),
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

/// The body of the config URL's answer. A compiled answer (the worker's
/// `application/vnd.nurture.compiled`, or any that is not JSON) is read as
/// bytes, JSON as JSON; the page-only build reads every answer as bytes
/// and refuses JSON text ([`is_json_text`]).
fn read_answer(resp: JsValue) -> JsValue {
    let ok = get(&resp, "ok").as_bool() == Some(true);
    #[cfg(not(feature = "page-only"))]
    let method = {
        let headers = get(&resp, "headers");
        let json = get(&headers, "get")
            .dyn_into::<Function>()
            .ok()
            .and_then(|f| f.call1(&headers, &JsValue::from_str("content-type")).ok())
            .and_then(|t| t.as_string())
            .is_some_and(|t| t.contains("json"));
        if json {
            "json"
        } else {
            "arrayBuffer"
        }
    };
    #[cfg(feature = "page-only")]
    let method = "arrayBuffer";
    match (ok, get(&resp, method).dyn_into::<Function>()) {
        (true, Ok(f)) => f.call0(&resp).unwrap_or(JsValue::NULL),
        _ => Promise::reject(&JsValue::from_str("config request failed")).into(),
    }
}

/// An answer that is JSON text (an object, after any white space) rather
/// than a compiled config.
#[cfg(feature = "page-only")]
fn is_json_text(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
}

/// A raw JSON config handed to the page-only build: refused, with the
/// routes that work named on the console.
#[cfg(feature = "page-only")]
fn refuse_raw(rt: &Rt) {
    refuse(rt, RAW_CONFIG_UNSUPPORTED, RAW_CONFIG_MESSAGE.into());
}
