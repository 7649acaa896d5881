// The edge worker on local workerd (Miniflare), side by side with a no-op
// worker in the same run: requests/s and latency percentiles of
// POST /v1/events (20-event batches), POST /v1/forms/contact and a
// personalized page (GET / through the worker in front of www/), under a
// small keep-alive load generator (node:http, bounded concurrency,
// 127.0.0.1 only); the cold start of a fresh instance; the bundle size.
// Prints key=value lines (worker.*) for scripts/bench.sh.
// Usage: node bench/worker.bench.mjs (after scripts/build-pkg.sh and
// node worker/build.mjs). BENCH_SECONDS (default 8) per row, BENCH_CONCURRENCY (16),
// BENCH_ROUTES (comma-separated rows among events,forms,page; default all;
// set, it also skips the cold starts and the bundle).
import http from "node:http";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { workerOptions, dist } from "../worker/miniflare.mjs";
import { startOrigin } from "../worker/origin.mjs";
import { makeFormToken } from "../worker/test/tokens.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP_SECONDS = 2;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUTES = process.env.BENCH_ROUTES ? new Set(process.env.BENCH_ROUTES.split(",").map((r) => r.trim())) : null;
const wanted = (row) => ROUTES === null || ROUTES.has(row);
const KEYS = "bench:bench-secret-0123456789abcdef";
const VISITORS = 200;
const out = (k, v) => console.log(`worker.${k}=${v}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The no-op reads the body (as any worker taking a POST must) and answers.
const NOOP = `export default { async fetch(request) { await request.arrayBuffer(); return new Response('{"ok":true}', { headers: { "content-type": "application/json" } }); } };`;

// A collector that takes everything and says 200 (forwarding is part of the
// work of /v1/events: one batch request per event batch, in waitUntil).
const sink = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'));
});
sink.keepAliveTimeout = 10_000;
await new Promise((r) => sink.listen(0, "127.0.0.1", r));
const origin = await startOrigin();

const vars = {
  NURTURE_KEYS: KEYS,
  COLLECTOR_URL: `http://127.0.0.1:${sink.address().port}/collect`,
  ORIGIN_URL: origin.url,
  BEHIND_CLOUDFLARE: "true",
  IP_RATE_BURST: "100000000",
  IP_RATE_PER_SECOND: "100000000",
  VISITOR_RATE_BURST: "100000000",
  VISITOR_RATE_PER_SECOND: "100000000",
};

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Runs `CONCURRENCY` loops for `seconds`, each sending `make(i)` → {method,
 * path, headers, body} over one keep-alive agent. Returns rps and latency
 * percentiles (ms) of the responses with the expected status.
 */
async function load(base, make, { seconds = SECONDS, expect = 200, record = true } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const url = new URL(base);
  const lat = [];
  let ok = 0;
  let bad = 0;
  let firstBad = null;
  let seq = 0;
  const end = Date.now() + seconds * 1000;
  const one = (r) => new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ agent, host: url.hostname, port: url.port, method: r.method, path: r.path, headers: r.headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (res.statusCode === expect) {
          ok += 1;
          lat.push(ms);
        } else {
          bad += 1;
          firstBad ??= `${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`;
        }
        resolve();
      });
    });
    req.on("error", (e) => {
      bad += 1;
      firstBad ??= e.message;
      resolve();
    });
    if (r.body !== undefined) req.end(r.body);
    else req.end();
  });
  const t0 = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) await one(make(seq++));
  }));
  const elapsed = (Date.now() - t0) / 1000;
  agent.destroy();
  if (!record) return null;
  if (bad > 0) console.error(`# ${bad} unexpected responses, first: ${firstBad}`);
  lat.sort((a, b) => a - b);
  return { rps: ok / elapsed, p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99), errors: bad };
}

function report(name, r) {
  out(`${name}_rps`, Math.round(r.rps));
  out(`${name}_p50_ms`, r.p50.toFixed(2));
  out(`${name}_p95_ms`, r.p95.toFixed(2));
  out(`${name}_p99_ms`, r.p99.toFixed(2));
  out(`${name}_errors`, r.errors);
}

async function measure(name, base, make, opts) {
  await load(base, make, { ...opts, seconds: WARMUP_SECONDS, record: false });
  const r = await load(base, make, opts);
  report(name, r);
  return r;
}

// ---- the two workers --------------------------------------------------------
const noop = new Miniflare({ name: "noop", modules: true, script: NOOP, compatibilityDate: "2025-09-01", host: "127.0.0.1", port: 0 });
const worker = new Miniflare(workerOptions({ host: "127.0.0.1", port: 0, vars }));
const noopUrl = (await noop.ready).href;
const workerUrl = (await worker.ready).href;

// visitors: tokens minted by the worker itself (GET /v1/forms/contact), with
// a form token each for the forms row
const visitors = [];
for (let i = 0; i < VISITORS; i++) {
  const res = await worker.dispatchFetch("http://worker.test/v1/forms/contact", { headers: { "cf-connecting-ip": `203.0.113.${i % 250}` } });
  const body = await res.json();
  const token = res.headers.get("x-nurture-visitor");
  visitors.push({ cookie: `nurture_vid=${token}`, visitorId: token.split(".")[2], asked: JSON.parse(Buffer.from(body.token.split(".")[2], "base64url")).a, ip: i % 2 ? `203.0.113.${i % 250}` : `192.0.2.${i % 250}` });
}
await sleep(2100); // the contact form's minimum fill time

