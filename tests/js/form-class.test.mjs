// The `Form` class and the one-off functions, in both builds of the package
// (pkg/ and pkg/browser/): both give the answers written down here for the
// repository's form definitions and the e-mail vectors, the same errors,
// and a freed instance throws instead of trapping.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pkgDir, loadBuild } from "./load.mjs";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const readJson = (...p) => JSON.parse(readFileSync(path.join(root, ...p), "utf8"));

const builds = [
  ["full", await loadBuild(pkgDir)],
  ["browser", await loadBuild(path.join(pkgDir, "browser"))],
];

const workerForms = readJson("demo", "forms.json"); // the demo forms the worker bundles
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

// Written-down answers: each submission to a form, with the verdict, the
// errors as [field, code] in the order given, and (where it shows something)
// the accepted values or a message. Form.validate and validateForm must both
// give them.
const validateCases = [
  {
    name: "contact: a complete business lead is valid, values trimmed",
    form: "worker contact",
    submission: { email: "li.wei@petrochina.com.cn", company: " PetroChina ", title: "VP", industry: "Retail" },
    valid: true, errors: [],
    values: { company: "PetroChina", email: "li.wei@petrochina.com.cn", industry: "Retail", title: "VP" },
  },
  {
    name: "contact: the e-mail domain is lower-cased, the local part kept",
    form: "worker contact",
    submission: { email: "Li.Wei@PetroChina.com.cn " },
    valid: true, errors: [], values: { email: "Li.Wei@petrochina.com.cn" },
  },
  {
    name: "contact: free mail where a work address is asked for",
    form: "worker contact", submission: { email: "someone@qq.com" },
    valid: false, errors: [["email", "business_email_required"]], values: {},
  },
  {
    name: "contact: the same error in Simplified Chinese",
    form: "worker contact", submission: { email: "someone@qq.com" }, options: { language: "zh-Hans" },
    valid: false, errors: [["email", "business_email_required"]], message: "请使用您的工作邮箱。",
  },
  {
    name: "contact: and in Traditional Chinese (zh-TW)",
    form: "worker contact", submission: { email: "someone@qq.com" }, options: { language: "zh-TW" },
    valid: false, errors: [["email", "business_email_required"]], message: "請使用您的公司電子郵件。",
  },
  {
    name: "contact: a disposable address",
    form: "worker contact", submission: { email: "x@mailinator.com" },
    valid: false, errors: [["email", "disposable_email"]],
  },
  {
    name: "contact: not an address",
    form: "worker contact", submission: { email: "not an address" },
    valid: false, errors: [["email", "invalid_email"]],
  },
  {
    name: "contact: empty required e-mail and a field the form did not ask",
    form: "worker contact", submission: { email: "", extra: "not asked" },
    valid: false, errors: [["extra", "not_asked"], ["email", "required"]],
  },
  {
    name: "contact: consent is not part of this form",
    form: "worker contact", submission: { email: "li.wei@petrochina.com.cn", consent: true },
    valid: false, errors: [["consent", "not_asked"]], values: { email: "li.wei@petrochina.com.cn" },
  },
  {
    name: "contact: the honeypot filled in",
    form: "worker contact", submission: { email: "a@acme.example", website_url: "http://spam.example" },
    valid: false, errors: [["", "bot_suspected"]], values: {},
  },
  {
    name: "contact: sent 0.5 s after rendering, under minFillSeconds 2",
    form: "worker contact", submission: { email: "a@acme.example" }, options: { renderedAt: 1_000, now: 1_500 },
    valid: false, errors: [["", "bot_suspected"]],
  },
  {
    name: "contact: sent 4 s after rendering",
    form: "worker contact", submission: { email: "a@acme.example" }, options: { renderedAt: 1_000, now: 5_000 },
    valid: true, errors: [], values: { email: "a@acme.example" },
  },
  {
    name: "contact: an option that is not listed",
    form: "worker contact", submission: { email: "a@acme.example", industry: "Nope" },
    valid: false, errors: [["industry", "not_allowed"]], values: { email: "a@acme.example" },
  },
  {
    name: "contact: a title over maxLength 100",
    form: "worker contact", submission: { email: "a@acme.example", title: "x".repeat(600) },
    valid: false, errors: [["title", "too_long"]],
  },
  {
    name: "contact: with a known profile the page asks companySize, not phone",
    form: "worker contact",
    submission: { email: "a@acme.example", companySize: "1000+", phone: "138 0013 8000" },
    options: { profile: { email: "old@acme.example", company: "Acme", country: "CN" } },
    valid: false, errors: [["phone", "not_asked"]], values: { companySize: "1000+", email: "a@acme.example" },
  },
  {
    name: "contact: options.asked decides what was asked; a 5-digit phone is invalid",
    form: "worker contact", submission: { email: "a@acme.example", phone: "12345" },
    options: { asked: ["email", "phone"] },
    valid: false, errors: [["phone", "invalid_phone"]],
  },
  {
    name: "showIf form: consent, a number, a multi-select and a hidden field",
    form: "showIf and pattern",
    submission: { email: "a@acme.example", consent: true, interests: ["a", "c"], employees: 12, utm_source: "ads" },
    valid: true, errors: [],
    values: { consent: true, email: "a@acme.example", employees: 12, interests: ["a", "c"], utm_source: "ads" },
  },
  {
    name: "showIf form: province is asked once the country is CN",
    form: "showIf and pattern", submission: { email: "a@acme.example", consent: true, province: "Zhejiang" },
    options: { profile: { country: "CN" } },
    valid: true, errors: [], values: { consent: true, email: "a@acme.example", province: "Zhejiang" },
  },
  {
    name: "showIf form: markup in a text field",
    form: "showIf and pattern", submission: { email: "a@acme.example", consent: true, province: "<b>x</b>" },
    options: { profile: { country: "CN" } },
    valid: false, errors: [["province", "html_not_allowed"]],
  },
  {
    name: "showIf form: without the country, province was not asked",
    form: "showIf and pattern", submission: { email: "a@acme.example", consent: true, province: "Zhejiang" },
    valid: false, errors: [["province", "not_asked"]],
  },
  {
    name: "showIf form: below min, and consent refused",
    form: "showIf and pattern", submission: { email: "a@acme.example", consent: false, employees: "0" },
    valid: false, errors: [["employees", "below_min"], ["consent", "consent_required"]],
  },
  {
    name: "showIf form: above max, and a multi-select value not offered",
    form: "showIf and pattern",
    submission: { email: "a@acme.example", consent: true, employees: 2_000_000, interests: ["d"] },
    valid: false, errors: [["employees", "above_max"], ["interests", "not_allowed"]],
  },
  {
    name: "showIf form: requireBusinessEmail on the form, free mail and no consent",
    form: "showIf and pattern", submission: { email: "someone@qq.com", country: "CN" },
    valid: false, errors: [["email", "business_email_required"], ["consent", "consent_required"]],
    values: { country: "CN" },
  },
];

