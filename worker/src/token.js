// The signed visitor id: `v1.<kid>.<visitorId>.<issuedAt>.<signature>`,
// HMAC-SHA256 over everything before the last dot, keys from
// env.NURTURE_KEYS. The first key signs; every listed key verifies, so a key
// is rotated by putting the new one first and dropping the old one once its
// tokens have been re-signed (each verified request with an old key gets a
// cookie signed with the current one) or have expired.

import { HttpError } from "./http.js";

export const COOKIE = "nurture_vid";
export const HEADER = "x-nurture-visitor";
const KID = /^[A-Za-z0-9_-]{1,32}$/;
const VID = /^[A-Za-z0-9_-]{22}$/;
const SKEW_SECONDS = 300;

const keyCache = new Map(); // raw NURTURE_KEYS text → Promise<[{kid, key}]>

function misconfigured(message) {
  return new HttpError(500, "server_misconfigured", message);
}

export function parseKeys(raw) {
  if (raw === undefined || raw === null || String(raw).trim() === "") {
    throw misconfigured("NURTURE_KEYS is not set");
  }
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
    let kid, secret;
    if (typeof item === "string") {
      const at = item.indexOf(":");
      [kid, secret] = at < 0 ? [item, ""] : [item.slice(0, at), item.slice(at + 1)];
    } else if (item && typeof item === "object") {
      ({ kid, secret } = item);
    }
    if (typeof kid !== "string" || !KID.test(kid)) throw misconfigured("NURTURE_KEYS: a key id must be 1-32 of [A-Za-z0-9_-]");
    if (typeof secret !== "string" || secret.length < 16) throw misconfigured(`NURTURE_KEYS: the secret of key ${kid} is shorter than 16 characters`);
    return { kid, secret };
  });
  if (keys.length === 0) throw misconfigured("NURTURE_KEYS lists no key");
  return keys;
}

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

export function b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export function newVisitorId() {
  return b64url(crypto.getRandomValues(new Uint8Array(16)));
}

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
 */
export async function verify(env, token, ttlSeconds, nowSeconds = Math.floor(Date.now() / 1000)) {
  const bad = () => new HttpError(401, "invalid_visitor_token", "the visitor token is malformed or its signature does not match");
  if (typeof token !== "string" || token.length > 200) throw bad();
  const parts = token.split(".");
  if (parts.length !== 5 || parts[0] !== "v1") throw bad();
  const [, kid, visitorId, iat, sig] = parts;
  if (!KID.test(kid) || !VID.test(visitorId) || !/^[0-9]{1,12}$/.test(iat)) throw bad();
  const all = await keys(env);
  const index = all.findIndex((k) => k.kid === kid);
  if (index < 0) throw new HttpError(401, "unknown_key_id", "the visitor token was signed with a key this worker does not know");
  const mac = fromB64url(sig);
  if (mac === null || mac.length !== 32) throw bad();
  const ok = await crypto.subtle.verify("HMAC", all[index].key, mac, new TextEncoder().encode(parts.slice(0, 4).join(".")));
  if (!ok) throw bad();
  const issuedAt = Number(iat);
  if (issuedAt > nowSeconds + SKEW_SECONDS) throw bad();
  if (ttlSeconds > 0 && issuedAt + ttlSeconds < nowSeconds) {
    throw new HttpError(401, "visitor_token_expired", "the visitor token has expired");
  }
  return { visitorId, kid, issuedAt, current: index === 0 };
}

export function readToken(request) {
  const header = request.headers.get(HEADER);
  if (header !== null) return header.trim();
  const cookies = request.headers.get("cookie");
  if (cookies === null) return null;
  for (const part of cookies.split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === COOKIE) return part.slice(at + 1).trim();
  }
  return null;
}

export function cookieFor(token, ttlSeconds) {
  // SameSite=None: the beacon comes from the customer's site to the worker's
  // host, a cross-site request; that requires Secure.
  return `${COOKIE}=${token}; Path=/; Max-Age=${ttlSeconds || 34128000}; HttpOnly; Secure; SameSite=None`;
}
