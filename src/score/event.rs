//! Visitor events as they arrive (Segment-spec shapes: `page`, `track`,
//! `identify`, `group`, `screen`), checked one by one: a bad event is
//! rejected with its reason and the good ones are kept.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

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
    let mut accepted: Vec<Event<'_>> = Vec::with_capacity(values.len());
    let mut rejected = Vec::new();
    for (index, value) in values.iter().enumerate() {
        match parse_event(index, value, now, max_skew_ms, source) {
            Ok(event) => accepted.push(event),
            Err(reason) => rejected.push(RejectedEvent {
                index,
                id: id_of(value),
                reason,
            }),
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

fn id_of(value: &Value) -> Option<String> {
    let id = value.get("messageId").or_else(|| value.get("id"))?;
    match id {
        Value::String(s) if !s.is_empty() && s.len() <= MAX_NAME_LEN => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_event(
    index: usize,
    value: &Value,
    now: Millis,
    max_skew_ms: i64,
    source: EventSource,
) -> Result<Event<'_>, String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("expected an event object, found {}", kind_of(value)))?;
    let fields = EventFields::read(object);
    let id = match fields.message_id.or(fields.id) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() > MAX_NAME_LEN => {
            return Err(format!("messageId: longer than {MAX_NAME_LEN} characters"))
        }
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(Cow::Borrowed(s.as_str())),
        Some(Value::Number(n)) => Some(Cow::Owned(n.to_string())),
        Some(other) => {
            return Err(format!(
                "messageId: expected a string, found {}",
                kind_of(other)
            ))
        }
    };
    // The type compared without case and without lower-casing a copy: it is
    // one of five words or the event is refused.
    let kind: &'static str = match fields.kind {
        Some(Value::String(t)) => match KINDS.iter().find(|k| t.eq_ignore_ascii_case(k)) {
            Some(k) => k,
            None => {
                return Err(format!(
                    "type: \"{}\" is not one of page, track, identify, group, screen",
                    truncate(&t.to_ascii_lowercase(), 40)
                ))
            }
        },
        None | Some(Value::Null) if fields.event.is_some() => "track",
        None | Some(Value::Null) => {
            return Err("type: missing (expected page, track, identify, group or screen)".into())
        }
        Some(other) => return Err(format!("type: expected a string, found {}", kind_of(other))),
    };
    let action: &str = if kind == "track" {
        match fields.event {
            Some(Value::String(name)) if !name.trim().is_empty() => {
                if name.len() > MAX_NAME_LEN {
                    return Err(format!("event: longer than {MAX_NAME_LEN} characters"));
                }
                name.trim()
            }
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err("event: a track event needs an event name".into())
            }
            Some(other) => {
                return Err(format!(
                    "event: expected a string, found {}",
                    kind_of(other)
                ))
            }
        }
    } else {
        kind
    };
    // Segment's `channel`: `server` for back-office libraries, `browser`,
    // `mobile`... for the rest. Absent means the caller's own record.
    let from_server = match fields.channel {
        None | Some(Value::Null) => true,
        Some(Value::String(c)) => c.eq_ignore_ascii_case("server"),
        Some(other) => {
            return Err(format!(
                "channel: expected a string, found {}",
                kind_of(other)
            ))
        }
    } && source == EventSource::Server;
    let timestamp = match fields.timestamp {
        None | Some(Value::Null) => return Err("timestamp: missing".into()),
        Some(Value::Number(n)) if n.as_f64().is_some_and(|ms| ms < MIN_TIMESTAMP_MS) => {
            return Err(format!(
                "timestamp: {n} looks like seconds since 1970; nurture expects milliseconds \
                 (Date.now()), an ISO 8601 string or a Date"
            ))
        }
        Some(t) => time::from_json(t).map_err(|e| format!("timestamp: {}", e.message()))?,
    };
    if timestamp > now.saturating_add(max_skew_ms) {
        let ahead = timestamp.saturating_sub(now) / 1_000;
        return Err(format!("timestamp: {ahead} seconds in the future"));
    }
    let properties = match fields.properties {
        None | Some(Value::Null) => PropertyFields::default(),
        Some(Value::Object(p)) => PropertyFields::read(p),
        Some(other) => {
            return Err(format!(
                "properties: expected an object, found {}",
                kind_of(other)
            ))
        }
    };
    let url = read_url(&properties, fields.context)?;
    let tags = read_tags(properties.tags)?;
    let dwell_seconds = match properties.dwell_seconds {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(d) if d.is_finite() && d >= 0.0 => Some(d),
            _ => return Err("properties.dwellSeconds: expected a number ≥ 0".into()),
        },
        // "90", "1,200": read as the fit rules read numbers people typed.
        Some(Value::String(s)) => match parse_number_loose(s) {
            Some(d) if d >= 0.0 => Some(d),
            _ => {
                return Err(format!(
                    "properties.dwellSeconds: expected a number ≥ 0, found the string \"{}\"",
                    truncate(s, 40)
                ))
            }
        },
        Some(other) => {
            return Err(format!(
                "properties.dwellSeconds: expected a number ≥ 0, found {}",
                kind_of(other)
            ))
        }
    };
    Ok(Event {
        index,
        id,
        action_key: lower(action),
        action: Cow::Borrowed(action),
        timestamp,
        url,
        tags,
        dwell_seconds,
        from_server,
    })
}

