//! The page's delivery policy: which unsent events make the next batch, what
//! an answer from the edge does to them and to the visitor token, and when
//! to try again. Pure functions over the outbox and typed outcomes: the page
//! runtime (`src/page/transport.rs`) does the I/O (`fetch`, `sendBeacon`,
//! timers, `localStorage`) and asks these what to do, so every rule is
//! tested natively (`tests/delivery.rs`).
//!
//! Delivery is at least once: a batch whose answer is lost (network error,
//! timeout, 5xx, 429) stays in the outbox and goes again with backoff; its
//! `messageId`s let the edge drop what it already has. An event leaves the
//! outbox only when the edge took it, when the edge refused it for good, or
//! when the outbox overflows ([`MAX_OUTBOX`]; the runtime counts those in
//! `state().dropped`).

use serde_json::{json, Value};

/// The most events in one batch.
pub const BATCH_SIZE: usize = 50;
/// A batch's events may not exceed this many bytes as JSON: the worker's
/// default body limit is 64 KiB, and a refused batch is lost.
pub const BATCH_MAX_BYTES: usize = 60 * 1024;
/// Events waiting to be sent; beyond this the oldest are dropped, so a site
/// whose endpoint is down for days cannot fill the visitor's storage.
pub const MAX_OUTBOX: usize = 300;
/// The first wait after a failed batch; each further failure doubles it.
pub const RETRY_FIRST_MS: f64 = 2_000.0;
/// The longest wait between two tries.
pub const RETRY_MAX_MS: f64 = 60_000.0;
/// The longest visitor token kept; the worker refuses longer ones.
pub const MAX_TOKEN_LEN: usize = 200;

/// An event's `messageId`, which names it in the outbox and at the edge.
pub fn message_id(event: &Value) -> Option<&str> {
    event.get("messageId").and_then(Value::as_str)
}

/// Whether `text` can be kept and sent back as a visitor token: the
/// worker's alphabet (`v1.<kid>.<id>.<issued>.<mac>`: base64url, digits and
/// dots) and length. Anything else is not a token the edge signed, and some
/// of it (a line break) would make `fetch` throw on the header.
pub fn valid_token(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_TOKEN_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

/// Queues an event for the edge, keeping the newest [`MAX_OUTBOX`].
/// Returns how many unsent events were dropped, oldest first, to make room.
pub fn enqueue(outbox: &mut Vec<Value>, event: Value) -> usize {
    outbox.push(event);
    trim_front(outbox, MAX_OUTBOX)
}

/// Removes the events named by `ids` from the outbox. An event without a
/// `messageId` cannot be sent (nothing would acknowledge it), so it goes
/// too.
pub fn acknowledge(outbox: &mut Vec<Value>, ids: &[String]) {
    outbox.retain(|e| match message_id(e) {
        Some(id) => !ids.iter().any(|a| a == id),
        None => false,
    });
}

/// Keeps the newest `keep` items; returns how many went.
pub fn trim_front(list: &mut Vec<Value>, keep: usize) -> usize {
    let drop = list.len().saturating_sub(keep);
    list.drain(..drop);
    drop
}

/// What the runtime knows when it may send.
pub struct Sender<'a> {
    /// Events not yet acknowledged, oldest first.
    pub outbox: &'a [Value],
    /// `messageId`s of the batches on their way: not sent twice at once.
    pub in_flight: &'a [&'a str],
    /// Whether an endpoint was given (`options.endpoint`).
    pub endpoint: bool,
    pub consent: bool,
    pub stopped: bool,
    /// The endpoint is on another origin: the token carries the identity.
    pub cross_origin: bool,
    /// The stored visitor token.
    pub token: Option<&'a str>,
    /// The page is going away (hidden or unloading).
    pub leaving: bool,
}

/// A batch to send.
#[derive(Debug, PartialEq)]
pub struct Batch {
    /// The events as a JSON array, each serialized once: measured for
    /// [`BATCH_MAX_BYTES`] and sent as they are.
    pub events: String,
    /// Their `messageId`s, which the answer settles.
    pub ids: Vec<String>,
    /// The token to send (as the `x-nurture-visitor` header on `fetch`):
    /// the stored one, and only to another origin, whose cookie may never
    /// reach it. The same origin's worker has its first-party cookie.
    pub token: Option<String>,
    /// How the batch leaves the page.
    pub carrier: Carrier,
}

/// How a batch leaves the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// `fetch`, whose answer settles the batch.
    Fetch,
    /// The page is going away: `sendBeacon`, whose queue is the browser's
    /// promise to deliver, so a queued beacon counts as delivered and the
    /// next page does not send the batch again ([`Outcome::Beaconed`]). A
    /// refused beacon (over its quota) falls back to a `keepalive` fetch.
    Beacon,
}

