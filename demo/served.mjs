// The demo's files that the demo site serves, by URL path: the pages'
// runtime loads the site config from /nurture/site-config.json, the same
// file the edge worker bundles as its default (worker/src/core.js). Used by
// both servers of www/: worker/origin.mjs (the origin the worker fronts in
// `make demo`, the worker tests and the benchmark) and tests/e2e/server.mjs
// (`make www` and the browser tests).
import path from "node:path";
import { fileURLToPath } from "node:url";

export const DEMO = path.dirname(fileURLToPath(import.meta.url));

/** @type {Map<string, string>} URL path → file */
export const SERVED = new Map([["/nurture/site-config.json", path.join(DEMO, "site-config.json")]]);
