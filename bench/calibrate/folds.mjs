// The calibrated points model, cross-validated through the package only:
// for each fold, `calibrate` on the other folds' lead records and
// `new Model(model).score` on this fold's. Reads {leads, folds} as JSON on
// stdin (written by compare.py); writes, per lead, the out-of-fold total
// points and probability, the fields each fold's report flagged as leaks,
// and the seconds each calibration took.
// Usage: node bench/calibrate/folds.mjs [pkg dir] < input.json > output.json
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const pkg = path.resolve(process.argv[2] ?? "pkg");
const { calibrate, Model } = await import(pathToFileURL(path.join(pkg, "calibrate", "node.js")).href);

const input = JSON.parse(readFileSync(0, "utf8"));
/** @type {Array<{converted: boolean, profile?: object, events?: object[], now?: number}>} */
const leads = input.leads;
/** @type {number[]} */
const folds = input.folds;
const k = Math.max(...folds) + 1;
const points = new Array(leads.length).fill(0);
const probability = new Array(leads.length).fill(0);
const leaks = new Set();
const seconds = [];
const reports = [];
for (let fold = 0; fold < k; fold += 1) {
  const train = leads.filter((_, i) => folds[i] !== fold);
  const start = performance.now();
  const { model, report } = calibrate(train, input.options ?? {});
  seconds.push((performance.now() - start) / 1000);
  for (const leak of report.leakage) if (!leak.kept) leaks.add(leak.field);
  reports.push({ crossValidated: report.crossValidated, halfLifeDays: report.halfLifeDays, l2: report.l2, rules: report.rules.length });
  const scorer = new Model(model);
  leads.forEach((lead, i) => {
    if (folds[i] !== fold) return;
    const r = scorer.score(lead.profile ?? null, lead.events ?? [], lead.now ?? input.now ?? null, { breakdown: false, maxEvents: 1_000_000 });
    points[i] = r.fit.score + r.engagement.score;
    probability[i] = r.probability;
  });
  scorer.free();
}
process.stdout.write(JSON.stringify({ points, probability, leaks: [...leaks], seconds, reports }));
