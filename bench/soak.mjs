// Load and soak of the built edge worker (worker/dist) on local workerd
// (Miniflare): a sustained mixed load of visitor sessions (personalized
// pages, decisions, event batches as JSON and as sendBeacon text/plain,
// progressive contact forms with a share of invalid posts) in two phases,
// (a) a healthy collector and (b) a collector that fails part of the time
// (503s, hangs past the forward timeout, dropped connections) and then heals.
// After each phase the queue retries and dead-letter replays drain, and every
// event and lifecycle signal the worker accepted must have reached the
// collector exactly once after deduplication by message id. Memory is
// sampled throughout: through workerd's V8 inspector, the worker isolate's
// JS heap after a forced full GC (the Durable Objects run in that same
// isolate) and, through GET /v1/health, the wasm core's linear memory; and
// the RSS of the workerd process, reported next to a no-op worker's.
//
// Usage: node bench/soak.mjs (after scripts/build-pkg.sh and node
// worker/build.mjs). SOAK_SECONDS per phase (default 300), SOAK_CONCURRENCY
// (16), SOAK_HEAP_SAMPLE_SECONDS (15), SOAK_TABLES (a file to write the
// markdown tables to, for scripts/soak.sh). Prints key=value lines (soak.*)
// and exits non-zero on any unexpected response, any lost or unexpected
// delivery, or the worker's memory not levelling off (see memoryVerdict).
// `runSoak()` is also what worker/test/soak.test.mjs runs, shorter.
import http from "node:http";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { workerOptions } from "../worker/miniflare.mjs";
import { startOrigin } from "../worker/origin.mjs";
import { startCollector, rng } from "../worker/test/harness.mjs";
import { inspectIsolates, userTarget } from "./inspector.mjs";

const KEYS = "soak:soak-secret-0123456789abcdef";
const ADMIN_TOKEN = "soak-admin-token";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- workerd's memory -------------------------------------------------------

function procStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const ppid = Number(text.slice(close + 2).split(" ")[1]);
    return { pid, comm, ppid };
  } catch {
    return null; // gone meanwhile
  }
}

/** The workerd processes in the tree under this Node process. */
export function workerdPids(root = process.pid) {
  const all = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).map(procStat).filter(Boolean);
  const children = new Map();
  for (const p of all) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p);
  }
  const out = [];
  const stack = [root];
  while (stack.length) {
    for (const c of children.get(stack.pop()) ?? []) {
      if (c.comm === "workerd") out.push(c.pid);
      stack.push(c.pid);
    }
  }
  return out;
}

function rssMiB(pids) {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) kb += Number(m[1]);
    } catch {
      // the process ended
    }
  }
  return kb / 1024;
}

