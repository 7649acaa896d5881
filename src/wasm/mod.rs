//! The WebAssembly layer: converts JavaScript values in and out of the core
//! and turns every core error into a thrown JS `Error` in one place
//! ([`IntoJsResult`]). Nothing else lives here.
//!
//! With the `page-only` feature only what the page runtime (JS,
//! pkg-template/runtime/) scores and decides with stays: [`handles`],
//! [`page_core`], the `LiveVisitor` of [`visitor`] and [`visitor_decide`],
//! and [`engine`]; the function API (scoring documents, deciding,
//! conditions, forms, compiling…) is left out of the page's wasm.

#[cfg(all(feature = "calibrate", not(feature = "page-only")))]
pub mod calibrate;
#[cfg(all(feature = "config-compiler", not(feature = "page-only")))]
pub mod compiled;
#[cfg(not(feature = "page-only"))]
pub mod condition;
pub mod engine;
#[cfg(not(feature = "page-only"))]
pub mod forms;
pub mod handles;
#[cfg(all(feature = "live-visitor", feature = "page-only"))]
mod layout;
#[cfg(all(
    feature = "maxmind-fields",
    feature = "ip-tables",
    not(feature = "page-only")
))]
pub mod mmdb;
#[cfg(feature = "page-only")]
pub mod page_core;
#[cfg(not(feature = "page-only"))]
pub mod personalize;
#[cfg(not(feature = "page-only"))]
pub mod score;
#[cfg(all(feature = "visitor-state", not(feature = "page-only")))]
pub mod state;
#[cfg(all(feature = "ip-tables", not(feature = "page-only")))]
pub mod tables;
#[cfg(not(feature = "page-only"))]
pub mod targeting;
#[cfg(feature = "live-visitor")]
pub mod visitor;
#[cfg(feature = "live-visitor")]
pub mod visitor_decide;
#[cfg(all(feature = "live-visitor", not(feature = "page-only")))]
pub mod visitor_values;

use js_sys::{Error as JsError, Reflect};
#[cfg(not(feature = "page-only"))]
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[cfg(not(feature = "page-only"))]
use crate::diagnostics::{Diagnostics, Issue};

/// Stable error codes that callers can branch on (`err.code`).
pub(crate) mod code {
    /// A configuration document is malformed; `err.path` names the field.
    #[cfg(not(feature = "page-only"))]
    pub const INVALID_CONFIG: &str = "invalid_config";
    /// An argument has the wrong shape; `err.path` names the argument.
    pub const INVALID_ARGUMENT: &str = "invalid_argument";
}

