//! Visitor events as they arrive (Segment-spec shapes: `page`, `track`,
//! `identify`, `group`, `screen`), checked one by one: a bad event is
//! rejected with its reason and the good ones are kept.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::json::{Number, Value};
use serde::Serialize;

use super::fit::parse_number_loose;
use crate::time::{self, Millis};

/// Longest event name, URL and tag that are kept; longer ones are rejected so
/// a hostile page cannot make the edge store megabytes per event.
pub const MAX_NAME_LEN: usize = 200;
pub const MAX_URL_LEN: usize = 4_096;
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_LEN: usize = 100;
/// Events one call takes by default (`score`, `ingest`, `validateEvents` in
/// JS): the bindings refuse a longer list before reading it. A million
/// events cost 33 s and 1.2 GB in one call; 10,000 (a heavy visitor's
/// year) about 0.3 s and 12 MB. `score`'s `options.maxEvents` raises it.
pub const MAX_EVENTS_PER_CALL: usize = 10_000;
/// A numeric timestamp below this is refused as seconds. In milliseconds it
/// is 1973-03-03; read as seconds it would be the year 5138. Real event
/// times in seconds (about 1e9 to 1e10 for the years 2001 to 2286) are all
/// below it and real times in milliseconds since 1973 above it, so nothing
/// real falls on the wrong side, and a seconds value is never read as a
/// date in January 1970 that decays to nothing without a word.
pub const MIN_TIMESTAMP_MS: f64 = 1e11;

/// An event that passed the checks, reduced to what scoring reads. The text
/// borrows from the JSON values it was read from wherever it can (scoring a
/// visitor would otherwise copy every id, name, URL and tag once more);
/// `Event<'static>` with owned text keeps a history in parsed form.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    /// Position in the batch the caller gave, so results can point back.
    pub index: usize,
    /// `messageId` (Segment) or `id`; used to drop duplicates.
    pub id: Option<Cow<'a, str>>,
    /// `page` for page views, `screen` for screens, the event name for track
    /// events, as given.
    pub action: Cow<'a, str>,
    /// `action` lower-cased, for matching.
    pub action_key: Cow<'a, str>,
    pub timestamp: Millis,
    pub url: Option<Cow<'a, str>>,
    /// Lower-cased content tags from `properties.tags`.
    pub tags: Vec<Cow<'a, str>>,
    pub dwell_seconds: Option<f64>,
    /// Reported by a back-office (server) source: the caller scores as a
    /// server ([`EventSource::Server`]) and the event's Segment `channel` is
    /// absent or `server`. Rules with `"source": "server"` count only these.
    pub from_server: bool,
}

/// Who hands the events to scoring: a server scoring its own records, or
/// the page (the browser runtime, or an edge passing on what a page posted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EventSource {
    /// Trusted: an event is a server's unless its `channel` names another
    /// (`browser`, `mobile`...).
    #[default]
    Server,
    /// Every event is browser-reported, whatever its `channel` says.
    Browser,
}

