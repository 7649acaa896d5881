//! MaxMind DB (`.mmdb`) reader over a byte slice.
//!
//! Implements version 2 of the MaxMind DB format: metadata (found by the
//! `\xAB\xCD\xEFMaxMind.com` marker searched from the end of the file),
//! the binary search tree (record sizes 24, 28 and 32 bits) and the data
//! section decoder. Records are decoded into [`serde_json::Value`]:
//!
//! | MaxMind type | JSON |
//! | --- | --- |
//! | pointer | followed (transparent) |
//! | UTF-8 string | string |
//! | double, float | number; non-finite values become the strings `"Infinity"`, `"-Infinity"`, `"NaN"` |
//! | bytes | array of numbers 0-255 |
//! | uint16, uint32, int32, uint64 | number (exact: `serde_json` keeps 64-bit integers) |
//! | uint128 | number when it fits in a `u64`, otherwise a decimal **string** |
//! | map | object |
//! | array | array |
//! | boolean | bool |
//! | data cache container, end marker | error (never valid inside a record) |
//!
//! Hostile or damaged files fail with an [`MmdbError`], never a panic or a
//! hang: every read is bounds-checked, the tree size is checked against the
//! file length, tree walks are bounded by the address width and by
//! `node_count`, a pointer may not point to a pointer (per the spec), and
//! container nesting depth plus the total amount of decoded data per record
//! are capped (see [`MAX_DEPTH`], [`MAX_VALUES`], [`MAX_OUTPUT_BYTES`]).
//!
//! IPv4 addresses in an IPv6 database are looked up in the `::/96` subtree
//! (as the spec and MaxMind's readers do). IPv4-mapped IPv6 addresses
//! (`::ffff:a.b.c.d`) are looked up as IPv4.
//!
//! `reader.rs` has the file and its search tree, `decode.rs` the data
//! section decoder, `fields.rs` the fields a visitor context reads
//! ([`GeoFields`]) and `select.rs` the lookup that decodes those alone
//! ([`MmdbReader::lookup_fields`], feature `maxmind-fields`).

mod decode;
mod fields;
mod reader;
#[cfg(feature = "maxmind-fields")]
mod select;

use std::collections::BTreeMap;
use std::fmt;

use crate::json::Value;

use super::ip::{IpParseError, Prefix};
pub use fields::{Field, FieldValue, GeoFields, GeoValue, FIELD_COUNT};
pub use reader::MmdbReader;

/// Maximum nesting depth of maps/arrays in one decoded value.
pub const MAX_DEPTH: usize = 128;
/// Maximum number of values decoded for one record (bounds pointer
/// fan-out "decompression bombs").
pub const MAX_VALUES: usize = 1_000_000;
/// Maximum bytes of string/bytes payload decoded for one record.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024 * 1024;

/// Why a database could not be opened or a lookup failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MmdbError {
    /// This is not a MaxMind DB file: the metadata marker was not found in
    /// its last 128 KiB (wrong file, or the file was cut short).
    MetadataNotFound,
    /// The file's metadata (the description block at its end) is missing a
    /// required field or has a field of the wrong type; the file is damaged
    /// or not a MaxMind DB.
    InvalidMetadata(String),
    /// The file uses a major format version this reader does not know (only
    /// version 2 is supported).
    UnsupportedFormatVersion(u64),
    /// The search tree uses a record size other than 24, 28 or 32 bits.
    UnsupportedRecordSize(u64),
    /// The metadata declares an IP version other than 4 or 6.
    UnsupportedIpVersion(u64),
    /// The search tree declared in the metadata (node count × record size)
    /// does not fit in the file, or is not followed by the 16-byte separator;
    /// the file is truncated or its node count is wrong.
    InvalidNodeCount {
        /// Node count from the metadata.
        node_count: u64,
        /// Record size from the metadata.
        record_size: u64,
        /// Bytes available before the metadata.
        available: usize,
    },
    /// The search tree is damaged: a node or record points somewhere it may
    /// not (past the tree, before or past the data section). Detected on
    /// lookup.
    CorruptSearchTree(String),
    /// A data record is damaged (bad type, truncated field, invalid UTF-8,
    /// pointer out of range or to another pointer ...). `offset` is the
    /// file offset where decoding failed.
    CorruptData {
        /// Byte offset in the file.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// A record nests maps/arrays deeper than [`MAX_DEPTH`] (or loops back
    /// into itself through pointers); refused to protect the stack.
    NestingTooDeep {
        /// Byte offset in the file.
        offset: usize,
    },
    /// A record expands to more than [`MAX_VALUES`] values or
    /// [`MAX_OUTPUT_BYTES`] bytes (pointer fan-out); refused to protect
    /// memory and time.
    RecordTooLarge {
        /// Byte offset in the file.
        offset: usize,
    },
    /// An IPv6 address was looked up in an IPv4-only database.
    Ipv6InIpv4Database,
    /// The address string given to [`MmdbReader::lookup_str`] is not a
    /// valid IP address.
    InvalidAddress(IpParseError),
}