// nextFields: the names of the fields to show, the hidden ones, how many
// remain for later pages, and whether the profile is complete.
const nextFieldsCases = [
  {
    name: "contact, nobody known: e-mail and the first three unknown fields",
    form: "worker contact", profile: null,
    fields: ["email", "company", "title", "industry"], hidden: ["website_url"], remaining: 2, complete: false,
  },
  {
    name: "contact, e-mail, company and country known: the known fields are skipped",
    form: "worker contact", profile: { email: "old@acme.example", company: "Acme", country: "CN" },
    fields: ["email", "title", "industry", "companySize"], hidden: ["website_url"], remaining: 1, complete: false,
  },
  {
    name: "showIf form, nobody known: province hidden until the country is CN",
    form: "showIf and pattern", profile: {},
    fields: ["email", "country", "employees", "interests", "consent"], hidden: ["utm_source"], remaining: 0, complete: false,
  },
  {
    name: "showIf form, country CN known: province shown",
    form: "showIf and pattern", profile: { country: "CN", email: "x@acme.example", employees: 5, interests: ["a"] },
    fields: ["email", "province", "consent"], hidden: ["utm_source"], remaining: 0, complete: false,
  },
  {
    name: "white paper, everything known: complete, only the always-shown fields",
    form: "worker white-paper",
    profile: { email: "x@acme.example", company: "A", title: "t", industry: "Retail", companySize: "1-49", country: "CN" },
    fields: ["email", "company"], hidden: ["website_url"], remaining: 0, complete: true,
  },
];

