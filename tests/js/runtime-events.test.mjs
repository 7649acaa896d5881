// The page runtime hands each stored event to its LiveVisitor as
// `track(action, url, timestamp, tags, dwellSeconds)` (trackArgs in
// pkg-template/runtime/events.js): the same history must score as
// `Model.score` scores the event objects, as the Rust runtime did.
import test from "node:test";
import assert from "node:assert/strict";
import { Model } from "../../pkg/node.js";
import { isoMillis, looseNumber, trackArgs } from "../../pkg-template/runtime/events.js";

const NOW = Date.UTC(2026, 10, 25);
const DAY = 86_400_000;
const model = new Model({
  engagement: {
    rules: [
      { id: "view", event: "page", points: 2 },
      { id: "pricing", event: "page", url: "/pricing*", points: 5 },
      { id: "read", event: "page", minDwellSeconds: 60, points: 3 },
      { id: "download", event: "File Downloaded", points: 10 },
      { id: "tagged", event: "Outbound Link Clicked", tags: ["partner"], points: 4 },
      { id: "form", event: "form submitted", url: "/contact", points: 7 },
      { id: "identified", event: "identify", points: 1 },
    ],
  },
});

const events = [
  { type: "page", timestamp: NOW - 3 * DAY, properties: { path: "/pricing", url: "https://x.example/pricing", dwellSeconds: 75, tags: ["Pricing"] } },
  { type: "page", timestamp: NOW - 2 * DAY, properties: { path: "  ", url: "/pricing/team", dwellSeconds: 10 } },
  { type: "track", event: "File Downloaded", timestamp: NOW - DAY, properties: { url: "https://x.example/a.pdf", path: "/a.pdf", tags: [] } },
  { type: "track", event: " Outbound Link Clicked ", timestamp: NOW - DAY, properties: { url: "https://partner.example/", tags: ["Partner", "partner"] } },
  { type: "track", event: "Form Submitted", timestamp: NOW - DAY, properties: { formId: "f", path: "/contact", tags: [] } },
  { type: "identify", timestamp: NOW, traits: { email: "a@b.example" } },
  { type: "track", event: "Experiment Viewed", timestamp: NOW, properties: { experimentId: "cta", variationId: "1" } },
  { event: "File Downloaded", timestamp: NOW, context: { page: { path: "/b.pdf" } } },
  // Refused by both: bad tags, a time in seconds.
  { type: "track", event: "File Downloaded", timestamp: NOW, properties: { tags: "x".repeat(200) } },
  { type: "track", event: "File Downloaded", timestamp: NOW, properties: { tags: "short" } },
  { type: "page", timestamp: NOW / 1000, properties: { path: "/pricing" } },
  { type: "page", timestamp: NOW, properties: { path: 5 } },
  { type: "page", timestamp: NOW, properties: { path: "/p", dwellSeconds: true } },
  { type: "page", timestamp: NOW, properties: { path: "/p", dwellSeconds: "" } },
  { type: "page", timestamp: NOW, properties: { path: "/p", tags: ["a", 1] } },
  // Kept by both: a dwell time as text, a time as ISO 8601 text.
  { type: "page", timestamp: NOW - DAY, properties: { path: "/q", dwellSeconds: "1,200" } },
  { type: "page", timestamp: new Date(NOW - DAY).toISOString(), properties: { path: "/r", dwellSeconds: 61 } },
];

test("stored events score in a LiveVisitor as Model.score scores them", () => {
  const full = model.score(null, events, NOW, { source: "browser" });
  const visitor = model.visitor(undefined, "browser");
  for (const e of events) {
    const args = trackArgs(e);
    try {
      if (args) visitor.track(...args);
    } catch {}
  }
  const live = visitor.score(NOW, null);
  assert.equal(live.engagement, full.engagement.score);
  const counted = (rules) => Object.fromEntries(rules.filter((r) => r.events).map((r) => [r.rule, r.events]));
  assert.deepEqual(counted(live.rules), counted(full.engagement.rules));
  assert.deepEqual(live.interests.map((i) => i.tag), full.interests.map((i) => i.tag));
});

test("an event that is not one maps to nothing", () => {
  assert.equal(trackArgs({ timestamp: NOW }), null);
  assert.equal(trackArgs({ type: "track", event: "  ", timestamp: NOW }), null);
  assert.deepEqual(trackArgs({ type: "Page", timestamp: NOW, properties: { url: " /a " } }), ["page", "/a", NOW, null, null]);
});

