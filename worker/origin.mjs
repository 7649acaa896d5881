// A static origin for the worker to front: serves www/ (or another folder)
// on 127.0.0.1, "/" and folders as their index.html. Used by worker/dev.mjs,
// the tests and the benchmark. `extra` maps a path to {type, body, headers}
// for pages a test needs.
import http from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { here } from "./miniflare.mjs";

export const WWW = path.join(here, "..", "www");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wasm": "application/wasm",
  ".pdf": "application/pdf",
};

/** `pkgRoot`, when given, serves the built package under /pkg/ too, so the
 * demo pages can load the browser runtime (/pkg/browser/nurture.js). */
export async function startOrigin({ root = WWW, port = 0, extra = {}, pkgRoot = null } = {}) {
  const stats = { requests: 0 };
  const server = http.createServer(async (req, res) => {
    stats.requests += 1;
    const url = new URL(req.url, "http://origin.local");
    const own = extra[url.pathname];
    if (own) {
      res.writeHead(own.status ?? 200, { "content-type": own.type ?? "text/html; charset=utf-8", ...(own.headers ?? {}) }).end(own.body);
      return;
    }
    let rel = decodeURIComponent(url.pathname);
    if (rel.endsWith("/")) rel += "index.html";
    const base = pkgRoot && rel.startsWith("/pkg/") ? path.dirname(pkgRoot) : root;
    const file = path.normalize(path.join(base, rel));
    if (!file.startsWith(base + path.sep)) {
      res.writeHead(403).end("forbidden");
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
        "cache-control": "public, max-age=300",
        etag: `"${body.length}-${body[0] ?? 0}"`,
      }).end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found");
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    stats,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