for (const [build, nurture] of builds) {
  test(`${build}: Form.validate and validateForm give the written-down answers`, () => {
    for (const c of validateCases) {
      const def = definitions[c.form];
      const form = new nurture.Form(def);
      try {
        const got = form.validate(c.submission, c.options);
        assert.deepEqual(nurture.validateForm(def, c.submission, c.options), got, `${c.name}: the two agree`);
        assert.equal(got.valid, c.valid, c.name);
        assert.deepEqual(got.errors.map((e) => [e.field, e.code]), c.errors, c.name);
        if (c.values) assert.deepEqual(got.values, c.values, `${c.name}: values`);
        if (c.message) assert.equal(got.errors[0].message, c.message, `${c.name}: message`);
        // A valid submission comes back merged into the profile, with what to ask next.
        assert.equal("merge" in got, c.valid, `${c.name}: merge`);
      } finally {
        form.free();
      }
    }
  });

  test(`${build}: Form.nextFields and nextFields give the written-down answers`, () => {
    for (const c of nextFieldsCases) {
      const def = definitions[c.form];
      const form = new nurture.Form(def);
      try {
        const got = form.nextFields(c.profile);
        assert.deepEqual(nurture.nextFields(def, c.profile), got, `${c.name}: the two agree`);
        assert.deepEqual(got.fields.map((f) => f.name), c.fields, c.name);
        assert.deepEqual([got.hidden, got.remaining, got.complete], [c.hidden, c.remaining, c.complete], c.name);
        // Known values are filled in for the fields shown again.
        for (const f of got.fields) {
          if (c.profile?.[f.name] !== undefined) assert.deepEqual(f.value, c.profile[f.name], `${c.name}: ${f.name}`);
        }
      } finally {
        form.free();
      }
    }
  });

  test(`${build}: the e-mail vectors through Form.validate`, () => {
    const cases = readJson("tests", "data", "forms", "email_cases.json");
    const def = { fields: [{ name: "email", type: "email", required: true }] };
    const form = new nurture.Form(def);
    const failures = [];
    let seen = 0;
    for (const [group, { cases: list }] of Object.entries(cases)) {
      for (const c of list) {
        seen += 1;
        const sub = { email: c.input };
        const got = form.validate(sub, { asked: ["email"] });
        assert.deepEqual(got, nurture.validateForm(def, sub, { asked: ["email"] }), c.input);
        // `valid` is the address check's verdict; a form also refuses a
        // well-formed disposable address, and an empty required field is
        // `required` rather than invalid.
        const expected = c.input.trim() === "" ? [["email", "required"]]
          : !c.valid ? [["email", "invalid_email"]]
          : c.kind === "disposable" ? [["email", "disposable_email"]]
            : [];
        const errors = got.errors.map((e) => [e.field, e.code]);
        if (got.valid !== (expected.length === 0) || JSON.stringify(errors) !== JSON.stringify(expected)) {
          failures.push(`${group} ${JSON.stringify(c.input)}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(errors)}`);
        }
        if (got.valid && c.normalized) assert.equal(got.values.email, c.normalized, c.input);
      }
    }
    assert.equal(seen, 83, "the number of e-mail vectors");
    assert.deepEqual(failures, []);
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
