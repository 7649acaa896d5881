// The packed tarball under the four bundlers people use: one fresh project,
// one page (init(), score(), decide(), checkPhone(), start()), built by Vite
// (and served by its dev server), esbuild, webpack and Rollup, each with the configuration the README's
// Bundlers section gives and nothing else, then served from 127.0.0.1 and
// loaded in headless Chromium. The page must show the computed score with no
// console error and no failed request, and the wasm must be the light build.
// Without the README's line esbuild and Rollup leave the wasm behind: then
// init() must reject with an error that names the URL and the HTML it got
// (a 404 page, or an SPA host's index.html, where the glue alone fails with
// "expected magic word 00 61 73 6d, found 3c 21 64 6f").
import test from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { freshProject, launchChromium, root, serve } from "./helpers.mjs";

const require = createRequire(path.join(root, "package.json"));

const html = (script) => `<!doctype html>
<html><head><meta charset="utf-8"><title>nurture in a page</title><link rel="icon" href="data:,"></head>
<body><h1 data-slot="hero">Software that keeps plants running</h1><pre id="out">loading</pre>
${script}</body></html>`;

const main = `
import init, { score, decide, checkPhone, start } from "nurture";

const site = {
  segments: [{ id: "oil-gas", when: { industry: { $ini: ["Oil & Gas"] } } }],
  slots: [{ id: "hero", default: { content: null },
    variants: [{ id: "oil-gas-hero", segment: "oil-gas", content: "Refinery uptime, predicted" }] }],
};

const out = document.getElementById("out");
try {
  await init();
  const profile = { title: "VP of Operations", industry: "Oil & Gas", companySize: 5000 };
  const events = [{ type: "page", timestamp: Date.now(), properties: { path: "/pricing", dwellSeconds: 90 } }];
  const result = score(null, profile, events);
  const decisions = decide(site, { id: "visitor-1", profile, score: result });
  for (const d of decisions.decisions) {
    const el = document.querySelector('[data-slot="' + d.slot + '"]');
    if (el && d.content !== null && d.kind === "text") el.textContent = d.content;
  }
  const nurture = start({ config: site, autoTrack: false });
  out.textContent = JSON.stringify({
    grade: result.grade, fit: result.fit.score, segments: decisions.segments,
    variant: decisions.decisions[0].variant,
    // The light build checks phone numbers by shape and length only.
    phone: checkPhone("+1 199 555 0123").valid,
    started: nurture.visitorId.length > 0,
  });
  out.dataset.ready = "1";
} catch (e) {
  out.textContent = "error: " + (e && e.message || e);
  out.dataset.ready = "error";
}
`;

const expected = { grade: "A3", fit: 60, segments: ["oil-gas"], variant: "oil-gas-hero", phone: true, started: true };
const lightWasm = path.join(root, "pkg", "browser", "nurture_bg.wasm");

let dir;
let browser;
test.before(async () => {
  dir = freshProject("bundlers", { "index.html": html(`<script type="module" src="./main.js"></script>`), "main.js": main });
  browser = await launchChromium();
});
test.after(() => browser?.close());

/** A clean output directory for one build. */
function outDir(name) {
  const out = path.join(dir, `dist-${name}`);
  rmSync(out, { recursive: true, force: true });
  return out;
}

/** The .wasm files a build emitted, anywhere under `out`. */
function emittedWasm(out) {
  return readdirSync(out, { recursive: true }).filter((f) => f.endsWith(".wasm")).map((f) => path.join(out, f));
}

/** Loads `out` (a directory, or the URL of a running server) in Chromium; the page's result, console errors and failed requests. */
async function load(out, serveOptions) {
  const server = out.startsWith("http") ? null : await serve(out, serveOptions);
  const tab = await browser.newPage();
  try {
    const errors = [];
    const failed = [];
    tab.on("pageerror", (e) => errors.push(String(e)));
    tab.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(m.text()); });
    tab.on("response", (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`); });
    const origin = server ? `http://127.0.0.1:${server.address().port}` : new URL(out).origin;
    await tab.goto(`${origin}/`);
    await tab.waitForSelector("#out[data-ready]", { timeout: 30_000 });
    return { text: await tab.textContent("#out"), h1: await tab.textContent("h1"), errors, failed, origin };
  } finally {
    await tab.close();
    server?.close();
  }
}

/** The page worked: the score computed in the wasm, the light build, nothing failed. */
async function assertWorks(out) {
  if (!out.startsWith("http")) {
    const wasm = emittedWasm(out);
    assert.equal(wasm.length, 1, `one wasm file: ${wasm}`);
    assert.equal(statSync(wasm[0]).size, statSync(lightWasm).size, "the browser condition picked the light build");
  }
  const page = await load(out);
  assert.ok(!page.text.startsWith("error"), page.text);
  assert.deepEqual(JSON.parse(page.text), expected);
  assert.equal(page.h1, "Refinery uptime, predicted");
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.failed, []);
}

