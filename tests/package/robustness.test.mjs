// Every export called with wrong-shaped input (missing fields, wrong types,
// undefined, huge and deep values, cycles, exotic JS values) must either
// answer or throw an Error with a stable `code`, and never trap: after each
// call, a known-good call still gives the known answer.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { freshProject, root } from "./helpers.mjs";

const dir = freshProject("robustness");
const n = await import(path.join(dir, "node_modules", "nurture", "node.js"));

const NOW = Date.UTC(2026, 10, 25);
const hot = [{ email: "li.wei@petrochina.com.cn", title: "VP of Operations", industry: "Oil & Gas", companySize: 5000,
  country: "CN", budget: "approved", timeline: "this quarter" }, [
  { type: "track", event: "Event Attended", timestamp: NOW - 60 * 86_400_000 },
  { type: "page", timestamp: NOW, properties: { path: "/pricing", dwellSeconds: 90 } },
  { type: "track", event: "Demo Requested", timestamp: NOW },
]];
const site = JSON.parse(readFileSync(path.join(root, "tests", "data", "site-config.json"), "utf8"));
const form = { fields: [{ name: "email", type: "email", required: true }, { name: "phone", type: "phone" }] };
const alive = () => {
  assert.equal(n.score(null, ...hot, NOW).grade, "A1");
  assert.equal(n.decide(site, { id: "x", request: { country: "CN" } }).segments.at(-1), "china");
  assert.equal(n.checkEmail("a@acme.example").valid, true);
};

const deep = (depth) => { let v = {}; for (let i = 0; i < depth; i++) v = { a: v }; return v; };
const deepArray = (depth) => { let v = []; for (let i = 0; i < depth; i++) v = [v]; return v; };
const cyclic = () => { const o = { a: 1 }; o.self = o; return o; };
const cyclicArray = () => { const a = [1]; a.push(a); return a; };
const throwingGetter = () => ({ get type() { throw new Error("boom"); } });

// Values that are wrong for (almost) every argument.
const wrong = {
  undefined, null: null, true: true, zero: 0, NaN, Infinity, negative: -1, bigint: 10n, string: "x",
  emptyString: "", longString: "x".repeat(5_000_000), loneSurrogate: "\ud800", symbol: Symbol("s"),
  function: () => 1, date: new Date(0), regexp: /x/, map: new Map([["a", 1]]), bytes: new Uint8Array(8),
  emptyArray: [], emptyObject: {}, arrayOfNull: [null], arrayOfNumbers: [1, 2, 3],
  hugeArray: new Array(1_000_000).fill(7), hugeObjectArray: Array.from({ length: 200_000 }, () => ({ type: 1 })),
  sparseArray: new Array(100_000), deepObject: deep(5_000), deepArray: deepArray(5_000),
  cyclicObject: cyclic(), cyclicArray: cyclicArray(), throwingGetter: throwingGetter(),
  proto: Object.create({ inherited: 1 }), frozen: Object.freeze({ a: 1 }),
  wrongFields: { id: 1, slots: "x", fields: 3, fit: [], segments: {}, type: 5, when: 3, events: {} },
};

