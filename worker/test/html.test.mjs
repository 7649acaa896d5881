// HTML personalization at the edge and GET /v1/decide, against the built
// worker in workerd fronting a local origin that serves www/: a named
// account's visitor gets the industry hero in the first chunk of the page,
// others the default; caches cannot mix them; decisions are embedded and
// parseable; hostile content and visitor data never reach the page as HTML.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";
import { startWorker, KEYS } from "./harness.mjs";
import { makeToken, visitorOutsideHoldout } from "./tokens.mjs";
import { startOrigin, WWW } from "../origin.mjs";
import { here, workerOptions } from "../miniflare.mjs";

const HOSTILE = '</script><img src=x onerror=alert(1)>';
const hostilePage = `<!doctype html><html><head><title>t</title><script>var x = "</scr" + "ipt>";</script></head>
<body><div data-nurture-slot="hero"><h1>Plain hero</h1></div><p data-nurture-slot="banner">no banner</p></body></html>`;

let origin;
let mf;
let hostileMf;
let cookieStable;

before(async () => {
  origin = await startOrigin({
    extra: {
      "/hostile.html": { body: hostilePage },
      "/no-personalize.html": { body: '<html><head></head><body><div data-nurture-slot="hero">x</div></body></html>', headers: { "x-nurture-personalize": "off", "cache-control": "public, max-age=60" } },
    },
  });
  mf = await startWorker({ vars: { ORIGIN_URL: origin.url, IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000", PERSONALIZE_EXCLUDE: "/careers" } });
  // A site config whose text variant holds markup: text is text.
  const site = JSON.parse(readFileSync(path.join(here, "..", "tests", "data", "site-config.json"), "utf8"));
  site.slots.find((s) => s.id === "banner").variants.unshift({ id: "hostile-text", segment: "oil-gas", content: HOSTILE });
  hostileMf = await startWorker({ vars: { ORIGIN_URL: origin.url, SITE_CONFIG_JSON: JSON.stringify(site), IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000" } });
  cookieStable = `nurture_vid=${makeToken({ visitorId: await visitorOutsideHoldout() })}`;
});
after(async () => {
  await mf?.dispose();
  await hostileMf?.dispose();
  await origin?.close();
});

function get(worker, p, { ip = "192.0.2.44", headers = {}, method = "GET", cf } = {}) {
  const init = { method, headers: { "cf-connecting-ip": ip, accept: "text/html", ...headers } };
  if (cf) init.cf = cf;
  return worker.dispatchFetch(`http://worker.test${p}`, init);
}

/** The body as chunks, as they arrive. */
async function chunks(res) {
  const out = [];
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(dec.decode(value, { stream: true }));
  }
}

function embedded(html) {
  const m = /<script type="application\/json" id="nurture-decisions">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, "the decisions are embedded");
  return JSON.parse(m[1]);
}

test("a visitor from a named account's range gets the oil-and-gas hero in the first chunk; caches cannot keep it", async () => {
  const res = await get(mf, "/", { ip: "203.0.113.10", headers: { cookie: cookieStable } });
  assert.equal(res.status, 200);
  const parts = await chunks(res);
  const first = parts.findIndex((c) => c.includes('data-nurture-slot="hero"'));
  assert.ok(first >= 0);
  assert.match(parts[first], /data-nurture-slot="hero"[^>]*data-nurture-applied="oil-gas-hero"[^>]*><h1>Refinery uptime, predicted<\/h1>/);
  const html = parts.join("");
  assert.ok(!html.includes("See every asset, every shift"), "the origin's hero was replaced");
  assert.equal(res.headers.get("cache-control"), "private, no-store");
  assert.match(res.headers.get("vary"), /\bCookie\b/);
  assert.equal(res.headers.get("etag"), null, "the origin's validator does not describe this page");
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  const d = embedded(html);
  assert.equal(d.primarySegment, "key-account");
  assert.ok(d.segments.includes("oil-gas"));
  const hero = d.decisions.find((x) => x.slot === "hero");
  assert.equal(hero.variant, "oil-gas-hero");
  assert.equal(hero.appliedAtEdge, true);
  // the decisions come in the head, before any slot
  assert.ok(html.indexOf('id="nurture-decisions"') < html.indexOf("data-nurture-slot"));
  // the menu's variant is an object: left to the browser runtime
  const menu = d.decisions.find((x) => x.slot === "menu");
  assert.equal(menu.variant, "oil-gas-menu");
  assert.equal(menu.appliedAtEdge, false);
  assert.ok(!/data-nurture-slot="menu"[^>]*data-nurture-applied/.test(html));
});

test("another visitor gets the default hero (the origin's markup), with the same private headers", async () => {
  const res = await get(mf, "/", { ip: "192.0.2.44", headers: { cookie: cookieStable }, cf: { country: "US", asn: 64500 } });
  const html = await res.text();
  assert.equal(res.status, 200);
  assert.match(html, /data-nurture-slot="hero" data-nurture-applied="default">\s*<h1>See every asset, every shift, in one place<\/h1>/);
  assert.ok(!html.includes("<h1>Refinery uptime"));
  assert.equal(res.headers.get("cache-control"), "private, no-store");
  assert.match(res.headers.get("vary"), /\bCookie\b/);
  const d = embedded(html);
  assert.equal(d.decisions.find((x) => x.slot === "hero").variant, "default");
  assert.ok(!d.segments.includes("oil-gas"));
  // a retail account gets its own hero
  const retail = await (await get(mf, "/", { ip: "198.51.100.5", headers: { cookie: cookieStable } })).text();
  assert.match(retail, /data-nurture-applied="retail-hero">Cold chains that never break</);
});

test("a first visit without a cookie gets one with the personalized page (consent not required here)", async () => {
  const res = await get(mf, "/pricing.html", { ip: "203.0.113.10" });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("set-cookie") ?? "", /^nurture_vid=v1\.k2\./);
  embedded(await res.text());
  // a tampered cookie never breaks the page: treated as no cookie
  const bad = await get(mf, "/", { headers: { cookie: "nurture_vid=v1.k2.garbage" } });
  assert.equal(bad.status, 200);
  embedded(await bad.text());
});

test("non-HTML, non-GET, excluded and opted-out responses keep the origin's bytes and headers", async () => {
  const css = await get(mf, "/assets/site.css", { ip: "203.0.113.10" });
  assert.equal(css.status, 200);
  assert.equal(await css.text(), readFileSync(path.join(WWW, "assets", "site.css"), "utf8"));
  assert.equal(css.headers.get("cache-control"), "public, max-age=300");
  assert.ok(css.headers.get("etag"));
  assert.equal(css.headers.get("x-nurture-personalized"), null);

  const careers = await get(mf, "/careers.html", { ip: "203.0.113.10" });
  assert.equal(careers.headers.get("cache-control"), "public, max-age=300");
  assert.ok(!(await careers.text()).includes("nurture-decisions"));

  const off = await get(mf, "/no-personalize.html", { ip: "203.0.113.10" });
  assert.equal(off.headers.get("cache-control"), "public, max-age=60");
  assert.ok(!(await off.text()).includes("nurture-decisions"));

  const head = await get(mf, "/", { method: "HEAD", ip: "203.0.113.10" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("cache-control"), "public, max-age=300");

  const missing = await get(mf, "/nope.html");
  assert.equal(missing.status, 404);
  assert.equal(await missing.text(), "not found");
  // /v1/ stays the API's: never proxied
  const api = await get(mf, "/v1/nope");
  assert.equal(api.status, 404);
  assert.equal((await api.json()).error.code, "not_found");
});

test("markup in a text variant and hostile visitor data never reach the page as HTML", async () => {
  // Hostile visitor data: a stored profile (identify traits), the URL and the Referer.
  const visitorId = await visitorOutsideHoldout();
  const token = makeToken({ visitorId });
  const ev = await hostileMf.dispatchFetch("http://worker.test/v1/events", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": "203.0.113.10", cookie: `nurture_vid=${token}` },
    body: JSON.stringify({ events: [{ type: "identify", traits: { company: HOSTILE, industry: "Oil & Gas", title: '<img src=x onerror=alert(2)>' } }] }),
  });
  assert.equal(ev.status, 200, await ev.text());
  const res = await get(hostileMf, `/hostile.html?q=${encodeURIComponent(HOSTILE)}&utm_source=${encodeURIComponent(HOSTILE)}`, {
    ip: "203.0.113.10",
    headers: { cookie: `nurture_vid=${token}`, referer: `https://evil.example/${HOSTILE}` },
  });
  const html = await res.text();
  assert.equal(res.status, 200);
  assert.ok(!html.includes("<img"), html);
  assert.ok(!html.includes("onerror=alert(2)"));
  // the text variant went in as text
  assert.ok(html.includes('data-nurture-applied="hostile-text">&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</p>'), html);
  // "</script" only where the origin and the worker put it: the origin's
  // inline script end and the decisions' end tag
  assert.equal(html.match(/<\/script/gi).length, 2);
  const d = embedded(html);
  assert.equal(d.decisions.find((x) => x.slot === "banner").content, HOSTILE, "the JSON gives the string back intact");
  assert.ok(!JSON.stringify(d).includes("onerror=alert(2)"), "no visitor data in the embedded decisions");
});

test("GET /v1/decide: decisions for the visitor from IP, request.cf and the stored profile", async () => {
  const res = await get(mf, "/v1/decide?path=/pricing", { ip: "203.0.113.10", headers: { cookie: cookieStable, accept: "application/json" } });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const body = JSON.parse(text);
  assert.equal(body.primarySegment, "key-account");
  // (the account's country is the account's, not the visitor's location)
  assert.deepEqual(body.segments, ["key-account", "oil-gas"]);
  assert.equal(body.decisions.find((d) => d.slot === "hero").variant, "oil-gas-hero");
  assert.equal(body.decisions.find((d) => d.slot === "banner").variant, "key-account-banner");
  assert.ok(Array.isArray(body.recommendations));
  assert.equal(res.headers.get("cache-control"), "private, no-store");
  assert.match(res.headers.get("vary"), /Cookie/);

  // request.cf alone: a visitor from CN without a table entry
  const cn = await (await get(mf, "/v1/decide", { ip: "192.0.2.50", headers: { cookie: cookieStable }, cf: { country: "CN" } })).json();
  assert.deepEqual(cn.segments, ["china"]);
  assert.equal(cn.decisions.find((d) => d.slot === "banner").variant, "china-banner");
});

test("GET /v1/decide with a MaxMind DB bound: the database places the address", async () => {
  const mmdb = path.join(here, "..", "tests", "data", "maxmind", "GeoIP2-City-Test.mmdb");
  // As on Cloudflare, where CF-Connecting-IP is the client's address.
  const vars = { NURTURE_KEYS: KEYS, BEHIND_CLOUDFLARE: "true", NURTURE_DEMO: "true" };
  const withDb = new Miniflare(workerOptions({ vars, dataBlobBindings: { MAXMIND_DB: mmdb } }));
  const without = new Miniflare(workerOptions({ vars }));
  try {
    const ask = async (w) => (await w.dispatchFetch("http://worker.test/v1/decide", { headers: { "cf-connecting-ip": "2001:250::1", cookie: cookieStable }, cf: { country: "US" } })).json();
    const a = await ask(withDb);
    assert.deepEqual(a.segments, ["china"], JSON.stringify(a));
    const b = await ask(without);
    assert.deepEqual(b.segments, []);
  } finally {
    await withDb.dispose();
    await without.dispose();
  }
});
