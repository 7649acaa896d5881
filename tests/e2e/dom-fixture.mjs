// What the DOM tests of the page runtime share (dom-slots.test.mjs,
// dom-state.test.mjs). They test the page runtime's DOM layer in Debian's
// Chromium through its public JS API only (`start`, `Nurture`, `swapSlot`
// of pkg/browser and pkg/page): slot swaps and their undo, the anti-flicker
// timeout, edge-applied slots, stored state that is corrupt or foreign,
// consent gating (incl. Global Privacy Control), the edge's visitor token
// when the edge is on another origin, and compiled configs taken or
// refused. The port of tests/wasm_dom.rs (wasm-bindgen tests of the Rust
// runtime); each test is named after the Rust test it stands for.
//
// Every test runs against both builds, as wasm_dom.rs ran under default
// features and under `page-only`: pkg/browser given the site config as JSON,
// pkg/page given it compiled (tests/data/compiled/dom-site.json, compiled
// here by pkg/node.js's compileConfig, byte for byte the .nrc next to it).
// The edge is played with page.route. localStorage is read and written in
// the stored layout v1 ({v, id, seq, profile, events, outbox, consent?,
// token?}): visitors keep their state across an upgrade of the runtime, so
// that layout is a contract, not a detail. Scores are read through
// `engagementOf`/`rulesOf`, which take a ScoreResult and a VisitorScore
// alike. Needs pkg/ (scripts/build-pkg.sh).
import { before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { launchChromium } from "./browser.mjs";
import { serve } from "./server.mjs";

const read = (path) => readFileSync(new URL(path, import.meta.url), "utf8");
const { compileConfig } = await import("../../pkg/node.js");

// wasm_dom.rs's config(): the hero takes an HTML template, the banner a
// text with markup in it (shown as text, never parsed).
export const CONFIG = {
  slots: [
    { id: "hero", variants: [{ id: "tpl", when: { path: { $exists: true } }, kind: "html-template", content: "<h1>Personal hero</h1>" }] },
    { id: "banner", variants: [{ id: "txt", when: { path: { $exists: true } }, content: "<img src=x onerror=alert(1)> as text" }] },
  ],
};
export const SITE_JSON = JSON.parse(read("../data/compiled/dom-site.json"));
const COMPILED = compileConfig(SITE_JSON, "site");
const MODEL = compileConfig(JSON.parse(read("../../src/score/default_model.json")), "model");

export const DEFAULT_HERO = "<h1>Default hero</h1><p>as shipped</p>";
export const TOKEN = "v1.k2.AAAAAAAAAAAAAAAAAAAAAA.1700000000.sig_-";

// The fixture: `?build=browser|page` loads that build; `window.t` holds the
// module's `start`/`swapSlot`, the config as that build takes it and the
// helpers of wasm_dom.rs (`reset` is its `page()`).
const FIXTURE = `<!doctype html><html><head><meta charset="utf-8"><title>DOM fixture</title></head>
<body><div id="nurture-test-root"></div>
<script type="module">
  const build = new URLSearchParams(location.search).get("build");
  const { default: init, start, swapSlot } = await import("/pkg/" + build + "/index.js");
  await init();
  const bytes = async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer());
  const compiled = await bytes("/dom/site.nrc");
  const json = await (await fetch("/dom/site.json")).json();
  const root = document.getElementById("nurture-test-root");
  window.t = {
    build, start, swapSlot, compiled, json, model: await bytes("/dom/model.nrc"),
    config: build === "page" ? compiled : json,
    $: (selector) => document.querySelector(selector),
    sleep: (ms) => new Promise((ok) => setTimeout(ok, ms)),
    // A fresh test area with two slots holding their default content; the hero.
    reset() {
      root.innerHTML = '<section data-nurture-slot="hero"><h1>Default hero</h1><p>as shipped</p></section>\\n'
        + '           <p data-nurture-slot="banner">default banner</p>';
      return root.querySelector("[data-nurture-slot=hero]");
    },
    options: (key, extra = {}) => ({ storageKey: key, autoTrack: false, config: window.t.config, ...extra }),
    stop(n, key) {
      n.stop();
      localStorage.removeItem(key);
      localStorage.removeItem(key + ":optout");
    },
    stored: (key) => JSON.parse(localStorage.getItem(key)),
    // The edge's decisions script (#nurture-decisions), as it embeds it.
    edgeScript(decisions) {
      const s = document.createElement("script");
      s.type = "application/json";
      s.id = "nurture-decisions";
      s.textContent = JSON.stringify(decisions);
      root.append(s);
    },
    base64: (b) => btoa(Array.from(b, (x) => String.fromCharCode(x)).join("")),
  };
</script></body></html>`;

const routes = new Map([
  ["/dom/index.html", { type: "text/html; charset=utf-8", body: FIXTURE }],
  ["/dom/site.json", { type: "application/json", body: JSON.stringify(SITE_JSON) }],
  ["/dom/site.nrc", { type: "application/vnd.nurture.compiled", body: COMPILED }],
  ["/dom/model.nrc", { type: "application/vnd.nurture.compiled", body: MODEL }],
]);

/** The builds every test runs on. */
export const BUILDS = ["browser", "page"];

let server, browser;
/** Serves the fixture and launches Chromium before the file's tests, stops them after. */
export function useDomFixture() {
  before(async () => {
    server = await serve(0, routes);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
}

/** Engagement points of a ScoreResult (`engagement.score`) or a VisitorScore (`engagement`). */
export function engagementOf(score) {
  return typeof score.engagement === "number" ? score.engagement : score.engagement.score;
}
/** Rule totals of a ScoreResult (`engagement.rules`) or a VisitorScore (`rules`). */
export function rulesOf(score) {
  return Array.isArray(score.rules) ? score.rules : score.engagement.rules;
}

/** Runs `fn(page)` on a fresh page (its own storage) of the fixture on `build`; no uncaught page error allowed. */
export async function onPage(build, fn) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  try {
    await page.goto(`${server.origin}/dom/index.html?build=${build}`);
    await page.waitForFunction(() => window.t);
    await fn(page);
    assert.deepEqual(errors, [], "no uncaught error in the page");
  } finally {
    await context.close();
  }
}

/**
 * Plays the edge at `url` (a glob) with page.route: records each batch as
 * `{url, token, body}` in `calls` and answers with the next of `answers`
 * (`{status, token}`), else a 200 without token. Answers carry the CORS
 * headers of a worker that lists the page's origin.
 */
export async function playEdge(page, url) {
  const calls = [];
  const answers = [];
  const cors = {
    "access-control-allow-origin": server.origin,
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": "x-nurture-visitor, retry-after",
    vary: "Origin",
  };
  await page.route(url, async (route) => {
    const req = route.request();
    if (req.method() === "OPTIONS") {
      return route.fulfill({ status: 204, headers: { ...cors, "access-control-allow-methods": "POST",
        "access-control-allow-headers": "content-type, x-nurture-visitor", "access-control-max-age": "600" } });
    }
    const body = req.postDataJSON();
    calls.push({ url: req.url(), token: (await req.allHeaders())["x-nurture-visitor"] ?? null, body });
    const a = answers.shift() ?? { status: 200 };
    const headers = { ...cors, "content-type": "application/json" };
    if (a.token !== undefined) headers["x-nurture-visitor"] = a.token;
    const answer = a.status < 300 ? { accepted: body.events.length } : { error: { code: "invalid_visitor_token", message: "the visitor token is not valid" } };
    await route.fulfill({ status: a.status, headers, body: JSON.stringify(answer) });
  });
  /** Waits until `n` batches arrived and the runtime settled them (nothing unsent). */
  const settled = async (n) => {
    for (let i = 0; i < 400 && calls.length < n; i++) await new Promise((ok) => setTimeout(ok, 10));
    assert.ok(calls.length >= n, `${n} batches expected, ${calls.length} arrived`);
    await page.waitForFunction(() => window.n.state().unsent === 0);
  };
  return { calls, answers, settled };
}
