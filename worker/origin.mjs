// A static origin for the worker to front: serves www/ (or another folder)
// on 127.0.0.1, "/" and folders as their index.html, and with www/ the
// demo's site config (demo/served.mjs). Used by worker/dev.mjs, the tests
// and the benchmark. `extra` maps a path to {type, body, headers} for pages
// a test needs.
import http from "node:http";
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { here } from "./miniflare.mjs";
import { SERVED, compileDemo } from "../demo/served.mjs";

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
  ".nrc": "application/vnd.nurture.compiled",
  ".pdf": "application/pdf",
};

/**
 * The file a request path names, or an HTTP status to refuse it with. Only
 * files under `root` are served, and under /pkg/ only files under `pkgRoot`
 * itself. The checks run on the path as the client sent it (Node does not
 * normalize `req.url`): an encoded separator, a backslash or a control
 * character is refused before decoding, so decoding can never make a
 * separator or a dot segment that was not visibly there; after joining, the
 * real path (symlinks resolved) must still lie under the base.
 */
async function resolveFile(rawUrl, root, pkgRoot) {
  if (!rawUrl.startsWith("/")) return { status: 400 };
  const raw = rawUrl.split(/[?#]/, 1)[0];
  if (/[\x00-\x1f\x7f\\]/.test(raw) || /%(?:[01][0-9a-f]|7f|2f|5c)/i.test(raw)) return { status: 400 };
  let rel;
  try {
    rel = decodeURIComponent(raw);
  } catch {
    return { status: 400 }; // malformed percent-encoding
  }
  const segments = rel.split("/");
  if (segments.some((seg) => seg === "." || seg === "..")) return { status: 400 };
  // Dotfiles (.git, .env, …) are never part of the site.
  if (segments.some((seg) => seg.startsWith("."))) return { status: 404 };
  if (rel.endsWith("/")) rel += "index.html";
  let base = root;
  if (pkgRoot && rel.startsWith("/pkg/")) {
    base = pkgRoot;
    rel = rel.slice("/pkg".length);
  }
  let real;
  let realBase;
  try {
    realBase = await realpath(base);
    real = await realpath(path.join(base, rel));
  } catch {
    return { status: 404 };
  }
  if (!real.startsWith(realBase + path.sep)) return { status: 403 };
  return { file: real };
}

/** `pkgRoot`, when given, serves the built package under /pkg/ too, so the
 * demo pages can load the page runtime (/pkg/page/nurture.js). */
export async function startOrigin({ root = WWW, port = 0, extra = {}, pkgRoot = null } = {}) {
  if (root === WWW) await compileDemo();
  const stats = { requests: 0 };
  const server = http.createServer(async (req, res) => {
    stats.requests += 1;
    // Parsed against a fixed base by concatenation, so a path like
    // `//host/x` stays a path instead of becoming an authority.
    let pathname = null;
    try {
      pathname = new URL(`http://origin.local${req.url.startsWith("/") ? req.url : `/${req.url}`}`).pathname;
    } catch {
      // not a URL at all: resolveFile refuses it below
    }
    const own = pathname === null ? undefined : extra[pathname];
    if (own) {
      res.writeHead(own.status ?? 200, { "content-type": own.type ?? "text/html; charset=utf-8", ...(own.headers ?? {}) }).end(own.body);
      return;
    }
    const plain = { "content-type": "text/plain; charset=utf-8" };
    // Matched as written: no decoding, no dot segments.
    const demo = root === WWW ? SERVED.get(req.url.split(/[?#]/, 1)[0]) : undefined;
    const { file, status } = demo ? { file: demo, status: 200 } : await resolveFile(req.url, root, pkgRoot);
    if (!file) {
      res.writeHead(status, plain).end(status === 400 ? "bad request" : status === 403 ? "forbidden" : "not found");
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
      // a folder without a trailing slash, or gone since realpath
      res.writeHead(404, plain).end("not found");
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
