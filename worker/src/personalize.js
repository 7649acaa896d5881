// @ts-check
// Personalization shared by GET /v1/decide and the HTML rewriting in
// site.js: who the visitor is (stored profile and server score), where they
// are (client IP, request.cf, the CIDR table, an optional MaxMind DB), and
// the decisions of the compiled site config.

import { withCore } from "./core.js";
import { visitorStub } from "./identity.js";
import { segmentIp, cfAttributes } from "./http.js";
import { settings } from "./config.js";

/**
 * @typedef {import("./config.js").Env} Env
 * @typedef {import("./identity.js").Visitor} Visitor
 * @typedef {import("./identity.js").NoVisitor} NoVisitor
 * @typedef {{path: string, url?: string, referrer?: string, utm?: Record<string, string>}} Page
 */

const MAX_PAGE_STRING = 1024;

/**
 * Page attributes, bounded: {path, url?, referrer?, utm?}.
 * @param {string} path
 * @param {string | null} url
 * @param {string | null} referrer
 * @param {Record<string, string>} [utm]
 */
export function pageOf(path, url, referrer, utm) {
  /** @type {Page} */
  const page = { path: String(path).slice(0, MAX_PAGE_STRING) };
  if (url) page.url = String(url).slice(0, MAX_PAGE_STRING);
  if (referrer) page.referrer = String(referrer).slice(0, MAX_PAGE_STRING);
  if (utm && Object.keys(utm).length) page.utm = utm;
  return page;
}

/** @param {URLSearchParams} params */
export function utmOf(params) {
  /** @type {Record<string, string>} */
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
 * @param {Request} request
 * @param {Env} env
 * @param {Visitor | NoVisitor} who
 * @param {Page} page
 * @returns {Promise<import("nurture").Decisions>}
 */
export async function decideFor(request, env, who, page) {
  /** @type {Record<string, unknown> | null} */
  let profile = null;
  /** @type {import("./enrich.js").Summary | null} */
  let score = null;
  if (who.known && who.visitorId) {
    const stored = await visitorStub(env, who.visitorId).profileOf();
    // Personalization may follow what the browser said of itself (a claim
    // changes what the visitor sees, nothing the sales team acts on).
    profile = { ...(stored.claimed ?? {}), ...stored.profile };
    score = stored.last;
  }
  /** @type {import("nurture").Visitor} */
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

/**
 * Whether the edge applies a decision itself (strings only; objects are the browser runtime's).
 * @param {import("nurture").Decision} d
 */
export function appliedAtEdge(d) {
  return d.variant === "default" || d.content === null || typeof d.content === "string";
}

/**
 * JSON for a `<script type="application/json">`: `<`, `>`, `&` and the
 * line separators escaped, so no content can close the element or open a
 * comment.
 * @param {unknown} value
 */
export function scriptJson(value) {
  return JSON.stringify(value).replace(SCRIPT_UNSAFE, (c) => SCRIPT_ESCAPES[c]);
}

// One pass over the text for all five.
const SCRIPT_UNSAFE = /[<>&\u2028\u2029]/g;
/** @type {Record<string, string>} */
const SCRIPT_ESCAPES = { "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029" };
