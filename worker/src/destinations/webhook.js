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

import { envelope } from "./nurture.js";
import { toHex } from "../digest.js";

/**
 * @typedef {import("./nurture.js").Format} Format
 */

export const SIGNATURE_HEADER = "nurture-signature";

const encoder = new TextEncoder();
/** @type {Map<string, Promise<CryptoKey>>} secret → its HMAC key, imported once per isolate */
const keys = new Map();

/** @param {string} secret */
function keyOf(secret) {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(secret, key);
  }
  return key;
}

/**
 * The signature header's value for `body` at `now` (ms) under each secret.
 * Web Crypto's HMAC (native: a request body is up to 512 KB).
 * @param {string[]} secrets
 * @param {string} body
 * @param {number} now
 */
export async function signatureHeader(secrets, body, now) {
  const t = Math.floor(now / 1000);
  const signed = encoder.encode(`${t}.${body}`);
  const sigs = await Promise.all(secrets.map(async (secret) => {
    const mac = await crypto.subtle.sign("HMAC", await keyOf(secret), signed);
    return `v1=${toHex(new Uint8Array(mac))}`;
  }));
  return `t=${t},${sigs.join(",")}`;
}

/** @type {Format} */
export const webhook = {
  ...envelope,
  headers: async (dest, body, now) => ({ [SIGNATURE_HEADER]: await signatureHeader(dest.secrets ?? [], body, now) }),
};
