// What the JS boundary costs next to the work, for score() and decide(),
// through the packed package as a user installs it (the Node entry, full
// build), and the package's tarball and install size.
//
// The conversion in is measured on its own with evalCondition(payload, {}):
// an empty condition is true without reading anything, so the call is the
// serde-wasm-bindgen conversion of the payload (plus the fixed cost of a
// call). The conversion out is serde_json::to_string in Rust then JSON.parse
// in JS; its JS half is timed as JSON.parse of the same result text.
// Usage: node bench/boundary.bench.mjs (after scripts/build-pkg.sh).
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tgz = readdirSync(path.join(root, "target")).find((f) => /^nurture-.*\.tgz$/.test(f));
if (!tgz) throw new Error("no target/nurture-*.tgz: run scripts/build-pkg.sh");
const dir = path.join(root, "target", "bench-boundary");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, "package.json"), '{"private":true,"type":"module"}');
execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--no-package-lock", "--silent", path.join(root, "target", tgz)], { cwd: dir });
const n = await import(path.join(dir, "node_modules", "nurture", "node.js"));

function usPerCall(fn, minMs = 300) {
  for (let i = 0; i < 20; i++) fn();
  const samples = [];
  for (let r = 0; r < 7; r++) {
    let iterations = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < minMs / 7) {
      fn();
      iterations++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    }
    samples.push((elapsed * 1000) / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[3];
}

const now = Date.UTC(2026, 10, 25, 18, 42);
const profile = { email: "li.wei@petrochina.com.cn", title: "VP of Operations", company: "PetroChina", industry: "Oil & Gas",
  companySize: 5000, country: "CN", budget: "approved", timeline: "this quarter" };
const paths = ["/pricing", "/blog/sensor-myths", "/case-studies/refinery", "/demo", "/industries/oil-gas"];
const events = (count) => Array.from({ length: count }, (_, i) => i % 4 === 3
  ? { type: "track", event: ["Download", "Email Opened", "Webinar Attended"][i % 3], timestamp: now - i * 3_600_000,
      messageId: `m-${i}` }
  : { type: "page", timestamp: now - i * 3_600_000, messageId: `m-${i}`,
      properties: { path: paths[i % paths.length], dwellSeconds: 30 + (i % 90), tags: ["oil-gas", "iot"].slice(0, 1 + (i % 2)) } });

const model = new n.Model(null);
const rows = [];
for (const count of [1, 20, 200, 2000]) {
  const ev = events(count);
  const withBreakdown = model.score(profile, ev, now);
  const total = usPerCall(() => model.score(profile, ev, now));
  const totalsOnly = usPerCall(() => model.score(profile, ev, now, { breakdown: false }));
  const convertIn = usPerCall(() => n.evalCondition({ profile, events: ev }, {}));
  const text = JSON.stringify(withBreakdown);
  const parseOut = usPerCall(() => JSON.parse(text));
  rows.push({ call: `score, ${count} events`, total, totalsOnly, convertIn, parseOut, outBytes: text.length });
}

const site = JSON.parse(readFileSync(path.join(root, "tests", "data", "site-config.json"), "utf8"));
const personalizer = new n.Personalizer(site);
const scored = model.score(profile, events(20), now);
for (const [label, visitor] of [
  ["decide, visitor with an id", { id: "v-1", request: { country: "CN" } }],
  ["decide, visitor with a full score()", { id: "v-1", request: { country: "CN" }, profile, score: scored }],
  ["decide, visitor with {tier, stage, interests}", { id: "v-1", request: { country: "CN" }, profile,
    score: { tier: scored.tier, stage: scored.stage, interests: scored.interests } }],
]) {
  const out = personalizer.decide(visitor);
  const text = JSON.stringify(out);
  rows.push({
    call: label,
    total: usPerCall(() => personalizer.decide(visitor)),
    convertIn: usPerCall(() => n.evalCondition(visitor, {})),
    parseOut: usPerCall(() => JSON.parse(text)),
    outBytes: text.length,
  });
}
const compileEachCall = usPerCall(() => n.decide(site, { id: "v-1", request: { country: "CN" } }));
const noop = usPerCall(() => n.getEqualWeights(1));

const f = (x) => (x === undefined ? "" : x < 10 ? x.toFixed(2) : x.toFixed(0));
console.log("| call | µs per call | breakdown: false | conversion in (µs) | JSON.parse out (µs) | result JSON bytes |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(`| ${r.call} | ${f(r.total)} | ${f(r.totalsOnly)} | ${f(r.convertIn)} | ${f(r.parseOut)} | ${r.outBytes} |`);
}
console.log(`\ndecide(config, visitor) compiling the site config each call: ${f(compileEachCall)} µs ` +
  `(Personalizer.decide above: compile once)`);
console.log(`an empty call across the boundary (getEqualWeights(1)): ${f(noop)} µs`);

const tarball = statSync(path.join(root, "target", tgz)).size;
const du = (p) => statSync(p).isDirectory() ? readdirSync(p).reduce((s, f) => s + du(path.join(p, f)), 0) : statSync(p).size;
const installed = du(path.join(dir, "node_modules", "nurture"));
console.log(`\npackage: tarball ${tarball} bytes (${(tarball / 1024).toFixed(0)} KiB), installed ${installed} bytes ` +
  `(${(installed / 1024).toFixed(0)} KiB) in node_modules/nurture`);