impl EventSource {
    /// `"server"` or `"browser"`, as the JS API names them.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "server" => Some(Self::Server),
            "browser" => Some(Self::Browser),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RejectedEvent {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub reason: String,
}

/// Checks every event. Events stamped more than `max_skew_ms` after `now`
/// are rejected: a clock that far ahead is a bug or a forgery, and a future
/// event would never decay. `source` decides which events count as
/// reported by a server ([`Event::from_server`]).
pub fn parse_events(
    values: &[Value],
    now: Millis,
    max_skew_ms: i64,
    source: EventSource,
) -> (Vec<Event<'_>>, Vec<RejectedEvent>) {
    let mut checks = values.iter().enumerate().map(|(index, value)| {
        let members = match value {
            #[cfg(feature = "visitor-state")]
            Value::Object(object) => Ok(members_of(object, Field::of)),
            #[cfg(not(feature = "visitor-state"))]
            Value::Object(object) => Ok(members_of(object, |v| v)),
            other => Err(kind_of(other)),
        };
        check(index, members, now, max_skew_ms, source)
    });
    keep_first_ids(&mut checks, values.len())
}

/// The events that passed and the rejections, in batch order, from each
/// event's check; an event whose id an earlier good event already has is
/// rejected as a duplicate. `dyn`: one compiled copy serves the `Value`
/// path and the text path.
pub(crate) fn keep_first_ids<'a>(
    checks: &mut dyn Iterator<Item = Result<Event<'a>, RejectedEvent>>,
    len: usize,
) -> (Vec<Event<'a>>, Vec<RejectedEvent>) {
    let mut accepted: Vec<Event<'a>> = Vec::with_capacity(len);
    let mut rejected = Vec::new();
    for checked in checks {
        match checked {
            Ok(event) => accepted.push(event),
            Err(bad) => rejected.push(bad),
        }
    }
    // Duplicates: the first good event with an id keeps it. The map borrows
    // the ids from the events instead of copying each one.
    let mut first_with: HashMap<&str, usize> = HashMap::with_capacity(accepted.len());
    let mut duplicates = Vec::new();
    let mut keep = Vec::with_capacity(accepted.len());
    for event in &accepted {
        let first = event.id.as_deref().and_then(|id| {
            let first = first_with.get(id).copied();
            if first.is_none() {
                first_with.insert(id, event.index);
            }
            first
        });
        if let Some(first) = first {
            duplicates.push(RejectedEvent {
                index: event.index,
                id: event.id.as_deref().map(str::to_string),
                reason: format!("duplicate: same messageId as event {first}"),
            });
        }
        keep.push(first.is_none());
    }
    drop(first_with);
    if duplicates.is_empty() {
        return (accepted, rejected);
    }
    let mut keep = keep.into_iter();
    accepted.retain(|_| keep.next().unwrap_or(true));
    // Both lists are in batch order; so is their merge.
    let mut merged = Vec::with_capacity(rejected.len() + duplicates.len());
    let mut duplicates = duplicates.into_iter();
    let mut next = duplicates.next();
    for bad in rejected {
        while let Some(duplicate) = next.take_if(|d| d.index < bad.index) {
            merged.push(duplicate);
            next = duplicates.next();
        }
        merged.push(bad);
    }
    merged.extend(next);
    merged.extend(duplicates);
    (accepted, merged)
}

/// A member's value as the checks read it: a [`Field`], or in the page
/// build a `serde_json::Value` itself. With the typed path in the build
/// (feature `visitor-state`), `score`'s `Value`s are read into `Field`s
/// too, so the checks are compiled once; the page build has no typed path
/// and checks its `Value`s directly (1.6 KB less gzipped wasm). Run the
/// property test with and without default features to hold both.
pub(crate) trait Member<'a>: Sized {
    type Items: ExactSizeIterator<Item = Self>;
    fn is_null(&self) -> bool;
    fn is_object(&self) -> bool;
    /// `"a string"`, `"an array"`...: what a reason says was found.
    fn kind(&self) -> &'static str;
    fn number(&self) -> Option<&Number>;
    fn as_str(&self) -> Option<&str>;
    /// The text of a string, borrowed from the source where it can be.
    fn into_text(self) -> Option<Cow<'a, str>>;
    /// The elements of an array.
    fn into_items(self) -> Option<Self::Items>;
}

impl<'a> Member<'a> for &'a Value {
    type Items = std::slice::Iter<'a, Value>;
    fn is_null(&self) -> bool {
        Value::is_null(self)
    }
    fn is_object(&self) -> bool {
        Value::is_object(self)
    }
    fn kind(&self) -> &'static str {
        kind_of(self)
    }
    fn number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }
    fn as_str(&self) -> Option<&str> {
        Value::as_str(self)
    }
    fn into_text(self) -> Option<Cow<'a, str>> {
        Value::as_str(self).map(Cow::Borrowed)
    }
    fn into_items(self) -> Option<Self::Items> {
        self.as_array().map(|list| list.iter())
    }
}

