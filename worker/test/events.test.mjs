// /v1/events against the built worker in workerd: the happy path, visitor
// tokens and key rotation, dedup, forged scores, concurrency, consent, e-mail
// hashing, CORS, rate limits, trap recovery and lifecycle signals.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startWorker, startCollector, post, backOffice, waitFor, ORIGIN, ok } from "./harness.mjs";
import { makeToken } from "./tokens.mjs";
import { here, workerOptions } from "../miniflare.mjs";

const DAY = 86_400_000;
let mf;
let col;

const hotProfile = { email: "li.wei@petrochina.com.cn", title: "VP of Operations", company: "PetroChina", industry: "Oil & Gas", companySize: 5000, country: "CN", budget: "approved", timeline: "this quarter" };
// What the CRM and the events team know of the lead (a back-office source:
// only it can report these, and its traits count for fit).
function hotBackOffice(now, prefix) {
  return [
    { type: "identify", messageId: `${prefix}-id`, timestamp: now - 61 * DAY, traits: hotProfile },
    { type: "track", event: "Event Attended", messageId: `${prefix}-ev`, timestamp: now - 60 * DAY },
    { type: "track", event: "Demo Requested", messageId: `${prefix}-demo`, timestamp: now },
  ];
}

before(async () => {
  col = await startCollector();
  mf = await startWorker({ vars: { COLLECTOR_URL: col.url, TEST_HOOKS: "1", HASH_EMAIL: "true", IP_RATE_BURST: "100000" } });
});
after(async () => {
  await mf?.dispose();
  await col?.close();
});

