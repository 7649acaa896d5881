// @ts-check
// The signed visitor id: `v1.<kid>.<visitorId>.<issuedAt>.<signature>`,
// HMAC-SHA256 over everything before the last dot, keys from
// env.NURTURE_KEYS. The first key signs; every listed key verifies, so a key
// is rotated by putting the new one first and dropping the old one once its
// tokens have been re-signed (each verified request with an old key gets a
// cookie signed with the current one) or have expired. Which visitor a
// request names, from these tokens, is identity.js's to say.

import { HttpError } from "./errors.js";

/**
 * @typedef {import("./config.js").Env} Env
 * @typedef {{kid: string, key: CryptoKey}} Key
 * @typedef {{visitorId: string, kid: string, issuedAt: number, current: boolean}} VerifiedToken
 * @typedef {{visitorId: string, formId: string, asked: string[], renderedAt: number, nonce: string}} FormClaims
 */

export const COOKIE = "nurture_vid";
export const HEADER = "x-nurture-visitor";
const KID = /^[A-Za-z0-9_-]{1,32}$/;
// A visitor id as newVisitorId() writes it (16 random bytes, base64url).
export const VISITOR_ID = /^[A-Za-z0-9_-]{22}$/;
const SKEW_SECONDS = 300;

/** @type {Map<string, Promise<Key[]>>} raw NURTURE_KEYS text → the imported keys */
const keyCache = new Map();

/** @param {string} message */
function misconfigured(message) {
  return new HttpError("server_misconfigured", message);
}

/**
 * @param {unknown} raw NURTURE_KEYS
 * @returns {{kid: string, secret: string}[]}
 */
export function parseKeys(raw) {
  if (raw === undefined || raw === null || String(raw).trim() === "") {
    throw misconfigured("NURTURE_KEYS is not set");
  }
  /** @type {unknown[]} */
  let items;
  const text = String(raw).trim();
  if (text.startsWith("[")) {
    try {
      items = JSON.parse(text);
    } catch {
      throw misconfigured("NURTURE_KEYS is not valid JSON");
    }
    if (!Array.isArray(items)) throw misconfigured("NURTURE_KEYS must be a JSON list");
  } else {
    items = text.split(",").map((s) => s.trim()).filter(Boolean);
  }
  const keys = items.map((item) => {
    /** @type {unknown} */
    let kid;
    /** @type {unknown} */
    let secret;
    if (typeof item === "string") {
      const at = item.indexOf(":");
      [kid, secret] = at < 0 ? [item, ""] : [item.slice(0, at), item.slice(at + 1)];
    } else if (item && typeof item === "object") {
      ({ kid, secret } = /** @type {{kid?: unknown, secret?: unknown}} */ (item));
    }
    if (typeof kid !== "string" || !KID.test(kid)) throw misconfigured("NURTURE_KEYS: a key id must be 1-32 of [A-Za-z0-9_-]");
    if (typeof secret !== "string" || secret.length < 16) throw misconfigured(`NURTURE_KEYS: the secret of key ${kid} is shorter than 16 characters`);
    return { kid, secret };
  });
  if (keys.length === 0) throw misconfigured("NURTURE_KEYS lists no key");
  return keys;
}

/**
 * @param {Env} env
 * @returns {Promise<Key[]>}
 */
async function keys(env) {
  const raw = String(env.NURTURE_KEYS ?? "");
  let p = keyCache.get(raw);
  if (!p) {
    p = (async () => {
      const parsed = parseKeys(env.NURTURE_KEYS);
      return Promise.all(
        parsed.map(async ({ kid, secret }) => ({
          kid,
          key: await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]),
        })),
      );
    })();
    p.catch(() => keyCache.delete(raw));
    keyCache.set(raw, p);
  }
  return p;
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** @param {Uint8Array} bytes */
export function b64url(bytes) {
  // Three bytes at a time through the alphabet, no padding: what btoa and
  // three replacements gave, in a loop (a batch of events takes one per
  // event for its idempotency keys).
  let s = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += B64URL[v >> 18] + B64URL[(v >> 12) & 63] + B64URL[(v >> 6) & 63] + B64URL[v & 63];
  }
  if (i + 1 === n) {
    const v = bytes[i] << 16;
    s += B64URL[v >> 18] + B64URL[(v >> 12) & 63];
  } else if (i + 2 === n) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    s += B64URL[v >> 18] + B64URL[(v >> 12) & 63] + B64URL[(v >> 6) & 63];
  }
  return s;
}

const B64URL_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64URL_VALUES[B64URL.charCodeAt(i)] = i;

/**
 * The bytes of a b64url text, or null. Only the spelling b64url() writes
 * is accepted: the unused low bits of the last character must be zero, or
 * a signed token would have more than one valid form (found by
 * worker/fuzz/tokens.fuzz.mjs). Six bits a character through a table,
 * which costs a fraction of atob and a copy.
 * @param {string} text
 * @returns {Uint8Array | null}
 */
