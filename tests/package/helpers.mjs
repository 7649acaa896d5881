// Shared by the package tests: the packed tarball (scripts/build-pkg.sh puts
// it in target/), fresh throwaway projects that install it offline, and the
// tools from the repository's own node_modules (vite, tsc, esbuild, ...),
// which are run against those projects without being installed in them.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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
