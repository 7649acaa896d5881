//! Lookup tables for segmenting by IP: the `CidrTable` and `MaxMindDb`
//! classes, `segmentOf()`, and the `tables` argument of `decide` and the
//! `Personalizer`. Node and edge builds only (feature `ip-tables`): a page
//! does not know its visitor's address, and the page build leaves them out.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::json::{Map, Value};
use serde_json::json;
use wasm_bindgen::prelude::*;

use super::handles::invalid_visitor;
use super::{from_js, invalid_argument, to_js, IntoJsResult};
use crate::diagnostics::ConfigDocument;
use crate::personalize::{IpDatabase, Personalizer, Tables, Visitor};
use crate::segment::cidr::{CidrTable, Loaded};
use crate::segment::ip::parse_ip;
use crate::segment::mmdb::MmdbReader;

type Db = MmdbReader<Vec<u8>>;

// NOTE: string and byte arguments are taken as `JsValue` and checked here:
// with `&str` or `&[u8]` in the signature, wasm-bindgen's glue copies the
// argument into wasm memory without checking its type, and a number or an
// object there ended in "memory access out of bounds" instead of an error.
fn read_text(value: JsValue, what: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid_argument(what, "expected a string"))
}

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

fn handle_id(value: &JsValue, key: &str) -> Option<u32> {
    let id = js_sys::Reflect::get(value, &key.into()).ok()?.as_f64()?;
    (id.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&id)).then_some(id as u32)
}

/// The tables a call borrows, resolved from the JS `tables` argument.
#[derive(Default)]
pub(super) struct HeldTables {
    cidr: Option<Rc<CidrTable>>,
    dbs: Vec<Rc<Db>>,
}

impl HeldTables {
    pub(super) fn read(value: &JsValue) -> Result<HeldTables, JsValue> {
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

    pub(super) fn with<R>(&self, f: impl FnOnce(&Tables<'_>) -> R) -> R {
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
