//! Personalization exports: `decide()` and the `Personalizer` class; the
//! lookup tables they can take (`CidrTable`, `MaxMindDb`) and `segmentOf()`
//! are in [`super::tables`], Node and edge builds only.
//!
//! # Passing tables
//!
//! Functions that segment by IP take an optional `tables` object:
//!
//! ```js
//! const accounts = CidrTable.fromCsv(csvText);          // named accounts
//! const asn = new MaxMindDb(new Uint8Array(asnBytes));   // any GeoIP2/GeoLite2 .mmdb
//! const city = new MaxMindDb(new Uint8Array(cityBytes));
//! const out = decide(config, visitor, { cidr: accounts, maxmind: [asn, city] });
//! ```
//!
//! `cidr` is a `CidrTable`; `maxmind` a `MaxMindDb` or an array of them,
//! read in order (the first database that knows a field wins). Tables are
//! borrowed, not consumed: build them once and pass them to every call.
//! Without tables, request attributes (`visitor.request`, e.g. Cloudflare's
//! `request.cf`) still give country, ASN and the rest.
//!
//! `visitor` is `{id, ip?, request?, profile?, score?, page?, seen?}`; `score`
//! is a `score()` result or any subset of it (`{tier, stage, interests}`).
//!
//! Errors are thrown as `Error`s with `code` (`invalid_config` for the
//! config, `invalid_argument` for the other arguments) and `path`.

use wasm_bindgen::prelude::*;

#[cfg(not(feature = "ip-tables"))]
use super::handles::HeldTables;
use super::handles::{invalid_visitor, PersonalizerHandle};
#[cfg(feature = "ip-tables")]
use super::tables::HeldTables;
use super::{from_js, to_js, IntoJsResult};
use crate::diagnostics::ConfigDocument;
use crate::personalize::{Decisions, Personalizer, Visitor};

/// The visitor document, read as its JSON text where the build can.
///
/// NOTE: serde-wasm-bindgen makes a JS call for every key, string and
/// number (and cutting the score down, one for each of its fields); one
/// call that cuts the score and runs `JSON.stringify` (native in the
/// engine), then serde_json over the text in wasm, read the same plain
/// object several times faster. A value the text cannot carry (a cycle, a
/// BigInt, text serde_json refuses) is read value by value as before,
/// which names what is wrong.
pub(super) fn read_visitor(value: JsValue) -> Result<Visitor, JsValue> {
    #[cfg(feature = "visitor-state")]
    if let Some(doc) = visitor_text(&value).and_then(|t| serde_json::from_str(&t).ok()) {
        return Visitor::from_value(doc).map_err(invalid_visitor);
    }
    let value = without_score_breakdown(value);
    Visitor::from_value(from_js(value, "visitor")?).map_err(invalid_visitor)
}

// The page build carries no JS beside its glue: it reads value by value.
#[cfg(feature = "visitor-state")]
#[wasm_bindgen(module = "/src/wasm/visitor_text.js")]
extern "C" {
    #[wasm_bindgen(js_name = visitorText)]
    fn visitor_text(visitor: &JsValue) -> Option<String>;
}

/// The visitor with its `score` cut down to what decisions read (the score
/// numbers, grade, tier, stage, MQL flag and interests).
///
/// A full `score()` result also carries the per-event and per-rule
/// breakdown: hundreds of objects that `from_js` would otherwise walk
/// property by property across the boundary, which made `decide` with a
/// 1,000-event visitor's score several times slower than with the few
/// fields it uses. Anything that is not a plain visitor object is passed on
/// untouched, so the reader still reports it with its path.
fn without_score_breakdown(value: JsValue) -> JsValue {
    use js_sys::{Array, Object, Reflect};
    let is_record = |v: &JsValue| v.is_object() && !Array::is_array(v);
    if !is_record(&value) {
        return value;
    }
    let Ok(score) = Reflect::get(&value, &"score".into()) else {
        return value;
    };
    if !is_record(&score) {
        return value;
    }
    let slim = Object::new();
    let copy = |key: &str, v: &JsValue| {
        if !v.is_undefined() {
            let _ = Reflect::set(&slim, &key.into(), v);
        }
    };
    for key in ["fit", "engagement"] {
        let Ok(v) = Reflect::get(&score, &key.into()) else {
            return value;
        };
        if is_record(&v) {
            // `{score, ...breakdown}` → `{score}`.
            let Ok(number) = Reflect::get(&v, &"score".into()) else {
                return value;
            };
            let only = Object::new();
            if !number.is_undefined() {
                let _ = Reflect::set(&only, &"score".into(), &number);
            }
            copy(key, &only);
        } else {
            copy(key, &v);
        }
    }
    for key in ["grade", "tier", "stage", "interests"] {
        let Ok(v) = Reflect::get(&score, &key.into()) else {
            return value;
        };
        copy(key, &v);
    }
    let Ok(mql) = Reflect::get(&score, &"mql".into()) else {
        return value;
    };
    if is_record(&mql) {
        let only = Object::new();
        if let Ok(q) = Reflect::get(&mql, &"qualified".into()) {
            if !q.is_undefined() {
                let _ = Reflect::set(&only, &"qualified".into(), &q);
            }
        }
        copy("mql", &only);
    } else {
        copy("mql", &mql);
    }
    let Some(visitor) = value.dyn_ref::<Object>() else {
        return value;
    };
    let shallow = Object::assign(&Object::new(), visitor);
    if Reflect::set(&shallow, &"score".into(), &slim).is_err() {
        return value;
    }
    shallow.into()
}

