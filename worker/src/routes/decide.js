// @ts-check
// GET /v1/decide: personalization decisions for the current visitor (for
// single-page apps; pages fronted by the worker get them embedded). Query:
// `path` (the app's current path, default "/"), `referrer`, `utm_*`.

import { HttpError } from "../errors.js";
import { json } from "../http.js";
import { limitClient } from "../ratelimit.js";
import { resolveVisitor, visitorHeaders } from "../identity.js";
import { decideFor, pageOf, utmOf } from "../personalize.js";

const KNOWN = new Set(["path", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]);

/**
 * @param {Request} request
 * @param {import("../config.js").Env} env
 * @param {ExecutionContext} ctx
 * @param {import("../config.js").Settings} s
 */
export async function decide(request, env, ctx, s) {
  limitClient(request, s);
  const url = new URL(request.url);
  const params = url.searchParams;
  for (const [k, v] of params) {
    if (!KNOWN.has(k)) throw new HttpError("unknown_field", `unknown parameter "${k.slice(0, 40)}"`);
    if (v.length > 1024) throw new HttpError("invalid_field", `${k}: longer than 1024 characters`, { field: k });
  }
  const path = params.get("path") ?? "/";
  if (!path.startsWith("/")) throw new HttpError("invalid_field", "path: expected a path starting with /", { field: "path" });

  // A bad token is an error here, as on every API route; no token mints a
  // visitor only where consent is not required (else decisions are made
  // for an anonymous visitor: no holdouts, no experiments).
  const who = await resolveVisitor(request, env, s, { mint: !s.consentRequired });
  const out = await decideFor(request, env, who, pageOf(path, null, params.get("referrer"), utmOf(params)));
  const headers = { "cache-control": "private, no-store", vary: "Cookie", ...(who.token === null ? {} : visitorHeaders(who, s)) };
  return json({
    segments: out.segments,
    primarySegment: out.primarySegment ?? null,
    decisions: out.decisions,
    recommendations: out.recommendations,
  }, 200, headers);
}
