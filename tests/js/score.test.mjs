// The scoring API as JavaScript sees it, against the built package in pkg/.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import nurture from "./load.mjs";

const NOW = Date.UTC(2026, 10, 25, 18, 42);
const DAY = 86_400_000;

// The hot lead of the shared scoring vectors (tests/data/vectors/scoring.json,
// where its whole result is written down and checked by hand): the README's
// PetroChina VP with an offline event, a case study, pricing and a demo
// request; one timestamp is ISO 8601 text.
const vectors = JSON.parse(readFileSync(new URL("../data/vectors/scoring.json", import.meta.url), "utf8"));
const hot = vectors.cases.find((c) => c.name === "scenario: the hot lead with a case study read a month ago");
const { profile: hotLead, events: hotEvents } = hot;
assert.equal(hot.now, NOW);

test("score() with the default model grades the hot lead A1 and explains every point", () => {
  const r = nurture.score(null, hotLead, hotEvents, NOW);
  // The figures themselves are compared in scoring-vectors.test.mjs.
  assert.equal(r.grade, "A1");
  assert.equal(r.mql.qualified, true);
  // Every point is explained: the breakdowns add up to the scores.
  const fitPoints = r.fit.breakdown.reduce((sum, p) => sum + p.points, 0);
  assert.equal(fitPoints, r.fit.score);
  const engagementPoints = r.engagement.breakdown.reduce((sum, p) => sum + p.points, 0);
  assert.ok(Math.abs(engagementPoints - r.engagement.score) < 0.01);
  const rulePoints = r.engagement.rules.reduce((sum, t) => sum + t.points, 0);
  assert.ok(Math.abs(rulePoints - r.engagement.score) < 0.01);
  for (const p of r.engagement.breakdown) {
    assert.ok(Math.abs(p.touchpointWeight * p.actionPoints - p.basePoints) < 1e-4, p.rule);
    assert.ok(Math.abs(p.basePoints * p.decay - p.points) < 1e-3, p.rule);
    assert.ok(Math.abs(p.basePoints - p.points - p.decayLost) < 1e-3, p.rule);
  }
});

test("now defaults to the current time and accepts a Date", () => {
  const recent = [{ type: "track", event: "Demo Requested", timestamp: Date.now() - 1000 }];
  assert.equal(nurture.score(null, {}, recent).engagement.score, 40);
  assert.equal(nurture.score(null, {}, hotEvents, new Date(NOW)).engagement.score, hot.expected.engagement.score);
});

test("Model compiles once, keeps its warnings, and scores many visitors", () => {
  const doc = nurture.defaultModel();
  doc.engagement.touchpoints.push({ id: "typo", url: "pricing", weight: 2 });
  const model = new nurture.Model(doc);
  assert.deepEqual(model.warnings.map((w) => w.path), ["engagement.touchpoints[9].url"]);
  for (let i = 0; i < 100; i++) {
    assert.equal(model.score(hotLead, hotEvents, NOW, { breakdown: false }).grade, "A1");
  }
});

test("a malformed model throws an Error with a code and the path of the bad field", () => {
  const doc = nurture.defaultModel();
  doc.engagement.rules[3].points = "ten";
  assert.throws(() => new nurture.Model(doc), (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.code, "invalid_config");
    assert.equal(err.path, "engagement.rules[3].points");
    assert.equal(err.message, 'engagement.rules[3].points: invalid type: string "ten", expected a number');
    return true;
  });
  const report = nurture.checkModel({ fit: { grades: { A: 1, B: 2, C: 3 } }, mql: { grades: ["Z9"] } });
  assert.deepEqual(report.errors.map((e) => e.path), ["fit.grades", "mql.grades[0]"]);
});

test("wrong-shaped arguments throw typed errors and the instance keeps working", () => {
  const bad = [
    [null, [1, 2], [], NOW, "profile"],
    [null, {}, { length: 3 }, NOW, "events"],
    [null, {}, "events", NOW, "events"],
    [null, {}, [], "yesterday", "now"],
    [null, {}, [], NaN, "now"],
    [null, {}, [], Infinity, "now"],
    [{ fit: 3 }, {}, [], NOW, "fit"],
    [null, {}, [], NOW, "options", "fast"],
  ];
  for (const [model, profile, events, now, path, options] of bad) {
    assert.throws(() => nurture.score(model, profile, events, now, options), (err) => {
      assert.ok(err instanceof Error, String(err));
      assert.ok(["invalid_argument", "invalid_config"].includes(err.code), err.code);
      assert.equal(err.path, path);
      return true;
    });
  }
  // Lone surrogates, control characters and markup are data, not errors.
  const odd = nurture.score(null, { title: "\ud800VP\u0000<script>alert(1)</script>\u202e", company: "\udfff" },
    [{ type: "page", timestamp: NOW, properties: { path: "/pricing\ud800", tags: ["\ud83d", "😀"] } }], NOW);
  assert.equal(odd.fit.breakdown[0].rule, "decision-maker");
  assert.equal(odd.eventsScored, 1);
  // More events than a call takes is refused whole, with the limit; raised
  // on purpose, every bad event gets its reason.
  const huge = Array.from({ length: 200_000 }, () => ({ type: "page" }));
  assert.throws(() => nurture.score(null, {}, huge, NOW, { breakdown: false }),
    { code: "invalid_argument", path: "events", message: "events: 200000 events in one call; the limit is 10000 (options.maxEvents raises it)" });
  const r = nurture.score(null, {}, huge, NOW, { breakdown: false, maxEvents: 200_000 });
  assert.equal(r.rejected.length, 200_000);
  assert.equal(nurture.score(null, hotLead, hotEvents, NOW).grade, "A1");
});

