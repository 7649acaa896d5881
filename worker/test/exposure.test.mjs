// Exposures reach the collector exactly once per visitor and experiment:
// the edge reports the experiments of the slots a personalized page
// contained, the page runtime reports the same experiments through
// /v1/events, and the visitor's Durable Object forwards the first and drops
// every later one, whichever side it comes from and whatever its id.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { startWorker, startCollector, post, ok, waitFor, SITE_CONFIG_JSON } from "./harness.mjs";
import { makeToken } from "./tokens.mjs";
import { startOrigin } from "../origin.mjs";

const EXPERIMENTS = ["cta-copy", "headline-test"];
const page = `<!doctype html><html><head><title>t</title></head><body>
<h1 data-nurture-slot="headline">Plants that keep running</h1>
<p data-nurture-slot="cta">Start a free trial</p></body></html>`;

let origin;
let col;
let mf;

before(async () => {
  const site = JSON.parse(SITE_CONFIG_JSON);
  site.slots.push({ id: "headline", default: { content: "Plants that keep running" },
    variants: [{ id: "short", content: "Uptime, predicted" }, { id: "long", content: "Every asset, every shift, predicted" }],
    experiment: { key: "headline-test", hashVersion: 1, variations: ["default", "short", "long"] } });
  origin = await startOrigin({ extra: { "/exp.html": { body: page }, "/plain.html": { body: "<html><head></head><body>no slots</body></html>" } } });
  col = await startCollector();
  mf = await startWorker({ vars: { ORIGIN_URL: origin.url, COLLECTOR_URL: col.url, SITE_CONFIG_JSON: JSON.stringify(site), IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000" } });
});
after(async () => {
  await mf?.dispose();
  await col?.close();
  await origin?.close();
});

const visitor = () => randomBytes(16).toString("base64url");
const cookie = (id) => `nurture_vid=${makeToken({ visitorId: id })}`;

async function load(id, path = "/exp.html") {
  const res = await mf.dispatchFetch(`http://worker.test${path}`, { headers: { "cf-connecting-ip": "192.0.2.44", accept: "text/html", cookie: cookie(id) } });
  const html = await res.text();
  assert.equal(res.status, 200);
  const m = /id="nurture-decisions">([\s\S]*?)<\/script>/.exec(html);
  return JSON.parse(m[1]).decisions;
}

/** What the page runtime sends for an experiment decision it shows. */
function exposureEvent(d, messageId = `exposure:${d.reason.experiment}`) {
  return { type: "track", event: "Experiment Viewed", messageId, timestamp: Date.now(),
    properties: { experimentId: d.reason.experiment, variationId: String(d.reason.variationIndex), variant: d.variant, slot: d.slot } };
}

function pageReports(id, events) {
  return post(mf, { consent: true, events }, { headers: { cookie: cookie(id), origin: "https://www.example.com" } });
}

const viewed = (id) => [...col.byKey.values()].filter((m) => m.visitorId === id && m.event?.event === "Experiment Viewed");

test("several page loads and page-reported exposures of one visitor: one Experiment Viewed per experiment", async () => {
  const id = visitor();
  const decisions = await load(id);
  const inExperiment = decisions.filter((d) => d.reason.kind === "experiment");
  assert.deepEqual(inExperiment.map((d) => d.reason.experiment).sort(), EXPERIMENTS);
  for (let i = 0; i < 3; i++) assert.deepEqual(await load(id), decisions, "the same visitor keeps the same variations");
  // The edge forwards them once the pages have gone out.
  assert.ok(await waitFor(() => viewed(id).length === 2));
  // The page runtime reports the same exposures (its own id, then another
  // id, as an older runtime might), along with a page view.
  for (const messageId of [undefined, `page-${randomBytes(4).toString("hex")}`]) {
    const events = inExperiment.map((d) => exposureEvent(d, messageId));
    const body = await ok(await pageReports(id, [{ type: "page", name: "exp", messageId: `p-${randomBytes(6).toString("hex")}` }, ...events]));
    assert.equal(body.accepted.length, 1, JSON.stringify(body));
    assert.equal(body.duplicates.length, 2, "exposures the edge forwarded are duplicates");
  }
  // Give any stray copy time to arrive.
  await new Promise((r) => setTimeout(r, 1500));
  const got = viewed(id);
  assert.equal(got.length, 2);
  for (const d of inExperiment) {
    const m = got.find((x) => x.event.properties.experimentId === d.reason.experiment);
    assert.deepEqual(m.event.properties, { experimentId: d.reason.experiment, variationId: String(d.reason.variationIndex), variant: d.variant, slot: d.slot });
    assert.equal(m.event.messageId, `exposure:${d.reason.experiment}`);
  }
  assert.equal(col.stats.duplicates, 0, "the collector never got a copy");
});

test("page first, then the edge: still one; two visitors: one each", async () => {
  const [a, b] = [visitor(), visitor()];
  // Decisions without an exposure: a page with no slots shows nothing.
  const decisions = await load(a, "/plain.html");
  const shown = decisions.filter((d) => d.reason.kind === "experiment" && d.slot === "cta");
  await ok(await pageReports(a, shown.map((d) => exposureEvent(d))));
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(viewed(a).map((m) => m.event.properties.experimentId), ["cta-copy"], "no slot on the page: no exposure from the edge");
  await load(a);
  await load(a);
  await load(b);
  // Right after the page: the edge's report and the page's race; one wins.
  const again = await ok(await pageReports(b, (await load(b)).filter((d) => d.reason.kind === "experiment").map((d) => exposureEvent(d))));
  assert.equal(again.accepted.length + again.duplicates.length, 2);
  assert.ok(await waitFor(() => viewed(a).length === 2 && viewed(b).length === 2));
  await new Promise((r) => setTimeout(r, 1500));
  for (const id of [a, b]) {
    assert.deepEqual(viewed(id).map((m) => m.event.properties.experimentId).sort(), EXPERIMENTS, id);
  }
  assert.equal(col.stats.duplicates, 0);
});
