// The page runtime as a developer meets it, in Debian's Chromium: when slots
// follow changed decisions (`reapply`), `onChange` firing at once, SPA page
// views counted once, times (seconds refused, a Date taken, "90" read as
// 90), the event size limit, and `start({config})` reading the edge's
// config document (`GET /v1/config`: {version, site, model}) served by the
// test, as JSON and compiled (a damaged or newer compiled answer is refused
// and the page keeps its defaults). Needs pkg/ and pkg/browser/
// (scripts/build-pkg.sh).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launchChromium } from "./browser.mjs";
import { serve } from "./server.mjs";

// A slot that shows "engaged" once the visitor's engagement reaches 10: a
// page view gives 2, a download 10 more.
const SITE = {
  slots: [{
    id: "hero",
    variants: [{ id: "engaged", when: { "score.engagement": { $gte: 10 } }, content: "Welcome back, reader" }],
  }],
};
// A model whose page view is worth 7: a score of 7 after one view says the
// page scores with this model and not the built-in one.
const MODEL = {
  engagement: { rules: [{ id: "view", event: "page", points: 7 }] },
};
const DOC = { version: "c0ffee42", site: SITE, model: MODEL };
// The same documents compiled by the full build, as the worker serves them
// (`GET /v1/config?format=compiled`); the version is the worker's 16 hex digits.
const { compileConfig } = await import("../../pkg/node.js");
const COMPILED = compileConfig({ ...DOC, version: "00000000c0ffee42" }, "edge");
const DAMAGED = COMPILED.slice();
DAMAGED[DAMAGED.length >> 1] ^= 0x20;
const NEWER = COMPILED.slice();
NEWER[4] = 9;
const COMPILED_TYPE = "application/vnd.nurture.compiled";

const FIXTURE = `<!doctype html><html><head><meta charset="utf-8"><title>Runtime fixture</title></head>
<body><p data-nurture-slot="hero">Default hero</p>
<script type="module">
  import init, * as nurture from "/pkg/browser/index.js";
  await init();
  window.mod = nurture;
</script></body></html>`;

const routes = new Map([
  ["/app/index.html", { type: "text/html; charset=utf-8", body: FIXTURE }],
  // The same fixture on the page-only build (pkg/page: compiled configs only).
  ["/app/page.html", { type: "text/html; charset=utf-8", body: FIXTURE.replace("/pkg/browser/", "/pkg/page/") }],
  ["/edge/v1/config", { type: "application/json", body: JSON.stringify(DOC) }],
  ["/edge-bad/v1/config", { type: "application/json", body: JSON.stringify({ ...DOC, generatedAt: 1 }) }],
  ["/site.json", { type: "application/json", body: JSON.stringify(SITE) }],
  ["/edge-compiled/v1/config", { type: COMPILED_TYPE, body: COMPILED }],
  ["/edge-damaged/v1/config", { type: COMPILED_TYPE, body: DAMAGED }],
  ["/edge-newer/v1/config", { type: COMPILED_TYPE, body: NEWER }],
]);