/// The next batch: up to [`BATCH_SIZE`] unsent events that are not already
/// on their way, oldest first, within [`BATCH_MAX_BYTES`] (the first event
/// always goes: the page refuses an event over the edge's own limit when
/// it is tracked). `None` when there is nothing to send, or no endpoint,
/// consent, or running runtime to send it.
pub fn next_batch(s: &Sender) -> Option<Batch> {
    if !s.endpoint || !s.consent || s.stopped {
        return None;
    }
    let mut events = String::from("[");
    let mut ids: Vec<String> = Vec::new();
    let mut bytes = 0;
    for event in s.outbox {
        let Some(id) = message_id(event).filter(|id| !s.in_flight.contains(id)) else {
            continue;
        };
        if ids.len() == BATCH_SIZE {
            break;
        }
        let text = serde_json::to_string(event).unwrap_or_default();
        bytes += text.len() + 1;
        if !ids.is_empty() {
            if bytes > BATCH_MAX_BYTES {
                break;
            }
            events.push(',');
        }
        events.push_str(&text);
        ids.push(id.to_string());
    }
    if ids.is_empty() {
        return None;
    }
    events.push(']');
    Some(Batch {
        events,
        ids,
        token: s.token.filter(|_| s.cross_origin).map(str::to_string),
        carrier: if s.leaving {
            Carrier::Beacon
        } else {
            Carrier::Fetch
        },
    })
}

impl Batch {
    /// The request body, `{events, consent: true, sentAt}`. A beacon cannot
    /// carry the token header, so a batch sent as the page goes away carries
    /// the token in the body too (`visitorToken`), for the beacon and for
    /// the keepalive fetch that may stand in for it.
    pub fn body(&self, sent_at: f64) -> String {
        let mut body = String::from("{\"events\":");
        body.push_str(&self.events);
        body.push_str(",\"consent\":true,\"sentAt\":");
        body.push_str(&json!(sent_at.round()).to_string());
        if let (Carrier::Beacon, Some(t)) = (self.carrier, &self.token) {
            // A valid token needs no escaping; serde_json escapes anyway.
            body.push_str(",\"visitorToken\":");
            body.push_str(&Value::String(t.clone()).to_string());
        }
        body.push('}');
        body
    }
}

/// How a sent batch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The browser queued the beacon.
    Beaconed,
    /// `fetch` failed without an answer: network error, timeout, CORS,
    /// the page going away.
    Failed,
    /// An HTTP answer, with its `x-nurture-visitor` header as received
    /// (a cross-origin answer shows it only if the worker exposes it).
    Answered { status: u16, token: Option<String> },
}

/// Who a batch was sent for: the local visitor id and the token it went out
/// with. An answer may only update (or drop) the token of the visitor it
/// was sent for, not of the one that replaced it after `consent(false)`.
/// An answer to a batch the runtime no longer knows is for nobody
/// (`Default`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentFor {
    pub visitor: String,
    pub token: Option<String>,
}

/// The runtime as the answer finds it.
pub struct Current<'a> {
    pub visitor: &'a str,
    pub token: Option<&'a str>,
    pub cross_origin: bool,
    pub consent: bool,
}

/// What becomes of the batch's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// The edge has them (2xx: accepted, or duplicates of events it already
    /// had), or the browser queued the beacon: they leave the outbox.
    Delivered,
    /// The edge will never take them (400, 413, 422: malformed, too large,
    /// invalid): they leave the outbox rather than fail forever.
    Refused,
    /// Nothing is known (network error, 429, 5xx, any other status): they
    /// stay and go again after the [`Backoff`] wait.
    Retry,
    /// The edge refused the stored token (401): the token is dropped and the
    /// events go again at once, without it, so the worker starts a new
    /// visitor rather than refusing every batch from now on.
    ResendWithoutToken,
}

/// What happens to the stored visitor token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenChange {
    Keep,
    /// Forgotten: the worker will never take it again (expired, signed with
    /// a retired key, or not the worker's).
    Forget,
    /// The newest token the worker answered with (it re-signs after a key
    /// rotation).
    Replace(String),
}

/// What an answer settles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub fate: Fate,
    pub token: TokenChange,
}

/// Settles a batch from its outcome. A 2xx settles the whole batch: the
/// edge's answer names each event accepted, duplicate or rejected (invalid,
/// and refused again if resent), so none is worth sending again.
pub fn settle(sent: &SentFor, now: &Current, outcome: Outcome) -> Settlement {
    let keep = |fate| Settlement {
        fate,
        token: TokenChange::Keep,
    };
    let (status, received) = match outcome {
        Outcome::Beaconed => return keep(Fate::Delivered),
        Outcome::Failed => return keep(Fate::Retry),
        Outcome::Answered { status, token } => (status, token),
    };
    let ours = now.cross_origin && now.consent && sent.visitor == now.visitor;
    if ours && status == 401 && sent.token.is_some() && now.token == sent.token.as_deref() {
        return Settlement {
            fate: Fate::ResendWithoutToken,
            token: TokenChange::Forget,
        };
    }
    let token = match received {
        Some(t) if ours && valid_token(&t) && now.token != Some(t.as_str()) => {
            TokenChange::Replace(t)
        }
        _ => TokenChange::Keep,
    };
    let fate = match status {
        200..=299 => Fate::Delivered,
        400 | 413 | 422 => Fate::Refused,
        _ => Fate::Retry,
    };
    Settlement { fate, token }
}

/// The wait before the next try after a failure: [`RETRY_FIRST_MS`],
/// doubled at each failure up to [`RETRY_MAX_MS`], back to the first after
/// a delivered batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    next_ms: f64,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            next_ms: RETRY_FIRST_MS,
        }
    }
}

impl Backoff {
    /// A batch failed: how long to wait before the next try.
    pub fn failed(&mut self) -> f64 {
        let wait = self.next_ms;
        self.next_ms = (self.next_ms * 2.0).min(RETRY_MAX_MS);
        wait
    }

    /// A batch was delivered: the next failure waits the first wait again.
    pub fn delivered(&mut self) {
        self.next_ms = RETRY_FIRST_MS;
    }
}
