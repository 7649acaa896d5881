// Seconds `calibrate` takes in wasm in Node, through the built package, on
// a file of leads (JSON Lines), with the default options (4 half-lives ×
// 5 folds, then 2 more L2 weights × 5 folds, and the final fit).
// Usage: node bench/calibrate/speed.mjs LEADS.jsonl [pkg dir]
// The figures in BENCHMARKS.md use 10,000 leads × 30 events:
//   cargo run --release --example synthetic-leads -- 10000 7 30 > target/leads-10k-30.jsonl
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [file, pkgDir = "pkg"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/calibrate/speed.mjs LEADS.jsonl [pkg dir]");
  process.exit(2);
}
const { calibrate } = await import(pathToFileURL(path.join(path.resolve(pkgDir), "calibrate", "node.js")).href);
const text = readFileSync(file, "utf8");
const events = text.split("\n").filter(Boolean).reduce((sum, line) => sum + JSON.parse(line).events.length, 0);
const runs = [];
let report;
for (let run = 0; run < 3; run += 1) {
  const start = performance.now();
  report = calibrate(text, {}).report;
  runs.push((performance.now() - start) / 1000);
}
runs.sort((a, b) => a - b);
console.log(
  `${report.leads} leads, ${events} events: calibrate in wasm (Node ${process.version}) ` +
    `median ${runs[1].toFixed(2)} s (runs ${runs.map((s) => s.toFixed(2)).join(", ")}); ` +
    `CV AUC ${report.crossValidated.auc.toFixed(4)}`,
);
// For scripts/bench.sh.
console.log(`calibrate.wasm_seconds=${runs[1].toFixed(2)}`);
console.log(`calibrate.leads=${report.leads}`);
console.log(`calibrate.events=${events}`);
