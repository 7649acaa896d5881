//! The flattened interval arrays, the builder that makes them, and lookups.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Attributes, CidrMatch};
use crate::segment::ip::{canonical, parse_ip, IpParseError, Prefix};

const NONE_ATTR: u32 = u32::MAX;
const NONE_LEN: u8 = u8::MAX;

trait Key: Copy + Ord + Default {
    fn last_of(start: Self, len: u8) -> Self;
    fn succ(self) -> Option<Self>;
    /// The top 16 bits, for the directory.
    fn top16(self) -> usize;
}

impl Key for u32 {
    fn last_of(start: u32, len: u8) -> u32 {
        if len >= 32 {
            start
        } else {
            start | (u32::MAX >> u32::from(len))
        }
    }
    fn succ(self) -> Option<u32> {
        self.checked_add(1)
    }
    fn top16(self) -> usize {
        usize::from((self >> 16) as u16)
    }
}

impl Key for u128 {
    fn last_of(start: u128, len: u8) -> u128 {
        if len >= 128 {
            start
        } else {
            start | (u128::MAX >> u32::from(len))
        }
    }
    fn succ(self) -> Option<u128> {
        self.checked_add(1)
    }
    fn top16(self) -> usize {
        usize::from((self >> 112) as u16)
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry<K> {
    start: K,
    attr: u32,
    tag: u32,
    len: u8,
}

/// Flattened intervals for one address family.
#[derive(Debug, Clone, Default)]
struct Intervals<K> {
    starts: Vec<K>,
    attrs: Vec<u32>,
    lens: Vec<u8>,
    /// For large tables: `dir[h]` = index of the first interval whose start
    /// has top-16 bits >= `h` (65,537 entries), narrowing each binary
    /// search to one 1/65,536th of the address space.
    dir: Vec<u32>,
}

/// Tables with fewer intervals than this skip the directory (256 KiB).
const DIRECTORY_MIN_INTERVALS: usize = 16_384;

impl<K: Key> Intervals<K> {
    fn emit(&mut self, start: K, attr: u32, len: u8) {
        if self.starts.last() == Some(&start) {
            // Zero-width interval: replaced by the new one.
            self.starts.pop();
            self.attrs.pop();
            self.lens.pop();
        }
        if self.attrs.last() == Some(&attr) && self.lens.last() == Some(&len) {
            return;
        }
        self.starts.push(start);
        self.attrs.push(attr);
        self.lens.push(len);
    }

    /// Builds from entries sorted by (start, len) with no duplicates.
    fn flatten(entries: &[Entry<K>]) -> Intervals<K> {
        let mut out = Intervals {
            starts: Vec::new(),
            attrs: Vec::new(),
            lens: Vec::new(),
            dir: Vec::new(),
        };
        out.emit(K::default(), NONE_ATTR, NONE_LEN);
        // Open (enclosing) prefixes: (last address, attr, len).
        let mut stack: Vec<(K, u32, u8)> = Vec::new();
        for e in entries {
            while let Some(&(end, _, _)) = stack.last() {
                if end >= e.start {
                    break;
                }
                stack.pop();
                if let Some(resume) = end.succ() {
                    let (a, l) = stack.last().map_or((NONE_ATTR, NONE_LEN), |t| (t.1, t.2));
                    out.emit(resume, a, l);
                }
            }
            out.emit(e.start, e.attr, e.len);
            stack.push((K::last_of(e.start, e.len), e.attr, e.len));
        }
        while let Some((end, _, _)) = stack.pop() {
            if let Some(resume) = end.succ() {
                let (a, l) = stack.last().map_or((NONE_ATTR, NONE_LEN), |t| (t.1, t.2));
                out.emit(resume, a, l);
            }
        }
        out.starts.shrink_to_fit();
        out.attrs.shrink_to_fit();
        out.lens.shrink_to_fit();
        out.build_directory();
        out
    }

    fn build_directory(&mut self) {
        let n = self.starts.len();
        if n < DIRECTORY_MIN_INTERVALS || u32::try_from(n).is_err() {
            return;
        }
        let mut dir = Vec::with_capacity(65_537);
        let mut i = 0usize;
        for h in 0..=65_536usize {
            while self.starts.get(i).is_some_and(|s| s.top16() < h) {
                i += 1;
            }
            dir.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        self.dir = dir;
    }

    /// Index of the last interval starting at or before `key`.
    fn position(&self, key: K) -> Option<usize> {
        let h = key.top16();
        if let (Some(lo), Some(hi)) = (self.dir.get(h), self.dir.get(h + 1)) {
            let (lo, hi) = (*lo as usize, *hi as usize);
            // Answer is in [lo, hi) or is lo - 1 (the interval spanning the
            // bucket start).
            let bucket = self.starts.get(lo..hi)?;
            let j = bucket.partition_point(|s| *s <= key);
            return (lo + j).checked_sub(1);
        }
        self.starts.partition_point(|s| *s <= key).checked_sub(1)
    }

    fn find(&self, key: K) -> Option<(u32, u8)> {
        let idx = self.position(key)?;
        let attr = *self.attrs.get(idx)?;
        let len = *self.lens.get(idx)?;
        if attr == NONE_ATTR {
            None
        } else {
            Some((attr, len))
        }
    }

    fn heap_bytes(&self) -> usize {
        self.starts.capacity() * std::mem::size_of::<K>()
            + self.attrs.capacity() * 4
            + self.lens.capacity()
            + self.dir.capacity() * 4
    }
}

/// A prefix repeated in the input: `dropped_tag` lost to `kept_tag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duplicate {
    /// The repeated prefix.
    pub prefix: Prefix,
    /// Tag (line number or insertion index) of the entry that was kept.
    pub kept_tag: u32,
    /// Tag of the entry that was dropped.
    pub dropped_tag: u32,
}

/// Collects prefixes, then [`build`](CidrTableBuilder::build)s a table.
#[derive(Debug, Default)]
pub struct CidrTableBuilder {
    v4: Vec<Entry<u32>>,
    v6: Vec<Entry<u128>>,
    attrs: Vec<Attributes>,
    intern: HashMap<String, u32>,
    seq: u32,
}

impl CidrTableBuilder {
    /// An empty builder.
    pub fn new() -> CidrTableBuilder {
        CidrTableBuilder::default()
    }

    /// Interns an attribute set by a caller-chosen key; `make` runs only
    /// for a new key. Returns `None` once 2^32 - 1 sets exist.
    pub(super) fn intern_with(
        &mut self,
        key: String,
        make: impl FnOnce() -> Attributes,
    ) -> Option<u32> {
        if let Some(id) = self.intern.get(&key) {
            return Some(*id);
        }
        let id = u32::try_from(self.attrs.len()).ok()?;
        if id == NONE_ATTR {
            return None;
        }
        self.attrs.push(make());
        self.intern.insert(key, id);
        Some(id)
    }

    pub(super) fn push_interned(&mut self, prefix: Prefix, attr: u32, tag: u32) {
        match prefix.addr() {
            IpAddr::V4(a) => self.v4.push(Entry {
                start: u32::from(a),
                attr,
                tag,
                len: prefix.len(),
            }),
            IpAddr::V6(a) => self.v6.push(Entry {
                start: u128::from(a),
                attr,
                tag,
                len: prefix.len(),
            }),
        }
    }

    /// Adds a prefix with its attributes. Identical attribute sets are
    /// stored once. When the same prefix is added twice, the first wins
    /// (see [`build_with_duplicates`](Self::build_with_duplicates)).
    /// Returns false (and adds nothing) past 2^32 - 1 distinct attribute
    /// sets.
    pub fn insert(&mut self, prefix: Prefix, attributes: Attributes) -> bool {
        let key = serde_json::to_string(&attributes).unwrap_or_default();
        let tag = self.seq;
        self.seq = self.seq.saturating_add(1);
        match self.intern_with(key, || attributes) {
            Some(id) => {
                self.push_interned(prefix, id, tag);
                true
            }
            None => false,
        }
    }

    /// Number of prefixes added so far.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Builds the table; duplicates are dropped silently (first wins).
    pub fn build(self) -> CidrTable {
        self.build_with_duplicates().0
    }

    /// Builds the table and lists the dropped duplicates. Tags are
    /// insertion indices (0-based) for [`insert`](Self::insert), line
    /// numbers for the loaders.
    pub fn build_with_duplicates(mut self) -> (CidrTable, Vec<Duplicate>) {
        let mut dups = Vec::new();
        let v4 = build_family(&mut self.v4, &mut dups, |e| {
            Prefix::new(IpAddr::V4(Ipv4Addr::from(e.start)), e.len)
        });
        let v6 = build_family(&mut self.v6, &mut dups, |e| {
            Prefix::new(IpAddr::V6(Ipv6Addr::from(e.start)), e.len)
        });
        let count = self.v4.len() + self.v6.len();
        let mut attrs = self.attrs;
        attrs.shrink_to_fit();
        dups.sort_by_key(|d| d.dropped_tag);
        (
            CidrTable {
                v4,
                v6,
                attrs,
                count,
            },
            dups,
        )
    }
}

fn build_family<K: Key>(
    entries: &mut Vec<Entry<K>>,
    dups: &mut Vec<Duplicate>,
    to_prefix: impl Fn(&Entry<K>) -> Option<Prefix>,
) -> Intervals<K> {
    entries.sort_unstable_by_key(|e| (e.start, e.len, e.tag));
    let mut kept: Option<Entry<K>> = None;
    entries.retain(|e| {
        if let Some(k) = kept {
            if k.start == e.start && k.len == e.len {
                if let Some(prefix) = to_prefix(e) {
                    dups.push(Duplicate {
                        prefix,
                        kept_tag: k.tag,
                        dropped_tag: e.tag,
                    });
                }
                return false;
            }
        }
        kept = Some(*e);
        true
    });
    Intervals::flatten(entries)
}

/// An immutable longest-prefix-match table. Build it once and share it by
/// reference (cloning copies every array).
#[derive(Debug, Clone, Default)]
pub struct CidrTable {
    v4: Intervals<u32>,
    v6: Intervals<u128>,
    attrs: Vec<Attributes>,
    count: usize,
}

impl CidrTable {
    /// Longest-prefix match. IPv4-mapped IPv6 addresses match IPv4 entries.
    pub fn lookup(&self, ip: IpAddr) -> Option<CidrMatch<'_>> {
        let (attr, len, addr) = match canonical(ip) {
            IpAddr::V4(a) => {
                let (attr, len) = self.v4.find(u32::from(a))?;
                (attr, len, IpAddr::V4(a))
            }
            IpAddr::V6(a) => {
                let (attr, len) = self.v6.find(u128::from(a))?;
                (attr, len, IpAddr::V6(a))
            }
        };
        let attributes = self.attrs.get(usize::try_from(attr).ok()?)?;
        let prefix = Prefix::new(addr, len)?;
        Some(CidrMatch { prefix, attributes })
    }

    /// Parses `ip` (strictly, see [`parse_ip`]) and looks it up.
    pub fn lookup_str(&self, ip: &str) -> Result<Option<CidrMatch<'_>>, IpParseError> {
        Ok(self.lookup(parse_ip(ip)?))
    }

