// Fuzzes the worker's signed state tokens (worker/src/token.js): visitor
// tokens `v1.<kid>.<vid>.<iat>.<sig>` and form tokens `f1.<kid>.<payload>.<sig>`.
// cargo fuzz cannot reach them (they are JS, HMAC through WebCrypto), so this
// runs token.js itself under Node's WebCrypto and mutates genuinely signed
// tokens: bit flips, truncation, splicing, re-encoding, random bytes,
// unicode, huge inputs, and random strings. Checked on every input:
//
// - verification either returns or throws the module's HttpError with a 4xx
//   status; anything else (a TypeError, a 500) is a failure;
// - an accepted token is byte for byte one the worker signed (so no
//   malleability: no second spelling of a signature passes);
// - an accepted token is within its time-to-live, and never issued in the
//   future beyond the allowed clock skew;
// - a token signed with a key the worker does not hold (foreign kid, or a
//   known kid with another secret) never passes;
// - a visitor token never passes as a form token and the other way round.
//
// Usage: node worker/fuzz/tokens.fuzz.mjs [seconds=60] [seed]
// Prints the number of executions and exits non-zero on the first failure,
// printing the input as JSON so it can become a regression case.

import { pathToFileURL } from "node:url";
import { sign, verify, signForm, verifyForm } from "../src/token.js";
import { HttpError } from "../src/errors.js";

let seed = 1;

// xorshift32: reproducible from the printed seed.
function rand() {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 2 ** 32;
}
const int = (n) => Math.floor(rand() * n);
const pick = (list) => list[int(list.length)];

const env = { NURTURE_KEYS: "k2:second-secret-0123456789,k1:first-secret-0123456789" };
// A foreign key ring: an unknown kid, and a known kid with another secret.
const foreign = { NURTURE_KEYS: "k9:foreign-secret-0123456789,k2:not-the-second-secret-000" };
const TTL = 3600;
const NOW = 1_767_225_600; // seconds
const SKEW = 300;

const signed = new Set(); // every token this worker's keys produced
const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const vid = () => Array.from({ length: 22 }, () => pick(b64)).join("");

async function freshVisitor(keys = env) {
  const iat = NOW - int(2 * TTL) + int(2 * SKEW);
  const token = await sign(keys, vid(), iat);
  if (keys === env) signed.add(token);
  return token;
}

async function freshForm(keys = env) {
  const token = await signForm(keys, {
    visitorId: vid(),
    formId: pick(["contact", "demo", "ünï", ""]),
    asked: pick([["email"], [], ["email", "company", "title"]]),
    renderedAt: NOW * 1000 - int(2 * TTL * 1000) + int(2 * SKEW * 1000),
  });
  if (keys === env) signed.add(token);
  return token;
}

const weird = ["\u0000", "\u00e9", "\u{1F600}", "\ud800", ".", "..", "=", "+", "/", " ", "%2E", "\n", "v1", "f1", "k1", "k2", "A", "_", "-"];

function mutate(token, others) {
  let t = token;
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    const at = int(t.length + 1);
    switch (int(12)) {
      case 0: { // flip one bit of one character
        const c = t.charCodeAt(at % Math.max(t.length, 1)) ^ (1 << int(7));
        t = t.slice(0, at) + String.fromCharCode(c) + t.slice(at + 1);
        break;
      }
      case 1: t = t.slice(0, at); break; // truncate
      case 2: t = t.slice(0, at) + t.slice(at + 1 + int(4)); break; // delete
      case 3: t = t.slice(0, at) + pick(weird) + t.slice(at); break; // insert
      case 4: { // splice a part from another token
        const a = t.split("."), b = pick(others).split(".");
        const i = int(a.length);
        a[i] = b[int(b.length)] ?? "";
        t = a.join(".");
        break;
      }
      case 5: { // re-encode the signature: another base64 spelling of the same bytes
        const a = t.split(".");
        const last = a.length - 1;
        a[last] = pick([
          (s) => s + "=",
          (s) => s + "==",
          (s) => s.replace(/-/g, "+").replace(/_/g, "/"),
          (s) => s.slice(0, -1) + b64[(b64.indexOf(s.at(-1)) ^ (1 + int(3))) & 63],
          (s) => s.toUpperCase(),
        ])(a[last] ?? "");
        t = a.join(".");
        break;
      }
      case 6: t = t.replace(/\.(\d+)\./, (_, d) => `.${pick([Number(d) + 1, "0" + d, d + "0", -d, " " + d])}.`); break;
      case 7: t = Array.from({ length: int(64) }, () => String.fromCharCode(int(0x10000))).join(""); break; // random unicode
      case 8: t = t.length > 10_000 ? t : t.repeat(2 + int(300)); break; // huge
      case 9: t = pick(others); break; // a whole other token
      case 10: t = t.split(".").reverse().join("."); break;
      default: t = t.slice(0, at) + String.fromCharCode(32 + int(95)) + t.slice(at + 1); break;
    }
  }
  return t;
}

