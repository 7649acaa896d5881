// The shared scoring vectors (tests/data/vectors/scoring.json) against both
// builds of the package (pkg/ and pkg/browser/), through score() and a
// compiled Model, whole result compared. tests/scoring_vectors.rs runs the
// same file against the Rust core.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pkgDir, loadBuild } from "./load.mjs";

const { cases } = JSON.parse(readFileSync(new URL("../data/vectors/scoring.json", import.meta.url), "utf8"));
// The number of cases (as in tests/scoring_vectors.rs): a case that goes
// missing fails here.
const CASES = 74;
// Results are rounded to 4 decimals; the builds may differ in the last bits.
const TOLERANCE = 1e-6;

const builds = [
  ["full", await loadBuild(pkgDir)],
  ["browser", await loadBuild(path.join(pkgDir, "browser"))],
];

/** Where `got` and `want` first differ, as a path, or null. */
function difference(got, want, at = "expected") {
  if (typeof got === "number" && typeof want === "number") {
    return Math.abs(got - want) <= TOLERANCE ? null : `${at}: got ${got}, expected ${want}`;
  }
  if (Array.isArray(got) && Array.isArray(want)) {
    if (got.length !== want.length) return `${at}: ${got.length} items, expected ${want.length}`;
    for (let i = 0; i < got.length; i++) {
      const d = difference(got[i], want[i], `${at}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (got && want && typeof got === "object" && typeof want === "object" && !Array.isArray(got) && !Array.isArray(want)) {
    for (const key of new Set([...Object.keys(got), ...Object.keys(want)])) {
      if (!(key in want)) return `${at}.${key}: unexpected ${JSON.stringify(got[key])}`;
      if (!(key in got)) return `${at}.${key}: missing, expected ${JSON.stringify(want[key])}`;
      const d = difference(got[key], want[key], `${at}.${key}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(got, want) ? null : `${at}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
}

test("the vectors file holds the pinned number of cases, each with an expected result", () => {
  assert.equal(cases.length, CASES);
  assert.equal(new Set(cases.map((c) => c.name)).size, CASES, "names are unique");
  for (const c of cases) assert.ok(c.expected && typeof c.expected === "object", c.name);
});

test("the comparison tolerates float noise and names the first difference", () => {
  const want = { a: [1, { b: 0.25 }], c: "x" };
  assert.equal(difference({ a: [1.0000000001, { b: 0.25 }], c: "x" }, want), null);
  assert.equal(difference({ a: [1, { b: 0.2501 }], c: "x" }, want), "expected.a[1].b: got 0.2501, expected 0.25");
  assert.equal(difference({ a: [1, { b: 0.25 }], c: "x", d: null }, want), "expected.d: unexpected null");
});

for (const [build, nurture] of builds) {
  test(`${build}: score() gives every vector's expected result`, () => {
    const failures = [];
    for (const c of cases) {
      const got = nurture.score(c.model ?? null, c.profile, c.events, c.now, c.options);
      const d = difference(got, c.expected);
      if (d) failures.push(`${c.name}: ${d}`);
    }
    assert.deepEqual(failures, []);
  });

  test(`${build}: a compiled Model and scoreJson give the same results`, () => {
    const failures = [];
    const compiled = new Map();
    for (const c of cases) {
      const key = JSON.stringify(c.model ?? null);
      if (!compiled.has(key)) compiled.set(key, new nurture.Model(c.model ?? null));
      const model = compiled.get(key);
      for (const [how, got] of [
        ["Model.score", model.score(c.profile, c.events, c.now, c.options)],
        ["Model.scoreJson", model.scoreJson(c.profile, JSON.stringify(c.events), c.now, c.options)],
      ]) {
        const d = difference(got, c.expected);
        if (d) failures.push(`${c.name} (${how}): ${d}`);
      }
    }
    for (const model of compiled.values()) model.free();
    assert.deepEqual(failures, []);
  });
}
