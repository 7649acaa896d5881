// The loop from the CRM back into scoring, end to end: leads browse the site
// (events into workerd), sales reports outcomes on them (POST /v1/outcomes),
// the operator exports the labelled leads (GET /v1/admin/export/leads), and
// `calibrate` learns a model from that export alone. The data plants one
// effect, noisily: leads that read the pricing pages convert far more often
// (70 % against 15 %), everything else is drawn the same for both, so the
// learned model must give the pricing pages points and leave the noise page
// (blog) near nothing.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startWorker, startCollector, backOffice, ok, rng, ADMIN_TOKEN } from "./harness.mjs";
import { HANDOFF } from "./handoff-fixture.mjs";
import { pkgDir } from "../../tests/js/load.mjs";

const { calibrate, Model, checkModel } = await import(path.join(pkgDir, "calibrate", "node.js"));

const DAY = 86_400_000;
const LEADS = 240;
let mf;
let col;

before(async () => {
  col = await startCollector();
  // The handoff document turns on the per-lead event log the export reads.
  mf = await startWorker({
    vars: {
      COLLECTOR_URL: col.url,
      HANDOFF_JSON: JSON.stringify({ ...HANDOFF, programs: [] }),
      IP_RATE_BURST: "1000000",
      VISITOR_RATE_BURST: "1000000",
      ADMIN_RATE_BURST: "1000000",
    },
  });
});
after(async () => {
  await mf?.dispose();
  await col?.close();
});

const admin = (route, init = {}) =>
  mf.dispatchFetch(`http://worker.test${route}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...init.headers } });

test("posted outcomes -> export -> calibrate: the planted pricing effect earns points", { timeout: 240_000 }, async () => {
  const rand = rng(17); // seeded, so a failure can be replayed
  const now = Date.now();
  const leads = [];
  for (let i = 0; i < LEADS; i++) {
    const visitorId = `loop-lead-${String(i).padStart(4, "0")}`.padEnd(22, "x");
    const readsPricing = rand() < 0.5;
    const converted = rand() < (readsPricing ? 0.7 : 0.15);
    const blogViews = 1 + Math.floor(rand() * 4);
    const events = [
      { type: "identify", messageId: `${visitorId}-id`, timestamp: now - 20 * DAY, traits: { email: `${visitorId}@loop.example`, company: "Acme", industry: rand() < 0.5 ? "Retail" : "Software" } },
      ...Array.from({ length: blogViews }, (_, k) => ({ type: "page", messageId: `${visitorId}-b${k}`, timestamp: now - (15 - k) * DAY, properties: { path: `/blog/post-${k}` } })),
      ...(readsPricing ? [0, 1, 2].map((k) => ({ type: "page", messageId: `${visitorId}-p${k}`, timestamp: now - (8 - k) * DAY, properties: { path: "/pricing" } })) : []),
    ];
    await ok(await backOffice(mf, visitorId, events));
    leads.push({ visitorId, converted, events: events.length });
  }

  // Sales reports every lead: won or lost, in batches of at most 100.
  const outcomes = leads.map((l, i) => ({ id: `loop-${i}`, visitorId: l.visitorId, outcome: l.converted ? "won" : "lost", at: new Date(now).toISOString() }));
  for (let i = 0; i < outcomes.length; i += 100) {
    const res = await ok(await admin("/v1/outcomes", { method: "POST", body: JSON.stringify({ outcomes: outcomes.slice(i, i + 100) }) }));
    assert.equal(res.accepted.length, Math.min(100, outcomes.length - i), JSON.stringify(res.rejected ?? res));
  }

  const exp = await admin("/v1/admin/export/leads");
  assert.equal(exp.status, 200);
  const text = await exp.text();
  const records = text.trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(records.length, LEADS);
  const want = new Map(leads.map((l) => [l.visitorId, l]));
  for (const r of records) {
    const lead = want.get(r.id);
    assert.ok(lead, `exported ${r.id}`);
    assert.equal(r.converted, lead.converted, r.id);
    assert.equal(r.events.length, lead.events, r.id);
  }

  // The export is calibrate's input as it stands: JSON Lines, no reshaping.
  const { model, report } = calibrate(text, { folds: 4, minSupport: 20 });
  assert.deepEqual(checkModel(model).errors, []);
  assert.equal(report.leads, LEADS);
  assert.equal(report.converted, leads.filter((l) => l.converted).length);
  assert.ok(report.crossValidated.auc > 0.7, JSON.stringify(report.crossValidated));

  const pointsOf = (test) => report.rules.filter(test).reduce((sum, rule) => sum + rule.points, 0);
  const pricing = pointsOf((rule) => /pricing/.test(rule.id));
  const blog = pointsOf((rule) => /blog/.test(rule.id));
  assert.ok(pricing > 0, `pricing pages earn points: ${JSON.stringify(report.rules)}`);
  assert.ok(pricing > Math.abs(blog) + 5, `pricing (${pricing}) outweighs the noise page (${blog})`);

  // The learned model ranks the exported leads: a pricing reader's
  // probability to convert is above a non-reader's.
  const scorer = new Model(model);
  const byPricing = (reads) => records.find((r) => r.events.some((e) => e.properties?.path === "/pricing") === reads);
  const reader = byPricing(true);
  const other = byPricing(false);
  const p = (r) => scorer.score(r.profile, r.events, r.now).probability;
  assert.ok(p(reader) > p(other), `${p(reader)} > ${p(other)}`);
});
