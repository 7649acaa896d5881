// Erasure and retention (SECURITY.md, Privacy): DELETE /v1/visitor,
// POST /v1/admin/erase, the collector's erasure signal, dead letters purged,
// queued messages of an erased visitor dropped, and the retention alarm.
// Every test runs against the built worker in workerd.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { startWorker, startCollector, post, waitFor, ADMIN_TOKEN, ORIGIN, ok, errorCode } from "./harness.mjs";
import { makeToken } from "./tokens.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const HOT = { email: "erase.me@bigco.example", company: "BigCo", industry: "Oil & Gas", title: "VP of Operations" };

let mf;
let col;
let mode = "ok"; // the collector's answer to every request

before(async () => {
  col = await startCollector({ fault: () => mode });
  mf = await startWorker({
    vars: { COLLECTOR_URL: col.url, IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000" },
    queue: { maxBatchTimeout: 0.1, maxRetries: 3 },
  });
});
after(async () => {
  await mf?.dispose();
  await col?.close();
});

/** A new visitor with an identified, scored history: {visitorId, token}. */
async function hotVisitor(tag) {
  const now = Date.now();
  const res = await post(mf, {
    events: [
      { type: "identify", messageId: `${tag}-1`, timestamp: now - 2000, traits: HOT },
      { type: "page", messageId: `${tag}-2`, timestamp: now - 1000, properties: { path: "/pricing" } },
      { type: "track", event: "Demo Requested", messageId: `${tag}-3`, timestamp: now },
    ],
  });
  const body = await ok(res);
  assert.equal(body.accepted.length, 3);
  return { visitorId: body.visitorId, token: res.headers.get("x-nurture-visitor") };
}

async function inspect(visitorId) {
  const ns = await mf.getDurableObjectNamespace("VISITORS");
  return ns.get(ns.idFromName(visitorId)).inspect();
}

async function deadLettersOf(visitorId) {
  const ns = await mf.getDurableObjectNamespace("DEAD_LETTERS");
  const items = await ns.get(ns.idFromName("global")).list(5000);
  return items.filter((i) => i.body.visitorId === visitorId);
}

const received = (visitorId, pred = () => true) => [...col.byKey.values()].filter((m) => m.visitorId === visitorId && pred(m));
const isErasure = (m) => m.event?.event === "Visitor Erased";

function eraseReq(headers) {
  return mf.dispatchFetch("http://worker.test/v1/visitor", { method: "DELETE", headers: { "cf-connecting-ip": "203.0.113.9", ...headers } });
}

function admin(body, headers = {}) {
  return mf.dispatchFetch("http://worker.test/v1/admin/erase", {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

// From an address outside the accounts table, so that only the stored
// profile can put the visitor in the oil-gas segment.
async function segmentsFor(token) {
  const headers = { "x-nurture-visitor": token, "cf-connecting-ip": "192.0.2.55" };
  const body = await ok(await post(mf, undefined, { path: "/v1/decide?path=/", method: "GET", headers }));
  return body.segments;
}

test("erase via cookie: state, score and dead letters gone, cookie expired, one erasure signal, a replay re-sends nothing", async () => {
  // Two visitors whose forwarded events the collector refuses (4xx): both
  // get dead letters. Only the first is erased.
  mode = "refuse";
  const a = await hotVisitor("ck-a");
  const b = await hotVisitor("ck-b");
  assert.ok(await waitFor(async () => (await deadLettersOf(a.visitorId)).length >= 3 && (await deadLettersOf(b.visitorId)).length >= 3));
  mode = "ok";
  assert.ok((await segmentsFor(a.token)).includes("oil-gas"), "before: the profile drives a segment");
  const deadBefore = (await deadLettersOf(a.visitorId)).length;

  const res = await eraseReq({ cookie: `nurture_vid=${a.token}`, origin: ORIGIN });
  const out = await ok(res);
  assert.equal(out.visitorId, a.visitorId);
  assert.equal(out.erased, true);
  assert.equal(out.removed.events, 3);
  assert.ok(out.removed.profileFields >= 4, JSON.stringify(out.removed));
  assert.equal(out.removed.score, true);
  assert.equal(out.removed.deadLetters, deadBefore);
  assert.match(res.headers.get("set-cookie"), /^nurture_vid=; Path=\/; Max-Age=0; HttpOnly; Secure; SameSite=None$/);
  assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN, "CORS like the other browser routes");

  // The old token now names an empty visitor.
  const kept = await inspect(a.visitorId);
  assert.equal(kept.events, 0);
  assert.equal(kept.seen, 0);
  assert.deepEqual(kept.profile, {});
  assert.equal(kept.last, null);
  assert.ok(!(await segmentsFor(a.token)).includes("oil-gas"), "after: no profile left to segment on");
  assert.ok((await segmentsFor(b.token)).includes("oil-gas"), "the other visitor is untouched");

  // Dead letters: the erased visitor's gone, the other's kept; a replay
  // delivers the other's only.
  assert.equal((await deadLettersOf(a.visitorId)).length, 0);
  assert.ok((await deadLettersOf(b.visitorId)).length >= 3);
  const replay = await ok(await mf.dispatchFetch("http://worker.test/v1/admin/replay", {
    method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-length": "0" },
  }));
  assert.ok(replay.delivered >= 3);
  assert.ok(received(b.visitorId, (m) => m.kind === "event").length >= 3);
  assert.equal(received(a.visitorId, (m) => m.kind === "event").length, 0, "no erased event was re-sent");

  // Exactly one erasure signal, carrying nothing of what it erases.
  assert.ok(await waitFor(() => received(a.visitorId, isErasure).length >= 1));
  await sleep(500);
  const sigs = received(a.visitorId, isErasure);
  assert.equal(sigs.length, 1);
  assert.deepEqual(sigs[0].profile, {});
  assert.equal(sigs[0].score, null);
  assert.equal(sigs[0].event.properties.requestedBy, "visitor");
  assert.ok(!JSON.stringify(sigs[0]).includes("bigco"), "no e-mail or company in the signal");

  // Idempotent: 200, nothing erased, no second signal.
  const again = await ok(await eraseReq({ cookie: `nurture_vid=${a.token}`, origin: ORIGIN }));
  assert.equal(again.erased, false);
  assert.deepEqual(again.removed, { events: 0, profileFields: 0, score: false, deadLetters: 0 });
  assert.equal(again.erasedAt, out.erasedAt);
  await sleep(500);
  assert.equal(received(a.visitorId, isErasure).length, 1);

  // A late batch with the erased token starts no new history under the id.
  const late = await post(mf, { events: [{ type: "page", messageId: "ck-late", timestamp: Date.now() }] }, { headers: { "x-nurture-visitor": a.token } });
  assert.match(late.headers.get("set-cookie"), /^nurture_vid=; Path=\/; Max-Age=0;/, "and its cookie is expired");
  assert.deepEqual(await errorCode(late), [401, "visitor_erased"]);
  assert.equal((await inspect(a.visitorId)).events, 0);
});

test("erase via header: no Origin needed; an expired token still erases its own data", async () => {
  const v = await hotVisitor("hd");
  const out = await ok(await eraseReq({ "x-nurture-visitor": v.token }));
  assert.equal(out.visitorId, v.visitorId);
  assert.equal(out.erased, true);
  assert.equal(out.removed.events, 3);
  assert.equal((await inspect(v.visitorId)).events, 0);
  assert.ok(await waitFor(() => received(v.visitorId, isErasure).length === 1));

  // A token past VISITOR_TTL_DAYS (and signed with the older key): its
  // signature still proves whose data it is.
  const visitorId = randomBytes(16).toString("base64url");
  const old = makeToken({ kid: "k1", secret: "first-secret-0123456789", visitorId, iat: Math.floor(Date.now() / 1000) - 400 * 86400 });
  const gone = await ok(await eraseReq({ "x-nurture-visitor": old }));
  assert.equal(gone.visitorId, visitorId);
  assert.equal(gone.erased, true);
});

test("erase refuses without a valid identity, and from an unlisted origin, before anything is erased", async () => {
  const v = await hotVisitor("csrf");
  assert.deepEqual(await errorCode(await eraseReq({ origin: ORIGIN })), [401, "no_visitor"]);
  const forged = makeToken({ secret: "not-the-secret-0123456789", visitorId: v.visitorId });
  assert.deepEqual(await errorCode(await eraseReq({ "x-nurture-visitor": forged })), [401, "invalid_visitor_token"]);
  assert.deepEqual(await errorCode(await eraseReq({ "x-nurture-visitor": "v1.zz.nope" })), [401, "invalid_visitor_token"]);
  // CSRF: a page on another site makes the browser send the visitor's cookie.
  assert.deepEqual(await errorCode(await eraseReq({ cookie: `nurture_vid=${v.token}`, origin: "https://evil.example" })), [403, "origin_not_allowed"]);
  const pre = await mf.dispatchFetch("http://worker.test/v1/visitor", {
    method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "DELETE" },
  });
  assert.equal(pre.status, 403);
  const good = await mf.dispatchFetch("http://worker.test/v1/visitor", {
    method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "DELETE" },
  });
  assert.equal(good.status, 204);
  assert.match(good.headers.get("access-control-allow-methods"), /DELETE/);

  const kept = await inspect(v.visitorId);
  assert.equal(kept.events, 3, "nothing was erased");
  assert.equal(kept.erasedAt, null);
  await sleep(300);
  assert.equal(received(v.visitorId, isErasure).length, 0, "no erasure signal");
});

test("a batch racing the erasure cannot bring the history back", async () => {
  const v = await hotVisitor("race");
  const headers = { "x-nurture-visitor": v.token };
  const batches = Array.from({ length: 12 }, (_, i) =>
    post(mf, { events: [{ type: "page", messageId: `race-${i}`, timestamp: Date.now() }] }, { headers }));
  const erasure = eraseReq(headers);
  const statuses = (await Promise.all(batches)).map((r) => r.status);
  await ok(await erasure);
  for (const s of statuses) assert.ok(s === 200 || s === 401, String(s));
  const kept = await inspect(v.visitorId);
  assert.equal(kept.events, 0);
  assert.deepEqual(kept.profile, {});
  assert.notEqual(kept.erasedAt, null);
  // After the erasure every batch is refused.
  const late = await post(mf, { events: [{ type: "page", messageId: "race-late", timestamp: Date.now() }] }, { headers });
  assert.deepEqual(await errorCode(late), [401, "visitor_erased"]);
});

test("messages of an erased visitor still in the forwarding queue are dropped, the erasure signal delivered", async () => {
  const failed = col.stats.failed;
  mode = "fail"; // 503: everything goes to the queue
  const v = await hotVisitor("queued");
  assert.ok(await waitFor(() => col.stats.failed > failed), "the events' direct delivery failed");
  await sleep(200);
  await ok(await eraseReq({ "x-nurture-visitor": v.token }));
  await sleep(300);
  mode = "ok";
  assert.ok(await waitFor(() => received(v.visitorId, isErasure).length === 1, { timeoutMs: 30_000 }));
  await sleep(3000); // past the queue's retry delay (1-2 s) for the events
  assert.equal(received(v.visitorId, (m) => m.kind === "event").length, 0, "no queued event delivered after the erasure");
  assert.equal((await deadLettersOf(v.visitorId)).length, 0);
});

test("admin erase: per-id outcomes, all-or-nothing validation, bounded, bearer only, never from a browser", async () => {
  const v = await hotVisitor("adm");
  const unknown = randomBytes(16).toString("base64url");

  assert.deepEqual(await errorCode(await admin({ visitorIds: [v.visitorId] }, { authorization: "" })), [401, "unauthorized"]);
  assert.deepEqual(await errorCode(await admin({ visitorIds: [v.visitorId] }, { authorization: "Bearer nope" })), [401, "unauthorized"]);
  assert.deepEqual(await errorCode(await admin({ visitorIds: [v.visitorId] }, { origin: ORIGIN })), [403, "origin_not_allowed"]);
  assert.deepEqual(await errorCode(await admin({ ids: [v.visitorId] })), [400, "invalid_body"]);
  assert.deepEqual(await errorCode(await admin({ visitorIds: [] })), [400, "invalid_field"]);
  const many = Array.from({ length: 101 }, () => randomBytes(16).toString("base64url"));
  assert.deepEqual(await errorCode(await admin({ visitorIds: many })), [413, "too_many_ids"]);
  const bad = await admin({ visitorIds: [v.visitorId, "short", 42, `${v.visitorId}x`, "../../etc/passwd_______"] });
  assert.equal(bad.status, 400);
  const badBody = await bad.json();
  assert.equal(badBody.error.code, "invalid_visitor_id");
  assert.deepEqual(badBody.error.details.invalid, [1, 2, 3, 4]);
  assert.equal((await inspect(v.visitorId)).events, 3, "a bad id erases nothing, not even the good ones");

  const out = await ok(await admin({ visitorIds: [v.visitorId, unknown] }));
  assert.equal(out.erased, 2);
  const [first, second] = out.visitors;
  assert.equal(first.visitorId, v.visitorId);
  assert.equal(first.erased, true);
  assert.equal(first.removed.events, 3);
  assert.equal(second.visitorId, unknown);
  assert.equal(second.erased, true);
  assert.equal(second.removed.events, 0);
  assert.equal((await inspect(v.visitorId)).events, 0);
  assert.ok(await waitFor(() => received(v.visitorId, isErasure).length === 1 && received(unknown, isErasure).length === 1));
  assert.equal(received(v.visitorId, isErasure)[0].event.properties.requestedBy, "operator");

  const again = await ok(await admin({ visitorIds: [v.visitorId] }));
  assert.equal(again.erased, 0);
  assert.equal(again.visitors[0].erased, false);
  // The visitor's own erasure after the operator's is a no-op too.
  assert.equal((await ok(await eraseReq({ "x-nurture-visitor": v.token }))).erased, false);
  await sleep(300);
  assert.equal(received(v.visitorId, isErasure).length, 1);
});

test("retention: the alarm deletes an inactive visitor and keeps an active one", async () => {
  const c2 = await startCollector();
  const RETENTION_MS = 2500;
  const w = await startWorker({
    vars: { COLLECTOR_URL: c2.url, RETENTION_DAYS: String(RETENTION_MS / 86_400_000), IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000" },
  });
  try {
    const ns = await w.getDurableObjectNamespace("VISITORS");
    const look = (id) => ns.get(ns.idFromName(id)).inspect();
    const send = async (token, i) => {
      const res = await post(w, { events: [{ type: "page", messageId: `ret-${i}-${Math.random()}`, timestamp: Date.now(), properties: { path: "/pricing" } }] },
        { headers: token ? { "x-nurture-visitor": token } : {} });
      const body = await ok(res);
      return { visitorId: body.visitorId, token: res.headers.get("x-nurture-visitor") };
    };
    // Before the idle visitor's only batch: its retention runs from that
    // batch, so nothing can delete it sooner than RETENTION_MS after this
    // (taken after the batch, a loaded machine made the bound flaky).
    const started = Date.now();
    const idle = await send(null, 0);
    const busy = await send(null, 0);
    assert.equal((await look(idle.visitorId)).events, 1);
    let sent = 1;
    // The busy visitor sends every 500 ms (well inside the retention period)
    // until the idle one is gone.
    const gone = await waitFor(async () => {
      await send(busy.token, sent++);
      return (await look(idle.visitorId)).events === 0;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    assert.ok(gone, "the idle visitor was deleted");
    assert.ok(Date.now() - started >= RETENTION_MS - 200, "not before the retention period");
    const kept = await look(busy.visitorId);
    assert.equal(kept.events, sent, "the active visitor keeps every event");
    const idleNow = await look(idle.visitorId);
    assert.deepEqual(idleNow.profile, {});
    assert.equal(idleNow.last, null);
    assert.equal(idleNow.erasedAt, null, "retention leaves no tombstone: a later batch starts afresh");
    // And the busy one goes too once it stops.
    assert.ok(await waitFor(async () => (await look(busy.visitorId)).events === 0, { timeoutMs: 60_000, intervalMs: 250 }));
  } finally {
    await w.dispose();
    await c2.close();
  }
});
