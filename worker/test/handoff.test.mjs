// The handoff to sales in workerd, through a collector that fails, hangs
// and drops requests: routing of qualified leads (region × industry, key
// accounts to their owner), recycling when sales does not accept within the
// SLA (the Durable Object's alarm), outcomes back from the CRM (idempotent;
// accepted stops every program signal, rejected puts the lead back into
// nurture with the reason), programs entered and exited once per entry, and
// 20 hostile outcome payloads answered 4xx with stable codes.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startWorker, startCollector, backOffice, ok, errorCode, waitFor, rng, ADMIN_TOKEN } from "./harness.mjs";
import { HANDOFF, SLA_SECONDS } from "./handoff-fixture.mjs";

const DAY = 86_400_000;

let mf;
let col;
// Fault injection, per request (`req.raw`: its body).
let fault = () => "ok";
/** message id → times the collector took it (a duplicate counts again) */
const received = new Map();

before(async () => {
  col = await startCollector({
    // A hung request is closed after 2 s (the worker gave up after 0.5 s).
    hangMs: 2000,
    // Each request's body rides along for the fault to read; the ids of the
    // messages the collector took (stored, or stored and then left hanging)
    // are counted, duplicates included.
    onRequest: (req, raw) => {
      req.raw = raw.toString("utf8");
    },
    fault: (req) => {
      const mode = fault(req);
      if (mode === "ok" || mode === "hang") {
        for (const m of JSON.parse(req.raw).batch ?? []) received.set(m.id, (received.get(m.id) ?? 0) + 1);
      }
      return mode;
    },
  });
  mf = await startWorker({
    vars: {
      COLLECTOR_URL: col.url,
      COLLECTOR_TIMEOUT_MS: "500",
      HANDOFF_JSON: JSON.stringify(HANDOFF),
      IP_RATE_BURST: "100000",
      VISITOR_RATE_BURST: "100000",
    },
    queue: { maxBatchSize: 20, maxBatchTimeout: 0.1, maxRetries: 5 },
  });
});
after(async () => {
  await mf?.dispose();
  await col?.close();
});

let serial = 0;
const vid = (tag) => `${tag}-${String(++serial).padStart(3, "0")}`.padEnd(22, "x").slice(0, 22);

