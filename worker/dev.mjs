// Runs the built worker (worker/dist) on localhost in workerd through
// Miniflare, with the built-in model, in front of a local origin serving www/
// (so http://127.0.0.1:8787/ is the personalized site), and a local
// collector that appends every message it receives, one JSON line each, to
// target/collector.jsonl.
// Usage: node worker/dev.mjs [--port 8787] [--collector-port 8788] [--origin-port 8789]
// (build first: scripts/build-pkg.sh && node worker/build.mjs). Prints the
// URLs, then serves until Ctrl-C.
import http from "node:http";
import { appendFileSync, mkdirSync, existsSync } from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";
import { here, dist, workerOptions } from "./miniflare.mjs";
import { startOrigin } from "./origin.mjs";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const port = opt("port", 8787);
const collectorPort = opt("collector-port", 8788);
const originPort = opt("origin-port", 8789);
const root = path.join(here, "..");
const out = path.join(root, "target", "collector.jsonl");

if (!existsSync(path.join(dist, "index.js"))) {
  console.error("worker/dist is missing: run scripts/build-pkg.sh && node worker/build.mjs");
  process.exit(1);
}
mkdirSync(path.dirname(out), { recursive: true });

const seen = new Set();
const collector = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    // {batch: [message, ...]}, each message deduplicated by its id
    let body = null;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      // not JSON: nothing to record
    }
    for (const msg of Array.isArray(body?.batch) ? body.batch : []) {
      if (typeof msg?.id !== "string" || seen.has(msg.id)) continue;
      seen.add(msg.id);
      appendFileSync(out, `${JSON.stringify(msg)}\n`);
    }
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  });
});
await new Promise((resolve) => collector.listen(collectorPort, "127.0.0.1", resolve));

const origin = await startOrigin({ port: originPort, pkgRoot: path.join(root, "pkg") });

// Development keys and token only: production takes them from secrets.
// The write keys of the Segment-protocol routes (/v1/batch, /v1/track, ...):
// one for analytics.js on the demo's pages, one for a server SDK.
const BROWSER_WRITE_KEY = "wk_dev_browser_not_for_production";
const SERVER_WRITE_KEY = "wk_dev_server_not_for_production";
const mf = new Miniflare(workerOptions({
  host: "127.0.0.1",
  port,
  vars: {
    NURTURE_KEYS: "dev:dev-only-secret-not-for-production",
    ADMIN_TOKEN: "dev-admin-token",
    // The demo's site config, forms and named accounts (demo/); a deployed
    // worker without its own site config refuses every request instead.
    NURTURE_DEMO: "true",
    ALLOWED_ORIGINS: "http://localhost:8080,http://127.0.0.1:8080,http://localhost:8000,http://127.0.0.1:8000",
    COLLECTOR_URL: `http://127.0.0.1:${collectorPort}/collect`,
    HASH_EMAIL: "true",
    // Plays Cloudflare's edge, which sets CF-Connecting-IP itself: here the
    // header is what curl sends, so the demo can pretend to be a named
    // account's address. A worker deployed anywhere but behind Cloudflare
    // leaves BEHIND_CLOUDFLARE unset, and the header names nobody.
    BEHIND_CLOUDFLARE: "true",
    ORIGIN_URL: origin.url,
    WRITE_KEYS: `browser:${BROWSER_WRITE_KEY},server:${SERVER_WRITE_KEY}`,
  },
}));
const url = await mf.ready;
console.log(`nurture worker: ${url.href} (the personalized site, www/ served from ${origin.url}); API ${url.href}v1/events, ${url.href}v1/decide, ${url.href}v1/forms/contact`);
console.log(`as a named account (PetroChina Example, oil & gas hero): curl -s -H 'cf-connecting-ip: 203.0.113.10' ${url.href} | grep -A2 'data-nurture-slot="hero"'`);
console.log(`collector: http://127.0.0.1:${collectorPort}/collect -> ${path.relative(root, out)}`);
console.log(`try: curl -s -H 'content-type: application/json' -d '{"events":[{"type":"page","properties":{"path":"/pricing"}}]}' ${url.href}v1/events`);
// Segment and RudderStack SDKs: apiHost / dataPlaneUrl is the worker (docs/segment.md).
console.log(`Segment / RudderStack SDKs: ${url.href}v1/batch (apiHost "${url.host}/v1", protocol "http"; dataPlaneUrl "${url.origin}"); write keys: browser ${BROWSER_WRITE_KEY}, server ${SERVER_WRITE_KEY}`);
console.log(`try: curl -s -u ${SERVER_WRITE_KEY}: -H 'content-type: application/json' -d '{"batch":[{"type":"track","event":"Webinar Attended","userId":"dev-user-1"}]}' ${url.href}v1/batch`);

const stop = async () => {
  await mf.dispose();
  await origin.close();
  collector.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
