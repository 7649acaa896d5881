// Validations per second for the 10-field form through wasm in Node: the
// package's full build, or another one with NURTURE_PKG (e.g. pkg/browser).
import { readFileSync } from "node:fs";
import nurture from "../tests/js/load.mjs";

const form = JSON.parse(readFileSync(new URL("./contact-form.json", import.meta.url)));
const submission = {
  email: "li.wei@petrochina.com.cn", firstName: "Wei", lastName: "Li", company: "PetroChina",
  title: "VP of Operations", industry: "Oil & gas", companySize: 5000, phone: "+86 10 5998 6000",
  country: "CN", consent: true,
};
const asked = form.fields.map((f) => f.name);
const label = process.env.BENCH_LABEL ?? "wasm";
const first = nurture.validateForm(form, submission, { asked });
if (!first.valid) throw new Error(`benchmark submission should be valid: ${JSON.stringify(first.errors)}`);
const samples = [];
for (let r = 0; r < 11; r++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < 300; i++) nurture.validateForm(form, submission, { asked });
  samples.push(Number(process.hrtime.bigint() - start) / 1e9 / 300);
}
samples.sort((a, b) => a - b);
console.log(`${label}.form_validations_per_sec=${Math.round(1 / samples[5])}`);