// Random histories of event objects as pages, snippets and people write
// them (names in any case and padding, URLs in any of the four places or
// none, blank or not text, tags as lists or not, times as numbers, ISO
// text, seconds or nothing usable, dwell times as numbers or text): the
// runtime's mapping into a LiveVisitor scores each history as Model.score
// scores the objects. Tags never hold U+001F here: the runtime strips it
// (the page build's visitor joins tags with it), which Model.score does not.
import fc from "fast-check";

const text = fc.constantFrom("", "  ", "/pricing", " /pricing/team ", "/contact", "/a.pdf", "https://x.example/pricing", "/Pricing", "/q?x=1");
const eventName = fc.constantFrom("File Downloaded", " file downloaded ", "Outbound Link Clicked", "Form Submitted", "form submitted", "Experiment Viewed", "", "  ");
const tag = fc.constantFrom("partner", "Partner", "pricing", " oil-gas ", "", "ü");
const maybe = (arb) => fc.option(arb, { nil: undefined });
const place = fc.oneof(text, fc.constantFrom(5, null, true, {}));
const eventObject = fc.record(
  {
    type: fc.constantFrom("page", "Page", "track", "identify", "screen", "GROUP", "foo", 7, null, undefined),
    event: eventName,
    at: fc.integer({ min: 0, max: 60 }),
    time: fc.constantFrom("ms", "iso", "isoLocal", "isoOffset", "isoDate", "isoFraction", "seconds", "none", "text", "loose"),
    props: fc.constantFrom("object", "object", "object", "array", "text", "null"),
    path: maybe(place),
    url: maybe(place),
    contextPath: maybe(place),
    tags: maybe(fc.oneof(fc.array(tag, { maxLength: 4 }), fc.constantFrom("partner", 3, ["a", 1]))),
    dwell: maybe(fc.oneof(fc.integer({ min: 0, max: 400 }), fc.constantFrom("90", "1,200", "", "x", -1, true, 1.5, " 90 ", "$5k", "201-500", "1e2", "0x10", "Infinity", "-5", "+7", ".5", "5.", "90s", "1_000", "£2m", "2b", "NaN"))),
  },
  { requiredKeys: ["type", "event", "at", "time"] },
).map((g) => {
  const ms = NOW - g.at * 3_600_000;
  const iso = new Date(ms).toISOString();
  const timestamp = {
    ms,
    iso,
    isoLocal: iso.slice(0, 19),
    isoOffset: iso.slice(0, 19) + "+02:30",
    isoDate: iso.slice(0, 10),
    isoFraction: iso.slice(0, 19) + ".98765Z",
    seconds: ms / 1000,
    none: undefined,
    text: "yesterday",
    loose: iso.slice(0, 10) + " " + iso.slice(11, 16),
  }[g.time];
  const properties = {};
  if (g.path !== undefined) properties.path = g.path;
  if (g.url !== undefined) properties.url = g.url;
  if (g.tags !== undefined) properties.tags = g.tags;
  if (g.dwell !== undefined) properties.dwellSeconds = g.dwell;
  const e = { type: g.type, event: g.event, timestamp, properties: { object: properties, array: [properties], text: "p", null: null }[g.props] };
  if (g.contextPath !== undefined) e.context = { page: { path: g.contextPath } };
  return e;
});

test("any history scores in a LiveVisitor as Model.score scores its objects (property)", () => {
  fc.assert(
    fc.property(fc.array(eventObject, { maxLength: 25 }), (history) => {
      const full = model.score(null, history, NOW, { source: "browser" });
      const visitor = model.visitor(undefined, "browser");
      for (const e of history) {
        const args = trackArgs(e);
        try {
          if (args) visitor.track(...args);
        } catch {
          // Refused by the visitor as scoring refuses it.
        }
      }
      const live = visitor.score(NOW, null);
      visitor.free();
      const close = Math.abs(live.engagement - full.engagement.score) <= 1e-9 * Math.max(1, Math.abs(full.engagement.score));
      assert.ok(close, `engagement ${live.engagement} against ${full.engagement.score}`);
      const counted = (rules) => Object.fromEntries(rules.filter((r) => r.events).map((r) => [r.rule, r.events]));
      assert.deepEqual(counted(live.rules), counted(full.engagement.rules));
      assert.deepEqual(live.interests.map((i) => i.tag), full.interests.map((i) => i.tag));
    }),
    { numRuns: 300, seed: 20261203 },
  );
});
