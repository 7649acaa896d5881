// @ts-check
// Operator routes, behind `Authorization: Bearer <ADMIN_TOKEN>`.
// POST /v1/admin/replay {limit?}: sends dead letters again (straight to the
//   collector; what fails again goes back through the queue) and removes
//   from the store what was delivered or re-queued.
// GET /v1/admin/dead-letters: how many are waiting, and the first ids.

import { HttpError } from "../errors.js";
import { json, readJson } from "../http.js";
import { limitAdmin } from "../ratelimit.js";
import { settings } from "../config.js";
import { deadLetters, forwardMessages } from "../forward.js";
import { sha256 } from "../digest.js";

/**
 * @typedef {import("../config.js").Env} Env
 * @typedef {import("../config.js").Settings} Settings
 */

/**
 * An operator's (or a back-office system's) request: `Authorization: Bearer`
 * with the secret of one of `names` (ADMIN_TOKEN by default), compared in
 * constant time. Rate-limited before the comparison.
 * @param {Request} request
 * @param {Env} env
 * @param {("ADMIN_TOKEN" | "INGEST_TOKEN")[]} [names]
 */
export async function authorize(request, env, names = ["ADMIN_TOKEN"]) {
  limitAdmin(request, settings(env));
  const secrets = names.map((n) => env[n]).filter(/** @returns {v is string} */ (v) => typeof v === "string" && v !== "");
  if (secrets.length === 0) throw new HttpError("admin_disabled", `${names.join(" / ")} is not set: this route is off`);
  const header = request.headers.get("authorization") ?? "";
  const given = header.startsWith("Bearer ") ? header.slice(7) : "";
  // Compare digests, equal in length, in constant time, against every
  // configured secret (no early exit that would tell which one matched).
  const a = sha256(given);
  let match = false;
  for (const secret of secrets) {
    if (crypto.subtle.timingSafeEqual(a, sha256(secret))) match = true;
  }
  if (!given || !match) {
    throw new HttpError("unauthorized", "a valid admin token is required");
  }
}

/**
 * @param {Request} request
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {Settings} s
 */
export async function replay(request, env, ctx, s) {
  await authorize(request, env);
  let limit = s.replayLimit;
  if (request.headers.get("content-length") !== "0" && request.body !== null) {
    const body = await readJson(request, s);
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw new HttpError("invalid_body", "expected {limit?}");
    const { limit: asked } = /** @type {{limit?: unknown}} */ (body);
    if (asked !== undefined) {
      if (typeof asked !== "number" || !Number.isInteger(asked) || asked < 1 || asked > 5000) {
        throw new HttpError("invalid_field", "limit: an integer from 1 to 5000", { field: "limit" });
      }
      limit = asked;
    }
  }
  const store = deadLetters(env);
  const items = await store.list(limit);
  const outcome = await forwardMessages(env, items.map((i) => i.body));
  const done = outcome.delivered.concat(outcome.queued);
  await store.remove(done);
  return json({
    replayed: items.length,
    delivered: outcome.delivered.length,
    requeued: outcome.queued.length,
    deadLettered: outcome.deadLettered.length,
    remaining: await store.count(),
  });
}

/**
 * @param {Request} request
 * @param {Env} env
 */
export async function listDeadLetters(request, env) {
  await authorize(request, env);
  const store = deadLetters(env);
  const items = await store.list(20);
  return json({ count: await store.count(), filed: await store.filed(), first: items.map((i) => ({ id: i.body.id, reason: i.reason, attempts: i.attempts, failedAt: i.failedAt })) });
}
