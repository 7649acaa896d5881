// Personalization decisions through the wasm package in Node: the same site
// config and visitor as benches/decide.rs, compiled once (Personalizer) and
// per call (decide), then the generated 5 / 50 / 500-segment sites.
// Prints key=value lines. Usage: node bench/decide.bench.mjs.
// NURTURE_BASELINE_PKG=<another built pkg/> also decides with that build in
// the same process, in alternating rounds (a shared machine's load then
// weighs on both alike), and prints the ratio.
import { readFileSync } from "node:fs";
import nurture, { loadBuild } from "../tests/js/load.mjs";
import { heavyVisitor } from "./visitor.json.mjs";

const now = Date.UTC(2026, 10, 25, 18, 42);

function usPerCall(fn, minMs = 400) {
  for (let i = 0; i < 5; i++) fn();
  const samples = [];
  for (let r = 0; r < 9; r++) {
    let iterations = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < minMs / 9 || iterations < 1) {
      fn();
      iterations++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    }
    samples.push((elapsed * 1000) / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[4];
}

const profile = { email: "li.wei@petrochina.com.cn", title: "VP of Operations", company: "PetroChina",
  industry: "Oil & Gas", companySize: 5000, country: "CN", budget: "approved", timeline: "this quarter" };
const model = new nurture.Model(null);
const score = model.score(profile, heavyVisitor(now, 20), now);
const visitor = { id: "v-1", request: { country: "CN", asOrganization: "PetroChina" }, profile, score, page: { path: "/pricing" } };
const site = JSON.parse(readFileSync(new URL("../tests/data/site-config.json", import.meta.url)));
const personalizer = new nurture.Personalizer(site);
const decide = usPerCall(() => personalizer.decide(visitor));
console.log(`wasm.decide_us=${decide.toFixed(2)}`);
console.log(`wasm.decide_per_sec=${Math.round(1e6 / decide)}`);
console.log(`wasm.decide_compile_each_call_us=${usPerCall(() => nurture.decide(site, visitor)).toFixed(1)}`);
console.log(`wasm.decide_compile_site_us=${usPerCall(() => new nurture.Personalizer(site).free()).toFixed(1)}`);
// The same visitor held in wasm: its 20 events tracked into a LiveVisitor,
// its request, profile and page set once (`setContext`), decided from its
// own score without any visitor document crossing (`decisions`). The
// answer must be `decide`'s for the visitor above.
const events = [...heavyVisitor(now, 20)].sort((a, b) => a.timestamp - b.timestamp);
const live = model.visitor(null, "server");
for (const ev of events) {
  const props = ev.properties ?? {};
  live.track(ev.type === "track" ? ev.event : ev.type, props.path ?? props.url ?? null, ev.timestamp,
    props.tags ?? null, props.dwellSeconds ?? null);
}
const { score: _, ...context } = visitor;
live.setContext(context);
{
  const a = JSON.stringify(live.decisions(personalizer, now));
  const b = JSON.stringify(personalizer.decide(visitor));
  if (a !== b) throw new Error(`LiveVisitor.decisions answers ${a}, Personalizer.decide ${b}`);
}
console.log(`wasm.live_decisions_us=${usPerCall(() => live.decisions(personalizer, now)).toFixed(2)}`);
// The same with the score worked out again on every call: a new `now`
// each time (a millisecond later), as when an event came in between.
let later = now;
const rescored = () => live.decisions(personalizer, ++later);
// The visitor with only what decisions read from the score: the full score
// result is most of what crosses the boundary.
const slim = { ...visitor, score: { tier: score.tier, stage: score.stage, interests: score.interests } };
console.log(`wasm.decide_slim_visitor_us=${usPerCall(() => personalizer.decide(slim)).toFixed(2)}`);

// The generated sites of benches/decide.rs (same shapes).
const industries = ["Oil & Gas", "Retail", "Manufacturing", "Energy", "Education", "Finance", "Health"];
const countries = ["CN", "US", "DE", "SG", "JP", "GB", "FR", "BR"];
function scaledSite(n) {
  const segments = Array.from({ length: n }, (_, i) => {
    const when = [
      { industry: { $ini: [industries[i % industries.length]] } },
      { $and: [{ country: { $in: [countries[i % countries.length], countries[(i + 3) % countries.length]] } }, { tier: { $in: ["warm", "hot"] } }] },
      { $or: [{ interests: { $ini: [`topic-${i % 30}`] } }, { companySize: { $gte: 100 * (i % 50) } }] },
      { company: { $regex: `^Co${i % 17}` } },
    ][i % 4];
    return { id: `s${i}`, priority: (i * 37) % 101, when };
  });
  const slots = Array.from({ length: Math.max(1, Math.floor(n / 5)) }, (_, k) => ({
    id: `slot${k}`, default: { content: "default" },
    variants: Array.from({ length: 5 }, (_, v) => ({ id: `slot${k}-v${v}`, segment: `s${(k * 5 + v) % n}`, content: `Variant ${v} of slot ${k}` })),
  }));
  return { version: `scale-${n}`, segments, slots };
}
const scaleVisitor = { id: "v-9", request: { country: "SG" }, profile: { company: "Co7 Ltd", industry: "Retail", companySize: 800 },
  score: { tier: "hot", stage: "decision", interests: [{ tag: "topic-3", weight: 1 }] } };
for (const n of [5, 50, 500]) {
  const p = new nurture.Personalizer(scaledSite(n));
  console.log(`wasm.scale_s${n}_decide_us=${usPerCall(() => p.decide(scaleVisitor)).toFixed(1)}`);
  p.free();
}

const baselineDir = process.env.NURTURE_BASELINE_PKG;
if (baselineDir) {
  const baseline = await loadBuild(baselineDir);
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const cases = [
    ["decide", visitor, site],
    ["decide_slim_visitor", slim, site],
    ["scale_s50_decide", scaleVisitor, scaledSite(50)],
  ];
  for (const [name, who, config] of cases) {
    const now = new nurture.Personalizer(config);
    const before = new baseline.Personalizer(config);
    const times = { now: [], before: [] };
    for (let round = 0; round < 15; round++) {
      times.before.push(usPerCall(() => before.decide(who), 60));
      times.now.push(usPerCall(() => now.decide(who), 60));
    }
    const [a, b] = [median(times.now), median(times.before)];
    console.log(`wasm.${name}_baseline_us=${b.toFixed(2)}`);
    console.log(`wasm.${name}_this_us=${a.toFixed(2)}`);
    console.log(`wasm.${name}_speedup=${(b / a).toFixed(2)}`);
    now.free();
    before.free();
  }
  // The figure: the visitor held in wasm (`LiveVisitor.decisions`,
  // this build) against the baseline's `Personalizer.decide` of the same
  // visitor as a document, alternating.
  const before = new baseline.Personalizer(site);
  const times = { now: [], before: [] };
  for (let round = 0; round < 15; round++) {
    times.before.push(usPerCall(() => before.decide(visitor), 60));
    times.now.push(usPerCall(() => live.decisions(personalizer, now), 60));
  }
  const [a, b] = [median(times.now), median(times.before)];
  console.log(`wasm.live_decisions_baseline_decide_us=${b.toFixed(2)}`);
  console.log(`wasm.live_decisions_this_us=${a.toFixed(2)}`);
  console.log(`wasm.live_decisions_speedup=${(b / a).toFixed(2)}`);
  const again = { now: [], before: [] };
  for (let round = 0; round < 15; round++) {
    again.before.push(usPerCall(() => before.decide(visitor), 60));
    again.now.push(usPerCall(rescored, 60));
  }
  const [c, d] = [median(again.now), median(again.before)];
  console.log(`wasm.live_decisions_rescored_baseline_decide_us=${d.toFixed(2)}`);
  console.log(`wasm.live_decisions_rescored_this_us=${c.toFixed(2)}`);
  console.log(`wasm.live_decisions_rescored_speedup=${(d / c).toFixed(2)}`);
  before.free();
}
