// The form API as JavaScript sees it, against the built package in pkg/.
import test from "node:test";
import assert from "node:assert/strict";
import nurture from "./load.mjs";

const form = {
  fields: [
    { name: "email", type: "email", required: true, always: true },
    { name: "company", type: "text" },
    { name: "title", type: "text" },
    { name: "phone", type: "phone", defaultRegion: "CN" },
  ],
};

test("checkEmail and checkPhone", () => {
  assert.deepEqual(nurture.checkEmail("Li@MÜNCHEN.de"), {
    valid: true, kind: "business", normalized: "Li@xn--mnchen-3ya.de",
  });
  assert.equal(nurture.checkEmail("x@mailinator.com").kind, "disposable");
  assert.equal(nurture.checkEmail("a b@c.com").reason, "invalid_local_part");
  const phone = nurture.checkPhone("138 0013 8000", "CN");
  assert.equal(phone.e164, "+8613800138000");
  assert.equal(phone.region, "CN");
  assert.throws(() => nurture.checkEmail(42), (e) => e.code === "invalid_argument" && e.path === "address");
});

test("nextFields asks two unknown fields, then the rest", () => {
  const first = nurture.nextFields(form, {});
  assert.deepEqual(first.fields.map((f) => f.name), ["email", "company", "title"]);
  const later = nurture.nextFields(form, { email: "a@acme.example", company: "Acme", title: "CTO" });
  assert.deepEqual(later.fields.map((f) => f.name), ["email", "phone"]);
});

test("lone surrogates, huge strings and markup are refused without trapping", () => {
  const r = nurture.validateForm(
    form,
    { email: "a@acme.example", company: "Ac\uD800me", title: "<script>alert(1)</script>", extra: "x".repeat(10_000_000) },
    { language: "zh-Hans" },
  );
  assert.equal(r.valid, false);
  assert.deepEqual(r.errors.map((e) => [e.field, e.code]), [
    ["extra", "not_asked"], ["company", "control_characters"], ["title", "html_not_allowed"],
  ]);
  assert.match(r.errors[0].message, /表单/);
  // The instance still answers.
  assert.equal(nurture.checkEmail("a@acme.example").valid, true);
  assert.throws(() => nurture.validateForm({ fields: [{ name: "a", type: "text", pattern: "(" }] }, {}),
    (e) => e.code === "invalid_config" && e.path === "fields[0].pattern");
});