/// The members of an event object that scoring reads, found in one pass over
/// its keys: looking each up in the map costs a string comparison per tree
/// level per member, which was a large share of scoring a visitor.
#[derive(Default)]
struct EventFields<'a> {
    message_id: Option<&'a Value>,
    id: Option<&'a Value>,
    kind: Option<&'a Value>,
    event: Option<&'a Value>,
    timestamp: Option<&'a Value>,
    properties: Option<&'a Value>,
    context: Option<&'a Value>,
    channel: Option<&'a Value>,
}

impl<'a> EventFields<'a> {
    fn read(object: &'a serde_json::Map<String, Value>) -> Self {
        let mut fields = Self::default();
        for (key, value) in object {
            let slot = match key.as_str() {
                "messageId" => &mut fields.message_id,
                "id" => &mut fields.id,
                "type" => &mut fields.kind,
                "event" => &mut fields.event,
                "timestamp" => &mut fields.timestamp,
                "properties" => &mut fields.properties,
                "context" => &mut fields.context,
                "channel" => &mut fields.channel,
                _ => continue,
            };
            *slot = Some(value);
        }
        fields
    }
}

/// The members of `properties` that scoring reads, in one pass likewise.
#[derive(Default)]
struct PropertyFields<'a> {
    path: Option<&'a Value>,
    url: Option<&'a Value>,
    tags: Option<&'a Value>,
    dwell_seconds: Option<&'a Value>,
}

impl<'a> PropertyFields<'a> {
    fn read(properties: &'a serde_json::Map<String, Value>) -> Self {
        let mut fields = Self::default();
        for (key, value) in properties {
            let slot = match key.as_str() {
                "path" => &mut fields.path,
                "url" => &mut fields.url,
                "tags" => &mut fields.tags,
                "dwellSeconds" => &mut fields.dwell_seconds,
                _ => continue,
            };
            *slot = Some(value);
        }
        fields
    }
}

/// Segment puts the page in `properties.url`/`path` for page events and in
/// `context.page` for track events; the path wins when both are there.
fn read_url<'a>(
    properties: &PropertyFields<'a>,
    context: Option<&'a Value>,
) -> Result<Option<Cow<'a, str>>, String> {
    let context_page = context.and_then(|c| c.get("page"));
    let candidates = [
        ("properties.path", properties.path),
        ("properties.url", properties.url),
        (
            "context.page.path",
            context_page.and_then(|p| p.get("path")),
        ),
        ("context.page.url", context_page.and_then(|p| p.get("url"))),
    ];
    for (name, candidate) in candidates {
        match candidate {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) if s.len() > MAX_URL_LEN => {
                return Err(format!("{name}: longer than {MAX_URL_LEN} characters"))
            }
            Some(Value::String(s)) if s.trim().is_empty() => continue,
            Some(Value::String(s)) => return Ok(Some(Cow::Borrowed(s.trim()))),
            Some(other) => {
                return Err(format!(
                    "{name}: expected a string, found {}",
                    kind_of(other)
                ))
            }
        }
    }
    Ok(None)
}

