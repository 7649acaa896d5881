// A tiny static server for the demo site: www/ at the root, the built
// package at /pkg/ (so pages load /pkg/page/nurture.js), the demo's site
// config at /nurture/site-config.json and compiled at /nurture/site.nrc
// (demo/served.mjs), and a stand-in
// edge at /edge/v1/events that records the batches it receives, and any
// `routes` a test adds (URL path → {type, body}).
// `node tests/e2e/server.mjs [port]` serves on 127.0.0.1 and prints the URL.
import { createServer } from "node:http";
import { gzipSync } from "node:zlib";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SERVED, compileDemo } from "../../demo/served.mjs";

const here = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".json": "application/json", ".wasm": "application/wasm", ".svg": "image/svg+xml",
  ".pdf": "application/pdf", ".ts": "text/plain", ".nrc": "application/vnd.nurture.compiled",
};

// Compressed as a CDN would serve it (gzip), once per file version: the
// page's bytes on a throttled network are what a visitor downloads.
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".json", ".wasm", ".svg", ".nrc"]);
const gzipped = new Map();
function gzipOnce(file, mtimeMs, data) {
  const key = `${file}:${mtimeMs}`;
  let z = gzipped.get(key);
  if (!z) {
    z = gzipSync(data, { level: 6 });
    gzipped.set(key, z);
  }
  return z;
}

// `repo`: another checkout to serve www/ and pkg/ from (the start-up
// benchmark's baseline); its demo files are its own.
export async function serve(port = 0, routes = new Map(), { repo = here } = {}) {
  const demo = repo === here ? { SERVED, compileDemo } : await import(pathToFileURL(join(repo, "demo", "served.mjs")).href);
  await demo.compileDemo?.();
  /** @type {Map<string, string>} */
  const served = demo.SERVED;
  const received = []; // batches posted to the stand-in edge
  const edge = { fail: 0 }; // answer the next `fail` batches with 503
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (url.pathname === "/edge/v1/events") {
      res.setHeader("access-control-allow-origin", "*");
      res.setHeader("access-control-allow-headers", "content-type");
      if (req.method === "OPTIONS") return res.writeHead(204).end();
      let body = "";
      for await (const chunk of req) body += chunk;
      if (edge.fail > 0) { edge.fail--; return res.writeHead(503).end(); }
      try { received.push(JSON.parse(body)); } catch { return res.writeHead(400).end(); }
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ accepted: JSON.parse(body).events.length }));
    }
    const route = routes.get(url.pathname);
    if (route) {
      res.writeHead(200, { "content-type": route.type, "cache-control": "no-store" });
      return res.end(route.body);
    }
    const base = url.pathname.startsWith("/pkg/") ? repo : join(repo, "www");
    const demoFile = served.get(url.pathname);
    let file = demoFile ?? normalize(join(base, decodeURIComponent(url.pathname)));
    if (!demoFile && !file.startsWith(base)) return res.writeHead(403).end();
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        file = join(file, "index.html");
        info = await stat(file);
      }
      const data = await readFile(file);
      const headers = { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" };
      if (COMPRESSIBLE.has(extname(file)) && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
        const z = gzipOnce(file, info.mtimeMs, data);
        res.writeHead(200, { ...headers, "content-encoding": "gzip", vary: "accept-encoding" });
        return res.end(z);
      }
      res.writeHead(200, headers);
      res.end(data);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  await new Promise((ok) => server.listen(port, "127.0.0.1", ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, received, edge, close: () => new Promise((ok) => server.close(ok)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { origin } = await serve(Number(process.argv[2] ?? 8080));
  console.log(`nurture demo site: ${origin}/  (playground: ${origin}/playground.html)`);
}
