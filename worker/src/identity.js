// @ts-check
// Who the visitor of a request is: the one resolver every route asks
// (events, forms, decide, erasure and the personalized pages), answering one
// shape, and the headers that hand a new or re-signed token back. The
// tokens themselves (signing, verifying, where a request carries them) are
// token.js's.

import { HttpError } from "./errors.js";
import { verify, sign, newVisitorId, readToken, cookieFor, HEADER } from "./token.js";

/**
 * @typedef {import("./config.js").Env} Env
 * @typedef {import("./config.js").Settings} Settings
 */

/**
 * A request's visitor. `known`: the request presented a token and it
 * verified; `fresh`: `token` is not the one presented (minted, or re-signed
 * with the current key), so the answer must hand it back.
 * @typedef {object} Visitor
 * @property {string} visitorId
 * @property {string} token
 * @property {boolean} fresh
 * @property {boolean} known
 */

/**
 * No visitor: none presented, and none minted.
 * @typedef {{visitorId: null, token: null, fresh: false, known: false}} NoVisitor
 */

/**
 * @typedef {object} ResolveOptions
 * @property {unknown} [bodyToken] the token a body carries (a beacon's `visitorToken`), read after the header and before the cookie
 * @property {boolean} [mint] a new visitor when the request presents none (default true); false answers NoVisitor instead
 * @property {boolean} [required] a request that presents no token is refused (401 `visitor_required`)
 * @property {boolean} [lenient] a token the worker will not take counts as none, instead of a 401 (pages, where a bad cookie must never break the response)
 * @property {boolean} [expiry] check the token's expiry (default true); erasure does not: an expired token still proves whose data it is
 */

/** @type {NoVisitor} */
const NOBODY = { visitorId: null, token: null, fresh: false, known: false };

/**
 * Who the visitor of a request is. A presented token (the x-nurture-visitor
 * header, then `bodyToken`, then the cookie) is verified, and a bad one is
 * an error (401) unless `lenient`; one signed with an older key comes back
 * re-signed (`fresh`). Without a token: refused with `required`, else a new
 * visitor when `mint`, else nobody.
 * @overload
 * @param {Request} request
 * @param {Env} env
 * @param {Settings} s
 * @param {ResolveOptions & {mint?: true}} [options]
 * @returns {Promise<Visitor>}
 */
/**
 * @overload
 * @param {Request} request
 * @param {Env} env
 * @param {Settings} s
 * @param {ResolveOptions} options
 * @returns {Promise<Visitor | NoVisitor>}
 */
/**
 * @param {Request} request
 * @param {Env} env
 * @param {Settings} s
 * @param {ResolveOptions} [options]
 * @returns {Promise<Visitor | NoVisitor>}
 */
export async function resolveVisitor(request, env, s, { bodyToken = null, mint = true, required = false, lenient = false, expiry = true } = {}) {
  const presented = readToken(request, bodyToken);
  if (presented) {
    try {
      const v = await verify(env, presented, expiry ? s.tokenTtlSeconds : 0);
      const token = v.current ? presented : await sign(env, v.visitorId, v.issuedAt);
      return { visitorId: v.visitorId, token, fresh: !v.current, known: true };
    } catch (err) {
      // `lenient`: a token the worker will not take counts as none; a
      // worker without keys is still an error.
      if (!lenient || !(err instanceof HttpError) || err.code === "server_misconfigured") throw err;
    }
  }
  if (required) {
    throw new HttpError("visitor_required", "no visitor token: send the x-nurture-visitor token (or the cookie) this visitor was given");
  }
  if (!mint) return NOBODY;
  const visitorId = newVisitorId();
  return { visitorId, token: await sign(env, visitorId), fresh: true, known: false };
}

/**
 * The headers that hand the visitor its token: x-nurture-visitor always
 * (for pages on another origin, which cannot read the cookie), and the
 * cookie when `cookie` (by default: when the token is new).
 * @param {Visitor} who
 * @param {Settings} s
 * @param {boolean} [cookie]
 * @returns {Record<string, string>}
 */
export function visitorHeaders(who, s, cookie = who.fresh) {
  /** @type {Record<string, string>} */
  const headers = { [HEADER]: who.token };
  if (cookie) headers["set-cookie"] = cookieFor(who.token, s.tokenTtlSeconds);
  return headers;
}

/**
 * The visitor's Durable Object (one per visitor id).
 * @param {Env} env
 * @param {string} visitorId
 */
export function visitorStub(env, visitorId) {
  const stub = env.VISITORS.get(env.VISITORS.idFromName(visitorId));
  return /** @type {import("../types/env").Remote<import("./visitor.js").VisitorState>} */ (/** @type {unknown} */ (stub));
}