fn read_tags(tags: Option<&Value>) -> Result<Vec<Cow<'_, str>>, String> {
    let list = match tags {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(format!(
                "properties.tags: expected an array of strings, found {}",
                kind_of(other)
            ))
        }
    };
    if list.len() > MAX_TAGS {
        return Err(format!("properties.tags: more than {MAX_TAGS} tags"));
    }
    let mut tags = Vec::with_capacity(list.len());
    for (i, tag) in list.iter().enumerate() {
        match tag {
            Value::String(s) if s.len() > MAX_TAG_LEN => {
                return Err(format!(
                    "properties.tags[{i}]: longer than {MAX_TAG_LEN} characters"
                ))
            }
            Value::String(s) => {
                let t = normalize_tag_cow(s);
                if !t.is_empty() && !tags.contains(&t) {
                    tags.push(t);
                }
            }
            other => {
                return Err(format!(
                    "properties.tags[{i}]: expected a string, found {}",
                    kind_of(other)
                ))
            }
        }
    }
    Ok(tags)
}

/// Tags compare without case and outer spaces: "Oil & Gas" = "oil & gas".
pub fn normalize_tag(tag: &str) -> String {
    tag.trim().to_lowercase()
}

/// [`normalize_tag`] without a copy when the tag is already in that form.
fn normalize_tag_cow(tag: &str) -> Cow<'_, str> {
    lower(tag.trim())
}

