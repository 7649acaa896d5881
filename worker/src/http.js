// Request and response plumbing: one error type with a stable code, JSON
// responses, CORS, and a body reader that enforces the size and content-type
// limits before anything is parsed.

/** An error the client caused (or must know about), with a stable code. */
export class HttpError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function json(body, status = 200, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

export function errorResponse(err) {
  const body = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) body.error.details = err.details;
  const headers = {};
  if (err.retryAfter !== undefined) headers["retry-after"] = String(err.retryAfter);
  return json(body, err.status, headers);
}

// ---- CORS -----------------------------------------------------------------

const ALLOW_HEADERS = "content-type, x-nurture-visitor";
const EXPOSE_HEADERS = "x-nurture-visitor, retry-after";

/**
 * Checks the Origin against the allow-list. A request without Origin (server
 * to server, same-origin navigation) passes; a browser request from another
 * origin must be listed. Returns the headers to add to the response.
 */
export function corsHeaders(request, s) {
  const origin = request.headers.get("origin");
  if (origin === null) return {};
  const allowed = s.allowedOrigins.includes(origin) || s.allowedOrigins.includes("*");
  if (!allowed) {
    throw new HttpError(403, "origin_not_allowed", "this origin is not in the worker's allow-list");
  }
  // Credentials (the visitor cookie) need the exact origin, never "*".
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": EXPOSE_HEADERS,
    vary: "Origin",
  };
}

export function preflight(request, s, methods) {
  const headers = corsHeaders(request, s);
  if (!headers["access-control-allow-origin"]) {
    throw new HttpError(400, "not_a_preflight", "OPTIONS without an Origin header is not a CORS preflight");
  }
  const wanted = request.headers.get("access-control-request-method");
  if (wanted !== null && !methods.includes(wanted)) {
    throw new HttpError(405, "method_not_allowed", `method ${wanted} is not allowed here`);
  }
  return new Response(null, {
    status: 204,
    headers: {
      ...headers,
      "access-control-allow-methods": [...methods, "OPTIONS"].join(", "),
      "access-control-allow-headers": ALLOW_HEADERS,
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
export async function readJson(request, s) {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json" && type !== "text/plain") {
    throw new HttpError(415, "unsupported_media_type", "send the body as application/json (or text/plain from sendBeacon)");
  }
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > s.maxBodyBytes) {
    throw new HttpError(413, "body_too_large", `the body is larger than ${s.maxBodyBytes} bytes`);
  }
  if (request.body === null) throw new HttpError(400, "empty_body", "the body is empty");
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > s.maxBodyBytes) {
      await reader.cancel().catch(() => {});
      throw new HttpError(413, "body_too_large", `the body is larger than ${s.maxBodyBytes} bytes`);
    }
    chunks.push(value);
  }
  if (size === 0) throw new HttpError(400, "empty_body", "the body is empty");
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "invalid_encoding", "the body is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "the body is not valid JSON");
  }
}

/** Nesting depth of a parsed JSON value, stopping early past `limit`. */
export function depthExceeds(value, limit) {
  const stack = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop();
    if (v === null || typeof v !== "object") continue;
    if (d > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

export function clientIp(request) {
  return request.headers.get("cf-connecting-ip") ?? "unknown";
}