/**
 * The wasm was left behind: init() rejects naming the URL and the HTML that
 * came instead, a 404 page or (`spa`) the app's own index.html with 200,
 * where WebAssembly alone would say "expected magic word 00 61 73 6d".
 */
async function assertClearError(out, { spa = false } = {}) {
  assert.deepEqual(emittedWasm(out), []);
  const page = await load(out, { spa });
  assert.equal(page.text, `error: nurture: could not load nurture_bg.wasm from ${page.origin}/nurture_bg.wasm `
    + `(got HTTP ${spa ? 200 : 404}, text/html, not WebAssembly): the bundler did not emit it next to the script, `
    + "or the server does not serve it. See the README's Bundlers section, or pass the wasm's URL to init().");
  assert.deepEqual(page.failed, spa ? [] : ["404 /nurture_bg.wasm"]);
  if (spa) assert.deepEqual(page.errors, []);
}

const vite = () => import(path.join(root, "node_modules", "vite", "dist", "node", "index.js"));

test("Vite: zero configuration", { timeout: 120_000 }, async () => {
  const out = outDir("vite");
  const { build } = await vite();
  await build({ root: dir, logLevel: "warn", configFile: false, build: { outDir: out } });
  await assertWorks(out);
});

test("Vite's dev server: zero configuration", { timeout: 120_000 }, async () => {
  const { createServer } = await vite();
  const server = await createServer({ root: dir, logLevel: "warn", configFile: false, server: { host: "127.0.0.1", port: 0 } });
  try {
    await server.listen();
    await assertWorks(server.resolvedUrls.local[0]);
  } finally {
    await server.close();
  }
});

const esbuild = (out) => require("esbuild").build({
  entryPoints: [path.join(dir, "main.js")], bundle: true, format: "esm", platform: "browser",
  outdir: out, logLevel: "warning",
}).then(() => writeFileSync(path.join(out, "index.html"), html(`<script type="module" src="./main.js"></script>`)));

test("esbuild: without the README's copy line the wasm is missing, and init() says so", { timeout: 60_000 }, async () => {
  const out = outDir("esbuild-bare");
  await esbuild(out);
  await assertClearError(out);
});

test("esbuild: with the README's line (copy the wasm next to the bundle)", { timeout: 60_000 }, async () => {
  const out = outDir("esbuild");
  await esbuild(out);
  // README: cp node_modules/nurture/browser/nurture_bg.wasm dist/
  copyFileSync(path.join(dir, "node_modules", "nurture", "browser", "nurture_bg.wasm"), path.join(out, "nurture_bg.wasm"));
  await assertWorks(out);
});

test("webpack 5: zero configuration", { timeout: 120_000 }, async () => {
  const out = outDir("webpack");
  const webpack = require("webpack");
  const stats = await new Promise((resolve, reject) => webpack({
    mode: "production", context: dir, entry: "./main.js",
    output: { path: out, filename: "main.js" },
    performance: { hints: false },
  }, (err, s) => (err ? reject(err) : resolve(s))));
  assert.ok(!stats.hasErrors(), stats.toString("errors-only"));
  // webpack's default output is a classic script.
  writeFileSync(path.join(out, "index.html"), html(`<script defer src="./main.js"></script>`));
  await assertWorks(out);
});

const rollup = async (out, plugins) => {
  const { rollup: build } = require("rollup");
  const { nodeResolve } = require("@rollup/plugin-node-resolve");
  const bundle = await build({ input: path.join(dir, "main.js"), plugins: [nodeResolve({ browser: true }), ...plugins], logLevel: "warn" });
  await bundle.write({ dir: out, format: "es" });
  await bundle.close();
  writeFileSync(path.join(out, "index.html"), html(`<script type="module" src="./main.js"></script>`));
};

test("Rollup: without the README's plugin the wasm is missing, and init() says so behind an SPA's fallback too", { timeout: 60_000 }, async () => {
  const out = outDir("rollup-bare");
  await rollup(out, []);
  await assertClearError(out, { spa: true });
});

test("Rollup: with the README's plugin (@web/rollup-plugin-import-meta-assets)", { timeout: 60_000 }, async () => {
  const out = outDir("rollup");
  const { importMetaAssets } = require("@web/rollup-plugin-import-meta-assets");
  await rollup(out, [importMetaAssets()]);
  await assertWorks(out);
});