let msg = 0;
const now = Date.now();
function eventsRequest(i) {
  const v = visitors[i % VISITORS];
  const events = [];
  for (let k = 0; k < 20; k++) {
    msg += 1;
    events.push(k % 4 === 3
      ? { type: "track", event: "Whitepaper Downloaded", messageId: `b${msg}`, timestamp: now, properties: { path: "/resources/white-paper" } }
      : { type: "page", messageId: `b${msg}`, timestamp: now, properties: { path: ["/pricing", "/industries/oil-gas", "/case-studies/refinery"][k % 3], dwellSeconds: 40 } });
  }
  const body = JSON.stringify({ events, consent: true });
  return { method: "POST", path: "/v1/events", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), cookie: v.cookie, "cf-connecting-ip": v.ip }, body };
}
function formRequest(i) {
  const v = visitors[i % VISITORS];
  // A form token is good for one accepted post: each request brings a new
  // one, signed here as the worker signs them (the GET would double the
  // requests measured).
  const formToken = makeFormToken({ kid: "bench", secret: KEYS.split(":")[1], visitorId: v.visitorId, asked: v.asked, t: Date.now() - 10_000 });
  const body = JSON.stringify({ token: formToken, fields: { email: "li.wei@petrochina.com.cn", company: "PetroChina", title: "VP of Operations", industry: "Oil & gas" } });
  return { method: "POST", path: "/v1/forms/contact", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), cookie: v.cookie, "cf-connecting-ip": v.ip }, body };
}
function pageRequest(i) {
  const v = visitors[i % VISITORS];
  return { method: "GET", path: "/", headers: { accept: "text/html", cookie: v.cookie, "cf-connecting-ip": v.ip } };
}
const noopEvents = (i) => ({ ...eventsRequest(i) });

out("concurrency", CONCURRENCY);
out("seconds", SECONDS);
if (wanted("events")) {
  const base = await measure("noop_events", noopUrl, noopEvents);
  const ev = await measure("events", workerUrl, eventsRequest);
  out("events_vs_noop", (ev.rps / base.rps).toFixed(3));
}
if (wanted("forms")) {
  const noopForm = await measure("noop_forms", noopUrl, formRequest);
  const fm = await measure("forms", workerUrl, formRequest);
  out("forms_vs_noop", (fm.rps / noopForm.rps).toFixed(3));
}
if (wanted("page")) {
  const noopPage = await measure("noop_page", noopUrl, pageRequest);
  const pg = await measure("page", workerUrl, pageRequest);
  out("page_vs_noop", (pg.rps / noopPage.rps).toFixed(3));
}
await noop.dispose();
await worker.dispose();
if (ROUTES !== null) {
  await origin.close();
  sink.closeAllConnections();
  sink.close();
  process.exit(0);
}

// ---- cold start -------------------------------------------------------------
// A fresh Miniflare instance each time (a new workerd process, a new isolate):
// `ready` is the runtime up with the module loaded; the first request pays
// for instantiating the wasm core and compiling the model (health), the
// first page also for the site config and the CIDR table.
async function cold(options, pathName) {
  const t0 = performance.now();
  const mf = new Miniflare(options);
  await mf.ready;
  const tReady = performance.now();
  const r1 = await mf.dispatchFetch(`http://worker.test${pathName}`, { headers: { "cf-connecting-ip": "203.0.113.10", accept: "text/html" } });
  await r1.arrayBuffer();
  const tFirst = performance.now();
  const r2 = await mf.dispatchFetch(`http://worker.test${pathName}`, { headers: { "cf-connecting-ip": "203.0.113.10", accept: "text/html" } });
  await r2.arrayBuffer();
  const tSecond = performance.now();
  await mf.dispose();
  return { ready: tReady - t0, first: tFirst - tReady, total: tFirst - t0, second: tSecond - tFirst };
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs = { noop: [], health: [], page: [] };
for (let i = 0; i < 3; i++) {
  runs.noop.push(await cold({ name: "noop", modules: true, script: NOOP, compatibilityDate: "2025-09-01" }, "/"));
  runs.health.push(await cold(workerOptions({ vars }), "/v1/health"));
  runs.page.push(await cold(workerOptions({ vars }), "/"));
}
for (const [name, rs] of Object.entries(runs)) {
  for (const k of ["ready", "first", "total", "second"]) out(`cold_${name}_${k}_ms`, median(rs.map((r) => r[k])).toFixed(1));
}

// ---- bundle -----------------------------------------------------------------
let raw = 0;
let gz = 0;
for (const f of readdirSync(dist)) {
  const bytes = readFileSync(path.join(dist, f));
  const g = gzipSync(bytes, { level: 9 }).length;
  out(`bundle_${f.replace(/[^A-Za-z0-9]/g, "_")}_bytes`, statSync(path.join(dist, f)).size);
  out(`bundle_${f.replace(/[^A-Za-z0-9]/g, "_")}_gzip`, g);
  raw += bytes.length;
  gz += g;
}
out("bundle_total_bytes", raw);
out("bundle_total_gzip", gz);

await origin.close();
sink.closeAllConnections();
sink.close();
