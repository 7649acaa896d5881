//! Events read straight from a batch's JSON text, with no `serde_json::Value`
//! tree in between: each member scoring reads becomes a [`Field`] (its text
//! borrowed from the batch unless it holds escapes), every other member is
//! parsed and dropped. The checks are those of `score`
//! ([`super::event::parse_events`]), so the accepted events and each
//! rejection's reason are the same; a property test holds the two paths,
//! and the checks as they were before this path, to that
//! (tests/typed_events.rs).
//!
//! A wrong type in one event is that event's rejection: a member is read
//! whatever its kind, and the kind found is what the reason names. Only
//! text that is not JSON fails the whole batch, exactly where and with the
//! message `serde_json::from_str::<Value>` gives: what is dropped is still
//! read through `deserialize_any` (escapes, number range, nesting depth),
//! not skipped as `IgnoredAny` would, which lets through what a `Value`
//! refuses.

use std::borrow::Cow;
use std::fmt;

use crate::json::Number;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::event::{
    check, keep_first_ids, Event, EventSource, Field, Member, Members, RejectedEvent,
};
use crate::time::Millis;

/// Why a batch's text was refused as a whole (a bad event is only that
/// event's rejection).
#[derive(Debug)]
#[non_exhaustive]
pub enum BatchError {
    /// JSON, but neither an array of events nor `null`.
    NotAnArray,
    /// Not JSON: serde_json's message, with the line and column.
    Json(serde_json::Error),
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchError::NotAnArray => f.write_str("expected a JSON array of events"),
            BatchError::Json(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BatchError {}

/// [`super::event::parse_events`] of the JSON text of an array of events
/// (`null` is an empty batch): the events that passed, borrowing their text
/// from `text`, and each rejection with its reason, in batch order.
pub fn parse_events_text(
    text: &str,
    now: Millis,
    max_skew_ms: i64,
    source: EventSource,
) -> Result<(Vec<Event<'_>>, Vec<RejectedEvent>), BatchError> {
    let mut reader = serde_json::Deserializer::from_str(text);
    let batch = Read(Kind::Batch)
        .deserialize(&mut reader)
        .and_then(|batch| reader.end().map(|()| batch))
        .map_err(BatchError::Json)?;
    let items = match batch {
        Shape::Events(items) => items,
        Shape::Other(Field::Null) => Vec::new(),
        _ => return Err(BatchError::NotAnArray),
    };
    let len = items.len();
    let mut checks = items.into_iter().enumerate().map(|(index, item)| {
        let members = match item {
            Shape::Object(object) => match *object {
                Object::Event(members) => Ok(members),
                _ => Err(Field::Object.kind()),
            },
            other => Err(other.field().kind()),
        };
        check(index, members, now, max_skew_ms, source)
    });
    Ok(keep_first_ids(&mut checks, len))
}

/// What a value is read as. One visitor reads them all, told by its seed
/// what it reads: a visitor type per kind would compile serde_json's parser
/// once more for each (about 1.2 KB of wasm apiece).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Read to its end and dropped: through `deserialize_any`, so text a
    /// `Value` refuses (a lone surrogate, a number out of range, nesting
    /// over 128 levels) is refused here too, where `IgnoredAny` would not.
    Skip,
    /// A [`Field`].
    Field,
    /// The batch: an array of events, `null` (none), or anything else,
    /// read to its end first, so text that is not JSON says so wherever it
    /// breaks.
    Batch,
    Event,
    Properties,
    Context,
    Page,
}

impl Kind {
    /// The members read, by position.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Event => &[
                "messageId",
                "id",
                "type",
                "event",
                "timestamp",
                "channel",
                "properties",
                "context",
            ],
            Kind::Properties => &["path", "url", "tags", "dwellSeconds"],
            Kind::Context => &["page"],
            Kind::Page => &["path", "url"],
            Kind::Skip | Kind::Field | Kind::Batch => &[],
        }
    }
}

