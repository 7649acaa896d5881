// CPU time per request on local workerd, for bench/worker.bench.mjs.
//
// workerd reports no CPU time locally: a Tail Worker's `cpuTime` and
// `wallTime` (and a streaming tail's `outcome` event's) are 0 under
// Miniflare, found by trying them (workerd 1.20260730). Two measures that do
// work, both taken with one request at a time and a pause after each one
// (so what the request left in ctx.waitUntil finishes inside its window):
//
// - `processCpuNs(pid)`: the kernel's accounting of the workerd process
//   (the sum of its threads' run time, /proc/<pid>/task/*/schedstat, in ns).
//   workerd runs every isolate on its main thread: the user's worker, its
//   Durable Objects, SQLite, and Miniflare's own entry worker that routes
//   each request. The delta over a request's window is an upper bound on
//   what Cloudflare would bill it: it includes that routing and workerd's
//   HTTP on both sides.
// - `busyPerWindow(profile, windows)`: a V8 CPU profile of one isolate
//   (Profiler.* over the inspector). workerd's sampler records a sample only
//   while the isolate is running, so the samples inside a window, each
//   counted for the time to the next sample (or the sampling interval
//   where the next comes after a pause), are the isolate's busy time for
//   that request: closest to Cloudflare's CPU time, which counts the
//   isolate's execution. V8's clock is CLOCK_MONOTONIC in µs, as
//   process.hrtime is in ns, so windows are taken with process.hrtime.
import { readdirSync, readFileSync } from "node:fs";

/** The pids of workerd processes this Node process started. */
export function workerdPids() {
  const pids = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${p}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === process.pid && comm === "workerd") pids.push(Number(p));
  }
  return pids;
}

/** A field of /proc/<pid>/task/<tid>/schedstat (ns), summed over the process's threads. */
function schedstatNs(pid, field) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[field]);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return ns;
}

/** CPU time (ns) the process's threads have run, as the kernel counts it. */
export const processCpuNs = (pid) => schedstatNs(pid, 0);

/** Time (ns) the process's threads waited on a run queue, ready but not running: the machine's other load. */
export const runqueueWaitNs = (pid) => schedstatNs(pid, 1);

/** Microseconds on the clock V8's profiles use. */
export const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Per-sample times of a V8 CPU profile: [{t, us, node}] where `us` is the
 * time to the next sample, or `intervalUs` when the isolate paused before it
 * (a gap longer than 4 intervals). "(idle)" samples are left out.
 * @param {{startTime: number, samples: number[], timeDeltas: number[], nodes: {id: number, callFrame: {functionName: string, url: string, lineNumber: number}}[]}} profile
 * @param {number} intervalUs
 */
function sampleTimes(profile, intervalUs) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) byId.get(c).parent = n;
  const ts = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    ts.push(t);
  }
  const out = [];
  for (let i = 0; i < ts.length; i++) {
    const node = byId.get(profile.samples[i]);
    if (node.callFrame.functionName === "(idle)") continue;
    const gap = i + 1 < ts.length ? ts[i + 1] - ts[i] : intervalUs;
    out.push({ t: ts[i], us: gap > 4 * intervalUs ? intervalUs : gap, node });
  }
  return out;
}

/** "name file:line", "name wasm" or "name" (the runtime's own). */
function frameKey(node) {
  const f = node.callFrame;
  const where = f.url.startsWith("wasm") ? "wasm" : f.url ? `${f.url.split("/").pop()}:${f.lineNumber + 1}` : "";
  return `${f.functionName || "(anonymous)"}${where ? ` ${where}` : ""}`;
}

/**
 * The isolate's busy time (ms) inside each window [fromUs, toUs] (sorted,
 * not overlapping), and over all of them its time by function: `self` (the
 * function on top of the stack) and `total` (anywhere on the stack; after
 * an await a stack starts at the resumed async function).
 */
export function busyPerWindow(profile, windows, intervalUs) {
  const busy = windows.map(() => 0);
  /** @type {Map<string, number>} */
  const self = new Map();
  /** @type {Map<string, number>} */
  const total = new Map();
  let w = 0;
  for (const s of sampleTimes(profile, intervalUs)) {
    while (w < windows.length && s.t > windows[w][1]) w += 1;
    if (w === windows.length) break;
    if (s.t < windows[w][0]) continue;
    busy[w] += s.us / 1000;
    const key = frameKey(s.node);
    self.set(key, (self.get(key) ?? 0) + s.us / 1000);
    const onStack = new Set();
    for (let n = s.node; n && n.callFrame.functionName !== "(root)"; n = n.parent) onStack.add(frameKey(n));
    for (const k of onStack) total.set(k, (total.get(k) ?? 0) + s.us / 1000);
  }
  return { busy, self, total };
}
