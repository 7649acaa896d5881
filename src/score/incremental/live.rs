//! A visitor's state held in memory between events (the package's
//! `LiveVisitor`): each event arrives as its fields, is checked as the batch
//! path checks it, and is taken into the state on its own.
//!
//! What an event's action, URL and tag list read from the model (the
//! candidate rules, the touchpoint, which URL patterns match, the tags
//! lower-cased) is worked out once per distinct text and kept by number:
//! the package's JS hands each text over once and then only its number,
//! and an event whose action no rule names costs a count and a time.
//!
//! Settling (folding final decisions into the sums, see the module docs)
//! walks every open event, so it waits until the open events have grown
//! fourfold since the last settle: an event then costs O(1) amortized
//! however many are open, and the state equals [`Model::ingest`] of the
//! same events in the batches between settles.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::json::{Map, Value};

use super::{context_tags, insert_open, Matches, OpenEvent, StateError, Text, VisitorState};
use crate::score::engagement;
use crate::score::event::{
    lower, Event, EventSource, MAX_NAME_LEN, MAX_TAGS, MAX_TAG_LEN, MAX_URL_LEN, MIN_TIMESTAMP_MS,
};
use crate::score::urlpattern::NormalizedUrl;
use crate::score::{FitFrom, Model, ScoreOptions, ScoreResult};
use crate::text::int_text;
use crate::time::{self, Millis};

/// Distinct texts of each kind (actions, URLs, tag lists) a visitor keeps
/// by number; past it, a new text is worked out for its event only.
const INTERNED: usize = 1024;
/// Open events taken without a settle before one is due, at the least.
const SETTLE_AFTER: usize = 32;
/// A settle is due once the open events are this many times as many as
/// the last settle left: each event is then walked about
/// `SETTLE_GROWTH / (SETTLE_GROWTH - 1)` times by settles, and the open
/// list stays within this factor of what a settle after every event keeps.
const SETTLE_GROWTH: usize = 4;

/// The number of a text a visitor was given: of no URL, or no tags.
pub const NO_TEXT: u32 = 0;
/// The number of a text the visitor did not keep (it keeps [`INTERNED`]
/// of each kind): it stands for the newest such text of its kind, until
/// the next.
pub const SCRATCH_TEXT: u32 = u32::MAX;
/// What joins the tags of a list given as one text
/// ([`Model::intern_tag_text`]): the ASCII unit separator.
pub const TAG_SEPARATOR: char = '\u{1f}';

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

/// An event as the numbers of its texts ([`Model::intern_action`] and the
/// others) and its two numbers.
#[derive(Debug, Clone, Copy)]
pub struct InternedEvent {
    pub action: u32,
    /// [`NO_TEXT`] for none.
    pub url: u32,
    /// [`NO_TEXT`] for none.
    pub tags: u32,
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

/// What an action reads from the model.
#[derive(Debug, Clone)]
struct ActionText {
    /// As given, trimmed (what an open event keeps).
    text: Text,
    /// The rules that may match it, in rule order.
    rules: Box<[usize]>,
    /// Inactivity ignores it.
    ignored: bool,
    /// One of its rules reads tags.
    reads_tags: bool,
}

/// What a URL reads from the model.
#[derive(Debug, Clone, Default)]
struct UrlText {
    /// As given, trimmed; `None` for no URL.
    text: Option<Text>,
    touchpoint: Option<usize>,
    /// The rules with a URL pattern that takes it.
    rules: Box<[usize]>,
}

/// Texts of one kind by number: 1… for the kept ones (0 is [`NO_TEXT`]
/// for the kinds that may be absent), [`SCRATCH_TEXT`] for the last one
/// not kept. `by_text` finds the number of a text given natively (from
/// JS, the package keeps that map itself).
#[derive(Debug, Clone)]
struct Texts<T> {
    kept: Vec<T>,
    scratch: Option<T>,
    by_text: HashMap<Box<str>, u32, BuildHasherDefault<Fx>>,
}

impl<T> Texts<T> {
    fn new(none: Option<T>) -> Self {
        Texts {
            kept: none.into_iter().collect(),
            scratch: None,
            by_text: HashMap::default(),
        }
    }

    fn get(&self, id: u32) -> Option<&T> {
        match id {
            SCRATCH_TEXT => self.scratch.as_ref(),
            id => self.kept.get(id as usize),
        }
    }

