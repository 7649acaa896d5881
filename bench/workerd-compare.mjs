// What a request makes workerd do, for nurture's worker and the plumbing
// floor (bench/floor.worker.mjs), each in a workerd process of its own, one
// request at a time: by default the process's CPU time a request (the
// kernel's, as bench/workerd-cpu.mjs) in alternating rounds, so that builds
// compared see the same machine; with BENCH_STRACE=1 the system calls of
// the whole process (strace -c -f) over BENCH_REQUESTS requests. fsync/fdatasync, file opens and
// unlinks are the Durable Objects' SQLite writes (Miniflare keeps object
// storage in files under the temp dir), sendto/recvfrom/connect the
// subrequests and RPC, write/read the rest.
// Usage: node bench/workerd-compare.mjs [events|forms] [dist ...] (after
// node worker/build.mjs): each dist a built worker's dist/ (say, a copy of
// main's) to run beside worker/dist. BENCH_ROUNDS (10) of BENCH_REQUESTS
// (50) requests per worker. Needs strace or perf for those modes.
import http from "node:http";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { workerOptions, dist } from "../worker/miniflare.mjs";
import { makeFormToken } from "../worker/test/tokens.mjs";
import { workerdPids, processCpuNs, runqueueWaitNs } from "./workerd-cpu.mjs";

const ROUTE = process.argv[2] ?? "events";
const DISTS = [dist, ...process.argv.slice(3).map((d) => path.resolve(d))];
const N = Number(process.env.BENCH_REQUESTS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const MODE = process.env.BENCH_STRACE === "1" ? "strace" : process.env.BENCH_PERF === "1" ? "perf" : "cpu";
const VISITORS = Number(process.env.BENCH_VISITORS ?? 20);
const KEYS = "bench:bench-secret-0123456789abcdef";
const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const forwarded = { requests: 0, bytes: 0 };
const sink = http.createServer((req, res) => {
  forwarded.requests += 1;
  req.on("data", (c) => (forwarded.bytes += c.length));
  req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'));
});
await new Promise((r) => sink.listen(0, "127.0.0.1", r));
const COLLECTOR_URL = `http://127.0.0.1:${sink.address().port}/collect`;
const vars = {
  NURTURE_KEYS: KEYS, NURTURE_DEMO: "true", COLLECTOR_URL, BEHIND_CLOUDFLARE: "true",
  IP_RATE_BURST: "100000000", IP_RATE_PER_SECOND: "100000000", VISITOR_RATE_BURST: "100000000", VISITOR_RATE_PER_SECOND: "100000000",
};

/** Starts `options` in a workerd process of its own; its url and pid. */
async function start(name, options) {
  const before = new Set(workerdPids());
  const mf = new Miniflare({ ...options, host: "127.0.0.1", port: 0 });
  const url = new URL((await mf.ready).href);
  return { name, mf, url, pid: workerdPids().find((p) => !before.has(p)), cpu: 0, n: 0, forwarded: 0, bytes: 0 };
}

const workers = [await start("floor", {
  name: "floor", modules: true, scriptPath: path.join(here, "floor.worker.mjs"), compatibilityDate: "2025-09-01",
  bindings: { COLLECTOR_URL }, durableObjects: { FLOOR: { className: "FloorState", useSQLite: true } },
})];
for (const d of DISTS) {
  const o = workerOptions({ vars });
  o.modules = [{ type: "ESModule", path: path.join(d, "index.js") }, { type: "CompiledWasm", path: path.join(d, "nurture_bg.wasm") }];
  o.modulesRoot = d;
  workers.push(await start(d === dist ? "nurture" : path.basename(d), o));
}

// visitors minted by the first nurture worker: every nurture build takes
// the same keys, and the floor reads the id from the cookie as it is
const visitors = [];
for (let i = 0; i < VISITORS; i++) {
  const res = await workers[1].mf.dispatchFetch("http://worker.test/v1/forms/contact", { headers: { "cf-connecting-ip": `203.0.113.${i}` } });
  const body = await res.json();
  const token = res.headers.get("x-nurture-visitor");
  visitors.push({ cookie: `nurture_vid=${token}`, visitorId: token.split(".")[2], asked: JSON.parse(Buffer.from(body.token.split(".")[2], "base64url")).a, ip: `203.0.113.${i}` });
}
await sleep(2100);

let msg = 0;
function request(i) {
  const v = visitors[i % VISITORS];
  let body;
  let p;
  if (ROUTE === "forms") {
    const token = makeFormToken({ kid: "bench", secret: KEYS.split(":")[1], visitorId: v.visitorId, asked: v.asked, t: Date.now() - 10_000 });
    body = JSON.stringify({ token, fields: { email: "li.wei@petrochina.com.cn", company: "PetroChina", title: "VP of Operations", industry: "Oil & gas" } });
    p = "/v1/forms/contact";
  } else {
    const events = Array.from({ length: 20 }, (_, k) => (k % 4 === 3
      ? { type: "track", event: "Whitepaper Downloaded", messageId: `s${++msg}`, timestamp: Date.now(), properties: { path: "/resources/white-paper" } }
      : { type: "page", messageId: `s${++msg}`, timestamp: Date.now(), properties: { path: ["/pricing", "/industries/oil-gas", "/case-studies/refinery"][k % 3], dwellSeconds: 40 } }));
    body = JSON.stringify({ events, consent: true });
    p = "/v1/events";
  }
  return { method: "POST", path: p, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), cookie: v.cookie, "cf-connecting-ip": v.ip }, body };
}

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 1);
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const send = (url, r) => new Promise((resolve, reject) => {
  const req = http.request({ agent, host: url.hostname, port: url.port, method: r.method, path: r.path, headers: r.headers }, (res) => {
    res.resume();
    res.on("end", () => resolve(res.statusCode));
  });
  req.on("error", reject);
  req.end(r.body);
});

