// Where a cold load's time goes before the slots are decided, for the demo
// home page with the page build (pkg/page): an init script marks when the
// wasm finishes compiling (`WebAssembly.compileStreaming`, `compile`) and
// instantiating, when the page script publishes `window.nurture` (after
// `start()` returned) and when the last slot left the pending state; the
// downloads come from Resource Timing. Prints the median of each, in ms
// from navigation start, over STARTUP_PROFILE_LOADS cold loads (20), and
// with STARTUP_PROFILE_BASELINE=<another checkout with its package built>
// (or several, comma-separated) the same for that checkout's page, loads
// interleaved.
// STARTUP_PROFILE_FLAGS adds Chromium flags (e.g.
// `--js-flags=--no-wasm-lazy-compilation`, to see what V8's lazy
// compilation of wasm functions costs).
import { readFile } from "node:fs/promises";
import { chromium } from "playwright-core";
import { serve } from "../tests/e2e/server.mjs";

const LOADS = Number(process.env.STARTUP_PROFILE_LOADS ?? 20);
const servers = [["this", await serve()]];
// Several baselines: comma-separated, named baseline, baseline2...
for (const [i, repo] of (process.env.STARTUP_PROFILE_BASELINE?.split(",").filter(Boolean) ?? []).entries()) {
  servers.push([`baseline${i ? i + 1 : ""}`, await serve(0, new Map(), { repo })]);
}
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    ...(process.env.STARTUP_PROFILE_FLAGS?.split(" ").filter(Boolean) ?? [])],
});

const instrument = () => {
  const mark = (name) => performance.mark(name);
  const wrap = (name, label) => {
    const f = WebAssembly[name];
    WebAssembly[name] = function (...args) {
      mark(`${label}:call`);
      const p = f.apply(this, args);
      p.then(() => mark(`${label}:done`), () => {});
      return p;
    };
  };
  wrap("compileStreaming", "compileStreaming");
  wrap("compile", "compile");
  wrap("instantiate", "instantiate");
  wrap("instantiateStreaming", "instantiateStreaming");
  let value;
  Object.defineProperty(window, "nurture", {
    configurable: true,
    get: () => value,
    set: (v) => { mark("window.nurture"); value = v; },
  });
  window.__slotsDecidedAt = null;
  new MutationObserver(() => {
    const slots = document.querySelectorAll("[data-nurture-slot]");
    if (slots.length && !document.querySelector("[data-nurture-pending]") && window.nurture && window.__slotsDecidedAt === null) {
      window.__slotsDecidedAt = performance.now();
      console.log("nurture-profile: slots decided");
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-nurture-pending", "data-nurture-applied"] });
};

const rows = new Map(servers.map(([name]) => [name, []]));
for (let i = 0; i < LOADS; i++) {
  for (const [name, server] of servers) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(instrument);
    // STARTUP_PROFILE_PKG=<dir>: the page build's glue and wasm from that
    // directory (a build with performance marks in start(), say).
    if (process.env.STARTUP_PROFILE_PKG && name === "this") {
      const dir = process.env.STARTUP_PROFILE_PKG;
      await page.route((u) => u.pathname === "/pkg/page/nurture.js" || u.pathname === "/pkg/page/nurture_bg.wasm",
        async (route) => {
          const file = new URL(route.request().url()).pathname.replace("/pkg/page/", "");
          route.fulfill({ status: 200, contentType: file.endsWith(".js") ? "text/javascript" : "application/wasm",
            body: await readFile(`${dir}/${file}`) });
        });
    }
    // Waited for on the console, as in browser.bench.mjs: no script of the
    // harness's runs in the page before the slots are decided.
    const decided = page.waitForEvent("console", { predicate: (m) => m.text() === "nurture-profile: slots decided", timeout: 10_000 });
    await page.goto(`${server.origin}/`);
    await decided;
    rows.get(name).push(await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      const row = { "DOMContentLoaded": nav.domContentLoadedEventStart, "slots decided": window.__slotsDecidedAt };
      for (const m of performance.getEntriesByType("mark")) row[m.name] ??= m.startTime;
      for (const r of performance.getEntriesByType("resource")) {
        const file = r.name.replace(/^[^/]*\/\/[^/]*/, "").replace(/\?.*$/, "");
        row[`${file} requested`] = r.startTime;
        row[`${file} downloaded`] = r.responseEnd;
      }
      return row;
    }));
    await context.close();
  }
}
await browser.close();
for (const [, server] of servers) await server.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`startup.loads=${LOADS}`);
for (const [name, list] of rows) {
  const keys = [...new Set(list.flatMap(Object.keys))].filter((k) => !k.includes("favicon"));
  const medians = keys.map((k) => [k, median(list.map((r) => r[k]).filter((v) => v !== undefined))])
    .sort((a, b) => a[1] - b[1]);
  console.log(`== ${name}: median ms from navigation start`);
  for (const [k, v] of medians) console.log(`  ${k.padEnd(44)} ${v.toFixed(1).padStart(7)}`);
  // Steps, each the median over the loads of that load's difference.
  const step = (from, to) => median(list.filter((r) => r[from] !== undefined && r[to] !== undefined).map((r) => r[to] - r[from]));
  for (const [from, to] of [["DOMContentLoaded", "instantiate:call"], ["instantiate:call", "instantiate:done"],
    ["instantiate:done", "window.nurture"], ["window.nurture", "slots decided"]]) {
    console.log(`  step ${from} -> ${to}`.padEnd(46) + step(from, to).toFixed(1).padStart(7));
  }
  const dcl = (r, k) => r[k] - r.DOMContentLoaded;
  console.log(`startup.${name}.dcl_to_slots_p50_ms=${median(list.map((r) => dcl(r, "slots decided"))).toFixed(1)}`);
  console.log(`startup.${name}.dcl_to_started_p50_ms=${median(list.map((r) => dcl(r, "window.nurture"))).toFixed(1)}`);
  console.log(`startup.${name}.nav_to_slots_p50_ms=${median(list.map((r) => r["slots decided"])).toFixed(1)}`);
}
// Paired: load i of this page against load i of each baseline (the two
// ran one after the other), which cancels the machine's slow drift.
const mine = rows.get("this");
for (const [name, list] of rows) {
  if (name === "this") continue;
  for (const [label, f] of [["DOMContentLoaded", (r) => r.DOMContentLoaded],
    ["dcl_to_slots", (r) => r["slots decided"] - r.DOMContentLoaded], ["nav_to_slots", (r) => r["slots decided"]]]) {
    const diffs = mine.map((r, i) => f(r) - f(list[i]));
    console.log(`startup.paired.this_minus_${name}.${label}_p50_ms=${median(diffs).toFixed(1)}`);
  }
}
