//! Sending events to the edge: batches over `fetch` (or `sendBeacon` when
//! the page goes away), retries with backoff, and the visitor token.

use std::rc::Rc;

use js_sys::{Function, Object, Reflect};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::RequestInit;

use super::state::{message_id, valid_token};
use super::{
    get, now, then2, warn, Batch, Rt, Runtime, BATCH_MAX_BYTES, BATCH_SIZE, RETRY_FIRST_MS,
    RETRY_MAX_MS, TOKEN_HEADER,
};

/// Sends up to [`BATCH_SIZE`] unsent events that are not already on their
/// way, with `fetch`; `keepalive` (page hide) uses `sendBeacon` first.
/// Delivery is at least once: a batch whose answer was lost is sent again,
/// and its `messageId`s let the edge drop what it already has.
pub(super) fn flush(rt: &Rt, keepalive: bool) {
    let (window, url, body, ids, anon, token) = {
        let r = rt.borrow();
        let Some(endpoint) = r.options.endpoint.clone() else {
            return;
        };
        if !r.consent || r.stopped {
            return;
        }
        let busy: Vec<&String> = r.in_flight.iter().flat_map(|b| b.ids.iter()).collect();
        // At most BATCH_SIZE events and BATCH_MAX_BYTES of them (always
        // one): a batch over the edge's body limit would be refused whole.
        let mut bytes = 0;
        let batch: Vec<Value> = r
            .state
            .outbox
            .iter()
            .filter(|e| message_id(e).is_some_and(|id| !busy.iter().any(|b| b.as_str() == id)))
            .take(BATCH_SIZE)
            .take_while(|e| {
                let first = bytes == 0;
                bytes += serde_json::to_string(e).map_or(0, |t| t.len() + 1);
                first || bytes <= BATCH_MAX_BYTES
            })
            .cloned()
            .collect();
        if batch.is_empty() {
            return;
        }
        let ids: Vec<String> = batch
            .iter()
            .filter_map(|e| message_id(e).map(str::to_string))
            .collect();
        let token = if r.cross_origin {
            r.state.token.clone()
        } else {
            None
        };
        let mut body = json!({"events": batch, "consent": true, "sentAt": now().round()});
        // The beacon cannot carry the header: the token rides in the body.
        if let (true, Some(t), Value::Object(map)) = (keepalive, &token, &mut body) {
            map.insert("visitorToken".into(), Value::String(t.clone()));
        }
        let body = body.to_string();
        let mut url = endpoint;
        url.push_str("/v1/events");
        (r.window.clone(), url, body, ids, r.state.id.clone(), token)
    };
    if keepalive {
        // The page is going away: the beacon queue is the browser's promise
        // to deliver, so the batch counts as sent and the next page does not
        // send it again. A refused beacon (over its quota) falls back to a
        // keepalive fetch.
        if window
            .navigator()
            .send_beacon_with_opt_str(&url, Some(&body))
            .unwrap_or(false)
        {
            let mut r = rt.borrow_mut();
            r.state.acknowledge(&ids);
            r.save();
            return;
        }
    }
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&body));
    // `RequestInit.keepalive` has no setter in web-sys yet.
    let _ = Reflect::set(&init, &"keepalive".into(), &keepalive.into());
    let headers = Object::new();
    let _ = Reflect::set(&headers, &"content-type".into(), &"application/json".into());
    // Credentials stay at fetch's default (same-origin): the same-origin
    // worker gets its cookie as before; another origin gets the token
    // header instead. `include` would add nothing the token does not carry,
    // and a worker that allows any origin ("*") could not answer it at all.
    if let Some(t) = &token {
        let _ = Reflect::set(&headers, &TOKEN_HEADER.into(), &t.into());
    }
    init.set_headers(&headers);
    let promise = window.fetch_with_str_and_init(&url, &init);
    let w1 = Rc::downgrade(rt);
    let w2 = w1.clone();
    let (ids1, ids2) = (ids.clone(), ids.clone());
    let ok = Closure::<dyn FnMut(JsValue)>::new(move |resp: JsValue| {
        if let Some(rt) = w1.upgrade() {
            on_sent(
                &rt,
                &ids1,
                get(&resp, "status").as_f64(),
                response_token(&resp),
            );
        }
    });
    let err = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
        if let Some(rt) = w2.upgrade() {
            on_sent(&rt, &ids2, None, None);
        }
    });
    then2(&promise.into(), ok.as_ref(), err.as_ref());
    rt.borrow_mut().in_flight.push(Batch {
        ids,
        anon,
        token,
        handlers: vec![ok, err],
    });
}

/// The `x-nurture-visitor` header of a `fetch` answer, when it holds
/// something that can be a token (a cross-origin answer shows it only if
/// the worker exposes it, which it does for the origins it lists).
fn response_token(resp: &JsValue) -> Option<String> {
    let headers = get(resp, "headers");
    let read = get(&headers, "get").dyn_into::<Function>().ok()?;
    read.call1(&headers, &JsValue::from_str(TOKEN_HEADER))
        .ok()?
        .as_string()
        .filter(|t| valid_token(t))
}

impl Runtime {
    fn retry_later(&mut self) {
        if self.flush_timer.is_none() {
            let ms = self.retry_ms;
            self.set_timer(1, ms as i32);
        }
        self.retry_ms = (self.retry_ms * 2.0).min(RETRY_MAX_MS);
    }
}

/// A batch came back. 2xx: done. 400/413/422: the edge will never take
/// these events, so they are dropped rather than retried forever. Anything
/// else (network error, 429, 5xx): kept and retried with backoff; the
/// `messageId`s let the edge drop a batch it had already taken.
///
/// The token: the newest one the worker answered with is kept (the worker
/// re-signs after a key rotation). A 401 to a batch sent with the stored
/// token means the worker will never take that token again (expired,
/// signed with a retired key, or not the worker's): it is forgotten and the
/// batch goes again at once, without it, so the worker starts a new visitor
/// rather than refusing every batch from now on.
fn on_sent(rt: &Rt, ids: &[String], status: Option<f64>, received: Option<String>) {
    let mut r = rt.borrow_mut();
    let mut sent = None;
    if let Some(pos) = r.in_flight.iter().position(|b| b.ids == ids) {
        let batch = r.in_flight.remove(pos);
        sent = Some((batch.anon, batch.token));
        r.graveyard.extend(batch.handlers);
    }
    let (anon, token) = sent.unwrap_or_default();
    let ours = r.cross_origin && r.consent && anon == r.state.id;
    if ours && status == Some(401.0) && token.is_some() && r.state.token == token {
        warn("nurture: the edge refused the stored visitor token; it is dropped");
        r.state.token = None;
        r.save();
        r.set_timer(1, 0);
        return;
    }
    if let (true, Some(t)) = (ours, received) {
        if r.state.token.as_ref() != Some(&t) {
            r.state.token = Some(t);
            r.save();
        }
    }
    match status {
        Some(s) if (200.0..300.0).contains(&s) => {
            r.state.acknowledge(ids);
            r.retry_ms = RETRY_FIRST_MS;
            r.save();
            if !r.state.outbox.is_empty() {
                r.set_timer(1, 0);
            } else if r.flush_timer.is_none() {
                // Let the flush timer clear the finished handlers.
                r.set_timer(1, 0);
            }
        }
        Some(s) if s == 400.0 || s == 413.0 || s == 422.0 => {
            warn("nurture: the edge refused a batch of events; they are dropped");
            r.state.acknowledge(ids);
            r.save();
        }
        _ => r.retry_later(),
    }
}
