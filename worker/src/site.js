// @ts-check
// The worker in front of the site (ORIGIN_URL): every request outside /v1/
// goes to the origin; a text/html answer to a GET is personalized on its way
// through. The decisions are made before the first byte is sent, then
// HTMLRewriter streams the page: `[data-nurture-slot]` elements get their
// variant (text set as text; `html-template` variants, which only come from
// the trusted site config, as HTML), are marked `data-nurture-applied`, and
// the decisions are embedded as `<script type="application/json"
// id="nurture-decisions">` so the browser runtime does not redo them.
// With EMBED_CONFIG, the compiled site config and model follow (base64 in
// `<script type="application/vnd.nurture.compiled" id="nurture-config">`):
// the page hands it to `start({config})` and needs no request for it.
//
// Caching: a personalized page is `Cache-Control: private, no-store` (with
// `Vary: Cookie` as a second line of defence, and the origin's validators
// and CDN cache headers removed), so no shared cache can hand one visitor's
// page to another. The origin's own response can still be cached by the
// platform before the worker sees it: that copy is the unpersonalized one.
// Everything else (other methods, other types, other statuses, paths in
// PERSONALIZE_EXCLUDE, or an origin answering `X-Nurture-Personalize: off`)
// passes through untouched, headers included.
//
// The pass-through is not a proxy: it only ever fetches ORIGIN_URL's scheme,
// host and port, paths that could be read as another host or as a way out of
// the site's tree are refused (400 invalid_path), and the origin gets only the
// headers that are its business (not the visitor cookie or token, not
// Authorization unless FORWARD_AUTHORIZATION, no hop-by-hop headers).

import { cookieFor, COOKIE } from "./token.js";
import { resolveVisitor } from "./identity.js";
import { decideFor, pageOf, utmOf, appliedAtEdge, scriptJson } from "./personalize.js";
import { HttpError } from "./errors.js";
import { mergeVary } from "./http.js";
import { exposuresOf, recordExposures } from "./exposure.js";
import { compiledConfigBase64, COMPILED_TYPE } from "./routes/config.js";

/**
 * @typedef {import("./config.js").Env} Env
 * @typedef {import("./config.js").Settings} Settings
 */

const DROP_ON_PERSONALIZED = ["content-length", "etag", "last-modified", "expires", "age", "cdn-cache-control", "cloudflare-cdn-cache-control", "surrogate-control", "surrogate-key"];

/**
 * @param {string} path
 * @param {Settings} s
 */
function excluded(path, s) {
  return s.personalizeExclude.some((prefix) => path.startsWith(prefix));
}

// Hop-by-hop headers describe one connection, not the request: a proxy
// must not pass them on (RFC 9110 7.6.1).
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-authorization", "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade"];

// Headers that are the worker's own business: the visitor token and the form
// token are credentials for nurture, not for the site.
const WORKER_ONLY = ["x-nurture-visitor", "x-nurture-form-token"];

/**
 * Refuses a path that could steer the pass-through anywhere but the origin's
 * own tree. The target is built from ORIGIN_URL, so no path can change the
 * host; these spellings are refused anyway because they are how a path
 * escapes a prefix or reaches another host through a less careful hop (a
 * CDN, the origin's own router), and no real page needs them. Both the parsed
 * path and the raw request URL are checked: the parser has already turned
 * `\` into `/` and resolved dot segments, so the raw text is where some of
 * these still show.
 * @param {Request} request
 * @param {URL} url
 */
function checkPath(request, url) {
  const raw = rawPath(request.url);
  for (const p of [url.pathname, raw]) {
    const reason = badPath(p);
    if (reason) throw new HttpError("invalid_path", `the request path is not allowed here (${reason})`);
  }
}

/**
 * The path of a URL as written: after the authority, before `?` or `#`.
 * @param {string} href
 */
