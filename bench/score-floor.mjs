// The floor for scoring: a plain, hand-written JS loop over the same
// 1,000-event visitor, implementing the engagement rules of the default model
// (src/score/default_model.json) the way someone would without nurture: URL
// globs pick the touchpoint and its weight, each matching rule adds
// points × weight × 0.5^(age / half-life), frequency caps over a sliding
// window, per-rule totals, the inactivity penalty. It must land on nurture's
// engagement score (checked below), so it is really the same rules.
//
// Then the same visitor through nurture's wasm in the same process (scored
// in one call, and tracked event by event through a `LiveVisitor`), and the
// growth of wasm time and memory with 100 … 100,000 events.
// Prints key=value lines. Usage: node bench/score-floor.mjs (after
// scripts/build-pkg.sh).
import { readFileSync } from "node:fs";
import nurture, { pkgDir } from "../tests/js/load.mjs";
import { heavyVisitor, profile } from "./visitor.json.mjs";
import path from "node:path";

const now = Date.UTC(2026, 10, 25, 18, 42);
const DAY = 86_400_000;
const model = nurture.defaultModel();

// ---- the floor ----------------------------------------------------------

function compileGlob(pattern) {
  let p = pattern.trim().toLowerCase();
  if (p.length > 1 && p.endsWith("/")) p = p.replace(/\/+$/, "");
  const pieces = p.split("*").filter(Boolean);
  return { start: !p.startsWith("*"), end: !p.endsWith("*"), pieces };
}