/// A member's value as the checks read it: text borrowed from the source
/// (the batch's JSON text, or the `Value` `score` parsed) unless it had to
/// be unescaped; objects only marked (no check reads inside one it does
/// not know); arrays with their elements (`properties.tags`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field<'a> {
    Null,
    Bool,
    Number(Number),
    Str(Cow<'a, str>),
    Array(Vec<Field<'a>>),
    Object,
}

#[cfg(feature = "visitor-state")]
impl<'a> Field<'a> {
    fn of(value: &'a Value) -> Self {
        match value {
            Value::Null => Field::Null,
            Value::Bool(_) => Field::Bool,
            Value::Number(n) => Field::Number(n.clone()),
            Value::String(s) => Field::Str(Cow::Borrowed(s)),
            Value::Array(list) => Field::Array(list.iter().map(Field::of).collect()),
            Value::Object(_) => Field::Object,
        }
    }
}

impl<'a> Member<'a> for Field<'a> {
    type Items = std::vec::IntoIter<Field<'a>>;
    fn is_null(&self) -> bool {
        matches!(self, Field::Null)
    }
    fn is_object(&self) -> bool {
        matches!(self, Field::Object)
    }
    fn kind(&self) -> &'static str {
        match self {
            Field::Null => "null",
            Field::Bool => "a boolean",
            Field::Number(_) => "a number",
            Field::Str(_) => "a string",
            Field::Array(_) => "an array",
            Field::Object => "an object",
        }
    }
    fn number(&self) -> Option<&Number> {
        match self {
            Field::Number(n) => Some(n),
            _ => None,
        }
    }
    fn as_str(&self) -> Option<&str> {
        match self {
            Field::Str(s) => Some(s),
            _ => None,
        }
    }
    fn into_text(self) -> Option<Cow<'a, str>> {
        match self {
            Field::Str(s) => Some(s),
            _ => None,
        }
    }
    fn into_items(self) -> Option<Self::Items> {
        match self {
            Field::Array(list) => Some(list.into_iter()),
            _ => None,
        }
    }
}

/// The members of an event object that scoring reads, found in one pass over
/// its keys (looking each up costs a string comparison per tree level per
/// member), with those of `properties` and `context.page`.
pub(crate) struct Members<M> {
    pub message_id: Option<M>,
    pub id: Option<M>,
    pub kind: Option<M>,
    pub event: Option<M>,
    pub timestamp: Option<M>,
    pub channel: Option<M>,
    pub properties: Option<M>,
    /// `properties.path`, `.url`, `.tags`, `.dwellSeconds` when
    /// `properties` is an object.
    pub path: Option<M>,
    pub url: Option<M>,
    pub tags: Option<M>,
    pub dwell_seconds: Option<M>,
    /// `context.page.path` and `.url` when both are objects.
    pub page_path: Option<M>,
    pub page_url: Option<M>,
}

impl<M> Default for Members<M> {
    fn default() -> Self {
        Self {
            message_id: None,
            id: None,
            kind: None,
            event: None,
            timestamp: None,
            channel: None,
            properties: None,
            path: None,
            url: None,
            tags: None,
            dwell_seconds: None,
            page_path: None,
            page_url: None,
        }
    }
}

/// The members of an event object, each as `member` reads it: a [`Field`]
/// where the typed path is in the build (one compiled copy of the checks
/// serves both), the `Value` itself in the page build (1.6 KB less gzipped
/// wasm than a copy of the checks for `Field`s it would not otherwise have).
fn members_of<'a, M: Member<'a>>(
    object: &'a crate::json::Map<String, Value>,
    member: fn(&'a Value) -> M,
) -> Members<M> {
    let mut m = Members::default();
    let (mut properties, mut context) = (None, None);
    for (key, value) in object {
        let slot = match key.as_str() {
            "messageId" => &mut m.message_id,
            "id" => &mut m.id,
            "type" => &mut m.kind,
            "event" => &mut m.event,
            "timestamp" => &mut m.timestamp,
            "channel" => &mut m.channel,
            "properties" => {
                properties = Some(value);
                continue;
            }
            "context" => {
                context = Some(value);
                continue;
            }
            _ => continue,
        };
        *slot = Some(member(value));
    }
    m.properties = properties.map(member);
    if let Some(Value::Object(properties)) = properties {
        for (key, value) in properties {
            let slot = match key.as_str() {
                "path" => &mut m.path,
                "url" => &mut m.url,
                "tags" => &mut m.tags,
                "dwellSeconds" => &mut m.dwell_seconds,
                _ => continue,
            };
            *slot = Some(member(value));
        }
    }
    let page = context.and_then(|c| c.get("page"));
    m.page_path = page.and_then(|p| p.get("path")).map(member);
    m.page_url = page.and_then(|p| p.get("url")).map(member);
    m
}

/// One event's checks: its members (or the kind of the non-object found in
/// its place) to the event scoring reads, or its rejection. The rejection
/// carries the event's id when that id was valid.
pub(crate) fn check<'a, M: Member<'a>>(
    index: usize,
    members: Result<Members<M>, &'static str>,
    now: Millis,
    max_skew_ms: i64,
    source: EventSource,
) -> Result<Event<'a>, RejectedEvent> {
    let rejected = |id: Option<String>, reason: String| RejectedEvent { index, id, reason };
    let mut members = match members {
        Ok(members) => members,
        Err(kind) => {
            return Err(rejected(
                None,
                format!("expected an event object, found {kind}"),
            ))
        }
    };
    let id = read_id(members.message_id.take().or(members.id.take()))
        .map_err(|reason| rejected(None, reason))?;
    match check_members(index, members, now, max_skew_ms, source) {
        Ok(event) => Ok(Event { id, ..event }),
        Err(reason) => Err(rejected(id.map(Cow::into_owned), reason)),
    }
}

