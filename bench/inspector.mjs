// A minimal Chrome DevTools Protocol client for workerd's V8 inspector, to
// measure what each isolate holds separately from the process's RSS (which
// also counts workerd's allocator caches and every other isolate).
//
// workerd lists one target per worker (service) at /json/list, each its own
// V8 isolate: "core:user:<name>" is the user's worker, and the Durable
// Object classes it exports run in that same isolate; the others
// ("core:entry", "outbound:0", the queue broker, ...) are Miniflare's own.
//
// Two workerd specifics, found by trying them:
// - `HeapProfiler.collectGarbage` is answered only once the isolate runs its
//   next task (V8 posts the GC to the isolate's foreground task runner, which
//   workerd pumps when a request arrives). Under load that is at once; when
//   idle, `heapAfterGc` takes a `poke()` that sends a request.
// - `Runtime.evaluate` has no default execution context (each request runs
//   in its own), so sizes are read through the protocol, not by evaluating.
//
// Node 20 has no stable global WebSocket; `ws` is a dependency of miniflare
// (and resolved through it, so nothing beyond package.json is needed).
import { createRequire } from "node:module";

const requireFromMiniflare = createRequire(createRequire(import.meta.url).resolve("miniflare"));
const WebSocket = requireFromMiniflare("ws");

const withTimeout = (promise, ms, what) =>
  Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms).unref()),
  ]);

/** A CDP session on one target. */
export class InspectorSession {
  constructor(ws, id) {
    this.ws = ws;
    this.id = id;
    this.next = 0;
    this.pending = new Map();
    ws.on("message", (data) => {
      let msg;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      const waiter = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
      if (!waiter) return; // an event; none are enabled
      this.pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(`${waiter.method}: ${msg.error.message}`));
      else waiter.resolve(msg.result);
    });
    ws.on("close", () => {
      for (const w of this.pending.values()) w.reject(new Error(`${w.method}: inspector closed`));
      this.pending.clear();
    });
  }

  static async open(url, id) {
    const ws = new WebSocket(url);
    await withTimeout(new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    }), 10_000, `inspector ${url}`);
    return new InspectorSession(ws, id);
  }

  send(method, params = {}, timeoutMs = 30_000) {
    this.next += 1;
    const id = this.next;
    const answer = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, method }));
    this.ws.send(JSON.stringify({ id, method, params }));
    return withTimeout(answer, timeoutMs, method).finally(() => this.pending.delete(id));
  }

  /** {usedSize, totalSize, embedderHeapUsedSize, backingStorageSize} in bytes, for the whole isolate. */
  heapUsage() {
    return this.send("Runtime.getHeapUsage");
  }

  /**
   * A full GC, then the heap usage: what the isolate still holds. `poke`
   * sends a request so the isolate runs the GC task when idle.
   */
  async heapAfterGc(poke) {
    const gc = this.send("HeapProfiler.collectGarbage");
    if (poke) await Promise.all([gc, poke()]);
    else await gc;
    return this.heapUsage();
  }

  close() {
    this.ws.close();
  }
}

/** The targets workerd lists: [{id, webSocketDebuggerUrl, title}]. */
export async function listTargets(inspectorUrl) {
  const u = new URL(inspectorUrl);
  const res = await fetch(`http://${u.host}/json/list`);
  if (!res.ok) throw new Error(`/json/list: ${res.status}`);
  return res.json();
}

/**
 * Sessions on a Miniflare instance's isolates (it must have `inspectorPort`
 * set; 0 picks a free port). `match(id)` picks which targets, default all.
 * Returns a Map target id → InspectorSession.
 */
export async function inspectIsolates(mf, match = () => true) {
  const url = await mf.getInspectorURL();
  const sessions = new Map();
  for (const t of await listTargets(url)) {
    if (!match(t.id)) continue;
    sessions.set(t.id, await InspectorSession.open(t.webSocketDebuggerUrl, t.id));
  }
  return sessions;
}

/** The user worker's target id in workerd ("core:user:<name>"). */
export const userTarget = (name) => `core:user:${name}`;
