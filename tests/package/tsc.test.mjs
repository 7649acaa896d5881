// The packed tarball in a fresh TypeScript project: a consumer that uses every
// export passes `tsc --noEmit --strict` under both module resolutions people
// use (bundler, and node16 / nodenext), and wrong calls fail type-checking
// with the errors expected where expected. All with `skipLibCheck: false`, in
// three kinds of project: a page (the DOM lib), Node (@types/node, no DOM)
// and Cloudflare Workers (@cloudflare/workers-types, no DOM); the types come
// from the repository's node_modules, found by tsc above the fresh project.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { bin, freshProject, root, run } from "./helpers.mjs";

const good = `
import init, {
  score, Model, defaultModel, checkModel,
  evalCondition, hash, getBucketRange, chooseVariation, inNamespace, getEqualWeights, Condition,
  decide, Personalizer, segmentOf, checkPersonalization, CidrTable, MaxMindDb,
  nextFields, validateForm, Form, checkEmail, checkPhone, initSync, compileConfig, inspectCompiled,
  type CompiledConfigInfo, type ModelConfig, type SiteConfig, type FormConfig, type NurtureEvent, type ScoreResult,
  type Decisions, type Decision, type FormSubmission, type NurtureError, type Grade, type Visitor,
  type MaxMindContextFields,
} from "nurture";
import { calibrate, type LeadRecord, type CalibrationReport } from "nurture/calibrate";

await init();

const model: ModelConfig = {
  name: "typed",
  fit: {
    rules: [
      { id: "cto", field: "title", op: "contains", values: ["cto"], points: 25, group: "seniority" },
      { id: "big", field: "companySize", op: "range", min: 1000, points: 20 },
    ],
    negative: { freeEmail: { points: -10 }, student: { points: -30 }, competitor: { points: -100, domains: ["rival.example"] } },
    grades: { A: 60, B: 40, C: 20 },
    browserTraits: ["utmSource"],
  },
  engagement: {
    halfLifeDays: null,
    touchpoints: [{ id: "pricing", url: "/pricing*", weight: 3, stage: "decision" }],
    rules: [{ id: "demo", event: ["Demo Requested"], points: 40, cap: { count: 1 }, halfLifeDays: null, source: "server" }],
    levels: { "1": 60, "2": 30, "3": 10 },
  },
  mql: { grades: ["A1"], minFit: 50 },
};
const events: NurtureEvent[] = [
  { type: "page", timestamp: Date.now(), properties: { path: "/pricing", dwellSeconds: 30, tags: ["pricing"] } },
  { event: "Demo Requested", timestamp: "2026-11-25T18:42:00Z", channel: "server" },
  { type: "identify", timestamp: 0, traits: { email: "a@b.example" } },
];
const r: ScoreResult = score(model, { title: "CTO" }, events, new Date(), { breakdown: true });
const grade: Grade = r.grade;
const tier: "cold" | "warm" | "hot" = r.tier;
const points: number = r.engagement.breakdown[0]?.touchpointWeight ?? 1;
const m = new Model(defaultModel());
const again = m.score(null, null);
const warnings: string[] = m.warnings.map((w) => w.path);
const traits: string[] = m.browserTraits;
const fromPage = m.score(null, events, Date.now(), { breakdown: false, source: "browser" });
const unscored: string[] = fromPage.unscored.map((u) => \`\${u.index} \${u.id ?? ""} \${u.rule}: \${u.reason}\`);
const untrusted: number = fromPage.engagement.rules[0]?.untrusted ?? 0;
const flagged: boolean = r.engagement.breakdown[0]?.untrusted ?? false;
const report = checkModel(model);
const errs: { path: string; message: string }[] = report.errors;

const site: SiteConfig = {
  version: "1",
  savedGroups: { vip: ["a@b.example"] },
  orgRules: [{ id: "edu", suffix: ".edu", set: { industry: "Education" } }],
  segments: [{ id: "hot", priority: 10, when: { tier: "hot" } }],
  holdout: { share: 0.05 },
  slots: [{
    id: "cta",
    default: { content: "Try it" },
    variants: [
      { id: "demo", segment: "hot", content: "Book a demo", kind: "text" },
      { id: "late", stage: ["decision"], tier: "hot", content: { html: "<b>Talk to us</b>" }, kind: "html-template" },
    ],
    experiment: { key: "cta", variations: ["default", "demo"], weights: [0.5, 0.5], namespace: ["ns", 0, 0.5] },
  }],
  content: { limit: 2, items: [{ id: "case", type: "case-study", stage: "consideration", persona: { industry: "Retail" } }] },
};
const visitor: Visitor = { id: "v1", ip: "203.0.113.9", score: r, page: { path: "/" }, seen: ["case"] };
const cidr = CidrTable.fromCsv("cidr,company\\n203.0.113.0/24,Acme\\n");
const d: Decisions = decide(site, visitor, { cidr });
const first: Decision | undefined = d.decisions[0];
const kind: "segment" | "rule" | "experiment" | "holdout" | "fallback" | undefined = first?.reason.kind;
const p = new Personalizer(site);
p.decide(visitor).recommendations.map((x) => x.reasons[0]?.factor);
const ctx = p.context(visitor);
const country: string | undefined = ctx.country;
const seg = segmentOf("203.0.113.9", { country: "CN" }, { cidr, maxmind: [] }, site);
const primary: string | null = seg.primarySegment;
checkPersonalization(site).warnings.length;
const size: number = cidr.size;
const hit = cidr.lookup("203.0.113.9");
const network: string | undefined = hit?.network;
const db: MaxMindDb | null = null as MaxMindDb | null;
db?.lookup("1.1.1.1");
const geo: MaxMindContextFields | null | undefined = db?.lookupContext("1.1.1.1");
const asNumber: number | undefined = geo?.asn;
const city: string | undefined = geo?.city;

const form: FormConfig = {
  id: "contact",
  honeypot: "website_url",
  fields: [
    { name: "email", type: "email", required: true, always: true, businessEmail: true },
    { name: "industry", type: "select", options: ["Retail", { value: "oil-gas", label: { en: "Oil & gas", "zh-Hans": "石油天然气" } }] },
    { name: "phone", type: "phone", defaultRegion: "CN", showIf: { country: "CN" } },
  ],
};
const next = nextFields(form, { email: "a@b.example" });
const names: string[] = next.fields.map((f) => f.name);
const sub: FormSubmission = validateForm(form, { email: "a@b.example" }, { language: "zh-Hant", model: null, renderedAt: 0 });
const compiledForm = new Form(form);
const sub2: FormSubmission = compiledForm.validate({ email: "a@b.example" }, { asked: names });
const formId: string | undefined = compiledForm.id;
const next2: string[] = compiledForm.nextFields(null).hidden;
compiledForm.free();
const code: string | undefined = sub.errors[0]?.code;
const emailKind = checkEmail("a@b.example").kind;
const e164: string | undefined = checkPhone("13800138000", "CN").e164;

const yes: boolean = evalCondition({ a: 2 }, { a: { $gt: 1 } }, { g: [1] });
const h: number | null = hash("s", "v", 2);
const ranges: [number, number][] = getBucketRange(2, 1, [0.5, 0.5]);
const which: number = chooseVariation(0.3, ranges);
const inNs: boolean = inNamespace("v", ["ns", 0, 0.5]);
const w: number[] = getEqualWeights(3);
const c = new Condition({ a: 1 });
const ok: boolean = c.eval({ a: 1 });
c.free();

try {
  decide({ slots: [] }, {});
} catch (err) {
  const e = err as NurtureError;
  const code2: "invalid_config" | "invalid_argument" | "compiled_config_version" | "compiled_config_corrupt" = e.code;
  const path: string | undefined = e.path;
}
declare const bytes: Uint8Array;
initSync({ module: bytes });
const compiled: Uint8Array = compileConfig({ version: "0011223344556677", site: { slots: [] }, model: null });
const compiledModel: Uint8Array = compileConfig(defaultModel(), "model");
const held: CompiledConfigInfo = inspectCompiled(compiled);
const heldKind: "edge" | "site" | "model" = held.kind;

const leads: LeadRecord[] = [{ profile: { industry: "Energy" }, events: [], converted: true }, { converted: false, now: 0 }];
const learned: { model: ModelConfig; report: CalibrationReport } = calibrate(leads, { folds: 2, halfLifeDays: [7, null], keepFields: ["x"] });
const slope: number | undefined = learned.model.calibration?.slope;
const cvAuc: number = learned.report.crossValidated.auc;
calibrate(leads, null, (done: number, total: number, stage: "features" | "cross-validation" | "final fit") => console.log(done / total, stage));
const probability: number | undefined = new Model(learned.model).score({}, []).probability;

export { grade, tier, points, again, warnings, traits, unscored, untrusted, flagged, errs, first, kind, country, primary, size, network, names, code, emailKind, sub2, formId, next2,
  e164, yes, h, which, inNs, w, ok, slope, cvAuc, probability };
`;

