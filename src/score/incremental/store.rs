//! The stored form of a [`VisitorState`]: compact binary for the Durable
//! Object, JSON for reading and debugging; and the checks that refuse a
//! state of another version or model.

use serde::{Deserialize, Serialize};

use super::{Model, OpenEvent, RuleSums, VisitorState, STATE_VERSION};
use crate::time::Millis;

/// Why a stored state cannot be used with a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateError {
    /// The state was written in another format version.
    Version(u32),
    /// The state was built with another scoring model: its sums hold that
    /// model's points. Build it again from the events, or start afresh.
    ModelChanged,
    /// The stored text is not a visitor state.
    Malformed(String),
}

impl StateError {
    /// What went wrong, in words; written without `core::fmt`
    /// ([`crate::text`]), as the page build reports it.
    pub fn message(&self) -> String {
        use crate::text::int_text;
        match self {
            Self::Version(v) => [
                "visitor state version ",
                &int_text(i64::from(*v)),
                " is not supported (expected ",
                &int_text(i64::from(STATE_VERSION)),
                ")",
            ]
            .concat(),
            Self::ModelChanged => "the visitor state was built with another model".to_owned(),
            Self::Malformed(why) => ["not a visitor state: ", why].concat(),
        }
    }
}

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for StateError {}

/// FNV-1a over the compiled document, as hex: what names a model in a
/// stored state. The page build only reads it from compiled configs.
#[cfg(not(feature = "page-only"))]
pub(in crate::score) fn fingerprint(config: &crate::score::ModelConfig) -> String {
    let text = serde_json::to_string(config).unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

impl Model {
    /// Reads a stored state, refusing one of another version or model.
    pub fn load_state(&self, json: &str) -> Result<VisitorState, StateError> {
        #[derive(Deserialize)]
        struct Version {
            v: u32,
        }
        let state: VisitorState = match serde_json::from_str(json) {
            Ok(state) => state,
            // A state of another version may not read as this one: say so
            // rather than what does not parse.
            Err(e) => {
                return Err(match serde_json::from_str::<Version>(json) {
                    Ok(Version { v }) if v != STATE_VERSION => StateError::Version(v),
                    _ => StateError::Malformed(e.to_string()),
                })
            }
        };
        if state.v != STATE_VERSION {
            return Err(StateError::Version(state.v));
        }
        self.check_state(&state)?;
        Ok(state)
    }

    /// A state for this model from one stored under another (or of an
    /// older format): the old model's sums cannot be re-read, so it starts
    /// again from the events the state still holds whole, ingested under
    /// this model at `now`, with the newest interaction kept. Those are the
    /// events with a match of a capped rule still open (see the module
    /// docs); an event that matched only uncapped rules was folded into the
    /// sums at once and is not carried over. Unreadable bytes give an empty
    /// state.
    pub fn restart_state(&self, bytes: &[u8], now: crate::time::Millis) -> VisitorState {
        let mut state = self.new_state();
        let old: Option<VisitorState> = match bytes {
            [b'N', b'V', _, rest @ ..] => postcard::from_bytes(rest).ok(),
            _ => None,
        };
        let Some(old) = old else {
            return state;
        };
        let events: Vec<_> = old.o.iter().map(|e| e.as_event()).collect();
        // Ingesting a state's own events cannot fail its model check.
        let _ = self.ingest(&mut state, &events, now, crate::score::EventSource::Server);
        state.l = match (state.l, old.l) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        state
    }

    /// Reads a state stored with [`VisitorState::to_bytes`].
    pub fn load_state_bytes(&self, bytes: &[u8]) -> Result<VisitorState, StateError> {
        match bytes {
            [b'N', b'V', v, rest @ ..] if u32::from(*v) == STATE_VERSION => {
                let state: VisitorState =
                    postcard::from_bytes(rest).map_err(|e| StateError::Malformed(e.to_string()))?;
                self.check_state(&state)?;
                Ok(state)
            }
            [b'N', b'V', v, ..] => Err(StateError::Version(u32::from(*v))),
            _ => Err(StateError::Malformed("no visitor state tag".into())),
        }
    }
}

/// The fields of a [`VisitorState`] before its open events, borrowed:
/// postcard writes a struct as its fields one after the other, and a slice
/// as a `Vec`, so these bytes are the state's own up to `o`.
#[derive(Serialize)]
struct Head<'a> {
    v: u32,
    m: &'a str,
    r: Option<Millis>,
    n: u64,
    l: Option<Millis>,
    s: &'a [RuleSums],
    i: &'a [(String, f64)],
}

