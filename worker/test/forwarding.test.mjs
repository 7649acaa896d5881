// Fault injection: 10,000 events through a collector that is down for a
// while (connections refused), then fails about half its requests (503),
// hangs on some (after storing them: the worker times out and sends them
// again) and drops others. Every event, and every lifecycle signal, must
// end up at the collector exactly once after retries, the dead-letter store,
// replays and deduplication by Idempotency-Key.
// The same run feeds two more destinations at once (DESTINATIONS), each
// failing in its own way: a Segment-compatible API (503s, 429s, hangs and
// drops all through; its calls checked against the Segment Spec) and a
// signed webhook (503s and permanent 400 refusals, never storing what it
// refuses). Each must get everything exactly once after deduplication by
// its own key (messageId, id), with its own retries and dead letters; the
// webhook, which never stores and then fails, must see no duplicate at all:
// nothing the others' failures caused was resent to it.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { startWorker, startCollector, post, waitFor, ADMIN_TOKEN, rng } from "./harness.mjs";
import { specProblems } from "../src/destinations/segment-spec.js";

const VISITORS = 50;
const BATCHES_PER_VISITOR = 4;
const EVENTS_PER_BATCH = 50;
const TOTAL = VISITORS * BATCHES_PER_VISITOR * EVENTS_PER_BATCH; // 10,000
const DAY = 86_400_000;

let mf;
let col;
let seg;
let hook;
let phase = "ok";
const random = rng(6);
const segRandom = rng(7);
const hookRandom = rng(8);
const WRITE_KEY = "wk_forwarding_test_key";
const HOOK_SECRET = "whsec-forwarding-test-0123456789";
const segProblems = [];
let hookBadSignatures = 0;

before(async () => {
  col = await startCollector({
    fault: () => {
      if (phase !== "flaky") return "ok";
      const r = random();
      return r < 0.45 ? "fail" : r < 0.48 ? "hang" : r < 0.5 ? "drop" : "ok";
    },
  });
  // Segment: flaky from the start to the replays (a different pattern).
  seg = await startCollector({
    keyOf: (call) => call?.messageId,
    keep: false,
    fault: () => {
      if (phase === "ok") return "ok";
      const r = segRandom();
      return r < 0.2 ? "fail" : r < 0.25 ? "rate" : r < 0.27 ? "hang" : r < 0.29 ? "drop" : "ok";
    },
    onRequest: (req, raw) => {
      if (req.headers.authorization !== `Basic ${Buffer.from(`${WRITE_KEY}:`).toString("base64")}`) segProblems.push("authorization");
      for (const call of JSON.parse(raw.toString("utf8")).batch ?? []) {
        const p = specProblems(call);
        if (p.length) segProblems.push(`${call.messageId}: ${p.join("; ")}`);
      }
    },
  });
  // The webhook: 503s and permanent refusals (400: dead-lettered at once),
  // only while the run sends; nothing it refuses is stored.
  hook = await startCollector({
    keep: false,
    fault: () => {
      if (phase !== "flaky") return "ok";
      const r = hookRandom();
      return r < 0.15 ? "fail" : r < 0.2 ? "refuse" : "ok";
    },
    onRequest: (req, raw) => {
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(req.headers["nurture-signature"] ?? "");
      if (!m || createHmac("sha256", HOOK_SECRET).update(`${m[1]}.`).update(raw).digest("hex") !== m[2]) hookBadSignatures += 1;
    },
  });
  mf = await startWorker({
    vars: {
      COLLECTOR_URL: col.url,
      SEGMENT_WRITE_KEY: WRITE_KEY,
      DESTINATIONS: JSON.stringify([
        { id: "nurture", type: "nurture", url: { secret: "COLLECTOR_URL" } },
        { id: "segment", type: "segment", url: seg.url, writeKey: { secret: "SEGMENT_WRITE_KEY" } },
        // Its own time limit, longer than the collector's: it never hangs,
        // so any duplicate it saw would be a resend the others caused, not
        // a slow answer on a loaded machine.
        { id: "hooks", type: "webhook", url: hook.url, secret: HOOK_SECRET, timeoutMs: 10_000 },
      ]),
      COLLECTOR_TIMEOUT_MS: "400",
      FORWARD_CONCURRENCY: "16",
      RETRY_BASE_SECONDS: "1",
      RETRY_MAX_SECONDS: "2",
      IP_RATE_BURST: "1000000",
      VISITOR_RATE_BURST: "1000000",
    },
    queue: { maxBatchSize: 100, maxBatchTimeout: 0.1, maxRetries: 3 },
  });
});
after(async () => {
  await mf?.dispose();
  for (const c of [col, seg, hook]) await c?.close();
});

