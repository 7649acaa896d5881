//! Personalization exports: `decide()`, the `Personalizer` class, the
//! `CidrTable` and `MaxMindDb` lookup tables, and `segmentOf()`.
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

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::{json, Map, Value};
use wasm_bindgen::prelude::*;

use super::{from_js, invalid_argument, to_js, IntoJsResult};
use crate::diagnostics::ConfigDocument;
use crate::diagnostics::Issue;
use crate::personalize::{IpDatabase, Personalizer, Tables, Visitor};
use crate::segment::cidr::{CidrTable, Loaded};
use crate::segment::ip::parse_ip;
use crate::segment::mmdb::MmdbReader;

type Db = MmdbReader<Vec<u8>>;

// NOTE: wasm-bindgen cannot hand Rust a borrowed class instance found inside
// a plain JS object (`{cidr, maxmind: [...]}`), only by-value ones, which
// would consume the caller's handle. So every table is registered here
// under an id that its JS object exposes, and looked up by that id.
thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
    static CIDR_TABLES: RefCell<HashMap<u32, Rc<CidrTable>>> = RefCell::new(HashMap::new());
    static DATABASES: RefCell<HashMap<u32, Rc<Db>>> = RefCell::new(HashMap::new());
}

fn next_id() -> u32 {
    NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    })
}

const CIDR_KEY: &str = "__nurtureCidrTable";
const DB_KEY: &str = "__nurtureMaxMindDb";

fn invalid_visitor(e: Issue) -> JsValue {
    let mut path = String::from("visitor");
    if !e.path.is_empty() {
        path.push('.');
        path.push_str(&e.path);
    }
    invalid_argument(&path, &e.message)
}

fn read_visitor(value: JsValue) -> Result<Visitor, JsValue> {
    let value = without_score_breakdown(value);
    Visitor::from_value(from_js(value, "visitor")?).map_err(invalid_visitor)
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

fn handle_id(value: &JsValue, key: &str) -> Option<u32> {
    let id = js_sys::Reflect::get(value, &key.into()).ok()?.as_f64()?;
    (id.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&id)).then_some(id as u32)
}

/// The tables a call borrows, resolved from the JS `tables` argument.
#[derive(Default)]
struct HeldTables {
    cidr: Option<Rc<CidrTable>>,
    dbs: Vec<Rc<Db>>,
}

impl HeldTables {
    fn read(value: &JsValue) -> Result<HeldTables, JsValue> {
        let mut held = HeldTables::default();
        if value.is_undefined() || value.is_null() {
            return Ok(held);
        }
        if !value.is_object() {
            return Err(invalid_argument(
                "tables",
                "expected {cidr?: CidrTable, maxmind?: MaxMindDb[]}",
            ));
        }
        let get =
            |key: &str| js_sys::Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED);
        let cidr = get("cidr");
        if !cidr.is_undefined() && !cidr.is_null() {
            let table = handle_id(&cidr, CIDR_KEY)
                .and_then(|id| CIDR_TABLES.with(|t| t.borrow().get(&id).cloned()))
                .ok_or_else(|| {
                    invalid_argument("tables.cidr", "expected a live CidrTable (not freed)")
                })?;
            held.cidr = Some(table);
        }
        let maxmind = get("maxmind");
        if maxmind.is_undefined() || maxmind.is_null() {
            return Ok(held);
        }
        let list: Vec<JsValue> = if js_sys::Array::is_array(&maxmind) {
            js_sys::Array::from(&maxmind).iter().collect()
        } else {
            vec![maxmind]
        };
        for (i, db) in list.iter().enumerate() {
            let found = handle_id(db, DB_KEY)
                .and_then(|id| DATABASES.with(|t| t.borrow().get(&id).cloned()))
                .ok_or_else(|| {
                    let mut path = String::from("tables.maxmind[");
                    path.push_str(&i.to_string());
                    path.push(']');
                    invalid_argument(&path, "expected a live MaxMindDb (not freed)")
                })?;
            held.dbs.push(found);
        }
        Ok(held)
    }

    fn with<R>(&self, f: impl FnOnce(&Tables<'_>) -> R) -> R {
        let dbs: Vec<&dyn IpDatabase> = self
            .dbs
            .iter()
            .map(|d| d.as_ref() as &dyn IpDatabase)
            .collect();
        let tables = Tables {
            accounts: self.cidr.as_deref(),
            maxmind: &dbs,
        };
        f(&tables)
    }
}

// NOTE: string and byte arguments are taken as `JsValue` and checked here:
// with `&str` or `&[u8]` in the signature, wasm-bindgen's glue copies the
// argument into wasm memory without checking its type, and a number or an
// object there ended in "memory access out of bounds" instead of an error.
fn read_text(value: JsValue, what: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid_argument(what, "expected a string"))
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
    to_js(&held.with(|t| p.decide(&visitor, t)))
}