/** Least-squares slope of [{t (ms), mib}] in MiB per minute. */
export function slopePerMinute(samples) {
  if (samples.length < 3) return 0;
  const n = samples.length;
  const mx = samples.reduce((a, s) => a + s.t, 0) / n;
  const my = samples.reduce((a, s) => a + s.mib, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - mx) * (s.mib - my);
    den += (s.t - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

/**
 * Whether a memory series levelled off: `samples` [{t (ms), mib}], judged
 * after `warmupMs`. The least-squares slope over the second half of what
 * is left, times that half's length, is the growth the series still shows
 * once warm; it must stay under `allowMiB`, and the highest sample under
 * `ceilingMiB`. A steady leak of n bytes per request shows as growth of n ×
 * the half's requests, however noisy the series is around its trend.
 */
export function plateau(samples, { warmupMs = 0, allowMiB, ceilingMiB = Infinity }) {
  const warm = samples.filter((s) => s.t >= warmupMs);
  const out = { samples: warm.length, start: warm[0]?.mib ?? NaN, mid: NaN, end: warm[warm.length - 1]?.mib ?? NaN, max: Math.max(...samples.map((s) => s.mib)), slope: NaN, growth: NaN, minutes: 0, allowMiB, ceilingMiB, ok: false, why: "" };
  if (warm.length < 6) {
    out.why = `only ${warm.length} samples after warm-up`;
    return out;
  }
  const from = warm[0].t + (warm[warm.length - 1].t - warm[0].t) / 2;
  const half = warm.filter((s) => s.t >= from);
  out.mid = half[0].mib;
  out.minutes = (half[half.length - 1].t - half[0].t) / 60_000;
  out.slope = slopePerMinute(half);
  out.growth = out.slope * out.minutes;
  if (out.max > ceilingMiB) out.why = `peaked at ${out.max.toFixed(2)} MiB, over the ${ceilingMiB} MiB ceiling`;
  else if (out.growth > allowMiB) out.why = `still growing: ${out.growth.toFixed(2)} MiB over the last ${out.minutes.toFixed(1)} min (${out.slope.toFixed(2)} MiB/min), over ${allowMiB} MiB allowed`;
  out.ok = out.why === "";
  return out;
}

/**
 * Samples an isolate's memory every `everyMs` until stopped: the JS heap
 * after a forced full GC (inspector), the wasm core's linear memory (from
 * `stats()`, which also makes the isolate run the GC task when idle) and the
 * process RSS at the same moment. The `others` (workerd's other isolates:
 * Miniflare's entry worker that proxies every request, its queue broker,
 * ...) get a full GC too, answered whenever they next run, and their heaps
 * are summed: V8 leaves garbage, and the C++ objects its wrappers own, in
 * every isolate until it collects, and all of it is in the RSS.
 */
function heapSampler({ session, stats, pids, t0, everyMs, others = new Map() }) {
  const samples = [];
  let stopped = false;
  let wake = null;
  let wakeUp = () => {};
  const errors = [];
  const loop = (async () => {
    while (!stopped) {
      try {
        let core = null;
        const h = await session.heapAfterGc(async () => {
          core = await stats();
        });
        let othersUsed = 0;
        for (const o of others.values()) {
          // One GC at a time per isolate: an idle one answers only when it next runs.
          o.gcPending ??= o.send("HeapProfiler.collectGarbage", {}, 120_000).catch(() => {}).finally(() => {
            o.gcPending = null;
          });
          othersUsed += (await o.heapUsage()).usedSize;
        }
        samples.push({
          t: Date.now() - t0, heapMiB: h.usedSize / 1048576, heapTotalMiB: h.totalSize / 1048576,
          wasmMiB: core ? core.wasmMemoryBytes / 1048576 : NaN, rssMiB: rssMiB(pids), othersMiB: othersUsed / 1048576,
        });
      } catch (err) {
        if (!stopped && errors.length < 5) errors.push(err.message);
      }
      if (!stopped) {
        await new Promise((r) => {
          wakeUp = r;
          wake = setTimeout(r, everyMs);
        });
      }
    }
  })();
  return {
    samples,
    errors,
    async stop() {
      stopped = true;
      clearTimeout(wake);
      wakeUp();
      await loop;
    },
  };
}

// ---- the load generator -----------------------------------------------------

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

class Route {
  constructor(name) {
    this.name = name;
    this.lat = [];
    this.ok = 0;
    this.expected4xx = 0;
    this.errors = 0;
  }
  summary(seconds) {
    const lat = this.lat.slice().sort((a, b) => a - b);
    const n = this.ok + this.expected4xx + this.errors;
    return {
      route: this.name, requests: n, rps: n / seconds, ok: this.ok, expected4xx: this.expected4xx, errors: this.errors,
      p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99), max: lat.length ? lat[lat.length - 1] : NaN,
    };
  }
}

function client(base, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(base);
  const request = (r) => new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ agent, host: url.hostname, port: url.port, method: r.method, path: r.path, headers: r.headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString("utf8"), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      res.on("error", (e) => resolve({ status: 0, error: e.message, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error("no answer in 30 s")));
    req.on("error", (e) => resolve({ status: 0, error: e.message, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    if (r.body !== undefined) req.end(r.body);
    else req.end();
  });
  return { request, close: () => agent.destroy() };
}

const forwardId = (visitorId, messageId) =>
  `evt_${createHash("sha256").update(`${visitorId}\n${messageId}`).digest("base64url").slice(0, 32)}`;

const PAGES = ["/", "/pricing", "/industries/oil-gas", "/case-studies/refinery", "/resources/white-paper", "/blog/edge-scoring"];
const HTML_PAGES = ["/"]; // what www/ serves as a page
const COMPANIES = [
  ["petrochina.com.cn", "PetroChina", "Oil & gas"], ["sinopec.com", "Sinopec", "Oil & gas"],
  ["walmart.com", "Walmart", "Retail"], ["siemens.com", "Siemens", "Manufacturing"], ["bosch.com", "Bosch", "Manufacturing"],
];
const TITLES = ["VP of Operations", "Plant Manager", "Head of IT", "Procurement Lead", "Engineer"];
const SIZES = ["1-49", "50-199", "200-999", "1000+"];
// Invalid on purpose: each must come back 422 invalid_fields naming the field.
const INVALID = [
  { email: "not-an-email" },
  { email: "someone@gmail.com" }, // free mail on a business-only field
  { email: "" },
];

/**
 * One phase of sessions from `concurrency` loops until `seconds` have passed.
 * A session is one visitor (a new one, or now and then a returning one):
 * page, decide, JSON batch, page, beacon batch (sometimes sent twice, as a
 * retrying beacon would), the contact form (GET; after the minimum fill time
 * a valid post, sometimes preceded by an invalid one, and sometimes a second,
 * progressive round with the next fields). Form posts wait in a shared list
 * until they are due, so no loop idles through the fill time.
 */
async function runPhase({ base, seconds, concurrency, random, ledger, ipOf, minFillMs }) {
  const routes = new Map();
  const route = (name) => {
    if (!routes.has(name)) routes.set(name, new Route(name));
    return routes.get(name);
  };
  const errors = [];
  const http1 = client(base, concurrency);
  const deferred = []; // {due, run}, kept in due order
  const returning = [];
  let sessions = 0;
  let returned = 0;
  let msg = 0;

  async function call(name, r, { expect = [200], expected4xx = [] } = {}) {
    const res = await http1.request(r);
    const rt = route(name);
    rt.lat.push(res.ms);
    if (expect.includes(res.status)) rt.ok += 1;
    else if (expected4xx.includes(res.status)) rt.expected4xx += 1;
    else {
      rt.errors += 1;
      if (errors.length < 20) errors.push(`${name}: ${res.status} ${res.error ?? (res.text ?? "").slice(0, 200)}`);
      return null;
    }
    return res;
  }
  const fail = (name, why) => {
    route(name).errors += 1;
    route(name).ok -= 1;
    if (errors.length < 20) errors.push(`${name}: ${why}`);
  };

  function batch(n, now) {
    const events = [];
    for (let k = 0; k < n; k++) {
      msg += 1;
      const r = random();
      const path = PAGES[Math.floor(random() * PAGES.length)];
      events.push(r < 0.7
        ? { type: "page", messageId: `m${msg}`, timestamp: now - k * 1000, properties: { path, dwellSeconds: Math.floor(5 + random() * 120) } }
        : r < 0.9
          ? { type: "track", event: ["Whitepaper Downloaded", "Pricing Viewed", "Video Played"][msg % 3], messageId: `m${msg}`, timestamp: now, properties: { path } }
          : { type: "track", event: "Demo Requested", messageId: `m${msg}`, timestamp: now });
    }
    return events;
  }

  async function sendEvents(v, beacon) {
    const name = beacon ? "POST /v1/events (beacon, text/plain)" : "POST /v1/events (JSON)";
    const body = JSON.stringify({ events: batch(3 + Math.floor(random() * 8), Date.now()), consent: true });
    const r = {
      method: "POST", path: "/v1/events", body,
      headers: { "content-type": beacon ? "text/plain;charset=UTF-8" : "application/json", "content-length": Buffer.byteLength(body), cookie: v.cookie, "cf-connecting-ip": v.ip, origin: "https://www.example.com" },
    };
    const res = await call(name, r);
    if (!res) return;
    const out = JSON.parse(res.text);
    // The visitor id: from the first events answer (pages do not say it).
    v.visitorId ??= out.visitorId;
    if (out.visitorId !== v.visitorId || out.accepted.length === 0) return fail(name, `unexpected body ${res.text.slice(0, 200)}`);
    for (const a of out.accepted) ledger.events.add(forwardId(out.visitorId, a.id));
    ledger.signals += out.signals.length;
    ledger.acceptedEvents += out.accepted.length;
    // A beacon retried after a lost answer: all duplicates, nothing new to forward.
    if (beacon && random() < 0.1) {
      const again = await call("POST /v1/events (beacon resent)", r);
      if (!again) return;
      const o2 = JSON.parse(again.text);
      if (o2.accepted.length !== 0 || o2.duplicates.length !== out.accepted.length || o2.signals.length !== 0) {
        fail("POST /v1/events (beacon resent)", `resend not deduplicated: ${again.text.slice(0, 200)}`);
      }
    }
  }

  async function page(v, path) {
    const res = await call("GET / (personalized page)", { method: "GET", path, headers: { accept: "text/html", "cf-connecting-ip": v.ip, ...(v.cookie ? { cookie: v.cookie } : {}) } });
    if (!res) return;
    if (res.headers["x-nurture-personalized"] !== "1" || !res.text.includes('id="nurture-decisions"')) {
      return fail("GET / (personalized page)", "not personalized");
    }
    const m = /nurture_vid=([^;]+)/.exec([res.headers["set-cookie"] ?? []].flat().join("\n"));
    if (m) v.cookie = `nurture_vid=${m[1]}`;
  }

  async function decide(v) {
    const path = PAGES[Math.floor(random() * PAGES.length)];
    const res = await call("GET /v1/decide", { method: "GET", path: `/v1/decide?path=${encodeURIComponent(path)}&utm_source=soak`, headers: { cookie: v.cookie, "cf-connecting-ip": v.ip } });
    if (!res) return;
    const out = JSON.parse(res.text);
    if (!Array.isArray(out.decisions)) fail("GET /v1/decide", "no decisions");
  }

  function valuesFor(v, fields) {
    const [domain, company, industry] = COMPANIES[v.n % COMPANIES.length];
    const all = {
      email: `user${v.n}@${domain}`, company, title: TITLES[v.n % TITLES.length], industry,
      companySize: SIZES[v.n % SIZES.length], phone: "+86 138 0013 8000",
    };
    const out = {};
    for (const f of fields) if (f.name in all) out[f.name] = all[f.name];
    return out;
  }

  async function postForm(v, form, fields, { invalid } = {}) {
    const name = invalid ? "POST /v1/forms/contact (invalid → 422)" : "POST /v1/forms/contact";
    const body = JSON.stringify({ token: form.token, fields });
    const res = await call(name, {
      method: "POST", path: "/v1/forms/contact", body,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), cookie: v.cookie, "cf-connecting-ip": v.ip, "accept-language": v.n % 3 ? "en" : "zh-CN" },
    }, invalid ? { expect: [], expected4xx: [422] } : {});
    if (!res) return null;
    const out = JSON.parse(res.text);
    if (invalid) {
      const errs = out.error?.details?.errors ?? [];
      if (out.error?.code !== "invalid_fields" || !errs.some((e) => e.field === "email" && typeof e.code === "string" && e.message)) {
        route(name).expected4xx -= 1;
        route(name).errors += 1;
        if (errors.length < 20) errors.push(`${name}: not a per-field 422: ${res.text.slice(0, 200)}`);
      }
      return null;
    }
    if (out.valid !== true || out.visitorId !== v.visitorId) return fail(name, `unexpected body ${res.text.slice(0, 200)}`), null;
    ledger.signals += out.signals.length;
    ledger.formsAccepted += 1;
    return out;
  }

  function later(ms, run) {
    const due = Date.now() + ms;
    let i = deferred.length;
    while (i > 0 && deferred[i - 1].due > due) i--;
    deferred.splice(i, 0, { due, run });
  }

  async function session() {
    sessions += 1;
    let v;
    if (returning.length > 50 && random() < 0.15) {
      v = returning[Math.floor(random() * returning.length)];
      returned += 1;
    } else {
      const n = sessions;
      v = { n, ip: ipOf(n), cookie: null, visitorId: null };
    }
    await page(v, HTML_PAGES[0]);
    if (!v.cookie) return;
    await decide(v);
    await sendEvents(v, false);
    await page(v, HTML_PAGES[0]);
    await sendEvents(v, true);
    const res = await call("GET /v1/forms/contact", { method: "GET", path: "/v1/forms/contact", headers: { cookie: v.cookie, "cf-connecting-ip": v.ip } });
    if (!res) return;
    const form = JSON.parse(res.text);
    if (!form.token || !Array.isArray(form.fields)) return fail("GET /v1/forms/contact", "no token or fields");
    if (returning.length < 500) returning.push(v);
    else returning[Math.floor(random() * returning.length)] = v;
    if (form.complete || form.fields.length === 0) return;
    const invalid = random() < 0.25;
    const progressive = random() < 0.5;
    const submit = async () => {
      const out = await postForm(v, form, valuesFor(v, form.fields));
      if (out && progressive && !out.next.complete && out.next.fields.length) {
        later(minFillMs + random() * 1000, () => postForm(v, out.next, valuesFor(v, out.next.fields)));
      }
    };
    later(minFillMs + random() * 1000, async () => {
      if (!invalid) return submit();
      // A refused post, then the corrected one with the same token: the
      // minimum fill time runs again from the refused attempt, as a person
      // fixing a field takes that long anyway.
      await postForm(v, form, { ...valuesFor(v, form.fields), ...INVALID[v.n % INVALID.length] }, { invalid: true });
      later(minFillMs + random() * 1000, submit);
    });
  }

  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      if (deferred.length && deferred[0].due <= Date.now()) await deferred.shift().run();
      else await session();
    }
  }));
  // The form posts still due belong to sessions already started: finish them.
  while (deferred.length) {
    const d = deferred.shift();
    const wait = d.due - Date.now();
    if (wait > 0) await sleep(wait);
    await d.run();
  }
  const elapsed = (Date.now() - t0) / 1000;
  http1.close();
  const table = [...routes.values()].map((r) => r.summary(elapsed));
  const total = new Route("all");
  for (const r of routes.values()) {
    total.lat.push(...r.lat);
    total.ok += r.ok;
    total.expected4xx += r.expected4xx;
    total.errors += r.errors;
  }
  return { seconds: elapsed, sessions, returned, newVisitors: sessions - returned, routes: table, all: total.summary(elapsed), errors };
}

