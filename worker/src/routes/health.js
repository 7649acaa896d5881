import { json } from "../http.js";
import { coreStats, withCore } from "../core.js";

/** GET /v1/health: the core answers (a tiny score) and its restart count. */
export function health(request, env) {
  const grade = withCore(env, ({ model }) => model.score({}, [], Date.now(), { breakdown: false }).grade);
  return json({ ok: true, grade, core: coreStats() });
}
