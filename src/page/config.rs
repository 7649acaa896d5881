//! The runtime's configuration as `start({config})` gives it: the site's
//! personalization config (an object, a URL, or a promise of either), or
//! the edge worker's config document, `GET /v1/config`:
//! `{"version": "<hash>", "site": <site config>, "model": <model or null>}`.
//! From that document the page takes the site config and the model, so the
//! page scores and decides with what the edge does, and cannot drift from it.

use std::rc::Rc;

use js_sys::{Function, Promise};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::runtime::notify;
use super::{get, then2, warn, ConfigState, Rt};
use crate::diagnostics::{ConfigDocument, Diagnostics, Issue};
use crate::personalize::Personalizer;
use crate::score::Model;
use crate::wasm::{config_error, from_js};

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
    r.personalizer = Some(loaded.personalizer);
    if let Some(model) = loaded.model {
        r.model = model;
    }
    r.config_version = loaded.version;
    r.config_state = ConfigState::Ready;
}

/// The config may be an object, a URL or a promise; slots wait for it
/// (hidden at most `antiFlickerMs`). An object is compiled now and a bad
/// one throws `invalid_config`; one that arrives later and is bad leaves
/// the slots at their defaults and says why on the console.
pub(super) fn load_config(rt: &Rt, config: JsValue, model: Option<Value>) -> Result<(), JsValue> {
    if config.is_undefined() || config.is_null() {
        rt.borrow_mut().config_state = ConfigState::Failed;
        return Ok(());
    }
    let promise = if let Some(url) = config.as_string() {
        let window = rt.borrow().window.clone();
        let json = Closure::once_into_js(|resp: JsValue| -> JsValue {
            let ok = get(&resp, "ok").as_bool() == Some(true);
            match (ok, get(&resp, "json").dyn_into::<Function>()) {
                (true, Ok(f)) => f.call0(&resp).unwrap_or(JsValue::NULL),
                _ => Promise::reject(&JsValue::from_str("config request failed")).into(),
            }
        });
        then2(
            &window.fetch_with_str(&url).into(),
            &json,
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
        let compiled = from_js(value, "config")
            .map_err(|_| vec![Issue::error("", "not a JSON value")])
            .and_then(|v| compile(v, model.as_ref()));
        match compiled {
            Ok(loaded) => {
                install(&rt, loaded);
                let mut r = rt.borrow_mut();
                r.refresh();
                r.apply_all();
            }
            Err(errors) => {
                let mut msg = String::from("nurture: the config is not valid (");
                if let Some(first) = errors.first() {
                    msg.push_str(&first.path);
                    msg.push_str(": ");
                    msg.push_str(&first.message);
                }
                msg.push_str("); slots keep their defaults");
                warn(&msg);
                let mut r = rt.borrow_mut();
                r.config_state = ConfigState::Failed;
                r.give_up();
            }
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
