// @ts-check
// GET /v1/config: the site config and model this worker decides from, as
// the page's runtime takes them (`start({config: "https://…/v1/config"})`),
// so the page and the edge cannot drift: {version, site, model} (model null
// for the built-in one). Both are compiled first: a document the worker
// cannot use is never handed to pages. Cached for a minute and revalidated
// by ETag (the version, a hash of the documents).
//
// Compiled (src/compiled/, what a page reads without parsing JSON) with
// `?format=compiled` or `Accept: application/vnd.nurture.compiled`: the
// same document, checked and compiled by the core, its version as the
// source hash in the header. The ETag names the representation
// (`"<version>.nrc"`), and the answer varies by Accept.
import { HttpError } from "../errors.js";
import { withCore } from "../core.js";
import { documents } from "../source.js";

export const COMPILED_TYPE = "application/vnd.nurture.compiled";

/** @type {Map<string, string>} version → body */
const bodies = new Map();
/** @type {Map<string, Uint8Array>} version → compiled body */
const compiledBodies = new Map();
/** @type {Map<string, string>} version → compiled body as base64 */
const embeddable = new Map();

/**
 * Whether the request asks for the compiled form.
 * @param {Request} request
 */
export function wantsCompiled(request) {
  const url = new URL(request.url);
  return url.searchParams.get("format") === "compiled" || (request.headers.get("accept") ?? "").includes(COMPILED_TYPE);
}

/**
 * The worker's documents compiled, once per version: what `GET /v1/config`
 * serves compiled and what the page personalizer embeds.
 * @param {import("../config.js").Env} env
 * @returns {{version: string, bytes: Uint8Array}}
 */
export function compiledConfig(env) {
  const docs = documents(env);
  let bytes = compiledBodies.get(docs.version);
  if (bytes === undefined) {
    if (docs.site === "") throw new HttpError("config_missing", "no site config");
    const document = { version: docs.version, site: JSON.parse(docs.site), model: docs.model === "" ? null : JSON.parse(docs.model) };
    bytes = withCore(env, ({ glue }) => glue.compileConfig(document, "edge"));
    compiledBodies.clear();
    compiledBodies.set(docs.version, bytes);
  }
  return { version: docs.version, bytes };
}

/**
 * The compiled config as base64, once per version: what a personalized
 * page carries in `<script type="application/vnd.nurture.compiled"
 * id="nurture-config">` (EMBED_CONFIG), and `start({config})` takes as is.
 * @param {import("../config.js").Env} env
 */
export function compiledConfigBase64(env) {
  const { version, bytes } = compiledConfig(env);
  let text = embeddable.get(version);
  if (text === undefined) {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    text = btoa(binary);
    embeddable.clear();
    embeddable.set(version, text);
  }
  return text;
}

/**
 * @param {Request} request
 * @param {import("../config.js").Env} env
 */
export function serveConfig(request, env) {
  const docs = documents(env);
  withCore(env, ({ site, model }) => [site, model]);
  const compiled = wantsCompiled(request);
  const etag = compiled ? `"${docs.version}.nrc"` : `"${docs.version}"`;
  const headers = { etag, "cache-control": "public, max-age=60, must-revalidate", vary: "Accept" };
  const match = request.headers.get("if-none-match");
  if (match !== null && match.split(",").some((t) => t.trim().replace(/^W\//, "") === etag)) {
    return new Response(null, { status: 304, headers });
  }
  if (compiled) {
    return new Response(compiledConfig(env).bytes, { headers: { "content-type": COMPILED_TYPE, ...headers } });
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
