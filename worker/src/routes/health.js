// @ts-check
import { json } from "../http.js";
import { coreStats, withCore } from "../core.js";
import { documents } from "../source.js";
import { handoffConfig } from "../handoff/config.js";

/**
 * GET /v1/health: the core answers (a tiny score), with its restart count
 * and what it holds (wasm linear memory bytes, cached compiled configs), so
 * a soak can watch the isolate's memory from outside; and the version and
 * source of the documents it decides from (the version GET /v1/config serves).
 * @param {Request} request
 * @param {import("../config.js").Env} env
 */
export function health(request, env) {
  const grade = withCore(env, ({ model, site }) => {
    // Both documents compile, or health says why not (model_invalid,
    // site_config_invalid): a deploy is checked with this route.
    void site;
    return model.score({}, [], Date.now(), { breakdown: false }).grade;
  });
  handoffConfig(env); // a handoff document, when there is one, is valid (else handoff_config_invalid)
  const { version, source } = documents(env);
  return json({ ok: true, grade, core: coreStats(), config: { version, source } });
}

/**
 * What GET /v1/health answers when the worker cannot serve: the error every
 * other route answers (config_missing, invalid_variable, ...), its status,
 * and `ok: false`.
 * @param {import("../errors.js").HttpError} err
 */
export function unhealthy(err) {
  const error = { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) };
  return json({ ok: false, error }, err.status);
}
