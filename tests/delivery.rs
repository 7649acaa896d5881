//! The page's delivery policy (`src/delivery.rs`), natively: which events
//! make a batch, what each answer does to them and to the visitor token,
//! the backoff, and a property test that over any sequence of answers no
//! event is lost or settled twice.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use nurture::delivery::{
    acknowledge, enqueue, next_batch, settle, valid_token, Backoff, Batch, Carrier, Current, Fate,
    Outcome, Sender, SentFor, Settlement, TokenChange, BATCH_MAX_BYTES, BATCH_SIZE, MAX_OUTBOX,
    RETRY_FIRST_MS, RETRY_MAX_MS,
};
use proptest::prelude::*;
use serde_json::{json, Value};

const VISITOR: &str = "0123456789abcdef0123456789abcdef";
const TOKEN: &str = "v1.k2.AAAAAAAAAAAAAAAAAAAAAA.1700000000.sig_-";

fn event(seq: usize) -> Value {
    json!({"type": "track", "event": "Clicked", "messageId": format!("{VISITOR}-{seq}")})
}

fn outbox(n: usize) -> Vec<Value> {
    (0..n).map(event).collect()
}

fn ids(events: &[&Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["messageId"].as_str().unwrap().to_string())
        .collect()
}

fn sender<'a>(outbox: &'a [Value], in_flight: &'a [&'a str]) -> Sender<'a> {
    Sender {
        outbox,
        in_flight,
        endpoint: true,
        consent: true,
        stopped: false,
        cross_origin: true,
        token: Some(TOKEN),
        leaving: false,
    }
}

fn answered(status: u16, token: Option<&str>) -> Outcome {
    Outcome::Answered {
        status,
        token: token.map(str::to_string),
    }
}

/// A batch sent for [`VISITOR`] with [`TOKEN`], answered while the runtime
/// still holds both, cross-origin and with consent.
fn settle_ours(outcome: Outcome) -> Settlement {
    let sent = SentFor {
        visitor: VISITOR.into(),
        token: Some(TOKEN.into()),
    };
    let now = Current {
        visitor: VISITOR,
        token: Some(TOKEN),
        cross_origin: true,
        consent: true,
    };
    settle(&sent, &now, outcome)
}

#[test]
fn a_token_is_the_workers_alphabet_within_200_bytes() {
    for good in [TOKEN, "a", "A-Z_a.z-0.9", &"x".repeat(200)] {
        assert!(valid_token(good), "{good:?}");
    }
    for bad in [
        "",
        &"x".repeat(201),
        "v1.k2\r\nset-cookie: x",
        "has space",
        "base64+/=",
        "ünïcode",
        "tab\t",
    ] {
        assert!(!valid_token(bad), "{bad:?}");
    }
}

#[test]
fn a_full_outbox_drops_its_oldest_unsent_events() {
    let mut out = Vec::new();
    for seq in 0..MAX_OUTBOX {
        assert_eq!(enqueue(&mut out, event(seq)), 0);
    }
    assert_eq!(enqueue(&mut out, event(MAX_OUTBOX)), 1);
    assert_eq!(out.len(), MAX_OUTBOX);
    assert_eq!(out[0], event(1), "the oldest went");
    assert_eq!(out[MAX_OUTBOX - 1], event(MAX_OUTBOX), "the newest stays");
}

#[test]
fn acknowledging_removes_the_named_events_and_those_without_an_id() {
    let mut out = outbox(4);
    out.insert(2, json!({"type": "track", "event": "no id"}));
    acknowledge(&mut out, &[format!("{VISITOR}-1"), "elsewhere".into()]);
    assert_eq!(out, vec![event(0), event(2), event(3)]);
}

#[test]
fn nothing_is_sent_without_an_endpoint_consent_a_running_runtime_or_events() {
    let out = outbox(3);
    let base = || sender(&out, &[]);
    assert!(next_batch(&base()).is_some());
    for s in [
        Sender {
            endpoint: false,
            ..base()
        },
        Sender {
            consent: false,
            ..base()
        },
        Sender {
            stopped: true,
            ..base()
        },
        Sender {
            outbox: &[],
            ..base()
        },
    ] {
        assert_eq!(next_batch(&s), None);
    }
}

