// Destinations (src/destinations/, docs/destinations.md): DESTINATIONS read
// and refused with the bad field's path; the segment destination's calls
// checked against the Segment Spec (segment-spec.js, its pages cited there),
// with the check shown to fail on wrong calls; the webhook's signature
// verified by the snippet of docs/destinations.md, taken from the page and
// run as it is, and refused for a changed body, a replay past the tolerance
// and a wrong secret; three destinations at once in workerd, each with its
// own dead letters and replay, one failing without a resend to the others;
// a store and a queue left by a worker from before destinations, upgraded.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { readDestinations } from "../src/destinations/config.js";
import { specProblems, MAX_CALL_BYTES, MAX_BATCH_BYTES } from "../src/destinations/segment-spec.js";
import { segment, toCalls } from "../src/destinations/segment.js";
import { signatureHeader } from "../src/destinations/webhook.js";
import { Miniflare } from "miniflare";
import { startWorker, startCollector, post, backOffice, waitFor, ADMIN_TOKEN, KEYS, SITE_CONFIG_JSON } from "./harness.mjs";
import { workerOptions, dist } from "../miniflare.mjs";

const WRITE_KEY = "wk_test_0123456789abcdef";
const HOOK_SECRET = "whsec-for-tests-0123456789abcdef";
const OLD_HOOK_SECRET = "whsec-old-one-for-tests-abcdef012";

// ---- the snippet of docs/destinations.md, as a module -------------------------
const doc = readFileSync(new URL("../../docs/destinations.md", import.meta.url), "utf8");
const snippet = /<!-- webhook-verify:start -->\s*```javascript\n([\s\S]*?)```\s*<!-- webhook-verify:end -->/.exec(doc)?.[1];
let verifyNurtureWebhook;

before(async () => {
  assert.ok(snippet, "docs/destinations.md has the verification snippet between its markers");
  const dir = mkdtempSync(path.join(tmpdir(), "nurture-webhook-"));
  const file = path.join(dir, "verify.mjs");
  writeFileSync(file, snippet);
  ({ verifyNurtureWebhook } = await import(pathToFileURL(file).href));
  assert.equal(typeof verifyNurtureWebhook, "function");
});

// ---- configuration ------------------------------------------------------------

test("COLLECTOR_URL alone is the single `nurture` destination, as before", () => {
  const bad = [];
  const d = readDestinations({ COLLECTOR_URL: "https://c.example.com/in" }, bad, 5000);
  assert.deepEqual(bad, []);
  assert.deepEqual(d, [{ id: "nurture", type: "nurture", url: "https://c.example.com/in", timeoutMs: 5000, batchSize: 100 }]);
  assert.deepEqual(readDestinations({}, bad, 5000), []);
});

test("DESTINATIONS: three kinds, credentials from other variables, Segment's batch endpoint", () => {
  const bad = [];
  const env = {
    COLLECTOR_URL: "https://c.example.com/in",
    SEGMENT_WRITE_KEY: WRITE_KEY,
    WEBHOOK_SECRET: `${HOOK_SECRET},${OLD_HOOK_SECRET}`,
    DESTINATIONS: JSON.stringify([
      { id: "warehouse", type: "nurture", url: { secret: "COLLECTOR_URL" } },
      { id: "segment", type: "segment", url: "https://api.segment.io", writeKey: { secret: "SEGMENT_WRITE_KEY" } },
      { id: "rudder", type: "segment", url: "https://dp.example.com/v1/batch", writeKey: "inline", identify: false, batchSize: 20 },
      { id: "hooks", type: "webhook", url: "https://hooks.example.com/n", secret: { secret: "WEBHOOK_SECRET" }, timeoutMs: 900 },
    ]),
  };
  const d = readDestinations(env, bad, 5000);
  assert.deepEqual(bad, []);
  assert.deepEqual(d.map((x) => [x.id, x.type, x.url]), [
    ["warehouse", "nurture", "https://c.example.com/in"],
    ["segment", "segment", "https://api.segment.io/v1/batch"],
    ["rudder", "segment", "https://dp.example.com/v1/batch"],
    ["hooks", "webhook", "https://hooks.example.com/n"],
  ]);
  assert.equal(d[1].writeKey, WRITE_KEY);
  assert.equal(d[1].identify, true);
  assert.equal(d[2].identify, false);
  assert.equal(d[2].batchSize, 20);
  assert.deepEqual(d[3].secrets, [HOOK_SECRET, OLD_HOOK_SECRET]);
  assert.equal(d[3].timeoutMs, 900);
});