async function check(kind, token, now) {
  const run = kind === "v" ? () => verify(env, token, TTL, now) : () => verifyForm(env, token, TTL, now * 1000);
  let out;
  try {
    out = await run();
  } catch (err) {
    if (!(err instanceof HttpError) || err.status < 400 || err.status > 499) {
      fail(kind, token, now, `threw ${err?.constructor?.name} ${err?.status ?? ""}: ${err?.message}`);
    }
    return false;
  }
  if (!signed.has(token)) fail(kind, token, now, "accepted a token the worker never signed");
  if (kind === "v") {
    if (out.issuedAt + TTL < now) fail(kind, token, now, "accepted an expired token");
    if (out.issuedAt > now + SKEW) fail(kind, token, now, "accepted a token from the future");
  } else {
    if (out.renderedAt + TTL * 1000 < now * 1000) fail(kind, token, now, "accepted an expired form token");
    if (out.renderedAt > (now + SKEW) * 1000) fail(kind, token, now, "accepted a form token from the future");
  }
  return true;
}

/** The failing input, as JSON so it can be pasted into a regression test. */
export class TokenFuzzFailure extends Error {}

function fail(kind, token, now, why) {
  const shown = JSON.stringify(token.length > 2000 ? token.slice(0, 2000) + "…" : token);
  throw new TokenFuzzFailure(`${kind} token, now=${now}: ${why}\n${shown}`);
}

/** Fuzzes for `seconds`; returns the counts, throws TokenFuzzFailure. */
export async function fuzzTokens(seconds, startSeed) {
  seed = startSeed >>> 0 || 1;
  signed.clear();
  const pool = [];
  for (let i = 0; i < 16; i++) pool.push(await freshVisitor(), await freshForm());
  const foreignPool = [];
  for (let i = 0; i < 8; i++) foreignPool.push(await freshVisitor(foreign), await freshForm(foreign));

  let execs = 0, accepted = 0;
  const counts = { mutated: 0, random: 0, foreign: 0, crossed: 0, genuine: 0 };
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    for (let i = 0; i < 200; i++) {
      if (int(50) === 0) pool[int(pool.length)] = int(2) ? await freshVisitor() : await freshForm();
      const base = pick(pool);
      const kind = base.startsWith("v1.") ? "v" : "f";
      const now = NOW + int(2 * TTL) - TTL;
      const mode = int(20);
      let token, as = kind;
      if (mode === 0) { // a genuine token: accepted exactly when in time
        token = base; counts.genuine++;
      } else if (mode === 1) { // random printable / unicode string
        token = Array.from({ length: int(120) }, () => String.fromCharCode(int(2) ? 32 + int(95) : int(0x10000))).join("");
        counts.random++;
      } else if (mode === 2) { // foreign keys, untouched or mutated
        token = int(2) ? pick(foreignPool) : mutate(pick(foreignPool), pool);
        as = token.startsWith("f1.") ? "f" : "v";
        counts.foreign++;
        // Foreign tokens are never in `signed`, so check() fails on accepting
        // one (a mutation may splice in a genuine token, which may pass).
      } else if (mode === 3) { // a visitor token presented as a form token and back
        token = base; as = kind === "v" ? "f" : "v"; counts.crossed++;
      } else {
        token = mutate(base, pool.concat(foreignPool)); counts.mutated++;
      }
      if (await check(as, token, now)) accepted++;
      execs++;
    }
  }
  return { execs, accepted, counts };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = Number(process.argv[2] ?? 60);
  const startSeed = Number(process.argv[3] ?? Date.now()) >>> 0;
  try {
    const { execs, accepted, counts } = await fuzzTokens(seconds, startSeed);
    console.log(`tokens: ${execs} executions in ${seconds}s (seed ${startSeed}), ${accepted} accepted (all genuine, in time), ${JSON.stringify(counts)}`);
  } catch (err) {
    console.error(`FAIL (seed ${startSeed}): ${err.message}`);
    process.exit(1);
  }
}