#[test]
fn a_batch_is_the_oldest_50_events_not_already_on_their_way() {
    let out = outbox(120);
    let first = next_batch(&sender(&out, &[])).unwrap();
    assert_eq!(
        first.ids,
        ids(&out.iter().take(BATCH_SIZE).collect::<Vec<_>>())
    );
    let sent: Value = serde_json::from_str(&first.events).unwrap();
    assert_eq!(sent, json!(out[..BATCH_SIZE]));
    let busy: Vec<&str> = first.ids.iter().map(String::as_str).collect();
    let second = next_batch(&sender(&out, &busy)).unwrap();
    assert_eq!(second.ids.first().unwrap(), &format!("{VISITOR}-50"));
    assert_eq!(second.ids.len(), BATCH_SIZE);
    // Every event on its way, or without an id: nothing to send.
    let all: Vec<String> = ids(&out.iter().collect::<Vec<_>>());
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    assert_eq!(next_batch(&sender(&out, &all)), None);
    let anonymous = vec![json!({"type": "track", "event": "no id"})];
    assert_eq!(next_batch(&sender(&anonymous, &[])), None);
}

#[test]
fn a_batch_stays_within_60_kib_but_always_takes_its_first_event() {
    let big = |seq: usize| {
        let mut e = event(seq);
        e["properties"] = json!({"text": "x".repeat(4_000)});
        e
    };
    let out: Vec<Value> = (0..BATCH_SIZE).map(big).collect();
    let batch = next_batch(&sender(&out, &[])).unwrap();
    let taken = batch.ids.len();
    let size = |e: &Value| serde_json::to_string(e).unwrap().len() + 1;
    let bytes: usize = out[..taken].iter().map(size).sum();
    assert!(bytes <= BATCH_MAX_BYTES, "{bytes}");
    assert!(taken < BATCH_SIZE);
    assert!(bytes + size(&out[taken]) > BATCH_MAX_BYTES);
    // The events as sent are the outbox's, in its order.
    let sent: Value = serde_json::from_str(&batch.events).unwrap();
    assert_eq!(sent, json!(out[..taken]));
    // One event over the cap alone still goes (the edge judges it).
    let mut huge = event(0);
    huge["properties"] = json!({"text": "x".repeat(BATCH_MAX_BYTES)});
    let out = vec![huge, event(1)];
    assert_eq!(next_batch(&sender(&out, &[])).unwrap().ids.len(), 1);
}

#[test]
fn the_token_goes_only_to_another_origin_and_in_the_body_only_as_the_page_leaves() {
    let out = outbox(2);
    let fetch = next_batch(&sender(&out, &[])).unwrap();
    assert_eq!(
        (fetch.token.as_deref(), fetch.carrier),
        (Some(TOKEN), Carrier::Fetch)
    );
    let body: Value = serde_json::from_str(&fetch.body(1_700_000_000_000.4)).unwrap();
    assert_eq!(
        body,
        json!({"events": [event(0), event(1)], "consent": true, "sentAt": 1_700_000_000_000.0})
    );
    let leaving = next_batch(&Sender {
        leaving: true,
        ..sender(&out, &[])
    })
    .unwrap();
    assert_eq!(leaving.carrier, Carrier::Beacon);
    let body: Value = serde_json::from_str(&leaving.body(0.0)).unwrap();
    assert_eq!(body["visitorToken"], TOKEN);
    let same_origin = Sender {
        cross_origin: false,
        leaving: true,
        ..sender(&out, &[])
    };
    let batch: Batch = next_batch(&same_origin).unwrap();
    assert_eq!(batch.token, None);
    let body: Value = serde_json::from_str(&batch.body(0.0)).unwrap();
    assert_eq!(body.get("visitorToken"), None);
}

#[test]
fn a_2xx_or_a_queued_beacon_delivers_the_whole_batch() {
    // The edge's 200 names each event accepted, duplicate or rejected
    // (invalid, refused again if resent): none is worth sending again.
    for status in [200, 202, 204, 299] {
        assert_eq!(settle_ours(answered(status, None)).fate, Fate::Delivered);
    }
    assert_eq!(
        settle_ours(Outcome::Beaconed),
        Settlement {
            fate: Fate::Delivered,
            token: TokenChange::Keep
        }
    );
}

