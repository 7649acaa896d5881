//! IP segmentation: map a visitor's IP address to an account or a place.
//!
//! Two independent tools, both pure functions of bytes/strings (no file
//! I/O, no panics, usable on `wasm32-unknown-unknown`):
//!
//! * [`cidr`]: a longest-prefix-match table of named-account networks,
//!   loaded from CSV or JSON, answering lookups by binary search over a
//!   flattened interval array.
//! * [`mmdb`]: a reader for MaxMind DB (`.mmdb`) files (GeoIP2 / GeoLite2
//!   and any other database in that format) that decodes records into
//!   [`serde_json::Value`].
//!
//! Addresses and prefixes are parsed by [`ip`].

pub mod cidr;
mod csv;
pub mod ip;
pub mod mmdb;

pub use cidr::{Attributes, CidrMatch, CidrTable, CidrTableBuilder, IssueKind, LineIssue, Loaded};
pub use ip::{parse_ip, IpParseError, Prefix, PrefixError};
pub use mmdb::{Metadata, MmdbError, MmdbMatch, MmdbReader};