    /// Number of distinct prefixes in the table.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when the table has no prefix.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Number of flattened intervals (IPv4, IPv6), gaps included.
    pub fn interval_counts(&self) -> (usize, usize) {
        (self.v4.starts.len(), self.v6.starts.len())
    }

    /// Number of distinct attribute sets.
    pub fn attribute_sets(&self) -> usize {
        self.attrs.len()
    }

    /// Approximate heap bytes held by the interval arrays (attribute maps
    /// not included: their size depends on the content).
    pub fn index_bytes(&self) -> usize {
        self.v4.heap_bytes()
            + self.v6.heap_bytes()
            + self.attrs.capacity() * std::mem::size_of::<Attributes>()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn p(s: &str) -> Prefix {
        Prefix::parse(s).unwrap().prefix
    }

    fn attrs(name: &str) -> Attributes {
        let mut a = Attributes::new();
        a.insert("company", Value::from(name));
        a
    }

    #[test]
    fn flatten_nested_and_adjacent() {
        let mut b = CidrTableBuilder::new();
        b.insert(p("10.0.0.0/8"), attrs("A"));
        b.insert(p("10.1.0.0/16"), attrs("B"));
        b.insert(p("10.1.2.0/24"), attrs("C"));
        b.insert(p("10.1.255.0/24"), attrs("D"));
        b.insert(p("10.255.255.255/32"), attrs("E"));
        let t = b.build();
        let co = |ip: &str| {
            t.lookup_str(ip)
                .unwrap()
                .map(|m| (m.attributes.company().unwrap().to_string(), m.prefix.len()))
        };
        assert_eq!(co("9.255.255.255"), None);
        assert_eq!(co("10.0.0.0"), Some(("A".into(), 8)));
        assert_eq!(co("10.1.0.0"), Some(("B".into(), 16)));
        assert_eq!(co("10.1.1.255"), Some(("B".into(), 16)));
        assert_eq!(co("10.1.2.0"), Some(("C".into(), 24)));
        assert_eq!(co("10.1.2.255"), Some(("C".into(), 24)));
        assert_eq!(co("10.1.3.0"), Some(("B".into(), 16)));
        assert_eq!(co("10.1.255.255"), Some(("D".into(), 24)));
        assert_eq!(co("10.2.0.0"), Some(("A".into(), 8)));
        assert_eq!(co("10.255.255.254"), Some(("A".into(), 8)));
        assert_eq!(co("10.255.255.255"), Some(("E".into(), 32)));
        assert_eq!(co("11.0.0.0"), None);
    }

    #[test]
    fn merge_same_attrs() {
        let mut b = CidrTableBuilder::new();
        b.insert(p("10.0.0.0/24"), attrs("A"));
        b.insert(p("10.0.1.0/24"), attrs("A"));
        let t = b.build();
        assert_eq!(t.interval_counts().0, 3);
        assert_eq!(
            t.lookup_str("10.0.1.7").unwrap().unwrap().prefix,
            p("10.0.1.0/24")
        );
        assert_eq!(
            t.lookup_str("10.0.0.7").unwrap().unwrap().prefix,
            p("10.0.0.0/24")
        );
        assert_eq!(t.attribute_sets(), 1);
    }
}
