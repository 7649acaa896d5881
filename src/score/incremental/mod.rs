//! A visitor's engagement kept as running sums, so a new batch of events
//! costs O(new events) however long the history, with the same answer as a
//! full re-score of every event the visitor ever sent.
//!
//! # Why the sums are exact
//!
//! With exponential decay a rule's points at time `now` are
//! `Σ pᵢ · 0.5^((now − tᵢ)/h) = 0.5^((now − r)/h) · Σ pᵢ · 2^((tᵢ − r)/h)`
//! for any reference time `r`. The state keeps the second sum per rule (and
//! per stage, and per interest tag with the interests' own half-life),
//! expressed at `r` = the newest event folded in, so every term is at most
//! its points and nothing overflows however long the history. Without
//! decay the sum is plain.
//!
//! What a frequency cap decides for a match depends on the matches of the
//! same rule before it, so a match is only folded into the sums once no
//! event the state still expects can change that decision:
//!
//! - matches of uncapped rules, and browser reports of server-only rules
//!   (which never count), are final at once;
//! - a match of a capped rule stays **open** (the whole event is kept) until
//!   it is older than [`SETTLE_WINDOWS`] cap windows before the newest match
//!   of its rule; its decision is then final, and the counted times still
//!   inside one window of it are kept to decide the matches after it.
//!
//! An event also stays open while its time is after the `now` it arrived
//! at (clock skew): until then a full re-score counts it without decay.
//!
//! # Late events
//!
//! An event that arrives late (an offline event imported weeks after) gets
//! exactly what a full re-score would give as long as, for each capped rule
//! it matches, it is no older than [`SETTLE_WINDOWS`] windows before that
//! rule's newest match: every decision it can change is still open. An
//! event older than that is decided against the counted times the state
//! still holds for its window (it may count where a full re-score would
//! have capped it, or the reverse), and decisions already final are not
//! revisited. A rule with a lifetime cap (no window) settles after
//! [`LIFETIME_SETTLE_DAYS`] days in the same way. Duplicates are the
//! caller's to drop (by `messageId`), as for a full re-score.
//!
//! # The explanation
//!
//! Per-rule totals (events, capped, untrusted, points, decay lost), stage
//! evidence, interests and the inactivity penalty cover the whole history.
//! The per-event breakdown lists the open events only: the newest ones,
//! and any whose cap decision can still change; each names its index in
//! the visitor's history (not its `messageId`, which is not kept).

use std::cmp::Ordering;
use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::engagement;
use super::event::{lower, Event, EventSource};
use super::result::UnscoredEvent;
use super::urlpattern::NormalizedUrl;
use super::{Model, Stage};
use crate::time::{Millis, MS_PER_DAY};

/// The version of the stored format; a state of another version is refused.
pub const STATE_VERSION: u32 = 1;
/// Windows of its rule a capped match stays open after the rule's newest
/// match: two, so that a late event up to a window late is still exact
/// and a match's window is always in the state.
pub const SETTLE_WINDOWS: f64 = 2.0;
/// How long a match of a rule capped for a lifetime stays open.
pub const LIFETIME_SETTLE_DAYS: f64 = 90.0;

mod live;
mod score;
mod settle;
mod store;

pub use live::{
    EventFields, FieldError, InternedEvent, LiveVisitor, NO_TEXT, SCRATCH_TEXT, TAG_SEPARATOR,
};

#[cfg(not(feature = "page-only"))]
use store::fingerprint;
pub use store::StateError;