// ---- the no-op baseline -----------------------------------------------------

const NOOP = `export default { async fetch(request) { await request.arrayBuffer(); return new Response('{"ok":true}', { headers: { "content-type": "application/json" } }); } };`;

async function noopBaseline(seconds, concurrency, sampleMs, heapSampleMs) {
  const before = new Set(workerdPids());
  const noop = new Miniflare({ name: "noop", modules: true, script: NOOP, compatibilityDate: "2025-09-01", host: "127.0.0.1", port: 0, inspectorPort: 0 });
  const url = await noop.ready;
  const c = client(url.href, concurrency);
  const pids = workerdPids().filter((p) => !before.has(p));
  // The same forced GC as the worker gets, so the two RSS series compare
  // like with like.
  const isolates = await inspectIsolates(noop);
  const session = isolates.get(userTarget("noop"));
  isolates.delete(userTarget("noop"));
  const body = JSON.stringify({ events: [{ type: "page", messageId: "x", properties: { path: "/" } }], consent: true });
  let n = 0;
  const t0 = Date.now();
  const samples = [{ t: 0, mib: rssMiB(pids) }];
  const sampler = setInterval(() => samples.push({ t: Date.now() - t0, mib: rssMiB(pids) }), sampleMs);
  const heap = heapSampler({ session, others: isolates, stats: async () => (await c.request({ method: "GET", path: "/" }), null), pids, t0, everyMs: heapSampleMs });
  const end = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      const r = await c.request({ method: "POST", path: "/v1/events", body, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } });
      if (r.status === 200) n += 1;
    }
  }));
  clearInterval(sampler);
  await heap.stop();
  const rps = n / ((Date.now() - t0) / 1000);
  c.close();
  session.close();
  for (const o of isolates.values()) o.close();
  await noop.dispose();
  const half = samples.filter((x) => x.t >= (seconds * 1000) / 2);
  const slope = slopePerMinute(half);
  const heapMiB = heap.samples.map((x) => x.heapMiB);
  return {
    rps, seconds, slopeSecondHalf: slope, kibPerRequest: (slope * 1024) / (rps * 60), startMiB: samples[0].mib, endMiB: samples[samples.length - 1].mib,
    maxMiB: Math.max(...samples.map((x) => x.mib)), heapAfterGcMiB: [Math.min(...heapMiB), Math.max(...heapMiB)],
    series: samples.map((x) => [Math.round(x.t / 1000), Math.round(x.mib)]),
  };
}

