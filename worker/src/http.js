// @ts-check
// Request and response plumbing: JSON responses (errors with the stable codes
// of errors.js), CORS, and a body reader that enforces the size and
// content-type limits before anything is parsed.

import { HttpError } from "./errors.js";

/** @typedef {import("./config.js").Settings} Settings */

/**
 * @param {unknown} body
 * @param {number} [status]
 * @param {Record<string, string>} [headers]
 */
export function json(body, status = 200, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/**
 * A Vary value naming every header of `existing` and `added` once (compared
 * without case): a response that depends on the cookie and on the Origin
 * must say both, never one in place of the other.
 */
/**
 * @param {string | null} existing
 * @param {string} added
 */
export function mergeVary(existing, added) {
  const names = (existing ?? "").split(",").map((v) => v.trim()).filter(Boolean);
  for (const name of added.split(",").map((v) => v.trim()).filter(Boolean)) {
    if (!names.some((n) => n.toLowerCase() === name.toLowerCase())) names.push(name);
  }
  return names.join(", ");
}

/** @param {HttpError} err */
export function errorResponse(err) {
  /** @type {{error: {code: string, message: string, details?: unknown}}} */
  const body = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) body.error.details = err.details;
  /** @type {Record<string, string>} */
  const headers = {};
  if (err.retryAfter !== undefined) headers["retry-after"] = String(err.retryAfter);
  return json(body, err.status, headers);
}

// ---- CORS -----------------------------------------------------------------

const ALLOW_HEADERS = "content-type, x-nurture-visitor, x-nurture-form-token";
const EXPOSE_HEADERS = "x-nurture-visitor, retry-after";

/**
 * Checks the Origin against the allow-list. A request without Origin (server
 * to server, same-origin navigation) passes; a browser request from another
 * origin must be listed. Returns the headers to add to the response.
 */
/**
 * @param {Request} request
 * @param {Settings} s
 * @returns {Record<string, string>}
 */
export function corsHeaders(request, s) {
  const origin = request.headers.get("origin");
  if (origin === null) return {};
  // The worker's own origin (it fronts the site, so the site's forms post
  // to it) is always allowed.
  const listed = s.allowedOrigins.includes(origin) || origin === new URL(request.url).origin;
  if (!listed && !s.allowedOrigins.includes("*")) {
    throw new HttpError("origin_not_allowed", "this origin is not in the worker's allow-list");
  }
  // "*" lets any site send, but reflecting any origin with credentials would
  // let every site read a visitor's token and score: unlisted origins get
  // the plain wildcard, which browsers never combine with cookies.
  if (!listed) return { "access-control-allow-origin": "*", "access-control-expose-headers": "retry-after" };
  // Credentials (the visitor cookie) need the exact origin, never "*".
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": EXPOSE_HEADERS,
    vary: "Origin",
  };
}

/**
 * @param {Request} request
 * @param {Settings} s
 * @param {string[]} methods
 * @param {string} [allowHeaders] the request headers the route takes (default: nurture's own)
 */
export function preflight(request, s, methods, allowHeaders = ALLOW_HEADERS) {
  const headers = corsHeaders(request, s);
  if (!headers["access-control-allow-origin"]) {
    throw new HttpError("not_a_preflight", "OPTIONS without an Origin header is not a CORS preflight");
  }
  const wanted = request.headers.get("access-control-request-method");
  if (wanted !== null && !methods.includes(wanted)) {
    throw new HttpError("method_not_allowed", `method ${wanted} is not allowed here`);
  }
  return new Response(null, {
    status: 204,
    headers: {
      ...headers,
      "access-control-allow-methods": [...methods, "OPTIONS"].join(", "),
      "access-control-allow-headers": allowHeaders,
      "access-control-max-age": "600",
    },
  });
}

// ---- bodies ---------------------------------------------------------------

/**
 * Reads a JSON body: `application/json`, or `text/plain` because that is what
 * `navigator.sendBeacon(url, string)` sends. The Content-Length is checked
 * first and the stream is counted as it is read, so a chunked body cannot
 * slip past the cap.
 */
/**
 * @param {Request} request
 * @param {Settings} s
 * @returns {Promise<unknown>}
 */
