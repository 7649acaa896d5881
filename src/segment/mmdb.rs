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

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde_json::{Map, Number, Value};

use super::ip::{canonical, parse_ip, IpParseError, Prefix};

/// Maximum nesting depth of maps/arrays in one decoded value.
pub const MAX_DEPTH: usize = 128;
/// Maximum number of values decoded for one record (bounds pointer
/// fan-out "decompression bombs").
pub const MAX_VALUES: usize = 1_000_000;
/// Maximum bytes of string/bytes payload decoded for one record.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024 * 1024;

const METADATA_MARKER: &[u8] = b"\xAB\xCD\xEFMaxMind.com";
const METADATA_SEARCH_WINDOW: usize = 128 * 1024;
const DATA_SEPARATOR: usize = 16;

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

/// A MaxMind DB reader over any byte container (`&[u8]`, `Vec<u8>`, ...).
#[derive(Debug, Clone)]
pub struct MmdbReader<B: AsRef<[u8]>> {
    buf: B,
    metadata: Metadata,
    node_count: u32,
    record_size: u16,
    node_bytes: usize,
    data_start: usize,
    data_end: usize,
    ipv4_start: u32,
}

impl<B: AsRef<[u8]>> MmdbReader<B> {
    /// Opens a database held in memory, validating its metadata and the
    /// size of its search tree.
    pub fn from_bytes(buf: B) -> Result<MmdbReader<B>, MmdbError> {
        let bytes = buf.as_ref();
        let marker_pos = find_marker(bytes).ok_or(MmdbError::MetadataNotFound)?;
        let meta_start = marker_pos + METADATA_MARKER.len();
        let mut dec = Decoder::new(bytes, meta_start, bytes.len());
        let raw = dec.decode(meta_start)?;
        let metadata = parse_metadata(raw)?;

        let node_count = metadata.node_count;
        let record_size = metadata.record_size;
        let node_bytes = usize::from(record_size) / 4;
        let invalid = || MmdbError::InvalidNodeCount {
            node_count: u64::from(node_count),
            record_size: u64::from(record_size),
            available: marker_pos,
        };
        let tree_size = usize::try_from(node_count)
            .ok()
            .and_then(|n| n.checked_mul(node_bytes))
            .ok_or_else(invalid)?;
        let data_start = tree_size.checked_add(DATA_SEPARATOR).ok_or_else(invalid)?;
        if data_start > marker_pos {
            return Err(invalid());
        }
        match bytes.get(tree_size..data_start) {
            Some(sep) if sep.iter().all(|b| *b == 0) => {}
            _ => return Err(invalid()),
        }

        let mut reader = MmdbReader {
            buf,
            metadata,
            node_count,
            record_size,
            node_bytes,
            data_start,
            data_end: marker_pos,
            ipv4_start: 0,
        };
        if reader.metadata.ip_version == 6 {
            let mut node = 0u32;
            let mut depth = 0u8;
            while depth < 96 && node < node_count {
                node = reader.read_record(node, 0)?;
                depth += 1;
            }
            reader.ipv4_start = node;
        }
        Ok(reader)
    }

    /// The database metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Consumes the reader, returning the bytes.
    pub fn into_inner(self) -> B {
        self.buf
    }

    fn read_record(&self, node: u32, bit: u8) -> Result<u32, MmdbError> {
        let bytes = self.buf.as_ref();
        let base = usize::try_from(node)
            .ok()
            .and_then(|n| n.checked_mul(self.node_bytes))
            .ok_or_else(|| MmdbError::CorruptSearchTree(format!("node {node} out of range")))?;
        let node_slice = bytes
            .get(base..base.saturating_add(self.node_bytes))
            .ok_or_else(|| MmdbError::CorruptSearchTree(format!("node {node} past end")))?;
        let b = |i: usize| -> u32 { node_slice.get(i).copied().map_or(0, u32::from) };
        let v = match (self.record_size, bit) {
            (24, 0) => (b(0) << 16) | (b(1) << 8) | b(2),
            (24, _) => (b(3) << 16) | (b(4) << 8) | b(5),
            (28, 0) => ((b(3) & 0xF0) << 20) | (b(0) << 16) | (b(1) << 8) | b(2),
            (28, _) => ((b(3) & 0x0F) << 24) | (b(4) << 16) | (b(5) << 8) | b(6),
            (_, 0) => (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3),
            (_, _) => (b(4) << 24) | (b(5) << 16) | (b(6) << 8) | b(7),
        };
        Ok(v)
    }