// Each line is a mistake a user could make; tsc must report each one, on its line.
const bad = [
  `score({ fit: { rules: [{ id: "x", field: "title", op: "startsWith", points: 1 }] } }, {}, []);`,
  `score(null, {}, [{ type: "click", timestamp: 0 }]);`,
  `score(null, {}, [], "yesterday");`,
  `decide({ slots: [{ id: "hero", variants: [{ id: "v", kind: "html" }] }] }, { id: "v" });`,
  `decide({ slots: [{ id: "hero", colour: "red" }] }, { id: "v" });`,
  `nextFields({ fields: [{ name: "email", type: "e-mail" }] }, {});`,
  `const g: number = score(null, {}, []).grade;`,
  `checkPhone(13800138000);`,
  `new Form({ fields: [{ name: "a", type: "text" }] }).validate({}, { asked: "a" });`,
  `new Model({ tiers: { warm: 20 } });`,
  `const t: "cold" = score(null, {}, []).tier;`,
  `score(null, {}, [], null, { source: "edge" });`,
  `new Model({ engagement: { rules: [{ id: "x", points: 1, source: "browser" }] } });`,
  `calibrate([{ profile: {} }]);`,
  `new Model({ engagement: { aggregates: [{ id: "x", measure: "count", min: 1 }] } });`,
];
const badFile = `import { score, decide, nextFields, checkPhone, Model, Form } from "nurture";\n${bad.join("\n")}\nexport {};\nimport { calibrate } from "nurture/calibrate";\n`;