/** `n` requests to `w`, one at a time, each followed by a pause (what waitUntil started ends in it). */
async function run(w, n) {
  const f0 = { ...forwarded };
  let bad = 0;
  let next = 0;
  // BENCH_CONCURRENCY loops (default 1: one at a time, a pause after each)
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) {
      if ((await send(w.url, request(next++))) !== 200) bad += 1;
      if (CONCURRENCY === 1) await sleep(5);
    }
  }));
  await sleep(100);
  if (bad) console.error(`# ${w.name}: ${bad} of ${n} answers not 200`);
  w.forwarded += forwarded.requests - f0.requests;
  w.bytes += forwarded.bytes - f0.bytes;
}

for (const w of workers) await run(w, 2 * VISITORS); // warm: objects resident, code compiled
if (MODE === "cpu") {
  for (let r = 0; r < ROUNDS; r++) {
    for (const w of workers) {
      const c0 = processCpuNs(w.pid);
      const q0 = runqueueWaitNs(w.pid);
      const t0 = performance.now();
      await run(w, N);
      w.wall = (w.wall ?? 0) + performance.now() - t0;
      w.queued = (w.queued ?? 0) + runqueueWaitNs(w.pid) - q0;
      const d = processCpuNs(w.pid) - c0;
      w.cpu += d;
      w.n += N;
      (w.rounds ??= []).push((d / 1e6 / N).toFixed(2));
    }
  }
  console.log(`# ${ROUTE}: process CPU a request, ${ROUNDS} alternating rounds of ${N} requests, ${CONCURRENCY === 1 ? "one at a time" : `${CONCURRENCY} at a time`}`);
  for (const w of workers) {
    const ms = w.cpu / 1e6 / w.n;
    console.log(`${w.name.padEnd(28)} ${ms.toFixed(3)} ms  (${(ms / (workers[0].cpu / 1e6 / workers[0].n)).toFixed(2)}x floor; forwarded ${(w.forwarded / (w.n + 2 * VISITORS)).toFixed(2)} requests, ${(w.bytes / (w.n + 2 * VISITORS)).toFixed(0)} bytes a request)`);
    if (CONCURRENCY > 1) console.log(`${"".padEnd(28)} ${((1000 * w.n) / w.wall).toFixed(0)} req/s at concurrency ${CONCURRENCY}, the process busy ${((100 * w.cpu) / 1e6 / w.wall).toFixed(0)} % of one core, ready but waiting for a core ${((100 * w.queued) / 1e6 / w.wall).toFixed(0)} %`);
  }
  if (process.env.BENCH_VERBOSE) for (const w of workers) console.log(`# ${w.name} by round: ${w.rounds.join(" ")}`);
} else {
  const counts = [];
  for (const w of workers) {
    const outFile = `/tmp/workerd-${MODE}-${process.pid}-${w.name}.txt`;
    const args = MODE === "perf" ? ["record", "-F", "2000", "-g", "-o", outFile, "-p", String(w.pid)] : ["-c", "-w", "-f", "-o", outFile, "-p", String(w.pid)];
    const tool = spawn(MODE, args, { stdio: "ignore" });
    await sleep(500);
    await run(w, N);
    tool.kill("SIGINT");
    await new Promise((r) => tool.on("exit", r));
    if (MODE === "perf") {
      console.log(`# ${w.name}: perf report -i ${outFile} (${N} requests)`);
      continue;
    }
    const rows = readFileSync(outFile, "utf8").split("\n").map((l) => l.trim().split(/\s+/)).filter((c) => c.length >= 5 && /^\d/.test(c[0]) && c[c.length - 1] !== "total");
    counts.push(new Map(rows.map((c) => [c[c.length - 1], [Number(c[3]), Number(c[1])]])));
  }
  if (MODE === "strace") {
    const names = [...new Set(counts.flatMap((m) => [...m.keys()]))];
    const sum = (k) => counts.reduce((a, m) => a + (m.get(k)?.[0] ?? 0), 0);
    names.sort((x, y) => sum(y) - sum(x));
    console.log(`# ${ROUTE}: system calls a request (${N} requests): calls, and wall ms in them (every thread's)`);
    console.log(`${"syscall".padEnd(18)}${workers.map((w) => w.name.slice(0, 20).padStart(22)).join("")}`);
    for (const k of names) {
      console.log(`${k.padEnd(18)}${counts.map((m) => `${((m.get(k)?.[0] ?? 0) / N).toFixed(2)} ${((1000 * (m.get(k)?.[1] ?? 0)) / N).toFixed(3)}`.padStart(22)).join("")}`);
    }
  }
}
agent.destroy();
for (const w of workers) await w.mf.dispose();
sink.closeAllConnections();
sink.close();
