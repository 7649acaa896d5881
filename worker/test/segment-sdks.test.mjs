// Segment's and RudderStack's server SDKs, from npm, pointed at the worker
// in workerd over HTTP (Segment's HTTP Tracking API: POST /v1/batch with the
// write key as Basic auth; RudderStack's gzip-compressed): 1,000 messages
// from each are accepted, scored as a back-office source and forwarded to
// the collector exactly once (each messageId once, none delivered twice).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { startWorker, startCollector, waitFor } from "./harness.mjs";

const require = createRequire(import.meta.url);
const { Analytics: SegmentAnalytics } = require("@segment/analytics-node");
const RudderAnalytics = require("@rudderstack/rudder-sdk-node");

const SERVER_KEY = "wk_server_sdk_test_0123456789";
const BROWSER_KEY = "wk_browser_sdk_test_0123456789";
const N = 1000;
const PEOPLE = 20;

let mf, url, collector;

before(async () => {
  collector = await startCollector();
  mf = await startWorker({
    host: "127.0.0.1",
    port: 0,
    // A slow machine must not turn a forward into a timeout and a retry (the
    // collector would then see a duplicate, which it drops by id).
    vars: { COLLECTOR_URL: collector.url, COLLECTOR_TIMEOUT_MS: "15000", WRITE_KEYS: `server:${SERVER_KEY},browser:${BROWSER_KEY}` },
  });
  url = (await mf.ready).href.replace(/\/$/, "");
});
after(async () => {
  await mf?.dispose();
  await collector?.close();
});

/** The visitor a Segment identity maps to (routes/segment.js: visitorOfIdentity), computed here independently. */
function visitorOf(kind, id) {
  return createHash("sha256").update(`nurture/segment\n${kind}\n${id}`).digest("base64url").slice(0, 22);
}

/**
 * The i-th message of a run, the (i / PEOPLE)-th of its person: an
 * identify first, page views, downloads, and a webinar only a back office
 * may report.
 */
function message(i, identity) {
  const common = { ...identity, messageId: `${identity.userId ?? identity.anonymousId}-m${i}` };
  switch (Math.floor(i / PEOPLE) % 10) {
    case 0:
      return ["identify", { ...common, traits: { email: `p${i % PEOPLE}@acme-industrial.com`, title: "VP Engineering", company: "Acme Industrial" } }];
    case 1:
    case 2:
      return ["page", { ...common, name: "Pricing", properties: { url: "https://www.example.com/pricing", path: "/pricing" } }];
    case 3:
      return ["track", { ...common, event: "Webinar Attended", properties: { webinar: "Scoring 101" } }];
    default:
      return ["track", { ...common, event: "File Downloaded", properties: { file: `guide-${i}.pdf`, tags: ["scoring"] } }];
  }
}

/** The collector's event records whose messageId starts with `prefix`, counted per messageId. */
function recordsOf(prefix) {
  const counts = new Map();
  const records = [];
  for (const msg of collector.byKey.values()) {
    if (msg.kind !== "event" || !String(msg.event?.messageId).startsWith(prefix)) continue;
    counts.set(msg.event.messageId, (counts.get(msg.event.messageId) ?? 0) + 1);
    records.push(msg);
  }
  return { counts, records };
}

/**
 * Waits for the N messages of a run at the collector, each messageId once
 * and nothing delivered twice; every one scored on its expected visitor.
 */
async function forwardedOnce(prefix, expectVisitor) {
  assert.ok(await waitFor(() => recordsOf(prefix).counts.size === N, { timeoutMs: 60_000 }), `forwarded: ${recordsOf(prefix).counts.size}`);
  const { counts, records } = recordsOf(prefix);
  assert.ok([...counts.values()].every((c) => c === 1), "each messageId forwarded once");
  assert.equal(collector.stats.duplicates, 0, "nothing delivered twice");
  checkScored(records, expectVisitor);
  return records;
}

/** Every record scored; the back-office-only webinar rule counted (a server key is a back-office source). */
function checkScored(records, expectVisitor) {
  const visitors = new Set(records.map((r) => r.visitorId));
  assert.equal(visitors.size, PEOPLE, "one visitor per person");
  for (const r of records) {
    assert.ok(r.score && typeof r.score.grade === "string", `scored: ${r.event.messageId}`);
    assert.equal(r.event.channel, "server");
    assert.equal(r.event.writeKey, undefined, "the write key is never forwarded");
    assert.equal(r.visitorId, expectVisitor(r.event));
  }
  const webinar = records.find((r) => r.event.event === "Webinar Attended");
  const points = webinar.score.breakdown.engagement.find((b) => b.rule === "live-stream")?.points ?? 0;
  assert.ok(points > 0, `the webinar reported by a server key scores: ${JSON.stringify(webinar.score.breakdown.engagement)}`);
  // A server key's identify traits count for fit (a page's would be claims).
  const lastOf = new Map();
  for (const r of records) if (!lastOf.has(r.visitorId) || r.receivedAt >= lastOf.get(r.visitorId).receivedAt) lastOf.set(r.visitorId, r);
  for (const last of lastOf.values()) {
    assert.ok(last.score.breakdown.fit.some((b) => b.rule === "decision-maker" && b.points > 0), JSON.stringify(last.score.breakdown.fit));
  }
}