/// The visitor context and segments for an address and request attributes:
/// `segmentOf(ip, requestAttributes?, tables?, config?) → {context, segments,
/// primarySegment}`. Without `config` there are no org rules or segments,
/// only the context. A malformed `ip` is ignored (the context has no `ip`).
#[wasm_bindgen(js_name = segmentOf)]
pub fn segment_of_js(
    ip: JsValue,
    request: JsValue,
    tables: JsValue,
    config: JsValue,
) -> Result<JsValue, JsValue> {
    let ip = match from_js(ip, "ip")? {
        Value::Null => Value::Null,
        Value::String(s) => Value::String(s),
        _ => return Err(invalid_argument("ip", "expected an IP address string")),
    };
    let request = match from_js(request, "requestAttributes")? {
        v @ (Value::Null | Value::Object(_)) => v,
        _ => return Err(invalid_argument("requestAttributes", "expected an object")),
    };
    let p = match from_js(config, "config")? {
        Value::Null => Personalizer::from_value(Value::Object(Map::new())).into_js()?,
        v => Personalizer::from_value(v).into_js()?,
    };
    let visitor =
        Visitor::from_value(json!({"ip": ip, "request": request})).map_err(invalid_visitor)?;
    let held = HeldTables::read(&tables)?;
    let ctx = held.with(|t| p.context(&visitor, t));
    let segments = ctx
        .get("segments")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    let primary = ctx.get("segment").cloned().unwrap_or(Value::Null);
    to_js(&json!({"context": ctx, "segments": segments, "primarySegment": primary}))
}

/// Lists every error and warning of a personalization config without
/// throwing: `{errors: [{path, message, severity}], warnings: [...]}`.
#[wasm_bindgen(js_name = checkPersonalization)]
pub fn check_personalization_js(config: JsValue) -> Result<JsValue, JsValue> {
    to_js(&Personalizer::check(from_js(config, "config")?))
}

/// A compiled personalization config, for deciding many visitors.
#[wasm_bindgen(js_name = Personalizer)]
pub struct PersonalizerHandle {
    inner: Personalizer,
}

