//! Compiled configs in the full build (Node, edge workers, the `nurture
//! compile` command): `compileConfig(document, kind?)` checks a model, a
//! site config or the edge's config document with path-precise errors and
//! returns its compiled form (src/compiled/), which pages load without
//! JSON; `inspectCompiled(bytes)` reads one back as a page would and says
//! what it holds.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::handles::compiled_error;
use super::{from_js, invalid_argument, IntoJsResult};
use crate::compiled::{self, Compiled, Kind, FORMAT_VERSION};

/// `compileConfig(document, kind?)` → `Uint8Array`. `kind` is `"edge"`
/// (`{version?, site, model?}`, what `GET /v1/config` serves), `"site"` or
/// `"model"`; without it, a document with `site` is the edge's, one with
/// `fit` or `engagement` a model, anything else a site config. A bad
/// document throws `invalid_config` with the path of the first error and
/// every error in `err.errors`.
#[wasm_bindgen(js_name = compileConfig)]
///
/// `kind` arrives as a plain value and is checked here: an `Option<String>`
/// parameter trapped inside the glue on a number or a boolean.
pub fn compile_config(document: JsValue, kind: JsValue) -> Result<Vec<u8>, JsValue> {
    let named = kind.as_string();
    let kind = match named.as_deref() {
        None if kind.is_undefined() || kind.is_null() => None,
        Some("edge") => Some(Kind::Edge),
        Some("site") => Some(Kind::Site),
        Some("model") => Some(Kind::Model),
        _ => {
            return Err(invalid_argument(
                "kind",
                "expected \"edge\", \"site\" or \"model\"",
            ))
        }
    };
    let document = from_js(document, "document")?;
    compiled::compile(&document, kind).into_js()
}

/// `inspectCompiled(bytes)` → `{formatVersion, kind, version, site, model}`
/// (`site` and `model`: whether it holds one): reads a compiled config
/// and compiles its documents as the browser build's page runtime does,
/// throwing what it refuses (the page-only build loads the compiled
/// structures instead, which this build does not decode).
///
/// The bytes arrive as a plain value and are checked here: a typed `&[u8]`
/// parameter would let a wrong argument fail inside the glue with an
/// uncoded `TypeError`.
#[wasm_bindgen(js_name = inspectCompiled)]
pub fn inspect_compiled(bytes: JsValue) -> Result<JsValue, JsValue> {
    let bytes = bytes
        .dyn_ref::<js_sys::Uint8Array>()
        .ok_or_else(|| invalid_argument("bytes", "expected a Uint8Array"))?
        .to_vec();
    let loaded = Compiled::read(&bytes)
        .and_then(Compiled::load)
        .map_err(|e| compiled_error(&e))?;
    super::to_js(&serde_json::json!({
        "formatVersion": FORMAT_VERSION,
        "kind": loaded.kind.as_str(),
        "version": loaded.version,
        "site": loaded.personalizer.is_some(),
        "model": loaded.model.is_some(),
    }))
}
