// The page's side, in Debian's headless Chromium: how many bytes a page
// downloads for nurture (gzip), and the time from DOMContentLoaded to the
// slots being decided (applied or released to their default), median of many
// cold loads of the demo home page. Prints key=value lines.
// The page loads the page-only build (pkg/page) and its site config
// compiled (/nurture/site.nrc); the same number of loads of
// `/?build=browser` (the same compiled config through the light build,
// pkg/browser, with its whole function API) and of `/?config=json` (the
// JSON route, which only pkg/browser reads) are interleaved with them, and,
// with BASELINE_REPO=<another checkout with its package built>, as many of
// that checkout's home page, so all are measured in one run on one
// machine. For the two pkg/browser variants the page's preload hints name
// /pkg/browser/ instead of /pkg/page/ (the HTML is rewritten as it
// arrives), so each variant preloads what it uses and nothing else.
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { serve } from "../tests/e2e/server.mjs";

const LOADS = Number(process.env.BROWSER_BENCH_LOADS ?? 40);
const server = await serve();
const baseline = process.env.BASELINE_REPO ? await serve(0, new Map(), { repo: process.env.BASELINE_REPO }) : null;
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});

// Records when the last slot left the pending state: the moment a visitor
// sees the decided content (or the default, after the anti-flicker timeout),
// and says so on the console. The harness waits for that message rather
// than with `waitForFunction`, whose injected script (30–60 ms of parsing
// on the page's main thread) would otherwise land in the middle of the
// load it measures.
const DECIDED = "nurture-bench: slots decided";
const probe = (decided) => {
  window.__slotsDecidedAt = null;
  new MutationObserver(() => {
    const slots = document.querySelectorAll("[data-nurture-slot]");
    if (slots.length && !document.querySelector("[data-nurture-pending]") && window.nurture && window.__slotsDecidedAt === null) {
      window.__slotsDecidedAt = performance.now();
      console.log(decided);
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-nurture-pending", "data-nurture-applied"] });
};

/**
 * One cold load of the home page (a fresh context: no storage, no cache),
 * waited on until the probe saw every slot decided; `prepare(page,
 * context)` runs before the navigation, `measure(page)` after, and its
 * answer is returned.
 */
async function coldLoad({ prepare = async () => {}, measure, timeout = 10_000, url = `${server.origin}/`, build = "page" }) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(probe, DECIDED);
  if (build !== "page") {
    await page.route((u) => u.pathname === "/", async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replaceAll("/pkg/page/", `/pkg/${build}/`);
      await route.fulfill({ status: response.status(), contentType: "text/html; charset=utf-8", body });
    });
  }
  await prepare(page, context);
  const decided = page.waitForEvent("console", { predicate: (m) => m.text() === DECIDED, timeout });
  await page.goto(url);
  await decided;
  const result = await measure(page);
  await context.close();
  return result;
}

// From DOMContentLoaded, and from the start of the navigation (work moved
// before DOMContentLoaded shows in the second, not in the first).
const dclToSlots = (page) => page.evaluate(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  return { dcl: window.__slotsDecidedAt - nav.domContentLoadedEventStart, nav: window.__slotsDecidedAt };
});
const samples = [];
const browserBuildSamples = [];
const jsonSamples = [];
const baselineSamples = [];
let bytes = null;
let browserBytes = null;
/** Records what a load downloads for nurture into `into`. */
const recording = (into) => async (page) => {
  page.on("response", async (res) => {
    const url = new URL(res.url());
    if (url.pathname.startsWith("/pkg/") || url.pathname.startsWith("/nurture/") || url.pathname.includes("nurture-site")) {
      into.push(res.body().then((b) => ({ path: url.pathname, raw: b.length, gzip: gzipSync(b, { level: 9 }).length })));
    }
  });
};
for (let i = 0; i < LOADS; i++) {
  jsonSamples.push(await coldLoad({ url: `${server.origin}/?config=json`, measure: dclToSlots, build: "browser" }));
  if (baseline) baselineSamples.push(await coldLoad({ url: `${baseline.origin}/`, measure: dclToSlots }));
  const browserDownloads = [];
  browserBuildSamples.push(await coldLoad({
    url: `${server.origin}/?build=browser`,
    build: "browser",
    prepare: browserBytes === null ? recording(browserDownloads) : async () => {},
    measure: dclToSlots,
  }));
  browserBytes ??= await Promise.all(browserDownloads);
  const downloads = [];
  samples.push(await coldLoad({
    prepare: bytes === null ? recording(downloads) : async () => {},
    measure: dclToSlots,
  }));
  bytes ??= await Promise.all(downloads);
}
// A first visit on a real network: Chromium's network emulation at 9 Mbps
// and a 60 ms round trip (the server gzips, as a CDN would), from the
// anti-flicker snippet hiding the slots (the 300 ms cap starts there) to
// every slot decided by nurture.
const NET_LOADS = Number(process.env.BROWSER_BENCH_NET_LOADS ?? 20);
const netSamples = [];
const baselineNetSamples = [];
const netLoad = (origin) => coldLoad({
  url: `${origin}/`,
  prepare: async (page, context) => {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false, latency: 60, downloadThroughput: 9e6 / 8, uploadThroughput: 9e6 / 8,
    });
  },
  measure: (page) => page.evaluate(() =>
    window.__slotsDecidedAt - (Number(document.documentElement.dataset.nurtureHiddenAt) - performance.timeOrigin)),
  timeout: 20_000,
});
for (let i = 0; i < NET_LOADS; i++) {
  netSamples.push(await netLoad(server.origin));
  if (baseline) baselineNetSamples.push(await netLoad(baseline.origin));
}
netSamples.sort((a, b) => a - b);