// The fixtures that use every key of the JSON Schemas (schema.test.mjs), as
// typed literals: a key the types lack is an excess-property error.
const fixture = (name) => readFileSync(path.join(root, "tests", "package", "fixtures", name), "utf8");
const fixturesFile = `import type { ModelConfig, SiteConfig, FormConfig } from "nurture";
export const model: ModelConfig = ${fixture("model.full.json")};
export const site: SiteConfig = ${fixture("site.full.json")};
export const form: FormConfig = ${fixture("form.full.json")};
`;

// Where the loading and page APIs meet the runtime's own types: each project
// kind passes the values its runtime has, and one wrong call each must fail.
const envs = {
  dom: {
    compilerOptions: { lib: ["es2022", "dom"], types: [] },
    good: `import init, { initSync, start, swapSlot, type Decision } from "nurture";
await init(new URL("/assets/nurture_bg.wasm", location.href));
await init({ module_or_path: fetch("/nurture_bg.wasm") });
await init(new Request("/nurture_bg.wasm"));
initSync({ module: new Uint8Array(await (await fetch("/nurture_bg.wasm")).arrayBuffer()) });
initSync(await WebAssembly.compileStreaming(fetch("/nurture_bg.wasm")));
const nurture = start({ config: "/site-config.json" });
declare const decision: Decision;
const el: Element | null = document.querySelector("[data-nurture-slot]");
if (el) swapSlot(el, decision)?.undo();
nurture.onChange((state) => state.score?.grade);
export {};
`,
    bad: [`swapSlot("h1", decision);`, `await init(42);`, `initSync({ module: "nurture_bg.wasm" });`, `await init({ module_or_path: 42 });`],
  },
  node: {
    compilerOptions: { lib: ["es2022"], types: ["node"] },
    good: `import init, { initSync, score, swapSlot, type Decision } from "nurture";
import { readFileSync } from "node:fs";
await init();
await init(new URL("./node_modules/nurture/nurture_bg.wasm", import.meta.url));
await init(await fetch("https://cdn.example/nurture_bg.wasm"));
initSync({ module: readFileSync("node_modules/nurture/nurture_bg.wasm") });
initSync(readFileSync("node_modules/nurture/nurture_bg.wasm").buffer);
declare const decision: Decision;
declare const element: { tagName: string };
swapSlot(element, decision);
const grade: string = score(null, {}, []).grade;
export { grade };
`,
    bad: [`initSync({ module: "nurture_bg.wasm" });`, `await init(42);`, `initSync("node_modules/nurture/nurture_bg.wasm");`],
  },
  workers: {
    compilerOptions: { lib: ["es2022"], types: ["@cloudflare/workers-types"] },
    good: `import init, { initSync, score, decide } from "nurture";
declare const wasm: WebAssembly.Module;
initSync({ module: wasm });
await init(wasm);
await init(new Request("https://cdn.example/nurture_bg.wasm"));
export default {
  async fetch(request: Request): Promise<Response> {
    const { profile } = await request.json<{ profile: Record<string, unknown> }>();
    const result = score(null, profile, [], Date.now());
    return Response.json({ result, decisions: decide({ slots: [] }, { id: "v", score: result }) });
  },
} satisfies ExportedHandler;
`,
    bad: [`initSync({ module: "nurture_bg.wasm" });`, `await init(42);`, `initSync("node_modules/nurture/nurture_bg.wasm");`],
  },
};
const envBad = (env) => `import init, { initSync, swapSlot, type Decision } from "nurture";
declare const decision: Decision;
${envs[env].bad.join("\n")}
export {};
`;
const envLine = 3; // the first bad line of envBad

