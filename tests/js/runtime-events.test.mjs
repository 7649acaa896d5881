// The page runtime hands each stored event to its LiveVisitor as
// `track(action, url, timestamp, tags, dwellSeconds)` (trackArgs in
// pkg-template/runtime/runtime.js): the same history must score as
// `Model.score` scores the event objects, as the Rust runtime did.
import test from "node:test";
import assert from "node:assert/strict";
import { Model } from "../../pkg/node.js";
import { trackArgs } from "../../pkg-template/runtime/runtime.js";

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
