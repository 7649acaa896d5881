// The pipeline's operator routes in workerd: the labelled export (JSON Lines
// of {profile, events, converted, now}, converted from the outcomes) and the
// metrics, each figure checked against what the collector received (Lead
// Qualified and Lead Recycled signals, scores) and the outcomes posted.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { startWorker, startCollector, backOffice, ok, errorCode, waitFor, ADMIN_TOKEN } from "./harness.mjs";
import { HANDOFF, expectedMetrics } from "./handoff-fixture.mjs";

const DAY = 86_400_000;
let mf;
let col;

before(async () => {
  col = await startCollector();
  mf = await startWorker({ vars: { COLLECTOR_URL: col.url, HANDOFF_JSON: JSON.stringify({ ...HANDOFF, programs: [] }), IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000" } });
});
after(async () => {
  await mf?.dispose();
  await col?.close();
});

const admin = (path, init = {}) => mf.dispatchFetch(`http://worker.test${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...init.headers } });

test("export and metrics: labelled lead records, and figures that match the collector's", { timeout: 60_000 }, async () => {
  const now = Date.now();
  const leads = [];
  for (let i = 0; i < 8; i++) {
    const visitorId = `pipe-lead-${String(i).padStart(3, "0")}`.padEnd(22, "x");
    const pricing = i % 2 === 0 ? 6 : 1; // the planted effect: pricing views
    const events = [
      { type: "identify", messageId: `${visitorId}-id`, timestamp: now - 20 * DAY, traits: { email: `${visitorId}@lead.example`, title: "VP of Operations", company: "Acme", industry: i < 2 ? "Manufacturing" : "Retail", region: i < 2 ? "EMEA" : "LATAM", companySize: 5000, budget: "approved", timeline: "this quarter" } },
      ...Array.from({ length: pricing }, (_, k) => ({ type: "page", messageId: `${visitorId}-p${k}`, timestamp: now - (10 - k) * DAY, properties: { path: "/pricing", dwellSeconds: 60 } })),
      { type: "track", event: "Event Attended", messageId: `${visitorId}-ev`, timestamp: now - 9 * DAY },
      { type: "track", event: "Demo Requested", messageId: `${visitorId}-demo`, timestamp: now },
    ];
    const body = await ok(await backOffice(mf, visitorId, events));
    assert.equal(body.score.mql, true);
    leads.push({ visitorId, sent: events.length, pricing });
  }
  // One lead that never qualifies: known, but not an MQL.
  await ok(await backOffice(mf, "pipe-cold-000000000000", [{ type: "identify", messageId: "cold-id", timestamp: now, traits: { email: "cold@lead.example" } }]));

  const t0 = Date.now();
  const posted = [
    ["accepted", 0, 0, 60], ["won", 0, 1, 3600],
    ["accepted", 2, 2, 120], ["opportunity", 2, 3, 600],
    ["accepted", 4, 4, 300], ["won", 4, 5, 900],
    ["rejected", 3, 6, 30],
    ["accepted", 5, 7, 30], ["won", 6, 8, 30], ["lost", 7, 9, 30],
  ].map(([outcome, lead, n, seconds]) => ({ id: `pipe-${n}`, visitorId: leads[lead].visitorId, outcome, at: new Date(t0 + seconds * 1000).toISOString() }));
  const res = await ok(await admin("/v1/outcomes", { method: "POST", body: JSON.stringify({ outcomes: posted }) }));
  assert.equal(res.accepted.length, posted.length);
  // Lead 1 (EMEA, 3 s SLA) is never accepted: recycled twice, then nurtured.
  assert.ok(await waitFor(() => [...col.byKey.values()].filter((m) => m.event?.event === "Lead Recycled").length === 2, { timeoutMs: 30_000 }));

  // The export: the labelled leads (an outcome each), converted by the rule.
  const exp = await admin("/v1/admin/export/leads");
  assert.equal(exp.status, 200);
  assert.match(exp.headers.get("content-type"), /^application\/x-ndjson/);
  const records = (await exp.text()).trim().split("\n").map((l) => JSON.parse(l));
  const byEmail = new Map(records.map((r) => [r.profile.email, r]));
  const converted = { 0: true, 2: true, 3: false, 4: true, 5: false, 6: true, 7: false };
  assert.equal(records.length, Object.keys(converted).length);
  for (const [i, want] of Object.entries(converted)) {
    const r = byEmail.get(`${leads[i].visitorId}@lead.example`);
    assert.ok(r, `lead ${i} exported`);
    assert.deepEqual(Object.keys(r).sort(), ["converted", "events", "id", "now", "profile"]);
    assert.equal(r.id, leads[i].visitorId);
    assert.equal(r.converted, want, `lead ${i}`);
    assert.equal(r.events.length, leads[i].sent);
    assert.equal(r.events.filter((e) => e.properties?.path === "/pricing").length, leads[i].pricing);
  }
  // The planted effect, for calibration: the leads that viewed pricing six
  // times converted, the others did not.
  for (const r of records) assert.equal(r.converted, r.events.filter((e) => e.properties?.path === "/pricing").length === 6);
  const everyone = (await (await admin("/v1/admin/export/leads?all=true")).text()).trim().split("\n");
  assert.equal(everyone.length, leads.length + 1, "all leads, the cold one too");
  assert.deepEqual(await errorCode(await admin("/v1/admin/export/leads?all=yes")), [400, "invalid_field"]);
  assert.deepEqual(await errorCode(await mf.dispatchFetch("http://worker.test/v1/admin/metrics")), [401, "unauthorized"]);

  // The metrics, against the collector's records.
  const m = await ok(await admin("/v1/admin/metrics"));
  const want = expectedMetrics([...col.byKey.values()], posted, Date.now());
  assert.equal(m.leads, leads.length + 1);
  assert.equal(m.mqls.thisMonth, want.thisMonth);
  assert.equal(m.mqls.thisMonth, leads.length);
  assert.equal(m.mqls.lastMonth, 0);
  assert.equal(m.mqls.leadVelocityRate, null);
  assert.deepEqual([m.conversion.qualified, m.conversion.accepted], [want.qualified, want.accepted]);
  assert.equal(m.conversion.rate, Math.round((want.accepted / want.qualified) * 1000) / 1000);
  assert.deepEqual(Object.fromEntries(Object.entries(m.grades).filter(([, n]) => n > 0)), want.grades);
  assert.equal(Object.keys(m.grades).length, 16);
  assert.deepEqual(m.recycled, want.recycled);
  assert.deepEqual(m.recycled, { leads: 1, recycles: 2 });
  assert.equal(m.timeToAcceptance.medianSeconds, want.medianSeconds);
});

test("the lead velocity rate compares this month's MQLs with last month's", async () => {
  // Leads qualified last month, as their objects would have indexed them
  // (a running worker cannot be sent back in time).
  const ns = await mf.getDurableObjectNamespace("VISITORS");
  const index = ns.get(ns.idFromName("lead-index"));
  const d = new Date();
  const lastMonth = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 10);
  for (let i = 0; i < 4; i++) {
    await index.indexPut({ visitorId: `pipe-old-${i}`.padEnd(22, "x"), emailHash: null, firstSeen: lastMonth - DAY, qualifiedAt: lastMonth, grade: "B2", status: "routed", queue: "inbound", acceptedAt: i === 0 ? lastMonth + 7200_000 : null, recycles: 0, lastOutcome: i === 0 ? "accepted" : null, converted: false, outcomes: i === 0 ? 1 : 0 });
  }
  const m = await ok(await admin("/v1/admin/metrics"));
  assert.deepEqual([m.mqls.thisMonth, m.mqls.lastMonth, m.mqls.leadVelocityRate], [8, 4, 100]);
  assert.deepEqual(m.mqls.byMonth.slice(-2).map((x) => x.mqls), [4, 8]);
  assert.equal(m.grades.B2 >= 4, true);
});
