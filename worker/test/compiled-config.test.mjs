// The compiled config at the edge: GET /v1/config serves the worker's
// documents compiled (src/compiled/) with `?format=compiled` or
// `Accept: application/vnd.nurture.compiled`, revalidated by an ETag of its
// own; with EMBED_CONFIG a personalized page carries the same bytes as
// base64 (`#nurture-config`), which the page's runtime reads without a
// request. The bytes are checked with the package's own reader.
import test, { after, before } from "node:test";
import http from "node:http";
import assert from "node:assert/strict";
import { ORIGIN, startWorker } from "./harness.mjs";

const { inspectCompiled, compileConfig } = await import("../../pkg/node.js");
const TYPE = "application/vnd.nurture.compiled";
const PAGE = '<!doctype html><html><head><title>t</title></head><body><div data-nurture-slot="hero"><h1>Our own hero</h1></div></body></html>';

let origin;
let originUrl;
before(async () => {
  origin = http.createServer((req, res) => res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE));
  await new Promise((resolve) => origin.listen(0, "127.0.0.1", resolve));
  originUrl = `http://127.0.0.1:${origin.address().port}/`;
});
after(() => new Promise((resolve) => origin.close(resolve)));

const worker = (vars) => startWorker({ vars: { ORIGIN_URL: originUrl, ...vars } });

const get = (mf, path, headers = {}) => mf.dispatchFetch(`http://worker.test${path}`, { headers: { "cf-connecting-ip": "203.0.113.7", ...headers } });

test("GET /v1/config?format=compiled: the same documents, compiled, with their version and an ETag of their own", async () => {
  const mf = await worker({});
  try {
    const json = await (await get(mf, "/v1/config")).json();
    const res = await get(mf, "/v1/config?format=compiled", { origin: ORIGIN });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), TYPE);
    assert.equal(res.headers.get("etag"), `"${json.version}.nrc"`);
    assert.match(res.headers.get("vary"), /Accept/);
    assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual(inspectCompiled(bytes), { formatVersion: 2, kind: "edge", version: json.version, site: true, model: false });
    // Exactly what compiling the served JSON document gives.
    assert.deepEqual(bytes, compileConfig(json, "edge"));
    // Asked for by media type instead of the query.
    const byAccept = await get(mf, "/v1/config", { accept: TYPE });
    assert.equal(byAccept.headers.get("content-type"), TYPE);
    assert.deepEqual(new Uint8Array(await byAccept.arrayBuffer()), bytes);
    // Revalidated by its own ETag; the JSON's does not match it.
    assert.equal((await get(mf, "/v1/config?format=compiled", { "if-none-match": `"${json.version}.nrc"` })).status, 304);
    assert.equal((await get(mf, "/v1/config?format=compiled", { "if-none-match": `"${json.version}"` })).status, 200);
  } finally {
    await mf.dispose();
  }
});

test("EMBED_CONFIG: a personalized page carries the compiled config as base64; without it, not", async () => {
  const embedding = await worker({ EMBED_CONFIG: "true" });
  const plain = await worker({});
  try {
    const compiled = new Uint8Array(await (await get(embedding, "/v1/config?format=compiled")).arrayBuffer());
    const html = await (await get(embedding, "/", { accept: "text/html" })).text();
    const m = html.match(/<script type="application\/vnd\.nurture\.compiled" id="nurture-config">([A-Za-z0-9+/=]+)<\/script>/);
    assert.ok(m, html);
    assert.deepEqual(new Uint8Array(Buffer.from(m[1], "base64")), compiled);
    assert.ok(html.indexOf('id="nurture-decisions"') < html.indexOf('id="nurture-config"'));
    const without = await (await get(plain, "/", { accept: "text/html" })).text();
    assert.match(without, /id="nurture-decisions"/);
    assert.ok(!without.includes("nurture-config"));
  } finally {
    await embedding.dispose();
    await plain.dispose();
  }
});