test("@segment/analytics-node: 1,000 messages to /v1/batch are accepted, scored and forwarded exactly once", async () => {
  const statuses = [];
  const analytics = new SegmentAnalytics({ writeKey: SERVER_KEY, host: url, flushAt: 100, flushInterval: 200, maxRetries: 3 });
  analytics.on("http_response", (r) => statuses.push(r.status));
  const errors = [];
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    const [type, msg] = message(i, { userId: `seg-user-${i % PEOPLE}` });
    analytics[type](msg, (err) => err && errors.push(err));
  }
  await analytics.closeAndFlush({ timeout: 60_000 });
  const acceptedMs = performance.now() - started;
  assert.deepEqual(errors, []);
  assert.ok(statuses.length >= N / 100 && statuses.every((s) => s === 200), `statuses: ${statuses.join(",")}`);
  await forwardedOnce("seg-user-", (e) => visitorOf("userId", e.userId));
  const forwardedMs = performance.now() - started;
  console.log(`analytics-node: ${N} messages in ${statuses.length} requests accepted in ${acceptedMs.toFixed(0)} ms (${(N / (acceptedMs / 1000)).toFixed(0)} events/s), all forwarded after ${forwardedMs.toFixed(0)} ms`);
});

test("@rudderstack/rudder-sdk-node: 1,000 gzip-compressed messages to <dataPlaneUrl>/v1/batch are accepted, scored and forwarded exactly once", async () => {
  const errors = [];
  const client = new RudderAnalytics(SERVER_KEY, {
    dataPlaneUrl: url, flushAt: 100, flushInterval: 200, logLevel: "error",
    errorHandler: (err) => errors.push(err),
  });
  const started = performance.now();
  const delivered = [];
  for (let i = 0; i < N; i++) {
    // anonymousIds as a page's SDK mints them: the server joins the browser's visitor.
    const [type, msg] = message(i, { anonymousId: `6f1c2a4e-rudder-anon-${String(i % PEOPLE).padStart(4, "0")}` });
    delivered.push(new Promise((resolve) => client[type](msg, (err) => resolve(err))));
  }
  await client.flush();
  const results = await Promise.all(delivered);
  const acceptedMs = performance.now() - started;
  assert.deepEqual(results.filter(Boolean), []);
  assert.deepEqual(errors, []);
  const records = await forwardedOnce("6f1c2a4e-rudder-", (e) => visitorOf("anonymousId", e.anonymousId));
  const forwardedMs = performance.now() - started;
  // The SDK's own clock-skew fields: originalTimestamp kept, timestamp corrected from sentAt.
  const r = records[0].event;
  assert.ok(r.originalTimestamp && r.sentAt && r.receivedAt, JSON.stringify(r));
  assert.ok(Math.abs(Date.parse(r.timestamp) - Date.parse(r.receivedAt)) < 60_000);
  console.log(`rudder-sdk-node: ${N} messages accepted in ${acceptedMs.toFixed(0)} ms (${(N / (acceptedMs / 1000)).toFixed(0)} events/s), all forwarded after ${forwardedMs.toFixed(0)} ms`);
});

test("@segment/analytics-node over a visitor's rate limit: the 429s are retried after Retry-After and every message arrives once", async () => {
  const c = await startCollector();
  const limited = await startWorker({
    host: "127.0.0.1",
    port: 0,
    vars: { COLLECTOR_URL: c.url, COLLECTOR_TIMEOUT_MS: "15000", WRITE_KEYS: `server:${SERVER_KEY}`, VISITOR_RATE_BURST: "1", VISITOR_RATE_PER_SECOND: "4" },
  });
  try {
    const host = (await limited.ready).href.replace(/\/$/, "");
    const statuses = [];
    const analytics = new SegmentAnalytics({ writeKey: SERVER_KEY, host, flushAt: 20, flushInterval: 100, maxRetries: 10 });
    analytics.on("http_response", (r) => statuses.push(r.status));
    const errors = [];
    for (let i = 0; i < 200; i++) {
      analytics.track({ userId: `busy-${i % 2}`, messageId: `busy-m${i}`, event: "File Downloaded" }, (err) => err && errors.push(err));
    }
    await analytics.closeAndFlush({ timeout: 60_000 });
    assert.deepEqual(errors, []);
    assert.ok(statuses.includes(429), `the limit was hit: ${statuses.join(",")}`);
    const forwarded = () => [...c.byKey.values()].filter((m) => m.kind === "event");
    assert.ok(await waitFor(() => forwarded().length === 200, { timeoutMs: 30_000 }), `forwarded: ${forwarded().length}`);
    assert.equal(new Set(forwarded().map((m) => m.event.messageId)).size, 200);
    assert.equal(c.stats.duplicates, 0, "what a 429'd batch had already taken was a duplicate at the worker, not at the collector");
  } finally {
    await limited.dispose();
    await c.close();
  }
});