fn compile(config: JsValue) -> Result<Personalizer, JsValue> {
    Personalizer::from_value(from_js(config, "config")?).into_js()
}

/// Decides every slot for one visitor:
/// `decide(config, visitor, tables?) → {segments, primarySegment, decisions,
/// recommendations}`, each decision `{slot, variant, kind, content, reason}`.
/// Compiles `config` on every call; use `Personalizer` to compile once.
#[wasm_bindgen(js_name = decide)]
pub fn decide_js(config: JsValue, visitor: JsValue, tables: JsValue) -> Result<JsValue, JsValue> {
    let p = compile(config)?;
    let visitor = read_visitor(visitor)?;
    let held = HeldTables::read(&tables)?;
    decisions_to_js(&held.with(|t| p.decide(&visitor, t)))
}

/// Decisions as JS objects: their JSON text, parsed by the engine. The
/// browser build keeps serde's writer rather than carry a second one.
pub(super) fn decisions_to_js(decisions: &Decisions) -> Result<JsValue, JsValue> {
    #[cfg(feature = "visitor-state")]
    {
        let text = decisions
            .to_json()
            .map_err(|e| super::invalid_argument("", &e.to_string()))?;
        js_sys::JSON::parse(&text)
    }
    #[cfg(not(feature = "visitor-state"))]
    to_js(decisions)
}

/// Lists every error and warning of a personalization config without
/// throwing: `{errors: [{path, message, severity}], warnings: [...]}`.
#[wasm_bindgen(js_name = checkPersonalization)]
pub fn check_personalization_js(config: JsValue) -> Result<JsValue, JsValue> {
    to_js(&Personalizer::check(from_js(config, "config")?))
}

#[wasm_bindgen(js_class = Personalizer)]
impl PersonalizerHandle {
    /// `new Personalizer(config)`: compiles once (conditions and regexes
    /// included). Throws `code: "invalid_config"` with the `path` of the
    /// first bad field.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<PersonalizerHandle, JsValue> {
        Ok(PersonalizerHandle::from_personalizer(compile(config)?))
    }

    /// `personalizer.decide(visitor, tables?)`, as the `decide` function.
    pub fn decide(&self, visitor: JsValue, tables: JsValue) -> Result<JsValue, JsValue> {
        let visitor = read_visitor(visitor)?;
        let held = HeldTables::read(&tables)?;
        decisions_to_js(&held.with(|t| self.inner.decide(&visitor, t)))
    }

    /// `personalizer.segments(visitor, tables?)` → `{segments,
    /// primarySegment}`: the visitor's segments, highest priority first,
    /// without the context they were decided on (which `context` writes out
    /// whole: the visitor's request, profile and page, read back in JS only
    /// to take two fields). Node and edge builds only (feature
    /// `visitor-state`, with the edge's other per-visitor calls).
    #[cfg(feature = "visitor-state")]
    pub fn segments(&self, visitor: JsValue, tables: JsValue) -> Result<JsValue, JsValue> {
        let visitor = read_visitor(visitor)?;
        let held = HeldTables::read(&tables)?;
        held.with(|t| {
            let view = self.inner.view(&visitor, t);
            let segments = self.inner.segments_of(&view);
            to_js(&Segments {
                primary_segment: segments.first().copied(),
                segments,
            })
        })
    }

    /// `personalizer.context(visitor, tables?)`: the context conditions are
    /// evaluated against, segments included (for debugging rules).
    pub fn context(&self, visitor: JsValue, tables: JsValue) -> Result<JsValue, JsValue> {
        let visitor = read_visitor(visitor)?;
        let held = HeldTables::read(&tables)?;
        to_js(&held.with(|t| self.inner.context(&visitor, t)))
    }

    /// Warnings found while compiling: `[{path, message}]`.
    #[wasm_bindgen(getter)]
    pub fn warnings(&self) -> Result<JsValue, JsValue> {
        to_js(self.inner.warnings())
    }
}

#[cfg(feature = "visitor-state")]
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Segments<'a> {
    segments: Vec<&'a str>,
    primary_segment: Option<&'a str>,
}