// ---- the run ----------------------------------------------------------------

/**
 * The memory judgement's defaults. Growth allowed over the second half of
 * the warm run, fitted: 2 MiB of JS heap is about 45 bytes per request of a
 * full soak's second half (4.5 min at 175 req/s), less than one small object
 * kept per request, and about five times the fit's noise (the heap after GC
 * moves by ±1 MiB as visitors' Durable Objects are created and evicted). The
 * wasm memory grows in 64 KiB pages and only when the core's allocator needs
 * a bigger peak, so 1 MiB is 16 pages. Ceilings: far under the 128 MB a
 * Workers isolate may use.
 */
/** workerd's whole RSS, whatever the phase: a runaway, not a slope. */
export const RSS_CEILING_MIB = 1536;

export const MEMORY_LIMITS = { heapAllowMiB: 2, heapCeilingMiB: 48, wasmAllowMiB: 1, wasmCeilingMiB: 32 };

/**
 * @param {object} o
 * @param {number} o.seconds        per phase
 * @param {number} [o.concurrency]
 * @param {number} [o.maxSlope]     MiB/min of workerd RSS allowed over the second half of the run
 * @param {boolean} [o.baseline]    measure a no-op worker first, for scale
 * @param {number} [o.heapSampleMs] how often to force a GC and sample the worker isolate's heap and wasm memory
 * @param {object} [o.limits]       the memory judgement (see plateau): {heapAllowMiB, heapCeilingMiB, wasmAllowMiB, wasmCeilingMiB}
 * @param {(line: string) => void} [o.log]
 */
