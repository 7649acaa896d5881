// Times and limits as a Node user meets them, against the built package in
// pkg/: a timestamp in seconds is refused with the reason, a Date is taken
// wherever a time is, numbers written as text are read like the fit rules
// read them, and a call with more events than it takes fails fast, naming
// the limit.
import test from "node:test";
import assert from "node:assert/strict";
import nurture from "./load.mjs";

const NOW = Date.UTC(2026, 10, 25, 18, 42);
const SECONDS = "looks like seconds since 1970; nurture expects milliseconds (Date.now()), an ISO 8601 string or a Date";
const hasState = typeof nurture.Model.prototype.ingest === "function";

test("a timestamp in seconds is refused with a reason that says so, in every reader", () => {
  const inSeconds = Math.floor(NOW / 1000);
  const events = [
    { type: "page", timestamp: inSeconds, messageId: "s" },
    { type: "page", timestamp: NOW, messageId: "ms" },
    // A Date made from seconds is January 1970: refused the same way.
    { type: "page", timestamp: new Date(inSeconds), messageId: "d" },
  ];
  const expected = [
    [0, `timestamp: ${inSeconds} ${SECONDS}`],
    [2, `timestamp: ${inSeconds} ${SECONDS}`],
  ];
  const r = nurture.score(null, {}, events, NOW);
  assert.deepEqual(r.rejected.map((x) => [x.index, x.reason]), expected);
  assert.equal(r.eventsScored, 1);
  const model = new nurture.Model();
  assert.deepEqual(model.score({}, events, NOW).rejected.map((x) => [x.index, x.reason]), expected);
  // Through JSON text a Date is its ISO string; the numbers stay numbers.
  const json = JSON.stringify(events.slice(0, 2));
  assert.deepEqual(model.scoreJson({}, json, NOW).rejected.map((x) => [x.index, x.reason]), expected.slice(0, 1));
  if (hasState) {
    assert.deepEqual(model.validateEvents(json, NOW).rejected.map((x) => x.reason), [expected[0][1]]);
    const ingested = model.ingest(null, json, NOW);
    assert.deepEqual([ingested.accepted, ingested.rejected.map((x) => x.reason)], [[1], [expected[0][1]]]);
  }
});

test("a Date is taken wherever a time is: event timestamps and now", () => {
  const now = new Date(NOW);
  const events = [
    { type: "page", timestamp: new Date(NOW - 60_000), properties: { path: "/pricing" } },
    { type: "track", event: "Download", timestamp: new Date(NOW - 30_000) },
  ];
  const withDates = nurture.score(null, {}, events, now);
  const withMillis = nurture.score(null, {}, events.map((e) => ({ ...e, timestamp: e.timestamp.getTime() })), NOW);
  assert.deepEqual(withDates.rejected, []);
  assert.equal(withDates.eventsScored, 2);
  assert.deepEqual(withDates, withMillis);
  const model = new nurture.Model();
  assert.deepEqual(model.score({}, events, now), withMillis);
  // JSON text carries a Date as ISO 8601, which the core reads.
  assert.deepEqual(model.scoreJson({}, JSON.stringify(events), now).engagement, withMillis.engagement);
  if (hasState) {
    const { state } = model.ingest(null, JSON.stringify(events), now);
    assert.equal(model.scoreState(state, {}, now).engagement.score, withMillis.engagement.score);
  }
  // An invalid Date is refused, never read as "now" or as 1970.
  const bad = nurture.score(null, {}, [{ type: "page", timestamp: new Date("soon") }], now);
  assert.deepEqual(bad.rejected.map((x) => x.reason), ["timestamp: expected an ISO 8601 date-time such as 2026-11-25T09:30:00Z"]);
});

