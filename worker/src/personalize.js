// Personalization shared by GET /v1/decide and the HTML rewriting in
// site.js: who the visitor is (stored profile and server score), where they
// are (client IP, request.cf, the CIDR table, an optional MaxMind DB), and
// the decisions of the compiled site config.

import { withCore } from "./core.js";
import { segmentIp, cfAttributes } from "./http.js";
import { settings } from "./config.js";

const MAX_PAGE_STRING = 1024;

/** Page attributes, bounded: {path, url?, referrer?, utm?}. */
export function pageOf(path, url, referrer, utm) {
  const page = { path: String(path).slice(0, MAX_PAGE_STRING) };
  if (url) page.url = String(url).slice(0, MAX_PAGE_STRING);
  if (referrer) page.referrer = String(referrer).slice(0, MAX_PAGE_STRING);
  if (utm && Object.keys(utm).length) page.utm = utm;
  return page;
}

export function utmOf(params) {
  const utm = {};
  for (const k of ["source", "medium", "campaign", "term", "content"]) {
    const v = params.get(`utm_${k}`);
    if (v !== null && v !== "") utm[k] = v.slice(0, 200);
  }
  return utm;
}

/**
 * Decides every slot for the visitor `who` ({visitorId, known}) on `page`.
 * Reads the stored profile and score from the visitor's Durable Object when
 * the visitor is known. Returns {segments, primarySegment, decisions,
 * recommendations}.
 */
export async function decideFor(request, env, who, page) {
  let profile = null;
  let score = null;
  if (who.known && who.visitorId) {
    const stored = await env.VISITORS.get(env.VISITORS.idFromName(who.visitorId)).profileOf();
    // Personalization may follow what the browser said of itself (a claim
    // changes what the visitor sees, nothing the sales team acts on).
    profile = { ...(stored.claimed ?? {}), ...stored.profile };
    score = stored.last;
  }
  const visitor = {
    id: who.visitorId ?? null,
    ip: segmentIp(request, settings(env)),
    request: cfAttributes(request),
    profile,
    score,
    page,
  };
  return withCore(env, ({ site, tables }) => site.decide(visitor, tables));
}

/** Whether the edge applies a decision itself (strings only; objects are the browser runtime's). */
export function appliedAtEdge(d) {
  return d.variant === "default" || d.content === null || typeof d.content === "string";
}

/**
 * JSON for a `<script type="application/json">`: `<`, `>`, `&` and the
 * line separators escaped, so no content can close the element or open a
 * comment.
 */
export function scriptJson(value) {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
