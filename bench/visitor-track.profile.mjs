// Where a tracked event's time goes in wasm: the bench's LiveVisitor loop
// (bench/score-floor.mjs) 1,000 times under V8's CPU profiler, on a build
// that keeps its function names, then self and inclusive shares by function.
//   wasm-bindgen --target web --out-dir /tmp/pkgprof --out-name nurture \
//     $CARGO_TARGET_DIR/wasm32-unknown-unknown/release/nurture.wasm
//   NURTURE_PKG=/tmp/pkgprof node --cpu-prof --cpu-prof-dir=/tmp/prof bench/visitor-track.profile.mjs
//   node bench/visitor-track.profile.mjs --report /tmp/prof
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

if (process.argv[2] === "--report") {
  const dir = process.argv[3];
  const file = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const spent = new Map();
  profile.samples.forEach((id, i) => spent.set(id, (spent.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const name = (n) => (n.callFrame.functionName || "(anonymous)").replace(/::h[0-9a-f]{16}$/, "").slice(0, 110);
  const self = new Map();
  const inclusive = new Map();
  for (const n of profile.nodes) {
    const t = spent.get(n.id) ?? 0;
    self.set(name(n), (self.get(name(n)) ?? 0) + t);
    const seen = new Set();
    for (let id = n.id; id !== undefined; id = parent.get(id)) {
      const k = name(byId.get(id));
      if (!seen.has(k)) inclusive.set(k, (inclusive.get(k) ?? 0) + t);
      seen.add(k);
    }
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const show = (title, m, n) => {
    console.log(title);
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
      .forEach(([k, v]) => console.log(`${((100 * v) / total).toFixed(1).padStart(5)}  ${k}`));
  };
  show("inclusive %", inclusive, 40);
  show("self %", self, 25);
} else {
  const { default: nurture } = await import("../tests/js/load.mjs");
  const { heavyVisitor } = await import("./visitor.json.mjs");
  const now = Date.UTC(2026, 10, 25, 18, 42);
  const model = new nurture.Model(null);
  const events = heavyVisitor(now).sort((a, b) => a.timestamp - b.timestamp);
  for (let k = 0; k < 1000; k++) {
    const visitor = model.visitor(null, "server");
    for (const ev of events) {
      const props = ev.properties ?? {};
      visitor.track(ev.type === "track" ? ev.event : ev.type, props.path ?? props.url ?? null,
        ev.timestamp, props.tags ?? null, props.dwellSeconds ?? null);
    }
    visitor.score(now);
    visitor.free();
  }
}
