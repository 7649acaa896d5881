// The edge worker on local workerd (Miniflare), side by side in the same run
// with a no-op worker and a plumbing floor (bench/floor.worker.mjs: the same
// Durable Object round trip, storage write and forward, no scoring):
// requests/s and latency percentiles of POST /v1/events (20-event batches),
// POST /v1/forms/contact and a personalized page (GET / through the worker
// in front of www/), under a small keep-alive load generator (node:http,
// bounded concurrency, 127.0.0.1 only); CPU time per request for events,
// forms, the page and GET /v1/decide (bench/workerd-cpu.mjs says how); the
// cold start of a fresh instance; the bundle size.
// Prints key=value lines (worker.*) for scripts/bench.sh.
// Usage: node bench/worker.bench.mjs (after scripts/build-pkg.sh and
// node worker/build.mjs). BENCH_SECONDS (default 8) per row, BENCH_CONCURRENCY (16),
// BENCH_ROUTES (comma-separated rows among events,forms,page,cpu; default all;
// set, it also skips the cold starts and the bundle), BENCH_CPU_REQUESTS
// (150 per route and worker in the CPU rows), BENCH_CPU_TOP (12: functions
// listed on stderr, by self and by total time, from the events profiles),
// BENCH_BASELINE_DIST (another build's dist/, say main's: measured in the
// same rows right after worker/dist, as baseline_*).
import http from "node:http";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { workerOptions, dist } from "../worker/miniflare.mjs";
import { startOrigin } from "../worker/origin.mjs";
import { makeFormToken } from "../worker/test/tokens.mjs";
import { inspectIsolates, userTarget } from "./inspector.mjs";
import { workerdPids, processCpuNs, nowUs, busyPerWindow } from "./workerd-cpu.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP_SECONDS = 2;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUTES = process.env.BENCH_ROUTES ? new Set(process.env.BENCH_ROUTES.split(",").map((r) => r.trim())) : null;
const wanted = (row) => ROUTES === null || ROUTES.has(row);
const CPU_REQUESTS = Number(process.env.BENCH_CPU_REQUESTS ?? 150);
const CPU_TOP = Number(process.env.BENCH_CPU_TOP ?? 12);
const KEYS = "bench:bench-secret-0123456789abcdef";
const VISITORS = 200;
const out = (k, v) => console.log(`worker.${k}=${v}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The no-op reads the body (as any worker taking a POST must) and answers.
const NOOP = `export default { async fetch(request) { await request.arrayBuffer(); return new Response('{"ok":true}', { headers: { "content-type": "application/json" } }); } };`;
const FLOOR = path.join(path.dirname(fileURLToPath(import.meta.url)), "floor.worker.mjs");

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
  NURTURE_DEMO: "true", // the demo's site config
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

// ---- the three workers ------------------------------------------------------
const noop = new Miniflare({ name: "noop", modules: true, script: NOOP, compatibilityDate: "2025-09-01", host: "127.0.0.1", port: 0 });
/** The floor's options; `scriptName`: its Durable Object class lives in that worker instead. */
const floorOptions = (name, scriptName) => ({
  name,
  modules: true,
  scriptPath: FLOOR,
  compatibilityDate: "2025-09-01",
  bindings: { COLLECTOR_URL: vars.COLLECTOR_URL },
  durableObjects: { FLOOR: { className: "FloorState", useSQLite: true, ...(scriptName ? { scriptName } : {}) } },
});
const floor = new Miniflare({ ...floorOptions("floor"), host: "127.0.0.1", port: 0 });
const worker = new Miniflare(workerOptions({ host: "127.0.0.1", port: 0, vars }));
const BASELINE = process.env.BENCH_BASELINE_DIST ? path.resolve(process.env.BENCH_BASELINE_DIST) : null;
const baseline = BASELINE && new Miniflare({
  ...workerOptions({ host: "127.0.0.1", port: 0, vars }),
  name: "baseline",
  modules: [{ type: "ESModule", path: path.join(BASELINE, "index.js") }, { type: "CompiledWasm", path: path.join(BASELINE, "nurture_bg.wasm") }],
  modulesRoot: BASELINE,
});
const noopUrl = (await noop.ready).href;
const floorUrl = (await floor.ready).href;
const workerUrl = (await worker.ready).href;
const baselineUrl = baseline && (await baseline.ready).href;
/** The baseline's row right after the worker's, and its ratios. */
async function againstBaseline(row, make, ratios) {
  if (!baseline) return;
  const r = await measure(`baseline_${row}`, baselineUrl, make);
  for (const [name, rps] of Object.entries(ratios)) out(`baseline_${row}_vs_${name}`, (r.rps / rps).toFixed(3));
}

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
function decideRequest(i) {
  const v = visitors[i % VISITORS];
  return { method: "GET", path: "/v1/decide?path=%2Fpricing", headers: { cookie: v.cookie, "cf-connecting-ip": v.ip } };
}
const noopEvents = (i) => ({ ...eventsRequest(i) });

out("concurrency", CONCURRENCY);
out("seconds", SECONDS);
if (wanted("events")) {
  const base = await measure("noop_events", noopUrl, noopEvents);
  const fl = await measure("floor_events", floorUrl, eventsRequest);
  const ev = await measure("events", workerUrl, eventsRequest);
  out("events_vs_noop", (ev.rps / base.rps).toFixed(3));
  out("floor_events_vs_noop", (fl.rps / base.rps).toFixed(3));
  out("events_vs_floor", (ev.rps / fl.rps).toFixed(3));
  await againstBaseline("events", eventsRequest, { noop: base.rps, floor: fl.rps });
}
if (wanted("forms")) {
  const noopForm = await measure("noop_forms", noopUrl, formRequest);
  const fl = await measure("floor_forms", floorUrl, formRequest);
  const fm = await measure("forms", workerUrl, formRequest);
  out("forms_vs_noop", (fm.rps / noopForm.rps).toFixed(3));
  out("floor_forms_vs_noop", (fl.rps / noopForm.rps).toFixed(3));
  out("forms_vs_floor", (fm.rps / fl.rps).toFixed(3));
  await againstBaseline("forms", formRequest, { noop: noopForm.rps, floor: fl.rps });
}
if (wanted("page")) {
  const noopPage = await measure("noop_page", noopUrl, pageRequest);
  const pg = await measure("page", workerUrl, pageRequest);
  out("page_vs_noop", (pg.rps / noopPage.rps).toFixed(3));
  await againstBaseline("page", pageRequest, { noop: noopPage.rps });
}
await noop.dispose();
await floor.dispose();
await worker.dispose();
await baseline?.dispose();

// ---- CPU time per request -----------------------------------------------------
// One workerd process for all three workers, each request routed to its
// worker by Miniflare's MF-Route-Override header, one request at a time with
// a pause after each. nurture's and the floor's Durable Object classes live
// in a worker of their own here (as on Cloudflare, where an object is its own
// invocation with its own CPU limit), so each isolate's profile is one side:
// the worker (billed against the 10 ms Free-plan limit, ctx.waitUntil
// included) or the object. Two passes per route: the process's CPU time
// without the profiler, then the isolates' busy time with it.
if (wanted("cpu")) {
  const CPU_GAP_MS = 15;
  const CPU_VISITORS = 20; // each object warm: steady state for an active visitor
  const INTERVAL_US = 100;
  const before = new Set(workerdPids());
  const nurtureOpts = workerOptions({ vars });
  const cpuMf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    inspectorPort: 0,
    workers: [
      { name: "noop", modules: true, script: NOOP, compatibilityDate: "2025-09-01" },
      floorOptions("floor", "floor-do"),
      floorOptions("floor-do"),
      {
        ...nurtureOpts,
        name: "nurture",
        durableObjects: Object.fromEntries(Object.entries(nurtureOpts.durableObjects).map(([k, d]) => [k, { ...d, scriptName: "nurture-do" }])),
      },
      { ...nurtureOpts, name: "nurture-do", queueConsumers: undefined },
    ],
  });
  const cpuUrl = new URL((await cpuMf.ready).href);
  const pid = workerdPids().find((p) => !before.has(p));
  const sessions = await inspectIsolates(cpuMf, (id) => ["nurture", "nurture-do", "floor", "floor-do"].some((n) => id === userTarget(n)));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const send = (name, r) => new Promise((resolve, reject) => {
    const req = http.request({ agent, host: cpuUrl.hostname, port: cpuUrl.port, method: r.method, path: r.path, headers: { ...r.headers, "mf-route-override": name } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", reject);
    req.end(r.body);
  });
  const stats = (xs) => {
    const sorted = xs.slice().sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: xs.reduce((a, b) => a + b, 0) / xs.length };
  };
  /** One request per visitor in turn, CPU_REQUESTS of them; `each(i)` brackets each. */
  async function sequential(name, make, each) {
    let bad = 0;
    for (let i = 0; i < CPU_REQUESTS; i++) {
      const r = make(i % CPU_VISITORS);
      const mark = each?.before();
      const status = await send(name, r);
      await sleep(CPU_GAP_MS);
      each?.after(mark);
      if (status !== 200) bad += 1;
    }
    if (bad) console.error(`# cpu ${name}: ${bad} of ${CPU_REQUESTS} answers not 200`);
  }
  out("cpu_requests", CPU_REQUESTS);
  const rows = [
    ["events", eventsRequest, ["noop", "floor", "nurture"]],
    ["forms", formRequest, ["noop", "floor", "nurture"]],
    ["page", pageRequest, ["noop", "nurture"]],
    ["decide", decideRequest, ["noop", "nurture"]],
  ];
  for (const [route, make, targets] of rows) {
    for (const name of targets) {
      const key = name === "nurture" ? `cpu_${route}` : `cpu_${name}_${route}`;
      // warm: each visitor's object exists and the code is compiled
      for (let i = 0; i < 2 * CPU_VISITORS; i++) await send(name, make(i % CPU_VISITORS));
      // pass 1: the process's CPU time, and the wall time at concurrency 1
      const cpu = [];
      const wall = [];
      await sequential(name, make, {
        before: () => [processCpuNs(pid), performance.now()],
        after: ([c0, t0]) => {
          cpu.push((processCpuNs(pid) - c0) / 1e6);
          wall.push(performance.now() - t0 - CPU_GAP_MS);
        },
      });
      const c = stats(cpu);
      out(`${key}_process_p50_ms`, c.p50.toFixed(2));
      out(`${key}_process_p99_ms`, c.p99.toFixed(2));
      out(`${key}_process_mean_ms`, c.mean.toFixed(2));
      out(`${key}_wall_p50_ms`, stats(wall).p50.toFixed(2));
      if (name === "noop") continue;
      // pass 2: each isolate's busy time from its CPU profile
      const sides = [[name, "worker"], [`${name}-do`, "do"]].map(([iso, side]) => ({ side, s: sessions.get(userTarget(iso)) }));
      for (const { s } of sides) {
        await s.send("Profiler.enable");
        await s.send("Profiler.setSamplingInterval", { interval: INTERVAL_US });
        await s.send("Profiler.start");
      }
      const windows = [];
      await sequential(name, make, { before: () => nowUs(), after: (t0) => windows.push([t0, nowUs()]) });
      for (const { side, s } of sides) {
        const { profile } = await s.send("Profiler.stop");
        const { busy, self, total } = busyPerWindow(profile, windows, INTERVAL_US);
        const b = stats(busy);
        out(`${key}_${side}_p50_ms`, b.p50.toFixed(2));
        out(`${key}_${side}_p99_ms`, b.p99.toFixed(2));
        out(`${key}_${side}_mean_ms`, b.mean.toFixed(2));
        if (route === "events" || route === "forms" || route === "page") {
          // where the time goes, to stderr: by function, self and total
          const all = busy.reduce((a, x) => a + x, 0);
          const wasm = [...self.entries()].filter(([k]) => k.endsWith(" wasm")).reduce((a, [, x]) => a + x, 0);
          console.error(`# ${name} ${side}, ${route}: ${(all / windows.length).toFixed(2)} ms a request, ${((100 * wasm) / all).toFixed(0)} % in wasm`);
          for (const [label, by] of [["self", self], ["total", total]]) {
            console.error(`#  by ${label} time:`);
            for (const [k, x] of [...by.entries()].sort((a, z) => z[1] - a[1]).slice(0, CPU_TOP)) {
              console.error(`#   ${((100 * x) / all).toFixed(1).padStart(5)} %  ${k}`);
            }
          }
        }
      }
    }
  }
  agent.destroy();
  for (const s of sessions.values()) s.close();
  await cpuMf.dispose();
}

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
