//! What the runtime observes on the page: page views (with dwell time and
//! scroll depth), content tags, downloads and outbound links, form
//! submits, and single-page-app navigation.

use std::rc::Rc;

use js_sys::{Function, Reflect};
use serde_json::{json, Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, EventTarget};

use super::runtime::notify;
use super::transport::flush;
use super::{
    get, now, ConfigState, HistoryHook, Page, Rt, Runtime, DOWNLOAD_EXTENSIONS, MAX_PAGE_TAGS,
    SAME_VIEW_MS,
};
use crate::delivery::message_id;

impl Runtime {
    /// Reads the page attributes segments can use and the content tags.
    pub(super) fn read_page(&mut self) {
        let loc = self.window.location();
        let path = loc.pathname().unwrap_or_default();
        let search = loc.search().unwrap_or_default();
        let mut attrs = Map::new();
        attrs.insert("path".into(), Value::String(path.clone()));
        attrs.insert("url".into(), Value::String(loc.href().unwrap_or_default()));
        attrs.insert("referrer".into(), Value::String(self.document.referrer()));
        attrs.insert("title".into(), Value::String(self.document.title()));
        let (query, utm) = parse_query(&search);
        if !utm.is_empty() {
            attrs.insert("utm".into(), Value::Object(utm));
        }
        if !query.is_empty() {
            attrs.insert("query".into(), Value::Object(query));
        }
        let tags = page_tags(&self.document);
        attrs.insert(
            "tags".into(),
            Value::Array(tags.iter().cloned().map(Value::String).collect()),
        );
        let mut location = path;
        location.push_str(&search);
        self.page = Page {
            location,
            attrs,
            tags,
            visible_since: (!self.document.hidden()).then(now),
            started: now(),
            ..Page::default()
        };
    }

    /// Adds the visible time since the last fold to the page event.
    /// Returns whether the page event changed.
    pub(super) fn fold_dwell(&mut self) -> bool {
        let t = now();
        if let Some(since) = self.page.visible_since {
            self.page.dwell_ms += (t - since).max(0.0);
            self.page.visible_since = (!self.document.hidden()).then_some(t);
        } else if !self.document.hidden() {
            self.page.visible_since = Some(t);
        }
        let dwell = (self.page.dwell_ms / 1000.0).floor();
        let depth = (self.page.max_scroll * 100.0).round();
        let mut changed = false;
        if let Some(p) = self.page_properties() {
            if p.get("dwellSeconds").and_then(Value::as_f64) != Some(dwell) {
                p.insert("dwellSeconds".into(), json!(dwell));
                changed = true;
            }
            p.insert("scrollDepth".into(), json!(depth));
        }
        if changed {
            self.save();
        }
        changed
    }

    /// The current page event's properties, as stored.
    fn page_properties(&mut self) -> Option<&mut Map<String, Value>> {
        let id = self.page.message_id.as_deref()?;
        let event = self
            .state
            .events
            .iter_mut()
            .rev()
            .find(|e| message_id(e) == Some(id))?;
        match event.get_mut("properties") {
            Some(Value::Object(p)) => Some(p),
            _ => None,
        }
    }

    /// The page event goes out with the dwell time it has so far.
    fn end_page(&mut self) {
        self.fold_dwell();
        if self.page.queued || self.options.endpoint.is_none() {
            return;
        }
        let Some(id) = self.page.message_id.clone() else {
            return;
        };
        let event = self
            .state
            .events
            .iter()
            .rev()
            .find(|e| message_id(e) == Some(id.as_str()))
            .cloned();
        if let Some(e) = event {
            self.state.outbox.push(e);
            self.page.queued = true;
            self.save();
        }
    }
}

fn parse_query(search: &str) -> (Map<String, Value>, Map<String, Value>) {
    let mut query = Map::new();
    let mut utm = Map::new();
    for pair in search.trim_start_matches('?').split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k.is_empty() {
            continue;
        }
        let decode = |s: &str| -> String {
            let s = s.replace('+', " ");
            js_sys::decode_uri_component(&s)
                .ok()
                .and_then(|d| d.as_string())
                .unwrap_or(s)
        };
        let (k, v) = (decode(k), decode(v));
        if let Some(name) = k.strip_prefix("utm_") {
            utm.insert(name.to_string(), Value::String(v.clone()));
        }
        query.insert(k, Value::String(v));
    }
    (query, utm)
}

