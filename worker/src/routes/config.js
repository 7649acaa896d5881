// @ts-check
// GET /v1/config: the site config and model this worker decides from, as
// the page's runtime takes them (`start({config: "https://…/v1/config"})`),
// so the page and the edge cannot drift: {version, site, model} (model null
// for the built-in one). Both are compiled first: a document the worker
// cannot use is never handed to pages. Cached for a minute and revalidated
// by ETag (the version, a hash of the documents).
import { HttpError } from "../errors.js";
import { withCore } from "../core.js";
import { documents } from "../source.js";

/** @type {Map<string, string>} version → body */
const bodies = new Map();

/**
 * @param {Request} request
 * @param {import("../config.js").Env} env
 */
export function serveConfig(request, env) {
  const docs = documents(env);
  withCore(env, ({ site, model }) => [site, model]);
  const etag = `"${docs.version}"`;
  const headers = { etag, "cache-control": "public, max-age=60, must-revalidate" };
  const match = request.headers.get("if-none-match");
  if (match !== null && match.split(",").some((t) => t.trim().replace(/^W\//, "") === etag)) {
    return new Response(null, { status: 304, headers });
  }
  let body = bodies.get(docs.version);
  if (body === undefined) {
    if (docs.site === "") throw new HttpError("config_missing", "no site config");
    // The texts were parsed by the compile above; spliced in as they are.
    body = `{"version":${JSON.stringify(docs.version)},"site":${docs.site},"model":${docs.model === "" ? "null" : docs.model}}`;
    bodies.clear();
    bodies.set(docs.version, body);
  }
  return new Response(body, { headers: { "content-type": "application/json; charset=utf-8", ...headers } });
}