#[wasm_bindgen(js_class = Personalizer)]
impl PersonalizerHandle {
    /// `new Personalizer(config)`: compiles once (conditions and regexes
    /// included). Throws `code: "invalid_config"` with the `path` of the
    /// first bad field.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<PersonalizerHandle, JsValue> {
        Ok(PersonalizerHandle {
            inner: compile(config)?,
        })
    }

    /// `personalizer.decide(visitor, tables?)`, as the `decide` function.
    pub fn decide(&self, visitor: JsValue, tables: JsValue) -> Result<JsValue, JsValue> {
        let visitor = read_visitor(visitor)?;
        let held = HeldTables::read(&tables)?;
        to_js(&held.with(|t| self.inner.decide(&visitor, t)))
    }

    /// `personalizer.segments(visitor, tables?)` → `{segments,
    /// primarySegment}`: the visitor's segments, highest priority first,
    /// without the context they were decided on (which `context` writes out
    /// whole: the visitor's request, profile and page, read back in JS only
    /// to take two fields).
    pub fn segments(&self, visitor: JsValue, tables: JsValue) -> Result<JsValue, JsValue> {
        let visitor = read_visitor(visitor)?;
        let held = HeldTables::read(&tables)?;
        held.with(|t| {
            let ctx = self.inner.context_without_segments(&visitor, t);
            let segments = self.inner.segments_of(&ctx);
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

/// A named-account CIDR table (longest-prefix match over IPv4 and IPv6).
#[wasm_bindgen(js_name = CidrTable)]
pub struct CidrTableHandle {
    id: u32,
    table: Rc<CidrTable>,
    loaded: Value,
}

impl CidrTableHandle {
    fn register(loaded: Loaded) -> Result<CidrTableHandle, JsValue> {
        let report = json!({"rejected": loaded.rejected, "warnings": loaded.warnings});
        let table = Rc::new(loaded.table);
        let id = next_id();
        CIDR_TABLES.with(|t| t.borrow_mut().insert(id, Rc::clone(&table)));
        Ok(CidrTableHandle {
            id,
            table,
            loaded: report,
        })
    }

    fn report(&self, key: &str) -> Result<JsValue, JsValue> {
        to_js(self.loaded.get(key).unwrap_or(&Value::Null))
    }
}

impl Drop for CidrTableHandle {
    fn drop(&mut self) {
        let id = self.id;
        CIDR_TABLES.with(|t| t.borrow_mut().remove(&id));
    }
}

/// Building a table takes about this many bytes of heap per byte of input
/// (measured: 3.5 MB of CSV peaks near 40 MB natively); reserving it up
/// front took a 100,000-line load in Node from 2.7 s to about 1 s.
const TABLE_BYTES_PER_INPUT_BYTE: usize = 16;

#[wasm_bindgen(js_class = CidrTable)]
impl CidrTableHandle {
    /// `CidrTable.fromCsv(text)`: a header row with a `cidr` (or `network`)
    /// column; every other column becomes an attribute. Bad lines are
    /// skipped and listed in `rejected`.
    #[wasm_bindgen(js_name = fromCsv)]
    pub fn from_csv(text: JsValue) -> Result<CidrTableHandle, JsValue> {
        let text = read_text(text, "text")?;
        super::reserve_heap(text.len().saturating_mul(TABLE_BYTES_PER_INPUT_BYTE));
        Self::register(CidrTable::from_csv(&text))
    }

    /// `CidrTable.fromJson(text)`: an array of objects or JSON Lines, each
    /// with a `cidr` (or `network`) key.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(text: JsValue) -> Result<CidrTableHandle, JsValue> {
        let text = read_text(text, "text")?;
        super::reserve_heap(text.len().saturating_mul(TABLE_BYTES_PER_INPUT_BYTE));
        Self::register(CidrTable::from_json(&text))
    }

    /// `table.lookup(ip) → {network, attributes} | null`. Throws
    /// `invalid_argument` for a malformed address.
    pub fn lookup(&self, ip: JsValue) -> Result<JsValue, JsValue> {
        let ip = read_text(ip, "ip")?;
        let hit = self
            .table
            .lookup_str(ip.trim())
            .map_err(|e| invalid_argument("ip", &e.to_string()))?;
        match hit {
            None => Ok(JsValue::NULL),
            Some(m) => to_js(&json!({
                "network": m.prefix.to_string(),
                "attributes": m.attributes.as_map(),
            })),
        }
    }

    /// Skipped lines: `[{line, input, kind, reason}]`.
    #[wasm_bindgen(getter)]
    pub fn rejected(&self) -> Result<JsValue, JsValue> {
        self.report("rejected")
    }

    /// Lines kept after an adjustment (host bits cleared).
    #[wasm_bindgen(getter)]
    pub fn warnings(&self) -> Result<JsValue, JsValue> {
        self.report("warnings")
    }

    /// Number of distinct prefixes.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.table.len()
    }

    /// Registry id, read when the table is passed in `tables.cidr`.
    #[wasm_bindgen(getter, js_name = __nurtureCidrTable)]
    pub fn registry_id(&self) -> u32 {
        self.id
    }
}

/// A MaxMind DB (`.mmdb`) file held in memory: ASN, ISP, Domain,
/// Connection-Type, Country, City, Enterprise or any other database.
#[wasm_bindgen(js_name = MaxMindDb)]
pub struct MaxMindDbHandle {
    id: u32,
    db: Rc<Db>,
}

impl Drop for MaxMindDbHandle {
    fn drop(&mut self) {
        let id = self.id;
        DATABASES.with(|t| t.borrow_mut().remove(&id));
    }
}

impl MaxMindDbHandle {
    /// The database (for the exports in `mmdb.rs`).
    #[cfg(feature = "maxmind-fields")]
    pub(super) fn db(&self) -> &Db {
        &self.db
    }
}

#[wasm_bindgen(js_class = MaxMindDb)]
impl MaxMindDbHandle {
    /// `new MaxMindDb(bytes: Uint8Array)`: copies the bytes and checks the
    /// metadata and search tree. Throws `invalid_argument` (path `bytes`)
    /// for a file that is not a valid MaxMind DB.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: JsValue) -> Result<MaxMindDbHandle, JsValue> {
        let bytes = if let Some(array) = bytes.dyn_ref::<js_sys::Uint8Array>() {
            array.to_vec()
        } else if let Some(buffer) = bytes.dyn_ref::<js_sys::ArrayBuffer>() {
            js_sys::Uint8Array::new(buffer).to_vec()
        } else {
            return Err(invalid_argument(
                "bytes",
                "expected the .mmdb file as a Uint8Array or an ArrayBuffer",
            ));
        };
        let db =
            MmdbReader::from_bytes(bytes).map_err(|e| invalid_argument("bytes", &e.to_string()))?;
        let db = Rc::new(db);
        let id = next_id();
        DATABASES.with(|t| t.borrow_mut().insert(id, Rc::clone(&db)));
        Ok(MaxMindDbHandle { id, db })
    }

    /// `db.lookup(ip) → record | null` (the record as MaxMind stores it).
    /// Throws `invalid_argument` for a malformed address.
    pub fn lookup(&self, ip: JsValue) -> Result<JsValue, JsValue> {
        let ip = read_text(ip, "ip")?;
        let addr = parse_ip(ip.trim()).map_err(|e| invalid_argument("ip", &e.to_string()))?;
        match self.db.record(addr) {
            None => Ok(JsValue::NULL),
            Some(record) => to_js(&record),
        }
    }

    /// `{databaseType, ipVersion, buildEpoch, languages, description}`.
    #[wasm_bindgen(getter)]
    pub fn metadata(&self) -> Result<JsValue, JsValue> {
        let m = self.db.metadata();
        to_js(&json!({
            "databaseType": m.database_type,
            "ipVersion": m.ip_version,
            "buildEpoch": m.build_epoch,
            "languages": m.languages,
            "description": m.description,
        }))
    }

    /// Registry id, read when the database is passed in `tables.maxmind`.
    #[wasm_bindgen(getter, js_name = __nurtureMaxMindDb)]
    pub fn registry_id(&self) -> u32 {
        self.id
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Segments<'a> {
    segments: Vec<&'a str>,
    primary_segment: Option<&'a str>,
}