/// `messageId` (or `id` when there is no `messageId`): a string or a number.
fn read_id<'a, M: Member<'a>>(slot: Option<M>) -> Result<Option<Cow<'a, str>>, String> {
    let Some(value) = slot.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    if let Some(n) = value.number() {
        return Ok(Some(Cow::Owned(n.to_string())));
    }
    let kind = value.kind();
    match value.into_text() {
        Some(s) if s.len() > MAX_NAME_LEN => {
            Err(format!("messageId: longer than {MAX_NAME_LEN} characters"))
        }
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => Ok(Some(s)),
        None => Err(format!("messageId: expected a string, found {kind}")),
    }
}

fn present<'a, M: Member<'a>>(slot: Option<M>) -> Option<M> {
    slot.filter(|v| !v.is_null())
}

fn check_members<'a, M: Member<'a>>(
    index: usize,
    m: Members<M>,
    now: Millis,
    max_skew_ms: i64,
    source: EventSource,
) -> Result<Event<'a>, String> {
    // The type compared without case and without lower-casing a copy: it is
    // one of five words or the event is refused.
    let has_event = m.event.is_some();
    let kind: &'static str = match present(m.kind) {
        Some(t) => match t.as_str() {
            Some(t) => match KINDS.iter().find(|k| t.eq_ignore_ascii_case(k)) {
                Some(k) => k,
                None => {
                    return Err(format!(
                        "type: \"{}\" is not one of page, track, identify, group, screen",
                        truncate(&t.to_ascii_lowercase(), 40)
                    ))
                }
            },
            None => return Err(format!("type: expected a string, found {}", t.kind())),
        },
        None if has_event => "track",
        None => {
            return Err("type: missing (expected page, track, identify, group or screen)".into())
        }
    };
    let action: Cow<'a, str> = if kind == "track" {
        let Some(name) = present(m.event) else {
            return Err("event: a track event needs an event name".into());
        };
        let found = name.kind();
        match name.into_text() {
            Some(name) if !name.trim().is_empty() => {
                if name.len() > MAX_NAME_LEN {
                    return Err(format!("event: longer than {MAX_NAME_LEN} characters"));
                }
                trimmed(name)
            }
            Some(_) => return Err("event: a track event needs an event name".into()),
            None => return Err(format!("event: expected a string, found {found}")),
        }
    } else {
        Cow::Borrowed(kind)
    };
    // Segment's `channel`: `server` for back-office libraries, `browser`,
    // `mobile`... for the rest. Absent means the caller's own record.
    let from_server = match present(m.channel) {
        None => true,
        Some(c) => match c.as_str() {
            Some(c) => c.eq_ignore_ascii_case("server"),
            None => return Err(format!("channel: expected a string, found {}", c.kind())),
        },
    } && source == EventSource::Server;
    let Some(t) = present(m.timestamp) else {
        return Err("timestamp: missing".into());
    };
    let timestamp = match (t.number(), t.as_str()) {
        (Some(n), _) if n.as_f64().is_some_and(|ms| ms < MIN_TIMESTAMP_MS) => {
            return Err(format!(
                "timestamp: {n} looks like seconds since 1970; nurture expects milliseconds \
                 (Date.now()), an ISO 8601 string or a Date"
            ))
        }
        (Some(n), _) => n
            .as_f64()
            .ok_or(time::TimeError::OutOfRange)
            .and_then(time::from_f64),
        (None, Some(s)) => time::parse_iso8601(s),
        (None, None) => Err(time::TimeError::WrongType),
    }
    .map_err(|e| format!("timestamp: {}", e.message()))?;
    if timestamp > now.saturating_add(max_skew_ms) {
        let ahead = timestamp.saturating_sub(now) / 1_000;
        return Err(format!("timestamp: {ahead} seconds in the future"));
    }
    if let Some(p) = present(m.properties).filter(|p| !p.is_object()) {
        return Err(format!(
            "properties: expected an object, found {}",
            p.kind()
        ));
    }
    // Segment puts the page in `properties.url`/`path` for page events and
    // in `context.page` for track events; the path wins when both are there.
    let url = read_url([
        ("properties.path", m.path),
        ("properties.url", m.url),
        ("context.page.path", m.page_path),
        ("context.page.url", m.page_url),
    ])?;
    let tags = read_tags(m.tags)?;
    let dwell_seconds = match present(m.dwell_seconds) {
        None => None,
        Some(d) => Some(read_dwell(d)?),
    };
    Ok(Event {
        index,
        id: None,
        action_key: lower_cow(&action),
        action,
        timestamp,
        url,
        tags,
        dwell_seconds,
        from_server,
    })
}