/// A visitor's engagement history as running sums plus its open events.
/// Serializes to a compact JSON document (short keys) for storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitorState {
    v: u32,
    /// Fingerprint of the model the sums were built with.
    m: String,
    /// Reference time of every decayed sum.
    r: Option<Millis>,
    /// Events taken so far; the next event's index.
    n: u64,
    /// The newest interaction, for the inactivity penalty.
    l: Option<Millis>,
    /// Sums per rule, in the model's rule order.
    s: Vec<RuleSums>,
    /// Decayed interest weight per tag.
    i: Vec<(String, f64)>,
    /// Open events, in canonical order.
    o: Vec<OpenEvent>,
    /// Per aggregate rule, the time and dwell of the events it takes that
    /// its window can still reach, oldest first. Left out for a model
    /// without aggregate rules, so its states are stored as before.
    #[serde(default, skip_serializing_if = "AggregateTimes::is_empty")]
    a: AggregateTimes,
}

/// The aggregate rules' times. Last in the state, written only when the
/// model has aggregate rules, and read leniently: a state without them
/// (stored before they existed, or under a model without any) ends where
/// this field would start, and postcard (no field names) then finds no
/// bytes, which reads as none; a model with aggregate rules refuses such a
/// state by its length. Lenient here rather than a
/// second copy of the state's types for the old layout, or a detour
/// through `serde_json::Value`: both cost the edge's wasm kilobytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
struct AggregateTimes(Vec<VecDeque<(Millis, Option<f64>)>>);

impl AggregateTimes {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for AggregateTimes {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        Ok(Self(Vec::deserialize(de).unwrap_or_default()))
    }
}

/// Times an aggregate rule without a window keeps (the newest).
pub const MAX_AGGREGATE_TIMES: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct RuleSums {
    /// Matches folded: all, capped, untrusted.
    n: u64,
    c: u64,
    u: u64,
    /// Σ points · 2^((t − r)/h) of the counted matches.
    p: f64,
    /// Σ points of the counted matches, undecayed (for decay lost).
    b: f64,
    /// The same decayed sum per stage (awareness, consideration, decision).
    g: [f64; 3],
    /// Counted times still inside a window of the open matches.
    w: VecDeque<Millis>,
    /// Counted matches ever (lifetime caps).
    k: u64,
    /// The newest match of the rule.
    t: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OpenEvent {
    /// Index in the visitor's history.
    i: u64,
    t: Millis,
    a: Text,
    u: Option<Text>,
    /// Shared with every event of the same tag list.
    g: Arc<[Text]>,
    d: Option<f64>,
    s: bool,
    /// The touchpoint its URL matched, by position in the model.
    p: Option<usize>,
    m: Matches,
}

/// An open event's matches: inline up to two, as most events match.
type Matches = smallvec::SmallVec<[Match; 2]>;

/// Text an open event keeps: shared, so that a visitor held in memory
/// keeps each distinct name, URL and tag once ([`live`]'s interner); stored
/// as a plain string.
type Text = Arc<str>;

/// One rule an open event matched and what became of it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Match {
    r: usize,
    /// 0 open (a capped rule, undecided), 1 counted, 2 capped, 3 untrusted.
    l: u8,
    /// Already in the rule's sums.
    f: bool,
}

/// Decides the open matches of capped rules as the callers walk them: in
/// the order of the open events and their matches, each against the
/// counted times of its rule before it.
struct Decider {
    /// Per rule, the counted times a window still reaches and the count
    /// of all counted matches (lifetime caps).
    windows: Vec<(VecDeque<Millis>, u64)>,
}

impl Decider {
    fn new(state: &VisitorState) -> Self {
        Decider {
            windows: state.s.iter().map(|s| (s.w.clone(), s.k)).collect(),
        }
    }

    /// The decision for match `m` of an event at `t`: its own label when
    /// final, else whether its rule's cap is full.
    fn decide(&mut self, model: &Model, t: Millis, m: &Match) -> u8 {
        if m.l != OPEN {
            return m.l;
        }
        let (Some(rule), Some((window, total))) = (model.rules.get(m.r), self.windows.get_mut(m.r))
        else {
            return CAPPED;
        };
        let Some(cap) = &rule.cap else {
            return COUNTED;
        };
        if cap.is_full(window, *total, t) {
            CAPPED
        } else {
            window.push_back(t);
            *total += 1;
            COUNTED
        }
    }
}

