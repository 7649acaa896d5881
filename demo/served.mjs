// The demo's files that the demo site serves, by URL path: the pages'
// runtime loads the site config compiled from /nurture/site.nrc, made from
// /nurture/site-config.json, the same file the edge worker bundles as its
// default (worker/src/core.js). Used by
// both servers of www/: worker/origin.mjs (the origin the worker fronts in
// `make demo`, the worker tests and the benchmark) and tests/e2e/server.mjs
// (`make www` and the browser tests).
import path from "node:path";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

export const DEMO = path.dirname(fileURLToPath(import.meta.url));

/** The demo's compiled config (src/compiled/): its site config and the
 * built-in model, compiled by the package's full build into target/. */
export const COMPILED = path.join(DEMO, "..", "target", "demo", "site.nrc");

/** @type {Map<string, string>} URL path → file */
export const SERVED = new Map([
  ["/nurture/site-config.json", path.join(DEMO, "site-config.json")],
  // What the demo pages load: compiled, so the page parses no JSON.
  ["/nurture/site.nrc", COMPILED],
]);

/**
 * Writes COMPILED from demo/site-config.json and the built-in model with
 * the built package (pkg/, `make pkg`): the same bytes the worker serves
 * at `GET /v1/config?format=compiled` for the demo. Both demo servers call
 * it before serving; without a built package it does nothing (the pages
 * then fail to load the config and keep their defaults, as without pkg/
 * they could not load nurture at all).
 * @returns {Promise<Uint8Array | null>}
 */
export async function compileDemo() {
  const pkg = path.join(DEMO, "..", "pkg", "node.js");
  if (!existsSync(pkg)) return null;
  const { compileConfig, defaultModel } = await import(pathToFileURL(pkg).href);
  const site = JSON.parse(readFileSync(path.join(DEMO, "site-config.json"), "utf8"));
  const bytes = compileConfig({ site, model: defaultModel() }, "edge");
  mkdirSync(path.dirname(COMPILED), { recursive: true });
  writeFileSync(COMPILED, bytes);
  return bytes;
}
