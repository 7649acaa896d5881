// A model learned by `calibrate` (aggregate rules, a calibration section)
// deployed as the worker's MODEL_JSON: visitors scored batch by batch in the
// Durable Object's incremental state get what the package gives for a full
// re-score of the same events.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startWorker, backOffice, ok } from "./harness.mjs";
import { pkgDir } from "../../tests/js/load.mjs";
import { labelledLeads } from "../../tests/js/leads.mjs";

const { calibrate, Model } = await import(path.join(pkgDir, "calibrate", "node.js"));

const now = Date.now();
const { model } = calibrate(labelledLeads(400, now), { folds: 3, halfLifeDays: [14], l2: [4] });

let mf;
before(async () => {
  mf = await startWorker({ vars: { MODEL_JSON: JSON.stringify(model), VISITOR_RATE_BURST: "100000", IP_RATE_BURST: "100000", ADMIN_RATE_BURST: "100000" } });
});
after(async () => {
  await mf?.dispose();
});

test("the learned model has aggregate rules and a calibration", () => {
  assert.ok(model.engagement.aggregates.length > 0, JSON.stringify(model.engagement));
  assert.ok(model.calibration.slope > 0);
});

test("the worker scores a calibrated model's visitors as a full re-score does", async () => {
  const scorer = new Model(model);
  let binned = 0;
  for (const [n, lead] of labelledLeads(6, now).entries()) {
    // Sent as they would arrive: in time order, in three batches.
    const events = lead.events
      .map((e, i) => ({ ...e, channel: "server", messageId: `m-${n}-${i}` }))
      .sort((a, b) => a.timestamp - b.timestamp);
    const third = Math.ceil(events.length / 3);
    let body;
    for (let i = 0; i < events.length; i += third) body = await ok(await backOffice(mf, `calibrated-visitor-${String(n).padStart(3, "0")}`, events.slice(i, i + third)));
    const full = scorer.score({}, events, Date.now(), { breakdown: false });
    assert.ok(Math.abs(body.score.engagement - full.engagement.score) <= 0.05, `${body.score.engagement} vs ${full.engagement.score}`);
    assert.equal(body.score.grade, full.grade);
    if ((full.engagement.aggregates ?? []).some((a) => a.points !== 0)) binned += 1;
  }
  // Aggregate bins carried points, so the state's totals were tested.
  assert.ok(binned > 0);
});
