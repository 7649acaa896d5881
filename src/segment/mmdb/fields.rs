//! The fields of a MaxMind record that a visitor context reads, typed and
//! borrowed: [`GeoFields`]. [`GeoFields::from_record`] takes them from a
//! decoded record; `select.rs` reads the same fields straight from the
//! database bytes without decoding the rest.

use crate::json::{Number, Value};

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

/// A field a visitor context reads from a MaxMind record, named as in the
/// context's `ip` ([`Field::name`]). The network fields come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `autonomous_system_number`.
    Asn,
    /// `autonomous_system_organization`.
    AsOrganization,
    /// `isp`.
    Isp,
    /// `organization`.
    Organization,
    /// `domain`.
    Domain,
    /// `connection_type`.
    ConnectionType,
    /// `user_type`.
    UserType,
    /// `country.iso_code`.
    Country,
    /// `country.names.en`.
    CountryName,
    /// `continent.code`.
    Continent,
    /// `subdivisions[0].iso_code` (the largest subdivision).
    Region,
    /// `subdivisions[0].names.en`.
    RegionName,
    /// `city.names.en`.
    City,
    /// `postal.code`.
    PostalCode,
    /// `location.time_zone`.
    Timezone,
    /// `registered_country.iso_code`.
    RegisteredCountry,
}

/// How many fields there are.
pub const FIELD_COUNT: usize = 16;

/// The network fields, read at the top level and then under `traits`: the
/// first [`NETWORK_COUNT`] fields.
#[cfg(feature = "maxmind-fields")]
pub(super) const NETWORK_COUNT: usize = 7;

/// Where a field is found in a record.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Base {
    /// At the top level, then under `traits`.
    Network,
    /// Under the record.
    Top,
    /// Under `subdivisions[0]`.
    Subdivision,
}

/// Each field in [`Field`] order: its context name, where it is and its
/// path.
pub(super) const FIELDS: [(&str, Base, &[&str]); FIELD_COUNT] = [
    ("asn", Base::Network, &["autonomous_system_number"]),
    (
        "asOrganization",
        Base::Network,
        &["autonomous_system_organization"],
    ),
    ("isp", Base::Network, &["isp"]),
    ("organization", Base::Network, &["organization"]),
    ("domain", Base::Network, &["domain"]),
    ("connectionType", Base::Network, &["connection_type"]),
    ("userType", Base::Network, &["user_type"]),
    ("country", Base::Top, &["country", "iso_code"]),
    ("countryName", Base::Top, &["country", "names", "en"]),
    ("continent", Base::Top, &["continent", "code"]),
    ("region", Base::Subdivision, &["iso_code"]),
    ("regionName", Base::Subdivision, &["names", "en"]),
    ("city", Base::Top, &["city", "names", "en"]),
    ("postalCode", Base::Top, &["postal", "code"]),
    ("timezone", Base::Top, &["location", "time_zone"]),
    (
        "registeredCountry",
        Base::Top,
        &["registered_country", "iso_code"],
    ),
];

impl Field {
    /// Its name in a visitor context (`asn`, `asOrganization`, ...).
    pub fn name(self) -> &'static str {
        FIELDS.get(self as usize).map_or("", |f| f.0)
    }
}

/// What a visitor context takes from one MaxMind record of any
/// GeoIP2/GeoLite2 shape (ASN, ISP, Domain, Connection-Type, Country, City,
/// Enterprise): each [`Field`], when the record has a non-blank string, a
/// number or a boolean at its path. The network fields are read at the top
/// level (ASN, ISP, Domain, Connection-Type databases) and then under
/// `traits` (City, Enterprise): the top level wins. When a map repeats a
/// key, the last occurrence counts, as in the decoded record.
///
/// `V` is [`GeoValue`] when read from the database bytes
/// ([`MmdbReader::lookup_fields`](super::MmdbReader::lookup_fields)) and
/// `&Value` when taken from a decoded record ([`GeoFields::from_record`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoFields<V> {
    values: [Option<V>; FIELD_COUNT],
}

impl<V> Default for GeoFields<V> {
    fn default() -> Self {
        GeoFields {
            values: [const { None }; FIELD_COUNT],
        }
    }
}

impl<'a> GeoFields<&'a Value> {
    /// The fields of a decoded record (what a context reads when a database
    /// only gives whole records, and the reference the selective lookup is
    /// tested against).
    pub fn from_record(rec: &'a Value) -> GeoFields<&'a Value> {
        let sub = rec.get("subdivisions").and_then(|s| s.get(0));
        let traits = rec.get("traits");
        let mut f = GeoFields::default();
        for (slot, (_, base, path)) in f.values.iter_mut().zip(FIELDS) {
            *slot = match base {
                Base::Network => at(Some(rec), path).or_else(|| at(traits, path)),
                Base::Top => at(Some(rec), path),
                Base::Subdivision => at(sub, path),
            };
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
    /// The value of `field`, if the record has a useful one.
    pub fn get(&self, field: Field) -> Option<V> {
        self.values.get(field as usize).copied().flatten()
    }

    /// Each field under the name a visitor context gives it (`asn`,
    /// `asOrganization`, ...), absent ones included, in [`Field`] order.
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, Option<V>)> + '_ {
        FIELDS.iter().map(|f| f.0).zip(self.values.iter().copied())
    }

    /// Every value, in [`Field`] order.
    #[cfg(feature = "maxmind-fields")]
    pub(super) fn values_mut(&mut self) -> &mut [Option<V>; FIELD_COUNT] {
        &mut self.values
    }
}