    /// Looks up an address. `Ok(None)` when the database has no data for it.
    pub fn lookup(&self, ip: IpAddr) -> Result<Option<MmdbMatch>, MmdbError> {
        let ip = canonical(ip);
        let (bits, width, mut node): (u128, u8, u32) = match ip {
            IpAddr::V4(a) => {
                let start = if self.metadata.ip_version == 6 {
                    self.ipv4_start
                } else {
                    0
                };
                (u128::from(u32::from(a)), 32, start)
            }
            IpAddr::V6(a) => {
                if self.metadata.ip_version == 4 {
                    return Err(MmdbError::Ipv6InIpv4Database);
                }
                (u128::from(a), 128, 0)
            }
        };
        let mut consumed: u8 = 0;
        while consumed < width && node < self.node_count {
            let shift = u32::from(width - 1 - consumed);
            let bit = u8::from((bits >> shift) & 1 == 1);
            node = self.read_record(node, bit)?;
            consumed += 1;
        }
        if node < self.node_count {
            return Err(MmdbError::CorruptSearchTree(format!(
                "tree is deeper than the {width}-bit address {ip}"
            )));
        }
        if node == self.node_count {
            return Ok(None);
        }
        let offset = self.resolve(node)?;
        let bytes = self.buf.as_ref();
        let mut dec = Decoder::new(bytes, self.data_start, self.data_end);
        let record = dec.decode(offset)?;
        let network = Prefix::new(ip, consumed)
            .ok_or_else(|| MmdbError::CorruptSearchTree("bad prefix length".to_string()))?;
        Ok(Some(MmdbMatch {
            record,
            prefix_len: consumed,
            network,
        }))
    }

    /// Parses `ip` strictly (see [`parse_ip`]) and looks it up.
    pub fn lookup_str(&self, ip: &str) -> Result<Option<MmdbMatch>, MmdbError> {
        let ip = parse_ip(ip).map_err(MmdbError::InvalidAddress)?;
        self.lookup(ip)
    }

    /// Record value → absolute file offset of the data it points to.
    fn resolve(&self, record: u32) -> Result<usize, MmdbError> {
        let rel = usize::try_from(record - self.node_count)
            .ok()
            .and_then(|r| r.checked_sub(DATA_SEPARATOR))
            .ok_or_else(|| {
                MmdbError::CorruptSearchTree(format!(
                    "record {record} points into the data separator"
                ))
            })?;
        let abs = self.data_start.checked_add(rel).ok_or_else(|| {
            MmdbError::CorruptSearchTree(format!("record {record} points past the data section"))
        })?;
        if abs >= self.data_end {
            return Err(MmdbError::CorruptSearchTree(format!(
                "record {record} points past the data section"
            )));
        }
        Ok(abs)
    }
}

fn find_marker(bytes: &[u8]) -> Option<usize> {
    let from = bytes.len().saturating_sub(METADATA_SEARCH_WINDOW);
    let window = bytes.get(from..)?;
    window
        .windows(METADATA_MARKER.len())
        .rposition(|w| w == METADATA_MARKER)
        .map(|p| from + p)
}

fn meta_uint(m: &Map<String, Value>, key: &str) -> Result<u64, MmdbError> {
    m.get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| MmdbError::InvalidMetadata(format!("missing or non-integer {key:?}")))
}