/// Content tags from `<meta name="nurture:tags">` and `data-nurture-tags`
/// attributes, comma-separated, lower-cased.
fn page_tags(doc: &Document) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    let mut add = |text: &str| {
        for t in text.split(',') {
            let t = crate::text::lowercase(t.trim());
            if !t.is_empty() && !tags.contains(&t) && tags.len() < MAX_PAGE_TAGS {
                tags.push(t);
            }
        }
    };
    if let Ok(list) = doc.query_selector_all("meta[name=\"nurture:tags\"], [data-nurture-tags]") {
        for i in 0..list.length() {
            let Some(el) = list.get(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
                continue;
            };
            let text = if el.tag_name().eq_ignore_ascii_case("meta") {
                el.get_attribute("content")
            } else {
                el.get_attribute("data-nurture-tags")
            };
            if let Some(text) = text {
                add(&text);
            }
        }
    }
    tags
}

/// Starts a page view: the first load, a single-page-app navigation, or a
/// `page()` call (`manual`). A manual call for the URL (path and query) of
/// the current page view, less than [`SAME_VIEW_MS`] after that view began,
/// is that same view: its properties are added to it and nothing is
/// counted twice (an SPA whose router calls `page()` on top of the
/// automatic tracking of `pushState`, or a framework that runs the effect
/// twice). Either way the slots are applied again. Returns whether a new
/// page view was recorded.
pub(super) fn begin_page(rt: &Rt, extra: Option<Map<String, Value>>, manual: bool) -> bool {
    let counted = {
        let mut r = rt.borrow_mut();
        let counted = !(manual && r.same_view());
        if counted {
            if r.page.message_id.is_some() {
                r.end_page();
            }
            r.read_page();
            let mut props = r.page.attrs.clone();
            props.insert("dwellSeconds".into(), json!(0));
            props.extend(extra.unwrap_or_default());
            let mut event = Map::new();
            event.insert("type".into(), Value::String("page".into()));
            event.insert("properties".into(), Value::Object(props));
            let id = r.record(event, false);
            r.page.message_id = Some(id);
        } else if let Some(extra) = extra.filter(|e| !e.is_empty()) {
            r.add_to_view(extra);
        }
        r.gave_up = r.gave_up && r.config_state != ConfigState::Ready;
        r.apply_all();
        counted
    };
    notify(rt);
    counted
}

impl Runtime {
    /// Whether the page is still at the current page view's URL, and that
    /// view began less than [`SAME_VIEW_MS`] ago (and has not gone out yet).
    fn same_view(&self) -> bool {
        let loc = self.window.location();
        let mut here = loc.pathname().unwrap_or_default();
        here.push_str(&loc.search().unwrap_or_default());
        self.page.message_id.is_some()
            && !self.page.queued
            && here == self.page.location
            && now() - self.page.started < SAME_VIEW_MS
    }

    /// Adds a `page()` call's properties to the current page event.
    fn add_to_view(&mut self, extra: Map<String, Value>) {
        if let Some(props) = self.page_properties() {
            props.extend(extra);
        }
        self.save();
        self.refresh();
    }
}

fn listen(rt: &Rt, target: EventTarget, kind: &'static str, capture: bool, f: fn(&Rt, Event)) {
    let w = Rc::downgrade(rt);
    let closure = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        if let Some(rt) = w.upgrade() {
            f(&rt, e);
        }
    });
    let _ = target.add_event_listener_with_callback_and_bool(
        kind,
        closure.as_ref().unchecked_ref(),
        capture,
    );
    rt.borrow_mut()
        .listeners
        .push((target, kind, capture, closure));
}

pub(super) fn install_listeners(rt: &Rt) {
    let (window, document) = {
        let r = rt.borrow();
        (r.window.clone(), r.document.clone())
    };
    let doc: EventTarget = document.into();
    let win: EventTarget = window.clone().into();
    listen(rt, doc.clone(), "click", true, on_click);
    listen(rt, doc.clone(), "submit", true, on_submit);
    listen(rt, doc, "visibilitychange", false, on_visibility);
    listen(rt, win.clone(), "scroll", false, on_scroll);
    listen(rt, win.clone(), "pagehide", false, on_page_hide);
    listen(rt, win, "popstate", false, |rt, _| on_navigation(rt));
    // Single-page apps change the URL with history.pushState/replaceState,
    // which fire no event: wrap both.
    let history = get(&window, "history");
    for name in ["pushState", "replaceState"] {
        let Ok(original) = get(&history, name).dyn_into::<Function>() else {
            continue;
        };
        let w = Rc::downgrade(rt);
        let (orig, hist) = (original.clone(), history.clone());
        let hook: HistoryHook = Closure::new(move |a: JsValue, b: JsValue, c: JsValue| {
            let out = orig.call3(&hist, &a, &b, &c).unwrap_or(JsValue::UNDEFINED);
            if let Some(rt) = w.upgrade() {
                on_navigation(&rt);
            }
            out
        });
        let _ = Reflect::set(&history, &JsValue::from_str(name), hook.as_ref());
        rt.borrow_mut()
            .history
            .push((history.clone(), name, original, hook));
    }
}

