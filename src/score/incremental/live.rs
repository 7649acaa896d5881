//! A visitor's state held in memory between events (the package's
//! `LiveVisitor`): each event arrives as its fields, is checked as the batch
//! path checks it, and is taken into the state on its own. Settling (folding
//! final decisions into the sums, see the module docs) walks every open
//! event, so it waits until the open events have grown fourfold since the
//! last settle: an event then costs O(1) amortized however many are open, and
//! the state equals [`Model::ingest`] of the same events in the batches
//! between settles.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{StateError, VisitorState};
use crate::score::engagement;
use crate::score::event::{
    lower, Event, EventSource, MAX_NAME_LEN, MAX_TAGS, MAX_TAG_LEN, MAX_URL_LEN, MIN_TIMESTAMP_MS,
};
use crate::score::urlpattern::NormalizedUrl;
use crate::score::{Model, ScoreOptions, ScoreResult};
use crate::time::{self, Millis};

/// Distinct URLs whose touchpoint is remembered; past it, a URL is matched
/// against the touchpoints again on every event.
const URL_CACHE: usize = 256;
/// Distinct texts (names, URLs, tags) shared between open events; past
/// it, each event keeps its own copies.
const INTERNED: usize = 1024;
/// Open events taken without a settle before one is due, at the least.
const SETTLE_AFTER: usize = 32;
/// A settle is due once the open events are this many times as many as
/// the last settle left: each event is then walked about
/// `SETTLE_GROWTH / (SETTLE_GROWTH - 1)` times by settles, and the open
/// list stays within this factor of what a settle after every event keeps.
const SETTLE_GROWTH: usize = 4;

/// An event as its fields, as `Visitor.track` takes them.
#[derive(Debug, Clone, Copy)]
pub struct EventFields<'a> {
    /// The event name (`page` for a page view).
    pub action: &'a str,
    pub url: Option<&'a str>,
    pub tags: &'a [String],
    pub dwell_seconds: Option<f64>,
    /// Milliseconds since the epoch.
    pub timestamp: f64,
}

/// Why an event's field was refused: the field's name and the reason, in
/// the batch path's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: String) -> FieldError {
    FieldError { field, message }
}

/// A visitor's state with what makes the next event cheap: the touchpoint
/// of each URL seen, and when a settle is due.
#[derive(Debug, Clone)]
pub struct LiveVisitor {
    state: VisitorState,
    source: EventSource,
    touchpoints: HashMap<String, Option<usize>, BuildHasherDefault<Fx>>,
    texts: HashSet<Arc<str>, BuildHasherDefault<Fx>>,
    /// Open events after the last settle.
    settled: usize,
    /// The newest `now` an event was taken at.
    now: Option<Millis>,
}

impl LiveVisitor {
    /// The state as it stands (not settled: see [`Model::settle_visitor`]).
    pub fn state(&self) -> &VisitorState {
        &self.state
    }

    /// Events taken so far, the stored state's included.
    pub fn events(&self) -> u64 {
        self.state.n
    }

    /// Who reports its events.
    pub fn source(&self) -> EventSource {
        self.source
    }
}

impl Model {
    /// A visitor held in memory from `state` (checked against this model).
    /// With `source` `Browser` no event counts as a server's.
    pub fn live_visitor(
        &self,
        state: VisitorState,
        source: EventSource,
    ) -> Result<LiveVisitor, StateError> {
        self.check_state(&state)?;
        Ok(LiveVisitor {
            settled: state.o.len(),
            state,
            source,
            touchpoints: HashMap::default(),
            texts: HashSet::default(),
            now: None,
        })
    }

    /// How far ahead of `now` an event's time may be (the model's clock
    /// skew), in milliseconds.
    pub fn max_skew_ms(&self) -> i64 {
        self.skew_ms
    }