/// What was read of an object of a [`Kind`]. Boxed in a [`Shape`]: an
/// event's members are some 400 bytes, and a value returned through
/// serde's visitor and seed layers is moved at each; those moves (`rep
/// movsb` natively, `memory.copy` in wasm) were most of the time a batch's
/// text took to read (benches/edge_ingest.rs), and cost more than the
/// allocation that keeps them down to a pointer.
#[allow(clippy::large_enum_variant)]
enum Object<'a> {
    Event(Members<Field<'a>>),
    Properties(Properties<'a>),
    /// `context`: its `page`.
    Context(Page<'a>),
    Page(Page<'a>),
}

/// A value as its [`Kind`] reads it: an object of the kind sought, else the
/// value as a [`Field`] (whose kind a reason names).
enum Shape<'a> {
    Object(Box<Object<'a>>),
    Other(Field<'a>),
    Events(Vec<Shape<'a>>),
    Skipped,
}

impl<'a> Shape<'a> {
    fn field(self) -> Field<'a> {
        match self {
            Shape::Other(field) => field,
            Shape::Object(_) => Field::Object,
            Shape::Events(_) => Field::Array(Vec::new()),
            Shape::Skipped => Field::Null,
        }
    }

    fn properties(self) -> (Field<'a>, Properties<'a>) {
        match self {
            Shape::Object(object) => match *object {
                Object::Properties(p) => (Field::Object, p),
                _ => (Field::Object, Properties::default()),
            },
            other => (other.field(), Properties::default()),
        }
    }

    fn page(self) -> Page<'a> {
        match self {
            Shape::Object(object) => match *object {
                Object::Context(page) | Object::Page(page) => page,
                _ => Page::default(),
            },
            _ => Page::default(),
        }
    }
}

impl<'a> Object<'a> {
    fn new(kind: Kind) -> Option<Self> {
        match kind {
            Kind::Event => Some(Object::Event(Members::default())),
            Kind::Properties => Some(Object::Properties(Properties::default())),
            Kind::Context => Some(Object::Context(Page::default())),
            Kind::Page => Some(Object::Page(Page::default())),
            Kind::Skip | Kind::Field | Kind::Batch => None,
        }
    }

    /// Reads the member at `key` in its kind's [`Kind::keys`]. As in a
    /// `Value`, the last of a repeated member is the one kept.
    fn read<A: MapAccess<'a>>(&mut self, key: usize, map: &mut A) -> Result<(), A::Error> {
        let slot = match (self, key) {
            (Object::Event(m), 6) => {
                let (marker, p) = map.next_value_seed(Read(Kind::Properties))?.properties();
                m.properties = Some(marker);
                (m.path, m.url, m.tags, m.dwell_seconds) = (p.path, p.url, p.tags, p.dwell_seconds);
                return Ok(());
            }
            (Object::Event(m), 7) => {
                let page = map.next_value_seed(Read(Kind::Context))?.page();
                (m.page_path, m.page_url) = (page.path, page.url);
                return Ok(());
            }
            (Object::Context(page), _) => {
                *page = map.next_value_seed(Read(Kind::Page))?.page();
                return Ok(());
            }
            (Object::Event(m), key) => match key {
                0 => &mut m.message_id,
                1 => &mut m.id,
                2 => &mut m.kind,
                3 => &mut m.event,
                4 => &mut m.timestamp,
                _ => &mut m.channel,
            },
            (Object::Properties(p), key) => match key {
                0 => &mut p.path,
                1 => &mut p.url,
                2 => &mut p.tags,
                _ => &mut p.dwell_seconds,
            },
            (Object::Page(page), 0) => &mut page.path,
            (Object::Page(page), _) => &mut page.url,
        };
        *slot = Some(map.next_value_seed(Read(Kind::Field))?.field());
        Ok(())
    }
}

/// The seed (and visitor) reading a value as its [`Kind`].
struct Read(Kind);

impl Read {
    fn scalar<'a>(&self, field: Field<'a>) -> Shape<'a> {
        if self.0 == Kind::Skip {
            Shape::Skipped
        } else {
            Shape::Other(field)
        }
    }
}

impl<'de> DeserializeSeed<'de> for Read {
    type Value = Shape<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Read {
    type Value = Shape<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(self.scalar(Field::Bool))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.scalar(Field::Number(v.into())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self.scalar(Field::Number(v.into())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        // What a `Value` makes of it (serde_json never reads a non-finite one).
        Ok(self.scalar(Number::from_f64(v).map_or(Field::Null, Field::Number)))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(self.scalar(Field::Str(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        if self.0 == Kind::Skip {
            return Ok(Shape::Skipped);
        }
        Ok(Shape::Other(Field::Str(Cow::Owned(v.to_owned()))))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(self.scalar(Field::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let item = match self.0 {
            Kind::Skip => {
                while seq.next_element_seed(Read(Kind::Skip))?.is_some() {}
                return Ok(Shape::Skipped);
            }
            Kind::Batch => Kind::Event,
            _ => Kind::Field,
        };
        let mut list = Vec::new();
        while let Some(shape) = seq.next_element_seed(Read(item))? {
            list.push(shape);
        }
        Ok(match self.0 {
            Kind::Batch => Shape::Events(list),
            _ => Shape::Other(Field::Array(list.into_iter().map(Shape::field).collect())),
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = Object::new(self.0).map(Box::new);
        let keys = self.0.keys();
        while let Some(key) = map.next_key_seed(KeySeed(keys))? {
            match (key, object.as_mut()) {
                (Some(key), Some(object)) => object.read(key, &mut map)?,
                _ => map.next_value_seed(Read(Kind::Skip)).map(drop)?,
            }
        }
        Ok(match object {
            Some(object) => Shape::Object(object),
            None => self.scalar(Field::Object),
        })
    }
}

/// A member's name, as its position among the names an object's
/// [`Kind::keys`] lists.
struct KeySeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|k| *k == v))
    }
}

/// The members of `properties` that scoring reads.
#[derive(Default)]
struct Properties<'a> {
    path: Option<Field<'a>>,
    url: Option<Field<'a>>,
    tags: Option<Field<'a>>,
    dwell_seconds: Option<Field<'a>>,
}

/// `context.page.path` and `.url`, when both are objects.
#[derive(Default)]
struct Page<'a> {
    path: Option<Field<'a>>,
    url: Option<Field<'a>>,
}