const hot = { email: "buyer@bigco.example", title: "VP of Operations", company: "BigCo", industry: "Oil & Gas", companySize: 5000, budget: "approved", timeline: "this quarter" };
const PATHS = ["/blog/a", "/case-studies/x", "/pricing", "/docs", "/careers", "/whitepapers/y"];

function batch(v, b) {
  const now = Date.now();
  return Array.from({ length: EVENTS_PER_BATCH }, (_, i) => {
    const messageId = `v${v}-b${b}-e${i}`;
    const timestamp = now - ((BATCHES_PER_VISITOR - b) * 10 + (i % 10)) * DAY;
    if (b === 2 && i === 0 && v % 2 === 0) return { type: "identify", messageId, timestamp, traits: hot };
    if (b === 3 && i === 0) return { type: "track", event: "Demo Requested", messageId, timestamp: now };
    return { type: "page", messageId, timestamp, properties: { path: PATHS[(v + i) % PATHS.length], dwellSeconds: 40 } };
  });
}

const forwardId = (visitorId, messageId) =>
  `evt_${createHash("sha256").update(`${visitorId}\n${messageId}`).digest("base64url").slice(0, 32)}`;

async function admin(path, body) {
  const res = await mf.dispatchFetch(`http://worker.test${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  return res.json();
}

test(`${TOTAL} events through a failing collector arrive exactly once`, { timeout: 420_000 }, async () => {
  const started = Date.now();
  const expected = new Set();
  let signals = 0;
  const tokens = new Array(VISITORS).fill(null);
  const jobs = [];
  for (let b = 0; b < BATCHES_PER_VISITOR; b++) for (let v = 0; v < VISITORS; v++) jobs.push([v, b]);

  async function send(list) {
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const [v, b] = list[next++];
        // batch b of a visitor waits for its batch b-1 (same visitor, same cookie)
        while (b > 0 && tokens[v] === null) await new Promise((r) => setTimeout(r, 5));
        const headers = tokens[v] ? { "x-nurture-visitor": tokens[v] } : {};
        const res = await post(mf, { events: batch(v, b) }, { headers });
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.equal(body.accepted.length, EVENTS_PER_BATCH);
        tokens[v] ??= res.headers.get("x-nurture-visitor");
        for (const a of body.accepted) expected.add(forwardId(body.visitorId, a.id));
        signals += body.signals.length;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  }

  // Timeouts below only bound a failure, so they are generous: on a loaded
  // two-core machine the outage alone once took over 30 s to dead-letter.
  // 1. the collector is down: the first 2,000 events go to the queue, and
  //    exhaust their retries (1 + 2 + 2 s) into the dead-letter store
  await col.down();
  phase = "down";
  await send(jobs.slice(0, 40));
  const downSent = Date.now();
  assert.ok(
    await waitFor(async () => (await admin("/v1/admin/dead-letters?destination=nurture")).count >= 2000, { timeoutMs: 120_000, intervalMs: 250 }),
    "the outage filled the dead-letter store",
  );
  console.log(`outage: 2000 events sent in ${(downSent - started) / 1000} s, dead-lettered ${(Date.now() - downSent) / 1000} s later`);

  // 2. back, but flaky: 45 % 503, 3 % hang after storing, 2 % dropped
  await col.up();
  phase = "flaky";
  await send(jobs.slice(40));
  assert.equal(expected.size, TOTAL);
  const sentAt = Date.now();

  // 3. retries run their course; dead letters are replayed (into the same
  //    flaky collector) until everything has arrived
  await new Promise((r) => setTimeout(r, 4000));
  phase = "ok";
  let replayed = 0;
  let replays = 0;
  // Every destination has every message: the events and signals by the
  // same keys (Segment's identifies with the score traits besides).
  const has = (c) => {
    const keys = [...c.byKey.keys()];
    const events = keys.filter((k) => k.startsWith("evt_")).length;
    const sigs = keys.filter((k) => k.startsWith("sig_")).length;
    return events === TOTAL && sigs === signals;
  };
  const complete = () => has(col) && has(seg) && has(hook);
  const done = await waitFor(async () => {
    if (complete()) return true;
    const dl = await admin("/v1/admin/dead-letters");
    if (dl.count > 0) {
      const r = await admin("/v1/admin/replay", { limit: 5000 });
      replayed += r.replayed;
      replays += 1;
    }
    return complete();
  }, { timeoutMs: 180_000, intervalMs: 1000 });
  const dl = await admin("/v1/admin/dead-letters");
  dl.filed = (await admin("/v1/admin/dead-letters?destination=nurture")).filed;
  dl.filedByDestination = {
    segment: (await admin("/v1/admin/dead-letters?destination=segment")).filed,
    hooks: (await admin("/v1/admin/dead-letters?destination=hooks")).filed,
  };

  const delivered = [...col.byKey.keys()];
  const report = {
    events: TOTAL,
    signals,
    uniqueDelivered: delivered.length,
    collectorRequests: col.stats.requests,
    duplicatesDelivered: col.stats.duplicates,
    failed503: col.stats.failed,
    hung: col.stats.hung,
    dropped: col.stats.dropped,
    deadLettered: dl.filed,
    replayed,
    replayCalls: replays,
    deadLettersLeft: dl.count,
    segment: { unique: seg.byKey.size, requests: seg.stats.requests, duplicates: seg.stats.duplicates, failed503: seg.stats.failed, rateLimited429: seg.stats.rateLimited ?? 0, hung: seg.stats.hung, dropped: seg.stats.dropped, deadLettered: dl.filedByDestination.segment },
    webhook: { unique: hook.byKey.size, requests: hook.stats.requests, duplicates: hook.stats.duplicates, failed503: hook.stats.failed, refused400: hook.stats.refused ?? 0, deadLettered: dl.filedByDestination.hooks },
    sendSeconds: (sentAt - started) / 1000,
    totalSeconds: (Date.now() - started) / 1000,
  };
  console.log("fault injection:", JSON.stringify(report));
  assert.ok(done, `not everything arrived: ${JSON.stringify(report)}`);
  for (const id of expected) assert.ok(col.byKey.has(id), `missing ${id}`);
  const events = delivered.filter((k) => k.startsWith("evt_"));
  assert.equal(events.length, TOTAL);
  assert.ok(events.every((k) => expected.has(k)), "nothing unexpected arrived");
  assert.equal(delivered.length - events.length, signals, "every lifecycle signal arrived once");
  assert.equal(col.stats.missingKey, 0, "every delivery carried an Idempotency-Key");
  assert.ok(report.deadLettered > 0 && report.replayed > 0, "the dead-letter store was used and replayed");
  assert.equal(dl.count, 0);
  assert.ok(col.stats.duplicates > 0, "hung requests were delivered again and deduplicated");

  // Segment: the same messages by messageId, each a valid Segment call with
  // the write key; an identify with the score traits per score-changing
  // update, keyed by the update.
  assert.deepEqual(segProblems.slice(0, 5), []);
  const segKeys = [...seg.byKey.keys()];
  const segEvents = segKeys.filter((k) => k.startsWith("evt_"));
  assert.equal(segEvents.length, TOTAL);
  assert.ok(segEvents.every((k) => expected.has(k)));
  const sigKeys = delivered.filter((k) => k.startsWith("sig_"));
  assert.deepEqual(segKeys.filter((k) => k.startsWith("sig_")).sort(), sigKeys.sort());
  const updates = new Set(sigKeys.filter((k) => /_(lead-qualified|stage-changed|grade-changed)$/.test(k)).map((k) => k.replace(/^sig_(.+)_(\d+)_[a-z-]+$/, "idt_$1_$2")));
  const identifies = segKeys.filter((k) => k.startsWith("idt_"));
  assert.ok(identifies.length > 0);
  assert.deepEqual(new Set(identifies), updates, "one identify per score-changing update");
  assert.equal(segKeys.length, segEvents.length + sigKeys.length + identifies.length, "nothing else arrived");
  assert.ok(seg.stats.failed > 0 && seg.stats.rateLimited > 0 && seg.stats.hung > 0 && seg.stats.dropped > 0, "Segment saw every kind of fault");
  assert.ok(seg.stats.duplicates > 0, "Segment's hung requests were resent and deduplicated by messageId");
  assert.equal(seg.stats.missingKey, 0);

  // The webhook: every message once, every delivery signed, and not one
  // duplicate: its own failures store nothing, and the other destinations'
  // failures resent nothing to it.
  const hookKeys = [...hook.byKey.keys()];
  assert.equal(hookKeys.length, delivered.length);
  assert.ok(hookKeys.every((k) => col.byKey.has(k)));
  assert.equal(hookBadSignatures, 0);
  assert.ok(hook.stats.failed > 0 && hook.stats.refused > 0, "the webhook failed and refused");
  assert.ok(report.webhook.deadLettered > 0, "its refusals were dead-lettered and replayed");
  assert.equal(hook.stats.duplicates, 0);
});