function rawPath(href) {
  const scheme = href.indexOf("://");
  const afterAuthority = scheme < 0 ? 0 : href.slice(scheme + 3).search(/[/\\?#]|$/) + scheme + 3;
  const rest = href.slice(afterAuthority);
  const end = rest.search(/[?#]|$/);
  return rest.slice(0, end);
}

/**
 * @param {string} p
 * @returns {string | null} why the path is refused
 */
function badPath(p) {
  if (/[\x00-\x1f\x7f]/.test(p) || /%(?:[01][0-9a-f]|7f)/i.test(p)) return "control character";
  if (p.includes("\\")) return "backslash";
  if (/%(?:2f|5c)/i.test(p)) return "encoded slash or backslash";
  // Double-encoded separators and dots: harmless to an origin that decodes
  // once, a way out to one that decodes twice.
  if (/%25(?:2e|2f|5c)/i.test(p)) return "double-encoded separator";
  if (/\/\/+/.test(p)) return "empty segment";
  for (const seg of p.split("/")) {
    const decoded = seg.replace(/%2e/gi, ".");
    if (decoded === "." || decoded === "..") return "dot segment";
  }
  return null;
}

/**
 * The Cookie header without the visitor cookie: the site's own cookies stay.
 * @param {string} header
 */
function siteCookies(header) {
  const kept = header
    .split(";")
    .map((c) => c.trim())
    .filter((c) => c !== "" && c.split("=")[0].trim() !== COOKIE);
  return kept.length ? kept.join("; ") : null;
}

/**
 * @param {Request} request
 * @param {URL} url
 * @param {Settings} s
 * @param {boolean} personalizable
 */
function originRequest(request, url, s, personalizable) {
  let base;
  try {
    base = new URL(s.originUrl);
  } catch {
    throw new HttpError("origin_misconfigured", "ORIGIN_URL is not a valid URL");
  }
  // Only the path and query come from the request; scheme, host and port are
  // always ORIGIN_URL's, so a path like `//other-host/` stays a path.
  const target = new URL(base.href);
  target.pathname = url.pathname;
  target.search = url.search;
  target.hash = "";
  if (target.origin !== base.origin) throw new HttpError("invalid_path", "the request path does not stay on the origin");

  const headers = new Headers(request.headers);
  headers.delete("host");
  // Headers listed in Connection are hop-by-hop too.
  // (A name that is not a valid token is skipped: Headers.delete would throw
  // on it, and a client's odd header must not become a 500.)
  for (const name of (headers.get("connection") ?? "").split(",")) {
    const n = name.trim();
    if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(n)) headers.delete(n);
  }
  for (const h of HOP_BY_HOP) headers.delete(h);
  for (const h of WORKER_ONLY) headers.delete(h);
  // The visitor cookie is HttpOnly for a reason: the origin (and whatever
  // logs its requests) has no use for it.
  const cookie = headers.get("cookie");
  if (cookie !== null) {
    const kept = siteCookies(cookie);
    if (kept === null) headers.delete("cookie");
    else headers.set("cookie", kept);
  }
  // Credentials sent to the worker's host are not the origin's unless the
  // site says so (an origin behind HTTP auth of its own).
  if (!s.forwardAuthorization) headers.delete("authorization");
  if (personalizable) {
    // The page will be rewritten for this visitor: a 304 of the origin's
    // copy would let the browser reuse another rendering.
    headers.delete("if-none-match");
    headers.delete("if-modified-since");
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return new Request(target, { method: request.method, headers, body: hasBody ? request.body : undefined, redirect: "manual" });
}

/**
 * @param {Request} request
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {Settings} s
 */
export async function site(request, env, ctx, s) {
  if (!s.originUrl) throw new HttpError("not_found", "no such route");
  const url = new URL(request.url);
  checkPath(request, url);
  const personalizable = request.method === "GET" && !excluded(url.pathname, s);
  // Built outside the try: its refusals are the client's (400), not the
  // origin's failure (502).
  const upstream = originRequest(request, url, s, personalizable);
  let res;
  try {
    res = await fetch(upstream);
  } catch (err) {
    console.error("origin", err instanceof Error ? err.message : err);
    throw new HttpError("origin_unavailable", "the origin did not answer");
  }
  const type = res.headers.get("content-type") ?? "";
  if (!personalizable || res.status !== 200 || !/^text\/html\b/i.test(type) || /^off$/i.test(res.headers.get("x-nurture-personalize") ?? "")) {
    return res;
  }

  let who;
  let out;
  let config = null;
  try {
    who = await resolveVisitor(request, env, s, { mint: !s.consentRequired, lenient: true });
    const page = pageOf(url.pathname, url.href, request.headers.get("referer"), utmOf(url.searchParams));
    out = await decideFor(request, env, who, page);
    if (s.embedConfig) config = compiledConfigBase64(env);
  } catch (err) {
    // A broken config or a failing core must never take the page down: it
    // goes out as the origin sent it.
    console.error("personalize", err instanceof Error && err.stack ? err.stack : String(err));
    return res;
  }
  const visitorId = who.visitorId;
  // The slots the page really contains are known once it has streamed
  // through: their experiments are this visitor's exposures.
  const onShown = visitorId === null ? null : (/** @type {Set<string>} */ shown) => {
    const exposures = exposuresOf(out.decisions, shown);
    if (exposures.length) ctx.waitUntil(recordExposures(request, env, s, visitorId, exposures));
  };
  return rewrite(res, out, who, s, onShown, config);
}

/**
 * @param {Response} res
 * @param {import("nurture").Decisions} out
 * @param {import("./identity.js").Visitor | import("./identity.js").NoVisitor} who
 * @param {Settings} s
 * @param {((shown: Set<string>) => void) | null} onShown called with the ids of the slots the page contained, at its end
 * @param {string | null} config the compiled config as base64, to embed
 */
function rewrite(res, out, who, s, onShown, config) {
  /** @type {Map<string | null, import("nurture").Decision>} */
  const bySlot = new Map(out.decisions.map((d) => [d.slot, d]));
  const embedded = {
    segments: out.segments,
    primarySegment: out.primarySegment ?? null,
    decisions: out.decisions.map((d) => ({ ...d, appliedAtEdge: appliedAtEdge(d) })),
    recommendations: out.recommendations,
  };
  // Base64 has no `<`: nothing in it can close the script.
  const script = `<script type="application/json" id="nurture-decisions">${scriptJson(embedded)}</script>`
    + (config === null ? "" : `<script type="${COMPILED_TYPE}" id="nurture-config">${config}</script>`);
  let inserted = false;
  /** @type {Set<string>} */
  const shown = new Set();

  const rewriter = new HTMLRewriter()
    .on("[data-nurture-slot]", {
      element(el) {
        const id = el.getAttribute("data-nurture-slot");
        if (id !== null) shown.add(id);
        const d = bySlot.get(id);
        if (!d || !appliedAtEdge(d)) return;
        // The origin's markup is the default: a default (or empty) decision
        // leaves it as it is.
        if (d.variant !== "default" && typeof d.content === "string") {
          el.setInnerContent(d.content, { html: d.kind === "html-template" });
        }
        el.setAttribute("data-nurture-applied", d.variant ?? "default");
      },
    })
    .on("head", {
      element(el) {
        if (inserted) return;
        inserted = true;
        el.append(script, { html: true });
      },
    })
    .onDocument({
      end(end) {
        if (!inserted) end.append(script, { html: true });
        onShown?.(shown);
      },
    });

  const headers = new Headers(res.headers);
  for (const h of DROP_ON_PERSONALIZED) headers.delete(h);
  headers.set("cache-control", "private, no-store");
  headers.set("vary", mergeVary(headers.get("vary"), "Cookie"));
  headers.set("x-nurture-personalized", "1");
  if (who.fresh && who.token) headers.append("set-cookie", cookieFor(who.token, s.tokenTtlSeconds));
  return rewriter.transform(new Response(res.body, { status: res.status, statusText: res.statusText, headers }));
}