test("a Date as a form's now and renderedAt", () => {
  const form = { minFillSeconds: 3, fields: [{ name: "email", type: "email", required: true }] };
  const submission = { email: "anna@shopwise.example" };
  const millis = nurture.validateForm(form, submission, { now: NOW, renderedAt: NOW - 10_000 });
  const dates = nurture.validateForm(form, submission, { now: new Date(NOW), renderedAt: new Date(NOW - 10_000) });
  assert.deepEqual(dates, millis);
  // Rendered a moment ago: the form's too-fast check sees the Dates' gap.
  const fast = nurture.validateForm(form, submission, { now: new Date(NOW), renderedAt: new Date(NOW - 100) });
  assert.notDeepEqual(fast, millis);
});

test("dwellSeconds written as text is read like the fit rules read numbers", () => {
  const page = (dwellSeconds) => ({ type: "page", timestamp: NOW, properties: { path: "/pricing", dwellSeconds } });
  const r = nurture.score(null, {}, [page("90"), page(" 1,200 "), page(90), page("90 s"), page(-1)], NOW);
  const reads = r.engagement.rules.find((x) => x.rule === "engaged-read");
  assert.equal(reads.events, 3, "\"90\", \" 1,200 \" and 90 are reads of a minute or more");
  assert.deepEqual(r.rejected.map((x) => [x.index, x.reason]), [
    [3, "properties.dwellSeconds: expected a number ≥ 0, found the string \"90 s\""],
    [4, "properties.dwellSeconds: expected a number ≥ 0"],
  ]);
});

test("more events than a call takes fails fast, naming the limit", () => {
  const event = { type: "page", timestamp: NOW, properties: { path: "/" } };
  const many = (n) => Array.from({ length: n }, (_, i) => ({ ...event, messageId: `m${i}` }));
  // The limit itself is taken.
  assert.equal(nurture.score(null, {}, many(10_000), NOW, { breakdown: false }).rejected.length, 0);
  const limit = "events: 10001 events in one call; the limit is 10000 (options.maxEvents raises it)";
  assert.throws(() => nurture.score(null, {}, many(10_001), NOW), { code: "invalid_argument", path: "events", message: limit });
  assert.throws(() => nurture.score(null, {}, many(10), NOW, { maxEvents: 9 }),
    { message: "events: 10 events in one call; the limit is 9 (options.maxEvents raises it)" });
  assert.throws(() => nurture.score(null, {}, [], NOW, { maxEvents: 0 }),
    { path: "options.maxEvents", message: "options.maxEvents: expected a whole number of events ≥ 1" });
  // A million events: refused before any is read, in well under a second
  // (reading them all took 33 s and 1.2 GB).
  const million = new Array(1_000_000).fill(event);
  let t = performance.now();
  assert.throws(() => nurture.score(null, {}, million, NOW), { message: "events: 1000000 events in one call; the limit is 10000 (options.maxEvents raises it)" });
  assert.ok(performance.now() - t < 500, `took ${performance.now() - t} ms`);
  // As JSON text, reading stops at the event past the limit.
  const model = new nurture.Model();
  const text = JSON.stringify(million);
  t = performance.now();
  assert.throws(() => model.scoreJson({}, text, NOW), { message: "events: more than 10000 events in one call; the limit is 10000 (options.maxEvents raises it)" });
  assert.ok(performance.now() - t < 2_000, `took ${performance.now() - t} ms`);
  assert.equal(model.scoreJson({}, JSON.stringify(many(20)), NOW, { maxEvents: 20 }).rejected.length, 0);
  if (hasState) {
    const batch = "events: more than 10000 events in one call; the limit is 10000 (send them in batches)";
    assert.throws(() => model.ingest(null, text, NOW), { message: batch });
    assert.throws(() => model.validateEvents(text, NOW), { message: batch });
  }
  // Malformed text keeps its own errors.
  assert.throws(() => model.scoreJson({}, "[1,", NOW), { path: "events" });
  assert.throws(() => model.scoreJson({}, "{}", NOW), { message: "events: expected a JSON array of events" });
});
