// Property: a value that crosses the wasm boundary and comes back unchanged
// by the core is the value JavaScript gave. Generated with fast-check:
// nested objects and arrays, strings of any Unicode (astral characters
// included), integers up to 2^53, fractions, tiny and huge magnitudes,
// booleans and null.
//
// The way in is serde-wasm-bindgen into serde_json (src/wasm/mod.rs
// `from_js`), the way out JSON text and `JSON.parse` (`to_js`). Two real
// paths where the core hands a value back as given are exercised:
//   - validateForm: the known profile comes back in `merge.profile`;
//   - decide: a slot's default content comes back as the decision content.
//
// What does NOT come back as given, each asserted below:
//   - -0 becomes 0 (it is a safe integer for serde-wasm-bindgen, and JSON
//     has no negative zero anyway);
//   - NaN, Infinity and -Infinity become null (no JSON form; JSON.stringify
//     does the same);
//   - undefined becomes null, in objects and arrays alike (JSON.stringify
//     would drop the key or write null);
//   - a lone UTF-16 surrogate becomes U+FFFD (Rust strings are UTF-8);
//   - object keys come back in serde_json's order (sorted), not insertion
//     order; JavaScript's own rule (integer-like keys first) then applies;
//   - objects that are not plain are read by their own enumerable
//     properties: a null-prototype object or a class instance comes back
//     a plain object (getters on the prototype dropped), a Date as {} (not
//     its ISO text, unlike JSON.stringify), a Map as an object of its
//     entries; an array's holes become null and its extra named properties
//     are dropped;
//   - a BigInt within i64/u64 comes back a Number (exact up to 2^53),
//     a larger one throws `invalid_argument`, as do a Symbol, a function, a
//     Set and a typed array;
//   - values nested deeper than 512 levels, and cycles, throw
//     `invalid_argument` instead of being read.
import test from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import nurture from "./load.mjs";

// A fixed seed: the run is the same every time (a failure reproduces), and
// 300 values per path keep the file around a second.
const RUNS = { numRuns: 300, seed: 20260801 };

const form = { fields: [{ name: "email", type: "email" }] };

function throughProfile(profile) {
  const r = nurture.validateForm(form, {}, { profile });
  assert.equal(r.valid, true, JSON.stringify(r.errors));
  return r.merge.profile;
}

function throughContent(content) {
  const site = { slots: [{ id: "hero", default: { content } }] };
  const d = nurture.decide(site, { id: "v-1" });
  assert.equal(d.decisions[0].variant, "default");
  return d.decisions[0].content;
}

// Numbers JSON can carry, with the edges that break naive conversions.
const number = fc.oneof(
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(2 ** 53, -(2 ** 53), 2 ** 53 - 1, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 63, 1e21, 1e300, 5e-324,
    Number.MAX_VALUE, Number.MIN_VALUE, 0.1, 1 / 3, -1.5e-7),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
);
// Full Unicode: astral characters arrive as surrogate pairs and must stay pairs.
const string = fc.oneof(fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), fc.constantFrom("😀", "𝔘𝔫𝔦", "中文", "\u0000", "\"\\"));
const key = fc.oneof(fc.string({ unit: "binary", maxLength: 8 }), fc.constantFrom("0", "10", "a", "__proto__x", "constructor"));

const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true },
    fc.constant(null), fc.boolean(), number, string,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(key, tie("value"), { maxKeys: 5, noNullPrototype: true })),
}));
const profile = fc.dictionary(key, value, { maxKeys: 8, noNullPrototype: true });

test("a profile round-trips through validateForm unchanged", () => {
  fc.assert(fc.property(profile, (p) => {
    assert.deepStrictEqual(throughProfile(p), p);
  }), RUNS);
});

test("slot content round-trips through decide unchanged", () => {
  fc.assert(fc.property(value, (v) => {
    assert.deepStrictEqual(throughContent(v), v);
  }), RUNS);
});

test("what is not preserved is normalized as documented", () => {
  const out = throughProfile({
    negZero: -0, nan: NaN, inf: Infinity, negInf: -Infinity, undef: undefined,
    list: [undefined, -0, NaN], lone: "a\uD800b", loneLow: "\uDC00", pair: "\uD83D\uDE00",
  });
  assert.ok(Object.is(out.negZero, 0), "-0 becomes 0");
  assert.equal(out.nan, null);
  assert.equal(out.inf, null);
  assert.equal(out.negInf, null);
  assert.ok("undef" in out && out.undef === null, "undefined becomes null, the key stays");
  assert.deepStrictEqual(out.list, [null, 0, null]);
  assert.equal(out.lone, "a\uFFFDb");
  assert.equal(out.loneLow, "\uFFFD");
  assert.equal(out.pair, "😀", "a surrogate pair is one astral character");
  // Key order: sorted by serde_json, integer-like keys first by JS itself.
  assert.deepStrictEqual(Object.keys(throughContent({ b: 1, a: 2, 10: 3, 2: 4 })), ["2", "10", "a", "b"]);
});

test("values that are not JSON are read by their own properties, or refused", () => {
  class Point { constructor() { this.x = 1; } get y() { return 2; } }
  const bare = Object.create(null);
  bare.a = 1;
  const extra = Object.assign([1], { k: 2 });
  // eslint-disable-next-line no-sparse-arrays
  const holes = [1, , 3];
  assert.deepStrictEqual(throughContent(bare), { a: 1 });
  assert.equal(Object.getPrototypeOf(throughContent(bare)), Object.prototype);
  assert.deepStrictEqual(throughContent(new Point()), { x: 1 });
  assert.deepStrictEqual(throughContent(new Date(0)), {});
  assert.deepStrictEqual(throughContent(new Map([["a", 1]])), { a: 1 });
  assert.deepStrictEqual(throughContent(holes), [1, null, 3]);
  assert.deepStrictEqual(throughContent(extra), [1]);
  assert.equal(throughContent(10n), 10);
  assert.equal(throughContent(-(2n ** 40n)), -(2 ** 40));
  for (const bad of [2n ** 70n, Symbol("s"), () => 1, new Set([1]), new Uint8Array([1])]) {
    assert.throws(() => throughContent(bad), (e) => e.code === "invalid_argument" && e.path === "config");
    assert.throws(() => throughProfile({ x: bad }), (e) => e.code === "invalid_argument");
  }
});

test("too deep or cyclic values throw invalid_argument, and the instance keeps working", () => {
  let deep = null;
  for (let i = 0; i < 600; i++) deep = [deep];
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  for (const bad of [deep, cyclic]) {
    assert.throws(() => throughContent(bad), (e) => e.code === "invalid_argument");
    assert.throws(() => nurture.validateForm(form, {}, { profile: { x: bad } }), (e) => e.code === "invalid_argument");
  }
  let ok = null;
  for (let i = 0; i < 500; i++) ok = [ok];
  assert.deepStrictEqual(throughContent(ok), ok, "500 levels are read");
});
