// What one `nurture.track()` costs a page, in Debian's headless Chromium:
// the demo home page (the page-only build, its compiled site config), once
// its slots are decided, tracks TRACKS events through the page API as a
// site's own code would (`window.nurture.track(name, properties)`), and
// the mean time a call is taken over them. A call records the event
// (stored in localStorage, queued for the edge), hands it to the
// LiveVisitor in wasm, scores the visitor and decides the slots again.
// With BASELINE_REPO=<another checkout with its package built>, that
// checkout's page is measured in the same run, loads alternating.
// Prints key=value lines: medians over PAGE_TRACK_LOADS cold loads.
import { chromium } from "playwright-core";
import { serve } from "../tests/e2e/server.mjs";

const LOADS = Number(process.env.PAGE_TRACK_LOADS ?? 15);
const TRACKS = Number(process.env.PAGE_TRACK_EVENTS ?? 150);
const server = await serve();
const baseline = process.env.BASELINE_REPO ? await serve(0, new Map(), { repo: process.env.BASELINE_REPO }) : null;
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});

/** One cold load of `origin`'s home page; µs a `track()` call, mean over TRACKS calls. */
async function load(origin) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/?debug=0`);
  await page.waitForFunction(() => window.nurture && !document.querySelector("[data-nurture-pending]"));
  const us = await page.evaluate((n) => {
    const paths = ["/pricing", "/industries/oil-gas", "/resources/white-paper", "/case-studies/refinery"];
    // One call first, out of the timing: the first event of a view may
    // take paths a page meets once.
    window.nurture.track("Warm Up", { path: "/" });
    const t0 = performance.now();
    for (let i = 0; i < n; i++) window.nurture.track(i % 5 === 4 ? "Whitepaper Downloaded" : "CTA Clicked", { path: paths[i % 4] });
    return ((performance.now() - t0) * 1000) / n;
  }, TRACKS);
  await context.close();
  return us;
}

const samples = [];
const baselineSamples = [];
for (let i = 0; i < LOADS; i++) {
  samples.push(await load(server.origin));
  if (baseline) baselineSamples.push(await load(baseline.origin));
}
await browser.close();
await server.close();
await baseline?.close();

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`page_track.loads=${LOADS}`);
console.log(`page_track.events_per_load=${TRACKS}`);
console.log(`page_track.us_per_track_p50=${median(samples).toFixed(1)}`);
if (baseline) {
  console.log(`page_track.baseline_us_per_track_p50=${median(baselineSamples).toFixed(1)}`);
  // Each load against the baseline's load right after it.
  const paired = samples.map((s, i) => baselineSamples[i] / s);
  console.log(`page_track.speedup_vs_baseline_paired_p50=${median(paired).toFixed(3)}`);
}