/// Distinct texts (and tag lists) a batch shares among its open events,
/// looked up by a scan: past this many, a text is kept on its own.
const BATCH_TEXTS: usize = 16;

/// The texts of the open events a batch adds, each kept once.
#[derive(Default)]
struct BatchTexts {
    texts: Vec<Text>,
    tag_lists: Vec<Arc<[Text]>>,
}

impl BatchTexts {
    fn text(&mut self, text: &str) -> Text {
        if let Some(kept) = self.texts.iter().find(|t| ***t == *text) {
            return Arc::clone(kept);
        }
        let kept: Text = Arc::from(text);
        if self.texts.len() < BATCH_TEXTS {
            self.texts.push(Arc::clone(&kept));
        }
        kept
    }

    fn tags(&mut self, tags: &[std::borrow::Cow<'_, str>]) -> Arc<[Text]> {
        let same = |list: &&Arc<[Text]>| {
            list.len() == tags.len() && list.iter().zip(tags).all(|(a, b)| **a == **b)
        };
        if let Some(kept) = self.tag_lists.iter().find(same) {
            return Arc::clone(kept);
        }
        let list: Arc<[Text]> = tags.iter().map(|t| self.text(t)).collect();
        if self.tag_lists.len() < BATCH_TEXTS {
            self.tag_lists.push(Arc::clone(&list));
        }
        list
    }
}

/// Adds an open event in canonical order.
fn insert_open(state: &mut VisitorState, open: OpenEvent) {
    // Events mostly come in time order: after the newest, no search.
    if state.o.last().is_none_or(|e| e.t < open.t) {
        state.o.push(open);
        return;
    }
    // Time first: the full comparison (which builds both events)
    // only between events of the same millisecond.
    let at = state
        .o
        .partition_point(|e| e.canonical_cmp(&open) == Ordering::Less);
    state.o.insert(at, open);
}

const OPEN: u8 = 0;
const COUNTED: u8 = 1;
const CAPPED: u8 = 2;
const UNTRUSTED: u8 = 3;

impl OpenEvent {
    /// `engagement::canonical_order` of the two events as [`Self::as_event`] gives
    /// them, compared field by field without building them: a batch's
    /// events often share their millisecond, and each insertion then
    /// compares with several.
    fn canonical_cmp(&self, other: &OpenEvent) -> Ordering {
        let index = |e: &OpenEvent| usize::try_from(e.i).unwrap_or(usize::MAX);
        self.t
            .cmp(&other.t)
            .then_with(|| lower(&self.a).cmp(&lower(&other.a)))
            .then_with(|| self.u.as_deref().cmp(&other.u.as_deref()))
            .then_with(|| {
                self.g
                    .iter()
                    .map(|t| &**t)
                    .cmp(other.g.iter().map(|t| &**t))
            })
            .then_with(|| match (self.d, other.d) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            })
            .then_with(|| self.a.cmp(&other.a))
            .then_with(|| self.s.cmp(&other.s))
            .then_with(|| index(self).cmp(&index(other)))
    }

    /// The event as scoring reads it (borrowed), at its history index.
    /// Its `messageId` is not kept: the canonical order only falls back to
    /// it between events alike in everything scoring reads, which score
    /// the same whichever goes first, and it would be most of the state.
    fn as_event(&self) -> Event<'_> {
        use std::borrow::Cow::Borrowed;
        Event {
            index: usize::try_from(self.i).unwrap_or(usize::MAX),
            id: None,
            action: Borrowed(&self.a),
            action_key: lower(&self.a),
            timestamp: self.t,
            url: self.u.as_deref().map(Borrowed),
            tags: self.g.iter().map(|t| Borrowed(&**t)).collect(),
            dwell_seconds: self.d,
            from_server: self.s,
        }
    }
}