impl fmt::Display for MmdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MmdbError::MetadataNotFound => write!(
                f,
                "not a MaxMind DB file: metadata marker not found (wrong or truncated file)"
            ),
            MmdbError::InvalidMetadata(s) => write!(f, "invalid MaxMind DB metadata: {s}"),
            MmdbError::UnsupportedFormatVersion(v) => {
                write!(
                    f,
                    "unsupported MaxMind DB format major version {v} (expected 2)"
                )
            }
            MmdbError::UnsupportedRecordSize(v) => {
                write!(f, "unsupported record size {v} (expected 24, 28 or 32)")
            }
            MmdbError::UnsupportedIpVersion(v) => {
                write!(f, "unsupported ip_version {v} (expected 4 or 6)")
            }
            MmdbError::InvalidNodeCount {
                node_count,
                record_size,
                available,
            } => write!(
                f,
                "corrupt MaxMind DB: node_count {node_count} with record size {record_size} \
                 does not fit in the {available} bytes before the metadata"
            ),
            MmdbError::CorruptSearchTree(s) => write!(f, "corrupt MaxMind DB search tree: {s}"),
            MmdbError::CorruptData { offset, reason } => {
                write!(f, "corrupt MaxMind DB data at offset {offset}: {reason}")
            }
            MmdbError::NestingTooDeep { offset } => write!(
                f,
                "MaxMind DB record at offset {offset} nests deeper than {MAX_DEPTH} levels"
            ),
            MmdbError::RecordTooLarge { offset } => {
                write!(f, "MaxMind DB record at offset {offset} expands too much")
            }
            MmdbError::Ipv6InIpv4Database => {
                write!(f, "cannot look up an IPv6 address in an IPv4-only database")
            }
            MmdbError::InvalidAddress(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for MmdbError {}

/// Database metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// Number of nodes in the search tree.
    pub node_count: u32,
    /// Bits per record: 24, 28 or 32.
    pub record_size: u16,
    /// 4 or 6.
    pub ip_version: u16,
    /// E.g. `GeoIP2-City`.
    pub database_type: String,
    /// Locale codes the database has names for.
    pub languages: Vec<String>,
    /// Always 2.
    pub binary_format_major_version: u16,
    /// Minor format version.
    pub binary_format_minor_version: u16,
    /// Build time, seconds since the Unix epoch.
    pub build_epoch: u64,
    /// Descriptions by language.
    pub description: BTreeMap<String, String>,
    /// The whole metadata map as decoded.
    pub raw: Value,
}

/// A lookup hit.
#[derive(Debug, Clone, PartialEq)]
pub struct MmdbMatch {
    /// The decoded record.
    pub record: Value,
    /// Prefix length of the network that matched, in the address family of
    /// the query (0-32 for IPv4 queries, 0-128 for IPv6).
    pub prefix_len: u8,
    /// The network that matched (query address masked to `prefix_len`).
    pub network: Prefix,
}
