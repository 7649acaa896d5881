// Shared by the package tests: the packed tarball (scripts/build-pkg.sh puts
// it in target/), fresh throwaway projects that install it offline, the
// tools from the repository's own node_modules (vite, tsc, esbuild, webpack,
// rollup, ...), which are run against those projects without being
// installed in them, a static server for built pages and headless Chromium.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const bin = (name) => path.join(root, "node_modules", ".bin", name);

export function tarball() {
  const dir = path.join(root, "target");
  const found = readdirSync(dir).filter((f) => /^nurture-.*\.tgz$/.test(f));
  if (found.length !== 1) throw new Error(`expected one nurture-*.tgz in target/ (run scripts/build-pkg.sh), found ${found}`);
  return path.join(dir, found[0]);
}

/**
 * A new project under target/package-tests/<name> with the tarball installed
 * from the file (no registry), and `files` written into it.
 */
export function freshProject(name, files = {}, packageJson = {}) {
  const dir = path.join(root, "target", "package-tests", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "package.json"),
    JSON.stringify({ name: `consumer-${name}`, private: true, type: "module", ...packageJson }, null, 2));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--no-package-lock", "--silent", tarball()],
    { cwd: dir, stdio: ["ignore", "inherit", "inherit"] });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** Runs a command; returns {status, stdout, stderr} without throwing. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  return r;
}

const contentTypes = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };

/**
 * Serves `dir` on 127.0.0.1 (a random port) as a static host would: a file
 * that is not there is a 404 with an HTML page, the answer a page gets when
 * its bundler did not emit the wasm; with `spa`, as a single-page app's host
 * does, index.html with 200 instead.
 */
export function serve(dir, { spa = false } = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const file = path.join(dir, url.pathname === "/" ? "index.html" : decodeURIComponent(url.pathname));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": contentTypes[path.extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      if (spa) res.writeHead(200, { "content-type": "text/html" }).end(readFileSync(path.join(dir, "index.html")));
      else res.writeHead(404, { "content-type": "text/html" }).end("<!doctype html><title>Not found</title><h1>404 Not Found</h1>");
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** Headless Chromium as every package test launches it. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
}

/**
 * Bundles a Worker entry of a fresh project into `outdir`/index.js the way
 * wrangler does: esbuild, ESM, the conditions workerd/worker/browser, and
 * every .wasm import kept as an import of a CompiledWasm module copied
 * beside the script (wrangler's default module rule). wrangler itself needs
 * Node 22; this machine and CI run Node 20.
 */
export async function bundleWorker(dir, entry, outdir) {
  const { build } = await import("esbuild");
  const compiledWasm = {
    name: "compiled-wasm",
    setup(b) {
      b.onResolve({ filter: /\.wasm$/ }, (args) => {
        const file = path.resolve(args.resolveDir, args.path);
        mkdirSync(outdir, { recursive: true });
        copyFileSync(file, path.join(outdir, path.basename(file)));
        return { path: `./${path.basename(file)}`, external: true };
      });
    },
  };
  await build({
    entryPoints: [path.join(dir, entry)],
    outfile: path.join(outdir, "index.js"),
    absWorkingDir: dir,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"],
    plugins: [compiledWasm],
    logLevel: "warning",
  });
}
