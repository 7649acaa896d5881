// The packed tarball in a fresh Node project: ESM without an init() call,
// CommonJS through require(esm), and the entry Node resolves (the full build).
import test from "node:test";
import assert from "node:assert/strict";
import { freshProject, run } from "./helpers.mjs";

const esm = `
import { score, decide, nextFields, validateForm, checkEmail, checkPhone, evalCondition, defaultModel } from "nurture";
const now = Date.UTC(2026, 10, 25, 18, 42);
const lead = score(null, { email: "li.wei@petrochina.com.cn", title: "VP of Operations", industry: "Oil & Gas",
  companySize: 5000, country: "CN", budget: "approved", timeline: "this quarter" },
  [{ type: "track", event: "Event Attended", timestamp: now - 60 * 86_400_000 },
   { type: "page", timestamp: now, properties: { path: "/pricing", dwellSeconds: 90 } },
   { type: "track", event: "Demo Requested", timestamp: now }], now);
const site = { segments: [{ id: "hot", when: { tier: "hot" } }],
  slots: [{ id: "cta", default: { content: "Try it" }, variants: [{ id: "demo", segment: "hot", content: "Book a demo" }] }] };
const d = decide(site, { id: "v1", score: lead });
const form = { fields: [{ name: "email", type: "email", required: true }, { name: "phone", type: "phone", defaultRegion: "CN" }] };
console.log(JSON.stringify({
  entry: import.meta.resolve("nurture"),
  grade: lead.grade, tier: lead.tier,
  variant: d.decisions[0].variant,
  next: nextFields(form, {}).fields.map((f) => f.name),
  valid: validateForm(form, { email: "a@acme.example", phone: "13800138000" }).valid,
  free: checkEmail("x@163.com").kind,
  // Only the full build has libphonenumber's metadata: no US area code starts with 1.
  us199: checkPhone("+1 199 555 0123").valid,
  cond: evalCondition({ grade: lead.grade }, { grade: { $in: ["A1", "A2"] } }),
  rules: defaultModel().fit.rules.length > 0,
}));
`;

const cjs = `
const { score, hash } = require("nurture");
console.log(JSON.stringify({ grade: score(null, { title: "CTO" }, [], 0).grade, hash: hash("a", "b", 2) }));
`;

let dir;
test.before(() => {
  dir = freshProject("node", { "main.mjs": esm, "main.cjs": cjs });
});

test("an ESM script imports named functions and calls them without init()", () => {
  const r = run(process.execPath, ["main.mjs"], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.match(out.entry, /node_modules\/nurture\/node\.js$/);
  assert.equal(out.grade, "A1");
  assert.equal(out.tier, "hot");
  assert.equal(out.variant, "demo");
  assert.deepEqual(out.next, ["email", "phone"]);
  assert.equal(out.valid, true);
  assert.equal(out.free, "free");
  assert.equal(out.us199, false);
  assert.equal(out.cond, true);
  assert.equal(out.rules, true);
});

test("CommonJS require() loads the same entry (Node with require(esm))", (t) => {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19) || (major === 22 && minor < 12)) {
    t.skip(`require(esm) needs Node 20.19+ or 22.12+ (this is ${process.version})`);
    return;
  }
  const r = run(process.execPath, ["main.cjs"], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.grade, "C4");
  assert.equal(typeof out.hash, "number");
});

test("init() resolves at once in Node, and the package ships what package.json lists", async () => {
  const r = run(process.execPath, ["--input-type=module", "-e", `
    import init, { score } from "nurture";
    import { readFileSync, existsSync } from "node:fs";
    await init(); await init();
    const pkg = JSON.parse(readFileSync("node_modules/nurture/package.json", "utf8"));
    const missing = pkg.files.filter((f) => !existsSync("node_modules/nurture/" + f));
    console.log(JSON.stringify({ grade: score(null, {}, []).grade, missing,
      extra: existsSync("node_modules/nurture/nurture.d.ts") }));
  `], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { grade: "D4", missing: [], extra: false });
});