test("DESTINATIONS: each mistake named by its path, never with a credential's value", () => {
  const cases = [
    ["not JSON", "[{", [["DESTINATIONS", /not JSON/]]],
    ["not a list", '{"id":"x"}', [["DESTINATIONS", /not a JSON list/]]],
    ["empty", "[]", [["DESTINATIONS", /empty list/]]],
    ["an item not an object", "[1]", [["DESTINATIONS[0]", /not an object/]]],
    ["unknown type", [{ id: "a", type: "kafka", url: "https://x.example" }], [["DESTINATIONS[0].type", /one of nurture, segment, webhook/]]],
    ["bad id", [{ id: "Bad Id", type: "nurture", url: "https://x.example" }], [["DESTINATIONS[0].id", /a-z/]]],
    ["duplicate id", [{ id: "a", type: "nurture", url: "https://x.example" }, { id: "a", type: "nurture", url: "https://y.example" }], [["DESTINATIONS[1].id", /used by another/]]],
    ["missing url", [{ id: "a", type: "nurture" }], [["DESTINATIONS[0].url", /required for a nurture destination/]]],
    ["url not http", [{ id: "a", type: "nurture", url: "ftp://x.example" }], [["DESTINATIONS[0].url", /not an http\(s\) URL/]]],
    ["typo", [{ id: "a", type: "nurture", url: "https://x.example", batchsize: 5 }], [["DESTINATIONS[0].batchsize", /not a field of a nurture destination/]]],
    ["no write key", [{ id: "s", type: "segment", url: "https://api.segment.io" }], [["DESTINATIONS[0].writeKey", /required for a segment destination/]]],
    ["an empty write key", [{ id: "s", type: "segment", url: "https://api.segment.io", writeKey: " " }], [["DESTINATIONS[0].writeKey", /required for a segment destination/]]],
    ["a write key of another type", [{ id: "s", type: "segment", url: "https://api.segment.io", writeKey: 42 }], [["DESTINATIONS[0].writeKey", /a string, or \{"secret": "NAME"\}/]]],
    ["a secret in a list, unset", [{ id: "h", type: "webhook", url: "https://h.example", secret: [HOOK_SECRET, { secret: "OLD_HOOK" }] }], [["DESTINATIONS[0].secret[1].secret", /names OLD_HOOK, which is not set/]]],
    ["unset secret", [{ id: "s", type: "segment", url: "https://api.segment.io", writeKey: { secret: "NOPE_KEY" } }], [["DESTINATIONS[0].writeKey.secret", /names NOPE_KEY, which is not set/]]],
    ["the worker's own key", [{ id: "s", type: "segment", url: "https://api.segment.io", writeKey: { secret: "ADMIN_TOKEN" } }], [["DESTINATIONS[0].writeKey.secret", /own credential/]]],
    ["short webhook secret", [{ id: "h", type: "webhook", url: "https://h.example", secret: "short-secret" }], [["DESTINATIONS[0].secret", /at least 16/]]],
    ["bad batch size", [{ id: "h", type: "webhook", url: "https://h.example", secret: HOOK_SECRET, batchSize: 0 }], [["DESTINATIONS[0].batchSize", /from 1 to 100/]]],
    ["identify not boolean", [{ id: "s", type: "segment", url: "https://api.segment.io", writeKey: "k", identify: "yes" }], [["DESTINATIONS[0].identify", /true or false/]]],
    ["COLLECTOR_URL beside, unnamed", [{ id: "a", type: "nurture", url: "https://x.example" }], [["COLLECTOR_URL", /does not name it/]], { COLLECTOR_URL: "https://c.example" }],
  ];
  for (const [name, value, expected, extra = {}] of cases) {
    const bad = [];
    const env = { ADMIN_TOKEN: "the-admin-secret", ...extra, DESTINATIONS: typeof value === "string" ? value : JSON.stringify(value) };
    const d = readDestinations(env, bad, 5000);
    assert.equal(bad.length, expected.length, `${name}: ${JSON.stringify(bad)}`);
    expected.forEach(([field, problem], i) => {
      assert.equal(bad[i].name, field, name);
      assert.match(bad[i].problem, problem, name);
    });
    assert.ok(!JSON.stringify(bad).includes("the-admin-secret"), `${name}: no credential in the error`);
    // The bad destination is left out; nothing is half-configured.
    assert.ok(d.every((x) => x.url && (x.type !== "segment" || x.writeKey)), name);
  }
  // An inline secret that is wrong is hidden too.
  const bad = [];
  readDestinations({ DESTINATIONS: JSON.stringify([{ id: "h", type: "webhook", url: "https://h.example", secret: "tiny-secret-x" }]) }, bad, 5000);
  assert.ok(!JSON.stringify(bad).includes("tiny-secret-x"));
});

