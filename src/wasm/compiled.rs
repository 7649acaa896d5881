//! Compiled configs in the full build (Node, edge workers, the `nurture
//! compile` command): `compileConfig(document, kind?)` checks a model, a
//! site config or the edge's config document with path-precise errors and
//! returns its compiled form (src/compiled/), which pages load without
//! JSON; `inspectCompiled(bytes)` reads one back as a page would and says
//! what it holds.

use wasm_bindgen::prelude::*;

use super::{compiled_error, from_js, invalid_argument, IntoJsResult};
use crate::compiled::{self, Compiled, Kind, FORMAT_VERSION};

/// `compileConfig(document, kind?)` → `Uint8Array`. `kind` is `"edge"`
/// (`{version?, site, model?}`, what `GET /v1/config` serves), `"site"` or
/// `"model"`; without it, a document with `site` is the edge's, one with
/// `fit` or `engagement` a model, anything else a site config. A bad
/// document throws `invalid_config` with the path of the first error and
/// every error in `err.errors`.
#[wasm_bindgen(js_name = compileConfig)]
pub fn compile_config(document: JsValue, kind: Option<String>) -> Result<Vec<u8>, JsValue> {
    let kind = match kind.as_deref() {
        None => None,
        Some("edge") => Some(Kind::Edge),
        Some("site") => Some(Kind::Site),
        Some("model") => Some(Kind::Model),
        Some(_) => {
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
/// (`site` and `model`: whether it holds one): reads and compiles a
/// compiled config as the page does, throwing what the page refuses.
#[wasm_bindgen(js_name = inspectCompiled)]
pub fn inspect_compiled(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let loaded = Compiled::read(bytes)
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
