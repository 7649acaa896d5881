// The pass-through to the site (site.js) and the demo origin (origin.mjs)
// against hostile paths. The worker only ever fetches ORIGIN_URL's host: no
// spelling of a path reaches another host (a "bait" server that records
// every request it gets), and the origin sees only the headers that are its
// business. The dev origin serves only files under www/ and pkg/, whatever
// the encoding of the path.
import test, { after, before } from "node:test";
import http from "node:http";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startWorker, startCollector, errorCode } from "./harness.mjs";
import { makeToken } from "./tokens.mjs";
import { startOrigin } from "../origin.mjs";
import { here } from "../miniflare.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const repoRoot = path.join(here, "..");
const BAIT_BODY = "bait-page-served-from-another-host";
const LEAD = { events: [{ type: "track", event: "Lead Qualified" }] };
const PAGE = '<!doctype html><html><head><title>r</title></head><body><div data-nurture-slot="hero"><h1>Plain</h1></div></body></html>';

let bait;
let baitPort;
const baitSeen = [];
let origin;
let recorder;
let recorderUrl;
const recorded = [];
let col;
let mf;
let mfRecorded;
let mfForwardAuth;
let cookie;

/** A server that answers every request with `body` and remembers it. */
async function listen(handler) {
  const server = http.createServer(handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

async function closeServer(server) {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

before(async () => {
  bait = await listen((req, res) => {
    baitSeen.push({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(`<html><head></head><body>${BAIT_BODY}</body></html>`);
  });
  baitPort = bait.address().port;
  // An origin that records the headers of each request, for what the
  // pass-through forwards.
  recorder = await listen((req, res) => {
    recorded.push({ url: req.url, headers: req.headers });
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
  });
  recorderUrl = `http://127.0.0.1:${recorder.address().port}/`;
  origin = await startOrigin({ pkgRoot: path.join(repoRoot, "pkg") });
  col = await startCollector();
  const vars = { COLLECTOR_URL: col.url, IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000" };
  mf = await startWorker({ vars: { ...vars, ORIGIN_URL: origin.url } });
  mfRecorded = await startWorker({ vars: { ...vars, ORIGIN_URL: recorderUrl } });
  mfForwardAuth = await startWorker({ vars: { ...vars, ORIGIN_URL: recorderUrl, FORWARD_AUTHORIZATION: "true" } });
  cookie = `nurture_vid=${makeToken()}; site_session=abc`;
});

after(async () => {
  await mf?.dispose();
  await mfRecorded?.dispose();
  await mfForwardAuth?.dispose();
  await col?.close();
  await origin?.close();
  await closeServer(bait);
  await closeServer(recorder);
});

function send(worker, url, { method = "GET", headers = {} } = {}) {
  return worker.dispatchFetch(url, {
    method,
    headers: {
      "cf-connecting-ip": "203.0.113.91",
      accept: "text/html",
      cookie,
      authorization: "Bearer secret",
      "x-nurture-visitor": "v_should_not_leak",
      ...(method === "POST" ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: method === "POST" ? JSON.stringify(LEAD) : undefined,
  });
}

// ---- the open proxy --------------------------------------------------------

// Dot segments elsewhere in a path (`/a/%2e%2e/x`) are resolved by the URL
// parser before the worker sees them (a plain, on-origin path then), so only
// the spellings that still name another host after parsing are listed.
const offOrigin = (port) => [
  `//127.0.0.1:${port}/x`,
  `/\\127.0.0.1:${port}/x`,
  `///127.0.0.1:${port}/x`,
  `//user:pass@127.0.0.1:${port}/x`,
  `/%2f127.0.0.1:${port}/x`,
  `/%5c127.0.0.1:${port}/x`,
  `/%2F%2F127.0.0.1:${port}/x`,
  `//localhost:${port}/x`,
  `//LocalHost:${port}/x`,
  `/.//127.0.0.1:${port}/x`,
  `/a/..//127.0.0.1:${port}/x`,
  `/%2e%2e/%2f127.0.0.1:${port}`,
  `/%2E%2E/%2F127.0.0.1:${port}`,
  `/%00x`,
  `/%1f/x`,
];

test("no spelling of another host in the path reaches it: 400 invalid_path, nothing fetched, nothing collected", async () => {
  const originBefore = origin.stats.requests;
  for (const p of offOrigin(baitPort)) {
    for (const method of ["GET", "POST"]) {
      const res = await send(mf, `http://worker.test${p}`, { method });
      const text = await res.text();
      const label = `${method} ${p}`;
      assert.ok(res.status >= 400 && res.status < 500, `${label}: ${res.status} ${text}`);
      assert.ok(!text.includes(BAIT_BODY), `${label}: served the bait's page`);
      assert.equal(res.status, 400, `${label}: ${text}`);
      assert.equal(JSON.parse(text).error.code, "invalid_path", label);
    }
  }
  // The queue's batch timeout is 1 s: anything enqueued would be out by now.
  await sleep(1500);
  assert.deepEqual(baitSeen, [], "the bait host got no request");
  assert.equal(origin.stats.requests, originBefore, "refused before the origin is asked");
  assert.equal(col.stats.requests, 0, "nothing reached the collector");
});

test("the same spellings cannot reach another host through the recording origin's worker either", async () => {
  const seenBefore = recorded.length;
  for (const p of offOrigin(baitPort)) {
    const res = await send(mfRecorded, `http://worker.test${p}`);
    assert.deepEqual(await errorCode(res), [400, "invalid_path"], p);
  }
  assert.equal(recorded.length, seenBefore);
  assert.deepEqual(baitSeen, []);
});

// ---- normal pages and forwarded headers ------------------------------------

test("a normal page still comes through, personalized; a query with // or %2F is not a path and passes", async () => {
  for (const p of ["/", "/pricing.html", "/pricing.html?next=//example.org/a%2Fb"]) {
    const res = await send(mf, `http://worker.test${p}`);
    const html = await res.text();
    assert.equal(res.status, 200, `${p}: ${html.slice(0, 200)}`);
    assert.equal(res.headers.get("x-nurture-personalized"), "1", p);
    assert.match(html, /id="nurture-decisions"/, p);
  }
  assert.deepEqual(baitSeen, []);
});

// (Hop-by-hop headers are dropped too, but the client side of dispatchFetch
// never lets a test send Connection, TE or Upgrade, so that is not shown here.)
test("the origin gets the site's own cookies but not the visitor cookie, the visitor header, or Authorization", async () => {
  const from = recorded.length;
  const res = await send(mfRecorded, "http://worker.test/landing?utm_source=x", {
    headers: { "x-nurture-form-token": "ft_should_not_leak", "x-site-header": "kept" },
  });
  const html = await res.text();
  assert.equal(res.status, 200, html);
  assert.equal(res.headers.get("x-nurture-personalized"), "1");
  assert.equal(recorded.length, from + 1);
  const { url, headers } = recorded[from];
  assert.equal(url, "/landing?utm_source=x");
  assert.equal(headers.cookie, "site_session=abc");
  assert.equal(headers.authorization, undefined);
  assert.equal(headers["x-nurture-visitor"], undefined);
  assert.equal(headers["x-nurture-form-token"], undefined);
  assert.equal(headers["x-site-header"], "kept");
  assert.ok(!JSON.stringify(headers).includes("nurture_vid"));

  // A POST passes through with its body, under the same rules.
  const post = await send(mfRecorded, "http://worker.test/contact", { method: "POST" });
  assert.equal(post.status, 200);
  const last = recorded.at(-1);
  assert.equal(last.url, "/contact");
  assert.equal(last.headers.cookie, "site_session=abc");
  assert.equal(last.headers.authorization, undefined);
});

test("with only the visitor cookie, the origin gets no Cookie header at all", async () => {
  const from = recorded.length;
  const res = await send(mfRecorded, "http://worker.test/only-visitor", { headers: { cookie: `nurture_vid=${makeToken()}` } });
  assert.equal(res.status, 200);
  await res.text();
  assert.equal(recorded[from].headers.cookie, undefined);
});

test("FORWARD_AUTHORIZATION=true forwards Authorization (and still not the visitor cookie)", async () => {
  const from = recorded.length;
  const res = await send(mfForwardAuth, "http://worker.test/behind-auth");
  assert.equal(res.status, 200);
  await res.text();
  const { headers } = recorded[from];
  assert.equal(headers.authorization, "Bearer secret");
  assert.equal(headers.cookie, "site_session=abc");
  assert.equal(headers["x-nurture-visitor"], undefined);
});

// ---- the dev origin: path traversal ----------------------------------------

/** GET with the path exactly as written (fetch would normalize it). */
function rawGet(baseUrl, rawPath) {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: rawPath, method: "GET" }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("the dev origin serves nothing outside www/ and pkg/, however the path is spelled", async () => {
  const attempts = [
    "/pkg/..%2fworker%2fdev.mjs",
    "/pkg/%2e%2e/worker/dev.mjs",
    "/pkg/..%252fworker%252fdev.mjs",
    "/..%2f.git%2fconfig",
    "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/pkg/..%5cworker%5cdev.mjs",
    "/pkg/%2e%2e%5cworker",
    "/.git/config",
    "/../.git/config",
    "/pkg/../target/collector.jsonl",
    "/pkg/../worker/dev.mjs",
    "/pkg/..\\worker\\dev.mjs",
    "/%00",
    "/index.html%00.js",
    "/%E0%A4%A",
    "/%",
    "/pkg/.%2e/worker/dev.mjs",
    "//etc/passwd",
  ];
  for (const p of attempts) {
    const res = await rawGet(origin.url, p);
    assert.ok([400, 403, 404].includes(res.status), `${p}: ${res.status}`);
    assert.ok(!res.body.includes("dev-only-secret"), `${p} leaked worker/dev.mjs`);
    assert.ok(!res.body.includes("[core]"), `${p} leaked .git/config`);
    assert.ok(!res.body.includes("root:"), `${p} leaked /etc/passwd`);
  }
  // The refusals are the stable ones: encoded separators and dot segments 400.
  assert.equal((await rawGet(origin.url, "/pkg/..%2fworker%2fdev.mjs")).status, 400);
  assert.equal((await rawGet(origin.url, "/%E0%A4%A")).status, 400);
  assert.equal((await rawGet(origin.url, "/.git/config")).status, 404);
});

test("the dev origin still serves its pages and the browser runtime", async () => {
  const index = await rawGet(origin.url, "/");
  assert.equal(index.status, 200);
  assert.match(index.headers["content-type"], /^text\/html/);
  assert.match(index.body, /<html/i);
  const page = await rawGet(origin.url, "/pricing.html");
  assert.equal(page.status, 200);
  if (existsSync(path.join(repoRoot, "pkg", "browser", "nurture.js"))) {
    const runtime = await rawGet(origin.url, "/pkg/browser/nurture.js");
    assert.equal(runtime.status, 200);
    assert.match(runtime.headers["content-type"], /^text\/javascript/);
  }
});

test("a symlink inside the served folder that points outside it is refused (403)", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "nurture-origin-"));
  const site = path.join(dir, "www");
  mkdirSync(site);
  writeFileSync(path.join(dir, "secret.txt"), "dev-only-secret");
  writeFileSync(path.join(site, "index.html"), "<html><body>ok</body></html>");
  symlinkSync(path.join(dir, "secret.txt"), path.join(site, "leak.txt"));
  const own = await startOrigin({ root: site });
  try {
    assert.equal((await rawGet(own.url, "/")).status, 200);
    const res = await rawGet(own.url, "/leak.txt");
    assert.equal(res.status, 403);
    assert.ok(!res.body.includes("dev-only-secret"));
  } finally {
    await own.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