// ---- the Segment Spec -------------------------------------------------------------

const NOW = "2026-12-02T10:00:00.000Z";
const common = { messageId: "m-1", timestamp: NOW, anonymousId: "anon-1" };
const VALID = [
  { type: "track", event: "Demo Requested", properties: { plan: "pro" }, ...common },
  { type: "identify", traits: { nurture_grade: "A1" }, userId: "u-1", messageId: "m-2", timestamp: NOW },
  { type: "page", name: "Pricing", properties: { path: "/pricing", url: "https://www.example.com/pricing" }, ...common },
  { type: "screen", name: "Home", ...common },
  { type: "group", groupId: "acct-1", traits: { industry: "Energy" }, ...common },
  { type: "alias", previousId: "anon-1", userId: "u-1", messageId: "m-3", timestamp: NOW },
  { type: "track", event: "X", ...common, context: { page: { path: "/" } }, integrations: { All: true, Salesforce: false, Amplitude: { session_id: 1 } }, sentAt: NOW },
];

test("the spec check accepts a valid call of every type", () => {
  for (const call of VALID) assert.deepEqual(specProblems(call), [], JSON.stringify(call));
});

test("the spec check fails wrong calls, each for its reason", () => {
  const wrong = [
    [{ ...VALID[0], event: undefined }, /event: required in a track call/],
    [{ ...VALID[0], event: "" }, /event: a non-empty string/],
    [{ type: "track", event: "X", messageId: "m", timestamp: NOW }, /userId or anonymousId: one is required/],
    [{ ...VALID[0], messageId: undefined }, /messageId: required/],
    [{ ...VALID[0], timestamp: "yesterday" }, /timestamp: an ISO-8601 date string/],
    [{ ...VALID[0], timestamp: 1764669600000 }, /timestamp: an ISO-8601 date string/],
    [{ ...VALID[0], properties: [1, 2] }, /properties: an object/],
    [{ ...VALID[0], score: { grade: "A1" } }, /score: not a field of a track call/],
    [{ ...VALID[0], receivedAt: NOW }, /receivedAt: not a field .*set by the API/],
    [{ ...VALID[0], type: "event" }, /type: one of/],
    [{ ...VALID[0], userId: 42 }, /userId: a non-empty string/],
    [{ ...VALID[0], integrations: { Salesforce: "no" } }, /integrations.Salesforce/],
    [{ ...VALID[1], traits: "A1" }, /traits: an object/],
    [{ ...VALID[2], properties: { path: 7 } }, /properties.path: a string/],
    [{ ...VALID[4], groupId: undefined }, /groupId: required in a group call/],
    [{ ...VALID[5], previousId: undefined }, /previousId: required in an? alias call/],
    [{ ...VALID[5], userId: undefined, anonymousId: "a" }, /userId: required in an? alias call/],
    [{ ...VALID[0], event: undefined, name: "Pricing" }, /name: not a field of a track call/],
    ["track", /a JSON object/],
  ];
  for (const [call, reason] of wrong) {
    const problems = specProblems(call);
    assert.ok(problems.some((p) => reason.test(p)), `${JSON.stringify(call)}: ${JSON.stringify(problems)}`);
  }
});

const summary = { fit: 80, fitGrade: "A", engagement: 55, grade: "A2", tier: "hot", stage: "decision", mql: true, interests: [{ tag: "pricing", share: 1 }], breakdown: { fit: [], engagement: [] } };
const visitorId = "AbCdEfGhIjKlMnOpQrSt_w";

