// End to end, the worker on another origin than the site: the demo site
// (www/) on http://127.0.0.1:A, the built worker (worker/dist, in workerd
// through Miniflare) on http://localhost:B with ALLOWED_ORIGINS naming the
// site. The page's runtime must keep the visitor's identity across batches,
// reloads, navigations and page-hide beacons without the worker's cookie
// (a third-party cookie there, which many browsers block: the test clears
// cookies before every step). Checked at the worker: every event forwarded
// to the collector, and the visitor's Durable Object, hold ONE visitor whose
// score accumulated. Needs pkg/ (scripts/build-pkg.sh) and worker/dist
// (node worker/build.mjs). A small recording proxy stands in front of the
// worker: what the browser sent (beacons from unloading pages included,
// which the browser's own request events miss) is seen as it arrived.
import { test, before, after } from "node:test";
import http from "node:http";
import assert from "node:assert/strict";
import { serve } from "./server.mjs";
import { launchChromium, startBuiltWorker } from "./browser.mjs";
import { startCollector, waitFor } from "../../worker/test/harness.mjs";

let site, collector, mf, proxy, worker, browser;
const arrived = []; // POST /v1/events as they reached the worker: {headers, body}

/** Forwards every request to the worker, recording the event batches. */
async function recordingProxy(target) {
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    if (req.method === "POST" && req.url.startsWith("/v1/events")) {
      arrived.push({ headers: req.headers, body: JSON.parse(body.toString("utf8")) });
    }
    const headers = { ...req.headers };
    for (const h of ["host", "connection", "content-length"]) delete headers[h];
    const r = await fetch(new URL(req.url, target), { method: req.method, headers, body: body.length ? body : undefined });
    const out = {};
    r.headers.forEach((v, k) => {
      if (!["content-length", "content-encoding", "transfer-encoding", "connection"].includes(k)) out[k] = v;
    });
    res.writeHead(r.status, out).end(Buffer.from(await r.arrayBuffer()));
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return server;
}

before(async () => {
  site = await serve();
  collector = await startCollector();
  let url;
  ({ mf, url } = await startBuiltWorker({
    NURTURE_KEYS: "e2e:cross-origin-test-secret-0123",
    ADMIN_TOKEN: "e2e-admin-token",
    ALLOWED_ORIGINS: site.origin,
    COLLECTOR_URL: collector.url,
  }));
  proxy = await recordingProxy(url);
  // Another host as well as another port: localhost is another site than
  // 127.0.0.1, so the worker's cookie is a third-party one here.
  worker = `http://localhost:${proxy.address().port}`;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await new Promise((ok) => (proxy ? proxy.close(ok) : ok()));
  await mf?.dispose();
  await collector?.close();
  await site?.close();
});

const ready = (page) =>
  page.waitForFunction(() => window.nurture && window.nurture.decisions());
const allSent = (page) =>
  page.waitForFunction(() => window.nurture.state().unsent === 0, null, { timeout: 15_000 });

