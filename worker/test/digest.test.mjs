// The worker's SHA-256 (src/digest.js, written out in JS for short texts)
// against node:crypto: every length around the block bounds, ASCII and not,
// lone surrogates (which TextEncoder and node:crypto both encode as U+FFFD),
// and random texts. Plain Node: digest.js imports nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256, sha256Hex } from "../src/digest.js";

const reference = (text) => createHash("sha256").update(text, "utf8").digest("hex");
const hex = (bytes) => Buffer.from(bytes).toString("hex");

test("the FIPS 180-4 examples", () => {
  assert.equal(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

test("every length from 0 to 300 bytes, and across the direct copy's bound", () => {
  for (let n = 0; n <= 300; n++) {
    for (const text of ["a".repeat(n), "é".repeat(n >> 1), `${"x".repeat(Math.max(0, n - 1))}\u4e2d`]) {
      assert.equal(sha256Hex(text), reference(text), `length ${text.length}`);
    }
  }
  for (const n of [4095, 4096, 4097, 10_000, 100_000]) assert.equal(sha256Hex("z".repeat(n)), reference("z".repeat(n)));
});

test("lone surrogates, emoji and control characters", () => {
  for (const text of ["\ud800", "a\udc00b", "😀", "\u0000\u007f\u0080", "visitor\n\ud83d", "\uffff"]) {
    assert.equal(sha256Hex(text), reference(text), JSON.stringify(text));
  }
});

test("random texts, and digests in a row share no state", () => {
  let seed = 42;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const alphabet = ["a", "Z", "0", "\n", "-", "é", "中", "😀", "\ud800"];
  for (let i = 0; i < 2000; i++) {
    const n = Math.floor(rand() * 200);
    let text = "";
    for (let j = 0; j < n; j++) text += alphabet[Math.floor(rand() * (rand() < 0.8 ? 5 : alphabet.length))];
    assert.equal(hex(sha256(text)), reference(text));
  }
  const first = sha256("one");
  sha256("two".repeat(100));
  assert.equal(hex(first), reference("one"));
});