test("events and signals become Segment calls that pass the check, the score in context.nurture", () => {
  const dest = { id: "segment", type: "segment", url: "https://api.segment.io/v1/batch", timeoutMs: 1000, batchSize: 100, writeKey: "k", identify: true };
  const event = (e) => ({ kind: "event", id: "evt_1", visitorId, receivedAt: Date.parse(NOW), event: e, score: summary, segments: ["ent"], primarySegment: "ent" });
  const page = toCalls(dest, event({ type: "page", messageId: "ajs-1", timestamp: Date.parse(NOW) - 1000, channel: "browser", properties: { path: "/p", title: 3 } }));
  assert.equal(page.length, 1);
  assert.deepEqual(specProblems(page[0]), []);
  assert.equal(page[0].type, "page");
  assert.equal(page[0].messageId, "evt_1");
  assert.equal(page[0].anonymousId, visitorId);
  assert.equal(page[0].properties.title, "3");
  assert.equal(page[0].timestamp, new Date(Date.parse(NOW) - 1000).toISOString());
  assert.deepEqual(page[0].context.nurture, { visitorId, kind: "event", grade: "A2", tier: "hot", stage: "decision", fit: 80, fitGrade: "A", engagement: 55, mql: true, interests: summary.interests, segments: ["ent"], primarySegment: "ent", channel: "browser", sourceMessageId: "ajs-1" });
  const own = toCalls(dest, event({ type: "track", event: "Signed Up", userId: "u-9", anonymousId: "sdk-anon", timestamp: NOW, context: { page: { path: "/x" } } }))[0];
  assert.equal(own.userId, "u-9");
  assert.equal(own.anonymousId, "sdk-anon");
  assert.deepEqual(own.context.page, { path: "/x" });
  const firmo = toCalls(dest, event({ type: "group", timestamp: NOW, traits: { industry: "Energy" } }))[0];
  assert.equal(firmo.type, "identify");
  assert.deepEqual(firmo.traits, { company: { industry: "Energy" } });
  const grouped = toCalls(dest, event({ type: "group", groupId: "g1", timestamp: NOW, traits: { industry: "Energy" } }))[0];
  assert.equal(grouped.type, "group");
  const signal = { kind: "signal", id: `sig_${visitorId}_7_grade-changed`, visitorId, receivedAt: Date.parse(NOW), event: { type: "track", event: "Grade Changed", timestamp: NOW, properties: { from: "B2", to: "A2" } }, profile: { email: "sha256:ab" }, score: summary };
  const [track, identify] = toCalls(dest, signal);
  for (const c of [track, identify]) assert.deepEqual(specProblems(c), [], JSON.stringify(c));
  assert.equal(track.event, "Grade Changed");
  assert.deepEqual(track.properties, { from: "B2", to: "A2" });
  assert.equal(identify.messageId, `idt_${visitorId}_7`);
  assert.deepEqual(identify.traits, { nurture_grade: "A2", nurture_fit: 80, nurture_engagement: 55, nurture_mql: true, nurture_stage: "decision", nurture_tier: "hot", nurture_fit_grade: "A" }, "a hashed address is no address for a CRM");
  assert.equal(toCalls(dest, { ...signal, profile: { email: "buyer@bigco.example" } })[1].traits.email, "buyer@bigco.example");
  assert.equal(toCalls({ ...dest, identify: false }, signal).length, 1, "identify: false sends none");
  const reengage = { ...signal, id: `sig_${visitorId}_8_re-engagement-due`, event: { type: "track", event: "Re-engagement Due", timestamp: NOW, properties: {} } };
  assert.equal(toCalls(dest, reengage).length, 1, "no identify without a score change");
  // A call over Segment's 32 KB is refused with the reason, not sent.
  const huge = segment.encode(dest, event({ type: "track", event: "Big", timestamp: NOW, properties: { blob: "x".repeat(MAX_CALL_BYTES) } }));
  assert.match(huge.refused, /over the 32 KB/);
  const nameless = segment.encode(dest, event({ type: "track", timestamp: NOW }));
  assert.match(nameless.refused, /event: required in a track call/);
});

// ---- three destinations in workerd ------------------------------------------------

let mf;
let nurtureCol;
let segmentCol;
let hookCol;
const hookDeliveries = [];
const segmentAuth = new Set();
const segmentRequests = []; // {bytes, calls}
const segmentProblems = [];
let hookMode = "ok";

before(async () => {
  nurtureCol = await startCollector();
  segmentCol = await startCollector({
    keyOf: (call) => call?.messageId,
    onRequest: (req, raw) => {
      segmentAuth.add(req.headers.authorization);
      const body = JSON.parse(raw.toString("utf8"));
      if (typeof body.sentAt !== "string" || Number.isNaN(Date.parse(body.sentAt))) segmentProblems.push("sentAt");
      if (raw.length > MAX_BATCH_BYTES) segmentProblems.push("over 500 KB");
      segmentRequests.push({ bytes: raw.length, calls: body.batch.length });
      for (const call of body.batch) {
        const p = specProblems(call);
        if (p.length) segmentProblems.push(`${call.messageId}: ${p.join("; ")}`);
        if (Buffer.byteLength(JSON.stringify(call)) > MAX_CALL_BYTES) segmentProblems.push(`${call.messageId}: over 32 KB`);
      }
    },
  });
  hookCol = await startCollector({
    fault: () => hookMode,
    onRequest: (req, raw) => hookDeliveries.push({ raw, signature: req.headers["nurture-signature"], key: req.headers["idempotency-key"], mode: hookMode }),
  });
  mf = await startWorker({
    vars: {
      COLLECTOR_URL: nurtureCol.url,
      SEGMENT_WRITE_KEY: WRITE_KEY,
      WEBHOOK_SECRET: `${HOOK_SECRET},${OLD_HOOK_SECRET}`,
      DESTINATIONS: JSON.stringify([
        { id: "nurture", type: "nurture", url: { secret: "COLLECTOR_URL" } },
        // The fake API's path ends in /collect: `/v1/batch` is added.
        { id: "segment", type: "segment", url: segmentCol.url, writeKey: { secret: "SEGMENT_WRITE_KEY" } },
        { id: "hooks", type: "webhook", url: hookCol.url, secret: { secret: "WEBHOOK_SECRET" } },
      ]),
      IP_RATE_BURST: "100000",
      VISITOR_RATE_BURST: "100000",
      // Room for events large enough to meet Segment's limits.
      MAX_EVENT_BYTES: "40000",
      MAX_BODY_BYTES: "1048576",
    },
    queue: { maxBatchTimeout: 0.1, maxRetries: 1 },
  });
});
after(async () => {
  await mf?.dispose();
  for (const c of [nurtureCol, segmentCol, hookCol]) await c?.close();
});