/// An open event as postcard writes it (the derived `Serialize` of
/// [`OpenEvent`], field by field), written here without serde's layers: the
/// open events are most of a state, and each of their fields went through
/// four calls per byte or so (`to_bytes` was the dearest part of a batch
/// once a visitor had a few hundred open events; benches/edge_ingest.rs).
/// tests/incremental.rs holds the bytes to postcard's own.
fn write_open(out: &mut Vec<u8>, e: &OpenEvent) {
    write_varint(out, e.i);
    write_varint(out, zigzag(e.t));
    write_str(out, &e.a);
    match &e.u {
        None => out.push(0),
        Some(u) => {
            out.push(1);
            write_str(out, u);
        }
    }
    write_len(out, e.g.len());
    for tag in e.g.iter() {
        write_str(out, tag);
    }
    match e.d {
        None => out.push(0),
        Some(d) => {
            out.push(1);
            out.extend_from_slice(&d.to_le_bytes());
        }
    }
    out.push(u8::from(e.s));
    match e.p {
        None => out.push(0),
        Some(p) => {
            out.push(1);
            write_len(out, p);
        }
    }
    write_len(out, e.m.len());
    for m in &e.m {
        write_len(out, m.r);
        out.push(m.l);
        out.push(u8::from(m.f));
    }
}

/// postcard's varint: seven bits a byte, least significant first.
fn write_varint(out: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        out.push((x as u8) | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

fn write_len(out: &mut Vec<u8>, n: usize) {
    write_varint(out, n as u64);
}

/// postcard's signed integers: zigzag, then a varint.
fn zigzag(x: i64) -> u64 {
    ((x << 1) ^ (x >> 63)) as u64
}

fn write_str(out: &mut Vec<u8>, text: &str) {
    write_len(out, text.len());
    out.extend_from_slice(text.as_bytes());
}

/// postcard's output into a `Vec`, a byte or a slice at a time.
/// `postcard::to_extend` goes through `Extend` for every byte (a capacity
/// check and a length update a byte, most of writing a state); this
/// writes the same bytes with `push` and `extend_from_slice`.
struct Bytes(Vec<u8>);

impl postcard::ser_flavors::Flavor for Bytes {
    type Output = Vec<u8>;

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(data);
        Ok(())
    }

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<Vec<u8>> {
        Ok(self.0)
    }
}

/// The first bytes of a stored state: a tag and the format version.
const MAGIC: [u8; 3] = [b'N', b'V', STATE_VERSION as u8];

impl VisitorState {
    /// The stored form: a tag, the version, then the state in postcard's
    /// compact binary encoding (variable-length integers, no field names),
    /// several times faster to write and read than JSON and about half its
    /// size.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Room for a state of this size: the open events are most of it
        // (some 50 bytes each), so a batch's state is written without the
        // buffer growing and copying itself along the way.
        let mut out = Vec::with_capacity(256 + 64 * self.o.len());
        out.extend_from_slice(&MAGIC);
        let head = Head {
            v: self.v,
            m: &self.m,
            r: self.r,
            n: self.n,
            l: self.l,
            s: &self.s,
            i: &self.i,
        };
        let Ok(mut out) = postcard::serialize_with_flavor(&head, Bytes(out)) else {
            // Serializing plain structs into a Vec does not fail; should it,
            // an empty state is stored rather than a half-written one.
            return MAGIC.to_vec();
        };
        write_len(&mut out, self.o.len());
        for event in &self.o {
            write_open(&mut out, event);
        }
        if self.a.is_empty() {
            return out;
        }
        postcard::serialize_with_flavor(&self.a, Bytes(out)).unwrap_or_else(|_| MAGIC.to_vec())
    }

    /// The events taken so far.
    pub fn events(&self) -> u64 {
        self.n
    }

    /// Events kept whole because a decision about them may still change.
    pub fn open_events(&self) -> usize {
        self.o.len()
    }

    /// The stored form: compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
