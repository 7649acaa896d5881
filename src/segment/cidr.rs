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

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::csv;
use super::ip::{canonical, parse_ip, IpParseError, Prefix};

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

/// What went wrong (or was adjusted) on one input line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// The prefix could not be parsed; the line was skipped.
    BadPrefix,
    /// The line has no prefix value; skipped.
    MissingPrefix,
    /// The line is not a valid record (bad quoting, not a JSON object, too
    /// many fields, ...); skipped.
    BadRecord,
    /// The header has no `cidr`/`network` column; nothing was loaded.
    BadHeader,
    /// The prefix repeats one from an earlier line; this line was skipped.
    Duplicate,
    /// The address had bits set beyond the prefix length; they were
    /// cleared and the line was kept (a warning).
    HostBitsMasked,
}

/// One reported input line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineIssue {
    /// 1-based line number where the record starts.
    pub line: usize,
    /// The offending value (the prefix text, or the raw line).
    pub input: String,
    /// Category.
    pub kind: IssueKind,
    /// Human-readable reason.
    pub reason: String,
}

impl fmt::Display for LineIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {:?}: {}", self.line, self.input, self.reason)
    }
}

/// Result of loading a table: what loaded, what was rejected, and
/// warnings about lines that were kept after an adjustment.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The table built from the good lines.
    pub table: CidrTable,
    /// Lines that were skipped.
    pub rejected: Vec<LineIssue>,
    /// Lines that were kept with an adjustment (host bits masked).
    pub warnings: Vec<LineIssue>,
}

