// End to end: the demo site (www/) served on 127.0.0.1, driven in Debian's
// Chromium through playwright-core. Needs pkg/browser/ (scripts/build-pkg.sh).
// Screenshots go to target/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { launchChromium } from "./browser.mjs";
import { serve } from "./server.mjs";

const SHOTS = new URL("../../target/screenshots/", import.meta.url).pathname;
let server, browser;

before(async () => {
  await mkdir(SHOTS, { recursive: true });
  server = await serve();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(context, path) {
  const page = await context.newPage();
  page.on("pageerror", (e) => { throw e; });
  await page.goto(server.origin + path);
  await ready(page);
  return page;
}
// Started, and the site config arrived (or consent is missing, so there is
// nothing to decide).
const ready = (page) =>
  page.waitForFunction(() => window.nurture && (window.nurture.decisions() || !window.nurture.state().consent));
const state = (page) => page.evaluate(() => window.nurture.state());

test("reading pricing and a case study moves a visitor from cold towards hot", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.clock.install();
  const visit = async (path, dwellMs) => {
    await page.goto(server.origin + path);
    await ready(page);
    if (dwellMs) await page.clock.fastForward(dwellMs);
    return state(page);
  };
  const first = await visit("/index.html");
  assert.equal(first.score.tier, "cold");
  assert.equal(first.score.grade, "D4");
  await visit("/pricing.html", 70_000);
  await visit("/case-studies/refinery.html", 70_000);
  const after = await visit("/index.html");
  // 2 (home) + pricing 2×3 + read 3×3 + case study 2×2 + read 3×2 + 2 (home) = 29
  assert.equal(after.score.engagement, 29);
  assert.equal(after.score.tier, "warm");
  assert.equal(after.score.grade, "D3");
  assert.equal(after.score.stage, "consideration");
  const rules = Object.fromEntries(after.score.rules.filter((r) => r.events).map((r) => [r.rule, r.events]));
  assert.deepEqual(rules, { "page-view": 4, "engaged-read": 2 });
  // The warm visitor's home page now points at case studies and pricing.
  const slot = page.locator('[data-nurture-slot="next-content"]');
  assert.equal(await slot.getAttribute("data-nurture-applied"), "warm-case");
  assert.match(await slot.textContent(), /How others did it/);
  await page.waitForSelector(".nurture-debug dd[data-tier=warm]");
  await page.locator(".nurture-debug").screenshot({ path: SHOTS + "debug-panel.png" });
  await page.screenshot({ path: SHOTS + "site-warm-visitor.png" });
  await context.close();
});

test("a slot swaps for a segment: utm campaign, then interest", async () => {
  const context = await browser.newContext();
  let page = await open(context, "/index.html?utm_campaign=retail");
  const hero = page.locator('[data-nurture-slot="hero"]');
  assert.equal(await hero.getAttribute("data-nurture-applied"), "retail-hero");
  assert.match(await hero.textContent(), /Cold chains that never break/);
  assert.equal((await state(page)).decisions.primarySegment, "retail");
  await context.close();

  const fresh = await browser.newContext();
  page = await open(fresh, "/index.html");
  assert.equal(await page.locator('[data-nurture-slot="hero"]').getAttribute("data-nurture-applied"), null);
  for (const path of ["/industries/oil-gas.html", "/case-studies/refinery.html", "/index.html"]) {
    await page.goto(server.origin + path);
    await ready(page);
  }
  const s = await state(page);
  assert.ok(s.score.interests.some((i) => i.tag === "oil & gas"));
  assert.equal(s.decisions.primarySegment, "oil-gas");
  assert.equal(await page.locator('[data-nurture-slot="hero"]').getAttribute("data-nurture-applied"), "oil-gas-hero");
  assert.match(await page.locator('[data-nurture-slot="hero"] h1').textContent(), /Refinery uptime/);
  await fresh.close();
});

test("with consent required and not given, nothing leaves the page and nothing is stored", async () => {
  const context = await browser.newContext();
  const requests = [];
  context.on("request", (r) => requests.push({ method: r.method(), url: r.url() }));
  const query = `?consent=required&endpoint=${encodeURIComponent(server.origin + "/edge")}`;
  const page = await open(context, "/index.html" + query);
  await page.goto(server.origin + "/pricing.html" + query);
  await ready(page);
  await page.goto(server.origin + "/resources/white-paper.html" + query);
  await page.waitForFunction(() => window.nurture);
  await page.evaluate(() => { window.nurture.track("Demo Requested", {}); history.pushState({}, "", "?consent=required&spa=1"); });
  await page.waitForTimeout(1500); // longer than the batch interval
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  const s = await state(page);
  assert.equal(s.consent, false);
  assert.equal(s.decisions, null);
  const leaving = requests.filter((r) => r.method !== "GET" || !r.url.startsWith(server.origin) || r.url.includes("/edge"));
  assert.deepEqual(leaving, []);
  assert.equal(server.received.length, 0);

  // Once granted: stored, sent in batches, every event once.
  await page.click(".nurture-consent [data-consent=yes]");
  await page.evaluate(() => window.nurture.track("Quote Requested", { plan: "business" }));
  await page.waitForFunction(() => window.nurture.state().unsent === 0);
  assert.ok(await page.evaluate(() => JSON.parse(localStorage.getItem("nurture")).v === 1));
  await page.goto(server.origin + "/pricing.html" + query); // the held page event goes out on page hide
  await ready(page);
  await page.evaluate(() => window.nurture.flush());
  await page.waitForFunction(() => window.nurture.state().unsent <= 1);
  const ids = server.received.flatMap((b) => b.events.map((e) => e.messageId));
  assert.ok(ids.length >= 3, `sent ${ids.length}`);
  assert.equal(new Set(ids).size, ids.length, "no event sent twice");
  const names = server.received.flatMap((b) => b.events.map((e) => e.event ?? e.type));
  assert.ok(names.includes("Demo Requested") && names.includes("Quote Requested") && names.includes("page"));
  await context.close();
});

test("failed sends are kept and retried", async () => {
  const context = await browser.newContext();
  server.edge.fail = 1;
  const before = server.received.length;
  const page = await open(context, `/index.html?endpoint=${encodeURIComponent(server.origin + "/edge")}`);
  await page.evaluate(() => window.nurture.track("Trial Started", {}));
  await page.waitForFunction(() => window.nurture.state().unsent === 0, null, { timeout: 10_000 });
  const sent = server.received.slice(before).flatMap((b) => b.events.map((e) => e.event));
  assert.deepEqual(sent, ["Trial Started"]);
  await context.close();
});

test("a corrupt stored state recovers, reported once", async () => {
  const context = await browser.newContext();
  const warnings = [];
  const page = await open(context, "/index.html");
  page.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  await page.evaluate(() => localStorage.setItem("nurture", '{"v":1,"id":"deadbeef","events":[{"ty'));
  await page.reload();
  await ready(page);
  let s = await state(page);
  assert.equal(s.reset, "corrupt");
  assert.equal(s.score.engagement, 2); // this page view, scored afresh
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem("nurture")));
  assert.equal(stored.v, 1);
  assert.equal(stored.id, s.visitorId);
  await page.reload();
  await ready(page);
  s = await state(page);
  assert.equal(s.reset, null);
  assert.equal(s.score.engagement, 4);
  assert.equal(warnings.filter((w) => w.includes("reset")).length, 1);
  await context.close();
});

