//! The stored form of a [`VisitorState`]: compact binary for the Durable
//! Object, JSON for reading and debugging; and the checks that refuse a
//! state of another version or model.

use serde::Deserialize;

use super::{Model, VisitorState, STATE_VERSION};

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

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Version(v) => write!(
                f,
                "visitor state version {v} is not supported (expected {STATE_VERSION})"
            ),
            Self::ModelChanged => f.write_str("the visitor state was built with another model"),
            Self::Malformed(why) => write!(f, "not a visitor state: {why}"),
        }
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

/// The first bytes of a stored state: a tag and the format version.
const MAGIC: [u8; 3] = [b'N', b'V', STATE_VERSION as u8];

impl VisitorState {
    /// The stored form: a tag, the version, then the state in postcard's
    /// compact binary encoding (variable-length integers, no field names),
    /// several times faster to write and read than JSON and about half its
    /// size.
    pub fn to_bytes(&self) -> Vec<u8> {
        let out = MAGIC.to_vec();
        match postcard::to_extend(self, out) {
            Ok(bytes) => bytes,
            // Serializing plain structs into a Vec does not fail; should it,
            // an empty state is stored rather than a half-written one.
            Err(_) => MAGIC.to_vec(),
        }
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