export async function readJson(request, s) {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json" && type !== "text/plain") {
    throw new HttpError("unsupported_media_type", "send the body as application/json (or text/plain from sendBeacon)");
  }
  const text = await readText(request, s);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError("invalid_json", "the body is not valid JSON");
  }
}

/**
 * The body as UTF-8 text, within the size cap and the time limit.
 * @param {Request} request
 * @param {Pick<Settings, "maxBodyBytes" | "bodyTimeoutMs">} s
 */
async function readText(request, s) {
  return decodeUtf8(await readBytes(request, s));
}

/**
 * UTF-8 text, or 400 `invalid_encoding`.
 * @param {Uint8Array} bytes
 */
export function decodeUtf8(bytes) {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new HttpError("invalid_encoding", "the body is not valid UTF-8");
  }
}

/**
 * The body's bytes, within the size cap and the time limit (checked on
 * Content-Length first, then counted while streaming).
 * @param {Request} request
 * @param {Pick<Settings, "maxBodyBytes" | "bodyTimeoutMs">} s
 */
export async function readBytes(request, s) {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > s.maxBodyBytes) {
    throw new HttpError("body_too_large", `the body is larger than ${s.maxBodyBytes} bytes`);
  }
  if (request.body === null) throw new HttpError("empty_body", "the body is empty");
  if (declared !== null && /^\d+$/.test(declared)) return readDeclared(request, s);
  const reader = request.body.getReader();
  /** @type {Uint8Array[]} */
  const chunks = [];
  let size = 0;
  // One deadline for the whole body, not per chunk: a client that sends a
  // byte a second would otherwise keep the request (and its isolate's
  // memory) for as long as it likes.
  /** @type {number | null} */
  let timer = null;
  /** @type {Promise<"timeout">} */
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve("timeout"), s.bodyTimeoutMs ?? 10_000);
  });
  try {
    for (;;) {
      let step;
      try {
        const read = reader.read();
        // When the deadline wins, this read is left behind; should it fail
        // later, that must not surface as an unhandled rejection.
        read.catch(() => {});
        step = await Promise.race([read, deadline]);
      } catch {
        // The client closed the connection (or reset it) mid-body: nobody is
        // left to answer, but the request must end as a handled error, not
        // as an unhandled rejection in the logs.
        throw new HttpError("body_aborted", "the connection closed before the body was complete");
      }
      if (step === "timeout") {
        reader.cancel().catch(() => {});
        throw new HttpError("body_timeout", `the body did not arrive within ${s.bodyTimeoutMs ?? 10_000} ms`);
      }
      const { done, value } = step;
      if (done) break;
      size += value.byteLength;
      if (size > s.maxBodyBytes) {
        await reader.cancel().catch(() => {});
        throw new HttpError("body_too_large", `the body is larger than ${s.maxBodyBytes} bytes`);
      }
      chunks.push(value);
    }
  } finally {
    clearTimeout(timer);
  }
  if (size === 0) throw new HttpError("empty_body", "the body is empty");
  return concatBytes(chunks, size);
}

/**
 * A body of a declared length within the cap, read whole by the runtime
 * (`arrayBuffer()`) rather than chunk by chunk in JS: the same answers as
 * the stream's loop (the deadline, a connection closed midway, the cap
 * checked again on what arrived). The loop was about a tenth of the
 * worker's time for an event batch (its CPU profile), this about half that.
 * @param {Request} request
 * @param {Pick<Settings, "maxBodyBytes" | "bodyTimeoutMs">} s
 */
async function readDeclared(request, s) {
  /** @type {number | null} */
  let timer = null;
  /** @type {Promise<"timeout">} */
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve("timeout"), s.bodyTimeoutMs ?? 10_000);
  });
  const read = request.arrayBuffer();
  // When the deadline wins, the read is left behind; should it fail later,
  // that must not surface as an unhandled rejection.
  read.catch(() => {});
  let got;
  try {
    got = await Promise.race([read, deadline]);
  } catch {
    throw new HttpError("body_aborted", "the connection closed before the body was complete");
  } finally {
    clearTimeout(timer);
  }
  if (got === "timeout") throw new HttpError("body_timeout", `the body did not arrive within ${s.bodyTimeoutMs ?? 10_000} ms`);
  if (got.byteLength > s.maxBodyBytes) throw new HttpError("body_too_large", `the body is larger than ${s.maxBodyBytes} bytes`);
  if (got.byteLength === 0) throw new HttpError("empty_body", "the body is empty");
  return new Uint8Array(got);
}

