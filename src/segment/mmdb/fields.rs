//! The fields of a MaxMind record that a visitor context reads, typed and
//! borrowed: [`GeoFields`]. [`GeoFields::from_record`] takes them from a
//! decoded record; `select.rs` reads the same fields straight from the
//! database bytes without decoding the rest.

use serde_json::{Number, Value};

/// One scalar of a MaxMind record, as the full decoder would turn it into
/// JSON (see [`FieldValue::to_value`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GeoValue<'a> {
    /// A UTF-8 string that is not blank.
    Str(&'a str),
    /// uint16, uint32, uint64, or a uint128 that fits in 64 bits.
    Uint(u64),
    /// A uint128 too large for 64 bits (JSON: its decimal string).
    BigUint(u128),
    /// int32 (or any negative JSON integer).
    Int(i64),
    /// double or float (JSON: a number; non-finite values the strings
    /// `"NaN"`, `"Infinity"`, `"-Infinity"`).
    Float(f64),
    /// boolean.
    Bool(bool),
}

/// A field's value as JSON: how [`GeoFields`] of either kind become the
/// values a context stores.
pub trait FieldValue: Copy {
    /// The JSON value the full-record decoder gives.
    fn to_value(self) -> Value;
}

impl FieldValue for GeoValue<'_> {
    fn to_value(self) -> Value {
        match self {
            GeoValue::Str(s) => Value::String(s.to_string()),
            GeoValue::Uint(n) => Value::from(n),
            GeoValue::BigUint(n) => Value::String(n.to_string()),
            GeoValue::Int(n) => Value::from(n),
            GeoValue::Float(f) => match Number::from_f64(f) {
                Some(n) => Value::Number(n),
                None => Value::String(non_finite(f).to_string()),
            },
            GeoValue::Bool(b) => Value::Bool(b),
        }
    }
}

impl FieldValue for &Value {
    fn to_value(self) -> Value {
        self.clone()
    }
}

/// A non-blank string, a number or a boolean: what a context keeps (blank
/// strings, containers and `null` are dropped).
fn useful(v: &Value) -> Option<&Value> {
    match v {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Some(v),
        _ => None,
    }
}

/// How the full decoder spells a non-finite float.
pub(super) fn non_finite(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

/// What a visitor context takes from one MaxMind record of any
/// GeoIP2/GeoLite2 shape (ASN, ISP, Domain, Connection-Type, Country, City,
/// Enterprise). Each field is the record's value at the path named, when it
/// is a non-blank string, a number or a boolean. The network fields are
/// read at the top level (ASN, ISP, Domain, Connection-Type databases) and
/// then under `traits` (City, Enterprise): the top level wins. When a map
/// repeats a key, the last occurrence counts, as in the decoded record.
///
/// `V` is [`GeoValue`] when read from the database bytes
/// ([`MmdbReader::lookup_fields`](super::MmdbReader::lookup_fields)) and
/// `&Value` when taken from a decoded record ([`GeoFields::from_record`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoFields<V> {
    /// `autonomous_system_number`.
    pub asn: Option<V>,
    /// `autonomous_system_organization`.
    pub as_organization: Option<V>,
    /// `isp`.
    pub isp: Option<V>,
    /// `organization`.
    pub organization: Option<V>,
    /// `domain`.
    pub domain: Option<V>,
    /// `connection_type`.
    pub connection_type: Option<V>,
    /// `user_type`.
    pub user_type: Option<V>,
    /// `country.iso_code`.
    pub country: Option<V>,
    /// `country.names.en`.
    pub country_name: Option<V>,
    /// `continent.code`.
    pub continent: Option<V>,
    /// `subdivisions[0].iso_code` (the largest subdivision).
    pub region: Option<V>,
    /// `subdivisions[0].names.en`.
    pub region_name: Option<V>,
    /// `city.names.en`.
    pub city: Option<V>,
    /// `postal.code`.
    pub postal_code: Option<V>,
    /// `location.time_zone`.
    pub timezone: Option<V>,
    /// `registered_country.iso_code`.
    pub registered_country: Option<V>,
}

/// The network keys, read at the top level and under `traits`, in the
/// order of [`GeoFields::network_mut`].
pub(super) const NETWORK_KEYS: [&str; 7] = [
    "autonomous_system_number",
    "autonomous_system_organization",
    "isp",
    "organization",
    "domain",
    "connection_type",
    "user_type",
];

impl<V> Default for GeoFields<V> {
    fn default() -> Self {
        GeoFields {
            asn: None,
            as_organization: None,
            isp: None,
            organization: None,
            domain: None,
            connection_type: None,
            user_type: None,
            country: None,
            country_name: None,
            continent: None,
            region: None,
            region_name: None,
            city: None,
            postal_code: None,
            timezone: None,
            registered_country: None,
        }
    }
}

impl<'a> GeoFields<&'a Value> {
    /// The fields of a decoded record (what a context reads when a database
    /// only gives whole records, and the reference the selective lookup is
    /// tested against).
    pub fn from_record(rec: &'a Value) -> GeoFields<&'a Value> {
        let top = Some(rec);
        let sub = rec.get("subdivisions").and_then(|s| s.get(0));
        let traits = rec.get("traits");
        let mut f = GeoFields {
            country: at(top, &["country", "iso_code"]),
            country_name: at(top, &["country", "names", "en"]),
            continent: at(top, &["continent", "code"]),
            region: at(sub, &["iso_code"]),
            region_name: at(sub, &["names", "en"]),
            city: at(top, &["city", "names", "en"]),
            postal_code: at(top, &["postal", "code"]),
            timezone: at(top, &["location", "time_zone"]),
            registered_country: at(top, &["registered_country", "iso_code"]),
            ..GeoFields::default()
        };
        for (key, slot) in NETWORK_KEYS.iter().zip(f.network_mut()) {
            *slot = at(top, &[key]).or_else(|| at(traits, &[key]));
        }
        f
    }
}

/// The useful value at `path` under `v`.
fn at<'a>(v: Option<&'a Value>, path: &[&str]) -> Option<&'a Value> {
    let mut v = v?;
    for key in path {
        v = v.get(key)?;
    }
    useful(v)
}

impl<V: Copy> GeoFields<V> {
    /// The network fields in [`NETWORK_KEYS`] order.
    pub(super) fn network_mut(&mut self) -> [&mut Option<V>; 7] {
        [
            &mut self.asn,
            &mut self.as_organization,
            &mut self.isp,
            &mut self.organization,
            &mut self.domain,
            &mut self.connection_type,
            &mut self.user_type,
        ]
    }

    /// Each field under the name a visitor context gives it (`ip.asn`,
    /// `ip.asOrganization`, ...), absent ones included.
    pub fn entries(&self) -> [(&'static str, Option<V>); 16] {
        [
            ("asn", self.asn),
            ("asOrganization", self.as_organization),
            ("isp", self.isp),
            ("organization", self.organization),
            ("domain", self.domain),
            ("connectionType", self.connection_type),
            ("userType", self.user_type),
            ("country", self.country),
            ("countryName", self.country_name),
            ("continent", self.continent),
            ("region", self.region),
            ("regionName", self.region_name),
            ("city", self.city),
            ("postalCode", self.postal_code),
            ("timezone", self.timezone),
            ("registeredCountry", self.registered_country),
        ]
    }
}