/// `text.to_lowercase()`, borrowed when that would change nothing: ASCII
/// without capitals (most event names' keys, paths and tags once a site is
/// consistent) is its own lower case.
pub fn lower(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        Cow::Owned(text.to_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

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
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: Millis = 1_795_632_120_000;

    #[test]
    fn accepts_segment_shapes() {
        let batch = [
            json!({"type":"page","messageId":"a","timestamp":NOW,"properties":{"path":"/pricing","url":"https://x.example/pricing","tags":["Pricing"," Pricing "],"dwellSeconds":42}}),
            json!({"type":"track","event":"Download","timestamp":"2026-11-25T18:00:00Z","context":{"page":{"url":"https://x.example/papers/a.pdf"}}}),
            json!({"event":"Webinar Attended","timestamp":NOW - 1}),
        ];
        let (ok, bad) = parse_events(&batch, NOW, 300_000, EventSource::Server);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(ok.len(), 3);
        assert_eq!(ok[0].url.as_deref(), Some("/pricing"));
        assert_eq!(ok[0].tags, vec!["pricing"]);
        assert_eq!(ok[0].dwell_seconds, Some(42.0));
        assert_eq!(ok[1].action, "Download");
        assert_eq!(ok[1].url.as_deref(), Some("https://x.example/papers/a.pdf"));
        assert_eq!(ok[2].action_key, "webinar attended");
    }

    #[test]
    fn channel_says_who_reported_the_event() {
        let batch = [
            json!({"type":"page","timestamp":NOW}),
            json!({"type":"page","timestamp":NOW,"channel":null}),
            json!({"type":"page","timestamp":NOW,"channel":"Server"}),
            json!({"type":"page","timestamp":NOW,"channel":"browser"}),
            json!({"type":"page","timestamp":NOW,"channel":"mobile"}),
            json!({"type":"page","timestamp":NOW,"channel":""}),
            json!({"type":"page","timestamp":NOW,"channel":["server"]}),
        ];
        let (ok, bad) = parse_events(&batch, NOW, 300_000, EventSource::Server);
        let from_server: Vec<bool> = ok.iter().map(|e| e.from_server).collect();
        assert_eq!(from_server, [true, true, true, false, false, false]);
        let reasons: Vec<(usize, &str)> =
            bad.iter().map(|r| (r.index, r.reason.as_str())).collect();
        assert_eq!(reasons, [(6, "channel: expected a string, found an array")]);
        let (ok, _) = parse_events(&batch, NOW, 300_000, EventSource::Browser);
        assert!(ok.iter().all(|e| !e.from_server));
    }

    #[test]
    fn rejects_bad_events_and_keeps_good_ones() {
        let batch = [
            json!("page"),
            json!({"type":"page"}),
            json!({"type":"click","timestamp":NOW}),
            json!({"type":"track","timestamp":NOW}),
            json!({"type":"page","timestamp":"yesterday"}),
            json!({"type":"page","timestamp":NOW + 3_600_000}),
            json!({"type":"page","timestamp":NOW,"properties":{"tags":"pricing"}}),
            json!({"type":"page","timestamp":NOW,"properties":{"dwellSeconds":-5}}),
            json!({"type":"page","timestamp":NOW,"properties":{"path":"x".repeat(5000)}}),
            json!({"type":"page","timestamp":NOW,"messageId":"m1"}),
            json!({"type":"page","timestamp":NOW,"messageId":"m1"}),
        ];
        let (ok, bad) = parse_events(&batch, NOW, 300_000, EventSource::Server);
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].index, 9);
        let reasons: Vec<(usize, &str)> =
            bad.iter().map(|r| (r.index, r.reason.as_str())).collect();
        assert_eq!(
            reasons,
            vec![
                (0, "expected an event object, found a string"),
                (1, "timestamp: missing"),
                (
                    2,
                    "type: \"click\" is not one of page, track, identify, group, screen"
                ),
                (3, "event: a track event needs an event name"),
                (
                    4,
                    "timestamp: expected an ISO 8601 date-time such as 2026-11-25T09:30:00Z"
                ),
                (5, "timestamp: 3600 seconds in the future"),
                (
                    6,
                    "properties.tags: expected an array of strings, found a string"
                ),
                (7, "properties.dwellSeconds: expected a number ≥ 0"),
                (8, "properties.path: longer than 4096 characters"),
                (10, "duplicate: same messageId as event 9"),
            ]
        );
    }

    #[test]
    fn seconds_are_refused_with_the_reason() {
        // 2025-12-02T00:00:00Z in seconds, and the same instant in ms.
        let batch = [
            json!({"type":"page","timestamp":1_764_633_600}),
            json!({"type":"page","timestamp":1_764_633_600.5}),
            json!({"type":"page","timestamp":0}),
            json!({"type":"page","timestamp":1_764_633_600_000_i64}),
            json!({"type":"page","timestamp":"1970-01-02T00:00:00Z"}),
            // The line itself: 1e11 ms is 1973-03-03, and taken.
            json!({"type":"page","timestamp":100_000_000_000_i64}),
            json!({"type":"page","timestamp":99_999_999_999_i64}),
        ];
        let (ok, bad) = parse_events(&batch, NOW, 300_000, EventSource::Server);
        let taken: Vec<usize> = ok.iter().map(|e| e.index).collect();
        assert_eq!(taken, [3, 4, 5]);
        let reasons: Vec<(usize, &str)> =
            bad.iter().map(|r| (r.index, r.reason.as_str())).collect();
        let says = |n: &str| {
            format!("timestamp: {n} looks like seconds since 1970; nurture expects milliseconds (Date.now()), an ISO 8601 string or a Date")
        };
        assert_eq!(
            reasons,
            [
                (0, says("1764633600").as_str()),
                (1, says("1764633600.5").as_str()),
                (2, says("0").as_str()),
                (6, says("99999999999").as_str()),
            ]
        );
        assert_eq!(ok[0].timestamp, 1_764_633_600_000);
    }

    #[test]
    fn dwell_seconds_as_text_read_like_fit_numbers() {
        let page = |dwell: Value| json!({"type":"page","timestamp":NOW,"properties":{"dwellSeconds":dwell}});
        let batch = [
            page(json!("90")),
            page(json!(" 1,200 ")),
            page(json!("90 seconds")),
            page(json!("-5")),
            page(json!("")),
        ];
        let (ok, bad) = parse_events(&batch, NOW, 300_000, EventSource::Server);
        let dwell: Vec<Option<f64>> = ok.iter().map(|e| e.dwell_seconds).collect();
        assert_eq!(dwell, [Some(90.0), Some(1200.0)]);
        let reasons: Vec<(usize, &str)> =
            bad.iter().map(|r| (r.index, r.reason.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (2, "properties.dwellSeconds: expected a number ≥ 0, found the string \"90 seconds\""),
                (3, "properties.dwellSeconds: expected a number ≥ 0, found the string \"-5\""),
                (4, "properties.dwellSeconds: expected a number ≥ 0, found the string \"\""),
            ]
        );
    }
}
