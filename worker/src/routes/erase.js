// @ts-check
// Erasure (GDPR Art. 17) of a visitor's data held at the edge.
// DELETE /v1/visitor: the visitor's own request, identified like every
//   browser route (x-nurture-visitor header, else the cookie), behind the
//   same Origin allow-list; the cookie is expired in the answer.
// POST /v1/admin/erase {visitorIds: [...]}: an operator's request (ADMIN_TOKEN
//   bearer, never from a browser), e.g. after a data-subject request that
//   arrived by e-mail and was matched to visitor ids at the collector.
// Each erasure: the visitor's dead letters are purged and the id recorded so
// later failures are not filed (deadletter.js), the visitor's Durable Object
// storage is deleted with a tombstone left (visitor.js), the Segment
// identity links to it are deleted (links.js), and on the first
// erasure a `Visitor Erased` signal goes to the collector through the
// forwarding path (direct, else queue, else dead-letter store) so the
// collector erases its copy too.

import { HttpError } from "../errors.js";
import { json, readJson } from "../http.js";
import { limitClient } from "../ratelimit.js";
import { COOKIE, VISITOR_ID } from "../token.js";
import { resolveVisitor, visitorStub } from "../identity.js";
import { deadLetters, forwardMessages } from "../forward.js";
import { authorize } from "./admin.js";
import { unlinkVisitors } from "../links.js";

/**
 * @typedef {import("../config.js").Env} Env
 * @typedef {import("../config.js").Settings} Settings
 */

export const EXPIRED_COOKIE = `${COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=None`;

/**
 * The erasure signal: one per visitor (its id is fixed by the visitor, so a
 * resend is dropped by the collector's dedup) and no profile or score: it
 * must not carry what it asks to erase.
 * @param {string} visitorId
 * @param {number} erasedAt
 * @param {"visitor" | "operator"} requestedBy
 * @returns {import("../enrich.js").Signal}
 */
export function erasureSignal(visitorId, erasedAt, requestedBy) {
  const at = new Date(erasedAt).toISOString();
  return {
    kind: "signal",
    id: `era_${visitorId}`,
    visitorId,
    receivedAt: erasedAt,
    event: { type: "track", event: "Visitor Erased", timestamp: at, properties: { erasedAt: at, requestedBy } },
    profile: {},
    score: null,
  };
}

/**
 * Erases each visitor; returns the outcome per id, in order.
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {string[]} visitorIds
 * @param {"visitor" | "operator"} requestedBy
 */
async function eraseAll(env, ctx, visitorIds, requestedBy) {
  const now = Date.now();
  // Dead letters first: from here on none is filed for these visitors, so
  // nothing can slip in between this purge and the state's deletion.
  const purged = await deadLetters(env).purge(visitorIds, now);
  // The identity links to them (links.js): a userId stops naming them.
  await unlinkVisitors(env, visitorIds);
  const outcomes = await Promise.all(visitorIds.map(async (visitorId) => {
    const r = await visitorStub(env, visitorId).erase({ now });
    return {
      visitorId,
      erased: r.first,
      erasedAt: new Date(r.erasedAt).toISOString(),
      removed: { events: r.events, profileFields: r.profileFields, score: r.score, deadLetters: purged[visitorId] ?? 0 },
    };
  }));
  const signals = outcomes.filter((o) => o.erased).map((o) => erasureSignal(o.visitorId, now, requestedBy));
  if (signals.length) ctx.waitUntil(forwardMessages(env, signals));
  return outcomes;
}

/**
 * @param {Request} request
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {Settings} s
 */
export async function eraseVisitor(request, env, ctx, s) {
  limitClient(request, s);
  // No expiry check: a visitor whose token has expired still owns the data
  // stored under it, and the signature proves the token is theirs.
  const who = await resolveVisitor(request, env, s, { mint: false, expiry: false });
  if (who.visitorId === null) {
    throw new HttpError("no_visitor", "no visitor token (x-nurture-visitor header or cookie): nothing to erase");
  }
  const [outcome] = await eraseAll(env, ctx, [who.visitorId], "visitor");
  return json({ ...outcome, collectorNotified: outcome.erased }, 200, { "set-cookie": EXPIRED_COOKIE });
}

/**
 * @param {Request} request
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {Settings} s
 */
export async function adminErase(request, env, ctx, s) {
  await authorize(request, env);
  const body = /** @type {{visitorIds?: unknown} | null} */ (await readJson(request, s));
  if (body === null || typeof body !== "object" || Array.isArray(body) || !Array.isArray(body.visitorIds)) {
    throw new HttpError("invalid_body", "expected {visitorIds: [...]}");
  }
  /** @type {unknown[]} */
  const ids = body.visitorIds;
  if (ids.length === 0) throw new HttpError("invalid_field", "visitorIds: the list is empty", { field: "visitorIds" });
  if (ids.length > s.maxEraseIds) {
    throw new HttpError("too_many_ids", `visitorIds: at most ${s.maxEraseIds} per request`, { field: "visitorIds" });
  }
  const invalid = ids.flatMap((v, index) => (typeof v === "string" && VISITOR_ID.test(v) ? [] : [index]));
  if (invalid.length) {
    // All or nothing: a typo in one id must not leave the operator guessing
    // which of the others were erased.
    throw new HttpError("invalid_visitor_id", "visitorIds: each must be a visitor id (22 characters of [A-Za-z0-9_-]); nothing was erased", { invalid });
  }
  const outcomes = await eraseAll(env, ctx, [...new Set(/** @type {string[]} */ (ids))], "operator");
  return json({ erased: outcomes.filter((o) => o.erased).length, visitors: outcomes });
}
