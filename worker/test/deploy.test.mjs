// What a deployed worker does with its configuration: production (no
// NURTURE_DEMO) without a site config refuses every request, /v1/health
// included, and never serves the demo's templates; a malformed variable is
// refused with its name and value; documents read from the KV namespace
// NURTURE_CONFIG are what /v1/health versions and /v1/config serves.
import test, { after, before } from "node:test";
import http from "node:http";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Miniflare } from "miniflare";
import { workerOptions } from "../miniflare.mjs";
import { SITE_CONFIG_JSON, KEYS, ADMIN_TOKEN, ORIGIN, post, ok, errorCode } from "./harness.mjs";

const DEMO_SITE = readFileSync(new URL("../../demo/site-config.json", import.meta.url), "utf8");
// A hero variant of the demo's that must never reach a production page.
const DEMO_HERO = JSON.parse(DEMO_SITE).slots.flatMap((s) => s.variants ?? []).find((v) => typeof v.content === "string" && v.content.includes("Forgewell")).content;
const PAGE = '<!doctype html><html><head><title>t</title></head><body><div data-nurture-slot="hero"><h1>Our own hero</h1></div></body></html>';

let origin;
let originUrl;
let originHits = 0;
before(async () => {
  origin = http.createServer((req, res) => {
    originHits += 1;
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
  });
  await new Promise((resolve) => origin.listen(0, "127.0.0.1", resolve));
  originUrl = `http://127.0.0.1:${origin.address().port}/`;
});
after(() => new Promise((resolve) => origin.close(resolve)));

/** A production worker: only the vars given (no NURTURE_DEMO), optionally KV documents. */
async function production(vars, kv = null) {
  const mf = new Miniflare(workerOptions({ vars, kvNamespaces: kv ? ["NURTURE_CONFIG"] : [] }));
  await mf.ready;
  if (kv) {
    const ns = await mf.getKVNamespace("NURTURE_CONFIG");
    for (const [key, value] of Object.entries(kv)) await ns.put(key, value);
  }
  return mf;
}

const get = (mf, path, headers = {}) => mf.dispatchFetch(`http://worker.test${path}`, { headers: { "cf-connecting-ip": "203.0.113.7", ...headers } });