    /// Keeps `item` (or holds it as the scratch text) and returns its number.
    fn add(&mut self, item: T) -> u32 {
        // The kept list holds the absent text at 0 where there is one.
        let full = self.kept.len() > INTERNED;
        match u32::try_from(self.kept.len()) {
            Ok(id) if !full && id != SCRATCH_TEXT => {
                self.kept.push(item);
                id
            }
            _ => {
                self.scratch = Some(item);
                SCRATCH_TEXT
            }
        }
    }
}

/// A visitor's state with what makes the next event cheap: what each
/// distinct text reads from the model, and when a settle is due.
#[derive(Debug, Clone)]
pub struct LiveVisitor {
    state: VisitorState,
    source: EventSource,
    actions: Texts<ActionText>,
    urls: Texts<UrlText>,
    tag_lists: Texts<Arc<[Text]>>,
    /// A tag list given natively, joined to be looked up.
    joined: String,
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

/// An action as the batch path takes it: trimmed, named, not too long.
fn check_action(action: &str) -> Result<&str, FieldError> {
    let trimmed = action.trim();
    if trimmed.is_empty() {
        return Err(refuse("action", "expected an event name".into()));
    }
    if action.len() > MAX_NAME_LEN {
        return Err(refuse(
            "action",
            [
                "longer than ",
                &int_text(MAX_NAME_LEN as i64),
                " characters",
            ]
            .concat(),
        ));
    }
    Ok(trimmed)
}

/// A URL, trimmed; `None` when blank.
fn check_url(url: &str) -> Result<Option<&str>, FieldError> {
    if url.len() > MAX_URL_LEN {
        return Err(refuse(
            "url",
            ["longer than ", &int_text(MAX_URL_LEN as i64), " characters"].concat(),
        ));
    }
    Ok(Some(url.trim()).filter(|u| !u.is_empty()))
}

/// Tags lower-cased and trimmed, blanks and repeats left out.
fn check_tags<'a>(
    tags: impl ExactSizeIterator<Item = &'a str>,
) -> Result<Vec<Cow<'a, str>>, FieldError> {
    if tags.len() > MAX_TAGS {
        return Err(refuse(
            "tags",
            ["more than ", &int_text(MAX_TAGS as i64), " tags"].concat(),
        ));
    }
    let mut kept: Vec<Cow<'a, str>> = Vec::with_capacity(tags.len());
    for tag in tags {
        if tag.len() > MAX_TAG_LEN {
            return Err(refuse(
                "tags",
                [
                    "a tag longer than ",
                    &int_text(MAX_TAG_LEN as i64),
                    " characters",
                ]
                .concat(),
            ));
        }
        let tag = lower(tag.trim());
        if !tag.is_empty() && !kept.contains(&tag) {
            kept.push(tag);
        }
    }
    Ok(kept)
}

