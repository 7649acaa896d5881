// The packed tarball in a fresh Vite project: a production build (Vite picks
// the `browser` condition, i.e. the light build, and emits the wasm as an
// asset), served from 127.0.0.1 and loaded in headless Chromium, where the
// page calls init(), score() and decide() and shows the result.
import test from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { freshProject, root } from "./helpers.mjs";

const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>nurture in a page</title><link rel="icon" href="data:,"></head>
<body><h1 data-slot="hero">Software that keeps plants running</h1><pre id="out">loading</pre>
<script type="module" src="./main.js"></script></body></html>`;

const main = `
import init, { score, decide, checkPhone } from "nurture";

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
  out.textContent = JSON.stringify({
    grade: result.grade, fit: result.fit.score, segments: decisions.segments,
    variant: decisions.decisions[0].variant,
    // The light build checks phone numbers by shape and length only.
    phone: checkPhone("+1 199 555 0123").valid,
  });
  out.dataset.ready = "1";
} catch (e) {
  out.textContent = "error: " + (e && e.stack || e);
  out.dataset.ready = "error";
}
`;

const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };

function serve(dir) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const file = path.join(dir, url.pathname === "/" ? "index.html" : decodeURIComponent(url.pathname));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

test("a Vite production build runs score() and decide() in headless Chromium", { timeout: 180_000 }, async () => {
  const dir = freshProject("vite", { "index.html": page, "main.js": main });
  const { build } = await import(path.join(root, "node_modules", "vite", "dist", "node", "index.js"));
  await build({ root: dir, logLevel: "warn", configFile: false, build: { outDir: path.join(dir, "dist") } });

  const dist = path.join(dir, "dist");
  const assets = readdirSync(path.join(dist, "assets"));
  const wasm = assets.filter((f) => f.endsWith(".wasm"));
  assert.equal(wasm.length, 1, `one wasm asset: ${assets}`);
  // The browser condition picked the light build.
  assert.equal(statSync(path.join(dist, "assets", wasm[0])).size,
    statSync(path.join(root, "pkg", "browser", "nurture_bg.wasm")).size);

  const server = await serve(dist);
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
  try {
    const tab = await browser.newPage();
    const errors = [];
    tab.on("pageerror", (e) => errors.push(String(e)));
    tab.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(m.text()); });
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    await tab.waitForSelector("#out[data-ready]", { timeout: 30_000 });
    const text = await tab.textContent("#out");
    assert.ok(!text.startsWith("error"), text);
    const out = JSON.parse(text);
    assert.deepEqual(out, { grade: "A3", fit: 60, segments: ["oil-gas"], variant: "oil-gas-hero", phone: true });
    assert.equal(await tab.textContent("h1"), "Refinery uptime, predicted");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
