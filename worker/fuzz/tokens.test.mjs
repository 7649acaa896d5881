// Regression tests from fuzzing the signed tokens (worker/fuzz/tokens.fuzz.mjs),
// run by plain Node against worker/src/token.js, plus a short fuzz run so the
// invariants keep being checked in CI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sign, verify, signForm, verifyForm } from "../src/token.js";
import { fuzzTokens } from "./tokens.fuzz.mjs";

const env = { NURTURE_KEYS: "k2:second-secret-0123456789,k1:first-secret-0123456789" };
const NOW = 1_767_225_600;
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// A 32-byte MAC is 43 base64url characters; the last one carries 4 bits and
// 2 unused ones. atob ignores the unused bits, so before the fix the same
// signature had four spellings, and all four verified.
function respell(token) {
  const last = token.at(-1);
  return B64.split("")
    .filter((c) => c !== last && (B64.indexOf(c) & ~3) === (B64.indexOf(last) & ~3))
    .map((c) => token.slice(0, -1) + c);
}

test("a visitor token's signature has one spelling only", async () => {
  const token = await sign(env, "AAAAAAAAAAAAAAAAAAAAAA", NOW);
  assert.equal((await verify(env, token, 3600, NOW)).visitorId, "AAAAAAAAAAAAAAAAAAAAAA");
  const others = respell(token);
  assert.equal(others.length, 3);
  for (const other of others) {
    await assert.rejects(verify(env, other, 3600, NOW), { status: 401, code: "invalid_visitor_token" });
  }
});

test("a form token's signature has one spelling only", async () => {
  const token = await signForm(env, { visitorId: "AAAAAAAAAAAAAAAAAAAAAA", formId: "contact", asked: ["email"], renderedAt: NOW * 1000 });
  assert.equal((await verifyForm(env, token, 3600, NOW * 1000)).formId, "contact");
  for (const other of respell(token)) {
    await assert.rejects(verifyForm(env, other, 3600, NOW * 1000), { status: 403, code: "invalid_form_token" });
  }
});

test("two seconds of token fuzzing find nothing", async () => {
  const { execs, accepted } = await fuzzTokens(2, 20261126);
  assert.ok(execs > 1000, `only ${execs} executions`);
  assert.ok(accepted > 0, "no genuine token was accepted: the fuzzer checks nothing");
});

test("a token verified once is still checked for time and keys", async () => {
  const token = await sign(env, "BBBBBBBBBBBBBBBBBBBBBB", NOW);
  // The second check takes the cached signature: same answer.
  const first = await verify(env, token, 3600, NOW);
  const again = await verify(env, token, 3600, NOW + 10);
  assert.deepEqual(again, first);
  // ...but not past the token's lifetime, nor before its issue time.
  await assert.rejects(verify(env, token, 3600, NOW + 3601), { status: 401, code: "visitor_token_expired" });
  await assert.rejects(verify(env, token, 3600, NOW - 400), { code: "invalid_visitor_token" });
  // Under another key set it is checked again: k2 is gone.
  await assert.rejects(verify({ NURTURE_KEYS: "k1:first-secret-0123456789" }, token, 3600, NOW), { code: "unknown_key_id" });
  // A rotation: k2 now verifies but no longer signs, so the token is not current.
  const rotated = { NURTURE_KEYS: "k3:third-secret-0123456789,k2:second-secret-0123456789" };
  assert.equal((await verify(rotated, token, 3600, NOW)).current, false);
  assert.equal((await verify(env, token, 3600, NOW)).current, true);
  // A cached answer is a copy: changing it changes nothing cached.
  first.visitorId = "changed";
  assert.equal((await verify(env, token, 3600, NOW)).visitorId, "BBBBBBBBBBBBBBBBBBBBBB");
});