let server, browser;
before(async () => {
  server = await serve(0, routes);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** A fresh page on the fixture, the module loaded; `warnings` collects console warnings. */
async function open(path = "/app/index.html") {
  const context = await browser.newContext();
  const page = await context.newPage();
  const warnings = [];
  page.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
  page.on("pageerror", (e) => { throw e; });
  await page.goto(server.origin + path);
  await page.waitForFunction(() => window.mod);
  return { context, page, warnings };
}

const hero = (page) => page.locator('[data-nurture-slot="hero"]').textContent();
const heroVariant = (page) => page.evaluate(() =>
  window.nurture.decisions()?.decisions.find((d) => d.slot === "hero").variant);

for (const [mode, afterTrack, afterNavigation] of [
  ["immediate", "Welcome back, reader", "Welcome back, reader"],
  ["navigation", "Default hero", "Welcome back, reader"],
  ["never", "Default hero", "Default hero"],
]) {
  test(`reapply: "${mode}": after track() the slot shows "${afterTrack}", after a navigation "${afterNavigation}"`, async () => {
    const { context, page } = await open();
    await page.evaluate((reapply) => { window.nurture = window.mod.start({ config: "/site.json", reapply }); }, mode);
    await page.waitForFunction(() => window.nurture.decisions());
    assert.equal(await heroVariant(page), "default");
    assert.equal(await hero(page), "Default hero");
    await page.evaluate(() => window.nurture.track("Download", { path: "/guide.pdf" }));
    // The decision changed in every mode; the page follows it as the mode says.
    assert.equal(await heroVariant(page), "engaged");
    assert.equal(await hero(page), afterTrack);
    await page.evaluate(() => history.pushState({}, "", "/app/next"));
    assert.equal(await hero(page), afterNavigation);
    await context.close();
  });
}

test("reapply: a value that is not a mode is refused", async () => {
  const { context, page } = await open();
  const err = await page.evaluate(() => {
    try { window.mod.start({ config: {}, reapply: "always" }); } catch (e) { return [e.code, e.path, e.message]; }
  });
  assert.deepEqual(err, ["invalid_argument", "options.reapply", 'options.reapply: expected "never", "navigation" or "immediate"']);
  await context.close();
});

test("onChange calls back at once with the current state, then after every change", async () => {
  const { context, page } = await open();
  const seen = await page.evaluate(() => {
    const n = window.mod.start({ config: { slots: [] } });
    const calls = [];
    const off = n.onChange((s) => calls.push(s.events));
    const atOnce = calls.length; // before onChange returned
    n.track("Pricing Viewed", {});
    off();
    n.track("Pricing Viewed", {});
    return { atOnce, calls, events: n.state().events };
  });
  assert.equal(seen.atOnce, 1);
  // The first call had the page view; the second the track; none after off().
  assert.deepEqual(seen.calls, [1, 2]);
  assert.equal(seen.events, 3);
  await context.close();
});

test("SPA: a pushState navigation and a page() right after are one page view, at the page and at the edge", async () => {
  const { context, page } = await open();
  const result = await page.evaluate(() => {
    const n = window.nurture = window.mod.start({ config: { slots: [] }, endpoint: "/edge", batchMs: 0 });
    history.pushState({}, "", "/app/pricing?plan=team");
    // What a router does after its own navigation: page() with its properties.
    const counted = n.page({ category: "pricing" });
    return { counted, events: n.state().events };
  });
  assert.deepEqual(result, { counted: false, events: 2 }, "the first view and /app/pricing, once");
  // After the window (2 s), the same URL's page() is a new view: a reload of
  // the content the developer chose to count.
  await page.waitForTimeout(2_100);
  assert.equal(await page.evaluate(() => window.nurture.page()), true);
  // A replaceState to the same URL is no navigation.
  await page.evaluate(() => history.replaceState({ x: 1 }, "", "/app/pricing?plan=team"));
  assert.equal(await page.evaluate(() => window.nurture.state().events), 3);
  // Leaving sends the ended page views to the edge.
  await page.evaluate(() => { history.pushState({}, "", "/app/done"); window.nurture.flush(); });
  await page.waitForFunction(() => window.nurture.state().unsent === 0);
  const views = server.received.flatMap((b) => b.events).filter((e) => e.type === "page" && e.properties.path === "/app/pricing");
  assert.equal(views.length, 2, "the merged view and the one after the window");
  assert.equal(views[0].properties.category, "pricing", "page()'s properties joined the automatic view");
  assert.equal(views[0].properties.query.plan, "team");
  await context.close();
});

test("times: seconds are refused with the reason, a Date is taken, \"90\" is read as 90", async () => {
  const { context, page } = await open();
  const r = await page.evaluate(() => {
    const now = new Date("2026-11-25T18:42:00Z");
    const out = window.mod.score(null, {}, [
      { type: "page", timestamp: Math.floor(now.getTime() / 1000), properties: { path: "/a" } },
      { type: "page", timestamp: new Date(now.getTime() - 60_000), properties: { path: "/pricing", dwellSeconds: "90" } },
      { type: "page", timestamp: new Date("not a date") },
    ], now);
    return { rejected: out.rejected, scored: out.eventsScored,
             rules: out.engagement.rules.filter((x) => x.events).map((x) => [x.rule, x.events]) };
  });
  assert.deepEqual(r.rejected.map((x) => [x.index, x.reason]), [
    [0, "timestamp: 1795632120 looks like seconds since 1970; nurture expects milliseconds (Date.now()), an ISO 8601 string or a Date"],
    [2, "timestamp: expected an ISO 8601 date-time such as 2026-11-25T09:30:00Z"],
  ]);
  assert.equal(r.scored, 1);
  assert.deepEqual(r.rules, [["page-view", 1], ["engaged-read", 1]], "the Date-stamped view with 90 s counts as an engaged read");
  await context.close();
});

test("an event larger than the edge takes is refused by track() with the limit", async () => {
  const { context, page } = await open();
  const err = await page.evaluate(() => {
    const n = window.mod.start({ config: { slots: [] } });
    try { n.track("Note", { text: "x".repeat(5000) }); } catch (e) { return [e.code, e.path, e.message, n.state().events]; }
  });
  assert.equal(err[0], "invalid_argument");
  assert.equal(err[1], "properties");
  assert.equal(err[2], "properties: the event would be over 4096 bytes as JSON, the most the edge takes (MAX_EVENT_BYTES)");
  assert.equal(err[3], 1, "nothing recorded but the page view");
  await context.close();
});

test("start({config: url}) reads the edge's config document: its site config, its model, its version", async () => {
  const { context, page, warnings } = await open();
  await page.evaluate(() => { window.nurture = window.mod.start({ config: "/edge/v1/config" }); });
  await page.waitForFunction(() => window.nurture.decisions());
  const s = await page.evaluate(() => window.nurture.state());
  assert.equal(s.configVersion, "c0ffee42");
  assert.equal(s.score.engagement, 7, "scored with the document's model");
  await page.evaluate(() => window.nurture.track("Download", {}));
  // The document's model has no download rule: still 7, the slot stays.
  assert.equal(await heroVariant(page), "default");
  await page.evaluate(() => window.nurture.page());
  assert.equal(await page.evaluate(() => window.nurture.score().engagement), 7, "page() at once is the same view");
  assert.deepEqual(warnings, []);
  await context.close();
});

test("the edge's config document with options.model: options.model is used, with a warning", async () => {
  const { context, page, warnings } = await open();
  await page.evaluate(() => { window.nurture = window.mod.start({ config: "/edge/v1/config", model: null }); });
  await page.waitForFunction(() => window.nurture.decisions());
  assert.equal(await page.evaluate(() => window.nurture.score().engagement), 7, "model: null is no model: the document's");
  await page.evaluate(() => {
    window.nurture = window.mod.start({ config: "/edge/v1/config", model: { engagement: { rules: [{ id: "view", event: "page", points: 1 }] } } });
  });
  await page.waitForFunction(() => window.nurture.decisions());
  const s = await page.evaluate(() => window.nurture.state());
  assert.equal(s.configVersion, "c0ffee42");
  assert.equal(s.score.engagement, 2, "the explicit model: 1 a view, two views stored");
  assert.deepEqual(warnings, ["nurture: options.model differs from the model in the edge's config document; options.model is used"]);
  await context.close();
});

test("an edge config document with a field it should not have is refused, saying which", async () => {
  const { context, page, warnings } = await open();
  await page.evaluate(() => { window.nurture = window.mod.start({ config: "/edge-bad/v1/config" }); });
  for (let i = 0; i < 200 && warnings.length === 0; i++) await page.waitForTimeout(25);
  assert.deepEqual(warnings, ["nurture: the config is not valid (generatedAt: unknown field in the edge's config document, expected `version`, `site`, `model`); slots keep their defaults"]);
  assert.equal(await hero(page), "Default hero");
  // Given as an object, the same document throws at start().
  const err = await page.evaluate(async () => {
    const doc = await (await fetch("/edge-bad/v1/config")).json();
    try { window.mod.start({ config: doc }); } catch (e) { return [e.code, e.path]; }
  });
  assert.deepEqual(err, ["invalid_config", "generatedAt"]);
  await context.close();
});

test("start({config: url}) reads the edge's compiled config: its site config, its model, its version, no warning", async () => {
  const { context, page, warnings } = await open();
  await page.evaluate(() => { window.nurture = window.mod.start({ config: "/edge-compiled/v1/config" }); });
  await page.waitForFunction(() => window.nurture.decisions());
  const s = await page.evaluate(() => window.nurture.state());
  assert.equal(s.configVersion, "00000000c0ffee42");
  assert.equal(s.configError, null);
  assert.equal(s.score.engagement, 7, "scored with the compiled document's model");
  await page.evaluate(() => window.nurture.track("Download", {}));
  assert.equal(await heroVariant(page), "default");
  assert.deepEqual(warnings, []);
  await context.close();
});

for (const [path, code, says] of [
  ["/edge-damaged/v1/config", "compiled_config_corrupt", "checksum mismatch"],
  ["/edge-newer/v1/config", "compiled_config_version", "compiled with format version 9, this build reads version 2"],
]) {
  test(`a ${code === "compiled_config_version" ? "newer" : "damaged"} compiled config is refused: defaults kept, nothing swapped, the outbox kept`, async () => {
    const { context, page, warnings } = await open();
    const before = await page.evaluate(async (path) => {
      window.nurture = window.mod.start({ config: path, endpoint: "/edge", batchMs: 60_000, autoTrack: false });
      window.nurture.track("Queued", { n: 1 });
      window.nurture.track("Queued", { n: 2 });
      return window.nurture.state().unsent;
    }, path);
    for (let i = 0; i < 200 && warnings.length === 0; i++) await page.waitForTimeout(25);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.ok(warnings[0].includes(says) && warnings[0].endsWith("slots keep their defaults"), warnings[0]);
    const s = await page.evaluate(() => window.nurture.state());
    assert.equal(s.configError.code, code);
    assert.ok(s.configError.message.includes(says), s.configError.message);
    assert.equal(s.decisions, null);
    assert.deepEqual(s.applied, []);
    assert.equal(s.unsent, before, "nothing lost from the outbox");
    assert.equal(before, 2);
    assert.equal(await hero(page), "Default hero");
    assert.equal(await page.locator("[data-nurture-pending]").count(), 0);
    await context.close();
  });
}

test("the page-only build (pkg/page) reads the compiled config and refuses JSON, saying how to compile it", async () => {
  const { context, page, warnings } = await open("/app/page.html");
  assert.equal(await page.evaluate(() => typeof window.mod.score + typeof window.mod.decide), "undefinedundefined", "no function API in pkg/page");
  await page.evaluate(() => { window.nurture = window.mod.start({ config: "/edge-compiled/v1/config" }); });
  await page.waitForFunction(() => window.nurture.decisions());
  const ok = await page.evaluate(() => window.nurture.state());
  assert.equal(ok.configVersion, "00000000c0ffee42");
  assert.equal(ok.score.engagement, 7, "scored with the compiled document's model");
  assert.deepEqual(warnings, []);
  // A URL answering JSON, and the same document as an object: refused,
  // slots at their defaults, the outbox kept.
  for (const config of ["/edge/v1/config", "object"]) {
    warnings.length = 0;
    const s = await page.evaluate(async (config) => {
      const given = config === "object" ? await (await fetch("/edge/v1/config")).json() : config;
      window.nurture = window.mod.start({ config: given, endpoint: "/edge", batchMs: 60_000, autoTrack: false });
      window.nurture.track("Queued", {});
      for (let i = 0; i < 200 && !window.nurture.state().configError; i++) await new Promise((ok) => setTimeout(ok, 25));
      return window.nurture.state();
    }, config);
    assert.equal(s.configError?.code, "raw_config_unsupported", config);
    assert.ok(s.configError.message.includes("npx nurture compile"), s.configError.message);
    assert.ok(s.configError.message.includes("GET /v1/config?format=compiled"), s.configError.message);
    assert.equal(s.decisions, null);
    assert.ok(s.unsent >= 1, "the outbox is kept");
    assert.equal(await hero(page), "Default hero");
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.ok(warnings[0].includes("npx nurture compile") && warnings[0].endsWith("slots keep their defaults"), warnings[0]);
  }
  await context.close();
});
