// The worker in front of the site (ORIGIN_URL): every request outside /v1/
// goes to the origin; a text/html answer to a GET is personalized on its way
// through. The decisions are made before the first byte is sent, then
// HTMLRewriter streams the page: `[data-nurture-slot]` elements get their
// variant (text set as text; `html-template` variants, which only come from
// the trusted site config, as HTML), are marked `data-nurture-applied`, and
// the decisions are embedded as `<script type="application/json"
// id="nurture-decisions">` so the browser runtime does not redo them.
//
// Caching: a personalized page is `Cache-Control: private, no-store` (with
// `Vary: Cookie` as a second line of defence, and the origin's validators
// and CDN cache headers removed), so no shared cache can hand one visitor's
// page to another. The origin's own response can still be cached by the
// platform before the worker sees it: that copy is the unpersonalized one.
// Everything else (other methods, other types, other statuses, paths in
// PERSONALIZE_EXCLUDE, or an origin answering `X-Nurture-Personalize: off`)
// passes through untouched, headers included.

import { softIdentify, cookieFor } from "./token.js";
import { decideFor, pageOf, utmOf, appliedAtEdge, scriptJson } from "./personalize.js";
import { HttpError } from "./http.js";

const DROP_ON_PERSONALIZED = ["content-length", "etag", "last-modified", "expires", "age", "cdn-cache-control", "cloudflare-cdn-cache-control", "surrogate-control", "surrogate-key"];

function excluded(path, s) {
  return s.personalizeExclude.some((prefix) => path.startsWith(prefix));
}

function originRequest(request, url, s, personalizable) {
  const target = new URL(url.pathname + url.search, s.originUrl);
  const headers = new Headers(request.headers);
  headers.delete("host");
  if (personalizable) {
    // The page will be rewritten for this visitor: a 304 of the origin's
    // copy would let the browser reuse another rendering.
    headers.delete("if-none-match");
    headers.delete("if-modified-since");
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return new Request(target, { method: request.method, headers, body: hasBody ? request.body : undefined, redirect: "manual" });
}

export async function site(request, env, ctx, s) {
  if (!s.originUrl) throw new HttpError(404, "not_found", "no such route");
  const url = new URL(request.url);
  const personalizable = request.method === "GET" && !excluded(url.pathname, s);
  let res;
  try {
    res = await fetch(originRequest(request, url, s, personalizable));
  } catch (err) {
    console.error("origin", err && err.message);
    throw new HttpError(502, "origin_unavailable", "the origin did not answer");
  }
  const type = res.headers.get("content-type") ?? "";
  if (!personalizable || res.status !== 200 || !/^text\/html\b/i.test(type) || /^off$/i.test(res.headers.get("x-nurture-personalize") ?? "")) {
    return res;
  }

  let who;
  let out;
  try {
    who = await softIdentify(request, env, s.tokenTtlSeconds, !s.consentRequired);
    const page = pageOf(url.pathname, url.href, request.headers.get("referer"), utmOf(url.searchParams));
    out = await decideFor(request, env, who, page);
  } catch (err) {
    // A broken config or a failing core must never take the page down: it
    // goes out as the origin sent it.
    console.error("personalize", err && err.stack ? err.stack : String(err));
    return res;
  }
  return rewrite(res, out, who, s);
}

function rewrite(res, out, who, s) {
  const bySlot = new Map(out.decisions.map((d) => [d.slot, d]));
  const embedded = {
    segments: out.segments,
    primarySegment: out.primarySegment ?? null,
    decisions: out.decisions.map((d) => ({ ...d, appliedAtEdge: appliedAtEdge(d) })),
    recommendations: out.recommendations,
  };
  const script = `<script type="application/json" id="nurture-decisions">${scriptJson(embedded)}</script>`;
  let inserted = false;

  const rewriter = new HTMLRewriter()
    .on("[data-nurture-slot]", {
      element(el) {
        const d = bySlot.get(el.getAttribute("data-nurture-slot"));
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
      },
    });

  const headers = new Headers(res.headers);
  for (const h of DROP_ON_PERSONALIZED) headers.delete(h);
  headers.set("cache-control", "private, no-store");
  const vary = (headers.get("vary") ?? "").split(",").map((v) => v.trim()).filter(Boolean);
  if (!vary.some((v) => v.toLowerCase() === "cookie")) vary.push("Cookie");
  headers.set("vary", vary.join(", "));
  headers.set("x-nurture-personalized", "1");
  if (who.fresh && who.token) headers.append("set-cookie", cookieFor(who.token, s.tokenTtlSeconds));
  return rewriter.transform(new Response(res.body, { status: res.status, statusText: res.statusText, headers }));
}
