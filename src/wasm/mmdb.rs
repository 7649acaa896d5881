//! `MaxMindDb.lookupContext(ip)`: the fields a visitor context reads from a
//! MaxMind database, decoded alone ([`MmdbReader::lookup_fields`]) and
//! handed to JS as a small plain object. Only in the full build (feature
//! `maxmind-fields`); the class itself is in `personalize.rs`.
//!
//! [`MmdbReader::lookup_fields`]: crate::segment::mmdb::MmdbReader::lookup_fields

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::invalid_argument;
use super::tables::MaxMindDbHandle;
use crate::segment::ip::parse_ip;
use crate::segment::mmdb::{GeoFields, GeoValue};

// NOTE: a JS string made from Rust text is decoded by the glue on every
// call; the sixteen key names are made once and reused.
thread_local! {
    static KEYS: Vec<JsValue> = GeoFields::<GeoValue<'static>>::default()
        .entries()
        .map(|(k, _)| JsValue::from_str(k))
        .collect();
}

fn to_js(value: GeoValue<'_>) -> JsValue {
    match value {
        GeoValue::Str(s) => JsValue::from_str(s),
        // Exact up to 2^53; ASNs are 32-bit.
        GeoValue::Uint(n) => JsValue::from_f64(n as f64),
        GeoValue::Int(n) => JsValue::from_f64(n as f64),
        GeoValue::Float(f) => JsValue::from_f64(f),
        GeoValue::Bool(b) => JsValue::from_bool(b),
        GeoValue::BigUint(n) => JsValue::from_str(&n.to_string()),
    }
}

#[wasm_bindgen(js_class = MaxMindDb)]
impl MaxMindDbHandle {
    /// `db.lookupContext(ip) → {asn?, asOrganization?, isp?, organization?,
    /// domain?, connectionType?, userType?, country?, countryName?,
    /// continent?, region?, regionName?, city?, postalCode?, timezone?,
    /// registeredCountry?} | null`: what a visitor context's `ip` takes from
    /// this database, with the context's names, decoding only those fields
    /// (much faster than `lookup`, which decodes the whole record). `null`
    /// when the database has no record for `ip`, or cannot answer (an IPv6
    /// address in an IPv4 database, a damaged record), as for a context.
    /// Throws `invalid_argument` for a malformed address.
    #[wasm_bindgen(js_name = lookupContext)]
    pub fn lookup_context(&self, ip: JsValue) -> Result<JsValue, JsValue> {
        let ip = ip
            .as_string()
            .ok_or_else(|| invalid_argument("ip", "expected a string"))?;
        let addr = parse_ip(ip.trim()).map_err(|e| invalid_argument("ip", &e.to_string()))?;
        let Ok(Some(fields)) = self.db().lookup_fields(addr) else {
            return Ok(JsValue::NULL);
        };
        let out = Object::new();
        KEYS.with(|keys| {
            for ((_, value), key) in fields.entries().zip(keys) {
                if let Some(v) = value {
                    // Setting a data property on a fresh plain object
                    // cannot fail.
                    let _ = Reflect::set(&out, key, &to_js(v));
                }
            }
        });
        Ok(out.into())
    }
}
