// The `nurture` envelope's message text (src/destinations/nurture.js
// messageText) is JSON.stringify's, byte for byte, with the score and
// segments shared by an update's messages written once. Plain Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { messageText } from "../src/destinations/nurture.js";

const score = { fit: 40, fitGrade: "B", engagement: 12.5, grade: "B2", tier: "warm", stage: "engaged", mql: false, interests: [{ tag: "oil-gas", share: 0.5 }], breakdown: { fit: [{ rule: "industry", points: 20 }], engagement: [] }, model: "demo" };
const segments = ["energy", "returning"];

test("the same text as JSON.stringify, shared parts or not", () => {
  const messages = [
    { kind: "event", id: "evt_1", visitorId: "v", receivedAt: 1, event: { type: "page", properties: { path: "/é\u2028\ud800" } }, score, segments, primarySegment: "energy" },
    { kind: "event", id: "evt_2", visitorId: "v", receivedAt: 1, event: { type: "track", event: "X" }, score, segments, primarySegment: null },
    { kind: "signal", id: "sig_v_1_stage-changed", visitorId: "v", receivedAt: 2, event: { type: "track" }, profile: { email: "sha256:00" }, score: null },
    { kind: "event", id: "evt_3", visitorId: "v", receivedAt: 3, event: {}, score, skipped: undefined, f: () => 1, segments: [] },
    JSON.parse('{"kind":"event","__proto__":{"a":1},"id":"x","score":{"fit":1}}'),
  ];
  for (let round = 0; round < 2; round++) {
    for (const m of messages) assert.equal(messageText(m), JSON.stringify(m));
  }
});