const hot = { email: "buyer@bigco.example", title: "VP of Operations", company: "BigCo", industry: "Oil & Gas", companySize: 5000, budget: "approved", timeline: "this quarter" };

async function admin(pathname, body) {
  const res = await mf.dispatchFetch(`http://worker.test${pathname}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

test("one visitor's events reach all three destinations: envelope, Segment calls, signed webhook", async () => {
  const now = Date.now();
  const events = [
    { type: "page", messageId: "p1", timestamp: now - 60_000, properties: { path: "/pricing", dwellSeconds: 60 } },
    { type: "page", messageId: "p2", timestamp: now - 50_000, name: "Case study", properties: { path: "/case-studies/x" } },
    { type: "track", event: "Whitepaper Downloaded", messageId: "t1", timestamp: now - 40_000 },
  ];
  const res = await post(mf, { events });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  const { visitorId: vid } = body;
  // Back office: the CRM's identify and a demo request make the visitor a
  // qualified lead (Lead Qualified, Stage Changed, Grade Changed signals).
  const office = await backOffice(mf, vid, [
    { type: "identify", messageId: "crm-1", timestamp: now - 30_000, traits: hot },
    { type: "track", event: "Demo Requested", messageId: "crm-2", timestamp: now - 20_000 },
  ]);
  const officeBody = await office.json();
  assert.equal(office.status, 200, JSON.stringify(officeBody));
  const signals = body.signals.length + officeBody.signals.length;
  assert.ok(officeBody.signals.includes("Lead Qualified"), JSON.stringify(officeBody.signals));
  const expected = events.length + 2 + signals;
  assert.ok(await waitFor(() => nurtureCol.byKey.size === expected && hookCol.byKey.size === expected && [...segmentCol.byKey.values()].filter((c) => c.type !== "identify" || !c.messageId.startsWith("idt_")).length === expected, { timeoutMs: 20_000 }),
    `nurture ${nurtureCol.byKey.size}, webhook ${hookCol.byKey.size}, segment ${segmentCol.byKey.size} of ${expected}`);

  // nurture: the envelope, unchanged (no destination label).
  const envelopes = [...nurtureCol.byKey.values()];
  assert.ok(envelopes.every((m) => m.destination === undefined && m.visitorId === vid));

  // segment: every call passes the spec check, with the write key as Basic user.
  assert.deepEqual(segmentProblems, []);
  assert.deepEqual([...segmentAuth], [`Basic ${Buffer.from(`${WRITE_KEY}:`).toString("base64")}`]);
  const calls = [...segmentCol.byKey.values()];
  for (const m of envelopes) {
    const call = segmentCol.byKey.get(m.id);
    assert.ok(call, `${m.id} reached Segment with the same idempotency key`);
    assert.equal(call.context.nurture.visitorId, vid);
    if (m.kind === "signal") {
      assert.equal(call.type, "track");
      assert.equal(call.event, m.event.event);
    } else {
      assert.equal(call.type, m.event.type === "identify" ? "identify" : m.event.type ?? "track");
      assert.equal(call.context.nurture.sourceMessageId, m.event.messageId);
    }
    if (m.score) assert.equal(call.context.nurture.grade, m.score.grade);
  }
  const qualified = envelopes.find((m) => m.event.event === "Lead Qualified");
  const traitCall = calls.find((c) => c.type === "identify" && c.messageId.startsWith("idt_") && c.timestamp === qualified.event.timestamp);
  assert.ok(traitCall, "an identify with the score traits went with the score change");
  assert.deepEqual(
    [traitCall.traits.nurture_grade, traitCall.traits.nurture_fit, traitCall.traits.nurture_engagement, traitCall.traits.nurture_mql],
    [qualified.score.grade, qualified.score.fit, qualified.score.engagement, true],
  );
  assert.equal(segmentCol.stats.duplicates, 0, "one identify per update, not one per signal");

  // webhook: the documented snippet verifies every delivery; each message as in the envelope.
  assert.ok(hookDeliveries.length > 0);
  for (const d of hookDeliveries) {
    assert.match(d.signature, /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/, "one v1 per secret (rotation)");
    assert.match(d.key, /^bat_[0-9a-f]{40}$/);
    const { batch } = verifyNurtureWebhook(d.raw, d.signature, [HOOK_SECRET]);
    verifyNurtureWebhook(d.raw, d.signature, [OLD_HOOK_SECRET]); // the old secret still verifies during a rotation
    for (const m of batch) assert.deepEqual(m, nurtureCol.byKey.get(m.id));
  }
});

test("the documented snippet refuses a changed body, a replay past the tolerance and a wrong secret", async () => {
  const d = hookDeliveries[0];
  const t = Number(/t=(\d+)/.exec(d.signature)[1]);
  // A changed body: one character of it.
  const tampered = Buffer.from(d.raw);
  const at = tampered.indexOf('"visitorId":"') + 13;
  tampered[at] = tampered[at] === 0x41 ? 0x42 : 0x41;
  assert.throws(() => verifyNurtureWebhook(tampered, d.signature, [HOOK_SECRET]), /no valid signature/);
  // The same delivery, replayed six minutes later (tolerance 5).
  assert.throws(() => verifyNurtureWebhook(d.raw, d.signature, [HOOK_SECRET], { now: (t + 360) * 1000 }), /outside the tolerance/);
  // A replayed delivery with its timestamp moved forward: the signature no longer matches.
  const moved = d.signature.replace(/t=\d+/, `t=${t + 60}`);
  assert.throws(() => verifyNurtureWebhook(d.raw, moved, [HOOK_SECRET], { now: (t + 60) * 1000 }), /no valid signature/);
  assert.throws(() => verifyNurtureWebhook(d.raw, d.signature, ["another-secret-0123456789"]), /no valid signature/);
  assert.throws(() => verifyNurtureWebhook(d.raw, "v1=abc", [HOOK_SECRET]), /malformed/);
  assert.throws(() => verifyNurtureWebhook(d.raw, undefined, [HOOK_SECRET]), /malformed/);
  // And the worker's signer and the snippet agree on a body of our own.
  const body = '{"batch":[]}';
  const now = Date.now();
  assert.deepEqual(verifyNurtureWebhook(body, await signatureHeader([HOOK_SECRET], body, now), [HOOK_SECRET], { now }), { batch: [] });
});

test("a destination that refuses gets its own dead letters and replay; the others get nothing twice", async () => {
  const had = nurtureCol.byKey.size;
  hookMode = "refuse";
  const now = Date.now();
  const events = [0, 1, 2].map((i) => ({ type: "page", messageId: `dl-${i}`, timestamp: now - i * 1000, properties: { path: `/dl/${i}` } }));
  const res = await post(mf, { events });
  const body = await res.json();
  assert.equal(res.status, 200);
  const expected = body.accepted.length + body.signals.length;
  assert.ok(await waitFor(async () => (await admin("/v1/admin/dead-letters?destination=hooks")).count === expected, { timeoutMs: 20_000 }), "the webhook's refusals were dead-lettered");
  const hooks = await admin("/v1/admin/dead-letters?destination=hooks");
  assert.ok(hooks.first.every((f) => f.destination === "hooks" && /hooks refused the message \(HTTP 400\)/.test(f.reason)), JSON.stringify(hooks.first));
  assert.equal((await admin("/v1/admin/dead-letters?destination=segment")).count, 0);
  assert.equal((await admin("/v1/admin/dead-letters?destination=nurture")).count, 0);
  const all = await admin("/v1/admin/dead-letters");
  assert.deepEqual(all.byDestination, { hooks: expected });
  assert.ok(await waitFor(() => nurtureCol.byKey.size === had + expected), "the collector got them (no outage there)");

  // Replaying another destination's dead letters sends nothing.
  const none = await admin("/v1/admin/replay", { destination: "segment" });
  assert.equal(none.replayed, 0);
  // The webhook is fixed; its dead letters go to it alone.
  hookMode = "ok";
  const nurtureRequests = nurtureCol.stats.requests;
  const segmentRequests = segmentCol.stats.requests;
  const r = await admin("/v1/admin/replay", { destination: "hooks" });
  assert.equal(r.replayed, expected);
  assert.equal(r.delivered, expected);
  assert.deepEqual(Object.keys(r.byDestination), ["hooks"]);
  assert.equal((await admin("/v1/admin/dead-letters")).count, 0);
  assert.equal(nurtureCol.stats.requests, nurtureRequests, "nothing resent to the nurture collector");
  assert.equal(segmentCol.stats.requests, segmentRequests, "nothing resent to Segment");
  assert.equal(nurtureCol.stats.duplicates, 0);
  assert.equal(segmentCol.stats.duplicates, 0);
  assert.equal(hookCol.stats.duplicates, 0);
  for (const d of hookDeliveries.filter((x) => x.mode === "ok")) verifyNurtureWebhook(d.raw, d.signature, [HOOK_SECRET]);
  assert.equal(hookCol.byKey.size, nurtureCol.byKey.size, "the webhook has every message the collector has");

  // Bad filters are 400s with stable codes.
  const badQuery = await mf.dispatchFetch("http://worker.test/v1/admin/dead-letters?destination=No%20Such", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(badQuery.status, 400);
  assert.equal((await badQuery.json()).error.code, "invalid_field");
  const badBody = await mf.dispatchFetch("http://worker.test/v1/admin/replay", { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ destinations: "hooks" }) });
  assert.equal(badBody.status, 400);
  assert.equal((await badBody.json()).error.code, "unknown_field");
});

test("a queue message without a destination label (queued before destinations) goes to `nurture` only", async () => {
  const queue = await mf.getQueueProducer("FORWARD_QUEUE");
  const counts = { segment: segmentCol.stats.requests, hooks: hookCol.stats.requests };
  const legacy = { kind: "signal", id: `sig_LegacyVisitorIdAbcdef_1_legacy`, visitorId: "LegacyVisitorIdAbcdef", receivedAt: Date.now(), event: { type: "track", event: "Legacy", timestamp: new Date().toISOString(), properties: {} }, profile: {}, score: null };
  await queue.send(legacy, { contentType: "json" });
  assert.ok(await waitFor(() => nurtureCol.byKey.has(legacy.id), { timeoutMs: 20_000 }), "the collector got it");
  assert.deepEqual(nurtureCol.byKey.get(legacy.id), legacy);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(segmentCol.stats.requests, counts.segment);
  assert.equal(hookCol.stats.requests, counts.hooks);
});

test("Segment's limits: a batch over 500 KB goes in several requests; a call over 32 KB is dead-lettered for segment only", async () => {
  const now = Date.now();
  const sent = segmentRequests.length;
  const events = Array.from({ length: 36 }, (_, i) => ({ type: "page", messageId: `big-${i}`, timestamp: now - i, properties: { path: `/big/${i}`, blob: "x".repeat(14_000) } }));
  events.push({ type: "track", event: "Too Big", messageId: "huge", timestamp: now, properties: { blob: "y".repeat(34_000) } });
  const res = await post(mf, { events });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body).slice(0, 300));
  assert.equal(body.accepted.length, events.length);
  const ids = new Set(body.accepted.map((a) => a.id));
  const arrived = () => [...nurtureCol.byKey.values()].filter((m) => ids.has(m.event?.messageId));
  assert.ok(await waitFor(() => arrived().length === events.length && arrived().every((m) => hookCol.byKey.has(m.id)), { timeoutMs: 20_000 }), "the collector and the webhook got all of them");
  const huge = arrived().find((m) => m.event.messageId === "huge");
  assert.ok(await waitFor(async () => (await admin("/v1/admin/dead-letters?destination=segment")).count === 1, { timeoutMs: 20_000 }));
  const dl = await admin("/v1/admin/dead-letters?destination=segment");
  assert.equal(dl.first[0].id, huge.id);
  assert.match(dl.first[0].reason, /a track call of \d+ bytes: over the 32 KB a Segment call may take/);
  assert.ok(!segmentCol.byKey.has(huge.id), "the oversized call was not sent");
  const big = arrived().filter((m) => m.event.messageId !== "huge");
  assert.ok(big.every((m) => segmentCol.byKey.has(m.id)), "every call under 32 KB reached Segment");
  const mine = segmentRequests.slice(sent).filter((r) => r.bytes > 20_000);
  assert.ok(mine.length >= 2, `${JSON.stringify(mine)}: more than 500 KB went in several requests`);
  assert.ok(mine.every((r) => r.bytes <= MAX_BATCH_BYTES), JSON.stringify(mine));
  assert.deepEqual(segmentProblems, []);
  // The other destinations took it: nothing of theirs waits.
  assert.equal((await admin("/v1/admin/dead-letters?destination=hooks")).count, 0);
  assert.equal((await admin("/v1/admin/dead-letters?destination=nurture")).count, 0);
});

test("dead letters filed before destinations move under `nurture` when the store starts, and replay there", async () => {
  const persist = mkdtempSync(path.join(tmpdir(), "nurture-dl-"));
  // A store as an older worker left it: entries keyed by message id alone.
  // The class keeps its name (and so its storage); a method of this test
  // writes what the older worker wrote.
  const seeder = new Miniflare({
    name: "nurture-worker",
    modules: [
      {
        type: "ESModule",
        path: path.join(dist, "seed.mjs"),
        contents: `import { DeadLetterStore as Store } from "./index.js";
export class DeadLetterStore extends Store {
  async fileAsBefore(items) {
    for (const item of items) await this.ctx.storage.put("dl:" + item.body.id, item);
    await this.ctx.storage.put("filed", items.length);
    await this.ctx.storage.delete("layout");
  }
}
export class VisitorState {}
export default { fetch: () => new Response("") };`,
      },
      { type: "ESModule", path: path.join(dist, "index.js") },
      { type: "CompiledWasm", path: path.join(dist, "nurture_bg.wasm") },
    ],
    modulesRoot: dist,
    compatibilityDate: "2025-09-01",
    durableObjects: { DEAD_LETTERS: { className: "DeadLetterStore", useSQLite: true } },
    durableObjectsPersist: persist,
  });
  const legacy = ["a", "b"].map((x) => ({ body: { kind: "signal", id: `sig_OldVisitorIdAbcdefgh_1_${x}`, visitorId: "OldVisitorIdAbcdefgh", receivedAt: 1, event: { type: "track", event: "Old", timestamp: new Date(1).toISOString() }, score: null }, reason: "collector refused the message", attempts: 6, failedAt: 1 }));
  try {
    const ns = await seeder.getDurableObjectNamespace("DEAD_LETTERS");
    await ns.get(ns.idFromName("global")).fileAsBefore(legacy);
  } finally {
    await seeder.dispose();
  }
  const col = await startCollector();
  const w = new Miniflare(workerOptions({
    vars: { NURTURE_KEYS: KEYS, ADMIN_TOKEN, SITE_CONFIG_JSON, NURTURE_DEMO: "true", COLLECTOR_URL: col.url, ADMIN_RATE_BURST: "1000" },
    durableObjectsPersist: persist,
  }));
  try {
    const call = async (pathname, body) => {
      const res = await w.dispatchFetch(`http://worker.test${pathname}`, { method: body ? "POST" : "GET", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
      assert.equal(res.status, 200);
      return res.json();
    };
    const listed = await call("/v1/admin/dead-letters?destination=nurture");
    assert.equal(listed.count, 2);
    assert.deepEqual(listed.byDestination, { nurture: 2 });
    assert.deepEqual(listed.first.map((f) => [f.id, f.destination]), legacy.map((l) => [l.body.id, "nurture"]));
    const r = await call("/v1/admin/replay", {});
    assert.equal(r.delivered, 2);
    assert.deepEqual([...col.byKey.keys()].sort(), legacy.map((l) => l.body.id).sort());
    assert.ok([...col.byKey.values()].every((m) => m.destination === undefined), "the envelope as before");
    assert.equal((await call("/v1/admin/dead-letters")).count, 0);
  } finally {
    await w.dispose();
    await col.close();
  }
});

test("in workerd, a malformed DESTINATIONS is invalid_variable on every route, naming the path and hiding the key", async () => {
  const w = await startWorker({
    vars: { DESTINATIONS: JSON.stringify([{ id: "segment", type: "segment", url: "https://api.segment.io", writeKey: { secret: "SEGMENT_WRITE_KEY" } }]) },
  });
  try {
    for (const [pathname, method] of [["/v1/health", "GET"], ["/v1/events", "POST"]]) {
      const res = await w.dispatchFetch(`http://worker.test${pathname}`, { method, headers: { "content-type": "application/json" }, body: method === "POST" ? "{}" : undefined });
      const body = await res.json();
      assert.equal(res.status, 500, pathname);
      assert.equal(body.error.code, "invalid_variable");
      assert.match(body.error.message, /DESTINATIONS\[0\]\.writeKey\.secret = "SEGMENT_WRITE_KEY" \(names SEGMENT_WRITE_KEY, which is not set\)/);
    }
  } finally {
    await w.dispose();
  }
});
