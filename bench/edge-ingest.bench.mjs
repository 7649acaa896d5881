// The visitor object's wasm calls for one 20-event batch through the
// package in Node, as worker/src/visitor.js makes them: `ingestInto` on
// the engagement held in the core, then `forwardedScore`. The batches are
// bench/workerd-compare.mjs's (15 page views, 5 downloads, all within
// seconds), for a visitor with PRIOR events before (100, 400, 1,600). Each
// call starts from the same state (opened from its bytes; opening alone is
// timed and taken off). With NURTURE_BASELINE_PKG=<another build's pkg
// dir> the same calls run against it in the same process, alternated, and
// the ratio is printed. Prints key=value lines.
import nurture, { loadBuild } from "../tests/js/load.mjs";
import { secondsPerCall } from "./timing.mjs";

const start = Date.UTC(2026, 10, 25, 18, 42);
const paths = ["/pricing", "/industries/oil-gas", "/case-studies/refinery"];
/** Batch `n`, sent at `start + 50 n` ms. */
function batch(n) {
  const at = start + 50 * n;
  const events = Array.from({ length: 20 }, (_, k) => (k % 4 === 3
    ? { type: "track", event: "Whitepaper Downloaded", messageId: `s${n * 20 + k}`, timestamp: at, channel: "browser", properties: { path: "/resources/white-paper" } }
    : { type: "page", messageId: `s${n * 20 + k}`, timestamp: at, channel: "browser", properties: { path: paths[k % 3], dwellSeconds: 40 } }));
  return { text: JSON.stringify(events), at };
}
const profile = { industry: "Oil & Gas", companySize: 800, country: "US" };

/** µs per batch for a visitor with `prior` events, through `pkg`. */
function measure(pkg, prior) {
  const model = new pkg.Model(null);
  const held = model.openState(null);
  for (let n = 0; n < prior / 20; n++) {
    const { text, at } = batch(n);
    model.ingestInto(held, text, at, "server");
  }
  const bytes = held.toBytes();
  held.free();
  const { text, at } = batch(prior / 20);
  const open = secondsPerCall(100, 9, () => model.openState(bytes).free());
  const whole = secondsPerCall(100, 9, () => {
    const h = model.openState(bytes);
    const out = model.ingestInto(h, text, at, "server");
    if (out.accepted.length !== 20) throw new Error("rejected");
    model.forwardedScore(h, profile, at);
    h.free();
  });
  model.free();
  return (whole - open) * 1e6;
}

const baselineDir = process.env.NURTURE_BASELINE_PKG;
const baseline = baselineDir ? await loadBuild(baselineDir) : null;
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const prior of [100, 400, 1600]) {
  const ours = [], base = [];
  for (let i = 0; i < 5; i++) {
    ours.push(measure(nurture, prior));
    if (baseline) base.push(measure(baseline, prior));
  }
  const t = median(ours);
  console.log(`wasm.edge_batch_prior${prior}_us=${t.toFixed(1)}`);
  if (baseline) {
    const b = median(base);
    console.log(`wasm.edge_batch_prior${prior}_baseline_us=${b.toFixed(1)}`);
    console.log(`wasm.edge_batch_prior${prior}_speedup=${(b / t).toFixed(2)}`);
  }
}
