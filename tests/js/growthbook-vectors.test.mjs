// GrowthBook's cross-SDK vectors (tests/data/vectors) against the built
// package, through the exported JS functions, as a GrowthBook user calls them.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import nurture from "./load.mjs";

const cases = JSON.parse(readFileSync(new URL("../data/vectors/growthbook-cases.json", import.meta.url)));
// Upstream's json.test.ts compares floats cut to 8 decimals.
const round = (x) => Math.floor(x * 1e8) / 1e8;

const sections = {
  evalCondition: ([name, condition, attributes, expected, savedGroups]) =>
    [name, nurture.evalCondition(attributes, condition, savedGroups), expected],
  hash: ([seed, value, version, expected]) =>
    [`${seed}/${value}/v${version}`, nurture.hash(seed, value, version), expected],
  getBucketRange: ([name, [n, coverage, weights], expected]) =>
    [name, nurture.getBucketRange(n, coverage, weights).map((r) => r.map(round)), expected.map((r) => r.map(round))],
  chooseVariation: ([name, n, ranges, expected]) => [name, nurture.chooseVariation(n, ranges), expected],
  getEqualWeights: ([n, expected]) =>
    [`n=${n}`, nurture.getEqualWeights(n).map(round), expected.map(round)],
  inNamespace: ([name, id, namespace, expected]) => [name, nurture.inNamespace(id, namespace), expected],
};

const expectedCounts = {
  evalCondition: 124, hash: 15, getBucketRange: 13, chooseVariation: 13, getEqualWeights: 6, inNamespace: 16,
};

for (const [section, run] of Object.entries(sections)) {
  test(`${section}: every vector (spec ${cases.specVersion})`, () => {
    const failures = [];
    for (const c of cases[section]) {
      const [name, actual, expected] = run(c);
      try {
        assert.deepStrictEqual(actual, expected);
      } catch {
        failures.push(`${name}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
      }
    }
    assert.equal(cases[section].length, expectedCounts[section]);
    assert.deepEqual(failures, []);
  });
}

test("a compiled Condition evaluates many attribute sets and reports bad parts by path", () => {
  const cond = new nurture.Condition({ country: { $in: ["CN", "HK"] }, "company.size": { $gte: 1000 } });
  assert.equal(cond.eval({ country: "CN", company: { size: 5000 } }), true);
  assert.equal(cond.eval({ country: "US", company: { size: 5000 } }), false);
  assert.throws(() => new nurture.Condition({ $and: [{}, {}, { name: { $regex: "(" } }] }), (err) => {
    assert.equal(err.code, "invalid_config");
    assert.equal(err.path, "$and[2].name.$regex");
    return true;
  });
  assert.equal(nurture.evalCondition({ name: "x" }, { name: { $regex: "(" } }), false);
});

test("evalCondition takes GrowthBook's order; the old order is refused, not answered false", () => {
  const condition = { country: { $in: ["CN", "TW"] }, "score.fit": { $gte: 50 } };
  const attributes = { country: "CN", score: { fit: 60 } };
  assert.equal(nurture.evalCondition(attributes, condition), true);
  assert.equal(nurture.evalCondition({ ...attributes, country: "US" }, condition), false);
  assert.throws(() => nurture.evalCondition(condition, attributes), (err) => {
    assert.equal(err.code, "invalid_argument");
    assert.equal(err.path, "attributes");
    assert.match(err.message, /evalCondition\(attributes, condition, savedGroups\)/);
    return true;
  });
  // A `$` attribute that is no operator is data, as in GrowthBook.
  assert.equal(nurture.evalCondition({ $groups: ["a"] }, { $groups: { $elemMatch: { $eq: "a" } } }), true);
});

test("wrong-shaped arguments throw typed errors", () => {
  for (const call of [
    () => nurture.hash(1, "a", 2),
    () => nurture.hash("s", "a", "2"),
    () => nurture.chooseVariation(0.5, [[0, "x"]]),
    () => nurture.inNamespace("id", ["ns", 0]),
    () => nurture.getBucketRange("2", 1),
  ]) {
    assert.throws(call, (err) => err instanceof Error && err.code === "invalid_argument");
  }
  assert.equal(nurture.hash("seed", "value", 99), null);
});
