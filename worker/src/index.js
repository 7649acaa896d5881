// @ts-check
// nurture's edge worker: a Cloudflare-Workers module worker. This file is the
// router and the error boundary; each route lives in routes/, and anything
// outside /v1/ goes to the origin (site.js) when ORIGIN_URL is set.

import { settings } from "./config.js";
import { HttpError } from "./errors.js";
import { errorResponse, corsHeaders, preflight, mergeVary } from "./http.js";
import { isFatal } from "./core.js";
import { events, serverEvents } from "./routes/events.js";
import { SEGMENT_PATHS, SEGMENT_ALLOW_HEADERS, segmentRoute } from "./routes/segment.js";
import { replay, listDeadLetters } from "./routes/admin.js";
import { health, unhealthy } from "./routes/health.js";
import { serveConfig } from "./routes/config.js";
import { loadDocuments } from "./source.js";
import { getForm, postForm } from "./routes/forms.js";
import { decide } from "./routes/decide.js";
import { eraseVisitor, adminErase, EXPIRED_COOKIE } from "./routes/erase.js";
import { site } from "./site.js";
import { postOutcomes } from "./routes/outcomes.js";
import { exportLeads, pipelineMetrics } from "./routes/pipeline.js";
import { consumeForward, consumeDeadLetters } from "./forward.js";

export { VisitorState } from "./visitor.js";
export { DeadLetterStore } from "./deadletter.js";
export { bundleConfig } from "./source.js";

/**
 * @typedef {import("./config.js").Env} Env
 * @typedef {import("./config.js").Settings} Settings
 * @typedef {import("./enrich.js").ForwardMessage} ForwardMessage
 */

/**
 * A route's handler: the route's own parameters last (`formId`).
 * @callback Handler
 * @param {Request} request
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {Settings} s
 * @param {{formId: string}} params
 * @returns {Promise<Response> | Response}
 */

/**
 * `allowHeaders`: the request headers a preflight allows, when the route
 * takes others than nurture's own.
 * @typedef {{methods: Partial<Record<string, Handler>>, cors: boolean, allowHeaders?: string}} Route
 */

/**
 * path → {METHOD: handler}; `cors: false` for routes browsers never call.
 * @type {Map<string, Route>}
 */
const ROUTES = new Map([
  ["/v1/events", { methods: { POST: events }, cors: true }],
  ["/v1/health", { methods: { GET: health }, cors: true }],
  ["/v1/config", { methods: { GET: serveConfig }, cors: true }],
  ["/v1/decide", { methods: { GET: decide }, cors: true }],
  ["/v1/admin/events", { methods: { POST: serverEvents }, cors: false }],
  ["/v1/admin/replay", { methods: { POST: replay }, cors: false }],
  ["/v1/admin/dead-letters", { methods: { GET: listDeadLetters }, cors: false }],
  ["/v1/visitor", { methods: { DELETE: eraseVisitor }, cors: true }],
  ["/v1/admin/erase", { methods: { POST: adminErase }, cors: false }],
  ["/v1/outcomes", { methods: { POST: postOutcomes }, cors: false }],
  ["/v1/admin/export/leads", { methods: { GET: exportLeads }, cors: false }],
  ["/v1/admin/metrics", { methods: { GET: pipelineMetrics }, cors: false }],
  // Segment's HTTP Tracking API (routes/segment.js): browser write keys
  // call it from pages, under the same Origin allow-list as /v1/events.
  ...SEGMENT_PATHS.map(([path, kind]) => /** @type {[string, Route]} */ ([path, { methods: { POST: segmentRoute(kind) }, cors: true, allowHeaders: SEGMENT_ALLOW_HEADERS }])),
]);

/** @type {Route} */
const FORMS = { methods: { GET: getForm, POST: postForm }, cors: true };
const FORM_PATH = /^\/v1\/forms\/([^/]+)$/;

/**
 * @param {Request} request
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {Settings} s
 * @param {Record<string, string>} extra headers for the answer, whatever it is (CORS)
 * @returns {Promise<Response>}
 */
async function route(request, env, ctx, s, extra) {
  const url = new URL(request.url);
  let entry = ROUTES.get(url.pathname);
  let params = { formId: "" }; // read by the form routes only
  if (!entry) {
    const m = FORM_PATH.exec(url.pathname);
    if (m) {
      entry = FORMS;
      params = { formId: m[1] };
    } else if (url.pathname !== "/v1" && !url.pathname.startsWith("/v1/")) {
      return site(request, env, ctx, s);
    } else {
      throw new HttpError("not_found", "no such route");
    }
  }
  const methods = Object.keys(entry.methods);
  if (request.method === "OPTIONS" && entry.cors) return preflight(request, s, methods, entry.allowHeaders);
  const handler = entry.methods[request.method];
  if (!handler) {
    const err = new HttpError("method_not_allowed", `use ${methods.join(" or ")}`);
    err.allow = methods.join(", ");
    throw err;
  }
  if (entry.cors) Object.assign(extra, corsHeaders(request, s));
  else if (request.headers.get("origin") !== null) throw new HttpError("origin_not_allowed", "admin routes are not for browsers");
  return handler(request, env, ctx, s, params);
}

export default {
  /**
   * @param {Request} request
   * @param {Env} env
   * @param {ExecutionContext} ctx
   */
  async fetch(request, env, ctx) {
    /** @type {Record<string, string>} */
    const extra = {};
    let response;
    try {
      // Start-up, on every request until it succeeds: the variables, then
      // the documents (a malformed variable or a missing site config is
      // answered to every route, /v1/health included).
      const s = settings(env);
      await loadDocuments(env);
      response = await route(request, env, ctx, s, extra);
    } catch (err) {
      if (err instanceof HttpError && request.method === "GET" && new URL(request.url).pathname === "/v1/health") {
        response = unhealthy(err);
      } else if (err instanceof HttpError) {
        response = errorResponse(err);
        if (err.allow) response.headers.set("allow", err.allow);
        // The token of an erased visitor: the cookie goes too, so the next
        // request from a page on the worker's origin starts a new visitor.
        if (err.code === "visitor_erased") response.headers.set("set-cookie", EXPIRED_COOKIE);
      } else if (isFatal(err)) {
        response = errorResponse(new HttpError("core_unavailable", "the scoring core failed; retry the request"));
      } else {
        console.error("unhandled", err instanceof Error && err.stack ? err.stack : String(err));
        response = errorResponse(new HttpError("internal_error", "the worker failed on this request"));
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

  /**
   * @param {MessageBatch<import("./forward.js").Routed>} batch
   * @param {Env} env
   */
  async queue(batch, env) {
    let s;
    try {
      s = settings(env);
    } catch (err) {
      // A malformed variable (every request says which): nothing can be
      // sent safely, so the messages wait, as long as Queues' retries
      // allow, for the deploy that fixes it, instead of being spent at once.
      console.error("queue", err instanceof Error ? err.message : String(err));
      batch.retryAll({ delaySeconds: 600 });
      return;
    }
    if (batch.queue === s.deadLetterQueue) await consumeDeadLetters(batch, env);
    else await consumeForward(batch, env);
  },
};