#[test]
fn a_batch_the_edge_will_never_take_is_refused_and_leaves_the_outbox() {
    // 413 too: the page keeps batches within 60 KiB, so a smaller limit at
    // the edge refuses the batch, which is dropped rather than split.
    for status in [400, 413, 422] {
        assert_eq!(settle_ours(answered(status, None)).fate, Fate::Refused);
    }
}

#[test]
fn nothing_is_lost_on_5xx_429_network_errors_or_timeouts() {
    for outcome in [
        Outcome::Failed,
        answered(0, None),
        answered(301, None),
        answered(403, None),
        answered(404, None),
        answered(408, None),
        answered(429, None),
        answered(500, None),
        answered(502, None),
        answered(503, None),
        answered(504, None),
    ] {
        assert_eq!(
            settle_ours(outcome.clone()).fate,
            Fate::Retry,
            "{outcome:?}"
        );
    }
}

#[test]
fn a_401_to_the_stored_token_forgets_it_and_resends_at_once() {
    assert_eq!(
        settle_ours(answered(401, Some("v1.new"))),
        Settlement {
            fate: Fate::ResendWithoutToken,
            token: TokenChange::Forget
        }
    );
    let now = |token| Current {
        visitor: VISITOR,
        token,
        cross_origin: true,
        consent: true,
    };
    let sent_for = |token: Option<&str>| SentFor {
        visitor: VISITOR.into(),
        token: token.map(str::to_string),
    };
    // Sent without a token, or the stored token changed since: retried,
    // and the newer stored token stays.
    for (sent, stored) in [
        (None, Some(TOKEN)),
        (None, None),
        (Some("v1.old"), Some(TOKEN)),
    ] {
        let s = settle(&sent_for(sent), &now(stored), answered(401, None));
        assert_eq!((s.fate, s.token), (Fate::Retry, TokenChange::Keep));
    }
}

#[test]
fn an_answer_updates_only_the_token_of_the_visitor_it_was_sent_for() {
    let sent = SentFor {
        visitor: VISITOR.into(),
        token: None,
    };
    let now = Current {
        visitor: VISITOR,
        token: None,
        cross_origin: true,
        consent: true,
    };
    let s = settle(&sent, &now, answered(200, Some(TOKEN)));
    assert_eq!(s.token, TokenChange::Replace(TOKEN.into()));
    // The same token again: nothing to store.
    let holding = Current {
        token: Some(TOKEN),
        ..now
    };
    assert_eq!(
        settle(&sent, &holding, answered(200, Some(TOKEN))).token,
        TokenChange::Keep
    );
    // A refused or failed batch still carries the re-signed token.
    assert_eq!(
        settle(&sent, &now, answered(503, Some(TOKEN))).token,
        TokenChange::Replace(TOKEN.into())
    );
    let others = [
        // consent(false) replaced the visitor while the batch was out.
        Current {
            visitor: "another",
            ..now
        },
        Current {
            consent: false,
            ..now
        },
        // Same origin: the cookie names the visitor.
        Current {
            cross_origin: false,
            ..now
        },
    ];
    for other in others {
        let s = settle(&sent, &other, answered(200, Some(TOKEN)));
        assert_eq!((s.fate, s.token), (Fate::Delivered, TokenChange::Keep));
        // Nor does its 401 drop the new visitor's token.
        let s = settle(
            &SentFor {
                token: Some(TOKEN.into()),
                ..sent.clone()
            },
            &Current {
                token: Some(TOKEN),
                ..other
            },
            answered(401, None),
        );
        assert_eq!(s.token, TokenChange::Keep);
    }
    // An answer to a batch the runtime no longer knows is nobody's.
    assert_eq!(
        settle(&SentFor::default(), &now, answered(200, Some(TOKEN))).token,
        TokenChange::Keep
    );
    // Something that cannot be a token is never stored.
    for bad in ["", "v1.k2\r\nx", &"x".repeat(201)] {
        assert_eq!(
            settle(&sent, &now, answered(200, Some(bad))).token,
            TokenChange::Keep
        );
    }
}

#[test]
fn the_wait_doubles_to_a_minute_and_resets_once_delivered() {
    let mut b = Backoff::default();
    let waits: Vec<f64> = (0..7).map(|_| b.failed()).collect();
    assert_eq!(
        waits,
        [
            2_000.0,
            4_000.0,
            8_000.0,
            16_000.0,
            32_000.0,
            RETRY_MAX_MS,
            RETRY_MAX_MS
        ]
    );
    b.delivered();
    assert_eq!(b.failed(), RETRY_FIRST_MS);
}

