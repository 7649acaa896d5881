// The page runtime's exposures in Chromium: the first time a visitor sees
// slots that experiments decided, one `Experiment Viewed` event per
// experiment goes to the edge and `onExposure(experiment, result)` is called
// (GrowthBook's trackingCallback); a reload reports neither again. Needs
// pkg/browser/ (scripts/build-pkg.sh).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launchChromium } from "./browser.mjs";
import { serve } from "./server.mjs";

let server, browser;
before(async () => {
  server = await serve();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const CONFIG = {
  slots: [
    { id: "cta", default: { content: "Start a free trial" }, variants: [{ id: "own-data", content: "See it on your own plant data" }],
      experiment: { key: "cta-copy", hashVersion: 2, variations: ["default", "own-data"] } },
    { id: "headline", default: { content: "Plants that keep running" },
      variants: [{ id: "short", content: "Uptime, predicted" }, { id: "long", content: "Every asset, every shift" }],
      experiment: { key: "headline-test", hashVersion: 1, variations: ["default", "short", "long"] } },
    // An experiment whose slot is not on the page: never an exposure.
    { id: "absent", variants: [{ id: "x", content: "X" }], experiment: { key: "not-shown", hashVersion: 2, variations: ["default", "x"] } },
  ],
};

const html = (onExposure) => `<!doctype html><html><head><title>exposures</title></head><body>
<p data-nurture-slot="cta">Start a free trial</p><h1 data-nurture-slot="headline">Plants that keep running</h1>
<script type="module">
import init, { start } from "/pkg/browser/index.js";
await init();
window.exposures = [];
try {
  window.nurture = start({ config: ${JSON.stringify(CONFIG)}, endpoint: location.origin + "/edge", batchMs: 20,
    onExposure: ${onExposure} });
} catch (e) { window.startError = { code: e.code, path: e.path }; }
</script></body></html>`;

async function open(context, onExposure = "(experiment, result) => window.exposures.push([experiment, result])") {
  const page = await context.newPage();
  page.on("pageerror", (e) => { throw e; });
  await page.route("**/exposure.html", (route) => route.fulfill({ contentType: "text/html", body: html(onExposure) }));
  return page;
}

const viewed = () => server.received.flatMap((b) => b.events).filter((e) => e.event === "Experiment Viewed");

test("one Experiment Viewed and one onExposure per experiment shown, none again after a reload", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  const before = viewed().length;
  await page.goto(`${server.origin}/exposure.html`);
  await page.waitForFunction(() => window.exposures?.length === 2);
  const [exposures, decisions] = await page.evaluate(() => [window.exposures, window.nurture.decisions().decisions]);
  assert.deepEqual(exposures.map(([e]) => e.key).sort(), ["cta-copy", "headline-test"]);
  for (const [experiment, result] of exposures) {
    const d = decisions.find((x) => x.slot === experiment.slot);
    assert.equal(d.reason.experiment, experiment.key);
    assert.deepEqual(result, { key: String(d.reason.variationIndex), variationId: d.reason.variationIndex, value: d.variant });
    // The control arm leaves the origin's markup (no attribute); a variant is applied.
    assert.equal(await page.locator(`[data-nurture-slot="${d.slot}"]`).getAttribute("data-nurture-applied"), d.variant === "default" ? null : d.variant);
  }
  await page.waitForFunction(() => window.nurture.state().unsent === 0);
  const sent = viewed().slice(before);
  assert.deepEqual(sent.map((e) => e.properties.experimentId).sort(), ["cta-copy", "headline-test"]);
  for (const e of sent) {
    const d = decisions.find((x) => x.reason.experiment === e.properties.experimentId);
    assert.deepEqual(e.properties, { experimentId: d.reason.experiment, variationId: String(d.reason.variationIndex), variant: d.variant, slot: d.slot });
  }
  // Reloads: the same variations, no exposure reported again.
  for (let i = 0; i < 2; i++) {
    await page.reload();
    await page.waitForFunction(() => window.nurture && window.nurture.decisions());
    await page.waitForFunction(() => window.nurture.state().unsent === 0);
    assert.deepEqual(await page.evaluate(() => window.exposures), []);
  }
  assert.equal(viewed().length - before, 2);
  await context.close();
});

test("onExposure must be a function", async () => {
  const context = await browser.newContext();
  const page = await open(context, '"yes"');
  await page.goto(`${server.origin}/exposure.html`);
  await page.waitForFunction(() => window.startError);
  assert.deepEqual(await page.evaluate(() => window.startError), { code: "invalid_argument", path: "options.onExposure" });
  await context.close();
});
