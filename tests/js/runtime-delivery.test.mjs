// The page runtime's delivery policy (pkg-template/runtime/delivery.js),
// the cases of tests/delivery.rs: which events make a batch, what each
// answer does to them and to the visitor token, and the backoff.
import test from "node:test";
import assert from "node:assert/strict";
import {
  acknowledge, enqueue, nextBatch, batchBody, settle, validToken, Backoff,
  BATCH_MAX_BYTES, BATCH_SIZE, MAX_OUTBOX, RETRY_FIRST_MS, RETRY_MAX_MS,
} from "../../pkg-template/runtime/delivery.js";

const VISITOR = "0123456789abcdef0123456789abcdef";
const TOKEN = "v1.k2.AAAAAAAAAAAAAAAAAAAAAA.1700000000.sig_-";
const event = (seq) => ({ type: "track", event: "Clicked", messageId: `${VISITOR}-${seq}` });
const outbox = (n) => Array.from({ length: n }, (_, i) => event(i));
const sender = (out, inFlight = [], more = {}) => ({
  outbox: out, inFlight, endpoint: true, consent: true, stopped: false, crossOrigin: true, token: TOKEN, leaving: false, ...more,
});
const answered = (status, token = null) => ({ status, token });
const ours = (outcome) => settle({ visitor: VISITOR, token: TOKEN }, { visitor: VISITOR, token: TOKEN, crossOrigin: true, consent: true }, outcome);

test("a token is the worker's alphabet within 200 bytes", () => {
  for (const good of [TOKEN, "a", "A-Z_a.z-0.9", "x".repeat(200)]) assert.ok(validToken(good), good);
  for (const bad of ["", "x".repeat(201), "v1.k2\r\nset-cookie: x", "has space", "base64+/=", "ünïcode", "tab\t", null]) {
    assert.ok(!validToken(bad), String(bad));
  }
});

test("a full outbox drops its oldest unsent events", () => {
  const out = [];
  for (let seq = 0; seq < MAX_OUTBOX; seq++) assert.equal(enqueue(out, event(seq)), 0);
  assert.equal(enqueue(out, event(MAX_OUTBOX)), 1);
  assert.equal(out.length, MAX_OUTBOX);
  assert.deepEqual(out[0], event(1), "the oldest went");
  assert.deepEqual(out.at(-1), event(MAX_OUTBOX), "the newest stays");
});

test("acknowledging removes the named events and those without an id", () => {
  const out = outbox(4);
  out.splice(2, 0, { type: "track", event: "no id" });
  acknowledge(out, [`${VISITOR}-1`, "elsewhere"]);
  assert.deepEqual(out, [event(0), event(2), event(3)]);
});

test("nothing is sent without an endpoint, consent, a running runtime or events", () => {
  const out = outbox(3);
  assert.ok(nextBatch(sender(out)));
  for (const more of [{ endpoint: false }, { consent: false }, { stopped: true }, { outbox: [] }]) {
    assert.equal(nextBatch(sender(out, [], more)), null, JSON.stringify(more));
  }
});

test("a batch is the oldest 50 events not already on their way", () => {
  const out = outbox(120);
  const first = nextBatch(sender(out));
  assert.deepEqual(first.ids, out.slice(0, BATCH_SIZE).map((e) => e.messageId));
  assert.deepEqual(JSON.parse(first.events), out.slice(0, BATCH_SIZE));
  const second = nextBatch(sender(out, first.ids));
  assert.equal(second.ids[0], `${VISITOR}-50`);
  assert.equal(second.ids.length, BATCH_SIZE);
  assert.equal(nextBatch(sender(out, out.map((e) => e.messageId))), null);
  assert.equal(nextBatch(sender([{ type: "track", event: "no id" }])), null);
});

test("a batch stays within 60 KiB but always takes its first event", () => {
  const big = (seq) => ({ ...event(seq), properties: { text: "x".repeat(4000) } });
  const out = Array.from({ length: BATCH_SIZE }, (_, i) => big(i));
  const batch = nextBatch(sender(out));
  const taken = batch.ids.length;
  const size = (e) => JSON.stringify(e).length + 1;
  const bytes = out.slice(0, taken).reduce((n, e) => n + size(e), 0);
  assert.ok(bytes <= BATCH_MAX_BYTES, String(bytes));
  assert.ok(taken < BATCH_SIZE);
  assert.ok(bytes + size(out[taken]) > BATCH_MAX_BYTES);
  assert.deepEqual(JSON.parse(batch.events), out.slice(0, taken));
  const huge = { ...event(0), properties: { text: "x".repeat(BATCH_MAX_BYTES) } };
  assert.equal(nextBatch(sender([huge, event(1)])).ids.length, 1);
});

test("the token goes only to another origin, and in the body only as the page leaves", () => {
  const out = outbox(2);
  const fetch = nextBatch(sender(out));
  assert.deepEqual([fetch.token, fetch.beacon], [TOKEN, false]);
  assert.deepEqual(JSON.parse(batchBody(fetch, 1_700_000_000_000.4)), { events: [event(0), event(1)], consent: true, sentAt: 1_700_000_000_000 });
  const leaving = nextBatch(sender(out, [], { leaving: true }));
  assert.equal(leaving.beacon, true);
  assert.equal(JSON.parse(batchBody(leaving, 0)).visitorToken, TOKEN);
  const same = nextBatch(sender(out, [], { crossOrigin: false, leaving: true }));
  assert.equal(same.token, null);
  assert.equal("visitorToken" in JSON.parse(batchBody(same, 0)), false);
});

