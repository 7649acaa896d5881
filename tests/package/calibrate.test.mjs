// `nurture/calibrate` from the packed tarball: the `nurture calibrate`
// command and the JS API on a small population with planted effects, the
// learned model accepted by the main entry's Model and checkModel, and bad
// input answered with an error naming the lead (never a trap).
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { freshProject, run } from "./helpers.mjs";
import { labelledLeads } from "../js/leads.mjs";

const NOW = Date.UTC(2026, 10, 1);

const population = () => labelledLeads(600, NOW);

let dir;
let api;
let main;
test.before(async () => {
  dir = freshProject("calibrate");
  writeFileSync(path.join(dir, "leads.jsonl"), population().map((l) => JSON.stringify(l)).join("\n"));
  api = await import(path.join(dir, "node_modules", "nurture", "calibrate", "node.js"));
  main = await import(path.join(dir, "node_modules", "nurture", "node.js"));
});

test("npx nurture calibrate writes a model the main entry scores with a probability", () => {
  const r = run("npx", ["--no-install", "nurture", "calibrate", "leads.jsonl", "--report", "report.json", "--folds", "3"], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /calibrated 600 leads \(\d+ converted\): 3-fold AUC 0\.\d{3}/);
  const model = JSON.parse(r.stdout);
  const report = JSON.parse(readFileSync(path.join(dir, "report.json"), "utf8"));
  assert.ok(report.crossValidated.auc > 0.7, JSON.stringify(report.crossValidated));
  assert.deepEqual(main.checkModel(model).errors, []);
  const energy = report.rules.find((rule) => rule.id === "industry=energy");
  const education = report.rules.find((rule) => rule.id === "industry=education");
  assert.ok(energy.points > education.points, JSON.stringify(report.rules));
  const lead = population()[0];
  const scored = new main.Model(model).score(lead.profile, lead.events, NOW);
  const { intercept, slope } = model.calibration;
  const p = 1 / (1 + Math.exp(-(intercept + slope * (scored.fit.score + scored.engagement.score))));
  assert.ok(Math.abs(scored.probability - p) < 1e-4);
  assert.equal(report.roc.at(-1).truePositiveRate, 1);
  assert.equal(report.gains.length, 10);
});

test("npx nurture calibrate names the bad lead and exits 1", () => {
  writeFileSync(path.join(dir, "bad.jsonl"), `${JSON.stringify(population()[0])}\n{"profile": {}, "events": []}\n`);
  const r = run("npx", ["--no-install", "nurture", "calibrate", "bad.jsonl"], { cwd: dir });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /leads\[1\]\.converted: missing/);
  assert.equal(r.stdout, "");
});

test("calibrate() takes an array or text and throws invalid_argument with the lead's path", () => {
  const leads = population();
  const { model, report } = api.calibrate(leads.slice(0, 300), { folds: 3, halfLifeDays: [14], l2: [4] });
  assert.equal(report.leads, 300);
  assert.ok(model.calibration.slope > 0);
  const bad = (input, pathWanted) => {
    assert.throws(() => api.calibrate(input, { folds: 2 }), (err) => {
      assert.equal(err.code, "invalid_argument");
      assert.equal(err.path, pathWanted, err.message);
      return true;
    });
  };
  bad([leads[0], { profile: {}, events: [] }], "leads[1].converted");
  bad([leads[0], { converted: "yes" }], "leads[1].converted");
  bad(leads.filter((l) => l.converted), "leads");
  bad([], "leads");
  bad("", "leads");
  bad(42, "leads");
  bad([{ converted: true, events: new Array(1_000_000).fill({}) }, { converted: false }], "leads[0].events");
  assert.throws(() => api.calibrate(leads, { folds: 1 }), (err) => err.path === "options.folds");
  // Still alive after every refusal.
  assert.equal(api.calibrate(leads.slice(0, 200), { folds: 2, halfLifeDays: 30, l2: 4 }).report.leads, 200);
});
