// Events scored per second through the wasm package in Node, for the same
// 1,000-event visitor as the native benchmark. Prints key=value lines.
import nurture from "../tests/js/load.mjs";
import { heavyVisitor, profile } from "./visitor.json.mjs";
import { secondsPerCall } from "./timing.mjs";

const now = Date.UTC(2026, 10, 25, 18, 42);
const events = heavyVisitor(now);

const model = new nurture.Model(null);
const full = secondsPerCall(10, 15, () => model.score(profile, events, now));
const totals = secondsPerCall(10, 15, () => model.score(profile, events, now, { breakdown: false }));
// The events as JSON text, crossing once as a string and parsed by
// serde_json in wasm (what the edge worker does with a stored history).
const eventsJson = JSON.stringify(events);
const totalsJson = secondsPerCall(10, 15, () => model.scoreJson(profile, eventsJson, now, { breakdown: false }));
const oneOff = secondsPerCall(10, 15, () => nurture.score(null, profile, events, now, { breakdown: false }));
const doc = nurture.defaultModel();
const compile = secondsPerCall(50, 15, () => new nurture.Model(doc).free());
// The JS boundary alone: one event in, result out.
const single = secondsPerCall(200, 15, () => model.score(profile, events.slice(0, 1), now, { breakdown: false }));

console.log(`wasm.events=${events.length}`);
console.log(`wasm.score_full_events_per_sec=${Math.round(events.length / full)}`);
console.log(`wasm.score_totals_events_per_sec=${Math.round(events.length / totals)}`);
console.log(`wasm.score_json_totals_events_per_sec=${Math.round(events.length / totalsJson)}`);
console.log(`wasm.score_fn_default_model_events_per_sec=${Math.round(events.length / oneOff)}`);
console.log(`wasm.compile_default_model_us=${(compile * 1e6).toFixed(1)}`);
console.log(`wasm.score_one_event_us=${(single * 1e6).toFixed(1)}`);