/// Builds the `Error` that every export throws: `message`, a stable `code`
/// and, where one applies, the `path` of the bad field or argument.
pub(crate) fn js_error(code: &str, path: &str, message: &str) -> JsValue {
    let full = if path.is_empty() {
        message.to_owned()
    } else {
        [path, ": ", message].concat()
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

#[cfg(not(feature = "page-only"))]
pub(crate) trait IntoJsResult<T> {
    fn into_js(self) -> Result<T, JsValue>;
}

#[cfg(not(feature = "page-only"))]
impl<T> IntoJsResult<T> for Result<T, Diagnostics> {
    fn into_js(self) -> Result<T, JsValue> {
        self.map_err(|d| config_error(&d.errors))
    }
}

/// The `invalid_config` error for a document with `errors`: `path` and
/// `message` are the first error's, and `err.errors` lists every one as
/// `{path, message, severity}` for editors that show them all.
#[cfg(not(feature = "page-only"))]
pub(crate) fn config_error(errors: &[Issue]) -> JsValue {
    let Some(first) = errors.first() else {
        return js_error(code::INVALID_CONFIG, "", "invalid configuration");
    };
    let error = if errors.len() > 1 {
        let more = errors.len() - 1;
        let message = format!("{} (and {more} more in err.errors)", first.message);
        js_error(code::INVALID_CONFIG, &first.path, &message)
    } else {
        js_error(code::INVALID_CONFIG, &first.path, &first.message)
    };
    if let Ok(list) = to_js(errors) {
        let _ = Reflect::set(&error, &"errors".into(), &list);
    }
    error
}

/// Reads a JS value as JSON. `what` names the argument in the error.
///
/// serde-wasm-bindgen rather than `JSON.stringify` + serde_json: it turns lone
/// UTF-16 surrogates (which JS strings may hold) into U+FFFD instead of
/// failing the whole call, and it reports the bad value's type. The page
/// build reads values by hand instead ([`plain`]).
#[cfg(not(feature = "page-only"))]
pub(crate) fn from_js(value: JsValue, what: &str) -> Result<crate::json::Value, JsValue> {
    if value.is_undefined() {
        return Ok(crate::json::Value::Null);
    }
    serde::de::DeserializeSeed::deserialize(
        bounded::ValueSeed { depth: 0 },
        serde_wasm_bindgen::Deserializer::from(value),
    )
    .map_err(|e| js_error(code::INVALID_ARGUMENT, what, &e.to_string()))
}

/// How deep [`from_js`] reads: deeper than any document a person writes,
/// and twice the depth the condition evaluator reads (`MAX_VALUE_DEPTH`),
/// far below the stack.
const MAX_DEPTH: usize = 512;

/// The page build's [`from_js`]: a JS value read as JSON by hand, with the
/// same readings (lone surrogates become U+FFFD, `undefined` is `null`,
/// NaN and the infinities are `null`, a `Date` is `{}`, a function, symbol
/// or bigint is refused) and the same nesting limit.
///
/// NOTE: serde-wasm-bindgen's errors are written by serde, whose message
/// for an unexpected float formats it: that pulled Rust's whole float
/// printer (14 KB of wasm) and serde's error machinery into a page build
/// that reads only a visitor's context and profile.
#[cfg(feature = "page-only")]
pub(crate) fn from_js(value: JsValue, what: &str) -> Result<crate::json::Value, JsValue> {
    plain::read(&value, 0).map_err(|message| js_error(code::INVALID_ARGUMENT, what, message))
}

#[cfg(feature = "page-only")]
mod plain {
    use crate::json::{Map, Number, Value};
    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::JsValue;

    use wasm_bindgen::JsCast;

    use super::MAX_DEPTH;

    pub fn read(value: &JsValue, depth: usize) -> Result<Value, &'static str> {
        if value.is_undefined() || value.is_null() {
            return Ok(Value::Null);
        }
        if let Some(b) = value.as_bool() {
            return Ok(Value::Bool(b));
        }
        if let Some(n) = value.as_f64() {
            // NaN and the infinities have no JSON form: null, as JSON.stringify does.
            return Ok(Number::from_f64(n).map_or(Value::Null, Value::Number));
        }
        if let Some(s) = value.as_string() {
            return Ok(Value::String(s));
        }
        if depth >= MAX_DEPTH {
            return Err("nested more than 512 levels deep (or refers to itself)");
        }
        if Array::is_array(value) {
            let array = Array::from(value);
            let mut out = Vec::with_capacity(array.length().min(4096) as usize);
            for item in array.iter() {
                out.push(read(&item, depth + 1)?);
            }
            return Ok(Value::Array(out));
        }
        if value.is_function() || !value.is_object() {
            return Err("expected a JSON value (not a function, symbol or bigint)");
        }
        let mut out = Map::new();
        for key in Object::keys(value.unchecked_ref::<Object>()).iter() {
            let Some(name) = key.as_string() else {
                continue;
            };
            let field = Reflect::get(value, &key).unwrap_or(JsValue::UNDEFINED);
            out.insert(name, read(&field, depth + 1)?);
        }
        Ok(Value::Object(out))
    }
}

/// Reading a JS value into a `serde_json::Value` with a nesting limit.
///
/// NOTE: serde-wasm-bindgen recurses once per level, and wasm32 has no guard
/// page below the shadow stack: a few thousand nested arrays, or any cyclic
/// object (`o.self = o`), ran the stack into the heap and trapped with
/// "memory access out of bounds", leaving the instance dead. Counting levels
/// here turns both into an `invalid_argument` error.
#[cfg(not(feature = "page-only"))]
mod bounded {
    use std::fmt;

    use crate::json::{Map, Number, Value};
    use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};

    use super::MAX_DEPTH;

    pub struct ValueSeed {
        pub depth: usize,
    }

    impl<'de> DeserializeSeed<'de> for ValueSeed {
        type Value = Value;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl ValueSeed {
        fn nested<E: Error>(&self) -> Result<ValueSeed, E> {
            if self.depth >= MAX_DEPTH {
                return Err(E::custom(
                    "nested more than 512 levels deep (or refers to itself)",
                ));
            }
            Ok(ValueSeed {
                depth: self.depth + 1,
            })
        }
    }

    impl<'de> Visitor<'de> for ValueSeed {
        type Value = Value;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_bool<E: Error>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<Value, E> {
            Ok(Value::Number(v.into()))
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<Value, E> {
            Ok(Value::Number(v.into()))
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<Value, E> {
            // NaN and the infinities have no JSON form: null, as JSON.stringify does.
            Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_owned()))
        }
        fn visit_string<E: Error>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_unit<E: Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_none<E: Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(item) = seq.next_element_seed(self.nested()?)? {
                out.push(item);
            }
            Ok(Value::Array(out))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut out = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                let value = map.next_value_seed(self.nested()?)?;
                out.insert(key, value);
            }
            Ok(Value::Object(out))
        }
    }
}