    /// Checks an event given as its fields at `now`, as
    /// [`crate::score::event::parse_events`] checks an event object.
    pub fn event_from_fields<'a>(
        &self,
        fields: &EventFields<'a>,
        now: Millis,
        source: EventSource,
    ) -> Result<Event<'a>, FieldError> {
        let action = fields.action.trim();
        if action.is_empty() {
            return Err(refuse("action", "expected an event name".into()));
        }
        if fields.action.len() > MAX_NAME_LEN {
            return Err(refuse(
                "action",
                format!("longer than {MAX_NAME_LEN} characters"),
            ));
        }
        let url = match fields.url {
            Some(url) if url.len() > MAX_URL_LEN => {
                return Err(refuse(
                    "url",
                    format!("longer than {MAX_URL_LEN} characters"),
                ))
            }
            Some(url) if !url.trim().is_empty() => Some(Cow::Borrowed(url.trim())),
            _ => None,
        };
        if fields.tags.len() > MAX_TAGS {
            return Err(refuse("tags", format!("more than {MAX_TAGS} tags")));
        }
        let mut tags: Vec<Cow<'a, str>> = Vec::with_capacity(fields.tags.len());
        for tag in fields.tags {
            if tag.len() > MAX_TAG_LEN {
                return Err(refuse(
                    "tags",
                    format!("a tag longer than {MAX_TAG_LEN} characters"),
                ));
            }
            let tag = lower(tag.trim());
            if !tag.is_empty() && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let dwell_seconds = match fields.dwell_seconds {
            Some(d) if !(d.is_finite() && d >= 0.0) => {
                return Err(refuse("dwellSeconds", "expected a number ≥ 0".into()))
            }
            d => d,
        };
        let ms = fields.timestamp;
        if ms < MIN_TIMESTAMP_MS {
            return Err(refuse(
                "timestamp",
                format!(
                    "{ms} looks like seconds since 1970; nurture expects milliseconds \
                     (Date.now()) or a Date"
                ),
            ));
        }
        let timestamp = time::from_f64(ms).map_err(|e| refuse("timestamp", e.message().into()))?;
        if timestamp > now.saturating_add(self.skew_ms) {
            let ahead = timestamp.saturating_sub(now) / 1_000;
            return Err(refuse(
                "timestamp",
                format!("{ahead} seconds in the future"),
            ));
        }
        // No position in a batch, and no id: a visitor held in memory
        // drops no duplicates (the caller sends each event once).
        let from_server = source == EventSource::Server;
        Ok(Event {
            timestamp,
            dwell_seconds,
            tags,
            url,
            action_key: lower(action),
            action: Cow::Borrowed(action),
            from_server,
            index: 0,
            id: None,
        })
    }

    /// Takes one checked event into the visitor's state at `now`, settling
    /// it when the open events have grown fourfold since the last settle.
    pub fn track(&self, visitor: &mut LiveVisitor, event: &Event<'_>, now: Millis) {
        let cached = event
            .url
            .as_deref()
            .and_then(|raw| visitor.touchpoints.get(raw).copied());
        // Normalized only for what reads it: a URL not seen yet, or a rule
        // with a URL pattern.
        let url = match cached {
            Some(_) if !self.rules.iter().any(|r| r.reads_url()) => None,
            _ => event.url.as_deref().map(NormalizedUrl::new),
        };
        let touchpoint = match (cached, event.url.as_deref(), &url) {
            (Some(at), _, _) => at,
            (None, Some(raw), Some(normalized)) => {
                let at = engagement::touchpoint_at(&self.touchpoints, normalized);
                if visitor.touchpoints.len() < URL_CACHE {
                    visitor.touchpoints.insert(raw.to_string(), at);
                }
                at
            }
            _ => None,
        };
        let texts = &mut visitor.texts;
        let mut text = |t: &str| match texts.get(t) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared: Arc<str> = Arc::from(t);
                if texts.len() < INTERNED {
                    texts.insert(Arc::clone(&shared));
                }
                shared
            }
        };
        let state = &mut visitor.state;
        let place = (url.as_ref(), touchpoint);
        self.take(state, event, place, visitor.source, None, &mut text);
        visitor.now = Some(visitor.now.map_or(now, |n| n.max(now)));
        if state.o.len() >= (SETTLE_GROWTH * visitor.settled).max(SETTLE_AFTER) {
            self.settle_visitor(visitor, Some(now));
        }
    }

    /// Folds every final decision into the sums at `now` (the newest `now`
    /// an event was taken at when `None`), as [`Model::ingest`] does at the
    /// end of a batch.
    pub fn settle_visitor(&self, visitor: &mut LiveVisitor, now: Option<Millis>) {
        let Some(now) = now.or(visitor.now) else {
            return;
        };
        self.settle(&mut visitor.state, now);
        visitor.settled = visitor.state.o.len();
    }

    /// The visitor's score at `now`, settled first (the same result as
    /// [`Model::score_state`]).
    pub fn score_visitor(
        &self,
        visitor: &mut LiveVisitor,
        profile: Option<&Map<String, Value>>,
        now: Millis,
        options: &ScoreOptions,
    ) -> Result<ScoreResult, StateError> {
        self.settle_visitor(visitor, Some(now));
        self.score_state(&visitor.state, profile, now, options)
    }
}

/// A multiply-rotate hash eight bytes at a time (rustc's FxHash): the
/// texts are the visitor's own and the maps are bounded, so a hash that
/// resists chosen collisions (SipHash) buys nothing and costs a good part
/// of an event.
#[derive(Default)]
struct Fx(u64);

const SEED: u64 = 0x517c_c1b7_2722_0a95;

impl Fx {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut le = [0u8; 8];
            le.copy_from_slice(word);
            self.add(u64::from_le_bytes(le));
        }
        for byte in words.remainder() {
            self.add(u64::from(*byte));
        }
    }
}
