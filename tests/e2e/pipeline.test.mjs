// The pipeline page (www/pipeline.html) in Chromium, served through the
// built worker in front of the demo site: leads qualify and are routed,
// sales reports outcomes (POST /v1/outcomes), one lead is never accepted
// and is recycled by its object's alarm; the marketer opens the page with
// the operator token and sees the figures, each checked against the
// collector's records and the outcomes posted. Screenshot:
// target/screenshots/pipeline.png. Needs pkg/ and worker/dist.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { startSiteAndWorker } from "./browser.mjs";
import { waitFor } from "../../worker/test/harness.mjs";
import { HANDOFF, expectedMetrics } from "../../worker/test/handoff-fixture.mjs";

const SHOTS = new URL("../../target/screenshots/", import.meta.url).pathname;
const TOKEN = "e2e-pipeline-admin-token";
const DAY = 86_400_000;
let stack, collector, worker, browser;

before(async () => {
  stack = await startSiteAndWorker((site, col) => ({
    NURTURE_KEYS: "e2e:pipeline-test-secret-0123456789",
    ADMIN_TOKEN: TOKEN,
    ADMIN_RATE_BURST: "100000",
    ORIGIN_URL: `${site.origin}/`,
    COLLECTOR_URL: col.url,
    HANDOFF_JSON: JSON.stringify({ ...HANDOFF, programs: [] }),
  }));
  ({ collector, browser } = stack);
  worker = stack.url.origin;
});
after(() => stack?.close());

const admin = (path, body) => fetch(`${worker}${path}`, {
  method: "POST",
  headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
  body: JSON.stringify(body),
});

test("the pipeline page draws the figures the collector's records give", { timeout: 90_000 }, async () => {
  const now = Date.now();
  const leads = [];
  const traits = [
    { region: "EMEA", industry: "Manufacturing" }, // 3 s SLA, never accepted: recycled
    { region: "APAC", industry: "Oil & Gas" },
    { region: "LATAM", companySize: 20000 },
    { region: "LATAM", title: "Analyst" },
    { region: "LATAM" },
  ];
  for (const [i, t] of traits.entries()) {
    const visitorId = `e2e-pipeline-${i}`.padEnd(22, "x");
    const res = await admin("/v1/admin/events", { visitorId, events: [
      { type: "identify", messageId: `${visitorId}-id`, timestamp: now - 30 * DAY, traits: { email: `${visitorId}@lead.example`, title: "VP of Operations", company: "Acme", industry: "Retail", companySize: 5000, budget: "approved", timeline: "this quarter", ...t } },
      { type: "track", event: "Event Attended", messageId: `${visitorId}-ev`, timestamp: now - 20 * DAY },
      { type: "track", event: "Demo Requested", messageId: `${visitorId}-demo`, timestamp: now },
    ] });
    assert.equal(res.status, 200, await res.clone().text());
    leads.push(visitorId);
  }
  const t0 = Date.now();
  const posted = [[1, "accepted", 90], [2, "accepted", 1800], [2, "opportunity", 3600], [3, "accepted", 600], [4, "rejected", 60]]
    .map(([lead, outcome, seconds], n) => ({ id: `e2e-${n}`, visitorId: leads[lead], outcome, at: new Date(t0 + seconds * 1000).toISOString(), reason: outcome === "rejected" ? "student" : undefined }));
  const res = await admin("/v1/outcomes", { outcomes: posted });
  assert.equal(res.status, 200, await res.clone().text());
  assert.ok(await waitFor(() => [...collector.byKey.values()].some((m) => m.event?.event === "Lead Recycled"), { timeoutMs: 30_000 }), "the unaccepted lead was recycled");

  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(`${worker}/pipeline.html`);
  await page.fill("#token", TOKEN);
  await page.click("button[type=submit]");
  await page.waitForSelector("#pipeline[data-state=ready]", { timeout: 15_000 });
  const shown = await page.evaluate(() => {
    const value = (sel) => document.querySelector(sel).dataset.value;
    return {
      thisMonth: value('[data-metric="mqls.thisMonth"]'),
      lastMonth: value('[data-metric="mqls.lastMonth"]'),
      lvr: document.querySelector('[data-metric="mqls.leadVelocityRate"]').textContent,
      rate: value('[data-metric="conversion.rate"]'),
      accepted: value('[data-metric="conversion.detail"]'),
      recycledLeads: value('[data-metric="recycled.leads"]'),
      recycles: value('[data-metric="recycled.detail"]'),
      median: value('[data-metric="timeToAcceptance.median"]'),
      grades: Object.fromEntries([...document.querySelectorAll("#grades rect")].map((r) => [r.dataset.grade, Number(r.dataset.value)])),
      months: [...document.querySelectorAll("#months rect")].map((r) => Number(r.dataset.value)),
      funnel: [...document.querySelectorAll("#funnel rect")].map((r) => Number(r.dataset.value)),
    };
  });
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}pipeline.png`, fullPage: true });
  await page.close();
  assert.deepEqual(errors, []);

  const want = expectedMetrics([...collector.byKey.values()], posted, Date.now());
  assert.equal(Number(shown.thisMonth), want.thisMonth);
  assert.equal(want.thisMonth, leads.length);
  assert.equal(Number(shown.lastMonth), 0);
  assert.equal(shown.lvr, "n/a", "no MQLs last month: no rate");
  assert.equal(Number(shown.accepted), want.accepted);
  assert.equal(Number(shown.rate), Math.round((want.accepted / want.qualified) * 1000) / 1000);
  assert.deepEqual(shown.funnel, [want.qualified, want.accepted]);
  assert.deepEqual([Number(shown.recycledLeads), Number(shown.recycles)], [want.recycled.leads, want.recycled.recycles]);
  assert.ok(want.recycled.leads >= 1);
  assert.equal(Number(shown.median), want.medianSeconds);
  assert.equal(want.medianSeconds, 600, "accepted after 90 s, 600 s and 1800 s");
  assert.deepEqual(Object.fromEntries(Object.entries(shown.grades).filter(([, n]) => n > 0)), want.grades);
  assert.equal(Object.keys(shown.grades).length, 16);
  assert.equal(shown.months.at(-1), want.thisMonth);
  assert.equal(shown.months.length, 6);
});
