// @ts-check
// The `webhook` destination: the envelope of the `nurture` destination
// (`{"batch": [message, ...]}`, each message's idempotency key in `id`),
// signed. Headers:
//   Nurture-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]
//     v1 = HMAC-SHA256(secret, `${t}.${body}`) as lower-case hex, one per
//     configured secret (rotation: the receiver accepts any v1 that one of
//     its secrets produces, so sender and receiver can change secrets in
//     either order);
//   Idempotency-Key: bat_<digest of the message ids> (the same on a resend).
// The timestamp is signed with the body, so a receiver refuses a delivery
// older than its tolerance (a replay) and one whose body was changed. A
// retried delivery is signed again with a fresh timestamp. The verification
// snippet is in docs/destinations.md (test/destinations.test.mjs runs it).

import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { envelope } from "./nurture.js";

/**
 * @typedef {import("./nurture.js").Format} Format
 */

export const SIGNATURE_HEADER = "nurture-signature";

const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/**
 * The signature header's value for `body` at `now` (ms) under each secret.
 * @param {string[]} secrets
 * @param {string} body
 * @param {number} now
 */
export function signatureHeader(secrets, body, now) {
  const t = Math.floor(now / 1000);
  const signed = encoder.encode(`${t}.${body}`);
  const sigs = secrets.map((secret) => {
    let hex = "";
    for (const b of hmac(sha256, encoder.encode(secret), signed)) hex += HEX[b];
    return `v1=${hex}`;
  });
  return `t=${t},${sigs.join(",")}`;
}

/** @type {Format} */
export const webhook = {
  ...envelope,
  headers: (dest, body, now) => ({ [SIGNATURE_HEADER]: signatureHeader(dest.secrets ?? [], body, now) }),
};
