// @ts-check
// SHA-256 of a text (UTF-8), the one digest the worker takes: idempotency
// keys, content ids of events without one, hashed personal fields, the
// documents' version and the operator credential's comparison.
//
// Synchronous, in JS: an event batch takes a digest per event for its
// idempotency key, and Web Crypto's `crypto.subtle.digest` costs a promise
// and a trip out of the isolate each time. The texts are short (a visitor
// id and an event id: one 64-byte block), so what a general hasher costs
// around the compression (an object, its buffers and views per digest, the
// text encoded into a new array) was most of it: @noble/hashes, used before,
// took 2.2 µs a key in Node against 0.95 µs here, and in the worker's CPU
// profile of a 20-event batch the digests were 15-20 % of the isolate's
// time. FIPS 180-4 as written; worker/test/digest.test.mjs holds it equal to
// node:crypto over texts of every length around the block bounds, in ASCII,
// in other scripts and with lone surrogates (encoded as TextEncoder does:
// U+FFFD).

// The first 32 bits of the fractional parts of the cube roots of the first
// 64 primes (FIPS 180-4, 4.2.2).
const K = Uint32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
);
// The initial hash value (5.3.3).
const H0 = Uint32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);
// Scratch, reused by every digest (the worker is single-threaded and a
// digest never yields).
const W = new Uint32Array(64);
const H = new Uint32Array(8);
/** The padded message of an ASCII text, grown as needed. */
let scratch = new Uint8Array(256);
// An ASCII text up to this long is copied byte by byte into `scratch`;
// anything else goes through the encoder.
const DIRECT_CHARS = 4096;

const encoder = new TextEncoder();

/**
 * One block of the padded message at `at` into H (6.2.2).
 * @param {Uint8Array} m
 * @param {number} at
 */
function compress(m, at) {
  for (let t = 0; t < 16; t++) {
    const j = at + 4 * t;
    W[t] = (m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3];
  }
  for (let t = 16; t < 64; t++) {
    const x = W[t - 15];
    const y = W[t - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
  }
  let a = H[0] | 0;
  let b = H[1] | 0;
  let c = H[2] | 0;
  let d = H[3] | 0;
  let e = H[4] | 0;
  let f = H[5] | 0;
  let g = H[6] | 0;
  let h = H[7] | 0;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] += a;
  H[1] += b;
  H[2] += c;
  H[3] += d;
  H[4] += e;
  H[5] += f;
  H[6] += g;
  H[7] += h;
}

/**
 * `text` (UTF-8) padded to whole blocks (5.1.1): the array and the
 * message's length in bytes.
 * @param {string} text
 * @returns {[Uint8Array, number]}
 */
function padded(text) {
  const n = text.length;
  let ascii = n <= DIRECT_CHARS;
  for (let i = 0; ascii && i < n; i++) if (text.charCodeAt(i) > 0x7f) ascii = false;
  /** @type {Uint8Array} */
  let m;
  let len;
  if (ascii) {
    len = n;
    const size = blocksFor(len);
    if (scratch.length < size) scratch = new Uint8Array(size);
    m = scratch;
    for (let i = 0; i < n; i++) m[i] = text.charCodeAt(i);
  } else {
    const bytes = encoder.encode(text);
    len = bytes.length;
    m = new Uint8Array(blocksFor(len));
    m.set(bytes);
  }
  const size = blocksFor(len);
  m[len] = 0x80;
  m.fill(0, len + 1, size);
  // The length in bits, big-endian in the last 8 bytes (texts here are far
  // below 2^32 bytes, so the top three bytes stay 0).
  const hi = Math.floor(len / 0x20000000);
  const lo = (len * 8) >>> 0;
  m[size - 5] = hi;
  m[size - 4] = lo >>> 24;
  m[size - 3] = lo >>> 16;
  m[size - 2] = lo >>> 8;
  m[size - 1] = lo;
  return [m, len];
}

/**
 * Bytes of whole 64-byte blocks for a message of `len` bytes with its
 * padding (0x80, zeros, 8 bytes of length).
 * @param {number} len
 */
const blocksFor = (len) => ((len + 9 + 63) >> 6) << 6;

/**
 * @param {string} text
 * @returns {Uint8Array}
 */
export function sha256(text) {
  const [m, len] = padded(text);
  H.set(H0);
  const size = blocksFor(len);
  for (let at = 0; at < size; at += 64) compress(m, at);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = H[i];
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = v >>> 16;
    out[4 * i + 2] = v >>> 8;
    out[4 * i + 3] = v;
  }
  return out;
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
