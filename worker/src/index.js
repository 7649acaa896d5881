// nurture's edge worker: a Cloudflare-Workers module worker. This file is the
// router and the error boundary; each route lives in routes/, and anything
// outside /v1/ goes to the origin (site.js) when ORIGIN_URL is set.

import { settings } from "./config.js";
import { HttpError, errorResponse, corsHeaders, preflight, mergeVary } from "./http.js";
import { isFatal } from "./core.js";
import { events, serverEvents } from "./routes/events.js";
import { replay, listDeadLetters } from "./routes/admin.js";
import { health } from "./routes/health.js";
import { getForm, postForm } from "./routes/forms.js";
import { decide } from "./routes/decide.js";
import { eraseVisitor, adminErase, EXPIRED_COOKIE } from "./routes/erase.js";
import { site } from "./site.js";
import { consumeForward, consumeDeadLetters } from "./forward.js";

export { VisitorState } from "./visitor.js";
export { DeadLetterStore } from "./deadletter.js";

/** path → {METHOD: handler}; `cors: false` for routes browsers never call. */
const ROUTES = new Map([
  ["/v1/events", { methods: { POST: events }, cors: true }],
  ["/v1/health", { methods: { GET: health }, cors: true }],
  ["/v1/decide", { methods: { GET: decide }, cors: true }],
  ["/v1/admin/events", { methods: { POST: serverEvents }, cors: false }],
  ["/v1/admin/replay", { methods: { POST: replay }, cors: false }],
  ["/v1/admin/dead-letters", { methods: { GET: listDeadLetters }, cors: false }],
  ["/v1/visitor", { methods: { DELETE: eraseVisitor }, cors: true }],
  ["/v1/admin/erase", { methods: { POST: adminErase }, cors: false }],
]);

const FORMS = { methods: { GET: getForm, POST: postForm }, cors: true };
const FORM_PATH = /^\/v1\/forms\/([^/]+)$/;

async function route(request, env, ctx, s, extra) {
  const url = new URL(request.url);
  let entry = ROUTES.get(url.pathname);
  let params = {};
  if (!entry) {
    const m = FORM_PATH.exec(url.pathname);
    if (m) {
      entry = FORMS;
      params = { formId: m[1] };
    } else if (url.pathname !== "/v1" && !url.pathname.startsWith("/v1/")) {
      return site(request, env, ctx, s);
    } else {
      throw new HttpError(404, "not_found", "no such route");
    }
  }
  const methods = Object.keys(entry.methods);
  if (request.method === "OPTIONS" && entry.cors) return preflight(request, s, methods);
  const handler = entry.methods[request.method];
  if (!handler) {
    const err = new HttpError(405, "method_not_allowed", `use ${methods.join(" or ")}`);
    err.allow = methods.join(", ");
    throw err;
  }
  if (entry.cors) Object.assign(extra, corsHeaders(request, s));
  else if (request.headers.get("origin") !== null) throw new HttpError(403, "origin_not_allowed", "admin routes are not for browsers");
  return handler(request, env, ctx, s, params);
}

export default {
  async fetch(request, env, ctx) {
    const extra = {};
    let response;
    try {
      response = await route(request, env, ctx, settings(env), extra);
    } catch (err) {
      if (err instanceof HttpError) {
        response = errorResponse(err);
        if (err.allow) response.headers.set("allow", err.allow);
        // The token of an erased visitor: the cookie goes too, so the next
        // request from a page on the worker's origin starts a new visitor.
        if (err.code === "visitor_erased") response.headers.set("set-cookie", EXPIRED_COOKIE);
      } else if (isFatal(err)) {
        response = errorResponse(new HttpError(503, "core_unavailable", "the scoring core failed; retry the request"));
      } else {
        console.error("unhandled", err && err.stack ? err.stack : String(err));
        response = errorResponse(new HttpError(500, "internal_error", "the worker failed on this request"));
      }
    }
    for (const [k, v] of Object.entries(extra)) {
      // Vary lists every header the answer depends on: the route's own
      // (Cookie) and CORS's (Origin) together, never one in place of the other.
      if (k === "vary") response.headers.set(k, mergeVary(response.headers.get(k), v));
      else response.headers.set(k, v);
    }
    return response;
  },

  async queue(batch, env) {
    const s = settings(env);
    if (batch.queue === s.deadLetterQueue) await consumeDeadLetters(batch, env);
    else await consumeForward(batch, env);
  },
};

