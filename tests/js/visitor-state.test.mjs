// The incremental visitor state through the package (Node build): batches
// ingested one by one give what score() gives for the whole history.
import test from "node:test";
import assert from "node:assert/strict";
import nurture from "./load.mjs";

const NOW = Date.UTC(2026, 10, 25, 18, 42);
const DAY = 86_400_000;
const hasState = typeof nurture.Model.prototype.ingest === "function";

/** A visitor over 60 days: page views, pricing, downloads, a webinar. */
function history() {
  const events = [];
  for (let i = 0; i < 300; i++) {
    const timestamp = NOW - 60 * DAY + i * (60 * DAY / 300);
    const e = i % 25 === 0
      ? { type: "track", event: i % 50 === 0 ? "Download" : "Webinar Attended", channel: i % 50 === 0 ? "browser" : "server" }
      : { type: "page", properties: { path: ["/", "/pricing", "/case-studies/oil-gas"][i % 3], dwellSeconds: (i * 7) % 100 } };
    events.push({ ...e, timestamp, messageId: `m${i}` });
  }
  return events;
}

test("batches ingested one by one score like the whole history", { skip: !hasState && "page build" }, () => {
  const model = new nurture.Model();
  const events = history();
  let state = null;
  for (let i = 0; i < events.length; i += 20) {
    const batch = events.slice(i, i + 20);
    const now = batch[batch.length - 1].timestamp;
    const out = model.ingest(state, JSON.stringify(batch), now);
    assert.equal(out.accepted.length, batch.length);
    assert.ok(out.state instanceof Uint8Array);
    state = out.state;
  }
  const inc = model.scoreState(state, null, NOW, { breakdown: false });
  const full = model.score(null, events, NOW, { breakdown: false });
  const drop = (r) => ({ ...r, unscored: undefined, summary: undefined });
  assert.deepEqual(drop(inc), drop(full));
  // The summary decisions read: every interest with its real share.
  assert.deepEqual(inc.summary.interests, full.interests.map(({ tag, share }) => ({ tag, share })));
  assert.equal(inc.summary.tier, full.tier);
  assert.equal(inc.summary.grade, full.grade);
  assert.ok(state.length < 16 * 1024, `${state.length} B`);
});

test("validateEvents gives scoring's reasons without scoring", { skip: !hasState && "page build" }, () => {
  const model = new nurture.Model();
  const batch = [
    { type: "page", timestamp: NOW, properties: { path: "/" } },
    { type: "track", timestamp: NOW },
    { type: "page", timestamp: NOW + 30 * DAY },
  ];
  const out = model.validateEvents(JSON.stringify(batch), NOW);
  assert.deepEqual(out.accepted, [0]);
  assert.deepEqual(out.rejected.map((r) => r.index), [1, 2]);
  assert.ok(out.rejected.every((r) => typeof r.reason === "string" && r.reason.length > 0));
});

test("a state of another model is refused with a clear error", { skip: !hasState && "page build" }, () => {
  const model = new nurture.Model();
  const { state } = model.ingest(null, JSON.stringify(history().slice(0, 5)), NOW);
  const other = new nurture.Model({ engagement: { rules: [{ id: "x", event: "page", points: 1 }] } });
  assert.throws(() => other.scoreState(state, null, NOW), (err) => {
    assert.equal(err.code, "invalid_argument");
    assert.equal(err.path, "state");
    assert.match(err.message, /another model/);
    return true;
  });
  assert.throws(() => model.scoreState(new Uint8Array([1, 2, 3]), null, NOW), /not a visitor state/);
});
