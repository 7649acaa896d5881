// End to end, a site already instrumented with Segment's analytics.js
// (@segment/analytics-next from npm, bundled here with esbuild as a site's
// build would) in Chromium, with nurture's worker as its API host: no
// request to Segment's CDN (its settings are given in `cdnSettings`, the
// machine has no internet), the worker on another origin (the site's
// origin is in ALLOWED_ORIGINS; analytics.js sends the browser write key as
// Basic auth, so each message is a CORS request with a preflight). The page
// views and tracks arrive through /v1/p and /v1/t, are scored as the
// browser's own (one visitor per anonymousId), and forwarded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { startSiteAndWorker } from "./browser.mjs";
import { waitFor } from "../../worker/test/harness.mjs";

const WRITE_KEY = "wk_e2e_browser_0123456789";
const repo = fileURLToPath(new URL("../..", import.meta.url));

let stack, site, collector, worker, browser;

/** A page of the site: analytics.js loaded the way Segment's docs show for npm, pointed at nurture. */
const page = (title) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>
<script src="/vendor/analytics-next.js"></script>
<script>
  const q = new URLSearchParams(location.search);
  const writeKey = q.get("writeKey");
  window.analytics = ajs.AnalyticsBrowser.load({
    writeKey,
    // Segment's settings, given here instead of fetched from cdn.segment.com.
    cdnSettings: {
      integrations: {
        "Segment.io": {
          apiKey: writeKey, apiHost: q.get("apiHost"), protocol: "http",
          // ?batching=1: analytics.js's batching delivery (POST /v1/b).
          ...(q.get("batching") ? { deliveryStrategy: { strategy: "batching", config: { size: 3, timeout: 300 } } } : {}),
        },
      },
      metrics: { sampleRate: 0 },
    },
  });
  window.analytics.page();
</script></head>
<body><h1>${title}</h1>
<button id="download" onclick="analytics.track('File Downloaded', {file: 'scoring-guide.pdf', tags: ['scoring']})">Download the guide</button>
<button id="demo" onclick="analytics.track('Demo Requested', {plan: 'enterprise'})">Request a demo</button>
</body></html>`;

before(async () => {
  const bundle = await build({
    stdin: { contents: 'export { AnalyticsBrowser } from "@segment/analytics-next";', resolveDir: repo },
    bundle: true, format: "iife", globalName: "ajs", platform: "browser", write: false, logLevel: "warning",
  });
  const routes = new Map([
    ["/vendor/analytics-next.js", { type: "text/javascript; charset=utf-8", body: bundle.outputFiles[0].text }],
    ["/ajs/pricing", { type: "text/html; charset=utf-8", body: page("Pricing") }],
    ["/ajs/case-studies/acme", { type: "text/html; charset=utf-8", body: page("Acme case study") }],
  ]);
  stack = await startSiteAndWorker((s, col) => ({
    NURTURE_KEYS: "e2e:segment-test-secret-0123456789",
    ALLOWED_ORIGINS: s.origin,
    COLLECTOR_URL: col.url,
    WRITE_KEYS: `browser:${WRITE_KEY}`,
  }), { routes });
  ({ site, collector, browser } = stack);
  worker = new URL(stack.url);
});
after(() => stack?.close());

/**
 * A fresh browser on the pricing page: its page errors, the requests that
 * left for anything but the site and the worker, the paths it posted to
 * the worker, and the events forwarded for its anonymousId.
 */
async function visit(extra = "") {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const errors = [];
  const outside = [];
  const sent = [];
  tab.on("pageerror", (e) => errors.push(e));
  tab.on("request", (r) => {
    const u = new URL(r.url());
    if (u.origin !== site.origin && u.origin !== worker.origin) outside.push(r.url());
    if (u.origin === worker.origin && r.method() === "POST") sent.push(u.pathname);
  });
  const query = `?writeKey=${WRITE_KEY}&apiHost=${encodeURIComponent(`${worker.host}/v1`)}${extra}`;
  await tab.goto(`${site.origin}/ajs/pricing${query}`);
  const anonymousId = await tab.evaluate(async () => (await window.analytics.user()).anonymousId());
  assert.match(anonymousId, /^[0-9a-f-]{36}$/);
  const forwarded = () => [...collector.byKey.values()].filter((m) => m.kind === "event" && m.event.anonymousId === anonymousId);
  return { context, tab, errors, outside, sent, query, forwarded };
}

test("analytics.js (@segment/analytics-next) with nurture as its API host: page views and tracks arrive and score the visitor", async () => {
  const { context, tab, errors, outside, sent, query, forwarded } = await visit();
  await tab.click("#download");
  await tab.click("#demo");
  assert.ok(await waitFor(() => forwarded().length === 3, { timeoutMs: 20_000 }), `forwarded: ${forwarded().length}`);
  await tab.goto(`${site.origin}/ajs/case-studies/acme${query}`);
  assert.ok(await waitFor(() => forwarded().length === 4, { timeoutMs: 20_000 }), `forwarded: ${forwarded().length}`);

  assert.deepEqual(errors, []);
  assert.deepEqual(outside, [], "nothing fetched from Segment's CDN or API");
  assert.deepEqual([...new Set(sent)].sort(), ["/v1/p", "/v1/t"]);

  const events = forwarded().sort((a, b) => a.receivedAt - b.receivedAt);
  assert.equal(new Set(events.map((m) => m.visitorId)).size, 1, "one visitor for the browser");
  assert.deepEqual(events.map((m) => m.event.type), ["page", "track", "track", "page"]);
  assert.equal(events[0].event.context.page.path, "/ajs/pricing");
  for (const m of events) {
    assert.equal(m.event.channel, "browser");
    assert.equal(m.event.writeKey, undefined, "the write key is not forwarded");
    assert.ok(m.event.originalTimestamp && m.event.receivedAt, "the clock-skew fields");
    assert.ok(m.score && typeof m.score.grade === "string", "scored");
  }
  // The visitor's engagement grows with each page view and the download;
  // the demo request is a back-office action, worth nothing from a page.
  const engagement = events.map((m) => m.score.engagement);
  assert.ok(engagement[3] > engagement[0] && engagement[1] > engagement[0], `engagement: ${engagement}`);
  const rules = events[3].score.breakdown.engagement.map((b) => b.rule);
  assert.ok(rules.includes("page-view") && rules.includes("download"), `rules: ${rules}`);
  assert.ok(!rules.includes("sales-request"), "a page's demo request does not score");
  await context.close();
});

test("analytics.js with its batching delivery strategy: the batches to /v1/b arrive and score", async () => {
  const { context, tab, errors, outside, sent, forwarded } = await visit("&batching=1");
  await tab.click("#download");
  await tab.click("#download");
  assert.ok(await waitFor(() => forwarded().length === 3, { timeoutMs: 20_000 }), `forwarded: ${forwarded().length}`);
  assert.deepEqual(errors, []);
  assert.deepEqual(outside, []);
  assert.deepEqual([...new Set(sent)], ["/v1/b"]);
  const events = forwarded().sort((a, b) => a.receivedAt - b.receivedAt);
  assert.equal(new Set(events.map((m) => m.visitorId)).size, 1);
  for (const m of events) {
    assert.equal(m.event.writeKey, undefined);
    assert.ok(m.score.breakdown.engagement.some((b) => b.rule === "page-view"));
  }
  assert.ok(events.at(-1).score.breakdown.engagement.some((b) => b.rule === "download"));
  await context.close();
});
