// Loads the built package in Node the way a user of the web target does:
// the wasm bytes are read from disk and instantiated synchronously.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
export const pkgDir = process.env.NURTURE_PKG ?? path.join(here, "..", "..", "pkg");

const nurture = await import(path.join(pkgDir, "nurture.js"));
nurture.initSync({ module: readFileSync(path.join(pkgDir, "nurture_bg.wasm")) });
export default nurture;

/**
 * One build of the package (pkg/ or pkg/browser/) as a module instance of
 * its own: the query string keeps the builds from sharing one.
 */
export async function loadBuild(dir) {
  const mod = await import(`${path.join(dir, "nurture.js")}?${encodeURIComponent(dir)}`);
  mod.initSync({ module: readFileSync(path.join(dir, "nurture_bg.wasm")) });
  return mod;
}
