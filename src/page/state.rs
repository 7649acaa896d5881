//! The visitor state kept in `localStorage`: versioned, bounded in size, and
//! reset safely when what is found there is not ours or not readable.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::delivery::{self, trim_front, valid_token};

/// Bumped whenever the stored layout changes; an older or newer layout is
/// reset rather than guessed at.
pub const STATE_VERSION: u32 = 1;
/// Events kept for local scoring; the oldest go first. The edge keeps the
/// full history, the page only needs enough to score recent behaviour.
pub const MAX_EVENTS: usize = 200;
/// The stored text may not exceed this many bytes (localStorage quotas are
/// about 5 MB per origin, shared with the site's own data).
pub const MAX_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Stored {
    /// Layout version, [`STATE_VERSION`].
    pub v: u32,
    /// The random visitor id (32 hex digits).
    pub id: String,
    /// Next event sequence number; `messageId` is `{id}-{seq}`.
    pub seq: u64,
    #[serde(default)]
    pub profile: Map<String, Value>,
    #[serde(default)]
    pub events: Vec<Value>,
    /// Events not yet acknowledged by the edge.
    #[serde(default)]
    pub outbox: Vec<Value>,
    /// `Some(true)` once the visitor granted consent explicitly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<bool>,
    /// The newest signed visitor token the edge answered with
    /// (`x-nurture-visitor`), sent back with every batch: when the edge is
    /// on another origin, its cookie may never reach it. An optional field,
    /// so states stored before it existed read as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Keys (strings) of the experiments this visitor was exposed to (an
    /// `Experiment Viewed` was sent), so each is reported once. `Value`s
    /// rather than `String`s: the events' deserializer serves, and a second
    /// one for strings cost page-build bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed: Vec<Value>,
}

/// Why stored data was thrown away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetReason {
    /// Not JSON, or JSON of the wrong shape.
    Corrupt,
    /// JSON, but not a nurture state (another script uses the key).
    Foreign,
    /// A nurture state of another layout version.
    Version,
}

impl ResetReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ResetReason::Corrupt => "corrupt",
            ResetReason::Foreign => "foreign",
            ResetReason::Version => "version",
        }
    }
}

impl Stored {
    pub fn new(id: String) -> Stored {
        Stored {
            v: STATE_VERSION,
            id,
            seq: 0,
            profile: Map::new(),
            events: Vec::new(),
            outbox: Vec::new(),
            consent: None,
            token: None,
            exposed: Vec::new(),
        }
    }

    /// Reads stored text. Anything unexpected is refused with its reason;
    /// the caller starts afresh.
    pub fn parse(text: &str) -> Result<Stored, ResetReason> {
        let value: Value = serde_json::from_str(text).map_err(|_| ResetReason::Corrupt)?;
        let Value::Object(map) = &value else {
            return Err(ResetReason::Foreign);
        };
        match map.get("v").and_then(Value::as_u64) {
            None => return Err(ResetReason::Foreign),
            Some(v) if v != u64::from(STATE_VERSION) => return Err(ResetReason::Version),
            Some(_) => {}
        }
        let mut stored: Stored = serde_json::from_str(text).map_err(|_| ResetReason::Corrupt)?;
        let id_ok = stored.id.len() == 32 && stored.id.bytes().all(|b| b.is_ascii_hexdigit());
        let events_ok = stored
            .events
            .iter()
            .chain(stored.outbox.iter())
            .all(Value::is_object);
        if !id_ok || !events_ok {
            return Err(ResetReason::Corrupt);
        }
        // A token that could not be a header value is forgotten on its own:
        // the edge will hand out a new one, the events stay.
        if stored.token.as_deref().is_some_and(|t| !valid_token(t)) {
            stored.token = None;
        }
        Ok(stored)
    }

    /// Appends an event, keeping the newest [`MAX_EVENTS`]. Returns how
    /// many unsent events were dropped to keep the outbox within
    /// [`delivery::MAX_OUTBOX`].
    pub fn push_event(&mut self, event: Value, send: bool) -> usize {
        let mut dropped = 0;
        if send {
            dropped = delivery::enqueue(&mut self.outbox, event.clone());
        }
        self.events.push(event);
        trim_front(&mut self.events, MAX_EVENTS);
        dropped
    }

    /// The stored text, within [`MAX_BYTES`]: the oldest scored events go
    /// first, then the oldest unsent ones.
    pub fn to_text(&mut self) -> String {
        loop {
            let text = serde_json::to_string(self).unwrap_or_default();
            if text.len() <= MAX_BYTES {
                return text;
            }
            if self.events.len() > 1 {
                let keep = self.events.len() / 2;
                trim_front(&mut self.events, keep);
            } else if !self.outbox.is_empty() {
                let keep = self.outbox.len() / 2;
                trim_front(&mut self.outbox, keep);
            } else {
                // Only the profile is left and it is still too big: keep
                // the id and nothing else rather than store nothing at all.
                self.profile.clear();
                self.events.clear();
                return serde_json::to_string(self).unwrap_or_default();
            }
        }
    }
}