/// One step of the runtime, as the transport drives the policy.
#[derive(Debug, Clone)]
enum Step {
    /// An event is tracked (queued for the edge).
    Track,
    /// The runtime flushes; `leaving`: on page hide, where the beacon is
    /// queued or (`beacon: false`) refused and a keepalive fetch goes.
    Flush { leaving: bool, beacon: bool },
    /// The answer to one of the batches on their way.
    Answer { which: usize, outcome: Outcome },
    /// `consent(false)` then `consent(true)`: a new visitor, whose state
    /// (outbox and token) starts empty.
    NewVisitor,
}

fn outcome() -> impl Strategy<Value = Outcome> {
    let status = prop::sample::select(vec![200u16, 204, 400, 401, 413, 422, 429, 500, 503]);
    let token = prop::option::of(prop::sample::select(vec!["v1.a", "v1.b", "bad token"]));
    prop_oneof![
        Just(Outcome::Failed),
        (status, token).prop_map(|(status, token)| Outcome::Answered {
            status,
            token: token.map(str::to_string)
        }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => Just(Step::Track),
        3 => (any::<bool>(), any::<bool>()).prop_map(|(leaving, beacon)| Step::Flush { leaving, beacon }),
        4 => (any::<usize>(), outcome()).prop_map(|(which, outcome)| Step::Answer { which, outcome }),
        1 => Just(Step::NewVisitor),
    ]
}

/// The runtime's delivery state and a ledger of how each event left the
/// outbox.
#[derive(Default)]
struct Sim {
    visitor: u32,
    cross_origin: bool,
    seq: usize,
    outbox: Vec<Value>,
    token: Option<String>,
    in_flight: Vec<(Vec<String>, SentFor)>,
    /// `state().dropped`: events the outbox overflowed.
    dropped: u64,
    created: BTreeSet<String>,
    delivered: BTreeSet<String>,
    refused: BTreeSet<String>,
    overflowed: BTreeSet<String>,
    withdrawn: BTreeSet<String>,
    /// Every event that went out at least once.
    sent: BTreeSet<String>,
}

impl Sim {
    fn visitor_id(&self) -> String {
        format!("{:032x}", self.visitor)
    }

    fn ids(&self) -> BTreeSet<String> {
        self.outbox
            .iter()
            .map(|e| e["messageId"].as_str().unwrap().to_string())
            .collect()
    }

    /// Records in `into` the events that left the outbox since `before`,
    /// each exactly once.
    fn left(before: &BTreeSet<String>, after: &BTreeSet<String>, into: &mut BTreeSet<String>) {
        for id in before.difference(after) {
            assert!(into.insert(id.clone()), "{id} left the outbox twice");
        }
    }

    fn track(&mut self) {
        let e = json!({"type": "track", "event": "Clicked", "messageId": format!("{}-{}", self.visitor_id(), self.seq)});
        self.seq += 1;
        self.created
            .insert(e["messageId"].as_str().unwrap().to_string());
        let before = self.ids();
        let n = enqueue(&mut self.outbox, e);
        self.dropped += n as u64;
        let after = self.ids();
        let mut gone = BTreeSet::new();
        Self::left(&before, &after, &mut gone);
        assert_eq!(gone.len(), n);
        self.overflowed.extend(gone);
    }

    fn flush(&mut self, leaving: bool, beacon: bool) {
        let busy: Vec<String> = self
            .in_flight
            .iter()
            .flat_map(|(ids, _)| ids.clone())
            .collect();
        let busy: Vec<&str> = busy.iter().map(String::as_str).collect();
        let Some(batch) = next_batch(&Sender {
            outbox: &self.outbox,
            in_flight: &busy,
            endpoint: true,
            consent: true,
            stopped: false,
            cross_origin: self.cross_origin,
            token: self.token.as_deref(),
            leaving,
        }) else {
            return;
        };
        for id in &batch.ids {
            assert!(!busy.contains(&id.as_str()), "{id} sent while on its way");
        }
        assert_eq!(
            batch.token.is_some(),
            self.cross_origin && self.token.is_some()
        );
        self.sent.extend(batch.ids.iter().cloned());
        let sent_for = SentFor {
            visitor: self.visitor_id(),
            token: batch.token.clone(),
        };
        let ids = batch.ids;
        if leaving && beacon {
            self.answer_batch(ids, sent_for, Outcome::Beaconed);
        } else {
            self.in_flight.push((ids, sent_for));
        }
    }

    fn answer(&mut self, which: usize, outcome: Outcome) {
        if self.in_flight.is_empty() {
            return;
        }
        let (ids, sent_for) = self.in_flight.remove(which % self.in_flight.len());
        self.answer_batch(ids, sent_for, outcome);
    }

    fn answer_batch(&mut self, ids: Vec<String>, sent_for: SentFor, outcome: Outcome) {
        let visitor = self.visitor_id();
        let now = Current {
            visitor: &visitor,
            token: self.token.as_deref(),
            cross_origin: self.cross_origin,
            consent: true,
        };
        let ours = sent_for.visitor == visitor && self.cross_origin;
        let s = settle(&sent_for, &now, outcome);
        match s.token {
            TokenChange::Keep => {}
            TokenChange::Forget => {
                assert!(ours && self.token.is_some() && self.token == sent_for.token);
                self.token = None;
            }
            TokenChange::Replace(t) => {
                assert!(ours && valid_token(&t));
                self.token = Some(t);
            }
        }
        let before = self.ids();
        match s.fate {
            Fate::Delivered | Fate::Refused => acknowledge(&mut self.outbox, &ids),
            Fate::Retry | Fate::ResendWithoutToken => {}
        }
        let after = self.ids();
        match s.fate {
            Fate::Delivered => Self::left(&before, &after, &mut self.delivered),
            Fate::Refused => Self::left(&before, &after, &mut self.refused),
            // Kept: nothing of the batch left the outbox.
            Fate::Retry | Fate::ResendWithoutToken => assert_eq!(before, after),
        }
        for id in before.difference(&after) {
            assert!(ids.contains(id), "{id} left the outbox without being sent");
        }
    }

    fn new_visitor(&mut self) {
        self.withdrawn.extend(self.ids());
        self.outbox.clear();
        self.token = None;
        self.visitor += 1;
        self.seq = 0;
    }

    /// The network comes back: every batch answered 200 until nothing is
    /// left to send.
    fn drain(&mut self) {
        for _ in 0..1_000 {
            while !self.in_flight.is_empty() {
                self.answer(0, answered(200, None));
            }
            if self.outbox.is_empty() {
                return;
            }
            self.flush(false, false);
        }
        panic!("the outbox did not drain: {} left", self.outbox.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Over any sequence of tracks, flushes, answers (2xx, refusals, 401s,
    /// 429, 5xx, network errors, tokens good and bad) and visitor changes,
    /// then a network that comes back: every event was delivered, refused
    /// by the edge, dropped by a full outbox (and counted in `dropped`) or
    /// withdrawn with consent, exactly one of these, and none was ever sent
    /// while already on its way.
    #[test]
    fn no_event_is_lost_or_settled_twice(
        cross_origin in any::<bool>(),
        steps in prop::collection::vec(step(), 0..400),
    ) {
        let mut sim = Sim { cross_origin, ..Sim::default() };
        for s in steps {
            match s {
                Step::Track => sim.track(),
                Step::Flush { leaving, beacon } => sim.flush(leaving, beacon),
                Step::Answer { which, outcome } => sim.answer(which, outcome),
                Step::NewVisitor => sim.new_visitor(),
            }
            prop_assert!(sim.outbox.len() <= MAX_OUTBOX);
        }
        sim.drain();
        let fates = [&sim.delivered, &sim.refused, &sim.overflowed, &sim.withdrawn];
        let total: usize = fates.iter().map(|f| f.len()).sum();
        let union: BTreeSet<&String> = fates.iter().flat_map(|f| f.iter()).collect();
        prop_assert_eq!(total, union.len(), "an event had two fates");
        prop_assert_eq!(union, sim.created.iter().collect::<BTreeSet<_>>());
        prop_assert_eq!(sim.dropped, sim.overflowed.len() as u64);
        prop_assert!(sim.delivered.is_subset(&sim.sent));
        prop_assert!(sim.refused.is_subset(&sim.sent));
    }
}