export async function runSoak({ seconds, concurrency = 16, maxSlope = 4, baseline = false, sampleMs = 2000, heapSampleMs = 15_000, limits = {}, log = () => {} }) {
  const report = { seconds, concurrency, phases: [], memory: null, failures: [] };
  const lim = { ...MEMORY_LIMITS, ...limits };
  if (baseline) {
    report.noop = await noopBaseline(Math.min(60, seconds), concurrency, sampleMs, heapSampleMs);
    report.noopRps = report.noop.rps;
  }

  let mode = "ok";
  const random = rng(9);
  const faultRandom = rng(17);
  // Generous for a loaded machine (the collector shares the cores with the
  // load generator and workerd), so a healthy collector is not timed out;
  // hangs outlast it five times.
  const TIMEOUT_MS = 2500;
  report.collectorTimeoutMs = TIMEOUT_MS;
  // Only the ids are kept (hundreds of thousands of messages); a hung
  // request is closed well after the worker's timeout.
  const col = await startCollector({
    keep: false,
    keepAliveMs: 5000,
    hangMs: TIMEOUT_MS * 5,
    fault: () => {
      if (mode === "down") return "fail";
      if (mode !== "flaky") return "ok";
      const r = faultRandom();
      return r < 0.3 ? "fail" : r < 0.33 ? "hang" : r < 0.35 ? "drop" : "ok";
    },
  });
  const origin = await startOrigin();
  const before = new Set(workerdPids());
  const mf = new Miniflare(workerOptions({
    host: "127.0.0.1",
    port: 0,
    vars: {
      NURTURE_KEYS: KEYS,
      ADMIN_TOKEN,
      ALLOWED_ORIGINS: "https://www.example.com",
      NURTURE_DEMO: "true", // the demo's site config
      COLLECTOR_URL: col.url,
      ORIGIN_URL: origin.url,
      COLLECTOR_TIMEOUT_MS: String(TIMEOUT_MS),
      FORWARD_CONCURRENCY: "8",
      RETRY_BASE_SECONDS: "1",
      RETRY_MAX_SECONDS: "4",
      // The load comes from a few addresses; the limits guard production
      // traffic, not this test (they are tested in worker/test/).
      BEHIND_CLOUDFLARE: "true",
      SHARED_RATE_BURST: "100000000",
      SHARED_RATE_PER_SECOND: "100000000",
      ADMIN_RATE_BURST: "100000000",
      ADMIN_RATE_PER_SECOND: "100000000",
      IP_RATE_BURST: "100000000",
      IP_RATE_PER_SECOND: "100000000",
      VISITOR_RATE_BURST: "100000000",
      VISITOR_RATE_PER_SECOND: "100000000",
    },
    queue: { maxBatchSize: 50, maxBatchTimeout: 0.5, maxRetries: 3 },
    inspectorPort: 0,
  }));
  const base = (await mf.ready).href;
  const pids = workerdPids().filter((p) => !before.has(p));
  const t0 = Date.now();
  const samples = [];
  const sample = (label) => samples.push({ t: Date.now() - t0, mib: rssMiB(pids), label });
  sample("ready");
  const sampler = setInterval(() => sample(""), sampleMs);
  // The worker's isolate (its Durable Objects included: workerd lists no
  // other target for them) through the inspector, and the core's wasm
  // memory through /v1/health.
  const target = userTarget("nurture-worker");
  const isolates = await inspectIsolates(mf);
  const session = isolates.get(target);
  if (!session) throw new Error(`workerd's inspector lists no ${target}`);
  isolates.delete(target);
  const heap = heapSampler({
    session, pids, t0, everyMs: heapSampleMs, others: isolates,
    stats: async () => (await (await mf.dispatchFetch("http://worker.test/v1/health")).json()).core,
  });

  const admin = async (path, body) => {
    const res = await mf.dispatchFetch(`http://worker.test${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };

  // 1 in 4 visitors from the named account's range (demo/accounts.csv:
  // 203.0.113.0/24 is PetroChina Example Co.), the rest from elsewhere.
  const ipOf = (n) => (n % 4 === 0 ? `203.0.113.${n % 250}` : n % 4 === 1 ? `198.51.100.${n % 250}` : `10.${(n >> 8) & 255}.${n & 255}.1`);
  const ledger = { events: new Set(), signals: 0, acceptedEvents: 0, formsAccepted: 0 };
  let replayed = 0;
  let replayCalls = 0;

  const delivered = () => {
    let events = 0;
    let signals = 0;
    let unexpected = 0;
    for (const k of col.byKey.keys()) {
      if (k.startsWith("evt_")) {
        events += 1;
        if (!ledger.events.has(k)) unexpected += 1;
      } else if (k.startsWith("sig_")) signals += 1;
      else unexpected += 1;
    }
    return { events, signals, unexpected };
  };
  const complete = () => {
    const d = delivered();
    return d.events === ledger.events.size && d.signals === ledger.signals && d.unexpected === 0;
  };

  async function drain(limitMs) {
    const start = Date.now();
    while (Date.now() - start < limitMs) {
      // Done when everything arrived and nothing waits in the dead-letter
      // store: a copy of a delivered message (a delivery that timed out
      // after the collector stored it) can still exhaust its queue retries
      // and be filed after the rest arrived; its replay is a duplicate the
      // collector drops.
      const dl = await admin("/v1/admin/dead-letters");
      if (complete() && dl.count === 0) return (Date.now() - start) / 1000;
      if (dl.count > 0) {
        const r = await admin("/v1/admin/replay", { limit: 5000 });
        replayed += r.replayed;
        replayCalls += 1;
      }
      await sleep(1000);
    }
    return complete() ? (Date.now() - start) / 1000 : null;
  }

  const warmupMs = Math.min(60_000, Math.max(5_000, seconds * 100)); // 10 % of a phase, 5–60 s
  const minFillMs = 2100; // the contact form's minFillSeconds is 2
  try {
    for (const [name, flaky] of [["a: healthy collector", false], ["b: collector failing part of the time", true]]) {
      mode = flaky ? "flaky" : "ok";
      const stats0 = { ...col.stats };
      const origin0 = origin.stats.requests;
      const sent0 = { events: ledger.events.size, signals: ledger.signals, forms: ledger.formsAccepted };
      const tStart = Date.now() - t0;
      log(`phase ${name}: ${seconds} s`);
      const r = await runPhase({ base, seconds, concurrency, random, ledger, ipOf, minFillMs });
      const tLoadEnd = Date.now() - t0;
      sample(`end of load ${name[0]}`);
      // The outage outlasts the traffic, failing everything for a while, so
      // retries run out and the dead-letter store and its replay are used;
      // then the collector heals.
      if (flaky) {
        mode = "down";
        await sleep(Math.min(20, seconds / 2) * 1000);
      }
      mode = "ok";
      const drainSeconds = await drain(Math.max(90_000, seconds * 1000));
      const dl = await admin("/v1/admin/dead-letters");
      const d = delivered();
      const lost = [...ledger.events].filter((k) => !col.byKey.has(k)).length;
      const phase = {
        name, ...r, tStart, tLoadEnd,
        acceptedEvents: ledger.events.size - sent0.events,
        signals: ledger.signals - sent0.signals,
        formsAccepted: ledger.formsAccepted - sent0.forms,
        originRequests: origin.stats.requests - origin0,
        collector: Object.fromEntries(Object.entries(col.stats).map(([k, v]) => [k, v - stats0[k]])),
        drainSeconds, deadLettersFiled: dl.filed, deadLettersLeft: dl.count, replayed, replayCalls,
        deliveredEvents: d.events, deliveredSignals: d.signals, unexpectedDeliveries: d.unexpected,
        lostEvents: lost, lostSignals: Math.max(0, ledger.signals - d.signals), extraSignals: Math.max(0, d.signals - ledger.signals),
      };
      report.phases.push(phase);
      log(`phase ${name}: ${r.all.requests} requests, ${r.all.rps.toFixed(1)} req/s, ${r.all.errors} errors, drained in ${drainSeconds} s, lost ${lost}`);
      if (r.all.errors > 0) report.failures.push(`${name}: ${r.all.errors} unexpected responses, first: ${r.errors.slice(0, 3).join(" | ")}`);
      if (drainSeconds === null) report.failures.push(`${name}: not everything arrived (${JSON.stringify({ expectedEvents: ledger.events.size, expectedSignals: ledger.signals, ...d })})`);
      if (lost || d.unexpected || phase.extraSignals) report.failures.push(`${name}: ${lost} events lost, ${d.unexpected} unexpected deliveries, ${phase.lostSignals} signals lost, ${phase.extraSignals} extra`);
      if (col.stats.missingKey || col.stats.unexpected) report.failures.push(`${name}: deliveries without an Idempotency-Key or with a foreign body`);
      if (dl.count !== 0) report.failures.push(`${name}: ${dl.count} dead letters left`);
    }
  } finally {
    clearInterval(sampler);
    sample("end");
    await heap.stop();
    session.close();
    for (const o of isolates.values()) o.close();
    await mf.dispose();
    await origin.close();
    await col.close();
  }

  // Memory: after warm-up, and the slope over the second half of the run's
  // load (samples taken while requests flow; the drain pauses are left out
  // of neither half, they are part of the run).
  const warm = samples.filter((s) => s.t >= warmupMs);
  const last = samples[samples.length - 1];
  const half = warm.filter((s) => s.t >= (warm[0]?.t ?? 0) + (last.t - (warm[0]?.t ?? 0)) / 2);
  const mem = {
    pids: pids.length,
    samples: samples.length,
    readyMiB: samples[0].mib,
    afterWarmupMiB: warm[0]?.mib ?? NaN,
    endMiB: last.mib,
    maxMiB: Math.max(...samples.map((s) => s.mib)),
    endOfPhaseMiB: samples.filter((s) => s.label.startsWith("end of load")).map((s) => s.mib),
    slopeAfterWarmup: slopePerMinute(warm),
    slopeSecondHalf: slopePerMinute(half),
    halfMinutes: half.length ? (last.t - half[0].t) / 60_000 : 0,
    warmupS: warmupMs / 1000,
    rssOk: true,
    minutes: last.t / 60_000,
    maxSlope,
    series: samples.map((s) => [Math.round(s.t / 1000), Math.round(s.mib)]),
    heapEveryS: heapSampleMs / 1000,
    heapSeries: heap.samples.map((s) => [Math.round(s.t / 1000), +s.heapMiB.toFixed(2), +s.heapTotalMiB.toFixed(1), +s.wasmMiB.toFixed(2), Math.round(s.rssMiB), +s.othersMiB.toFixed(1)]),
    otherIsolates: isolates.size,
    heapErrors: heap.errors,
    heap: plateau(heap.samples.map((s) => ({ t: s.t, mib: s.heapMiB })), { warmupMs, allowMiB: lim.heapAllowMiB, ceilingMiB: lim.heapCeilingMiB }),
    wasm: plateau(heap.samples.map((s) => ({ t: s.t, mib: s.wasmMiB })), { warmupMs, allowMiB: lim.wasmAllowMiB, ceilingMiB: lim.wasmCeilingMiB }),
  };
  // What the worker holds: its isolate's JS heap after a full GC and the
  // core's linear memory must level off (see plateau).
  if (!mem.heap.ok) report.failures.push(`worker isolate JS heap after GC: ${mem.heap.why}`);
  if (!mem.wasm.ok) report.failures.push(`wasm core linear memory: ${mem.wasm.why}`);
  // RSS growth per request of the mix, against the no-op worker's per
  // request under the same load generator, judged over the second half of
  // phase (a), the steady state with a healthy collector. A request of the
  // mix is several workerd invocations (the visitor's Durable Object,
  // collector POSTs, origin fetches): the allowance is that many no-op
  // requests, times 1.5. Phase (b) is not judged on RSS's slope: there
  // workerd's process also holds Miniflare's local queue broker, whose
  // backlog of delayed retries (up to 10,000 messages) grows while the
  // collector fails; that is the queue's storage, which on Cloudflare lives
  // outside the worker's isolate. Its growth is reported next to the
  // Miniflare isolates' heap, under a ceiling.
  const requests = report.phases.reduce((a, p) => a + p.all.requests, 0);
  const sub = report.phases.reduce((a, p) => a + p.collector.requests + p.originRequests + p.all.requests - p.newVisitors, 0);
  mem.invocationsPerRequest = requests ? (requests + sub) / requests : NaN;
  const endOf = (tag) => samples.find((x) => x.label === `end of load ${tag}`)?.t;
  const windowOf = (from, to) => {
    const w = warm.filter((x) => x.t >= from && x.t <= to);
    if (w.length < 2) return null;
    const mid = w[0].t + (w[w.length - 1].t - w[0].t) / 2;
    const second = w.filter((x) => x.t >= mid);
    return { slope: slopePerMinute(second), minutes: (second[second.length - 1].t - second[0].t) / 60_000, fromMiB: w[0].mib, toMiB: w[w.length - 1].mib };
  };
  const a = report.phases[0];
  const aEnd = endOf("a");
  const healthy = a && aEnd !== undefined ? windowOf(0, aEnd) : null;
  if (healthy) {
    mem.healthy = { ...healthy, kibPerRequest: (healthy.slope * 1024) / (a.all.rps * 60) };
    mem.kibPerRequest = mem.healthy.kibPerRequest;
  }
  const b = report.phases[1];
  const bEnd = endOf("b");
  if (b && aEnd !== undefined && bEnd !== undefined) {
    const failing = windowOf(aEnd, bEnd);
    if (failing) {
      const others = heap.samples.filter((x) => x.t >= aEnd && x.t <= bEnd).map((x) => x.othersMiB);
      mem.failing = { ...failing, kibPerRequest: (failing.slope * 1024) / (b.all.rps * 60), othersFromMiB: others[0], othersToMiB: others[others.length - 1] };
    }
  }
  mem.rssCeilingMiB = RSS_CEILING_MIB;
  report.memory = mem;
  if (pids.length === 0) report.failures.push("no workerd process found to sample");
  else if (mem.maxMiB > RSS_CEILING_MIB) {
    mem.rssOk = false;
    report.failures.push(`workerd RSS reached ${f0(mem.maxMiB)} MiB, over the ${RSS_CEILING_MIB} MiB ceiling`);
  }
  if (pids.length > 0 && report.noop && mem.healthy) {
    mem.allowedKibPerRequest = Math.max(0.5, 1.5 * mem.invocationsPerRequest * report.noop.kibPerRequest);
    if (mem.kibPerRequest > mem.allowedKibPerRequest) {
      mem.rssOk = false;
      report.failures.push(`workerd RSS grows ${mem.kibPerRequest.toFixed(2)} KiB per request over the second half of phase a (${mem.healthy.slope.toFixed(1)} MiB/min), over ${mem.allowedKibPerRequest.toFixed(2)} allowed (no-op: ${report.noop.kibPerRequest.toFixed(2)} KiB per request, ${mem.invocationsPerRequest.toFixed(2)} workerd invocations per request)`);
    }
  } else if (pids.length > 0 && mem.slopeSecondHalf > maxSlope) {
    mem.rssOk = false;
    report.failures.push(`workerd RSS grows ${mem.slopeSecondHalf.toFixed(2)} MiB/min over the second half (threshold ${maxSlope})`);
  }
  report.ok = report.failures.length === 0;
  return report;
}

// ---- output -----------------------------------------------------------------

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const f0 = (x) => (Number.isFinite(x) ? String(Math.round(x)) : "–");

export function markdown(report) {
  const lines = [];
  for (const p of report.phases) {
    lines.push(`### Phase ${p.name}`, "");
    lines.push(`${f0(p.seconds)} s of load, ${p.sessions} sessions (${p.returned} of them returning visitors), ${p.all.requests} requests, ${f1(p.all.rps)} req/s overall, ${p.all.errors} unexpected responses.`, "");
    lines.push("| route | requests | req/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | expected 4xx | errors |");
    lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const r of [...p.routes, { ...p.all, route: "**all**" }]) {
      lines.push(`| ${r.route.startsWith("**") ? r.route : `\`${r.route}\``} | ${r.requests} | ${f1(r.rps)} | ${f1(r.p50)} | ${f1(r.p95)} | ${f1(r.p99)} | ${f0(r.max)} | ${r.expected4xx} | ${r.errors} |`);
    }
    const c = p.collector;
    lines.push("");
    lines.push(`Delivery: ${p.acceptedEvents} events accepted by the worker and ${p.signals} lifecycle signals (from ${p.formsAccepted} valid form posts and the batches); ` +
      `the collector answered ${c.requests} requests (${c.failed} × 503, ${c.hung} hung past the worker's timeout, ${c.dropped} dropped, ${c.duplicates} duplicates deduplicated). ` +
      `Drained ${p.drainSeconds === null ? "NOT" : `in ${f1(p.drainSeconds)} s`} after the load; dead letters filed so far ${p.deadLettersFiled}, replayed ${p.replayed} in ${p.replayCalls} calls, left ${p.deadLettersLeft}. ` +
      `Cumulative at the end of the phase: ${p.deliveredEvents} distinct events and ${p.deliveredSignals} signals delivered; **lost ${p.lostEvents} events, ${p.lostSignals} signals; ${p.unexpectedDeliveries} unexpected.**`, "");
  }
  const m = report.memory;
  const mib = (x, d = 1) => (Number.isFinite(x) ? `${x.toFixed(d)} MiB` : "–");
  const verdict = (p) => (p.ok ? "levels off" : `**fails**: ${p.why}`);
  lines.push("### Memory", "");
  lines.push(`Every ${f0(m.heapEveryS)} s the run forces a full GC in the worker's isolate through workerd's V8 inspector ` +
    "(`HeapProfiler.collectGarbage`, then `Runtime.getHeapUsage`; the Durable Objects run in that same isolate; workerd's other isolates, Miniflare's, get a GC too) and reads the wasm core's " +
    `linear memory from \`GET /v1/health\`; ${m.heapSeries.length} samples. workerd's RSS is read from /proc every 2 s (${m.samples} samples, ` +
    `${m.pids} process${m.pids === 1 ? "" : "es"}). Judged after ${f0(m.warmupS)} s of warm-up; "growth" is the least-squares slope over the second half of the warm run times its length.`, "");
  lines.push("| | after warm-up | middle | end | max | growth, second half | allowed | verdict |");
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const [name, p, d] of [["worker isolate JS heap after GC", m.heap, 2], ["wasm core linear memory", m.wasm, 2]]) {
    lines.push(`| ${name} | ${mib(p.start, d)} | ${mib(p.mid, d)} | ${mib(p.end, d)} | ${mib(p.max, d)} | ${Number.isFinite(p.growth) ? `${p.growth.toFixed(2)} MiB in ${p.minutes.toFixed(1)} min` : "–"} | ${p.allowMiB} MiB (ceiling ${p.ceilingMiB} MiB) | ${verdict(p)} |`);
  }
  const rssRow = (label, w, judged) => w
    ? `| ${label} | ${mib(w.fromMiB, 0)} | | ${mib(w.toMiB, 0)} | | ${(w.slope * w.minutes).toFixed(0)} MiB in ${f1(w.minutes)} min (${f1(w.slope)} MiB/min, ${w.kibPerRequest.toFixed(2)} KiB per request) | ` +
      (judged ? `${Number.isFinite(m.allowedKibPerRequest) ? `${m.allowedKibPerRequest.toFixed(2)} KiB per request` : "–"} | ${m.rssOk ? "within" : "**over**"} |` : `not judged on slope (ceiling ${m.rssCeilingMiB} MiB) | ${m.maxMiB > m.rssCeilingMiB ? "**over**" : "reported"} |`)
    : `| ${label} | – | | – | | – | – | – |`;
  lines.push(`| workerd RSS (whole process), whole run | ${mib(m.afterWarmupMiB, 0)} | | ${mib(m.endMiB, 0)} | ${mib(m.maxMiB, 0)} | | ceiling ${m.rssCeilingMiB} MiB | ${m.maxMiB > m.rssCeilingMiB ? "**over**" : "under"} |`);
  lines.push(rssRow("workerd RSS, phase a (healthy collector)", m.healthy, true));
  lines.push(rssRow("workerd RSS, phase b (collector failing)", m.failing, false), "");
  if (m.failing && Number.isFinite(m.failing.othersFromMiB)) {
    lines.push(`In phase b the Miniflare isolates' JS heap after GC went ${f1(m.failing.othersFromMiB)} → ${f1(m.failing.othersToMiB)} MiB while the worker's stayed level (the series below).`, "");
  }
  if (report.noop) {
    const n = report.noop;
    lines.push(`No-op worker (reads the body, answers a constant) under the same load generator, with the same forced GC, ${f0(n.seconds)} s at ${f0(n.rps)} req/s in the same run: ` +
      `RSS ${f0(n.startMiB)} → ${f0(n.endMiB)} MiB (max ${f0(n.maxMiB)}), ${n.slopeSecondHalf.toFixed(2)} MiB/min over its second half, ${n.kibPerRequest.toFixed(2)} KiB per request; ` +
      `its isolate's heap after GC ${n.heapAfterGcMiB.map((x) => x.toFixed(2)).join("–")} MiB. A request of the mix is ${m.invocationsPerRequest.toFixed(2)} workerd invocations ` +
      "(itself, the visitor's Durable Object, collector POSTs, origin fetches); the RSS allowance is 1.5 × that × the no-op's per request, at least 0.5 KiB.", "");
    if (n.series) lines.push(`No-op RSS (s → MiB): ${n.series.filter((_, i) => i % 3 === 0 || i === n.series.length - 1).map(([t, v]) => `${t}→${v}`).join(", ")}.`, "");
  }
  const pick = (arr, k) => {
    const step = Math.max(1, Math.ceil(arr.length / k));
    return arr.filter((_, i) => i % step === 0 || i === arr.length - 1);
  };
  lines.push(`Series (s → worker isolate's JS heap after GC / its V8 heap reserved / wasm memory / workerd RSS / the ${m.otherIsolates} Miniflare isolates' JS heaps, MiB): ` +
    `${pick(m.heapSeries, 24).map(([t, h, tot, w, r, o]) => `${t}→${h}/${tot}/${w}/${r}/${o}`).join(", ")}.`, "");
  if (m.heapErrors.length) lines.push(`Inspector errors: ${m.heapErrors.join("; ")}.`, "");
  return lines.join("\n");
}