const tsconfig = (moduleResolution, module, file = "good.ts", env = "dom") => JSON.stringify({
  compilerOptions: {
    target: "es2022", module, moduleResolution, strict: true, noEmit: true, skipLibCheck: false,
    noUnusedLocals: false, ...envs[env].compilerOptions,
  },
  files: [file],
});

let dir;
test.before(() => {
  const files = {
    "good.ts": good,
    "bad.ts": badFile,
    "tsconfig.node.json": tsconfig("nodenext", "nodenext"),
    "tsconfig.bad.json": tsconfig("bundler", "esnext", "bad.ts"),
    "fixtures.ts": fixturesFile,
    "tsconfig.fixtures.json": tsconfig("bundler", "esnext", "fixtures.ts"),
  };
  for (const env of Object.keys(envs)) {
    files[`${env}.ts`] = envs[env].good;
    files[`${env}-bad.ts`] = envBad(env);
    // The whole API (good.ts), the runtime's own values and the wrong calls, in one program.
    files[`tsconfig.env-${env}.json`] = JSON.stringify({
      ...JSON.parse(tsconfig("bundler", "esnext", "good.ts", env)), files: ["good.ts", `${env}.ts`, `${env}-bad.ts`],
    });
  }
  dir = freshProject("tsc", files);
});

// moduleResolution bundler: tsconfig.env-dom.json below.
for (const [name, config] of [["nodenext", "tsconfig.node.json"]]) {
  test(`a consumer using every export passes tsc --noEmit --strict (moduleResolution ${name})`, () => {
    const r = run(bin("tsc"), ["-p", config], { cwd: dir });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
}

test("documents with every key of the JSON Schemas type-check as ModelConfig, SiteConfig, FormConfig", () => {
  const r = run(bin("tsc"), ["-p", "tsconfig.fixtures.json"], { cwd: dir });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test("wrong calls fail type-checking, each on its own line", () => {
  const r = run(bin("tsc"), ["-p", "tsconfig.bad.json"], { cwd: dir });
  assert.notEqual(r.status, 0);
  const lines = new Set([...r.stdout.matchAll(/^bad\.ts\((\d+),\d+\): error TS\d+/gm)].map((m) => Number(m[1])));
  const expected = bad.map((_, i) => i + 2);
  assert.deepEqual([...lines].sort((a, b) => a - b), expected, r.stdout);
});

for (const env of Object.keys(envs)) {
  const what = { dom: "a page project (the DOM lib)", node: "a Node project (@types/node, no DOM lib)", workers: "a Workers project (@cloudflare/workers-types, no DOM lib)" }[env];
  test(`with skipLibCheck: false in ${what}, the whole API type-checks and only the wrong calls fail`, () => {
    const r = run(bin("tsc"), ["-p", `tsconfig.env-${env}.json`], { cwd: dir });
    assert.notEqual(r.status, 0, "the wrong calls must fail");
    const errors = [...r.stdout.matchAll(/^([\w./-]+)\((\d+),\d+\): error TS\d+/gm)].map((m) => `${m[1]}:${m[2]}`);
    assert.deepEqual([...new Set(errors)], envs[env].bad.map((_, i) => `${env}-bad.ts:${envLine + i}`), r.stdout);
  });
}