// Every export and method, with the arity it takes and good values to keep
// in the other positions.
const calls = {
  score: [(a, b, c, d, e) => n.score(a, b, c, d, e), [null, hot[0], hot[1], NOW, {}]],
  "Model.new": [(a) => new n.Model(a), [null]],
  "Model.score": [(a, b, c, d) => new n.Model(null).score(a, b, c, d), [hot[0], hot[1], NOW, {}]],
  "Model.visitor": [(a, b) => new n.Model(null).visitor(a, b), [null, "server"]],
  "LiveVisitor.track": [(a, b, c, d, e) => new n.Model(null).visitor().track(a, b, c, d, e), ["page", "/", NOW - 1000, ["t"], 5]],
  "LiveVisitor.page": [(a, b, c, d) => new n.Model(null).visitor().page(a, b, c, d), ["/", NOW - 1000, "t", 5]],
  "LiveVisitor.score": [(a, b) => new n.Model(null).visitor().score(a, b), [NOW, {}]],
  // The edge's state held in the core: the engagement argument is checked
  // by the glue (an instance of VisitorEngagement), the others here.
  "Model.openState": [(a) => new n.Model(null).openState(a), [null]],
  "Model.ingestInto": [
    (a, b, c) => { const m = new n.Model(null); return m.ingestInto(m.openState(null), a, b, c); },
    [JSON.stringify([{ type: "page", url: "/pricing", timestamp: NOW - 1000 }]), NOW, "server"],
  ],
  "Model.forwardedScore": [
    (a, b) => { const m = new n.Model(null); return m.forwardedScore(m.openState(null), a, b); },
    [hot[0], NOW],
  ],
  "VisitorEngagement.toBytes": [() => new n.Model(null).openState(null).toBytes(), []],
  defaultModel: [() => n.defaultModel(), []],
  checkModel: [(a) => n.checkModel(a), [{}]],
  evalCondition: [(a, b, c) => n.evalCondition(a, b, c), [{ a: 1 }, { a: 1 }, {}]],
  hash: [(a, b, c) => n.hash(a, b, c), ["s", "v", 2]],
  getBucketRange: [(a, b, c) => n.getBucketRange(a, b, c), [2, 1, [0.5, 0.5]]],
  chooseVariation: [(a, b) => n.chooseVariation(a, b), [0.3, [[0, 0.5], [0.5, 1]]]],
  inNamespace: [(a, b) => n.inNamespace(a, b), ["v", ["ns", 0, 0.5]]],
  getEqualWeights: [(a) => n.getEqualWeights(a), [3]],
  "Condition.new": [(a) => new n.Condition(a), [{ a: 1 }]],
  "Condition.eval": [(a, b) => new n.Condition({ a: 1 }).eval(a, b), [{ a: 1 }, {}]],
  decide: [(a, b, c) => n.decide(a, b, c), [site, { id: "v" }, null]],
  "Personalizer.new": [(a) => new n.Personalizer(a), [site]],
  "Personalizer.decide": [(a, b) => new n.Personalizer(site).decide(a, b), [{ id: "v" }, null]],
  "Personalizer.context": [(a, b) => new n.Personalizer(site).context(a, b), [{ id: "v" }, null]],
  segmentOf: [(a, b, c, d) => n.segmentOf(a, b, c, d), ["203.0.113.1", {}, null, site]],
  checkPersonalization: [(a) => n.checkPersonalization(a), [site]],
  compileConfig: [(a, b) => n.compileConfig(a, b), [site, "site"]],
  inspectCompiled: [(a) => n.inspectCompiled(a), [n.compileConfig(site)]],
  "CidrTable.fromCsv": [(a) => n.CidrTable.fromCsv(a), ["cidr\n10.0.0.0/8\n"]],
  "CidrTable.fromJson": [(a) => n.CidrTable.fromJson(a), ['[{"cidr":"10.0.0.0/8"}]']],
  "CidrTable.lookup": [(a) => n.CidrTable.fromCsv("cidr\n10.0.0.0/8\n").lookup(a), ["10.1.1.1"]],
  "MaxMindDb.new": [(a) => new n.MaxMindDb(a), [new Uint8Array(readFileSync(path.join(root, "tests/data/maxmind/GeoLite2-ASN-Test.mmdb")))]],
  nextFields: [(a, b) => n.nextFields(a, b), [form, {}]],
  validateForm: [(a, b, c) => n.validateForm(a, b, c), [form, { email: "a@acme.example" }, {}]],
  "Form.new": [(a) => new n.Form(a), [form]],
  "Form.validate": [(a, b) => new n.Form(form).validate(a, b), [{ email: "a@acme.example" }, {}]],
  "Form.nextFields": [(a) => new n.Form(form).nextFields(a), [{}]],
  checkEmail: [(a) => n.checkEmail(a), ["a@acme.example"]],
  loadCompiled: [(a) => n.loadCompiled(a), [n.compileConfig(site, "site")]],
  checkPhone: [(a, b) => n.checkPhone(a, b), ["13800138000", "CN"]],
  // The page runtime needs a window: in Node even good arguments must give
  // a typed error, never a TypeError from the glue or a trap.
  start: [(a) => n.start(a), [{ config: {} }]],
  "Nurture.start": [(a) => n.Nurture.start(a), [{ config: {} }]],
  swapSlot: [(a, b) => n.swapSlot(a, b), [{}, { slot: "hero", variant: "v", kind: "text", content: "x" }]],
  "SlotUndo.undo": [(a, b) => n.swapSlot(a, b)?.undo(), [{}, { slot: "hero", variant: "v", kind: "text", content: "x" }]],
};

test("every export is in the table below", () => {
  const covered = new Set(Object.keys(calls).map((k) => k.split(".")[0]));
  const missing = Object.keys(n).filter((k) => !["default", "initSync"].includes(k) && !covered.has(k));
  assert.deepEqual(missing, []);
});

for (const [name, [call, good]] of Object.entries(calls)) {
  test(`${name}: wrong-shaped arguments answer or throw a typed Error, and never trap`, () => {
    const problems = [];
    const positions = Math.max(good.length, 1);
    for (let pos = 0; pos < positions; pos++) {
      for (const [label, value] of Object.entries(wrong)) {
        const args = [...good];
        args[pos] = value;
        try {
          call(...args);
        } catch (err) {
          const typed = err instanceof Error && ["invalid_argument", "invalid_config", "compiled_config_version", "compiled_config_corrupt"].includes(err.code);
          // A getter that throws is the caller's own exception: it passes through as is.
          const own = label === "throwingGetter" && err?.message === "boom";
          if (!typed && !own) problems.push(`arg ${pos} = ${label}: threw ${err?.constructor?.name}: ${String(err?.message ?? err).slice(0, 120)}`);
        }
        try {
          alive();
        } catch (err) {
          problems.push(`arg ${pos} = ${label}: the instance is broken afterwards: ${String(err.message).slice(0, 200)}`);
          assert.fail(problems.join("\n"));
        }
      }
    }
    assert.deepEqual(problems, []);
  });
}

test("missing fields in config documents are invalid_config errors with the path", () => {
  const cases = [
    [() => n.score({ fit: { rules: [{ id: "x", field: "title", op: "equals" }] } }, {}, []), "fit.rules[0]", /missing field `points`/],
    [() => n.decide({ slots: [{ variants: [] }] }, {}), "slots[0]", /missing field `id`/],
    [() => n.decide({ segments: [{ id: "s" }] }, {}), "segments[0]", /missing field `when`/],
    [() => n.nextFields({ fields: [{ name: "x" }] }, {}), "fields[0]", /missing field `type`/],
    [() => n.nextFields({}, {}), "", /missing field `fields`/],
    [() => new n.Personalizer({ content: { limit: 2 } }), "content", /missing field `items`/],
  ];
  for (const [call, path, message] of cases) {
    assert.throws(call, (e) => {
      assert.equal(e.code, "invalid_config");
      assert.equal(e.path ?? "", path);
      assert.match(e.message, message);
      return true;
    });
  }
  alive();
});
