// Token buckets. Two layers, each where it is cheapest to be right:
// - per client IP, in memory in each isolate: costs nothing per request and
//   stops a flood (including one that mints a new visitor per request)
//   before it reaches any Durable Object; it is approximate, since isolates
//   don't share it, which is fine for a flood guard.
// - per visitor, inside the visitor's Durable Object (visitor.js): every
//   write for a visitor already goes through that one object, so the bucket
//   there is exact and adds no extra round trip.

import { HttpError } from "./http.js";

export class TokenBucket {
  constructor(burst, perSecond, now = Date.now()) {
    this.burst = burst;
    this.perSecond = perSecond;
    this.tokens = burst;
    this.at = now;
  }

  /** Takes one token; returns 0 when allowed, else the seconds to wait. */
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
const buckets = new Map(); // insertion order doubles as least-recently-used

export function limitIp(ip, s) {
  let bucket = buckets.get(ip);
  if (bucket) {
    buckets.delete(ip);
  } else {
    bucket = new TokenBucket(s.ipRateBurst, s.ipRatePerSecond);
    if (buckets.size >= MAX_CLIENTS) buckets.delete(buckets.keys().next().value);
  }
  buckets.set(ip, bucket);
  const wait = bucket.take();
  if (wait > 0) throw rateLimited(wait);
}

export function rateLimited(wait) {
  const err = new HttpError(429, "rate_limited", `too many requests; retry in ${wait} s`);
  err.retryAfter = wait;
  return err;
}
