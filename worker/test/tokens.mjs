// Makes visitor tokens in Node the way the worker does, to forge, expire and
// rotate them in tests.
import { createHmac, randomBytes } from "node:crypto";

export function makeToken({ kid = "k2", secret = "second-secret-0123456789", visitorId = randomBytes(16).toString("base64url"), iat = Math.floor(Date.now() / 1000) } = {}) {
  const payload = `v1.${kid}.${visitorId}.${iat}`;
  return `${payload}.${createHmac("sha256", secret).update(payload).digest("base64url")}`;
}

/** A form token the way the worker signs one (f1.<kid>.<payload>.<mac>). */
export function makeFormToken({ kid = "k2", secret = "second-secret-0123456789", visitorId = randomBytes(16).toString("base64url"), formId = "contact", asked = ["email", "company", "title", "industry", "website_url"], t = Date.now() - 10_000, n = randomBytes(12).toString("base64url"), payload } = {}) {
  const body = Buffer.from(payload ?? JSON.stringify({ v: visitorId, f: formId, a: asked, t, n })).toString("base64url");
  const signed = `f1.${kid}.${body}`;
  return `${signed}.${createHmac("sha256", secret).update(signed).digest("base64url")}`;
}

/**
 * A visitor id outside the hero slot's 10 % holdout of the sample site
 * config (hash("holdout:hero", id, 2) >= 0.1, as the core decides it), so
 * tests that expect a targeted hero are deterministic.
 */
export async function visitorOutsideHoldout() {
  const nurture = (await import("../../tests/js/load.mjs")).default;
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (nurture.hash("holdout:hero", id, 2) >= 0.1) return id;
  }
}