fn on_navigation(rt: &Rt) {
    let changed = {
        let r = rt.borrow();
        let loc = r.window.location();
        let mut here = loc.pathname().unwrap_or_default();
        here.push_str(&loc.search().unwrap_or_default());
        here != r.page.location
    };
    if changed {
        begin_page(rt, None, false);
    }
}

fn on_visibility(rt: &Rt, _: Event) {
    let hidden = rt.borrow().document.hidden();
    {
        let mut r = rt.borrow_mut();
        if hidden {
            r.end_page();
        } else {
            r.fold_dwell();
        }
        r.refresh();
    }
    if hidden {
        flush(rt, true);
    }
    notify(rt);
}

fn on_page_hide(rt: &Rt, _: Event) {
    rt.borrow_mut().end_page();
    flush(rt, true);
}

fn on_scroll(rt: &Rt, _: Event) {
    let mut r = rt.borrow_mut();
    let y = r.window.scroll_y().unwrap_or(0.0);
    let view = r
        .window
        .inner_height()
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    let full = r
        .document
        .document_element()
        .map_or(0.0, |e| f64::from(e.scroll_height()));
    if full > 0.0 {
        let depth = ((y + view) / full).clamp(0.0, 1.0);
        if depth > r.page.max_scroll {
            r.page.max_scroll = depth;
        }
    }
}

fn on_click(rt: &Rt, e: Event) {
    let Some(el) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let Ok(Some(a)) = el.closest("a[href]") else {
        return;
    };
    let href = get(&a, "href").as_string().unwrap_or_default();
    let path = get(&a, "pathname").as_string().unwrap_or_default();
    let host = get(&a, "host").as_string().unwrap_or_default();
    let protocol = get(&a, "protocol").as_string().unwrap_or_default();
    let lower = path.to_ascii_lowercase();
    let is_download =
        a.has_attribute("download") || DOWNLOAD_EXTENSIONS.iter().any(|x| lower.ends_with(x));
    let here = rt.borrow().window.location().host().unwrap_or_default();
    let outbound = !is_download && (protocol == "http:" || protocol == "https:") && host != here;
    if !is_download && !outbound {
        return;
    }
    let mut props = Map::new();
    props.insert("url".into(), Value::String(href));
    let mut tags = rt.borrow().page.tags.clone();
    if let Ok(Some(tagged)) = a.closest("[data-nurture-tags]") {
        for t in tagged
            .get_attribute("data-nurture-tags")
            .unwrap_or_default()
            .split(',')
        {
            let t = crate::text::lowercase(t.trim());
            if !t.is_empty() && !tags.contains(&t) {
                tags.push(t);
            }
        }
    }
    props.insert(
        "tags".into(),
        Value::Array(tags.into_iter().map(Value::String).collect()),
    );
    let name = if is_download {
        props.insert("path".into(), Value::String(path));
        "File Downloaded"
    } else {
        "Outbound Link Clicked"
    };
    track_event(rt, name, props);
}

fn on_submit(rt: &Rt, e: Event) {
    let Some(form) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    if form.has_attribute("data-nurture-ignore") {
        return;
    }
    // Field values are not read here: what the visitor typed reaches nurture
    // only through identify(), which the site calls on purpose.
    let form_id = form
        .get_attribute("id")
        .or_else(|| form.get_attribute("name"))
        .or_else(|| form.get_attribute("action"))
        .unwrap_or_default();
    let mut props = Map::new();
    props.insert("formId".into(), Value::String(form_id));
    let (path, tags) = {
        let r = rt.borrow();
        (r.page.attrs.get("path").cloned(), r.page.tags.clone())
    };
    props.insert("path".into(), path.unwrap_or(Value::Null));
    props.insert(
        "tags".into(),
        Value::Array(tags.into_iter().map(Value::String).collect()),
    );
    track_event(rt, "Form Submitted", props);
}

pub(super) fn track_event(rt: &Rt, name: &str, properties: Map<String, Value>) {
    {
        let mut r = rt.borrow_mut();
        if r.stopped {
            return;
        }
        let mut event = Map::new();
        event.insert("type".into(), Value::String("track".into()));
        event.insert("event".into(), Value::String(name.to_string()));
        event.insert("properties".into(), Value::Object(properties));
        r.record(event, true);
    }
    notify(rt);
}
