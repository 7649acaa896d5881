// `new Condition(c).eval(attributes)` in the full build reads the JS
// attributes in place (src/wasm/condition.rs, condition_read.js): the same
// answers as the JSON route (`evalCondition`, which converts everything
// first), on GrowthBook's vectors and on random attribute objects.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import nurture from "./load.mjs";

const cases = JSON.parse(readFileSync(new URL("../data/vectors/growthbook-cases.json", import.meta.url))).evalCondition;

test("every vector that compiles strictly: eval answers as expected, groups given either way", () => {
  const failures = [];
  let compiled = 0;
  for (const [name, condition, attributes, expected, savedGroups] of cases) {
    let cond;
    try {
      cond = new nurture.Condition(condition, savedGroups);
    } catch {
      continue;
    }
    compiled++;
    const plain = new nurture.Condition(condition);
    const got = [cond.eval(attributes), cond.eval(attributes, savedGroups), plain.eval(attributes, savedGroups)];
    if (got.some((g) => g !== expected)) failures.push(`${name}: got ${got}, expected ${expected}`);
  }
  assert.equal(compiled, 121);
  assert.deepEqual(failures, []);
});

test("groups given to eval replace the constructor's", () => {
  const cond = new nurture.Condition({ id: { $inGroup: "g" } }, { g: [1, 2] });
  assert.equal(cond.eval({ id: 1 }), true);
  assert.equal(cond.eval({ id: 1 }, { g: [3] }), false);
  assert.equal(cond.eval({ id: 3 }, { g: [3] }), true);
  assert.equal(cond.eval({ id: 1 }, []), false);
  assert.equal(cond.eval({ id: 1 }, { g: "123" }), true);
});

// A small deterministic generator of attribute values: every JS type the
// JSON route reads, edge numbers, holes, nesting.
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}
const scalars = ["", "a", "A", "b", "1", "10", "1.2.3", "v2.0.0-beta", "é", "null", "true", 0, -0, 1, 2, 10, 1.5, -3, 1e21,
  2 ** 53 + 2, NaN, Infinity, true, false, null, undefined];
function value(r, depth) {
  const k = r();
  if (depth > 2 || k < 0.6) return scalars[Math.floor(r() * scalars.length)];
  if (k < 0.8) {
    const a = Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    if (r() < 0.1) a.length += 2; // holes
    return a;
  }
  const o = {};
  for (const key of ["a", "b", "c"]) if (r() < 0.6) o[key] = value(r, depth + 1);
  // `undefined` inside a nested object: JSON.stringify drops the key where
  // the JSON route reads null; see the module documentation.
  for (const key of Object.keys(o)) if (o[key] === undefined) o[key] = null;
  return o;
}
const conditions = [
  { a: "a" }, { a: 1 }, { a: true }, { a: null }, { "a.b": { $exists: true } }, { "a.0": "a" }, { "a.length": 2 },
  { a: { $in: ["a", 1, null, true] } }, { a: { $nin: ["b", 2] } }, { a: { $ini: ["A"] } }, { a: { $all: ["a"] } },
  { a: { $alli: ["a", "b"] } }, { a: { $elemMatch: { $gt: 1 } } }, { a: { $elemMatch: { b: { $exists: true } } } },
  { a: { $size: 2 } }, { a: { $type: "array" } }, { a: { $type: "object" } }, { a: { $type: "number" } },
  { a: { $gt: 1, $lt: 10 } }, { a: { $gte: "a" } }, { a: { $eq: 1 } }, { a: { $ne: "a" } }, { a: { $regex: "^[a1]" } },
  { a: { $regexi: "a$" } }, { a: { $vgt: "1.0.0" } }, { a: ["a", 1] }, { a: { b: "a" } }, { a: { b: null, c: 1 } },
  { "a.b.c": { $exists: false } }, { $or: [{ a: "a" }, { "b.a": 1 }] }, { $not: { b: { $type: "array" } } },
  { c: { $inGroup: "g" } }, { c: { $notInGroup: "h" } },
];

test("random attributes: the in-place read answers like the JSON route", () => {
  const r = rng(20260512);
  const compiled = conditions.map((c) => new nurture.Condition(c));
  const groups = { g: ["a", 1, null], h: "abc" };
  const failures = [];
  for (let i = 0; i < 3000; i++) {
    const attrs = { a: value(r, 0), b: value(r, 0), c: value(r, 0) };
    for (const [j, cond] of compiled.entries()) {
      const json = nurture.evalCondition(attrs, conditions[j], groups);
      if (cond.eval(attrs, groups) !== json) failures.push(`${JSON.stringify(conditions[j])} on ${JSON.stringify(attrs)}`);
    }
  }
  assert.deepEqual(failures.slice(0, 5), []);
});

test("only what the condition reads is read; inherited properties are missing", () => {
  const cond = new nurture.Condition({ a: "x" });
  const cycle = {};
  cycle.self = cycle;
  const attrs = { a: "x", get boom() { throw new Error("not read"); }, cycle, big: 10n, f() {} };
  assert.equal(cond.eval(attrs), true);
  // The JSON route reads (and trips on) everything.
  assert.throws(() => nurture.evalCondition(attrs, { a: "x" }), /not read/);
  // A getter on the path that throws: its error, as before.
  assert.throws(() => new nurture.Condition({ boom: 1 }).eval(attrs), /not read/);
  // A cycle the condition reads: invalid_argument, as the JSON route says.
  assert.throws(() => new nurture.Condition({ cycle: { $exists: true } }).eval(attrs), (e) => e.code === "invalid_argument");
  assert.equal(new nurture.Condition({ big: 10 }).eval(attrs), true);
  for (const path of ["constructor", "toString", "__proto__", "a.length", "a.0", "hasOwnProperty"]) {
    assert.equal(new nurture.Condition({ [path]: { $exists: false } }).eval({ a: "x" }), true, path);
  }
  // Own properties of those names are read.
  const own = JSON.parse('{"__proto__": 1, "constructor": "c"}');
  assert.equal(new nurture.Condition(JSON.parse('{"__proto__": 1}')).eval(own), true);
  assert.equal(new nurture.Condition({ constructor: "c" }).eval(own), true);
  // Class instances are read through their getters, as GrowthBook reads them.
  class Visitor { get country() { return "CN"; } }
  assert.equal(new nurture.Condition({ country: "CN" }).eval(new Visitor()), true);
  // Not an object: every path is missing.
  for (const attrs of [null, undefined, "x", 5]) {
    assert.equal(new nurture.Condition({ a: null }).eval(attrs), true);
  }
});

test("$regex and $regexi run on the JS engine's RegExp, as in GrowthBook", () => {
  const re = new nurture.Condition({ ua: { $regex: "(Mobile|Tablet)" } });
  assert.equal(re.eval({ ua: "Android Mobile" }), true);
  assert.equal(re.eval({ ua: "Desktop" }), false);
  assert.equal(re.eval({ ua: ["x", "Tablet"] }), true); // String(["x","Tablet"]) = "x,Tablet"
  const ri = new nurture.Condition({ ua: { $regexi: "^été" } });
  assert.equal(ri.eval({ ua: "ÉTÉ 2026" }), true);
  assert.equal(new nurture.Condition({ n: { $regex: "^null$" } }).eval({}), true);
});
