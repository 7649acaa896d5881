//! Named-account CIDR table: longest-prefix match over IPv4 and IPv6.
//!
//! # Design
//!
//! Prefixes either nest or are disjoint, so the whole table can be
//! *flattened* into a sorted array of non-overlapping intervals, each
//! mapped to the most specific prefix covering it (or to nothing). A lookup
//! is one binary search. Per interval we store only its first address
//! (`u32` for IPv4, `u128` for IPv6), the id of its interned attribute set
//! (`u32`) and the matched prefix length (`u8`); the matched network is
//! rebuilt from the looked-up address and that length. Adjacent intervals
//! with the same attributes and length are merged. Attribute sets are
//! interned: many prefixes of one account share one [`Attributes`].
//!
//! IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) and prefixes are treated
//! as IPv4.
//!
//! # Input formats
//!
//! * CSV ([`CidrTable::from_csv`]): a header row names the columns; one
//!   column is `cidr` or `network` (also accepted: `prefix`, `ip`; case
//!   insensitive). Column names are trimmed and lower-cased and become
//!   attribute keys. A field that is a plain decimal number without leading
//!   zeros (`500`, `-3`, `2.5`) becomes a JSON number, anything else a
//!   string (`"02134"` stays a string); empty fields are omitted.
//!   RFC 4180 quoting; blank lines and `#` comment lines are skipped.
//! * JSON ([`CidrTable::from_json`]): an array of objects, or one object per
//!   line (JSON Lines), each with a `cidr` (or `network`) string; every other
//!   key is kept as an attribute with its JSON value.
//!
//! Bad lines are reported with their line number and reason and skipped;
//! good lines are kept. A later line repeating an earlier prefix is
//! rejected (the first one wins). Host bits beyond the prefix length are
//! cleared with a warning.
//!
//! The table and its builder are in `table.rs`, the CSV and JSON loaders and
//! their line reports in `load.rs`.

mod load;
mod table;

use crate::json::{Map, Value};
use serde::{Deserialize, Serialize};

use super::ip::Prefix;
pub use load::{IssueKind, LineIssue, Loaded};
pub use table::{CidrTable, CidrTableBuilder, Duplicate};

/// Attributes of an account: `company`, `domain`, `industry`, `size`, and
/// any other key, as JSON values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Attributes(pub Map<String, Value>);

impl Attributes {
    /// Empty attribute set.
    pub fn new() -> Attributes {
        Attributes(Map::new())
    }

    /// Any attribute by key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// A string attribute by key (`None` when absent or not a string).
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    /// `company` attribute.
    pub fn company(&self) -> Option<&str> {
        self.get_str("company")
    }

    /// `domain` attribute.
    pub fn domain(&self) -> Option<&str> {
        self.get_str("domain")
    }

    /// `industry` attribute.
    pub fn industry(&self) -> Option<&str> {
        self.get_str("industry")
    }

    /// `size` attribute (number or string, as given).
    pub fn size(&self) -> Option<&Value> {
        self.get("size")
    }

    /// The underlying map.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// Sets an attribute.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        self.0.insert(key.into(), value);
    }
}

/// A lookup hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CidrMatch<'a> {
    /// The most specific network containing the address.
    pub prefix: Prefix,
    /// Its attributes.
    pub attributes: &'a Attributes,
}