function fromB64url(text) {
  const n = text.length;
  if (n % 4 === 1) return null;
  const out = new Uint8Array((n * 3) >> 2);
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64URL_VALUES[c] : -1;
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
      acc &= (1 << bits) - 1;
    }
  }
  return acc === 0 ? out : null;
}

export function newVisitorId() {
  return b64url(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * Signs a visitor id with the current key. A token re-signed after a key
 * rotation keeps its `issuedAt`: rotation never extends an identity's
 * lifetime, so an erased visitor's tombstone (kept for the token lifetime
 * from the erasure) outlives every token for that id.
 * @param {Env} env
 * @param {string} visitorId
 * @param {number} [issuedAt] seconds
 */
export async function sign(env, visitorId, issuedAt = Math.floor(Date.now() / 1000)) {
  const [current] = await keys(env);
  const payload = `v1.${current.kid}.${visitorId}.${issuedAt}`;
  const mac = await crypto.subtle.sign("HMAC", current.key, new TextEncoder().encode(payload));
  return `${payload}.${b64url(new Uint8Array(mac))}`;
}

/**
 * Verifies a token. Returns `{visitorId, kid, issuedAt, current}` where
 * `current` says whether the signing key is the one in use; throws an
 * HttpError with a stable code otherwise.
 * @param {Env} env
 * @param {unknown} token
 * @param {number} ttlSeconds 0: no expiry check
 * @param {number} [nowSeconds]
 * @returns {Promise<VerifiedToken>}
 */
export async function verify(env, token, ttlSeconds, nowSeconds = Math.floor(Date.now() / 1000)) {
  const bad = () => new HttpError("invalid_visitor_token", "the visitor token is malformed or its signature does not match");
  if (typeof token !== "string" || token.length > 200) throw bad();
  const cacheKey = `${String(env.NURTURE_KEYS ?? "")}\n${token}`;
  const signed = verifiedCache.get(cacheKey) ?? (await verifySignature(env, token, bad));
  if (!verifiedCache.has(cacheKey)) {
    if (verifiedCache.size >= VERIFIED_CACHE_SIZE) {
      // Oldest first: a Map keeps insertion order.
      const oldest = verifiedCache.keys().next();
      if (!oldest.done) verifiedCache.delete(oldest.value);
    }
    verifiedCache.set(cacheKey, signed);
  }
  // Time is checked on every request, cached or not.
  if (signed.issuedAt > nowSeconds + SKEW_SECONDS) throw bad();
  if (ttlSeconds > 0 && signed.issuedAt + ttlSeconds < nowSeconds) {
    throw new HttpError("visitor_token_expired", "the visitor token has expired");
  }
  return { ...signed };
}

// Tokens whose signature checked out, per isolate, keyed by the key set and
// the token: an active visitor's every batch presents the same token, and
// the HMAC check was about a sixteenth of an event batch's worker CPU. Only
// signatures that verified are kept (a wrong one is checked every time), a
// different NURTURE_KEYS text is a different key, and the oldest entry goes
// when the cache is full.
const VERIFIED_CACHE_SIZE = 2048;
/** @type {Map<string, VerifiedToken>} */
const verifiedCache = new Map();

/**
 * The signature check of `verify`, without the time checks.
 * @param {Env} env
 * @param {string} token
 * @param {() => HttpError} bad
 * @returns {Promise<VerifiedToken>}
 */
async function verifySignature(env, token, bad) {
  const parts = token.split(".");
  if (parts.length !== 5 || parts[0] !== "v1") throw bad();
  const [, kid, visitorId, iat, sig] = parts;
  if (!KID.test(kid) || !VISITOR_ID.test(visitorId) || !/^[0-9]{1,12}$/.test(iat)) throw bad();
  const all = await keys(env);
  const index = all.findIndex((k) => k.kid === kid);
  if (index < 0) throw new HttpError("unknown_key_id", "the visitor token was signed with a key this worker does not know");
  const mac = fromB64url(sig);
  if (mac === null || mac.length !== 32) throw bad();
  const ok = await crypto.subtle.verify("HMAC", all[index].key, mac, new TextEncoder().encode(parts.slice(0, 4).join(".")));
  if (!ok) throw bad();
  return { visitorId, kid, issuedAt: Number(iat), current: index === 0 };
}

/**
 * The token a request presents, first found wins: the `x-nurture-visitor`
 * header (fetch from the browser runtime, servers), then `bodyToken` (the
 * batch's `visitorToken`: sendBeacon cannot set headers), then the cookie
 * (the worker on the site's own origin). Whichever is chosen is verified
 * the same way by the caller; the ones behind it are not looked at.
 * @param {Request} request
 * @param {unknown} [bodyToken]
 * @returns {string | null}
 */
export function readToken(request, bodyToken = null) {
  // An empty header names no one: it must not hide a valid cookie (and so
  // start a new visitor); a non-empty one is taken and verified, wrong or not.
  const header = request.headers.get(HEADER)?.trim();
  if (header) return header;
  if (typeof bodyToken === "string" && bodyToken !== "") return bodyToken;
  return cookieToken(request);
}

/**
 * The visitor cookie's value, or null when the request carries none.
 * @param {Request} request
 */
export function cookieToken(request) {
  const cookies = request.headers.get("cookie");
  if (cookies === null) return null;
  for (const part of cookies.split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === COOKIE) return part.slice(at + 1).trim();
  }
  return null;
}

