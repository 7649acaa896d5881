//! `LiveVisitor`'s general way (Node and edge builds; not in the page
//! build, whose runtime hands over only plain strings and numbers): `track`,
//! `page` and `score` with their arguments read as JS values (a `Date`, a
//! dwell time as text, tags as any JSON-able value), each with its
//! documented reading and error. `visitor_track.js` takes the typed way
//! first and comes here for anything else.

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::invalid_argument;
use super::to_js;
use super::visitor::{field_error, VisitorHandle};
use crate::score::result::RuleTotal;
use crate::score::{EventFields, Interest, Stage, Tier};
use crate::time::Millis;

/// What `score()` returns: what decisions read, and the totals per rule.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    now: Millis,
    fit: f64,
    fit_grade: char,
    engagement: f64,
    level: u8,
    grade: &'a str,
    tier: Tier,
    stage: Stage,
    mql: bool,
    interests: &'a [Interest],
    events: u64,
    rules: &'a [RuleTotal],
}

/// `tags`: a string (one tag), an array of strings, or nothing.
///
/// NOTE: calls out of wasm into JS cost far more than calls in (each
/// tag read on its own took two, a third of a tracked event). So the
/// value crosses as its `JSON.stringify` text, two calls whatever it
/// holds, and is read as that text says: a value with `toJSON` (a `Date`)
/// counts as what it returns. Text that does not read as a string or an
/// array of strings (a lone surrogate, a number) is read again value by
/// value, which keeps or refuses it as scoring does.
fn read_tags(value: Option<JsValue>) -> Result<Vec<String>, JsValue> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let text = js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|t| t.as_string());
    let tags = text.and_then(|t| match t.as_bytes().first() {
        Some(b'[') => plain_strings(&t).or_else(|| serde_json::from_str(&t).ok()),
        Some(b'"') => serde_json::from_str::<String>(&t).ok().map(|tag| vec![tag]),
        _ => None,
    });
    match tags {
        Some(tags) if tags.len() <= crate::score::event::MAX_TAGS => return Ok(tags),
        _ => {}
    }
    if let Some(tag) = value.as_string() {
        return Ok(vec![tag]);
    }
    let Some(list) = value.dyn_ref::<js_sys::Array>() else {
        return Err(invalid_argument(
            "tags",
            "expected a string or an array of strings",
        ));
    };
    // Refused before the strings are copied in; the core checks the rest.
    let count = list.length();
    if count as usize > crate::score::event::MAX_TAGS {
        return Err(invalid_argument("tags", "more than 50 tags"));
    }
    (0..count)
        .map(|i| {
            list.get(i)
                .as_string()
                .ok_or_else(|| invalid_argument("tags", "expected a string or an array of strings"))
        })
        .collect()
}

/// `["a","b"]` without escapes, read without serde_json: most tag lists.
/// `None` for anything else, which serde_json then reads.
fn plain_strings(text: &str) -> Option<Vec<String>> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    if inner.contains('\\') {
        return None;
    }
    let mut tags = Vec::new();
    for item in inner.split(',') {
        // A comma inside a tag splits it: its halves do not both read
        // as strings, or the count of quotes is off.
        let tag = item.strip_prefix('"')?.strip_suffix('"')?;
        if tag.contains('"') {
            return None;
        }
        tags.push(tag.to_string());
    }
    Some(tags)
}

/// A field that may be left out: `None` for `undefined` or `null`.
///
/// NOTE: every argument is a `JsValue` read here, as in the rest of the
/// API, so a value of the wrong type is a typed error; typed parameters
/// would throw the glue's `TypeError` instead.
fn given(value: Option<JsValue>) -> Option<JsValue> {
    value.filter(|v| !v.is_null())
}

fn string_field(value: &JsValue, field: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid_argument(field, "expected a string"))
}

/// Milliseconds, or a `Date`.
fn read_timestamp(value: &JsValue) -> Result<f64, JsValue> {
    if let Some(ms) = value.as_f64() {
        return Ok(ms);
    }
    match value.dyn_ref::<js_sys::Date>() {
        Some(date) => Ok(date.get_time()),
        None => Err(invalid_argument(
            "timestamp",
            "expected milliseconds since the epoch (Date.now()) or a Date",
        )),
    }
}

/// A number, or text read as the fit rules read numbers people typed
/// (`"90"`, `"1,200"`), as scoring reads `properties.dwellSeconds`.
fn read_dwell(value: &JsValue) -> Result<f64, JsValue> {
    let refuse = || invalid_argument("dwellSeconds", "expected a number ≥ 0");
    match value.as_f64() {
        Some(d) => Ok(d),
        None => value
            .as_string()
            .and_then(|s| crate::score::fit::parse_number_loose(&s))
            .ok_or_else(refuse),
    }
}

#[wasm_bindgen(js_class = LiveVisitor)]
impl VisitorHandle {
    /// `visitor.track(action, url?, timestamp?, tags?, dwellSeconds?)`:
    /// adds one event (`action` `"page"` for a page view) at `timestamp`
    /// (milliseconds or a Date; now when left out). Throws
    /// `invalid_argument` naming the field for an event the batch path
    /// would reject.
    pub fn track(
        &mut self,
        action: JsValue,
        url: Option<JsValue>,
        timestamp: Option<JsValue>,
        tags: Option<JsValue>,
        dwell_seconds: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let action = string_field(&action, "action")?;
        let url = given(url).map(|u| string_field(&u, "url")).transpose()?;
        self.add(&action, url, timestamp, tags, dwell_seconds)
    }

    /// `visitor.page(url, timestamp?, tags?, dwellSeconds?)`: a page view.
    pub fn page(
        &mut self,
        url: JsValue,
        timestamp: Option<JsValue>,
        tags: Option<JsValue>,
        dwell_seconds: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let url = string_field(&url, "url")?;
        self.add("page", Some(url), timestamp, tags, dwell_seconds)
    }

    /// `visitor.score(now?, profile?)` → `{now, fit, fitGrade, engagement,
    /// level, grade, tier, stage, mql, interests, events, rules}`: the same
    /// figures `model.score` gives for every event tracked.
    pub fn score(&mut self, now: JsValue, profile: JsValue) -> Result<JsValue, JsValue> {
        let result = self.scored(now, profile)?;
        to_js(&Summary {
            now: result.now,
            fit: result.fit.score,
            fit_grade: result.fit.grade,
            engagement: result.engagement.score,
            level: result.engagement.level,
            grade: &result.grade,
            tier: result.tier,
            stage: result.stage,
            mql: result.mql.qualified,
            interests: &result.interests,
            events: self.live.events(),
            rules: &result.engagement.rules,
        })
    }
}

impl VisitorHandle {
    /// `track` once the name and URL are read.
    fn add(
        &mut self,
        action: &str,
        url: Option<String>,
        timestamp: Option<JsValue>,
        tags: Option<JsValue>,
        dwell_seconds: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let timestamp = given(timestamp).map(|t| read_timestamp(&t)).transpose()?;
        let tags = read_tags(given(tags))?;
        let dwell_seconds = given(dwell_seconds).map(|d| read_dwell(&d)).transpose()?;
        let (timestamp, now) = self.clock(timestamp)?;
        let fields = EventFields {
            action,
            url: url.as_deref(),
            tags: &tags,
            dwell_seconds,
            timestamp,
        };
        self.model
            .track(&mut self.live, &fields, now)
            .map_err(field_error)
    }
}