/// Writes a result as plain JS objects and arrays, so it can be read with dot
/// access and passed to `JSON.stringify` as is. Going through JSON text and
/// `JSON.parse` is faster than setting each property across the boundary,
/// and its code is smaller. (The page build has no JSON writer: it builds
/// its one object, the layout, by hand: src/wasm/layout.rs.)
#[cfg(not(feature = "page-only"))]
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|e| js_error(code::INVALID_ARGUMENT, "", &e.to_string()))?;
    js_sys::JSON::parse(&text)
}

/// Grows the heap once by about `bytes` before a large build. The allocator
/// otherwise grows wasm memory a page at a time, and in V8 every
/// `memory.grow` detaches the JS views of memory and costs a garbage
/// collection: loading a 100,000-line table spent most of its time there.
/// The freed block stays with the allocator and serves the build.
#[cfg(all(feature = "ip-tables", not(feature = "page-only")))]
pub(crate) fn reserve_heap(bytes: usize) {
    // Workers get 128 MiB per isolate: never reserve most of that up front.
    const LIMIT: usize = 64 << 20;
    let bytes = bytes.min(LIMIT);
    let mut block: Vec<u8> = Vec::new();
    // A failed reservation only means the build grows memory as it goes.
    if block.try_reserve_exact(bytes).is_ok() {
        drop(block);
    }
}

/// A JS `Date` wherever the core takes a time: [`from_js`] reads a `Date`
/// as `{}` (it has no own properties), so where `json` holds an empty object
/// under `key` and the JS object holds a `Date` there, the `Date`'s
/// milliseconds go in its place. A `Date` made from seconds
/// (`new Date(1764633600)`, January 1970) is then refused as seconds, as
/// the number would be. An invalid `Date` becomes the text
/// `"Invalid Date"`, which the time reader refuses with its reason.
#[cfg(not(feature = "page-only"))]
pub(crate) fn dates_to_millis(
    js: &JsValue,
    json: &mut crate::json::Map<String, crate::json::Value>,
    key: &str,
) {
    use wasm_bindgen::JsCast;
    let empty = matches!(json.get(key), Some(crate::json::Value::Object(o)) if o.is_empty());
    if !empty {
        return;
    }
    let field = Reflect::get(js, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    if let Some(date) = field.dyn_ref::<js_sys::Date>() {
        let ms = date.get_time();
        // Whole milliseconds (every valid Date) as an integer, so an error
        // message shows the number as it was meant.
        let value = if ms.is_finite() {
            crate::json::Value::from(ms as i64)
        } else {
            "Invalid Date".into()
        };
        json.insert(key.to_string(), value);
    }
}

pub(crate) fn invalid_argument(path: &str, message: &str) -> JsValue {
    js_error(code::INVALID_ARGUMENT, path, message)
}