fn parse_metadata(raw: Value) -> Result<Metadata, MmdbError> {
    let Value::Object(m) = &raw else {
        return Err(MmdbError::InvalidMetadata("metadata is not a map".into()));
    };
    let major = meta_uint(m, "binary_format_major_version")?;
    if major != 2 {
        return Err(MmdbError::UnsupportedFormatVersion(major));
    }
    let minor = meta_uint(m, "binary_format_minor_version").unwrap_or(0);
    let record_size = meta_uint(m, "record_size")?;
    if !matches!(record_size, 24 | 28 | 32) {
        return Err(MmdbError::UnsupportedRecordSize(record_size));
    }
    let ip_version = meta_uint(m, "ip_version")?;
    if !matches!(ip_version, 4 | 6) {
        return Err(MmdbError::UnsupportedIpVersion(ip_version));
    }
    let node_count_raw = meta_uint(m, "node_count")?;
    let node_count = u32::try_from(node_count_raw).map_err(|_| MmdbError::InvalidNodeCount {
        node_count: node_count_raw,
        record_size,
        available: 0,
    })?;
    let database_type = m
        .get("database_type")
        .and_then(Value::as_str)
        .ok_or_else(|| MmdbError::InvalidMetadata("missing \"database_type\"".into()))?
        .to_string();
    let languages = m
        .get("languages")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let description = m
        .get("description")
        .and_then(Value::as_object)
        .map(|d| {
            d.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let build_epoch = meta_uint(m, "build_epoch").unwrap_or(0);
    Ok(Metadata {
        node_count,
        record_size: u16::try_from(record_size).unwrap_or(0),
        ip_version: u16::try_from(ip_version).unwrap_or(0),
        database_type,
        languages,
        binary_format_major_version: 2,
        binary_format_minor_version: u16::try_from(minor).unwrap_or(u16::MAX),
        build_epoch,
        description,
        raw: raw.clone(),
    })
}

const T_POINTER: u8 = 1;
const T_STRING: u8 = 2;
const T_DOUBLE: u8 = 3;
const T_BYTES: u8 = 4;
const T_UINT16: u8 = 5;
const T_UINT32: u8 = 6;
const T_MAP: u8 = 7;
const T_INT32: u8 = 8;
const T_UINT64: u8 = 9;
const T_UINT128: u8 = 10;
const T_ARRAY: u8 = 11;
const T_CONTAINER: u8 = 12;
const T_END_MARKER: u8 = 13;
const T_BOOL: u8 = 14;
const T_FLOAT: u8 = 15;

/// Data-section decoder. `base` is where pointers count from, `end` the
/// first byte past the section.
struct Decoder<'a> {
    buf: &'a [u8],
    base: usize,
    end: usize,
    values: usize,
    out_bytes: usize,
}

fn corrupt(offset: usize, reason: impl Into<String>) -> MmdbError {
    MmdbError::CorruptData {
        offset,
        reason: reason.into(),
    }
}

impl<'a> Decoder<'a> {
    fn new(buf: &'a [u8], base: usize, end: usize) -> Decoder<'a> {
        Decoder {
            buf,
            base,
            end: end.min(buf.len()),
            values: 0,
            out_bytes: 0,
        }
    }

    fn byte(&self, pos: usize) -> Result<u8, MmdbError> {
        if pos >= self.end {
            return Err(corrupt(pos, "field runs past the end of its section"));
        }
        self.buf
            .get(pos)
            .copied()
            .ok_or_else(|| corrupt(pos, "field runs past the end of the file"))
    }

    fn slice(&self, pos: usize, len: usize) -> Result<&'a [u8], MmdbError> {
        let end = pos
            .checked_add(len)
            .filter(|e| *e <= self.end)
            .ok_or_else(|| corrupt(pos, format!("{len}-byte payload runs past the section end")))?;
        self.buf
            .get(pos..end)
            .ok_or_else(|| corrupt(pos, "payload runs past the end of the file"))
    }

    fn be_uint(&self, pos: usize, len: usize) -> Result<u128, MmdbError> {
        let s = self.slice(pos, len)?;
        Ok(s.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b)))
    }

    fn decode(&mut self, pos: usize) -> Result<Value, MmdbError> {
        self.decode_value(pos, 0).map(|(v, _)| v)
    }

    /// Reads a control byte (and extended type / size bytes). Returns
    /// (type, size or pointer bits, payload position).
    fn control(&self, pos: usize) -> Result<(u8, usize, usize), MmdbError> {
        let ctrl = self.byte(pos)?;
        let mut p = pos + 1;
        let mut ty = ctrl >> 5;
        if ty == T_POINTER {
            return Ok((ty, usize::from(ctrl & 0x1F), p));
        }
        if ty == 0 {
            let ext = self.byte(p)?;
            p += 1;
            ty = ext.saturating_add(7);
            if !(T_INT32..=T_FLOAT).contains(&ty) {
                return Err(corrupt(pos, format!("unknown extended type {ty}")));
            }
        }
        let low = usize::from(ctrl & 0x1F);
        let size = match low {
            0..=28 => low,
            29 => {
                let s = 29 + usize::from(self.byte(p)?);
                p += 1;
                s
            }
            30 => {
                let s = 285 + usize::try_from(self.be_uint(p, 2)?).unwrap_or(0);
                p += 2;
                s
            }
            _ => {
                let s = 65_821 + usize::try_from(self.be_uint(p, 3)?).unwrap_or(0);
                p += 3;
                s
            }
        };
        Ok((ty, size, p))
    }

    /// Decodes a pointer whose control bits are `bits`, payload at `p`.
    /// Returns (absolute target, position after the pointer).
    fn pointer(&self, bits: usize, p: usize) -> Result<(usize, usize), MmdbError> {
        let ss = (bits >> 3) & 0x3;
        let vvv = bits & 0x7;
        let (rel, next) = match ss {
            0 => ((vvv << 8) | usize::from(self.byte(p)?), p + 1),
            1 => (
                2048 + ((vvv << 16) | usize::try_from(self.be_uint(p, 2)?).unwrap_or(0)),
                p + 2,
            ),
            2 => (
                526_336 + ((vvv << 24) | usize::try_from(self.be_uint(p, 3)?).unwrap_or(0)),
                p + 3,
            ),
            _ => (
                usize::try_from(self.be_uint(p, 4)?).unwrap_or(usize::MAX),
                p + 4,
            ),
        };
        let target = self
            .base
            .checked_add(rel)
            .filter(|t| *t < self.end)
            .ok_or_else(|| corrupt(p - 1, format!("pointer {rel} points past the data section")))?;
        Ok((target, next))
    }

    /// Decodes the value at `pos`; returns it and the position after it
    /// (after the pointer, when `pos` holds a pointer).
    ///
    /// Recursion goes through this function and [`Self::decode_container`]
    /// only; both keep small stack frames (scalars are decoded out of line)
    /// so [`MAX_DEPTH`] levels fit comfortably in a wasm stack.
    fn decode_value(&mut self, pos: usize, depth: usize) -> Result<(Value, usize), MmdbError> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(MmdbError::RecordTooLarge { offset: pos });
        }
        let (mut ty, mut size, mut p) = self.control(pos)?;
        let mut after: Option<usize> = None;
        if ty == T_POINTER {
            let (target, next) = self.pointer(size, p)?;
            after = Some(next);
            let (t2, s2, p2) = self.control(target)?;
            if t2 == T_POINTER {
                return Err(corrupt(target, "pointer points to another pointer"));
            }
            ty = t2;
            size = s2;
            p = p2;
        }
        let (value, end) = if ty == T_MAP || ty == T_ARRAY {
            if depth >= MAX_DEPTH {
                return Err(MmdbError::NestingTooDeep { offset: pos });
            }
            self.decode_container(ty, size, p, depth)?
        } else {
            self.decode_scalar(ty, size, p, pos)?
        };
        Ok((value, after.unwrap_or(end)))
    }

    #[inline(never)]
    fn decode_container(
        &mut self,
        ty: u8,
        size: usize,
        p: usize,
        depth: usize,
    ) -> Result<(Value, usize), MmdbError> {
        let mut q = p;
        if ty == T_MAP {
            // Each pair takes at least two bytes in place.
            if size > self.end.saturating_sub(p) / 2 {
                return Err(self.container_too_big(p, size));
            }
            let mut m = Map::new();
            for _ in 0..size {
                let (k, nq) = self.decode_value(q, depth + 1)?;
                let Value::String(k) = k else {
                    return Err(corrupt(q, "map key is not a string"));
                };
                let (v, nq) = self.decode_value(nq, depth + 1)?;
                m.insert(k, v);
                q = nq;
            }
            Ok((Value::Object(m), q))
        } else {
            if size > self.end.saturating_sub(p) {
                return Err(self.container_too_big(p, size));
            }
            let mut a = Vec::with_capacity(size.min(1024));
            for _ in 0..size {
                let (v, nq) = self.decode_value(q, depth + 1)?;
                a.push(v);
                q = nq;
            }
            Ok((Value::Array(a), q))
        }
    }

    #[cold]
    #[inline(never)]
    fn container_too_big(&self, p: usize, size: usize) -> MmdbError {
        corrupt(p, format!("container of {size} items cannot fit"))
    }

    /// Decodes a non-container value of type `ty` with payload at `p`.
    #[inline(never)]
    fn decode_scalar(
        &mut self,
        ty: u8,
        size: usize,
        p: usize,
        pos: usize,
    ) -> Result<(Value, usize), MmdbError> {
        let out = match ty {
            T_STRING => {
                let s = self.slice(p, size)?;
                self.count_bytes(p, size)?;
                let s =
                    std::str::from_utf8(s).map_err(|_| corrupt(p, "string is not valid UTF-8"))?;
                (Value::String(s.to_string()), p + size)
            }
            T_DOUBLE => {
                if size != 8 {
                    return Err(corrupt(p, format!("double of size {size} (must be 8)")));
                }
                let bits = u64::try_from(self.be_uint(p, 8)?).unwrap_or(0);
                (float_value(f64::from_bits(bits)), p + 8)
            }
            T_FLOAT => {
                if size != 4 {
                    return Err(corrupt(p, format!("float of size {size} (must be 4)")));
                }
                let bits = u32::try_from(self.be_uint(p, 4)?).unwrap_or(0);
                (float_value(f64::from(f32::from_bits(bits))), p + 4)
            }
            T_BYTES => {
                let s = self.slice(p, size)?;
                self.count_bytes(p, size)?;
                (
                    Value::Array(s.iter().map(|b| Value::from(*b)).collect()),
                    p + size,
                )
            }
            T_UINT16 | T_UINT32 | T_INT32 | T_UINT64 | T_UINT128 => {
                let max = match ty {
                    T_UINT16 => 2,
                    T_UINT32 | T_INT32 => 4,
                    T_UINT64 => 8,
                    _ => 16,
                };
                if size > max {
                    return Err(corrupt(p, format!("integer of type {ty} with size {size}")));
                }
                let v = self.be_uint(p, size)?;
                let value = if ty == T_INT32 {
                    let u = u32::try_from(v).unwrap_or(0);
                    Value::from(i32::from_ne_bytes(u.to_ne_bytes()))
                } else if let Ok(small) = u64::try_from(v) {
                    Value::from(small)
                } else {
                    Value::String(v.to_string())
                };
                (value, p + size)
            }
            T_BOOL => match size {
                0 => (Value::Bool(false), p),
                1 => (Value::Bool(true), p),
                _ => return Err(corrupt(p, format!("boolean with value {size}"))),
            },
            T_CONTAINER => return Err(corrupt(pos, "data cache container inside a record")),
            T_END_MARKER => return Err(corrupt(pos, "end marker inside a record")),
            _ => return Err(corrupt(pos, format!("unknown type {ty}"))),
        };
        Ok(out)
    }

    fn count_bytes(&mut self, pos: usize, n: usize) -> Result<(), MmdbError> {
        self.out_bytes = self.out_bytes.saturating_add(n);
        if self.out_bytes > MAX_OUTPUT_BYTES {
            return Err(MmdbError::RecordTooLarge { offset: pos });
        }
        Ok(())
    }
}

