// @ts-check
// SHA-256 of a text (UTF-8), the one digest the worker takes: idempotency
// keys, content ids of events without one, hashed personal fields, the
// documents' version and the operator credential's comparison.

const encoder = new TextEncoder();

/**
 * @param {string} text
 * @returns {Promise<Uint8Array>}
 */
export async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/**
 * The digest as lower-case hex, 64 digits.
 * @param {string} text
 */
export async function sha256Hex(text) {
  return [...(await sha256(text))].map((b) => b.toString(16).padStart(2, "0")).join("");
}
