// @ts-check
// SHA-256 of a text (UTF-8), the one digest the worker takes: idempotency
// keys, content ids of events without one, hashed personal fields, the
// documents' version and the operator credential's comparison.
//
// Synchronous, from @noble/hashes (audited, no dependencies): an event
// batch takes a digest per event for its idempotency key, and Web Crypto's
// `crypto.subtle.digest` costs a promise and a trip out of the isolate each
// time. In the last CPU profile of a 20-event batch, those digests were about
// a sixth of the worker's time; the same digest in JS takes a tenth of it
// for these short texts.

import { sha256 as sha256Bytes } from "@noble/hashes/sha2.js";

const encoder = new TextEncoder();

/**
 * @param {string} text
 * @returns {Uint8Array}
 */
export function sha256(text) {
  return sha256Bytes(encoder.encode(text));
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/**
 * Bytes as lower-case hex.
 * @param {Uint8Array} bytes
 */
export function toHex(bytes) {
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}

/**
 * The digest as lower-case hex, 64 digits.
 * @param {string} text
 */
export function sha256Hex(text) {
  return toHex(sha256(text));
}
