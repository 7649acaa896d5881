// @ts-check
import { json } from "../http.js";
import { coreStats, withCore } from "../core.js";

/**
 * GET /v1/health: the core answers (a tiny score), with its restart count
 * and what it holds (wasm linear memory bytes, cached compiled configs), so
 * a soak can watch the isolate's memory from outside.
 * @param {Request} request
 * @param {import("../config.js").Env} env
 */
export function health(request, env) {
  const grade = withCore(env, ({ model }) => model.score({}, [], Date.now(), { breakdown: false }).grade);
  return json({ ok: true, grade, core: coreStats() });
}
