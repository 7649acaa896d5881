// @ts-check
// Token buckets. Two layers, each where it is cheapest to be right:
// - per client, in memory in each isolate: costs nothing per request and
//   stops a flood (including one that mints a new visitor per request)
//   before it reaches any Durable Object; it is approximate, since isolates
//   don't share it, which is fine for a flood guard.
// - per visitor, inside the visitor's Durable Object (visitor.js): every
//   write for a visitor already goes through that one object, so the bucket
//   there is exact and adds no extra round trip.
//
// Who "a client" is: the address Cloudflare vouches for (BEHIND_CLOUDFLARE,
// http.js trustedIp). Without one, the address header is the client's own
// word, so rotating it would pass every request: a request that presents a
// visitor token is counted per token (a forged one gets its 401 after one
// HMAC, before any Durable Object), and every other request shares one
// bucket. That bucket is kept apart from the per-client map, so a flood of
// distinct tokens can never evict it and reset it, and a flood that empties
// it leaves the visitors who present their token alone.

import { HttpError } from "./errors.js";
import { trustedIp } from "./http.js";
import { readToken } from "./token.js";

/** @typedef {import("./config.js").Settings} Settings */

export class TokenBucket {
  /**
   * @param {number} burst
   * @param {number} perSecond
   * @param {number} [now]
   */
  constructor(burst, perSecond, now = Date.now()) {
    this.burst = burst;
    this.perSecond = perSecond;
    this.tokens = burst;
    this.at = now;
  }

  /**
   * Takes one token; returns 0 when allowed, else the seconds to wait.
   * @param {number} [now]
   */
  take(now = Date.now()) {
    const elapsed = Math.max(0, now - this.at) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.perSecond);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return this.perSecond > 0 ? Math.ceil((1 - this.tokens) / this.perSecond) : 60;
  }
}

const MAX_CLIENTS = 10_000;
/** @type {Map<string, TokenBucket>} insertion order doubles as least-recently-used */
const buckets = new Map();
// Shared buckets, one per budget (the settings object is per env).
/** @type {WeakMap<Settings, Record<string, TokenBucket>>} */
const shared = new WeakMap();

/**
 * @param {string} key
 * @param {number} burst
 * @param {number} perSecond
 */
function takeKeyed(key, burst, perSecond) {
  let bucket = buckets.get(key);
  if (bucket) {
    buckets.delete(key);
  } else {
    bucket = new TokenBucket(burst, perSecond);
    if (buckets.size >= MAX_CLIENTS) buckets.delete(/** @type {string} */ (buckets.keys().next().value));
  }
  buckets.set(key, bucket);
  return bucket.take();
}

/**
 * @param {Settings} s
 * @param {string} name
 * @param {number} burst
 * @param {number} perSecond
 */
function takeShared(s, name, burst, perSecond) {
  let own = shared.get(s);
  if (!own) shared.set(s, (own = {}));
  own[name] ??= new TokenBucket(burst, perSecond);
  return own[name].take();
}

/**
 * The isolate's flood guard for a browser route: per trusted address, else
 * per presented visitor token, else the shared bucket. Throws 429.
 * @param {Request} request
 * @param {Settings} s
 */
export function limitClient(request, s) {
  const ip = trustedIp(request, s);
  let wait;
  if (ip !== null) {
    wait = takeKeyed(`ip:${ip}`, s.ipRateBurst, s.ipRatePerSecond);
  } else {
    const token = readToken(request);
    wait = token
      ? takeKeyed(`tok:${token.slice(0, 200)}`, s.ipRateBurst, s.ipRatePerSecond)
      : takeShared(s, "anonymous", s.sharedRateBurst, s.sharedRatePerSecond);
  }
  if (wait > 0) throw rateLimited(wait);
}

/**
 * Operator routes: their own small budget per trusted address (or one
 * shared budget without one), taken before the credential is checked.
 * @param {Request} request
 * @param {Settings} s
 */
export function limitAdmin(request, s) {
  const ip = trustedIp(request, s);
  const wait = ip !== null
    ? takeKeyed(`admin:${ip}`, s.adminRateBurst, s.adminRatePerSecond)
    : takeShared(s, "admin", s.adminRateBurst, s.adminRatePerSecond);
  if (wait > 0) throw rateLimited(wait);
}

/** @param {number} wait seconds */
export function rateLimited(wait) {
  const err = new HttpError("rate_limited", `too many requests; retry in ${wait} s`);
  err.retryAfter = wait;
  return err;
}