test("the playground scores an edited model at once", async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1200 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => { throw e; });
  await page.goto(server.origin + "/playground.html");
  await page.waitForFunction(() => document.documentElement.dataset.ready === "1");
  const grade = () => page.locator("#summary .grade").textContent();
  const before = await grade();
  assert.match(before, /^[A-D][1-4]$/);
  assert.equal(await page.locator("#grid rect").count(), 16);
  assert.equal(await page.locator(`#grid rect[data-cell="${before}"][stroke="#13315c"]`).count(), 1);
  assert.ok(await page.locator("#timeline polyline").count() === 2);
  await page.screenshot({ path: SHOTS + "playground.png", fullPage: true });
  // Make engagement thresholds unreachable: level 4 for everyone.
  const model = JSON.parse(await page.locator("#model").inputValue());
  model.engagement.levels = { 1: 1000, 2: 999, 3: 998 };
  await page.locator("#model").fill(JSON.stringify(model, null, 2));
  await page.waitForFunction((b) => document.querySelector("#summary .grade").textContent !== b, before);
  assert.equal((await grade()).slice(1), "4");
  // A broken model is reported with its path, not scored.
  model.engagement.rules[0].points = "ten";
  await page.locator("#model").fill(JSON.stringify(model));
  await page.waitForFunction(() => document.querySelector("#model-status").classList.contains("bad"));
  assert.match(await page.locator("#model-status").textContent(), /engagement\.rules\[0\]\.points/);
  await context.close();
});