test("bad events in a batch are rejected with reasons, the good ones count", () => {
  const r = nurture.score(null, {}, [
    { type: "track", event: "Download", timestamp: NOW },
    { type: "track", timestamp: NOW },
    "page",
    { type: "page", timestamp: NOW + 3_600_000 },
  ], NOW);
  assert.equal(r.eventsScored, 1);
  assert.deepEqual(r.rejected.map((x) => [x.index, x.reason]), [
    [1, "event: a track event needs an event name"],
    [2, "expected an event object, found a string"],
    [3, "timestamp: 3600 seconds in the future"],
  ]);
});

test("Model.scoreJson takes the events as JSON text and gives what score gives", () => {
  const model = new nurture.Model(null);
  const many = [];
  for (let i = 0; i < 250; i++) {
    many.push(i % 5 === 0
      ? { type: "track", event: "Whitepaper Downloaded", messageId: `m${i}`, timestamp: NOW - (i % 40) * DAY }
      : { type: "page", messageId: `m${i}`, timestamp: NOW - (i % 60) * DAY, properties: { path: ["/pricing", "/case-studies/refinery", "/blog/x"][i % 3], dwellSeconds: 30 + (i % 7) * 10 } });
  }
  for (const events of [hotEvents, many, []]) {
    for (const options of [{ breakdown: false }, undefined]) {
      assert.deepEqual(model.scoreJson(hotLead, JSON.stringify(events), NOW, options), model.score(hotLead, events, NOW, options));
    }
  }
  // rejected events come back with the same reasons and indexes
  const mixed = [hotEvents[0], { type: "click", timestamp: NOW }, { type: "page" }];
  const viaJson = model.scoreJson(null, JSON.stringify(mixed), NOW);
  assert.deepEqual(viaJson.rejected, model.score(null, mixed, NOW).rejected);
  assert.equal(viaJson.rejected.length, 2);
  // not text, not a JSON array, or not JSON at all: invalid_argument on events
  for (const bad of [mixed, "{\"type\":\"page\"}", "[{", 42]) {
    assert.throws(() => model.scoreJson(null, bad, NOW), (err) => err.code === "invalid_argument" && err.path === "events", String(bad));
  }
  // JSON.stringify writes a lone surrogate as "\ud800", which serde_json
  // refuses: callers fall back to score() (the edge worker does)
  assert.throws(() => model.scoreJson(null, JSON.stringify([{ type: "page", timestamp: NOW, properties: { path: "/a\ud800" } }]), NOW),
    (err) => err.code === "invalid_argument" && err.path === "events");
  // text nested deeper than serde_json's limit is refused, not a trap
  const deep = `[${"[".repeat(5000)}${"]".repeat(5000)}]`;
  assert.throws(() => model.scoreJson(null, deep, NOW), (err) => err.code === "invalid_argument");
  assert.equal(model.score(hotLead, hotEvents, NOW).grade, "A1", "the instance still works");
});

test("options.source: a browser cannot report what only the back office knows", () => {
  const events = [
    { type: "track", event: "Demo Requested", messageId: "d1", timestamp: NOW, channel: "browser" },
    { type: "track", event: "Webinar Attended", timestamp: NOW },
    { type: "track", event: "Download", timestamp: NOW, channel: "server" },
  ];
  const server = nurture.score(null, {}, events, NOW);
  assert.equal(server.engagement.score, 40); // webinar 30 + download 10; the browser's demo 0
  assert.deepEqual(server.unscored, [{
    index: 0, id: "d1", rule: "sales-request",
    reason: '"Demo Requested" counts only when a back-office source reports it (rule sales-request); reported by a browser, it scores 0',
  }]);
  const demo = server.engagement.breakdown.find((p) => p.rule === "sales-request");
  assert.deepEqual([demo.untrusted, demo.capped, demo.points], [true, false, 0]);
  const model = new nurture.Model(null);
  for (const options of [{ source: "browser" }, { source: "browser", breakdown: false }]) {
    const page = model.score(null, events, NOW, options);
    assert.equal(page.engagement.score, 10);
    assert.deepEqual(page.unscored.map((u) => [u.index, u.rule]), [[0, "sales-request"], [1, "live-stream"]]);
    assert.deepEqual(model.scoreJson(null, JSON.stringify(events), NOW, options), page);
  }
  assert.equal(model.score(null, events, NOW, { source: null }).engagement.score, 40);
  for (const source of ["edge", "Browser", 1, {}]) {
    assert.throws(() => nurture.score(null, {}, events, NOW, { source }),
      (err) => err.code === "invalid_argument" && err.path === "options.source", String(source));
  }
  const bad = nurture.score(null, {}, [{ type: "page", timestamp: NOW, channel: 7 }], NOW);
  assert.deepEqual(bad.rejected, [{ index: 0, reason: "channel: expected a string, found a number" }]);
});

test("Model.browserTraits carries fit.browserTraits", () => {
  assert.deepEqual(new nurture.Model(null).browserTraits, []);
  const doc = nurture.defaultModel();
  doc.fit.browserTraits = ["utmSource", "language"];
  assert.deepEqual(new nurture.Model(doc).browserTraits, ["utmSource", "language"]);
});
