// model.validateEvents on a 20-event batch through the wasm package in
// Node (the worker benchmark's batch, bench/worker.bench.mjs, stamped with
// `channel` as the worker does), in events per second. With
// NURTURE_BASELINE_PKG=<another build's pkg dir> (e.g. a build of the
// commit before the typed path, whose validateEvents parsed a Value tree)
// the same calls run against it in the same process, and the ratio is
// printed. Prints key=value lines.
import nurture, { loadBuild } from "../tests/js/load.mjs";
import { secondsPerCall } from "./timing.mjs";

const now = Date.UTC(2026, 10, 25, 18, 42);
const events = [];
for (let k = 0; k < 20; k++) {
  events.push(k % 4 === 3
    ? { type: "track", event: "Whitepaper Downloaded", messageId: `b${k}`, timestamp: now, channel: "browser", properties: { path: "/resources/white-paper" } }
    : { type: "page", messageId: `b${k}`, timestamp: now, channel: "browser", properties: { path: ["/pricing", "/industries/oil-gas", "/case-studies/refinery"][k % 3], dwellSeconds: 40 } });
}
const text = JSON.stringify(events);

/** @param {typeof nurture} pkg */
function measure(pkg) {
  const model = new pkg.Model(null);
  const out = model.validateEvents(text, now);
  if (out.accepted.length !== events.length) throw new Error(`rejected: ${JSON.stringify(out.rejected)}`);
  return secondsPerCall(2000, 15, () => model.validateEvents(text, now));
}

const baselineDir = process.env.NURTURE_BASELINE_PKG;
const baseline = baselineDir ? await loadBuild(baselineDir) : null;
// Alternated, so a slower stretch of a shared machine falls on both.
const typed = [], base = [];
for (let i = 0; i < 3; i++) {
  typed.push(measure(nurture));
  if (baseline) base.push(measure(baseline));
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const t = median(typed);
console.log(`wasm.validate20_us=${(t * 1e6).toFixed(1)}`);
console.log(`wasm.validate_events_per_sec=${Math.round(events.length / t)}`);
if (baseline) {
  const b = median(base);
  console.log(`wasm.validate20_baseline_us=${(b * 1e6).toFixed(1)}`);
  console.log(`wasm.validate_baseline_events_per_sec=${Math.round(events.length / b)}`);
  console.log(`wasm.validate_speedup=${(b / t).toFixed(2)}`);
}
