// @ts-check
// Operator routes, behind `Authorization: Bearer <ADMIN_TOKEN>`.
// POST /v1/admin/replay {limit?, destination?}: sends dead letters again,
//   each to its own destination only (straight to it; what fails again goes
//   back through the queue), and removes from the store what was delivered
//   or re-queued. `destination` replays that destination's only.
// GET /v1/admin/dead-letters[?destination=ID]: how many are waiting (in
//   all and per destination), how many were ever filed, and the first ones.

import { HttpError } from "../errors.js";
import { json, readJson } from "../http.js";
import { limitAdmin } from "../ratelimit.js";
import { settings } from "../config.js";
import { deadLetters, forwardMessages } from "../forward.js";
import { sha256 } from "../digest.js";
import { DESTINATION_ID } from "../destinations/config.js";

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
  /** @type {string | undefined} */
  let destination;
  if (request.headers.get("content-length") !== "0" && request.body !== null) {
    const body = await readJson(request, s);
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw new HttpError("invalid_body", "expected {limit?, destination?}");
    const { limit: asked, destination: which, ...other } = /** @type {{limit?: unknown, destination?: unknown}} */ (body);
    const unknown = Object.keys(other);
    if (unknown.length) throw new HttpError("unknown_field", `${unknown[0]}: replay takes limit and destination`, { field: unknown[0] });
    if (asked !== undefined) {
      if (typeof asked !== "number" || !Number.isInteger(asked) || asked < 1 || asked > 5000) {
        throw new HttpError("invalid_field", "limit: an integer from 1 to 5000", { field: "limit" });
      }
      limit = asked;
    }
    if (which !== undefined) destination = destinationParam(which);
  }
  const store = deadLetters(env);
  const items = await store.list(limit, destination);
  /** @type {Map<string, typeof items>} */
  const groups = new Map();
  for (const item of items) {
    const d = item.key.slice(0, item.key.indexOf("/"));
    groups.set(d, [...(groups.get(d) ?? []), item]);
  }
  const configured = new Set(s.destinations.map((d) => d.id));
  const outcome = { delivered: 0, requeued: 0, deadLettered: 0, unconfigured: 0 };
  /** @type {Record<string, {replayed: number, delivered: number, requeued: number, deadLettered: number}>} */
  const byDestination = {};
  await Promise.all([...groups].map(async ([d, group]) => {
    // A destination no longer configured keeps its dead letters.
    if (!configured.has(d)) {
      outcome.unconfigured += group.length;
      return;
    }
    const r = await forwardMessages(env, group.map((i) => i.body), { only: d });
    await store.remove(r.delivered.concat(r.queued));
    byDestination[d] = { replayed: group.length, delivered: r.delivered.length, requeued: r.queued.length, deadLettered: r.deadLettered.length };
    outcome.delivered += r.delivered.length;
    outcome.requeued += r.queued.length;
    outcome.deadLettered += r.deadLettered.length;
  }));
  return json({ replayed: items.length, ...outcome, byDestination, remaining: await store.count() });
}

/**
 * A destination id from a request (it need not be configured: dead letters
 * of a destination since removed can still be listed).
 * @param {unknown} value
 */
function destinationParam(value) {
  if (typeof value !== "string" || !DESTINATION_ID.test(value)) {
    throw new HttpError("invalid_field", "destination: a destination id (a-z, 0-9, _ and -, at most 32)", { field: "destination" });
  }
  return value;
}

/**
 * @param {Request} request
 * @param {Env} env
 */
export async function listDeadLetters(request, env) {
  await authorize(request, env);
  const url = new URL(request.url);
  for (const name of url.searchParams.keys()) {
    if (name !== "destination") throw new HttpError("unknown_field", `${name}: the only parameter is destination`, { field: name });
  }
  const which = url.searchParams.get("destination");
  const destination = which === null ? undefined : destinationParam(which);
  const store = deadLetters(env);
  const items = await store.list(20, destination);
  const { count, byDestination } = await store.counts();
  return json({
    count: destination === undefined ? count : byDestination[destination] ?? 0,
    filed: await store.filed(destination),
    byDestination,
    first: items.map((i) => ({ id: i.body.id, destination: i.key.slice(0, i.key.indexOf("/")), reason: i.reason, attempts: i.attempts, failedAt: i.failedAt })),
  });
}
