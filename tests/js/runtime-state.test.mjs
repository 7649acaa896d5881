// The page runtime's stored state (pkg-template/runtime/state.js), the
// cases of src/page/state.rs and tests/wasm_dom.rs that need no page:
// the layout and key stay those of the Rust runtime (`v: 1`).
import test from "node:test";
import assert from "node:assert/strict";
import { newState, parseState, pushEvent, stateText, MAX_BYTES, MAX_EVENTS } from "../../pkg-template/runtime/state.js";
import { MAX_OUTBOX } from "../../pkg-template/runtime/delivery.js";

const ID = "0123456789abcdef0123456789abcdef";
const TOKEN = "v1.k2.AAAAAAAAAAAAAAAAAAAAAA.1700000000.sig_-";

test("what is not a state of ours is refused with its reason", () => {
  assert.equal(parseState("not json"), "corrupt");
  assert.equal(parseState("[1,2]"), "foreign");
  assert.equal(parseState('"text"'), "foreign");
  assert.equal(parseState('{"theme":"dark"}'), "foreign");
  assert.equal(parseState('{"v":-1}'), "foreign");
  assert.equal(parseState(JSON.stringify({ ...newState(ID), v: 2 })), "version");
  for (const bad of [
    { ...newState(ID), id: "short" },
    { ...newState(ID), id: "g".repeat(32) },
    { ...newState(ID), events: [1] },
    { ...newState(ID), outbox: ["x"] },
    { ...newState(ID), events: null },
    { ...newState(ID), extra: 1 },
    { ...newState(ID), seq: -1 },
    { v: 1, id: ID },
  ]) assert.equal(parseState(JSON.stringify(bad)), "corrupt", JSON.stringify(bad));
});

test("a state as the Rust runtime stored it reads as it is", () => {
  const rust = `{"v":1,"id":"${ID}","seq":3,"profile":{"email":"a@b.example"},"events":[{"type":"page","messageId":"${ID}-0"}],"outbox":[],"consent":true,"token":"${TOKEN}","exposed":["cta"]}`;
  const s = parseState(rust);
  assert.deepEqual(s, JSON.parse(rust));
  assert.equal(stateText(s), rust);
  // Stored before the optional fields existed.
  const old = `{"v":1,"id":"${ID}","seq":0}`;
  assert.deepEqual(parseState(old), newState(ID));
});

test("a token that could not be a header value is forgotten alone", () => {
  const s = newState(ID);
  pushEvent(s, { type: "page", messageId: "m1" }, true);
  const text = JSON.stringify({ ...s, token: "v1.k2\r\nset-cookie: x" });
  const parsed = parseState(text);
  assert.equal(typeof parsed, "object");
  assert.equal(parsed.token, undefined);
  assert.equal(parsed.outbox.length, 1);
});

test("events and the outbox are bounded, and the text within 64 KiB", () => {
  const s = newState(ID);
  let dropped = 0;
  for (let i = 0; i < 1000; i++) dropped += pushEvent(s, { type: "page", messageId: String(i), properties: { path: "/x".repeat(80) } }, true);
  assert.equal(s.events.length, MAX_EVENTS);
  assert.equal(s.outbox.length, MAX_OUTBOX);
  assert.equal(dropped, 1000 - MAX_OUTBOX);
  const text = stateText(s);
  assert.ok(new TextEncoder().encode(text).length <= MAX_BYTES);
  assert.equal(typeof parseState(text), "object");
  // Only the profile left and still too big: the id alone is kept.
  const huge = newState(ID);
  huge.profile.note = "é".repeat(MAX_BYTES);
  const kept = parseState(stateText(huge));
  assert.deepEqual([kept.id, kept.profile, kept.events], [ID, {}, []]);
});