test("site and worker on two origins: every batch, beacons included, lands on one visitor whose score accumulates", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (e) => { throw e; });
  const start = arrived.length;
  const query = `?endpoint=${encodeURIComponent(worker)}`;
  // Third-party cookies blocked: whatever the worker set is gone before
  // each step, so only the runtime's token can name the visitor.
  const go = async (p) => {
    await context.clearCookies();
    await page.goto(site.origin + p + query);
    await ready(page);
  };

  await go("/index.html");
  await page.evaluate(() => window.nurture.track("Demo Requested", {}));
  await allSent(page);
  const stored = () => page.evaluate(() => JSON.parse(localStorage.getItem("nurture")));
  const first = await stored();
  assert.match(first.token ?? "", /^v1\.e2e\.[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/, "the worker's token is kept with the state");

  // A reload: the home page's view goes out as a beacon on page hide.
  await context.clearCookies();
  await page.reload();
  await ready(page);
  await page.evaluate(() => window.nurture.track("Pricing Calculator Used", {}));
  await allSent(page);
  // Navigations, each ending the previous page (beacon), with events between.
  await go("/pricing.html");
  await page.evaluate(() => window.nurture.track("Quote Requested", { plan: "business" }));
  await allSent(page);
  await go("/case-studies/refinery.html");
  await go("/index.html");
  await allSent(page);
  const local = await page.evaluate(() => window.nurture.state());
  // Leaving the site ends the last page: its view goes as a beacon.
  await page.goto("about:blank");
  const ended = () => arrived.slice(start).flatMap((a) => a.body.events).some((e) => e.type === "page" && e.properties?.path === "/index.html" && e.messageId.endsWith(`-${local.events - 1}`));
  assert.ok(await waitFor(ended, { timeoutMs: 10_000 }), "the last page's view arrived");
  const sent = arrived.slice(start);
  const ids = [...new Set(sent.flatMap((a) => a.body.events.map((e) => e.messageId)))];
  // 5 page views and 3 tracks, each sent once.
  assert.equal(ids.length, 8, `sent ${ids.length} events`);
  assert.equal(ids.length, local.events);

  // The page-hide batches went as beacons (text/plain) with the token in the
  // body; the others as fetches with the header; only the very first batch,
  // before the worker had answered, had neither.
  const beacons = sent.filter((a) => a.headers["content-type"].startsWith("text/plain"));
  assert.ok(beacons.length >= 4, `${beacons.length} beacons`);
  for (const b of beacons) assert.equal(b.body.visitorToken, first.token, "a beacon carries the stored token in its body");
  const fetches = sent.filter((a) => a.headers["content-type"] === "application/json");
  assert.ok(fetches.slice(1).length >= 2 && fetches.slice(1).every((f) => f.headers["x-nurture-visitor"] === first.token), "fetches carry the token header");
  assert.equal(sent.filter((a) => !a.headers["x-nurture-visitor"] && !a.body.visitorToken).length, 1, "only the first batch went without a token");

  // At the worker: every event forwarded for one visitor...
  const events = () => [...collector.byKey.values()].filter((m) => m.kind === "event");
  assert.ok(await waitFor(() => events().length >= ids.length, { timeoutMs: 20_000 }), `${events().length} of ${ids.length} events forwarded`);
  const forwarded = events();
  const visitors = new Set(forwarded.map((m) => m.visitorId));
  assert.equal(visitors.size, 1, `the events landed on ${visitors.size} visitors`);
  const [visitorId] = visitors;
  assert.equal(first.token.split(".")[2], visitorId);
  assert.deepEqual(forwarded.map((m) => m.event.messageId).sort(), [...ids].sort());
  // ...whose score accumulated: each forwarded event carries the score after
  // its batch, so engagement only grew, and the visitor's Durable Object
  // holds every event.
  const engagement = forwarded.map((m) => m.score.engagement);
  assert.ok(Math.max(...engagement) > Math.min(...engagement), `engagement ${engagement.join(",")}`);
  const ns = await mf.getDurableObjectNamespace("VISITORS");
  const kept = await ns.get(ns.idFromName(visitorId)).inspect();
  assert.equal(kept.events, ids.length);
  assert.equal(kept.last.engagement, Math.max(...engagement));
  // The page scored the same history itself: the edge agrees with it.
  assert.equal(kept.last.engagement, local.score.engagement);
  await context.close();
});

test("consent withdrawn: the stored token goes with the rest, the next visit is a new visitor at the worker", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (e) => { throw e; });
  const query = `?consent=required&endpoint=${encodeURIComponent(worker)}`;
  await page.goto(site.origin + "/index.html" + query);
  await page.waitForFunction(() => window.nurture);
  await page.click(".nurture-consent [data-consent=yes]");
  await page.evaluate(() => window.nurture.track("Demo Requested", {}));
  await allSent(page);
  const before = await page.evaluate(() => JSON.parse(localStorage.getItem("nurture")).token);
  assert.ok(before, "a token after the first batch");
  await page.evaluate(() => window.nurture.consent(false));
  assert.equal(await page.evaluate(() => localStorage.getItem("nurture")), null);
  await page.evaluate(() => window.nurture.consent(true));
  await page.evaluate(() => window.nurture.track("Trial Started", {}));
  await allSent(page);
  const after = await page.evaluate(() => JSON.parse(localStorage.getItem("nurture")).token);
  assert.ok(after && after !== before);
  assert.notEqual(after.split(".")[2], before.split(".")[2], "a new visitor, not the one who withdrew");
  await context.close();
});

test("a page on the site decides from the worker's own documents: start({config: worker + /v1/config})", async () => {
  const health = await (await fetch(`${worker}/v1/health`)).json();
  const served = await (await fetch(`${worker}/v1/config`)).json();
  assert.equal(served.version, health.config.version, "/v1/config and /v1/health name one version");
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (e) => { throw e; });
  // Any page of the site's origin will do: the runtime is started by hand.
  await page.goto(`${site.origin}/pkg/browser/index.js`);
  const seen = await page.evaluate(async (endpoint) => {
    const { default: init, start } = await import("/pkg/browser/index.js");
    await init();
    const nurture = start({ config: `${endpoint}/v1/config`, endpoint });
    for (let i = 0; i < 100 && !nurture.decisions(); i++) await new Promise((ok) => setTimeout(ok, 50));
    const { configVersion, decisions } = nurture.state();
    return { configVersion, decided: decisions !== null };
  }, worker);
  assert.deepEqual(seen, { configVersion: served.version, decided: true });
  await context.close();
});