await browser.close();
await server.close();
await baseline?.close();

const quantile = (list, p, key = "dcl") => list.map((x) => x[key]).sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(p * list.length))];
const q = (p) => quantile(samples, p);
console.log(`browser.loads=${LOADS}`);
console.log(`browser.dcl_to_slots_p50_ms=${q(0.5).toFixed(1)}`);
console.log(`browser.dcl_to_slots_p90_ms=${q(0.9).toFixed(1)}`);
console.log(`browser.nav_to_slots_p50_ms=${quantile(samples, 0.5, "nav").toFixed(1)}`);
console.log(`browser.browser_build_dcl_to_slots_p50_ms=${quantile(browserBuildSamples, 0.5).toFixed(1)}`);
console.log(`browser.browser_build_dcl_to_slots_p90_ms=${quantile(browserBuildSamples, 0.9).toFixed(1)}`);
console.log(`browser.json_config_dcl_to_slots_p50_ms=${quantile(jsonSamples, 0.5).toFixed(1)}`);
console.log(`browser.json_config_dcl_to_slots_p90_ms=${quantile(jsonSamples, 0.9).toFixed(1)}`);
if (baseline) {
  console.log(`browser.baseline_dcl_to_slots_p50_ms=${quantile(baselineSamples, 0.5).toFixed(1)}`);
  console.log(`browser.baseline_dcl_to_slots_p90_ms=${quantile(baselineSamples, 0.9).toFixed(1)}`);
  console.log(`browser.baseline_nav_to_slots_p50_ms=${quantile(baselineSamples, 0.5, "nav").toFixed(1)}`);
}
console.log(`browser.download_files=${bytes.map((b) => b.path).join(" ")}`);
console.log(`browser.download_raw=${bytes.reduce((s, b) => s + b.raw, 0)}`);
console.log(`browser.download_gzip=${bytes.reduce((s, b) => s + b.gzip, 0)}`);
console.log(`browser.browser_build_download_files=${browserBytes.map((b) => b.path).join(" ")}`);
console.log(`browser.browser_build_download_gzip=${browserBytes.reduce((s, b) => s + b.gzip, 0)}`);
console.log(`browser.net_loads=${NET_LOADS}`);
console.log(`browser.net_hidden_to_slots_p50_ms=${netSamples[Math.floor(netSamples.length / 2)].toFixed(1)}`);
console.log(`browser.net_hidden_to_slots_p90_ms=${netSamples[Math.min(netSamples.length - 1, Math.floor(0.9 * netSamples.length))].toFixed(1)}`);
if (baseline) {
  const net = (p) => quantile(baselineNetSamples.map((v) => ({ dcl: v })), p);
  console.log(`browser.baseline_net_hidden_to_slots_p50_ms=${net(0.5).toFixed(1)}`);
  console.log(`browser.baseline_net_hidden_to_slots_p90_ms=${net(0.9).toFixed(1)}`);
}