/** The version the worker reports: SHA-256 over the four documents' texts, as worker/README.md states it. */
function versionOf({ site = "", model = "", forms = "", accounts = "" }) {
  const text = [["site", site], ["model", model], ["forms", forms], ["accounts", accounts]].map(([k, t]) => `${k}\u0000${t.trim()}`).join("\u0000");
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

test("production without a site config: every request is 503 config_missing, health says so, no demo template is served", async () => {
  const mf = await production({ NURTURE_KEYS: KEYS, ADMIN_TOKEN, ORIGIN_URL: originUrl, BEHIND_CLOUDFLARE: "true" });
  try {
    const health = await get(mf, "/v1/health");
    assert.equal(health.status, 503);
    const h = await health.json();
    assert.equal(h.ok, false);
    assert.equal(h.error.code, "config_missing");
    assert.match(h.error.message, /NURTURE_CONFIG/);
    assert.match(h.error.message, /SITE_CONFIG_JSON/);
    assert.deepEqual(h.error.details.missing, ["the site config"]);
    const hits = originHits;
    const page = await get(mf, "/", { "cf-connecting-ip": "203.0.113.10" }); // a named account of the demo's
    const body = await page.text();
    assert.equal(page.status, 503, body);
    assert.equal(JSON.parse(body).error.code, "config_missing");
    assert.equal(originHits, hits, "the origin is not even asked");
    assert.ok(!body.includes("Forgewell") && !body.includes(DEMO_HERO));
    for (const [path, method] of [["/v1/decide?path=/", "GET"], ["/v1/config", "GET"], ["/v1/forms/contact", "GET"], ["/v1/events", "POST"]]) {
      const res = method === "GET" ? await get(mf, path) : await post(mf, { events: [{ type: "page", properties: { path: "/" } }] }, { path });
      assert.deepEqual(await errorCode(res), [503, "config_missing"], path);
    }
  } finally {
    await mf.dispose();
  }
});

test("production without NURTURE_KEYS: config_missing names it", async () => {
  const mf = await production({ SITE_CONFIG_JSON });
  try {
    const h = await (await get(mf, "/v1/health")).json();
    assert.equal(h.error.code, "config_missing");
    assert.deepEqual(h.error.details.missing, ["NURTURE_KEYS"]);
    assert.match(h.error.message, /npx nurture keygen/);
  } finally {
    await mf.dispose();
  }
});

test("malformed variables: every request is 500 invalid_variable naming each one and its value", async () => {
  const mf = await production({
    NURTURE_KEYS: KEYS, SITE_CONFIG_JSON,
    MAX_EVENTS: "lots", CONSENT_REQUIRED: "maybe", RETENTION_DAYS: "-3", MAX_BODY_BYTES: "64k", ORIGIN_URL: "origin.example.com", ALLOWED_ORIGINS: "https://www.example.com/shop",
  });
  try {
    const health = await get(mf, "/v1/health");
    assert.equal(health.status, 500);
    const h = await health.json();
    assert.equal(h.ok, false);
    assert.equal(h.error.code, "invalid_variable");
    const byName = (a, b) => a[0].localeCompare(b[0]);
    assert.deepEqual(h.error.details.variables.map((v) => [v.name, v.value]).sort(byName), [
      ["ALLOWED_ORIGINS", "https://www.example.com/shop"],
      ["CONSENT_REQUIRED", "maybe"],
      ["MAX_BODY_BYTES", "64k"],
      ["MAX_EVENTS", "lots"],
      ["ORIGIN_URL", "origin.example.com"],
      ["RETENTION_DAYS", "-3"],
    ]);
    for (const part of ['MAX_EVENTS = "lots"', 'CONSENT_REQUIRED = "maybe" (not true or false)', 'RETENTION_DAYS = "-3"']) assert.ok(h.error.message.includes(part), h.error.message);
    const res = await post(mf, { events: [{ type: "page", properties: { path: "/" } }] });
    const body = await res.json();
    assert.equal(res.status, 500);
    assert.equal(body.error.code, "invalid_variable");
    assert.match(body.error.message, /MAX_EVENTS = "lots"/);
  } finally {
    await mf.dispose();
  }
});

test("one malformed variable at a time, each named: numbers, booleans, the demo switch itself", async () => {
  for (const [name, value] of [["MAX_EVENTS", "1.5"], ["HASH_EMAIL", "yes please"], ["NURTURE_DEMO", "sure"], ["VISITOR_RATE_PER_SECOND", "fast"], ["HASH_FIELDS", "[\"phone\""]]) {
    const mf = await production({ NURTURE_KEYS: KEYS, SITE_CONFIG_JSON, [name]: value });
    try {
      const h = await (await get(mf, "/v1/health")).json();
      assert.equal(h.error?.code, "invalid_variable", `${name}=${value}: ${JSON.stringify(h)}`);
      assert.deepEqual(h.error.details.variables.map((v) => v.name), [name]);
      assert.ok(h.error.message.includes(`${name} = ${JSON.stringify(value)}`), h.error.message);
    } finally {
      await mf.dispose();
    }
  }
});

test("malformed NURTURE_KEYS is refused at start-up, on /v1/health too", async () => {
  const mf = await production({ NURTURE_KEYS: "k1:too-short", SITE_CONFIG_JSON });
  try {
    const h = await (await get(mf, "/v1/health")).json();
    assert.deepEqual([h.ok, h.error.code], [false, "server_misconfigured"]);
    assert.match(h.error.message, /NURTURE_KEYS/);
  } finally {
    await mf.dispose();
  }
});

test("documents from KV: /v1/health reports their version, /v1/config serves them, events and decisions use them, no demo forms", async () => {
  const docs = { site: SITE_CONFIG_JSON, accounts: "# none\n" };
  const mf = await production({ NURTURE_KEYS: KEYS, ADMIN_TOKEN, ALLOWED_ORIGINS: ORIGIN, ORIGIN_URL: originUrl, BEHIND_CLOUDFLARE: "true" }, docs);
  try {
    const h = await ok(await get(mf, "/v1/health"));
    assert.equal(h.ok, true);
    assert.deepEqual(h.config, { version: versionOf(docs), source: "kv" });

    const res = await get(mf, "/v1/config", { origin: ORIGIN });
    const c = await ok(res);
    assert.deepEqual(Object.keys(c), ["version", "site", "model"]);
    assert.equal(c.version, h.config.version);
    assert.deepEqual(c.site, JSON.parse(SITE_CONFIG_JSON));
    assert.equal(c.model, null, "no model document: the built-in model, as the page's");
    assert.equal(res.headers.get("etag"), `"${c.version}"`);
    assert.match(res.headers.get("cache-control"), /max-age=\d+/);
    assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
    const again = await get(mf, "/v1/config", { "if-none-match": `"${c.version}"` });
    assert.equal(again.status, 304);
    assert.deepEqual(await errorCode(await get(mf, "/v1/config", { origin: "https://evil.example" })), [403, "origin_not_allowed"]);

    const batch = await ok(await post(mf, { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/pricing" } }] }));
    assert.equal(batch.accepted.length, 1);
    const page = await get(mf, "/");
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /id="nurture-decisions"/);
    assert.ok(!html.includes("Forgewell"));
    // Production takes no form from the demo: none is configured here.
    assert.deepEqual(await errorCode(await get(mf, "/v1/forms/contact")), [404, "unknown_form"]);
    // Read once per isolate: a later change in KV is seen by new isolates
    // (a redeploy), not halfway through this one's life.
    await (await mf.getKVNamespace("NURTURE_CONFIG")).put("site", JSON.stringify({ slots: [] }));
    assert.equal((await ok(await get(mf, "/v1/health"))).config.version, h.config.version);
  } finally {
    await mf.dispose();
  }
});

test("a model document in KV is served to pages and scores at the edge", async () => {
  // The built-in model, from the package, with a page view worth 37 more:
  // the page gets exactly this document and the edge scores with it.
  const { defaultModel } = await import("../../pkg/node.js");
  const model = defaultModel();
  const rule = model.engagement.rules.find((r) => r.event === "page" && r.minDwellSeconds === undefined);
  rule.points += 37;
  const docs = { site: SITE_CONFIG_JSON, model: JSON.stringify(model) };
  const custom = await production({ NURTURE_KEYS: KEYS }, docs);
  const builtIn = await production({ NURTURE_KEYS: KEYS }, { site: SITE_CONFIG_JSON });
  try {
    const c = await ok(await get(custom, "/v1/config"));
    assert.deepEqual(c.model, model);
    assert.equal(c.version, versionOf(docs));
    assert.equal((await ok(await get(custom, "/v1/health"))).config.version, c.version);
    const view = { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/pricing" } }] };
    const [a, b] = [await ok(await post(custom, view)), await ok(await post(builtIn, view))];
    // (the pricing page weighs the view: the difference is 37 times its weight)
    const diff = a.score.engagement - b.score.engagement;
    assert.ok(diff >= 37 && diff % 37 === 0, `${JSON.stringify(a.score)} vs ${JSON.stringify(b.score)}`);
  } finally {
    await custom.dispose();
    await builtIn.dispose();
  }
});

test("a document given in KV and as a variable is refused, naming both", async () => {
  const mf = await production({ NURTURE_KEYS: KEYS, SITE_CONFIG_JSON }, { site: SITE_CONFIG_JSON });
  try {
    const h = await (await get(mf, "/v1/health")).json();
    assert.equal(h.error.code, "invalid_variable");
    assert.match(h.error.message, /NURTURE_CONFIG key "site" and SITE_CONFIG_JSON/);
  } finally {
    await mf.dispose();
  }
});

test("a small config as variables still works in production, reported as such", async () => {
  const mf = await production({ NURTURE_KEYS: KEYS, SITE_CONFIG_JSON });
  try {
    const h = await ok(await get(mf, "/v1/health"));
    assert.deepEqual(h.config, { version: versionOf({ site: SITE_CONFIG_JSON }), source: "vars" });
  } finally {
    await mf.dispose();
  }
});

test("the demo only with NURTURE_DEMO: its site config and forms", async () => {
  const mf = await production({ NURTURE_KEYS: KEYS, NURTURE_DEMO: "true" });
  try {
    const h = await ok(await get(mf, "/v1/health"));
    assert.equal(h.config.source, "demo");
    const c = await ok(await get(mf, "/v1/config"));
    assert.deepEqual(c.site, JSON.parse(DEMO_SITE));
    assert.equal((await get(mf, "/v1/forms/contact")).status, 200);
  } finally {
    await mf.dispose();
  }
});
