// Where a page's `nurture.track()` spends its time: the demo home page
// (page-only build) in headless Chromium tracks 300 events in one go under
// Chromium's CPU profiler (50 µs sampling); prints inclusive and self
// shares by function (the runtime's and the glue's names are minified, the
// wasm's are its function indexes). Usage: node bench/page-track.profile.mjs
// (after scripts/build-pkg.sh). bench/page-track.bench.mjs times the same.
import { chromium } from "playwright-core";
import { serve } from "../tests/e2e/server.mjs";

const server = await serve();
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
const context = await browser.newContext();
const page = await context.newPage();
await page.goto(`${server.origin}/?debug=0`);
await page.waitForFunction(() => window.nurture && !document.querySelector("[data-nurture-pending]"));
const cdp = await context.newCDPSession(page);
await cdp.send("Profiler.enable");
await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
await cdp.send("Profiler.start");
await page.evaluate(() => {
  for (let i = 0; i < 300; i++) window.nurture.track("CTA Clicked", { path: "/pricing" });
});
const { profile } = await cdp.send("Profiler.stop");
await browser.close();
await server.close();

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const spent = new Map();
profile.samples.forEach((id, i) => spent.set(id, (spent.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const name = (n) => `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}`;
const self = new Map();
const inclusive = new Map();
for (const n of profile.nodes) {
  const t = spent.get(n.id) ?? 0;
  self.set(name(n), (self.get(name(n)) ?? 0) + t);
  const seen = new Set();
  for (let id = n.id; id !== undefined; id = parent.get(id)) {
    const k = name(byId.get(id));
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + t);
  }
}
const total = [...spent.values()].reduce((a, b) => a + b, 0);
const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
console.log(`total_ms=${(total / 1000).toFixed(1)}`);
console.log("# inclusive %");
for (const [k, v] of top(inclusive, 30)) console.log(`${((100 * v) / total).toFixed(1)} ${k}`);
console.log("# self %");
for (const [k, v] of top(self, 20)) console.log(`${((100 * v) / total).toFixed(1)} ${k}`);