function globMatches(g, path) {
  let s = path.toLowerCase();
  const q = s.search(/[?#]/);
  if (q >= 0) s = s.slice(0, q);
  if (s.length > 1 && s.endsWith("/")) s = s.replace(/\/+$/, "");
  if (g.pieces.length === 0) return !(g.start && g.end) || s === "";
  let at = 0;
  for (let i = 0; i < g.pieces.length; i++) {
    const piece = g.pieces[i];
    const last = i === g.pieces.length - 1;
    if (i === 0 && g.start) {
      if (!s.startsWith(piece)) return false;
      at = piece.length;
      if (last && g.end) return at === s.length;
      continue;
    }
    if (last && g.end) return s.length - piece.length >= at && s.endsWith(piece);
    const found = s.indexOf(piece, at);
    if (found < 0) return false;
    at = found + piece.length;
  }
  return true;
}

function compileFloor(doc) {
  const e = doc.engagement;
  return {
    halfLife: e.halfLifeDays,
    touchpoints: e.touchpoints.map((t) => ({ glob: compileGlob(t.url), weight: t.weight })),
    rules: e.rules.map((r) => ({
      id: r.id,
      actions: r.event === undefined ? null : [].concat(r.event).map((a) => a.trim().toLowerCase()),
      minDwell: r.minDwellSeconds ?? null,
      points: r.points,
      capCount: r.cap ? r.cap.count : null,
      capWindow: r.cap && r.cap.windowDays ? r.cap.windowDays * DAY : null,
    })),
    inactivity: e.inactivity
      ? { after: e.inactivity.afterDays, points: e.inactivity.points, ignore: (e.inactivity.ignore ?? []).map((a) => a.toLowerCase()) }
      : null,
  };
}

function scoreFloor(m, events, at) {
  const order = events
    .map((ev, index) => ({ ev, index }))
    .sort((a, b) => a.ev.timestamp - b.ev.timestamp || a.index - b.index);
  const totals = m.rules.map((r) => ({ rule: r.id, events: 0, capped: 0, points: 0 }));
  const windows = m.rules.map(() => []);
  let total = 0;
  let last = null;
  for (const { ev } of order) {
    const action = (ev.type === "track" ? ev.event : ev.type).toLowerCase();
    const props = ev.properties ?? {};
    const url = props.path ?? props.url ?? null;
    const dwell = props.dwellSeconds ?? null;
    if (!m.inactivity || !m.inactivity.ignore.includes(action)) last = last === null ? ev.timestamp : Math.max(last, ev.timestamp);
    let weight = 1;
    if (url !== null) {
      for (const t of m.touchpoints) {
        if (globMatches(t.glob, url)) { weight = t.weight; break; }
      }
    }
    const age = Math.max(0, (at - ev.timestamp) / DAY);
    const decay = Math.pow(0.5, age / m.halfLife);
    for (let i = 0; i < m.rules.length; i++) {
      const r = m.rules[i];
      if (r.actions && !r.actions.includes(action)) continue;
      if (r.minDwell !== null && (dwell === null || dwell < r.minDwell)) continue;
      const w = windows[i];
      let capped = false;
      if (r.capCount !== null) {
        if (r.capWindow !== null) while (w.length && ev.timestamp - w[0] >= r.capWindow) w.shift();
        capped = w.length >= r.capCount;
      }
      totals[i].events++;
      if (capped) { totals[i].capped++; continue; }
      w.push(ev.timestamp);
      const points = r.points * weight * decay;
      totals[i].points += points;
      total += points;
    }
  }
  if (m.inactivity && last !== null) {
    const periods = Math.floor(Math.max(0, (at - last) / DAY) / m.inactivity.after);
    if (periods >= 1) total += m.inactivity.points;
  }
  return { score: Math.round(total * 100) / 100, rules: totals };
}

// ---- timing -------------------------------------------------------------

function secondsPerCall(fn, minMs = 400, rounds = 9) {
  for (let i = 0; i < Math.min(3, rounds); i++) fn();
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    let iterations = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < minMs / rounds || iterations < 1) {
      fn();
      iterations++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    }
    samples.push(elapsed / 1000 / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(rounds / 2)];
}

const floorModel = compileFloor(model);
const events = heavyVisitor(now);
const floor = scoreFloor(floorModel, events, now);
const wasmModel = new nurture.Model(null);
const wasm = wasmModel.score(profile, events, now, { breakdown: false });
const diff = Math.abs(floor.score - wasm.engagement.score);
if (diff > 0.05) {
  throw new Error(`the floor scores ${floor.score}, nurture ${wasm.engagement.score}: not the same rules`);
}
for (const t of wasm.engagement.rules) {
  const f = floor.rules.find((r) => r.rule === t.rule);
  if (!f || f.events !== t.events || f.capped !== t.capped || Math.abs(f.points - t.points) > 0.01) {
    throw new Error(`rule ${t.rule}: floor ${JSON.stringify(f)}, nurture ${JSON.stringify(t)}`);
  }
}

const n = events.length;
const tFloor = secondsPerCall(() => scoreFloor(floorModel, events, now));
const tWasm = secondsPerCall(() => wasmModel.score(profile, events, now, { breakdown: false }));
// The same events as JSON text: what crossing once with a string costs
// instead of serde-wasm-bindgen walking every property.
const text = JSON.stringify(events);
const tFloorText = secondsPerCall(() => scoreFloor(floorModel, JSON.parse(text), now));
// nurture's counterpart: the text parsed by serde_json inside wasm. Its
// score must be the floor's too.
const fromText = wasmModel.scoreJson(profile, text, now, { breakdown: false });
if (fromText.engagement.score !== wasm.engagement.score) {
  throw new Error(`scoreJson scores ${fromText.engagement.score}, score ${wasm.engagement.score}`);
}
const tWasmText = secondsPerCall(() => wasmModel.scoreJson(profile, text, now, { breakdown: false }));
// The page API: the same visitor's events tracked one by one into a
// `LiveVisitor` (its state stays in wasm; each call carries an event's name,
// URL, time, tags and dwell), then scored. Events arrive in time order, as
// a page sees them; the fields are read from the same JS objects the floor
// reads, inside the timed loop, and the visitor is made and freed in it.
const inOrder = [...events].sort((a, b) => a.timestamp - b.timestamp);
const trackVisitor = () => {
  const visitor = wasmModel.visitor(null, "server");
  for (const ev of inOrder) {
    const props = ev.properties ?? {};
    visitor.track(ev.type === "track" ? ev.event : ev.type, props.path ?? props.url ?? null,
      ev.timestamp, props.tags ?? null, props.dwellSeconds ?? null);
  }
  const scored = visitor.score(now);
  visitor.free();
  return scored;
};
const tracked = trackVisitor();
if (tracked.engagement !== wasm.engagement.score) {
  throw new Error(`the tracked visitor scores ${tracked.engagement}, score ${wasm.engagement.score}`);
}
const tTrack = secondsPerCall(trackVisitor);
// The same two, floor and tracked visitor, in alternating rounds, the
// ratio taken per round: on a machine shared with other work, the load
// swings between two measurements taken seconds apart, much less between
// two rounds taken within a few milliseconds.
function pairedRatio(a, b, rounds = 21, minMs = 30) {
  const round = (fn) => {
    let iterations = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < minMs || iterations < 1) {
      fn();
      iterations++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    }
    return elapsed / iterations;
  };
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    const ta = round(a);
    const tb = round(b);
    ratios.push(ta / tb);
  }
  ratios.sort((x, y) => x - y);
  return ratios[Math.floor(rounds / 2)];
}
const pairedTrackVsFloor = pairedRatio(() => scoreFloor(floorModel, events, now), trackVisitor);
console.log(`floor.events=${n}`);
console.log(`floor.engagement_score=${floor.score}`);
console.log(`floor.nurture_engagement_score=${wasm.engagement.score}`);
console.log(`floor.js_events_per_sec=${Math.round(n / tFloor)}`);
console.log(`floor.js_from_json_text_events_per_sec=${Math.round(n / tFloorText)}`);
console.log(`floor.wasm_events_per_sec=${Math.round(n / tWasm)}`);
console.log(`floor.wasm_json_events_per_sec=${Math.round(n / tWasmText)}`);
console.log(`floor.wasm_visitor_track_events_per_sec=${Math.round(n / tTrack)}`);
console.log(`floor.wasm_visitor_track_vs_floor=${(tFloor / tTrack).toFixed(2)}`);
console.log(`floor.wasm_visitor_track_vs_floor_paired=${pairedTrackVsFloor.toFixed(2)}`);

// ---- growth with the number of events, in wasm -------------------------
// wasm memory only grows, so sizes go up and the high-water mark after each
// is what that size needed (at most).
const exportsMemory = nurture.initSync({ module: readFileSync(path.join(pkgDir, "nurture_bg.wasm")) }).memory;
for (const count of [100, 1000, 10_000, 100_000]) {
  const ev = heavyVisitor(now, count);
  const before = exportsMemory.buffer.byteLength;
  const rounds = count >= 100_000 ? 3 : 9;
  const t = secondsPerCall(() => wasmModel.score(profile, ev, now, { breakdown: false, maxEvents: count }), 400, rounds);
  const tf = secondsPerCall(() => scoreFloor(floorModel, ev, now), 400, rounds);
  const after = exportsMemory.buffer.byteLength;
  console.log(`wasm.scale_${count}_ms=${(t * 1e3).toFixed(count >= 1000 ? 1 : 3)}`);
  console.log(`wasm.scale_${count}_events_per_sec=${Math.round(count / t)}`);
  console.log(`floor.scale_${count}_events_per_sec=${Math.round(count / tf)}`);
  console.log(`wasm.scale_${count}_memory_mib=${(after / 1048576).toFixed(1)}`);
  console.log(`wasm.scale_${count}_memory_growth_mib=${((after - before) / 1048576).toFixed(1)}`);
}
