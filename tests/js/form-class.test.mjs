// The `Form` class against the one-off functions, in both builds of the
// package (pkg/ and pkg/browser/): same answers on the repository's form
// definitions and e-mail vectors, same errors, and a freed instance that
// throws instead of trapping.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pkgDir } from "./load.mjs";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const readJson = (...p) => JSON.parse(readFileSync(path.join(root, ...p), "utf8"));

async function load(dir) {
  // A query string gives each build its own module instance.
  const mod = await import(`${path.join(dir, "nurture.js")}?${encodeURIComponent(dir)}`);
  mod.initSync({ module: readFileSync(path.join(dir, "nurture_bg.wasm")) });
  return mod;
}

const builds = [
  ["full", await load(pkgDir)],
  ["browser", await load(path.join(pkgDir, "browser"))],
];

const workerForms = readJson("worker", "src", "forms.json");
const definitions = {
  ...Object.fromEntries(Object.entries(workerForms).map(([k, v]) => [`worker ${k}`, v])),
  "bench contact": readJson("bench", "contact-form.json"),
  "showIf and pattern": {
    fields: [
      { name: "email", type: "email", required: true, always: true },
      { name: "country", type: "country" },
      { name: "province", type: "text", pattern: "[A-Za-z ]+", showIf: { country: "CN" } },
      { name: "employees", type: "number", min: 1, max: 1000000 },
      { name: "interests", type: "multi-select", options: ["a", "b", { value: "c", label: { en: "C", "zh-Hans": "丙" } }] },
      { name: "consent", type: "consent", required: true, always: true },
      { name: "utm_source", type: "hidden" },
    ],
    maxUnknownFields: 3,
    requireBusinessEmail: true,
  },
};

// Submissions every definition is tried with: valid and invalid values of
// every type, unasked fields, bots, and option combinations.
const submissions = [
  { email: "li.wei@petrochina.com.cn", company: "PetroChina", title: "VP", consent: true },
  { email: "someone@qq.com", firstName: "Wei", phone: "138 0013 8000", country: "CN", province: "Zhejiang" },
  { email: "x@mailinator.com", phone: "12345", companySize: "huge", industry: "Nope", employees: "0" },
  { email: "", consent: false, extra: "not asked" },
  { email: "a@acme.example", website_url: "http://spam.example", interests: ["a", "c"], province: "<b>x</b>" },
  { email: "a@acme.example", title: "x".repeat(600), employees: 12, utm_source: "ads" },
];
const profiles = [null, {}, { email: "old@acme.example", company: "Acme", country: "CN" }];
const optionSets = [
  undefined,
  { language: "zh-Hans" },
  { language: "zh-TW", renderedAt: 1_000, now: 1_500 },
  { model: null, now: 1_700_000_000_000 },
];