fn read_dwell<'a, M: Member<'a>>(value: M) -> Result<f64, String> {
    if let Some(n) = value.number() {
        return match n.as_f64() {
            Some(d) if d.is_finite() && d >= 0.0 => Ok(d),
            _ => Err("properties.dwellSeconds: expected a number ≥ 0".into()),
        };
    }
    match value.as_str() {
        // "90", "1,200": read as the fit rules read numbers people typed.
        Some(s) => match parse_number_loose(s) {
            Some(d) if d >= 0.0 => Ok(d),
            _ => Err(format!(
                "properties.dwellSeconds: expected a number ≥ 0, found the string \"{}\"",
                truncate(s, 40)
            )),
        },
        None => Err(format!(
            "properties.dwellSeconds: expected a number ≥ 0, found {}",
            value.kind()
        )),
    }
}

fn read_url<'a, M: Member<'a>>(
    candidates: [(&str, Option<M>); 4],
) -> Result<Option<Cow<'a, str>>, String> {
    for (name, candidate) in candidates {
        let Some(value) = present(candidate) else {
            continue;
        };
        let kind = value.kind();
        match value.into_text() {
            Some(s) if s.len() > MAX_URL_LEN => {
                return Err(format!("{name}: longer than {MAX_URL_LEN} characters"))
            }
            Some(s) if s.trim().is_empty() => continue,
            Some(s) => return Ok(Some(trimmed(s))),
            None => return Err(format!("{name}: expected a string, found {kind}")),
        }
    }
    Ok(None)
}

fn read_tags<'a, M: Member<'a>>(tags: Option<M>) -> Result<Vec<Cow<'a, str>>, String> {
    let Some(tags) = present(tags) else {
        return Ok(Vec::new());
    };
    let kind = tags.kind();
    let Some(list) = tags.into_items() else {
        return Err(format!(
            "properties.tags: expected an array of strings, found {kind}"
        ));
    };
    if list.len() > MAX_TAGS {
        return Err(format!("properties.tags: more than {MAX_TAGS} tags"));
    }
    let mut tags = Vec::with_capacity(list.len());
    for (i, tag) in list.enumerate() {
        let kind = tag.kind();
        match tag.into_text() {
            Some(s) if s.len() > MAX_TAG_LEN => {
                return Err(format!(
                    "properties.tags[{i}]: longer than {MAX_TAG_LEN} characters"
                ))
            }
            Some(s) => {
                let t = lower_cow(&trimmed(s));
                if !t.is_empty() && !tags.contains(&t) {
                    tags.push(t);
                }
            }
            None => {
                return Err(format!(
                    "properties.tags[{i}]: expected a string, found {kind}"
                ))
            }
        }
    }
    Ok(tags)
}

/// Tags compare without case and outer spaces: "Oil & Gas" = "oil & gas".
pub fn normalize_tag(tag: &str) -> String {
    crate::text::lowercase(tag.trim())
}

/// `text.trim()`, still borrowed from the source when it was.
fn trimmed(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) if s.trim().len() == s.len() => Cow::Owned(s),
        Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
    }
}

/// [`lower`] of text that may be owned, borrowed from the source when the
/// text is and nothing changes.
fn lower_cow<'a>(text: &Cow<'a, str>) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(s) => lower(s),
        Cow::Owned(s) => Cow::Owned(lower(s).into_owned()),
    }
}

pub use crate::text::lower;

const KINDS: [&str; 5] = ["page", "track", "identify", "group", "screen"];

pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