/** A lead that qualifies in one back-office batch, with `traits` over a hot profile (from `ip`, if given). */
async function qualify(visitorId, traits, now = Date.now(), ip = null) {
  const profile = { email: `${visitorId}@lead.example`, title: "VP of Operations", company: "Acme", industry: "Oil & Gas", companySize: 5000, budget: "approved", timeline: "this quarter", ...traits };
  const send = ip === null ? (events) => backOffice(mf, visitorId, events) : (events) => mf.dispatchFetch("http://worker.test/v1/admin/events", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}`, "cf-connecting-ip": ip },
    body: JSON.stringify({ visitorId, events }),
  });
  const body = await ok(await send([
    { type: "identify", messageId: `${visitorId}-id`, timestamp: now - 61 * DAY, traits: profile },
    { type: "track", event: "Event Attended", messageId: `${visitorId}-ev`, timestamp: now - 60 * DAY },
    { type: "track", event: "Demo Requested", messageId: `${visitorId}-demo`, timestamp: now },
  ]));
  assert.equal(body.score.mql, true, JSON.stringify(body.score));
  assert.ok(body.signals.includes("Lead Qualified"));
  return body;
}

const messagesOf = (visitorId, name) =>
  [...col.byKey.values()].filter((m) => m.visitorId === visitorId && m.kind === "signal" && (name === undefined || m.event.event === name));

async function outcomes(list, { token = ADMIN_TOKEN, headers = {} } = {}) {
  return mf.dispatchFetch("http://worker.test/v1/outcomes", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ outcomes: list }),
  });
}

const emailHash = (email) => createHash("sha256").update(email.trim().toLowerCase()).digest("hex");

test("routing: region × industry picks the queue, a key account goes to its named owner", async () => {
  const leads = [
    [vid("mfg"), { region: "EMEA", industry: "Manufacturing" }, { queue: "emea-mfg", rule: "emea-manufacturing" }],
    [vid("ret"), { region: "EMEA", industry: "Retail" }, { queue: "emea-general", rule: "emea" }],
    [vid("oil"), { region: "APAC", industry: "Oil & Gas" }, { queue: "apac-energy", rule: "apac-energy" }],
    [vid("key"), { region: "APAC", industry: "Oil & Gas", company: "PetroChina" }, { queue: "owner", owner: "li.na@vendor.example", rule: "key-accounts" }],
    [vid("man"), { region: "APAC", company: "sinopec" }, { queue: "owner", owner: "manual", rule: "hand-routed" }],
    [vid("big"), { region: "LATAM", companySize: 20000 }, { queue: "enterprise", rule: "enterprise" }],
    [vid("none"), { region: "LATAM" }, { queue: "inbound", rule: "fallback" }],
  ];
  for (const [visitorId, traits] of leads) await qualify(visitorId, traits);
  // PetroChina Example's address range (demo/accounts.csv): a key account
  // by its IP, whatever the profile says.
  const byIp = vid("kip");
  await qualify(byIp, { region: "EMEA", industry: "Manufacturing" }, Date.now(), "203.0.113.10");
  leads.push([byIp, {}, { queue: "owner", owner: "li.na@forgewell.example", rule: "key-account-ip" }]);
  assert.ok(await waitFor(() => leads.every(([v]) => messagesOf(v, "Lead Qualified").length === 1), { timeoutMs: 20_000 }));
  for (const [visitorId, , route] of leads) {
    const [q] = messagesOf(visitorId, "Lead Qualified");
    assert.deepEqual(q.event.properties.route, route, visitorId);
    if (route.rule === "emea-manufacturing" || route.rule === "emea") {
      const by = Date.parse(q.event.properties.acceptBy) - Date.parse(q.event.timestamp);
      assert.equal(by, SLA_SECONDS * 1000);
    } else assert.equal(q.event.properties.acceptBy, null);
  }
});

test("recycling: no acceptance within the SLA, recycled and routed again once, then back to nurture; each signal delivered once", async () => {
  const visitorId = vid("rcy");
  let recycledRequests = 0;
  const trail = [];
  const qualified = await qualify(visitorId, { region: "EMEA", industry: "Manufacturing" });
  assert.ok(qualified.signals.includes("Lead Qualified"));
  // From here, the collector fails the first two requests after the SLA
  // and hangs on the third (stored, never answered).
  // The first two requests carrying its first Lead Recycled fail (503: the
  // queue retries), the third is stored and left hanging (the worker times
  // out and sends it again), the rest go through.
  fault = (req) => {
    // Other leads of this file are recycled too: only this lead's first.
    const ids = (JSON.parse(req.raw).batch ?? []).map((m) => m.id);
    if (!ids.some((id) => id.startsWith(`sig_${visitorId}_`) && id.endsWith("_recycle-1"))) return "ok";
    recycledRequests += 1;
    const mode = recycledRequests <= 2 ? "fail" : recycledRequests === 3 ? "hang" : "ok";
    trail.push(`${mode}:${ids.length}`);
    return mode;
  };
  // Two SLAs later: recycled to the next rule (emea), then, with no
  // acceptance there either, back to nurture (maxRecycles 1).
  const done = await waitFor(() => messagesOf(visitorId, "Lead Recycled").length === 2, { timeoutMs: 40_000, intervalMs: 100 });
  assert.ok(done, `recycle signals: ${JSON.stringify(messagesOf(visitorId, "Lead Recycled").map((m) => m.event.properties))}`);
  const recycled = messagesOf(visitorId, "Lead Recycled").sort((a, b) => a.event.properties.recycles - b.event.properties.recycles);
  assert.deepEqual(recycled.map((m) => m.id.replace(/_[0-9a-z]+_recycle/, "_recycle")), [`sig_${visitorId}_recycle-1`, `sig_${visitorId}_recycle-2`]);
  assert.match(recycled[0].id, new RegExp(`^sig_${visitorId}_[0-9a-z]{8,9}_recycle-1$`));
  const [first, second] = recycled.map((m) => m.event.properties);
  assert.deepEqual([first.from.rule, first.to?.queue, first.action, first.recycles], ["emea-manufacturing", "emea-general", "rerouted", 1]);
  assert.deepEqual([second.from.rule, second.to, second.action, second.recycles], ["emea", null, "nurture", 2]);
  // Sent four times at least (two failures, the hang, the resend), taken
  // twice (the hang and the resend), kept once (the collector's map holds
  // one message per id, and the two recycles have two ids).
  assert.ok(await waitFor(() => recycledRequests >= 4, { timeoutMs: 10_000 }), `${recycledRequests} requests carried the first recycle`);
  assert.ok(received.get(recycled[0].id) >= 2, `taken ${received.get(recycled[0].id)} times: ${trail.join(" ")}`);
  fault = () => "ok";
  // No third: a lead back in nurture has no timer.
  await new Promise((r) => setTimeout(r, (SLA_SECONDS + 1) * 1000));
  assert.equal(messagesOf(visitorId, "Lead Recycled").length, 2);
  const state = await (await stub(visitorId)).inspect();
  assert.deepEqual([state.handoff.status, state.handoff.recycles, state.handoff.nurtureReason], ["nurture", 2, "sla"]);
});

const stub = async (visitorId) => {
  const ns = await mf.getDurableObjectNamespace("VISITORS");
  return ns.get(ns.idFromName(visitorId));
};

test("accepted: no recycling and no program signal after it; rejected: back in nurture with the reason", async () => {
  const accepted = vid("acc");
  const rejected = vid("rej");
  await qualify(accepted, { region: "EMEA", industry: "Manufacturing" });
  await qualify(rejected, { region: "EMEA", industry: "Retail" });
  assert.ok(await waitFor(() => messagesOf(accepted, "Program Entered").some((m) => m.event.properties.program === "engaged")));

  const now = Date.now();
  const res = await ok(await outcomes([
    { id: "crm-acc-1", visitorId: accepted, outcome: "accepted", at: new Date(now).toISOString(), owner: "sam@vendor.example" },
    { id: "crm-rej-1", emailHash: `sha256:${emailHash(`${rejected}@lead.example`)}`, outcome: "rejected", at: now, owner: "kim@vendor.example", reason: "no budget this year" },
  ]));
  assert.deepEqual(res.accepted.map((a) => [a.index, a.id, a.visitorIds]), [[0, "crm-acc-1", [accepted]], [1, "crm-rej-1", [rejected]]]);
  assert.deepEqual(res.rejected, []);
  assert.ok(res.signals.includes("Returned to Nurture"));
  const acceptedAt = Date.now();

  // The accepted lead: more activity (which would move programs), time
  // passing (the quiet program, evaluated every second), the SLA's end.
  await ok(await backOffice(mf, accepted, [{ type: "track", event: "Demo Requested", messageId: `${accepted}-demo2`, timestamp: Date.now() }]));
  await new Promise((r) => setTimeout(r, (SLA_SECONDS + 2) * 1000));
  const late = messagesOf(accepted).filter((m) => m.receivedAt >= acceptedAt);
  assert.deepEqual(late.filter((m) => /^Program |^Re-engagement|^Lead Recycled/.test(m.event.event)).map((m) => m.event.event), []);
  const a = await (await stub(accepted)).inspect();
  assert.deepEqual([a.handoff.status, a.handoff.recycles, a.handoff.lastOutcome], ["sales", 0, "accepted"]);

  // The rejected lead: back in nurture with the reason, no timer, and its
  // programs run again (it enters back-in-nurture).
  assert.ok(await waitFor(() => messagesOf(rejected, "Returned to Nurture").length === 1));
  const [back] = messagesOf(rejected, "Returned to Nurture");
  assert.deepEqual([back.event.properties.outcome, back.event.properties.reason, back.event.properties.route.queue], ["rejected", "no budget this year", "emea-general"]);
  const r = await (await stub(rejected)).inspect();
  assert.deepEqual([r.handoff.status, r.handoff.nurtureReason, r.handoff.dueAt], ["nurture", "no budget this year", null]);
  assert.ok(await waitFor(() => messagesOf(rejected, "Program Entered").some((m) => m.event.properties.program === "back-in-nurture")));
  assert.equal(messagesOf(rejected, "Lead Recycled").length, 0);
});

test("programs: entered and exited once per entry across re-deliveries and retries", async () => {
  const visitorId = vid("prg");
  // The collector fails about a third of requests and hangs on some.
  let n = 0;
  fault = () => (++n % 3 === 0 ? "fail" : n % 7 === 0 ? "hang" : "ok");
  const body = await qualify(visitorId, { region: "LATAM" });
  assert.ok(body.signals.includes("Program Entered"));
  // The same batch again (a page's retry): duplicates, nothing evaluated.
  const again = await ok(await backOffice(mf, visitorId, [{ type: "track", event: "Demo Requested", messageId: `${visitorId}-demo`, timestamp: Date.now() }]));
  assert.equal(again.duplicates.length, 1);
  assert.deepEqual(again.signals, []);
  // Unsubscribing exits "engaged"; going quiet for 2 s enters "quiet", and
  // activity exits it: each once, whatever the collector did.
  await ok(await backOffice(mf, visitorId, [{ type: "identify", messageId: `${visitorId}-unsub`, timestamp: Date.now(), traits: { unsubscribed: true } }]));
  const quiet = () => messagesOf(visitorId, "Program Entered").some((m) => m.event.properties.program === "quiet");
  assert.ok(await waitFor(quiet, { timeoutMs: 30_000, intervalMs: 100 }), "quiet entered by the alarm");
  await ok(await backOffice(mf, visitorId, [{ type: "page", messageId: `${visitorId}-back`, timestamp: Date.now(), properties: { path: "/pricing" } }]));
  fault = () => "ok";
  const want = ["engaged-1-entered", "engaged-1-exited", "quiet-1-entered", "quiet-1-exited"];
  const ids = () => messagesOf(visitorId).filter((m) => m.event.event.startsWith("Program ")).map((m) => m.id.replace(/^sig_.{22}_[0-9a-z]+_program-/, "")).sort();
  assert.ok(await waitFor(() => want.every((w) => ids().includes(w)), { timeoutMs: 40_000, intervalMs: 200 }), ids().join(" "));
  // Each once (the collector keeps one per id; no second entry was made).
  assert.deepEqual(ids().filter((i) => i.startsWith("engaged") || i.startsWith("quiet-1")), want.sort());
  assert.ok(col.stats.failed > 0);
});

test("outcomes are idempotent by id", async () => {
  const visitorId = vid("idm");
  await qualify(visitorId, { region: "LATAM" });
  const batch = [
    { id: "crm-idm-1", visitorId, outcome: "returned", at: Date.now() - 1000, reason: "wrong contact" },
    { id: "crm-idm-2", emailHash: emailHash(`${visitorId}@lead.example`), outcome: "accepted", at: Date.now() },
  ];
  const first = await ok(await outcomes(batch));
  assert.equal(first.accepted.length, 2);
  const second = await ok(await outcomes(batch));
  assert.deepEqual(second.accepted, []);
  assert.deepEqual(second.duplicates.map((d) => d.id), ["crm-idm-1", "crm-idm-2"]);
  assert.deepEqual(second.signals, []);
  // Twice in one batch: the second is a duplicate.
  const twice = await ok(await outcomes([{ id: "crm-idm-3", visitorId, outcome: "won", at: Date.now() }, { id: "crm-idm-3", visitorId, outcome: "won", at: Date.now() }]));
  assert.deepEqual([twice.accepted.length, twice.duplicates.map((d) => d.index)], [1, [1]]);
  const s = await (await stub(visitorId)).inspect();
  assert.deepEqual([s.handoff.outcomes, s.handoff.status], [3, "won"]);
  // Good and bad together: the good are kept, the bad answered with reasons.
  const mixed = await ok(await outcomes([{ id: "crm-idm-4", visitorId, outcome: "lost", at: Date.now() }, { id: "crm-idm-5", visitorId, outcome: "bought", at: Date.now() }]));
  assert.deepEqual([mixed.accepted.map((a) => a.id), mixed.rejected.map((r) => [r.index, r.code, r.field])], [["crm-idm-4"], [[1, "invalid_outcome", "outcome"]]]);
});

test("20 hostile outcome payloads: 4xx with stable codes, never a 5xx", async () => {
  const visitorId = vid("hst");
  await qualify(visitorId, { region: "LATAM" });
  const at = new Date().toISOString();
  const good = { id: "h-1", visitorId, outcome: "accepted", at };
  const send = (body, { headers = {}, method = "POST", raw } = {}) => mf.dispatchFetch("http://worker.test/v1/outcomes", {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
    body: method === "GET" ? undefined : raw !== undefined ? raw : JSON.stringify(body),
  });
  const deep = "[".repeat(5000) + "]".repeat(5000);
  const cases = [
    ["no credential", send({ outcomes: [good] }, { headers: { authorization: "" } }), 401, "unauthorized"],
    ["a wrong token", send({ outcomes: [good] }, { headers: { authorization: "Bearer guess" } }), 401, "unauthorized"],
    ["from a browser", send({ outcomes: [good] }, { headers: { origin: "https://www.example.com" } }), 403, "origin_not_allowed"],
    ["GET", send(null, { method: "GET" }), 405, "method_not_allowed"],
    ["not JSON", send(null, { raw: "{outcomes: [" }), 400, "invalid_json"],
    ["empty body", send(null, { raw: "" }), 400, "empty_body"],
    ["a form post", send(null, { raw: "outcomes=1", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "unsupported_media_type"],
    ["a bare list", send([good]), 400, "invalid_body"],
    ["outcomes not a list", send({ outcomes: { 0: good } }), 400, "invalid_body"],
    ["an empty list", send({ outcomes: [] }), 400, "empty_batch"],
    ["101 outcomes", send({ outcomes: Array.from({ length: 101 }, (_, i) => ({ ...good, id: `h-${i}` })) }), 413, "too_many_outcomes"],
    ["too large", send(null, { raw: JSON.stringify({ outcomes: [{ ...good, reason: "x".repeat(70_000) }] }) }), 413, "body_too_large"],
    ["nested 5000 deep", send(null, { raw: `{"outcomes": ${deep}}` }), 422, "invalid_outcomes"],
    ["an extra field", send({ outcomes: [good], admin: true }), 400, "unknown_field"],
    ["__proto__ in an item", send(null, { raw: `{"outcomes": [{"__proto__": {"admin": true}, "id": "h-2", "visitorId": "${visitorId}", "outcome": "won", "at": "${at}"}]}` }), 422, "invalid_outcomes"],
    ["a forged visitor id", send({ outcomes: [{ ...good, visitorId: "../../lead-index" }] }), 422, "invalid_outcomes"],
    ["the lead named twice", send({ outcomes: [{ ...good, emailHash: "0".repeat(64) }] }), 422, "invalid_outcomes"],
    ["a time in 2999", send({ outcomes: [{ ...good, at: "2999-01-01T00:00:00Z" }] }), 422, "invalid_outcomes"],
    ["an object as owner", send({ outcomes: [{ ...good, owner: { toString: "x" } }] }), 422, "invalid_outcomes"],
    ["a visitor never seen", send({ outcomes: [{ ...good, visitorId: "never-seen-visitor-0001" }] }), 422, "invalid_outcomes"],
    ["an e-mail no lead has", send({ outcomes: [{ id: "h-3", emailHash: "f".repeat(64), outcome: "won", at }] }), 422, "invalid_outcomes"],
    ["invalid UTF-8", send(null, { raw: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }), 400, "invalid_encoding"],
  ];
  assert.ok(cases.length >= 20);
  for (const [name, pending, status, code] of cases) {
    const res = await pending;
    const [got, gotCode] = await errorCode(res);
    assert.deepEqual([got, gotCode], [status, code], name);
  }
  // Item reasons are stable codes too.
  const res = await outcomes([{ ...good, visitorId: "x" }, { ...good, id: "" }, { id: "h-9", visitorId, outcome: "won" }, { ...good, extra: 1 }]);
  const body = await res.json();
  assert.equal(res.status, 422);
  assert.deepEqual(body.error.details.rejected.map((r) => r.code), ["invalid_visitor_id", "invalid_id", "invalid_at", "unknown_field"]);
  // Nothing of it was stored.
  const s = await (await stub(visitorId)).inspect();
  assert.equal(s.handoff.outcomes, 0);
});

test("erasure removes the lead from the index: its e-mail hash names nobody afterwards", async () => {
  const visitorId = vid("era");
  await qualify(visitorId, { region: "LATAM" });
  const hash = emailHash(`${visitorId}@lead.example`);
  await ok(await outcomes([{ id: "crm-era-1", emailHash: hash, outcome: "returned", at: Date.now(), reason: "later" }]));
  const erased = await mf.dispatchFetch("http://worker.test/v1/admin/erase", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ visitorIds: [visitorId] }),
  });
  assert.equal((await ok(erased)).erased, 1);
  const res = await outcomes([{ id: "crm-era-2", emailHash: hash, outcome: "accepted", at: Date.now() }]);
  const body = await res.json();
  assert.equal(res.status, 422);
  assert.deepEqual(body.error.details.rejected.map((r) => r.code), ["unknown_email"]);
  const byId = await (await outcomes([{ id: "crm-era-3", visitorId, outcome: "accepted", at: Date.now() }])).json();
  assert.deepEqual(byId.error.details.rejected.map((r) => r.code), ["visitor_erased"]);
});

test("a bad handoff document: health and /v1/outcomes name each bad field's path; events still go through", async () => {
  const bad = await startWorker({
    vars: {
      HANDOFF_JSON: JSON.stringify({ routing: { rules: [{ name: "emea", region: "EMEA", queue: "q" }], sla: "2 days" }, programs: [{ name: "p", entry: { x: { $regex: "(" } } }] }),
    },
  });
  try {
    const health = await bad.dispatchFetch("http://worker.test/v1/health");
    const h = await health.json();
    assert.equal(health.status, 500);
    assert.equal(h.error.code, "handoff_config_invalid");
    assert.deepEqual(h.error.details.errors.map((e) => e.path), ["routing.rules[0].region", "routing.sla"]);
    const res = await bad.dispatchFetch("http://worker.test/v1/outcomes", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ outcomes: [{ id: "x", visitorId: "bad-config-visitor-001", outcome: "won", at: Date.now() }] }),
    });
    assert.deepEqual(await errorCode(res), [500, "handoff_config_invalid"]);
    const events = await ok(await backOffice(bad, "bad-config-visitor-001", [{ type: "page", messageId: "bc-1", timestamp: Date.now(), properties: { path: "/pricing" } }]));
    assert.equal(events.accepted.length, 1);
  } finally {
    await bad.dispose();
  }
  // A condition the core cannot compile is named too.
  const regex = await startWorker({ vars: { HANDOFF_JSON: JSON.stringify({ programs: [{ name: "p", entry: { "profile.title": { $regex: "(" } } }] }) } });
  try {
    const h = await (await regex.dispatchFetch("http://worker.test/v1/health")).json();
    assert.deepEqual(h.error.details.errors.map((e) => e.path), ["programs[0].entry"]);
    assert.match(h.error.message, /programs\[0\]\.entry: .*invalid regex/);
  } finally {
    await regex.dispose();
  }
});

test("300 random outcome payloads: never a 5xx, every error a code of the table", async () => {
  const { ERROR_STATUS } = await import("../src/errors.js");
  const random = rng(17);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const visitorId = vid("fuz");
  await qualify(visitorId, { region: "LATAM" });
  const values = [null, true, 0, -1, 1e308, "", "x".repeat(300), "\u0000", "\ud800", "sha256:" + "a".repeat(64), visitorId, "2026-13-45", new Date().toISOString(), [], {}, { $gt: 1 }, "__proto__", "accepted"];
  const keys = ["id", "visitorId", "emailHash", "outcome", "at", "owner", "reason", "__proto__", "constructor", "extra"];
  const item = () => {
    const o = { id: `f-${Math.floor(random() * 1e9)}`, visitorId, outcome: pick(["accepted", "won", "lost", "returned", "rejected", "opportunity"]), at: Date.now() };
    for (let k = Math.floor(random() * 4); k > 0; k--) o[pick(keys)] = pick(values);
    if (random() < 0.2) delete o[pick(keys)];
    return o;
  };
  const statuses = new Map();
  for (let i = 0; i < 300; i++) {
    const shape = random();
    const body = shape < 0.7 ? { outcomes: Array.from({ length: 1 + Math.floor(random() * 4) }, item) }
      : shape < 0.8 ? { outcomes: pick(values) }
        : shape < 0.9 ? pick(values)
          : { outcomes: [item()], [pick(keys)]: pick(values) };
    let text = JSON.stringify(body);
    if (random() < 0.1) text = text.slice(0, Math.floor(random() * text.length));
    const res = await mf.dispatchFetch("http://worker.test/v1/outcomes", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
      body: text,
    });
    const got = await res.text();
    assert.ok(res.status < 500, `${res.status} for ${text.slice(0, 200)}: ${got}`);
    if (res.status !== 200) {
      const code = JSON.parse(got).error.code;
      assert.equal(ERROR_STATUS[code], res.status, code);
    }
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  }
  assert.ok(statuses.get(200) > 0 && statuses.get(422) > 0 && statuses.get(400) > 0, JSON.stringify([...statuses]));
});