/// An event's own tags followed by its touchpoint's that it lacks.
fn context_tags<'a>(
    model: &'a Model,
    touchpoint: Option<usize>,
    mut tags: Vec<&'a str>,
) -> Vec<&'a str> {
    if let Some(tp) = touchpoint.and_then(|at| model.touchpoints.get(at)) {
        for tag in &tp.tags {
            if !tags.contains(&tag.as_str()) {
                tags.push(tag);
            }
        }
    }
    tags
}

impl OpenEvent {
    /// Its own tags followed by its touchpoint's (what its interest goes to).
    fn tags<'a>(&'a self, model: &'a Model) -> Vec<&'a str> {
        context_tags(model, self.p, self.g.iter().map(|t| &**t).collect())
    }
}

/// `2^(Δ/h)` for a time difference in ms and a half-life in days; 1
/// without decay.
fn growth(delta_ms: f64, half_life_days: Option<f64>) -> f64 {
    match half_life_days {
        // 2^0 is 1 exactly: no call for a term at the reference time.
        Some(h) if h > 0.0 && delta_ms != 0.0 => 2f64.powf(delta_ms / MS_PER_DAY / h),
        _ => 1.0,
    }
}

/// A power of a number and a half-life ([`growth`], or the decay of an
/// age) with its last answer kept: the terms of a fold or a score mostly
/// share their time and their rules' half-life (a batch's events are
/// stamped alike), and a power costs more than the rest of a term.
#[derive(Default)]
struct Memo {
    last: Option<(f64, Option<f64>, f64)>,
}

impl Memo {
    fn get(&mut self, x: f64, half_life: Option<f64>, f: fn(f64, Option<f64>) -> f64) -> f64 {
        match self.last {
            Some((y, h, value)) if y == x && h == half_life => value,
            _ => {
                let value = f(x, half_life);
                self.last = Some((x, half_life, value));
                value
            }
        }
    }
}

fn stage_slot(stage: Stage) -> usize {
    match stage {
        Stage::Awareness => 0,
        Stage::Consideration => 1,
        Stage::Decision => 2,
    }
}

const STAGES: [Stage; 3] = [Stage::Awareness, Stage::Consideration, Stage::Decision];
impl Model {
    /// A fingerprint of the model: a state built with one model is refused
    /// by another.
    #[cfg(not(feature = "page-only"))]
    pub fn fingerprint(&self) -> &str {
        self.fingerprint.get_or_init(|| fingerprint(&self.config))
    }

    /// The fingerprint a compiled config carried: the page build only
    /// loads compiled models (src/score/wire.rs), and so ships neither the
    /// document's serializer nor JSON's number formatting to work it out.
    #[cfg(feature = "page-only")]
    pub fn fingerprint(&self) -> &str {
        self.fingerprint.get().map_or("", String::as_str)
    }

    /// An empty visitor state for this model.
    pub fn new_state(&self) -> VisitorState {
        VisitorState {
            v: STATE_VERSION,
            m: self.fingerprint().to_string(),
            r: None,
            n: 0,
            l: None,
            s: vec![RuleSums::default(); self.rules.len()],
            i: Vec::new(),
            o: Vec::new(),
            a: AggregateTimes(vec![VecDeque::new(); self.aggregates.len()]),
        }
    }
    /// Whether `state` was built with this model: its fingerprint and the
    /// shape of its sums. What every call that reads or changes a state
    /// checks, in O(1).
    fn check_model(&self, state: &VisitorState) -> Result<(), StateError> {
        if state.m != self.fingerprint()
            || state.s.len() != self.rules.len()
            || state.a.0.len() != self.aggregates.len()
        {
            return Err(StateError::ModelChanged);
        }
        Ok(())
    }

