// What the end-to-end tests share: Debian's Chromium, headless, with the
// flags this machine needs (no sandbox as root; no background networking,
// which a closed network refuses), and the built worker on a local port.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { Miniflare } from "miniflare";
import { dist, workerOptions } from "../../worker/miniflare.mjs";
import { startCollector } from "../../worker/test/harness.mjs";
import { serve } from "./server.mjs";

export function launchChromium() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
}

/**
 * The built worker (worker/dist) in workerd through Miniflare on
 * 127.0.0.1 and a free port, with the given vars: `{mf, url}`.
 */
export async function startBuiltWorker(vars) {
  assert.ok(existsSync(path.join(dist, "index.js")), "worker/dist is missing: run scripts/build-pkg.sh && node worker/build.mjs");
  // As on Cloudflare's edge, CF-Connecting-IP names the client (the tests
  // set it to play a named account's address).
  const mf = new Miniflare(workerOptions({ host: "127.0.0.1", port: 0, vars: { BEHIND_CLOUDFLARE: "true", NURTURE_DEMO: "true", ...vars } }));
  return { mf, url: await mf.ready };
}

/**
 * What most end-to-end tests stand on: the www site on a free port, a
 * recording collector, the built worker (its vars from `varsOf(site,
 * collector)`, which name their addresses) and Chromium. `close()` stops
 * them in the reverse order; a start that fails stops what had started.
 * @param {(site: any, collector: any) => Record<string, string>} varsOf
 * @param {{routes?: Map<string, {type: string, body: string}>}} [options]
 */
export async function startSiteAndWorker(varsOf, { routes } = {}) {
  const stack = { site: null, collector: null, mf: null, url: null, browser: null };
  stack.close = async () => {
    await stack.browser?.close();
    await stack.mf?.dispose();
    await stack.collector?.close();
    await stack.site?.close();
  };
  try {
    stack.site = await serve(0, routes);
    stack.collector = await startCollector();
    ({ mf: stack.mf, url: stack.url } = await startBuiltWorker(varsOf(stack.site, stack.collector)));
    stack.browser = await launchChromium();
  } catch (err) {
    await stack.close();
    throw err;
  }
  return stack;
}
