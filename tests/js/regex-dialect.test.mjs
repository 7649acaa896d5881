// Regexes in the two builds. The page build (pkg/browser/) compiles and
// matches every regex with the JS engine's own RegExp, so conditions mean
// what they mean to GrowthBook's SDK, lookaround and backreferences
// included. The full build (pkg/: Node, the edge) matches with regex-lite
// after translating the JS source, and refuses what regex-lite cannot
// match in linear time: there those operators answer false. Both sides are
// compared with @growthbook/growthbook's own evalCondition.
import test from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { evalCondition as gbEvalCondition } from "@growthbook/growthbook";
import full, { loadBuild, pkgDir } from "./load.mjs";

const page = await loadBuild(path.join(pkgDir, "browser"));

// [name, condition, attributes]: what only the JS dialect can say.
const jsOnly = [
  ["lookahead", { pw: { $regex: "^(?=.*\\d)(?=.*[a-z]).{8,}$" } }, { pw: "hunter2hunter" }],
  ["negative lookahead", { path: { $regex: "^/blog/(?!drafts/)" } }, { path: "/blog/launch" }],
  ["lookbehind", { price: { $regex: "(?<=\\$)\\d+" } }, { price: "costs $40" }],
  ["negative lookbehind", { ref: { $regex: "(?<!www\\.)example\\.com" } }, { ref: "https://app.example.com" }],
  ["backreference", { code: { $regex: "^(\\w)\\1" } }, { code: "aab" }],
  ["named backreference", { tag: { $regexi: "^(?<q>['\"]).*\\k<q>$" } }, { tag: "'Quoted'" }],
  ["$not of a lookahead", { path: { $not: { $regex: "^/(?=admin)" } } }, { path: "/pricing" }],
];

test("page build: JS-dialect regexes answer as GrowthBook's evalCondition", () => {
  for (const [name, condition, attributes] of jsOnly) {
    const expected = gbEvalCondition(attributes, condition);
    assert.equal(expected, true, `${name}: GrowthBook matches`);
    assert.equal(page.evalCondition(attributes, condition), expected, name);
    // Compiled once, too: the page's Condition accepts them.
    assert.equal(new page.Condition(condition).eval(attributes), expected, name);
  }
});

test("full build: the same regexes are refused (regex-lite matches in linear time) and answer false", () => {
  for (const [name, condition, attributes] of jsOnly) {
    const expected = name.startsWith("$not") ? true : false;
    assert.equal(full.evalCondition(attributes, condition), expected, name);
    assert.throws(() => new full.Condition(condition), { code: "invalid_config" }, name);
  }
});

test("both builds: an invalid regex makes its operator false, and new Condition names its path", () => {
  for (const build of [full, page]) {
    for (const [pattern, attributes] of [["(", { a: "(" }], ["[a", { a: "[a" }], ["a{2,1}", { a: "aa" }], ["/???***[)", { a: "x" }]]) {
      const condition = { a: { $regex: pattern } };
      assert.equal(gbEvalCondition(attributes, condition), false, pattern);
      assert.equal(build.evalCondition(attributes, condition), false, pattern);
      assert.equal(build.evalCondition(attributes, { a: { $not: { $regex: pattern } } }), true, pattern);
      assert.throws(() => new build.Condition({ $and: [{ a: { $regex: pattern } }] }), (err) => {
        assert.equal(err.code, "invalid_config");
        assert.equal(err.path, "$and[0].a.$regex");
        assert.match(err.message, /invalid regex/);
        return true;
      });
    }
  }
});

test("page build: where the full build's translation still differs from JS, the page is JS", () => {
  // Without the `u` flag JS sees an astral character as two code units.
  const astral = [{ e: { $regex: "^.$" } }, { e: "😀" }];
  assert.equal(gbEvalCondition(astral[1], astral[0]), false);
  assert.equal(page.evalCondition(astral[1], astral[0]), false);
  assert.equal(full.evalCondition(astral[1], astral[0]), true);
  // Case-insensitive ranges over non-ASCII letters.
  const range = [{ c: { $regexi: "^[à-ÿ]$" } }, { c: "É" }];
  assert.equal(gbEvalCondition(range[1], range[0]), true);
  assert.equal(page.evalCondition(range[1], range[0]), true);
  assert.equal(full.evalCondition(range[1], range[0]), false);
});

test("fit rules' pattern (regex-lite syntax) scores alike in both builds, inline flags included", () => {
  const model = {
    fit: {
      rules: [
        { id: "vp", field: "title", op: "pattern", pattern: "(?i)^vp\\b", points: 10 },
        { id: "cn-mobile", field: "phone", op: "pattern", pattern: "^\\+86 ?1[3-9]\\d", points: 4 },
        { id: "named", field: "zip", op: "pattern", pattern: "^(?P<area>20)\\d{4}$", points: 3 },
        { id: "number", field: "employees", op: "pattern", pattern: "^5\\d{3}$", points: 2 },
      ],
    },
  };
  const profile = { title: "VP of Operations", phone: "+86 13800138000", zip: "200001", employees: 5000 };
  for (const build of [full, page]) {
    const r = build.score(model, profile, [], 0);
    assert.deepEqual(r.fit.breakdown.map((p) => [p.rule, p.points]), [["vp", 10], ["cn-mobile", 4], ["named", 3], ["number", 2]]);
  }
  const bad = { fit: { rules: [{ id: "x", field: "f", op: "pattern", pattern: "(", points: 1 }] } };
  for (const build of [full, page]) {
    assert.throws(() => build.score(bad, {}, [], 0), { code: "invalid_config", path: "fit.rules[0].pattern" });
  }
});
