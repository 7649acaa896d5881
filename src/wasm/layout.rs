//! The page build's `personalizer.layout()`: the object `to_js` makes of a
//! [`Layout`] (JSON text, then `JSON.parse`), built here property by
//! property instead.
//!
//! NOTE: the layout was the last thing the page build wrote as JSON text:
//! it kept serde_json's writer and its float printer (`zmij`, with its
//! tables) in the wasm a page downloads. Numbers cross as `f64`, which is
//! what `JSON.parse` made of the printed text.

use crate::json::Value;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

use crate::personalize::{Layout, Shown};

/// `{version?, slots: [{id, default: {kind, content}, variants: [{id,
/// kind, content}]}], items: [{id, title?, url?, type, stage?}]}`, with
/// the keys in serde's order.
pub(crate) fn layout_to_js(layout: &Layout) -> JsValue {
    let out = Object::new();
    if let Some(version) = layout.version {
        put(&out, "version", &version.into());
    }
    let slots = Array::new();
    for slot in &layout.slots {
        let o = Object::new();
        put(&o, "id", &slot.id.into());
        put(&o, "default", &shown(&slot.default));
        let variants: Array = slot.variants.iter().map(shown).collect();
        put(&o, "variants", &variants);
        slots.push(&o);
    }
    put(&out, "slots", &slots);
    let items = Array::new();
    for item in &layout.items {
        let o = Object::new();
        put(&o, "id", &item.id.as_str().into());
        if let Some(title) = &item.title {
            put(&o, "title", &title.as_str().into());
        }
        if let Some(url) = &item.url {
            put(&o, "url", &url.as_str().into());
        }
        put(&o, "type", &item.kind.as_str().into());
        if let Some(stage) = item.stage {
            put(&o, "stage", &stage.as_str().into());
        }
        items.push(&o);
    }
    put(&out, "items", &items);
    out.into()
}

fn shown(shown: &Shown) -> JsValue {
    let o = Object::new();
    if let Some(id) = shown.id {
        put(&o, "id", &id.into());
    }
    put(&o, "kind", &shown.kind.as_str().into());
    put(&o, "content", &value(shown.content));
    o.into()
}

/// A JSON value as `JSON.parse` makes it.
fn value(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => JsValue::from_f64(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => items.iter().map(value).collect::<Array>().into(),
        Value::Object(map) => {
            let o = Object::new();
            for (key, field) in map {
                put(&o, key, &value(field));
            }
            o.into()
        }
    }
}

/// Sets an own, enumerable data property, as `JSON.parse` does: a
/// `"__proto__"` key is defined rather than set, which would change the
/// object's prototype instead.
fn put(o: &Object, key: &str, value: &JsValue) {
    let name = JsValue::from_str(key);
    // Neither can fail on a fresh plain object.
    if key == "__proto__" {
        let field = Object::new();
        for flag in ["writable", "enumerable", "configurable"] {
            let _ = Reflect::set(&field, &flag.into(), &JsValue::TRUE);
        }
        let _ = Reflect::set(&field, &"value".into(), value);
        let _ = Reflect::define_property(o, &name, &field);
    } else {
        let _ = Reflect::set(o, &name, value);
    }
}
