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

// The score as the worker stored and forwarded it before the core built it
// (worker/src/enrich.js's `summarize` over `scoreState`): the reference
// `forwardedScore` is held to.
function summarize(result) {
  const top = (items) =>
    items
      .filter((r) => r.points !== 0)
      .sort((a, b) => Math.abs(b.points) - Math.abs(a.points))
      .slice(0, 5)
      .map((r) => ({ rule: r.rule, points: Math.round(r.points * 100) / 100 }));
  return {
    fit: result.fit.score,
    fitGrade: result.fit.grade,
    engagement: result.engagement.score,
    grade: result.grade,
    tier: result.tier,
    stage: result.stage,
    mql: result.mql.qualified,
    interests: result.summary.interests ?? [],
    breakdown: { fit: top(result.fit.breakdown), engagement: top(result.engagement.rules) },
    model: result.model,
  };
}

/**
 * `summary` without its keys whose value is undefined (`model` of a model
 * without a version), which the core leaves out; deepStrictEqual compares
 * every number with Object.is, so a −0 from Math.round must stay −0.
 */
const defined = (summary) => Object.fromEntries(Object.entries(summary).filter(([, v]) => v !== undefined));

test("a state held in the core ingests and scores as its bytes do", { skip: !hasState && "page build" }, () => {
  // A rule with negative points and one that decays, so the ranking by
  // absolute points and the rounding (halves, −0) are both exercised.
  const model = new nurture.Model();
  const profiles = [
    null,
    { title: "VP Operations", industry: "Oil & Gas", companySize: 800, country: "US", email: "a@gmail.com" },
    { title: "Head of IT", companySize: 40, budget: "yes", authority: "yes", timeline: "now" },
  ];
  const events = history();
  let bytes = null;
  const held = model.openState(null);
  try {
    for (let i = 0; i < events.length; i += 20) {
      const batch = events.slice(i, i + 20);
      const now = batch[batch.length - 1].timestamp;
      const text = JSON.stringify(batch);
      const stored = model.ingest(bytes, text, now);
      const inPlace = model.ingestInto(held, text, now);
      assert.deepEqual(inPlace.state, stored.state);
      assert.deepEqual({ ...inPlace, state: undefined }, { ...stored, state: undefined });
      bytes = stored.state;
      const profile = profiles[(i / 20) % profiles.length];
      const later = now + (i % 3) * 7 * DAY;
      const want = summarize(model.scoreState(bytes, profile, later, { breakdown: false }));
      const got = model.forwardedScore(held, profile, later);
      assert.deepStrictEqual(got.summary, defined(want));
      assert.equal(got.mqlReason, model.scoreState(bytes, profile, later).mql.reason);
    }
    assert.equal(held.eventsTotal, events.length);
    assert.deepEqual(held.toBytes(), bytes);

    // A batch with no event taken leaves the state as it was; text that is
    // not JSON changes nothing either.
    const none = model.ingestInto(held, JSON.stringify([{ type: "track", timestamp: NOW }]), NOW);
    assert.equal(none.state, undefined);
    assert.deepEqual(none.accepted, []);
    assert.throws(() => model.ingestInto(held, "[{", NOW), (err) => err.path === "events");
    assert.deepEqual(held.toBytes(), bytes);

    const other = new nurture.Model({ engagement: { rules: [{ id: "x", event: "page", points: 1 }] } });
    assert.throws(() => other.openState(bytes), (err) => err.path === "state" && /another model/.test(err.message));
  } finally {
    held.free();
  }
});

test("forwardedScore rounds and ranks as JS did", { skip: !hasState && "page build" }, () => {
  // Points ending in a half cent, negative ones among them, and ties in
  // absolute points (the first listed goes first).
  const rules = [
    { id: "neg-half", event: "a", points: -2.125 },
    { id: "pos-half", event: "b", points: 2.125 },
    { id: "tiny-neg", event: "c", points: -0.004 },
    { id: "big", event: "d", points: 40.005 },
    { id: "zero", event: "e", points: 0 },
    { id: "third", event: "f", points: 1.015 },
  ];
  const model = new nurture.Model({ engagement: { rules } });
  const events = ["a", "b", "c", "d", "e", "f"].map((event, i) => ({ type: "track", event, timestamp: NOW, messageId: `r${i}` }));
  const held = model.openState(null);
  try {
    const { state } = model.ingestInto(held, JSON.stringify(events), NOW);
    const want = summarize(model.scoreState(/** @type {Uint8Array} */ (state), null, NOW));
    const got = model.forwardedScore(held, null, NOW).summary;
    assert.deepStrictEqual(got, defined(want));
    assert.deepStrictEqual(got.breakdown.engagement, [
      { rule: "big", points: 40.01 },
      { rule: "neg-half", points: -2.12 },
      { rule: "pos-half", points: 2.13 },
      { rule: "third", points: 1.01 },
      { rule: "tiny-neg", points: -0 },
    ]);
  } finally {
    held.free();
  }
});
