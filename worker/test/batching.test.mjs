// Batched forwarding: an event batch reaches the collector as one request
// ({batch: [...]}, every message with its own id), and a batch the collector
// refuses for good is resent message by message, so only the message it
// refuses on its own is dead-lettered.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startWorker, post, waitFor, ADMIN_TOKEN } from "./harness.mjs";

// A collector that records every request as it came (headers and body) and
// refuses (400) any request that carries a message marked `poison`.
const requests = [];
let server;
let mf;

before(async () => {
  server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      requests.push({ key: req.headers["idempotency-key"], body });
      const poisoned = (body.batch ?? []).some((m) => m.event?.properties?.poison === true);
      res.writeHead(poisoned ? 400 : 200, { "content-type": "application/json" }).end(poisoned ? '{"error":"bad"}' : '{"ok":true}');
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  mf = await startWorker({ vars: { COLLECTOR_URL: `http://127.0.0.1:${server.address().port}/collect`, IP_RATE_BURST: "100000" } });
});
after(async () => {
  await mf?.dispose();
  server?.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const forVisitor = (visitorId) => requests.filter((r) => r.body.batch.some((m) => m.visitorId === visitorId));

test("20 events go to the collector in one request, each message with its own id", async () => {
  const now = Date.now();
  const events = Array.from({ length: 20 }, (_, i) => ({ type: "page", messageId: `one-${i}`, timestamp: now, properties: { path: `/blog/${i}` } }));
  const res = await post(mf, { events, consent: true });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.accepted.length, 20);
  assert.ok(await waitFor(() => forVisitor(body.visitorId).length > 0));
  await new Promise((r) => setTimeout(r, 300));
  const sent = forVisitor(body.visitorId);
  assert.equal(sent.length, 1, "one request for the batch");
  const [req] = sent;
  assert.match(req.key, /^bat_[0-9a-f]{40}$/);
  const events20 = req.body.batch.filter((m) => m.kind === "event");
  assert.deepEqual(events20.map((m) => m.event.messageId), events.map((e) => e.messageId));
  const ids = req.body.batch.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, "every message has its own id");
  assert.ok(events20.every((m) => /^evt_[A-Za-z0-9_-]{32}$/.test(m.id)));
});

test("a batch refused for good is resent one message at a time: only the refused message is dead-lettered", async () => {
  const now = Date.now();
  const events = Array.from({ length: 5 }, (_, i) => ({
    type: "page", messageId: `poison-${i}`, timestamp: now, properties: { path: `/docs/${i}`, ...(i === 2 ? { poison: true } : {}) },
  }));
  const res = await post(mf, { events, consent: true });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  const admin = async () => (await mf.dispatchFetch("http://worker.test/v1/admin/dead-letters", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
  assert.ok(await waitFor(async () => (await admin()).count === 1, { timeoutMs: 30_000 }), "the poison message was dead-lettered");
  const dl = await admin();
  const poisonId = body.accepted.find((a) => a.index === 2) && dl.first[0].id;
  const sent = forVisitor(body.visitorId);
  assert.equal(sent[0].body.batch.length, 5, "first the whole batch");
  const singles = sent.slice(1);
  assert.equal(singles.length, 5, "then each message on its own");
  assert.ok(singles.every((r) => r.body.batch.length === 1));
  const delivered = singles.filter((r) => r.body.batch[0].event.properties.poison !== true).map((r) => r.body.batch[0].event.messageId).sort();
  assert.deepEqual(delivered, ["poison-0", "poison-1", "poison-3", "poison-4"]);
  const poison = singles.find((r) => r.body.batch[0].event.properties.poison === true).body.batch[0];
  assert.equal(poisonId, poison.id, "the dead letter is the refused message");
});

test("an event holding a lone surrogate is still accepted and scored (the JSON path falls back)", async () => {
  const now = Date.now();
  const raw = `{"consent":true,"events":[{"type":"page","messageId":"sur-1","timestamp":${now},"properties":{"path":"/pricing\\ud800"}}]}`;
  const first = await post(mf, undefined, { raw });
  const body = await first.json();
  assert.equal(first.status, 200, JSON.stringify(body));
  assert.deepEqual(body.accepted.map((a) => a.id), ["sur-1"]);
  assert.equal(typeof body.score.engagement, "number");
  // the stored history now holds it: the next batch re-scores it too
  const next = await post(mf, { consent: true, events: [{ type: "page", messageId: "sur-2", timestamp: now, properties: { path: "/pricing" } }] },
    { headers: { "x-nurture-visitor": first.headers.get("x-nurture-visitor") } });
  const body2 = await next.json();
  assert.equal(next.status, 200, JSON.stringify(body2));
  assert.deepEqual(body2.accepted.map((a) => a.id), ["sur-2"]);
  assert.ok(body2.score.engagement >= body.score.engagement);
});