    /// [`Self::check_model`], and that every match of its open events names
    /// a rule: for a state read from storage, which is checked once there
    /// rather than on every batch (a match that named no rule would only
    /// be skipped: the rules are looked up, never indexed).
    fn check_state(&self, state: &VisitorState) -> Result<(), StateError> {
        self.check_model(state)?;
        if state
            .o
            .iter()
            .flat_map(|e| &e.m)
            .any(|m| m.r >= self.rules.len())
        {
            return Err(StateError::Malformed("a match names no rule".into()));
        }
        Ok(())
    }

    /// Adds checked events (see [`super::event::parse_events`]) to a
    /// visitor's state at `now`, in O(events) plus the open events. Returns
    /// the browser reports of server-only rules, which score 0, indexed like
    /// `events`. With `source` `Browser` no event counts as a server's.
    pub fn ingest(
        &self,
        state: &mut VisitorState,
        events: &[Event<'_>],
        now: Millis,
        source: EventSource,
    ) -> Result<Vec<UnscoredEvent>, StateError> {
        self.check_model(state)?;
        let mut unscored = Vec::new();
        // A batch's events mostly share a few URLs and names: each URL is
        // normalized and matched to a touchpoint once, and each text kept
        // once (shared by the open events that hold it).
        let mut places: Vec<(&str, NormalizedUrl<'_>, Option<usize>)> = Vec::new();
        let mut scratch: Option<(NormalizedUrl<'_>, Option<usize>)> = None;
        let mut texts = BatchTexts::default();
        for event in events {
            let place = match event.url.as_deref() {
                None => (None, None),
                Some(url) => match places.iter().position(|(u, _, _)| *u == url) {
                    Some(at) => places
                        .get(at)
                        .map_or((None, None), |(_, n, t)| (Some(n), *t)),
                    None => {
                        let normalized = NormalizedUrl::new(url);
                        let touchpoint = engagement::touchpoint_at(&self.touchpoints, &normalized);
                        if places.len() < BATCH_TEXTS {
                            places.push((url, normalized, touchpoint));
                            places
                                .last()
                                .map_or((None, None), |(_, n, t)| (Some(n), *t))
                        } else {
                            let kept = scratch.insert((normalized, touchpoint));
                            (Some(&kept.0), kept.1)
                        }
                    }
                },
            };
            self.take(state, event, place, source, Some(&mut unscored), &mut texts);
        }
        self.settle(state, now);
        Ok(unscored)
    }

    /// Adds one checked event to the state without settling it: its
    /// matches, the rules' newest match and the newest interaction.
    /// `url` is its URL normalized and `touchpoint` the touchpoint that URL
    /// matched, both found by the caller (which may cache them per URL).
    /// Browser reports of server-only rules go to `unscored` when given.
    fn take(
        &self,
        state: &mut VisitorState,
        event: &Event<'_>,
        (url, touchpoint): (Option<&NormalizedUrl<'_>>, Option<usize>),
        source: EventSource,
        mut unscored: Option<&mut Vec<UnscoredEvent>>,
        texts: &mut BatchTexts,
    ) {
        let index = state.n;
        state.n += 1;
        self.take_aggregates(state, event);
        let (candidates, ignored) = self.actions.lookup(&event.action_key);
        self.note_interaction(state, event.timestamp, ignored);
        // The tags a rule reads (the event's and its touchpoint's), built
        // only when one of its rules reads them.
        let reads_tags = candidates
            .iter()
            .any(|&r| self.rules.get(r).is_some_and(|rule| rule.reads_tags()));
        let tags = if reads_tags {
            let own: Vec<&str> = event.tags.iter().map(|t| t.as_ref()).collect();
            context_tags(self, touchpoint, own)
        } else {
            Vec::new()
        };
        let from_server = event.from_server && source == EventSource::Server;
        let mut matches = Matches::new();
        for &r in candidates {
            let Some(rule) = self.rules.get(r) else {
                continue;
            };
            if !rule.matches(event, url, &tags) {
                continue;
            }
            if rule.server_only && !from_server {
                if let Some(unscored) = unscored.as_deref_mut() {
                    unscored.push(UnscoredEvent::browser_report(event, &rule.id));
                }
            }
            self.add_match(state, &mut matches, r, event.timestamp, from_server);
        }
        if matches.is_empty() {
            return;
        }
        let open = OpenEvent {
            i: index,
            t: event.timestamp,
            a: texts.text(&event.action),
            u: event.url.as_deref().map(|u| texts.text(u)),
            g: texts.tags(&event.tags),
            d: event.dwell_seconds,
            s: from_server,
            p: touchpoint,
            m: matches,
        };
        insert_open(state, open);
    }

    /// Adds the event to the aggregate rules that take it.
    fn take_aggregates(&self, state: &mut VisitorState, event: &Event<'_>) {
        for (rule, times) in self.aggregates.iter().zip(state.a.0.iter_mut()) {
            if rule.takes(event) {
                let item = (event.timestamp, event.dwell_seconds);
                let at = times.partition_point(|&(t, _)| t <= event.timestamp);
                times.insert(at, item);
            }
        }
    }

    /// Moves the newest interaction to `t`, unless inactivity ignores the
    /// event's action.
    fn note_interaction(&self, state: &mut VisitorState, t: Millis, ignored: bool) {
        if self.inactivity.is_none() || !ignored {
            state.l = Some(state.l.map_or(t, |l| l.max(t)));
        }
    }

    /// Records that rule `r` matched an event at `t`: its label (open for
    /// a capped rule, untrusted for a browser report of a server-only
    /// rule) and the rule's newest match.
    fn add_match(
        &self,
        state: &mut VisitorState,
        matches: &mut Matches,
        r: usize,
        t: Millis,
        from_server: bool,
    ) {
        let Some(rule) = self.rules.get(r) else {
            return;
        };
        let label = if rule.server_only && !from_server {
            UNTRUSTED
        } else if rule.cap.is_some() {
            OPEN
        } else {
            COUNTED
        };
        if let Some(sums) = state.s.get_mut(r) {
            sums.t = Some(sums.t.map_or(t, |n| n.max(t)));
        }
        matches.push(Match {
            r,
            l: label,
            f: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{Matches, OpenEvent, Text};
    use crate::score::engagement::canonical_order;
    use std::sync::Arc;

    /// Events alike but for one field or two, most in one millisecond.
    fn events() -> Vec<OpenEvent> {
        let text = |t: &str| -> Text { Arc::from(t) };
        let mut out = Vec::new();
        let actions = ["page", "Page", "download", "Ünïcode"];
        let urls = [None, Some("/a"), Some("/b")];
        let tags: [&[&str]; 4] = [&[], &["x"], &["x", "y"], &["y"]];
        let dwells = [None, Some(1.0), Some(-0.0), Some(0.0)];
        let mut i = 0u64;
        for (k, action) in actions.iter().enumerate() {
            for url in urls {
                for (j, tag_list) in tags.iter().enumerate() {
                    let dwell = dwells[(k + j) % dwells.len()];
                    i += 1;
                    out.push(OpenEvent {
                        i: i % 5,
                        t: if i % 7 == 0 { 1_000 } else { 2_000 },
                        a: text(action),
                        u: url.map(text),
                        g: tag_list.iter().map(|t| text(t)).collect(),
                        d: dwell,
                        s: i % 3 == 0,
                        p: None,
                        m: Matches::new(),
                    });
                }
            }
        }
        out
    }

    #[test]
    fn canonical_cmp_orders_as_canonical_order() {
        let all = events();
        for a in &all {
            for b in &all {
                assert_eq!(
                    a.canonical_cmp(b),
                    canonical_order(&a.as_event(), &b.as_event()),
                    "{a:?} / {b:?}"
                );
            }
        }
    }
}
