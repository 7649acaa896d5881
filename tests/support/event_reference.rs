//! The event checks as they were before the typed path, on
//! `serde_json::Value`, kept verbatim as the reference the typed path and
//! the refactored `Value` path are held to (tests/typed_events.rs).
#![allow(dead_code, clippy::all)]

use std::borrow::Cow;
use std::collections::HashMap;

use nurture::score::event::{
    Event, EventSource, RejectedEvent, MAX_NAME_LEN, MAX_TAGS, MAX_TAG_LEN, MAX_URL_LEN,
    MIN_TIMESTAMP_MS,
};
use nurture::score::fit::parse_number_loose;
use nurture::time::{self, Millis};
use serde_json::Value;

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
