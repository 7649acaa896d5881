//! Applies slot decisions to the page, each swap with its own undo.
//!
//! Content comes only from the site's config: `text` is set with
//! `textContent` (never parsed), `html-template` is parsed inside an inert
//! `<template>` and cloned in. Nothing the visitor supplied is ever parsed
//! as HTML: no template is filled with visitor data.

use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlTemplateElement, Node};

pub const SLOT_ATTR: &str = "data-nurture-slot";
/// Set while a slot waits for its decision; `www/assets/site.css` hides it.
pub const PENDING_ATTR: &str = "data-nurture-pending";
/// Set by whoever applied a variant (the edge, or this runtime): its id.
pub const APPLIED_ATTR: &str = "data-nurture-applied";
/// The id of the `<script type="application/json">` the edge injects.
pub const EDGE_DECISIONS_ID: &str = "nurture-decisions";

/// Every element marked as a slot, in document order.
pub fn slot_elements(doc: &Document) -> Vec<Element> {
    let mut out = Vec::new();
    let Ok(list) = doc.query_selector_all("[data-nurture-slot]") else {
        return out;
    };
    for i in 0..list.length() {
        if let Some(el) = list.get(i).and_then(|n| n.dyn_into::<Element>().ok()) {
            out.push(el);
        }
    }
    out
}

pub fn slot_id(el: &Element) -> String {
    el.get_attribute(SLOT_ATTR).unwrap_or_default()
}

/// A slot the edge decided for this page.
pub struct EdgeDecision {
    pub slot: String,
    pub variant: String,
    /// The decision, when the edge chose a variant but left its rendering to
    /// the page (`appliedAtEdge: false`: content that is not a string, such
    /// as a menu's `{items}`). The edge chose it with what only the edge
    /// knows (the visitor's company from the IP, the stored profile), so the
    /// page renders the edge's choice rather than deciding again with less.
    pub render: Option<Value>,
}

/// Slots the edge already decided: elements with `data-nurture-applied`
/// and the decisions in the script the edge injects.
pub fn edge_applied(doc: &Document) -> Vec<EdgeDecision> {
    let mut out: Vec<EdgeDecision> = Vec::new();
    for el in slot_elements(doc) {
        if let Some(variant) = el.get_attribute(APPLIED_ATTR) {
            out.push(EdgeDecision {
                slot: slot_id(&el),
                variant,
                render: None,
            });
        }
    }
    let script = doc
        .get_element_by_id(EDGE_DECISIONS_ID)
        .and_then(|s| s.text_content());
    if let Some(text) = script {
        // A malformed script means the edge decided nothing we can trust.
        if let Ok(value) = serde_json::from_str::<Value>(&text) {
            let list = value
                .get("decisions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for d in list {
                let slot = d.get("slot").and_then(Value::as_str);
                let variant = d.get("variant").and_then(Value::as_str);
                if let (Some(slot), Some(variant)) = (slot, variant) {
                    if !out.iter().any(|e| e.slot == slot) {
                        let left_to_page = d.get("appliedAtEdge") == Some(&Value::Bool(false))
                            && variant != "default";
                        out.push(EdgeDecision {
                            slot: slot.to_string(),
                            variant: variant.to_string(),
                            render: left_to_page.then(|| d.clone()),
                        });
                    }
                }
            }
        }
    }
    out
}

/// Hides the slots that wait for a decision (never the page).
/// Slots the edge rendered are left alone; those it left to the page wait
/// like the others.
pub fn mark_pending(doc: &Document, edge: &[EdgeDecision]) {
    for el in slot_elements(doc) {
        let id = slot_id(&el);
        let rendered_at_edge = edge.iter().any(|e| e.slot == id && e.render.is_none());
        if !el.has_attribute(APPLIED_ATTR) && !rendered_at_edge {
            let _ = el.set_attribute(PENDING_ATTR, "");
        }
    }
}

/// Shows every slot as it is now (decided or default).
pub fn clear_pending(doc: &Document) {
    for el in slot_elements(doc) {
        let _ = el.remove_attribute(PENDING_ATTR);
    }
}

