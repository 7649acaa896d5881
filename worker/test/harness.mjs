// Starts the built worker (worker/dist) in workerd through Miniflare, and a
// collector on 127.0.0.1 that the worker forwards to.
import http from "node:http";
import assert from "node:assert/strict";
import { Miniflare } from "miniflare";
import { readFileSync } from "node:fs";
import { workerOptions } from "../miniflare.mjs";

// The tests decide against the fixture site config (tests/data), which
// exercises every feature (holdouts, experiments, saved groups, org rules),
// not against the demo site's built-in one.
export const SITE_CONFIG_JSON = readFileSync(new URL("../../tests/data/site-config.json", import.meta.url), "utf8");

export const KEYS = "k2:second-secret-0123456789,k1:first-secret-0123456789";
export const ADMIN_TOKEN = "admin-token-for-tests-only";
export const ORIGIN = "https://www.example.com";

// `rest`: other Miniflare options (`host` and `port` to serve over HTTP, for
// SDKs that make their own requests: `await mf.ready` is then the URL).
export async function startWorker({ vars = {}, queue = {}, ...rest } = {}) {
  const mf = new Miniflare(workerOptions({
    ...rest,
    vars: {
      NURTURE_KEYS: KEYS,
      ADMIN_TOKEN,
      ALLOWED_ORIGINS: `${ORIGIN},https://app.example.com`,
      RETRY_BASE_SECONDS: "1",
      RETRY_MAX_SECONDS: "2",
      COLLECTOR_TIMEOUT_MS: "1000",
      SITE_CONFIG_JSON,
      // The demo's forms and named accounts stand in for the missing ones
      // (production refuses to start without its own: test/deploy.test.mjs).
      NURTURE_DEMO: "true",
      // The tests play Cloudflare's edge: CF-Connecting-IP is the client's
      // address (per-IP limits, named accounts' ranges). The security tests
      // turn it off to show the header is not trusted elsewhere.
      BEHIND_CLOUDFLARE: "true",
      // Tests poll the admin routes; the limit itself is tested in trust.test.mjs.
      ADMIN_RATE_BURST: "100000",
      ...vars,
    },
    queue,
  }));
  await mf.ready;
  return mf;
}

/**
 * A collector that records the messages it receives (batch requests),
 * deduplicating each by its id. `fault(req)` decides per request: "ok", "fail" (503,
 * not stored), "rate" (429, not stored), "refuse" (400, not stored: dead-lettered at once), "hang" (stored, then never answered: the worker times out
 * and retries, so the collector sees a duplicate), or "drop" (connection
 * destroyed before anything is stored).
 *
 * For long runs (the soak): `keep: false` keeps only the ids, not the
 * messages; `hangMs` closes a hung request after that long rather than at
 * close(); `keepAliveMs` is the server's keep-alive timeout. A body that is
 * not JSON, or not `{batch: [...]}`, counts in `stats.unexpected`.
 *
 * Other destinations' formats: `keyOf(msg)` is a message's idempotency key
 * (default its `id`, the envelope's; `messageId` for Segment calls), and
 * `onRequest(req, raw)` sees every request with its raw body before the
 * fault (to check a signature or an Authorization header).
 */
export async function startCollector({ fault = () => "ok", onMessage, onRequest, keyOf = (msg) => msg?.id, keep = true, hangMs = null, keepAliveMs = 1000 } = {}) {
  const byKey = new Map();
  const stats = { requests: 0, batches: 0, stored: 0, duplicates: 0, failed: 0, hung: 0, dropped: 0, missingKey: 0, unexpected: 0 };
  const hanging = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      stats.requests += 1;
      onRequest?.(req, Buffer.concat(chunks));
      const mode = fault(req);
      if (mode === "fail") {
        stats.failed += 1;
        res.writeHead(503, { "content-type": "application/json" }).end('{"error":"unavailable"}');
        return;
      }
      if (mode === "rate") {
        // Too many requests (429): worth retrying, like a 503.
        stats.rateLimited = (stats.rateLimited ?? 0) + 1;
        res.writeHead(429, { "content-type": "application/json", "retry-after": "1" }).end('{"error":"rate limited"}');
        return;
      }
      if (mode === "refuse") {
        // A permanent refusal (4xx): the worker dead-letters at once.
        stats.refused = (stats.refused ?? 0) + 1;
        res.writeHead(400, { "content-type": "application/json" }).end('{"error":"refused"}');
        return;
      }
      if (mode === "drop") {
        stats.dropped += 1;
        req.socket.destroy();
        return;
      }
      // The worker sends {batch: [message, ...]}: each message is deduplicated
      // by its own id (its idempotency key); the request's Idempotency-Key
      // names the batch.
      if (!req.headers["idempotency-key"]) stats.missingKey += 1;
      let body = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        stats.unexpected += 1;
      }
      if (body !== null) {
        stats.batches += 1;
        if (!Array.isArray(body?.batch)) stats.unexpected += 1;
      }
      for (const msg of body === null ? [] : Array.isArray(body.batch) ? body.batch : [body]) {
        const key = keyOf(msg);
        if (typeof key !== "string" || key === "") {
          stats.missingKey += 1;
          continue;
        }
        if (byKey.has(key)) stats.duplicates += 1;
        else {
          byKey.set(key, keep ? msg : true);
          stats.stored += 1;
          onMessage?.(msg);
        }
      }
      if (mode === "hang") {
        stats.hung += 1;
        hanging.add(res);
        if (hangMs !== null) {
          // Bounded: the worker gave up long before this.
          setTimeout(() => {
            hanging.delete(res);
            res.destroy();
          }, hangMs).unref();
        }
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  server.keepAliveTimeout = keepAliveMs;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/collect`,
    port,
    byKey,
    stats,
    /** Down for real: the port refuses connections until up(). */
    async down() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
    },
    async up() {
      await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The JSON body of a 200 answer; any other status fails with the body. */
export async function ok(res) {
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

/** `[status, error code]` of an error answer. */
export async function errorCode(res) {
  const text = await res.text();
  return [res.status, JSON.parse(text).error?.code];
}

/** mulberry32: random, but the same sequence for the same seed on every run. */
export function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function post(mf, body, { headers = {}, path = "/v1/events", method = "POST", raw } = {}) {
  return mf.dispatchFetch(`http://worker.test${path}`, {
    method,
    headers: { "content-type": "application/json", "cf-connecting-ip": "203.0.113.7", ...headers },
    body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Events a back-office system reports for a visitor (POST /v1/admin/events with the admin token). */
export function backOffice(mf, visitorId, events) {
  return mf.dispatchFetch("http://worker.test/v1/admin/events", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ visitorId, events }),
  });
}

export async function waitFor(predicate, { timeoutMs = 60_000, intervalMs = 50 } = {}) {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return true;
}
