// Validations per second for the 10-field form through wasm in Node: the
// package's full build, or another one with NURTURE_PKG (e.g. pkg/browser).
// Two ways: `validateForm`, which reads and compiles the form on every call,
// and `Form.validate` on a form compiled once.
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import nurture from "../tests/js/load.mjs";

const form = JSON.parse(readFileSync(new URL("./contact-form.json", import.meta.url)));
const submission = {
  email: "li.wei@petrochina.com.cn", firstName: "Wei", lastName: "Li", company: "PetroChina",
  title: "VP of Operations", industry: "Oil & gas", companySize: 5000, phone: "+86 10 5998 6000",
  country: "CN", consent: true,
};
const asked = form.fields.map((f) => f.name);
const label = process.env.BENCH_LABEL ?? "wasm";
const compiled = new nurture.Form(form);
const first = nurture.validateForm(form, submission, { asked });
if (!first.valid) throw new Error(`benchmark submission should be valid: ${JSON.stringify(first.errors)}`);
if (!isDeepStrictEqual(compiled.validate(submission, { asked }), first)) throw new Error("Form.validate and validateForm disagree");

function perSecond(call) {
  const samples = [];
  for (let r = 0; r < 11; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 300; i++) call();
    samples.push(Number(process.hrtime.bigint() - start) / 1e9 / 300);
  }
  samples.sort((a, b) => a - b);
  return Math.round(1 / samples[5]);
}

// Interleaved rounds, so drift on a shared machine hits both alike.
const once = [];
const each = [];
for (let round = 0; round < 3; round++) {
  each.push(perSecond(() => nurture.validateForm(form, submission, { asked })));
  once.push(perSecond(() => compiled.validate(submission, { asked })));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[1];
console.log(`${label}.form_validations_per_sec=${median(each)}`);
console.log(`${label}.form_class_validations_per_sec=${median(once)}`);
compiled.free();