/**
 * @param {string} token
 * @param {number} ttlSeconds
 */
export function cookieFor(token, ttlSeconds) {
  // SameSite=None: the beacon comes from the customer's site to the worker's
  // host, a cross-site request; that requires Secure.
  return `${COOKIE}=${token}; Path=/; Max-Age=${ttlSeconds || 34128000}; HttpOnly; Secure; SameSite=None`;
}

// ---- form tokens ------------------------------------------------------------
//
// `f1.<kid>.<payload>.<signature>`: payload is base64url JSON
// {v: visitorId, f: formId, a: [asked field names], t: renderedAt (ms),
// n: nonce (the token's id: a token is good for one accepted submission)},
// HMAC-SHA256 with the same key ring as the visitor token over
// "f1.<kid>.<payload>". The "f1" prefix is inside the signed text, so a
// visitor token can never pass for a form token or the other way round.

export const FORM_TOKEN_HEADER = "x-nurture-form-token";
const MAX_FORM_TOKEN = 4096;

/**
 * @param {Env} env
 * @param {{visitorId: string, formId: string, asked: string[], renderedAt: number}} claims
 */
export async function signForm(env, { visitorId, formId, asked, renderedAt }) {
  const [current] = await keys(env);
  const nonce = b64url(crypto.getRandomValues(new Uint8Array(12)));
  const body = b64url(new TextEncoder().encode(JSON.stringify({ v: visitorId, f: formId, a: asked, t: renderedAt, n: nonce })));
  const payload = `f1.${current.kid}.${body}`;
  const mac = await crypto.subtle.sign("HMAC", current.key, new TextEncoder().encode(payload));
  return `${payload}.${b64url(new Uint8Array(mac))}`;
}

/**
 * Verifies a form token: returns `{visitorId, formId, asked, renderedAt, nonce}`,
 * or throws 403 `invalid_form_token` (malformed, tampered, unknown key) or
 * 403 `form_token_expired`.
 * @param {Env} env
 * @param {unknown} token
 * @param {number} ttlSeconds 0: no expiry check
 * @param {number} [nowMs]
 * @returns {Promise<FormClaims>}
 */
export async function verifyForm(env, token, ttlSeconds, nowMs = Date.now()) {
  /** @param {string} why */
  const bad = (why) => new HttpError("invalid_form_token", `the form token ${why}`);
  if (typeof token !== "string" || token.length > MAX_FORM_TOKEN) throw bad("is malformed");
  const parts = token.split(".");
  if (parts.length !== 4 || parts[0] !== "f1" || !KID.test(parts[1])) throw bad("is malformed");
  const all = await keys(env);
  const key = all.find((k) => k.kid === parts[1]);
  if (!key) throw bad("was signed with a key this worker does not know");
  const mac = fromB64url(parts[3]);
  if (mac === null || mac.length !== 32) throw bad("is malformed");
  const ok = await crypto.subtle.verify("HMAC", key.key, mac, new TextEncoder().encode(parts.slice(0, 3).join(".")));
  if (!ok) throw bad("signature does not match");
  const raw = fromB64url(parts[2]);
  if (raw === null) throw bad("is malformed");
  /** @type {{v?: unknown, f?: unknown, a?: unknown, t?: unknown, n?: unknown} | null} */
  let p;
  try {
    p = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    throw bad("is malformed");
  }
  if (!p || typeof p.v !== "string" || !VISITOR_ID.test(p.v) || typeof p.f !== "string" || !Array.isArray(p.a)
    || !p.a.every((n) => typeof n === "string") || typeof p.t !== "number" || !Number.isFinite(p.t)) {
    throw bad("is malformed");
  }
  if (p.t > nowMs + SKEW_SECONDS * 1000) throw bad("was issued in the future");
  if (ttlSeconds > 0 && p.t + ttlSeconds * 1000 < nowMs) {
    throw new HttpError("form_token_expired", "the form token has expired; load the form again");
  }
  // Tokens issued before nonces existed are told apart by their signature.
  const nonce = typeof p.n === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(p.n) ? p.n : parts[3].slice(0, 43);
  return { visitorId: p.v, formId: p.f, asked: p.a, renderedAt: p.t, nonce };
}