fn float_value(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None if f.is_nan() => Value::String("NaN".into()),
        None if f > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(bytes: &[u8]) -> Result<Value, MmdbError> {
        Decoder::new(bytes, 0, bytes.len()).decode(0)
    }

    #[test]
    fn scalars() {
        assert_eq!(dec(&[0x43, b'a', b'b', b'c']).unwrap(), Value::from("abc"));
        assert_eq!(dec(&[0xa2, 0x01, 0x00]).unwrap(), Value::from(256));
        assert_eq!(dec(&[0xa0]).unwrap(), Value::from(0));
        assert_eq!(dec(&[0x00, 0x07]).unwrap(), Value::Bool(false));
        assert_eq!(dec(&[0x01, 0x07]).unwrap(), Value::Bool(true));
        assert!(dec(&[0x02, 0x07]).is_err());
        // int32 -1
        assert_eq!(
            dec(&[0x04, 0x01, 0xff, 0xff, 0xff, 0xff]).unwrap(),
            Value::from(-1)
        );
        // uint128 2^64 → string
        let mut v = vec![0x09, 0x03, 0x01];
        v.extend([0u8; 8]);
        assert_eq!(dec(&v).unwrap(), Value::from("18446744073709551616"));
        // truncated string
        assert!(dec(&[0x45, b'a']).is_err());
        // size 29 + next byte, truncated
        assert!(dec(&[0x5d]).is_err());
        // empty input
        assert!(dec(&[]).is_err());
    }

    #[test]
    fn pointers() {
        // 0: pointer to 2; 2: "x"
        assert_eq!(dec(&[0x20, 0x02, 0x41, b'x']).unwrap(), Value::from("x"));
        // pointer to itself → pointer to pointer error
        assert!(dec(&[0x20, 0x00]).is_err());
        // pointer out of range
        assert!(dec(&[0x20, 0x09]).is_err());
        // array containing a pointer to itself: depth limit, no hang
        let r = dec(&[0x01, 0x04, 0x20, 0x00]);
        assert!(matches!(r, Err(MmdbError::NestingTooDeep { .. })), "{r:?}");
    }

    #[test]
    fn fan_out_bomb_is_bounded() {
        // Array of 30 pointers to offset 0 (itself): each level multiplies;
        // must stop on depth or size budget quickly.
        let mut v = vec![0x1d, 0x04, 0x01];
        for _ in 0..30 {
            v.extend([0x20, 0x00]);
        }
        let r = dec(&v);
        assert!(r.is_err());
    }

    /// Nesting right up to the limit decodes, within a 512 KiB stack (wasm
    /// gets 1 MiB by default); one level more is refused.
    #[test]
    fn depth_limit_fits_small_stack() {
        let nested = |levels: usize| {
            let mut v = Vec::new();
            for _ in 0..levels {
                v.extend([0x01, 0x04]); // array of 1
            }
            v.push(0xa0); // uint32 0
            v
        };
        let ok = nested(MAX_DEPTH);
        let bad = nested(MAX_DEPTH + 1);
        let handle = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || (dec(&ok).is_ok(), dec(&bad)))
            .unwrap();
        let (ok, bad) = handle.join().unwrap();
        assert!(ok);
        assert!(
            matches!(bad, Err(MmdbError::NestingTooDeep { .. })),
            "{bad:?}"
        );
    }

    #[test]
    fn huge_map_size_rejected() {
        assert!(dec(&[0xff, 0xff, 0xff, 0xff]).is_err());
    }
}
