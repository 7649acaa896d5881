//! The file: metadata, the search tree and lookups.

use std::net::IpAddr;

use crate::json::{Map, Value};

use super::decode::Decoder;
use super::{Metadata, MmdbError, MmdbMatch};
use crate::segment::ip::{canonical, parse_ip, Prefix};

const METADATA_MARKER: &[u8] = b"\xAB\xCD\xEFMaxMind.com";
const METADATA_SEARCH_WINDOW: usize = 128 * 1024;
const DATA_SEPARATOR: usize = 16;

/// Where the search tree led for one address.
pub(super) struct Located {
    /// File offset of the record.
    pub(super) offset: usize,
    /// The address as looked up (IPv4-mapped IPv6 made IPv4).
    pub(super) ip: IpAddr,
    /// Bits of `ip` the tree consumed.
    pub(super) prefix_len: u8,
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
        let Some(hit) = self.locate(ip)? else {
            return Ok(None);
        };
        let mut dec = self.decoder();
        let record = dec.decode(hit.offset)?;
        let network = Prefix::new(hit.ip, hit.prefix_len)
            .ok_or_else(|| MmdbError::CorruptSearchTree("bad prefix length".to_string()))?;
        Ok(Some(MmdbMatch {
            record,
            prefix_len: hit.prefix_len,
            network,
        }))
    }

    /// A decoder over the data section.
    pub(super) fn decoder(&self) -> Decoder<'_> {
        Decoder::new(self.buf.as_ref(), self.data_start, self.data_end)
    }

    /// Walks the search tree for `ip`: where its record starts, or `None`
    /// when the database has no data for it.
    // Inlined: the page build has one caller and stays as small as before.
    #[inline(always)]
    pub(super) fn locate(&self, ip: IpAddr) -> Result<Option<Located>, MmdbError> {
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
        Ok(Some(Located {
            offset: self.resolve(node)?,
            ip,
            prefix_len: consumed,
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
