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
//! The raw JSON route (an object, or a URL answering JSON) still works in
//! the page build, with every path-precise error; it parses and checks the
//! documents on every page load, which is what compiling saves.

use std::rc::Rc;

use js_sys::{Function, Promise};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::runtime::notify;
use super::{get, then2, warn, ConfigState, Rt};
use crate::compiled::{self, Compiled, CompiledError};
use crate::diagnostics::{ConfigDocument, Diagnostics, Issue};
use crate::personalize::Personalizer;
use crate::score::Model;
use crate::wasm::{config_error, from_js};

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
/// over the document's model, as on the JSON route.
fn load_compiled(bytes: &[u8], explicit: Option<&Value>) -> Result<Loaded, CompiledError> {
    let mut compiled = Compiled::read(bytes)?;
    if compiled.site.is_none() {
        return Err(CompiledError::Corrupt(
            "a compiled model where a site config was expected: compile the site config or the edge's document",
        ));
    }
    if let (Some(given), Some(doc)) = (explicit, &compiled.model) {
        if given != doc {
            warn("nurture: options.model differs from the model in the compiled config; options.model is used");
        }
        compiled.model = None;
    }
    let loaded = compiled.load()?;
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

/// Compiles a config as it arrived. `explicit` is `options.model` when the
/// page gave one: it wins over the document's model (an explicit argument
/// beats a fetched default), with a warning when the two differ. The first
/// error in the document's own fields stops there; the site config and the
/// model report theirs with paths from the top of the document.
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
/// is compiled now and a bad one throws `invalid_config`; compiled bytes
/// are read now and refused ones keep the defaults (see the module's
/// comment), as does anything that arrives later and cannot be used.
pub(super) fn load_config(rt: &Rt, config: JsValue, model: Option<Value>) -> Result<(), JsValue> {
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
        // A compiled answer (the worker's `application/vnd.nurture.compiled`,
        // or any that is not JSON) is read as bytes, JSON as before.
        let read = Closure::once_into_js(|resp: JsValue| -> JsValue {
            let ok = get(&resp, "ok").as_bool() == Some(true);
            let headers = get(&resp, "headers");
            let json = get(&headers, "get")
                .dyn_into::<Function>()
                .ok()
                .and_then(|f| f.call1(&headers, &JsValue::from_str("content-type")).ok())
                .and_then(|t| t.as_string())
                .is_some_and(|t| t.contains("json"));
            let method = if json { "json" } else { "arrayBuffer" };
            match (ok, get(&resp, method).dyn_into::<Function>()) {
                (true, Ok(f)) => f.call0(&resp).unwrap_or(JsValue::NULL),
                _ => Promise::reject(&JsValue::from_str("config request failed")).into(),
            }
        });
        then2(
            &window.fetch_with_str(&url).into(),
            &read,
            &JsValue::UNDEFINED,
        )
    } else if get(&config, "then").is_function() {
        config
    } else {
        let loaded = compile(from_js(config, "options.config")?, model.as_ref())
            .map_err(|errors| config_error(&errors))?;
        install(rt, loaded);
        return Ok(());
    };
    let weak = Rc::downgrade(rt);
    let weak2 = weak.clone();
    let ok = Closure::once_into_js(move |value: JsValue| {
        let Some(rt) = weak.upgrade() else { return };
        let loaded = match arrived(value) {
            Arrived::Compiled(bytes) => {
                load_compiled(&bytes, model.as_ref()).map_err(|e| (e.code(), e.message()))
            }
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