for (const [build, nurture] of builds) {
  test(`${build}: Form.validate and Form.nextFields answer as validateForm and nextFields`, () => {
    let compared = 0;
    for (const [name, def] of Object.entries(definitions)) {
      const form = new nurture.Form(def);
      try {
        for (const profile of profiles) {
          assert.deepEqual(form.nextFields(profile), nurture.nextFields(def, profile), `${name} nextFields`);
          for (const sub of submissions) {
            for (const base of optionSets) {
              const options = base === undefined && profile === null ? undefined : { ...base, profile };
              const want = nurture.validateForm(def, sub, options);
              const got = form.validate(sub, options);
              assert.deepEqual(got, want, `${name} ${JSON.stringify(sub)} ${JSON.stringify(options)}`);
              compared += 1;
            }
          }
        }
      } finally {
        form.free();
      }
    }
    assert.equal(compared, Object.keys(definitions).length * profiles.length * submissions.length * optionSets.length);
  });

  test(`${build}: the e-mail vectors through Form.validate`, () => {
    const cases = readJson("tests", "data", "forms", "email_cases.json");
    const def = { fields: [{ name: "email", type: "email", required: true }] };
    const form = new nurture.Form(def);
    let invalid = 0;
    for (const group of Object.values(cases)) {
      for (const c of group.cases) {
        const sub = { email: c.input };
        const got = form.validate(sub, { asked: ["email"] });
        assert.deepEqual(got, nurture.validateForm(def, sub, { asked: ["email"] }), c.input);
        if (!got.valid) invalid += 1;
      }
    }
    // The vectors hold invalid addresses: the comparison saw both verdicts.
    assert.ok(invalid > 0);
    form.free();
  });

  test(`${build}: a bad definition throws the error validateForm throws, with its path`, () => {
    const bad = [
      [{ fields: [{ name: "a", type: "text", pattern: "(" }] }, "invalid_config", "fields[0].pattern"],
      [{ fields: [{ name: "a", type: "telepathy" }] }, "invalid_config", "fields[0].type"],
      [{ fields: [{ name: "a", type: "text", showIf: { x: { $regex: "(" } } }] }, "invalid_config", null],
      [42, "invalid_argument", "form"],
      [null, "invalid_argument", "form"],
    ];
    for (const [def, code, where] of bad) {
      let expected;
      try {
        nurture.validateForm(def, {});
      } catch (err) {
        expected = err;
      }
      assert.ok(expected, `validateForm accepted ${JSON.stringify(def)}`);
      assert.throws(() => new nurture.Form(def), (err) => {
        assert.ok(err instanceof Error);
        assert.equal(err.code, code);
        if (where !== null) assert.equal(err.path, where);
        assert.equal(err.path, expected.path);
        assert.equal(err.message, expected.message);
        return true;
      });
    }
  });

  test(`${build}: bad arguments throw invalid_argument and leave the form usable`, () => {
    const form = new nurture.Form(definitions["bench contact"]);
    assert.throws(() => form.validate(42), (e) => e.code === "invalid_argument" && e.path === "submission");
    assert.throws(() => form.validate({}, { language: 7 }), (e) => e.code === "invalid_argument" && e.path === "options.language");
    assert.throws(() => form.validate({}, { asked: [1] }), (e) => e.code === "invalid_argument" && e.path === "options.asked");
    assert.throws(() => form.validate({}, { model: { fit: 3 } }), (e) => e.code === "invalid_config");
    assert.throws(() => form.nextFields("x"), (e) => e.code === "invalid_argument" && e.path === "knownProfile");
    assert.equal(form.validate({ email: "li.wei@petrochina.com.cn" }).values.email, "li.wei@petrochina.com.cn");
    form.free();
  });

  test(`${build}: the form is compiled at construction; later edits to the definition do not reach it`, () => {
    const def = structuredClone(definitions["worker contact"]);
    const form = new nurture.Form(def);
    const before = form.nextFields({});
    def.fields.reverse();
    def.fields[0].pattern = "(";
    def.id = "changed";
    assert.deepEqual(form.nextFields({}), before);
    assert.equal(form.id, "contact");
    assert.throws(() => nurture.nextFields(def, {}), (e) => e.path === "fields[0].pattern");
    form.free();
  });

  test(`${build}: id and warnings`, () => {
    const form = new nurture.Form(definitions["worker white-paper"]);
    assert.equal(form.id, "white-paper");
    assert.ok(Array.isArray(form.warnings));
    form.free();
    const anonymous = new nurture.Form({ fields: [{ name: "email", type: "email" }] });
    assert.equal(anonymous.id, undefined);
    anonymous.free();
  });

  test(`${build}: a freed Form throws an Error, never traps, and the instance keeps working`, () => {
    const def = definitions["worker contact"];
    const form = new nurture.Form(def);
    const sub = { email: "li.wei@petrochina.com.cn" };
    const answer = form.validate(sub);
    form.free();
    const isPlainError = (err) => err instanceof Error && !(err instanceof WebAssembly.RuntimeError);
    assert.throws(() => form.validate(sub), isPlainError);
    assert.throws(() => form.nextFields({}), isPlainError);
    assert.throws(() => form.id, isPlainError);
    assert.throws(() => form.free(), isPlainError);
    // Nothing was corrupted: the module and new instances still answer.
    assert.deepEqual(nurture.validateForm(def, sub), answer);
    const again = new nurture.Form(def);
    assert.deepEqual(again.validate(sub), answer);
    again.free();
  });
}