/// A lookup hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CidrMatch<'a> {
    /// The most specific network containing the address.
    pub prefix: Prefix,
    /// Its attributes.
    pub attributes: &'a Attributes,
}

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
    fn intern_with(&mut self, key: String, make: impl FnOnce() -> Attributes) -> Option<u32> {
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

    fn push_interned(&mut self, prefix: Prefix, attr: u32, tag: u32) {
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
    /// Loads a table from CSV text (see the module docs for the format).
    pub fn from_csv(text: &str) -> Loaded {
        load_csv(text)
    }

    /// Loads a table from JSON text: an array of objects or JSON Lines.
    pub fn from_json(text: &str) -> Loaded {
        load_json(text)
    }

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

fn issue(line: usize, input: &str, kind: IssueKind, reason: impl Into<String>) -> LineIssue {
    LineIssue {
        line,
        input: input.to_string(),
        kind,
        reason: reason.into(),
    }
}

fn line_tag(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// Shared by both loaders: parse the prefix text, collect warnings/errors.
fn parse_prefix_for_line(
    line: usize,
    text: &str,
    rejected: &mut Vec<LineIssue>,
    warnings: &mut Vec<LineIssue>,
) -> Option<Prefix> {
    let t = text.trim();
    if t.is_empty() {
        rejected.push(issue(line, t, IssueKind::MissingPrefix, "empty prefix"));
        return None;
    }
    match Prefix::parse(t) {
        Ok(p) => {
            if p.had_host_bits {
                warnings.push(issue(
                    line,
                    t,
                    IssueKind::HostBitsMasked,
                    format!("host bits set beyond the prefix length; using {}", p.prefix),
                ));
            }
            Some(p.prefix)
        }
        Err(e) => {
            rejected.push(issue(line, t, IssueKind::BadPrefix, e.to_string()));
            None
        }
    }
}

fn finish(
    builder: CidrTableBuilder,
    mut rejected: Vec<LineIssue>,
    warnings: Vec<LineIssue>,
) -> Loaded {
    let (table, dups) = builder.build_with_duplicates();
    for d in dups {
        rejected.push(issue(
            usize::try_from(d.dropped_tag).unwrap_or(usize::MAX),
            &d.prefix.to_string(),
            IssueKind::Duplicate,
            format!("duplicate of line {}; the first one is kept", d.kept_tag),
        ));
    }
    rejected.sort_by_key(|i| i.line);
    Loaded {
        table,
        rejected,
        warnings,
    }
}

/// CSV cell → JSON value (numbers only for plain decimals, no leading 0).
fn cell_value(s: &str) -> Value {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int_part, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let int_ok = !int_part.is_empty()
        && int_part.bytes().all(|b| b.is_ascii_digit())
        && (int_part == "0" || !int_part.starts_with('0'));
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if int_ok && frac_ok && int_part.len() <= 15 {
        if frac.is_none() {
            if let Ok(i) = s.parse::<i64>() {
                return Value::from(i);
            }
        } else if let Ok(f) = s.parse::<f64>() {
            if let Some(n) = serde_json::Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    Value::String(s.to_string())
}

const PREFIX_COLUMNS: [&str; 4] = ["cidr", "network", "prefix", "ip"];

fn load_csv(text: &str) -> Loaded {
    let mut builder = CidrTableBuilder::new();
    let mut rejected = Vec::new();
    let mut warnings = Vec::new();
    let mut recs = csv::records(text);
    // Header: the first record.
    let header = match recs.next() {
        None => return finish(builder, rejected, warnings),
        Some(Err(e)) => {
            rejected.push(issue(e.line, &e.raw, IssueKind::BadHeader, e.reason));
            return finish(builder, rejected, warnings);
        }
        Some(Ok(r)) => r,
    };
    let names: Vec<String> = header
        .fields
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let Some(cidr_col) = PREFIX_COLUMNS
        .iter()
        .find_map(|c| names.iter().position(|n| n == c))
    else {
        rejected.push(issue(
            header.line,
            &header.raw,
            IssueKind::BadHeader,
            "header has no \"cidr\" or \"network\" column",
        ));
        return finish(builder, rejected, warnings);
    };
    let mut key = String::new();
    for rec in recs {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                rejected.push(issue(e.line, &e.raw, IssueKind::BadRecord, e.reason));
                continue;
            }
        };
        if rec.fields.len() > names.len() {
            rejected.push(issue(
                rec.line,
                &rec.raw,
                IssueKind::BadRecord,
                format!(
                    "{} fields, but the header has {} columns",
                    rec.fields.len(),
                    names.len()
                ),
            ));
            continue;
        }
        let Some(cidr_text) = rec.fields.get(cidr_col) else {
            rejected.push(issue(
                rec.line,
                &rec.raw,
                IssueKind::MissingPrefix,
                "no value in the prefix column",
            ));
            continue;
        };
        let Some(prefix) = parse_prefix_for_line(rec.line, cidr_text, &mut rejected, &mut warnings)
        else {
            continue;
        };
        key.clear();
        for (i, f) in rec.fields.iter().enumerate() {
            if i != cidr_col {
                key.push_str(f.trim());
                key.push('\u{1f}');
            }
        }
        let make = || {
            let mut m = Map::new();
            for (i, (name, f)) in names.iter().zip(rec.fields.iter()).enumerate() {
                let f = f.trim();
                if i != cidr_col && !f.is_empty() && !name.is_empty() {
                    m.insert(name.clone(), cell_value(f));
                }
            }
            Attributes(m)
        };
        match builder.intern_with(key.clone(), make) {
            Some(id) => builder.push_interned(prefix, id, line_tag(rec.line)),
            None => rejected.push(issue(
                rec.line,
                &rec.raw,
                IssueKind::BadRecord,
                "too many distinct attribute sets",
            )),
        }
    }
    finish(builder, rejected, warnings)
}

/// A top-level JSON element: `Ok((line, text))` or `Err((line, reason))`.
type JsonElement<'a> = Result<(usize, &'a str), (usize, String)>;

/// Splits JSON text into top-level elements: (line, text). An array's
/// elements, or, if the text does not start with `[`, one value per
/// non-blank line (JSON Lines). An unterminated value yields an error.
fn json_elements(text: &str) -> Vec<JsonElement<'_>> {
    let mut out = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    if !trimmed.starts_with('[') {
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if !t.is_empty() && !t.starts_with('#') {
                out.push(Ok((i + 1, t)));
            }
        }
        return out;
    }
    let bytes = text.as_bytes();
    let mut line = 1usize;
    let mut i = 0usize;
    // Move past the opening bracket.
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if b == b'\n' {
            line += 1;
        }
        if b == b'[' {
            break;
        }
    }
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let mut elem_start: Option<(usize, usize)> = None;
    let mut closed = false;
    while let Some(&b) = bytes.get(i) {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            } else if b == b'\n' {
                line += 1;
            }
            i += 1;
            continue;
        }
        match b {
            b'\n' => line += 1,
            b' ' | b'\t' | b'\r' => {}
            b',' | b']' if depth == 0 => {
                if let Some((s, l)) = elem_start.take() {
                    out.push(Ok((l, text.get(s..i).unwrap_or_default().trim())));
                } else if b == b',' {
                    out.push(Err((line, "empty array element".to_string())));
                }
                if b == b']' {
                    closed = true;
                    i += 1;
                    break;
                }
            }
            _ => {
                if elem_start.is_none() {
                    elem_start = Some((i, line));
                }
                match b {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
        i += 1;
    }
    if !closed {
        let l = elem_start.map_or(line, |(_, l)| l);
        out.push(Err((l, "unterminated JSON array".to_string())));
    } else if let Some(rest) = text.get(i..) {
        if !rest.trim().is_empty() {
            out.push(Err((
                line,
                "unexpected text after the JSON array".to_string(),
            )));
        }
    }
    out
}

fn load_json(text: &str) -> Loaded {
    let mut builder = CidrTableBuilder::new();
    let mut rejected = Vec::new();
    let mut warnings = Vec::new();
    for elem in json_elements(text) {
        let (line, raw) = match elem {
            Ok(x) => x,
            Err((line, reason)) => {
                rejected.push(issue(line, "", IssueKind::BadRecord, reason));
                continue;
            }
        };
        let short: String = raw.chars().take(120).collect();
        let mut obj = match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                rejected.push(issue(
                    line,
                    &short,
                    IssueKind::BadRecord,
                    "not a JSON object",
                ));
                continue;
            }
            Err(e) => {
                rejected.push(issue(
                    line,
                    &short,
                    IssueKind::BadRecord,
                    format!("invalid JSON: {e}"),
                ));
                continue;
            }
        };
        let cidr = ["cidr", "network"].iter().find_map(|k| obj.remove(*k));
        let cidr_text = match cidr {
            Some(Value::String(s)) => s,
            Some(other) => {
                rejected.push(issue(
                    line,
                    &other.to_string(),
                    IssueKind::BadPrefix,
                    "\"cidr\" is not a string",
                ));
                continue;
            }
            None => {
                rejected.push(issue(
                    line,
                    &short,
                    IssueKind::MissingPrefix,
                    "object has no \"cidr\" key",
                ));
                continue;
            }
        };
        let Some(prefix) = parse_prefix_for_line(line, &cidr_text, &mut rejected, &mut warnings)
        else {
            continue;
        };
        let attrs = Attributes(obj);
        let key = serde_json::to_string(&attrs).unwrap_or_default();
        match builder.intern_with(key, || attrs) {
            Some(id) => builder.push_interned(prefix, id, line_tag(line)),
            None => rejected.push(issue(
                line,
                &short,
                IssueKind::BadRecord,
                "too many distinct attribute sets",
            )),
        }
    }
    finish(builder, rejected, warnings)
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn cell_values() {
        assert_eq!(cell_value("500"), Value::from(500));
        assert_eq!(cell_value("-3"), Value::from(-3));
        assert_eq!(cell_value("2.5"), Value::from(2.5));
        assert_eq!(cell_value("02134"), Value::from("02134"));
        assert_eq!(cell_value("51-200"), Value::from("51-200"));
        assert_eq!(cell_value("1e5"), Value::from("1e5"));
        assert_eq!(cell_value("0"), Value::from(0));
        assert_eq!(cell_value("1."), Value::from("1."));
    }

    #[test]
    fn json_splitting() {
        let e = json_elements("[\n {\"a\": \"],\"},\n 3 ,\n [1,2]\n]");
        let ok: Vec<_> = e.iter().map(|x| x.clone().unwrap()).collect();
        assert_eq!(ok, vec![(2, "{\"a\": \"],\"}"), (3, "3"), (4, "[1,2]")]);
        let e = json_elements("[ {\"a\": 1},");
        assert!(e.last().unwrap().is_err());
    }
}