test("a 2xx or a queued beacon delivers the whole batch", () => {
  for (const status of [200, 202, 204, 299]) assert.equal(ours(answered(status)).fate, "delivered");
  assert.deepEqual(ours("beaconed"), { fate: "delivered", token: undefined });
});

test("a batch the edge will never take is refused and leaves the outbox", () => {
  for (const status of [400, 413, 422]) assert.equal(ours(answered(status)).fate, "refused");
});

test("nothing is lost on 5xx, 429, network errors or timeouts", () => {
  for (const outcome of ["failed", ...[0, 301, 403, 404, 408, 429, 500, 502, 503, 504].map((s) => answered(s))]) {
    assert.equal(ours(outcome).fate, "retry", JSON.stringify(outcome));
  }
});

test("a 401 to the stored token forgets it and resends at once", () => {
  assert.deepEqual(ours(answered(401, "v1.new")), { fate: "resend", token: null });
  const now = (token) => ({ visitor: VISITOR, token, crossOrigin: true, consent: true });
  for (const [sent, stored] of [[null, TOKEN], [null, null], ["v1.old", TOKEN]]) {
    assert.deepEqual(settle({ visitor: VISITOR, token: sent }, now(stored), answered(401)), { fate: "retry", token: undefined });
  }
});

test("an answer updates only the token of the visitor it was sent for", () => {
  const sent = { visitor: VISITOR, token: null };
  const now = { visitor: VISITOR, token: null, crossOrigin: true, consent: true };
  assert.equal(settle(sent, now, answered(200, TOKEN)).token, TOKEN);
  assert.equal(settle(sent, { ...now, token: TOKEN }, answered(200, TOKEN)).token, undefined, "the same token: nothing to store");
  assert.equal(settle(sent, now, answered(503, TOKEN)).token, TOKEN, "a failed batch still carries the re-signed token");
  for (const other of [{ ...now, visitor: "another" }, { ...now, consent: false }, { ...now, crossOrigin: false }]) {
    assert.deepEqual(settle(sent, other, answered(200, TOKEN)), { fate: "delivered", token: undefined });
    assert.equal(settle({ ...sent, token: TOKEN }, { ...other, token: TOKEN }, answered(401)).token, undefined);
  }
  assert.equal(settle(null, now, answered(200, TOKEN)).token, undefined, "an unknown batch is nobody's");
  for (const bad of ["", "v1.k2\r\nx", "x".repeat(201)]) assert.equal(settle(sent, now, answered(200, bad)).token, undefined);
});

test("the wait doubles to a minute and resets once delivered", () => {
  const b = new Backoff();
  assert.deepEqual(Array.from({ length: 7 }, () => b.failed()), [2000, 4000, 8000, 16000, 32000, RETRY_MAX_MS, RETRY_MAX_MS]);
  b.delivered();
  assert.equal(b.failed(), RETRY_FIRST_MS);
});

test("over any sequence of answers no event is lost or settled twice", () => {
  // tests/delivery.rs's property, with a seeded generator: every event
  // created is at the end delivered, refused, overflowed, withdrawn or
  // still in the outbox, exactly one of them.
  let seed = 42;
  const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let run = 0; run < 200; run++) {
    let visitor = 0, seq = 0, token = null;
    let out = [];
    const flying = [];
    const created = new Set(), left = new Map();
    const gone = (before, how) => {
      const now = new Set(out.map((e) => e.messageId));
      for (const id of before) if (!now.has(id)) {
        assert.ok(!left.has(id), `${id} left twice`);
        left.set(id, how);
      }
    };
    const id = () => String(visitor).padStart(32, "0");
    for (let step = 0; step < 60; step++) {
      const before = out.map((e) => e.messageId);
      const r = rand(14);
      if (r < 6) {
        const e = { type: "track", messageId: `${id()}-${seq++}` };
        created.add(e.messageId);
        enqueue(out, e);
        gone(before, "overflowed");
      } else if (r < 9) {
        const batch = nextBatch({ outbox: out, inFlight: flying.flatMap((b) => b.ids), endpoint: true, consent: true, stopped: false, crossOrigin: true, token, leaving: false });
        if (batch) flying.push({ ids: batch.ids, sentFor: { visitor: id(), token: batch.token } });
      } else if (r < 13 && flying.length) {
        const [b] = flying.splice(rand(flying.length), 1);
        const statuses = [200, 204, 400, 401, 413, 422, 429, 500, 503];
        const outcome = rand(5) === 0 ? "failed" : answered(statuses[rand(statuses.length)], ["v1.a", "v1.b", "bad token", null][rand(4)]);
        const s = settle(b.sentFor, { visitor: id(), token, crossOrigin: true, consent: true }, outcome);
        if (s.token !== undefined) token = s.token;
        if (s.fate === "delivered" || s.fate === "refused") {
          acknowledge(out, b.ids);
          gone(before, s.fate);
        }
      } else if (r === 13) {
        for (const m of before) left.set(m, "withdrawn");
        visitor++;
        seq = 0;
        out = [];
        token = null;
      }
    }
    for (const { messageId: m } of out) {
      assert.ok(!left.has(m), `${m} both left and kept`);
      left.set(m, "kept");
    }
    assert.deepEqual([...left.keys()].sort(), [...created].sort());
  }
});