/**
 * The chunks of a stream as one array.
 * @param {Uint8Array[]} chunks
 * @param {number} size their total length
 */
export function concatBytes(chunks, size) {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}

/**
 * Nesting depth of a parsed JSON value, stopping early past `limit`.
 * @param {unknown} value
 * @param {number} limit
 */
export function depthExceeds(value, limit) {
  /** @type {[unknown, number][]} */
  const stack = [[value, 1]];
  while (stack.length) {
    const [v, d] = /** @type {[unknown, number]} */ (stack.pop());
    if (v === null || typeof v !== "object") continue;
    if (d > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

const IP_TEXT = /^[0-9A-Fa-f:.]{2,64}$/;

/**
 * The client's address when the platform vouches for it: CF-Connecting-IP
 * is set by Cloudflare's edge, which overwrites whatever the client sent,
 * so it is trusted only with BEHIND_CLOUDFLARE. Elsewhere any client can
 * write it, and it names nobody: null.
 */
/**
 * @param {Request} request
 * @param {Settings} s
 */
export function trustedIp(request, s) {
  if (!s.behindCloudflare) return null;
  const ip = request.headers.get("cf-connecting-ip");
  return ip !== null && IP_TEXT.test(ip) ? ip : null;
}

/**
 * The client address for segmenting (named accounts' ranges): the trusted address, else null.
 * @param {Request} request
 * @param {Settings} s
 */
export function segmentIp(request, s) {
  return trustedIp(request, s);
}

const CF_KEYS = ["country", "asn", "asOrganization", "city", "continent", "region", "regionCode", "postalCode", "timezone", "isEUCountry"];

/**
 * The request attributes the core reads from Cloudflare's `request.cf`, as a plain object.
 * @param {Request} request
 * @returns {Record<string, string | number> | null}
 */
export function cfAttributes(request) {
  /** @type {Record<string, unknown> | undefined} */
  const cf = request.cf;
  if (!cf || typeof cf !== "object") return null;
  /** @type {Record<string, string | number>} */
  const out = {};
  for (const k of CF_KEYS) {
    const v = cf[k];
    if ((typeof v === "string" && v.length <= 200) || (typeof v === "number" && Number.isFinite(v))) out[k] = v;
  }
  return out;
}

/**
 * The language of error messages from Accept-Language: the tag with the
 * highest q (the core maps it to en, zh-Hans or zh-Hant; zh-TW and zh-HK
 * read as Traditional, other zh as Simplified, anything else as English).
 */
/** @param {Request} request */
export function preferredLanguage(request) {
  const header = request.headers.get("accept-language");
  if (!header) return "en";
  let best = "en";
  let bestQ = -1;
  for (const part of header.slice(0, 500).split(",")) {
    const [tag, ...params] = part.trim().split(";");
    if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag)) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q=([0-9.]+)\s*$/.exec(p);
      if (m) q = Number(m[1]);
    }
    if (Number.isFinite(q) && q > bestQ) {
      best = tag;
      bestQ = q;
    }
  }
  return best;
}

/**
 * Reads a form body: JSON (`{token?, fields: {...}}` or the fields at the
 * top) or application/x-www-form-urlencoded (a plain HTML form post; a
 * repeated name becomes a list). Same size limits as readJson.
 */
/**
 * @param {Request} request
 * @param {Settings} s
 * @returns {Promise<{kind: "json", body: unknown} | {kind: "urlencoded", body: Record<string, string | string[]>}>}
 */
export async function readForm(request, s) {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type === "application/json" || type === "text/plain") return { kind: "json", body: await readJson(request, s) };
  if (type !== "application/x-www-form-urlencoded") {
    throw new HttpError("unsupported_media_type", "send the form as application/json or application/x-www-form-urlencoded");
  }
  const text = await readText(request, s);
  /** @type {Record<string, string | string[]>} */
  const fields = Object.create(null);
  for (const [k, v] of new URLSearchParams(text)) {
    if (k in fields) fields[k] = /** @type {string[]} */ ([]).concat(fields[k], v);
    else fields[k] = v;
  }
  return { kind: "urlencoded", body: fields };
}