test("happy path: accepted and rejected events, the server's grade, a signed cookie, enriched events forwarded once", async () => {
  const now = Date.now();
  // The page: a pricing view (and a bad event, rejected with its reason).
  const res = await post(mf, { events: [{ type: "page", messageId: "happy-pr", timestamp: now, properties: { path: "/pricing", dwellSeconds: 90 } }, { type: "click", timestamp: now }], consent: true });
  const page = await ok(res);
  assert.deepEqual(page.accepted.map((a) => a.index), [0]);
  assert.deepEqual(page.rejected, [{ index: 1, reason: 'type: "click" is not one of page, track, identify, group, screen' }]);
  assert.equal(page.score.mql, false);
  // The back office: who the lead is, the event they attended, the demo.
  const body = await ok(await backOffice(mf, page.visitorId, hotBackOffice(now, "happy")));
  assert.deepEqual(body.accepted.map((a) => a.index), [0, 1, 2]);
  assert.equal(body.visitorId, page.visitorId);
  assert.equal(body.score.grade, "A1");
  assert.equal(body.score.tier, "hot");
  assert.equal(body.score.stage, "decision");
  assert.equal(body.score.mql, true);
  // Qualified now; the page's D grade and awareness stage change with it.
  assert.deepEqual(body.signals, ["Lead Qualified", "Stage Changed", "Grade Changed"]);
  const cookie = res.headers.get("set-cookie");
  assert.match(cookie, /^nurture_vid=v1\.k2\.[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=None$/);
  assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");

  assert.ok(await waitFor(() => [...col.byKey.values()].filter((m) => m.visitorId === body.visitorId).length === 4 + body.signals.length));
  const got = [...col.byKey.values()].filter((m) => m.visitorId === body.visitorId);
  const demo = got.find((m) => m.event.event === "Demo Requested");
  assert.equal(demo.kind, "event");
  assert.match(demo.id, /^evt_[A-Za-z0-9_-]{32}$/);
  assert.deepEqual([demo.score.grade, demo.score.tier, demo.score.stage, demo.score.mql], ["A1", "hot", "decision", true]);
  assert.ok(demo.score.breakdown.engagement.some((r) => r.rule === "sales-request"));
  assert.ok(demo.score.breakdown.fit.some((r) => r.rule === "decision-maker"));
  const qualified = got.find((m) => m.kind === "signal" && m.event.event === "Lead Qualified");
  assert.equal(qualified.event.event, "Lead Qualified");
  // HASH_EMAIL: the address never leaves the worker in clear.
  const identify = got.find((m) => m.event.type === "identify");
  assert.match(identify.event.traits.email, /^sha256:[0-9a-f]{64}$/);
  assert.match(qualified.profile.email, /^sha256:[0-9a-f]{64}$/);
  assert.ok(!JSON.stringify(got).includes("li.wei@"));
});

test("the cookie carries the visitor: history accumulates, duplicates are dropped by messageId", async () => {
  const now = Date.now();
  const first = await post(mf, { events: [{ type: "page", messageId: "acc-1", timestamp: now, properties: { path: "/pricing" } }] });
  const one = await ok(first);
  const token = first.headers.get("x-nurture-visitor");
  const second = await post(mf, { events: [{ type: "page", messageId: "acc-2", timestamp: now, properties: { path: "/pricing" } }] }, { headers: { cookie: `other=1; nurture_vid=${token}` } });
  const two = await ok(second);
  assert.equal(two.visitorId, one.visitorId);
  assert.equal(second.headers.get("set-cookie"), null, "a current token is not re-issued");
  assert.ok(two.score.engagement > one.score.engagement);
  const again = await ok(await post(mf, { events: [{ type: "page", messageId: "acc-2", timestamp: now, properties: { path: "/pricing" } }] }, { headers: { cookie: `nurture_vid=${token}` } }));
  assert.deepEqual(again.accepted, []);
  assert.deepEqual(again.duplicates.map((d) => d.id), ["acc-2"]);
  assert.equal(again.score.engagement, two.score.engagement);
});

test("key rotation: a token signed with an older listed key is accepted and re-signed with the current key", async () => {
  const old = makeToken({ kid: "k1", secret: "first-secret-0123456789", iat: Math.floor(Date.now() / 1000) - 30 * 86_400 });
  const res = await post(mf, { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/" } }] }, { headers: { cookie: `nurture_vid=${old}` } });
  const body = await ok(res);
  assert.equal(body.visitorId, old.split(".")[2]);
  assert.match(res.headers.get("set-cookie"), new RegExp(`^nurture_vid=v1\\.k2\\.${body.visitorId}\\.`));
  // The re-signed token keeps the old one's issue time: rotation does not
  // extend the identity's lifetime.
  const issuedAt = (t) => t.split(".")[3];
  assert.equal(issuedAt(res.headers.get("x-nurture-visitor")), issuedAt(old));
});

test("a forged score changes nothing: the server scores from its own history", async () => {
  const now = Date.now();
  const plain = [
    { type: "page", messageId: "f1", timestamp: now, properties: { path: "/blog/x" } },
    { type: "identify", messageId: "f2", timestamp: now, traits: { email: "kid@gmail.com", title: "Student" } },
  ];
  const forged = [
    { ...plain[0], score: 100, grade: "A1", properties: { ...plain[0].properties, score: 999, grade: "A1", engagement: 100 } },
    { ...plain[1], traits: { ...plain[1].traits, fit: 100, grade: "A1", score: 100 }, context: { score: { grade: "A1" } } },
  ];
  const a = await ok(await post(mf, { events: plain }));
  const b = await ok(await post(mf, { events: forged }));
  assert.deepEqual(b.score, a.score);
  assert.notEqual(b.score.grade, "A1");
  const top = await post(mf, { events: plain, grade: "A1", score: 100 });
  assert.equal(top.status, 400);
  assert.equal((await top.json()).error.code, "client_score_rejected");
});

test("concurrent batches for one visitor lose no write (the Durable Object serializes them)", async () => {
  const res = await post(mf, { events: [{ type: "page", messageId: "c-0", timestamp: Date.now(), properties: { path: "/" } }] });
  await ok(res);
  const token = res.headers.get("x-nurture-visitor");
  const headers = { "x-nurture-visitor": token };
  const batches = Array.from({ length: 20 }, (_, b) => Array.from({ length: 5 }, (_, i) => ({ type: "page", messageId: `c-${b}-${i}`, timestamp: Date.now(), properties: { path: `/p/${b}/${i}` } })));
  const results = await Promise.all(batches.map((events) => post(mf, { events }, { headers }).then(ok)));
  assert.equal(results.reduce((n, r) => n + r.accepted.length, 0), 100);
  // Every id was kept: sending them all again finds 100 duplicates.
  let dup = 0;
  for (let i = 0; i < 20; i += 5) {
    const again = await ok(await post(mf, { events: batches.slice(i, i + 5).flat() }, { headers }));
    assert.equal(again.accepted.length, 0);
    dup += again.duplicates.length;
  }
  assert.equal(dup, 100);
});

test("a trapped wasm instance is replaced and the request still succeeds", async () => {
  const res = await post(mf, { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/pricing" } }] }, { headers: { "x-nurture-test-trap": "1" } });
  const body = await ok(res);
  assert.ok(body.coreRestarts >= 1);
  assert.equal(body.score.engagement, 6);
  const next = await ok(await post(mf, { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/pricing" } }] }));
  assert.equal(next.score.engagement, 6);
  const health = await mf.dispatchFetch("http://worker.test/v1/health");
  assert.equal(health.status, 200);
});

test("CORS: allowed origins get credentials headers and a preflight; others are refused", async () => {
  const pre = await mf.dispatchFetch("http://worker.test/v1/events", { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), ORIGIN);
  assert.equal(pre.headers.get("access-control-allow-credentials"), "true");
  assert.match(pre.headers.get("access-control-allow-methods"), /POST/);
  const res = await post(mf, { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/" } }] }, { headers: { origin: ORIGIN } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
  assert.equal(res.headers.get("vary"), "Origin");
  const evil = await post(mf, { events: [{ type: "page", timestamp: Date.now() }] }, { headers: { origin: "https://evil.example" } });
  assert.equal(evil.status, 403);
  assert.equal((await evil.json()).error.code, "origin_not_allowed");
  assert.equal(evil.headers.get("access-control-allow-origin"), null);
});

test("sendBeacon's text/plain body is accepted", async () => {
  const res = await post(mf, { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/" } }] }, { headers: { "content-type": "text/plain;charset=UTF-8" } });
  assert.equal(res.status, 200);
});

test("wrangler.toml and the package's template declare the bindings that miniflare.mjs gives the tests", () => {
  const o = workerOptions();
  const files = [
    [path.join(here, "wrangler.toml"), /main = "dist\/index.js"/],
    [path.join(here, "..", "pkg-template", "worker", "template", "wrangler.toml"), /main = "src\/index.js"/],
  ];
  for (const [file, main] of files) {
    const toml = readFileSync(file, "utf8");
    for (const [binding, { className }] of Object.entries(o.durableObjects)) {
      assert.match(toml, new RegExp(`name = "${binding}"\\s*\\nclass_name = "${className}"`), file);
      assert.match(toml, new RegExp(`new_sqlite_classes = \\[[^\\]]*"${className}"`), file);
    }
    for (const [binding, { queueName }] of Object.entries(o.queueProducers)) {
      assert.match(toml, new RegExp(`binding = "${binding}"\\s*\\nqueue = "${queueName}"`), file);
    }
    for (const [queue, c] of Object.entries(o.queueConsumers)) {
      assert.match(toml, new RegExp(`\\[\\[queues.consumers\\]\\]\\nqueue = "${queue}"`), file);
      if (c.deadLetterQueue) assert.match(toml, new RegExp(`dead_letter_queue = "${c.deadLetterQueue}"`), file);
    }
    assert.match(toml, /binding = "NURTURE_CONFIG"/, file);
    assert.match(toml, main, file);
  }
});

test("consent: with CONSENT_REQUIRED nothing is stored, forwarded or set without it", async () => {
  const c2 = await startCollector();
  const w = await startWorker({ vars: { COLLECTOR_URL: c2.url, CONSENT_REQUIRED: "true" } });
  try {
    const events = [{ type: "page", messageId: "consent-1", timestamp: Date.now(), properties: { path: "/pricing" } }];
    const no = await post(w, { events });
    const body = await ok(no);
    assert.deepEqual([body.consent, body.stored, body.forwarded, body.ignored], [false, false, false, 1]);
    assert.equal(no.headers.get("set-cookie"), null);
    const refused = await ok(await post(w, { events, consent: false }));
    assert.equal(refused.stored, false);
    const yes = await post(w, { events, consent: true });
    const given = await ok(yes);
    assert.deepEqual(given.accepted.map((a) => a.id), ["consent-1"]);
    assert.ok(yes.headers.get("set-cookie"));
    assert.ok(await waitFor(() => c2.stats.stored === 1));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c2.stats.requests, 1, "only the consented event reached the collector");
  } finally {
    await w.dispose();
    await c2.close();
  }
});

test("rate limits: a client over its bucket gets 429 rate_limited with Retry-After, per IP and per visitor", async () => {
  const w = await startWorker({ vars: { IP_RATE_BURST: "5", IP_RATE_PER_SECOND: "1", VISITOR_RATE_BURST: "3", VISITOR_RATE_PER_SECOND: "1" } });
  try {
    const ev = () => ({ events: [{ type: "page", timestamp: Date.now(), properties: { path: "/" } }] });
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await post(w, ev(), { headers: { "cf-connecting-ip": "198.51.100.1" } })).status);
    assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
    const limited = await post(w, ev(), { headers: { "cf-connecting-ip": "198.51.100.1" } });
    assert.equal(limited.status, 429);
    assert.equal((await limited.json()).error.code, "rate_limited");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    // another IP is not affected; one visitor from many IPs is limited by its own bucket
    const first = await post(w, ev(), { headers: { "cf-connecting-ip": "198.51.100.2" } });
    const token = first.headers.get("x-nurture-visitor");
    const perVisitor = [];
    for (let i = 0; i < 4; i++) perVisitor.push((await post(w, ev(), { headers: { "cf-connecting-ip": `198.51.100.${10 + i}`, "x-nurture-visitor": token } })).status);
    assert.deepEqual(perVisitor, [200, 200, 429, 429]);
  } finally {
    await w.dispose();
  }
});

test("re-engagement due: a visitor inactive for the period gets a signal from the Durable Object's alarm", async () => {
  const c3 = await startCollector();
  const w = await startWorker({ vars: { COLLECTOR_URL: c3.url, REENGAGE_AFTER_MS: "1000" }, queue: { maxBatchTimeout: 0.1 } });
  try {
    const body = await ok(await post(w, { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/pricing" } }] }));
    assert.ok(await waitFor(() => [...c3.byKey.values()].some((m) => m.event.event === "Re-engagement Due"), { timeoutMs: 60_000 }));
    const sig = [...c3.byKey.values()].find((m) => m.event.event === "Re-engagement Due");
    assert.equal(sig.visitorId, body.visitorId);
    assert.ok(sig.event.properties.inactiveMs >= 1000);
  } finally {
    await w.dispose();
    await c3.close();
  }
});