function keyValues(report) {
  const out = [];
  const kv = (k, v) => out.push(`soak.${k}=${v}`);
  kv("seconds_per_phase", report.seconds);
  kv("concurrency", report.concurrency);
  kv("collector_timeout_ms", report.collectorTimeoutMs);

  if (report.noopRps !== undefined) kv("noop_rps", Math.round(report.noopRps));
  report.phases.forEach((p, i) => {
    const tag = "ab"[i];
    kv(`${tag}_requests`, p.all.requests);
    kv(`${tag}_rps`, p.all.rps.toFixed(1));
    kv(`${tag}_p50_ms`, f1(p.all.p50));
    kv(`${tag}_p99_ms`, f1(p.all.p99));
    kv(`${tag}_errors`, p.all.errors);
    kv(`${tag}_sessions`, p.sessions);
    kv(`${tag}_events_accepted`, p.acceptedEvents);
    kv(`${tag}_lost_events`, p.lostEvents);
    kv(`${tag}_lost_signals`, p.lostSignals);
  });
  const m = report.memory;
  for (const [k, p] of [["heap", m.heap], ["wasm", m.wasm]]) {
    kv(`${k}_after_warmup_mib`, p.start.toFixed(2));
    kv(`${k}_mid_mib`, p.mid.toFixed(2));
    kv(`${k}_end_mib`, p.end.toFixed(2));
    kv(`${k}_max_mib`, p.max.toFixed(2));
    kv(`${k}_growth_second_half_mib`, Number.isFinite(p.growth) ? p.growth.toFixed(3) : "NaN");
    kv(`${k}_ok`, p.ok);
  }
  kv("rss_ready_mib", f0(m.readyMiB));
  kv("rss_after_warmup_mib", f0(m.afterWarmupMiB));
  kv("rss_end_mib", f0(m.endMiB));
  kv("rss_slope_second_half_mib_per_min", m.slopeSecondHalf.toFixed(2));
  if (m.kibPerRequest !== undefined) kv("rss_kib_per_request", m.kibPerRequest.toFixed(2));
  if (report.noop) {
    kv("noop_rss_kib_per_request", report.noop.kibPerRequest.toFixed(2));
    kv("rss_allowed_kib_per_request", m.allowedKibPerRequest.toFixed(2));
  }
  kv("ok", report.ok);
  return out.join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.env.SOAK_FROM_JSON) {
  // The tables again from a saved report (SOAK_JSON of an earlier run), without running.
  const report = JSON.parse(readFileSync(process.env.SOAK_FROM_JSON, "utf8"));
  console.log(keyValues(report));
  if (process.env.SOAK_TABLES) writeFileSync(process.env.SOAK_TABLES, markdown(report));
  process.exitCode = report.ok ? 0 : 1;
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await runSoak({
    seconds: Number(process.env.SOAK_SECONDS ?? 300),
    concurrency: Number(process.env.SOAK_CONCURRENCY ?? 16),
    maxSlope: Number(process.env.SOAK_MAX_SLOPE_MB_PER_MIN ?? 4),
    baseline: process.env.SOAK_BASELINE !== "0",
    heapSampleMs: Number(process.env.SOAK_HEAP_SAMPLE_SECONDS ?? 15) * 1000,
    log: (l) => console.error(`# ${l}`),
  });
  console.log(keyValues(report));
  if (process.env.SOAK_TABLES) writeFileSync(process.env.SOAK_TABLES, markdown(report));
  if (process.env.SOAK_JSON) writeFileSync(process.env.SOAK_JSON, JSON.stringify(report, null, 1));
  for (const f of report.failures) console.error(`FAIL: ${f}`);
  process.exitCode = report.ok ? 0 : 1;
}