fn check_dwell(dwell_seconds: Option<f64>) -> Result<Option<f64>, FieldError> {
    match dwell_seconds {
        Some(d) if !(d.is_finite() && d >= 0.0) => {
            Err(refuse("dwellSeconds", "expected a number ≥ 0".into()))
        }
        d => Ok(d),
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
            actions: Texts::new(None),
            urls: Texts::new(Some(UrlText::default())),
            tag_lists: Texts::new(Some(Arc::from(Vec::new()))),
            joined: String::new(),
            now: None,
        })
    }

    /// How far ahead of `now` an event's time may be (the model's clock
    /// skew), in milliseconds.
    pub fn max_skew_ms(&self) -> i64 {
        self.skew_ms
    }

    fn check_timestamp(&self, ms: f64, now: Millis) -> Result<Millis, FieldError> {
        if ms < MIN_TIMESTAMP_MS {
            return Err(refuse(
                "timestamp",
                [
                    &crate::diagnostics::number_text(ms),
                    " looks like seconds since 1970; nurture expects milliseconds \
                     (Date.now()) or a Date",
                ]
                .concat(),
            ));
        }
        let timestamp = time::from_f64(ms).map_err(|e| refuse("timestamp", e.message().into()))?;
        if timestamp > now.saturating_add(self.skew_ms) {
            let ahead = timestamp.saturating_sub(now) / 1_000;
            return Err(refuse(
                "timestamp",
                [int_text(ahead).as_str(), " seconds in the future"].concat(),
            ));
        }
        Ok(timestamp)
    }

    /// Checks an event given as its fields at `now`, as
    /// [`crate::score::event::parse_events`] checks an event object.
    pub fn event_from_fields<'a>(
        &self,
        fields: &EventFields<'a>,
        now: Millis,
        source: EventSource,
    ) -> Result<Event<'a>, FieldError> {
        let action = check_action(fields.action)?;
        let url = fields.url.map(check_url).transpose()?.flatten();
        let tags = check_tags(fields.tags.iter().map(String::as_str))?;
        let dwell_seconds = check_dwell(fields.dwell_seconds)?;
        let timestamp = self.check_timestamp(fields.timestamp, now)?;
        // No position in a batch, and no id: a visitor held in memory
        // drops no duplicates (the caller sends each event once).
        Ok(Event {
            timestamp,
            dwell_seconds,
            tags,
            url: url.map(Cow::Borrowed),
            action_key: lower(action),
            action: Cow::Borrowed(action),
            from_server: source == EventSource::Server,
            index: 0,
            id: None,
        })
    }

    /// The number of an action for [`Model::track_interned`]: what it reads
    /// from the model is worked out here, once. Refused as
    /// [`Model::event_from_fields`] refuses it.
    pub fn intern_action(
        &self,
        visitor: &mut LiveVisitor,
        action: &str,
    ) -> Result<u32, FieldError> {
        let action = check_action(action)?;
        let (rules, ignored) = self.actions.lookup(&lower(action));
        let reads_tags = rules
            .iter()
            .any(|&r| self.rules.get(r).is_some_and(|rule| rule.reads_tags()));
        Ok(visitor.actions.add(ActionText {
            text: Arc::from(action),
            rules: rules.into(),
            ignored,
            reads_tags,
        }))
    }

    /// The number of a URL ([`NO_TEXT`] for a blank one): its touchpoint
    /// and the URL patterns that take it are found here, once.
    pub fn intern_url(&self, visitor: &mut LiveVisitor, url: &str) -> Result<u32, FieldError> {
        let Some(url) = check_url(url)? else {
            return Ok(NO_TEXT);
        };
        let normalized = NormalizedUrl::new(url);
        let rules = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| rule.url_matches(&normalized) == Some(true))
            .map(|(r, _)| r)
            .collect();
        Ok(visitor.urls.add(UrlText {
            text: Some(Arc::from(url)),
            touchpoint: engagement::touchpoint_at(&self.touchpoints, &normalized),
            rules,
        }))
    }

    /// The number of a tag list given as its tags joined by
    /// [`TAG_SEPARATOR`] (`""` for none); the tags are checked, trimmed,
    /// lower-cased and deduplicated here, once.
    pub fn intern_tag_text(
        &self,
        visitor: &mut LiveVisitor,
        joined: &str,
    ) -> Result<u32, FieldError> {
        let tags = check_tags(joined.split(TAG_SEPARATOR).collect::<Vec<_>>().into_iter())?;
        if tags.is_empty() {
            return Ok(NO_TEXT);
        }
        let list: Arc<[Text]> = tags.iter().map(|t| Arc::from(&**t)).collect();
        Ok(visitor.tag_lists.add(list))
    }

    /// Checks an event given as its fields at `now` and takes it into the
    /// visitor's state (see [`Model::track_interned`]). Each distinct text
    /// is worked out once, and found again by a hash lookup.
    pub fn track(
        &self,
        visitor: &mut LiveVisitor,
        fields: &EventFields<'_>,
        now: Millis,
    ) -> Result<(), FieldError> {
        let action = match visitor.actions.by_text.get(fields.action) {
            Some(&id) => id,
            None => {
                let id = self.intern_action(visitor, fields.action)?;
                remember(&mut visitor.actions, fields.action, id);
                id
            }
        };
        let url = match fields.url {
            None => NO_TEXT,
            Some(url) => match visitor.urls.by_text.get(url) {
                Some(&id) => id,
                None => {
                    let id = self.intern_url(visitor, url)?;
                    remember(&mut visitor.urls, url, id);
                    id
                }
            },
        };
        let tags = match fields.tags {
            [] => NO_TEXT,
            tags if tags.iter().any(|t| t.contains(TAG_SEPARATOR)) => {
                // Not one text: checked and kept as given.
                let checked = check_tags(tags.iter().map(String::as_str))?;
                let list: Arc<[Text]> = checked.iter().map(|t| Arc::from(&**t)).collect();
                visitor.tag_lists.add(list)
            }
            tags => {
                // Joined in a buffer the visitor keeps: no allocation per event.
                let mut joined = std::mem::take(&mut visitor.joined);
                joined.clear();
                for (k, tag) in tags.iter().enumerate() {
                    if k > 0 {
                        joined.push(TAG_SEPARATOR);
                    }
                    joined.push_str(tag);
                }
                let id = match visitor.tag_lists.by_text.get(joined.as_str()) {
                    Some(&id) => Ok(id),
                    None => self.intern_tag_text(visitor, &joined).inspect(|&id| {
                        remember(&mut visitor.tag_lists, &joined, id);
                    }),
                };
                visitor.joined = joined;
                id?
            }
        };
        let event = InternedEvent {
            action,
            url,
            tags,
            dwell_seconds: fields.dwell_seconds,
            timestamp: fields.timestamp,
        };
        self.track_interned(visitor, &event, now)
    }

    /// Checks an event given by the numbers of its texts at `now` and takes
    /// it into the visitor's state, settling when the open events have
    /// grown fourfold since the last settle. Nothing is taken when a field
    /// is refused, or a number names no text the visitor was given.
    pub fn track_interned(
        &self,
        visitor: &mut LiveVisitor,
        event: &InternedEvent,
        now: Millis,
    ) -> Result<(), FieldError> {
        let dwell_seconds = check_dwell(event.dwell_seconds)?;
        let timestamp = self.check_timestamp(event.timestamp, now)?;
        let unknown = |field| move || refuse(field, "no text of that number".into());
        let LiveVisitor {
            state,
            source,
            actions,
            urls,
            tag_lists,
            ..
        } = visitor;
        let action = actions.get(event.action).ok_or_else(unknown("action"))?;
        let url = urls.get(event.url).ok_or_else(unknown("url"))?;
        let tags = tag_lists.get(event.tags).ok_or_else(unknown("tags"))?;
        let from_server = *source == EventSource::Server;
        let index = state.n;
        state.n += 1;
        if !self.aggregates.is_empty() {
            let whole = Event {
                index: 0,
                id: None,
                action_key: lower(&action.text),
                action: Cow::Borrowed(&action.text),
                timestamp,
                url: url.text.as_deref().map(Cow::Borrowed),
                tags: tags.iter().map(|t| Cow::Borrowed(&**t)).collect(),
                dwell_seconds,
                from_server,
            };
            self.take_aggregates(state, &whole);
        }
        self.note_interaction(state, timestamp, action.ignored);
        let mut matches = Matches::new();
        if !action.rules.is_empty() {
            let context = if action.reads_tags {
                let own = tags.iter().map(|t| &**t).collect();
                context_tags(self, url.touchpoint, own)
            } else {
                Vec::new()
            };
            for &r in action.rules.iter() {
                let Some(rule) = self.rules.get(r) else {
                    continue;
                };
                if rule.reads_url() && !url.rules.contains(&r) {
                    continue;
                }
                if rule.matches_besides_url(dwell_seconds, &context) {
                    self.add_match(state, &mut matches, r, timestamp, from_server);
                }
            }
        }
        if !matches.is_empty() {
            let open = OpenEvent {
                i: index,
                t: timestamp,
                a: Arc::clone(&action.text),
                u: url.text.clone(),
                g: Arc::clone(tags),
                d: dwell_seconds,
                s: from_server,
                p: url.touchpoint,
                m: matches,
            };
            insert_open(state, open);
        }
        visitor.now = Some(visitor.now.map_or(now, |n| n.max(now)));
        let open = visitor.state.o.len();
        if open >= (SETTLE_GROWTH * visitor.settled).max(SETTLE_AFTER) {
            self.settle_visitor(visitor, Some(now));
        }
        Ok(())
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
        self.score_visitor_fit(visitor, FitFrom::Profile(profile), now, options)
    }

    /// [`score_visitor`](Self::score_visitor) with the fit from `fit`.
    pub fn score_visitor_fit(
        &self,
        visitor: &mut LiveVisitor,
        fit: FitFrom<'_>,
        now: Millis,
        options: &ScoreOptions,
    ) -> Result<ScoreResult, StateError> {
        self.settle_visitor(visitor, Some(now));
        self.score_state_fit(&visitor.state, fit, now, options)
    }
}

/// Remembers the number of a text given natively, unless it is the
/// scratch text's.
fn remember<T>(texts: &mut Texts<T>, text: &str, id: u32) {
    if id != SCRATCH_TEXT {
        texts.by_text.insert(Box::from(text), id);
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
