//! Sending events to the edge: the I/O around the delivery policy
//! ([`crate::delivery`], which decides what goes, what an answer settles
//! and what becomes of the visitor token). Batches go over `fetch`, or
//! `sendBeacon` when the page goes away; retries wait on the flush timer.

use std::rc::Rc;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::RequestInit;

use super::{get, now, then2, warn, InFlight, Rt, TOKEN_HEADER};
use crate::delivery::{self, Carrier, Current, Fate, Outcome, Sender, SentFor, TokenChange};

/// Sends the next batch ([`delivery::next_batch`]) if there is one.
pub(super) fn flush(rt: &Rt, leaving: bool) {
    let (window, url, body, ids, sent_for, carrier) = {
        let r = rt.borrow();
        let in_flight: Vec<&str> = r
            .in_flight
            .iter()
            .flat_map(|b| b.ids.iter().map(String::as_str))
            .collect();
        let Some(batch) = delivery::next_batch(&Sender {
            outbox: &r.state.outbox,
            in_flight: &in_flight,
            endpoint: r.options.endpoint.is_some(),
            consent: r.consent,
            stopped: r.stopped,
            cross_origin: r.cross_origin,
            token: r.state.token.as_deref(),
            leaving,
        }) else {
            return;
        };
        let mut url = r.options.endpoint.clone().unwrap_or_default();
        url.push_str("/v1/events");
        let sent_for = SentFor {
            visitor: r.state.id.clone(),
            token: batch.token.clone(),
        };
        (
            r.window.clone(),
            url,
            batch.body(now()),
            batch.ids,
            sent_for,
            batch.carrier,
        )
    };
    let keepalive = carrier == Carrier::Beacon;
    if keepalive
        && window
            .navigator()
            .send_beacon_with_opt_str(&url, Some(&body))
            .unwrap_or(false)
    {
        let mut r = rt.borrow_mut();
        delivery::acknowledge(&mut r.state.outbox, &ids);
        r.save();
        return;
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
    if let Some(t) = &sent_for.token {
        let _ = Reflect::set(&headers, &TOKEN_HEADER.into(), &t.into());
    }
    init.set_headers(&headers);
    let promise = window.fetch_with_str_and_init(&url, &init);
    let w1 = Rc::downgrade(rt);
    let w2 = w1.clone();
    let (ids1, ids2) = (ids.clone(), ids.clone());
    let ok = Closure::<dyn FnMut(JsValue)>::new(move |resp: JsValue| {
        if let Some(rt) = w1.upgrade() {
            let outcome = Outcome::Answered {
                // A response always has a status; 0 (retried) stands in
                // for one that has none.
                status: get(&resp, "status").as_f64().map_or(0, |s| s as u16),
                token: response_token(&resp),
            };
            on_sent(&rt, &ids1, outcome);
        }
    });
    let err = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
        if let Some(rt) = w2.upgrade() {
            on_sent(&rt, &ids2, Outcome::Failed);
        }
    });
    then2(&promise.into(), ok.as_ref(), err.as_ref());
    rt.borrow_mut().in_flight.push(InFlight {
        ids,
        sent_for,
        handlers: vec![ok, err],
    });
}

/// The `x-nurture-visitor` header of a `fetch` answer (the policy checks
/// that it can be a token).
fn response_token(resp: &JsValue) -> Option<String> {
    let headers = get(resp, "headers");
    let read = get(&headers, "get").dyn_into::<Function>().ok()?;
    read.call1(&headers, &JsValue::from_str(TOKEN_HEADER))
        .ok()?
        .as_string()
}

/// A batch came back: does what [`delivery::settle`] says to the outbox,
/// the stored token and the flush timer.
fn on_sent(rt: &Rt, ids: &[String], outcome: Outcome) {
    let mut r = rt.borrow_mut();
    let mut sent_for = SentFor::default();
    if let Some(pos) = r.in_flight.iter().position(|b| b.ids == ids) {
        let batch = r.in_flight.remove(pos);
        sent_for = batch.sent_for;
        r.graveyard.extend(batch.handlers);
    }
    let settled = delivery::settle(
        &sent_for,
        &Current {
            visitor: &r.state.id,
            token: r.state.token.as_deref(),
            cross_origin: r.cross_origin,
            consent: r.consent,
        },
        outcome,
    );
    match settled.token {
        TokenChange::Keep => {}
        TokenChange::Forget => {
            warn("nurture: the edge refused the stored visitor token; it is dropped");
            r.state.token = None;
            r.save();
        }
        TokenChange::Replace(t) => {
            r.state.token = Some(t);
            r.save();
        }
    }
    match settled.fate {
        Fate::Delivered => {
            delivery::acknowledge(&mut r.state.outbox, ids);
            r.backoff.delivered();
            r.save();
            // What is left goes now; with nothing left, the flush timer
            // still runs once, to clear the finished handlers.
            if !r.state.outbox.is_empty() || r.flush_timer.is_none() {
                r.set_timer(1, 0);
            }
        }
        Fate::Refused => {
            warn("nurture: the edge refused a batch of events; they are dropped");
            delivery::acknowledge(&mut r.state.outbox, ids);
            r.save();
        }
        Fate::Retry => {
            let wait = r.backoff.failed();
            if r.flush_timer.is_none() {
                r.set_timer(1, wait as i32);
            }
        }
        Fate::ResendWithoutToken => r.set_timer(1, 0),
    }
}