/// Puts a slot back the way it was before its swap.
#[wasm_bindgen]
pub struct SlotUndo {
    el: Element,
    saved: Option<Vec<Node>>,
}

#[wasm_bindgen]
impl SlotUndo {
    /// Restores the original content; a second call does nothing.
    pub fn undo(&mut self) {
        let Some(saved) = self.saved.take() else {
            return;
        };
        while let Some(child) = self.el.first_child() {
            let _ = self.el.remove_child(&child);
        }
        for node in &saved {
            let _ = self.el.append_child(node);
        }
        let _ = self.el.remove_attribute(APPLIED_ATTR);
    }

    /// The slot element.
    #[wasm_bindgen(getter)]
    pub fn element(&self) -> Element {
        self.el.clone()
    }
}

/// Swaps one slot element to a decision `{variant, kind, content}`. The
/// default variant and `null` content leave the element as it is (no undo
/// needed: `Ok(None)`).
pub fn swap(doc: &Document, el: &Element, decision: &Value) -> Result<Option<SlotUndo>, JsValue> {
    let variant = decision
        .get("variant")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let content = decision.get("content").unwrap_or(&Value::Null);
    if variant == "default" || content.is_null() {
        let _ = el.remove_attribute(PENDING_ATTR);
        return Ok(None);
    }
    let kind = decision
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("text");
    let fresh = build(doc, kind, content)?;
    let mut saved = Vec::new();
    while let Some(child) = el.first_child() {
        saved.push(el.remove_child(&child)?);
    }
    el.append_child(&fresh)?;
    el.set_attribute(APPLIED_ATTR, variant)?;
    let _ = el.remove_attribute(PENDING_ATTR);
    Ok(Some(SlotUndo {
        el: el.clone(),
        saved: Some(saved),
    }))
}

/// The new children for a slot, in a fragment.
fn build(doc: &Document, kind: &str, content: &Value) -> Result<Node, JsValue> {
    let frag: Node = doc.create_document_fragment().into();
    match (kind, content) {
        ("html-template", Value::String(html)) => {
            let template: HtmlTemplateElement = doc.create_element("template")?.dyn_into()?;
            // Parsed inert (no scripts run, no images load) and from the
            // site's config only.
            template.set_inner_html(html);
            frag.append_child(&template.content().clone_node_with_deep(true)?)?;
        }
        (_, Value::String(text)) => {
            frag.append_child(&doc.create_text_node(text))?;
        }
        (_, Value::Object(map)) => {
            if let Some(text) = map.get("text").and_then(Value::as_str) {
                frag.append_child(&doc.create_text_node(text))?;
            }
            // A list (a menu): each item a link or a plain label, as text.
            for item in map
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (label, href) = match item {
                    Value::String(s) => (s.as_str(), None),
                    Value::Object(o) => (
                        o.get("text").and_then(Value::as_str).unwrap_or(""),
                        o.get("href").and_then(Value::as_str),
                    ),
                    _ => continue,
                };
                let el = match href.filter(|h| safe_href(h)) {
                    Some(h) => {
                        let a = doc.create_element("a")?;
                        a.set_attribute("href", h)?;
                        a
                    }
                    None => doc.create_element("span")?,
                };
                el.set_text_content(Some(label));
                frag.append_child(&el)?;
            }
        }
        _ => {
            return Err(crate::wasm::invalid_argument(
                "decision.content",
                "expected a string, or {text} / {items}",
            ))
        }
    }
    Ok(frag)
}

/// Relative links and http(s) only: never `javascript:` or `data:`.
fn safe_href(h: &str) -> bool {
    let lower = h.trim_start().to_ascii_lowercase();
    match lower.find(':') {
        None => true,
        Some(colon) => {
            let scheme = lower.get(..colon).unwrap_or("");
            // A colon after a slash, `?` or `#` is not a scheme separator.
            scheme.contains(['/', '?', '#']) || scheme == "http" || scheme == "https"
        }
    }
}
