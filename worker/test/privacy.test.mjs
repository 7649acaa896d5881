// Redaction of forwarded messages (forward.js: redact) against a hostile
// client: personal fields under keys spelled any way, at any depth, an
// address as a userId or in a field of any name, and score fields a client
// sends to pass for the server's. The collector's view is checked as JSON
// text, so nothing is missed by looking at the wrong key.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startWorker, startCollector, post, waitFor, ok } from "./harness.mjs";

const sha = (text) => `sha256:${createHash("sha256").update(text.trim().toLowerCase()).digest("hex")}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let col;
let mf; // HASH_EMAIL, HASH_FIELDS, DROP_FIELDS
let plain; // no HASH_* or DROP_* at all

before(async () => {
  col = await startCollector();
  const common = { COLLECTOR_URL: col.url, IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000" };
  mf = await startWorker({
    // Deeper and larger events than the defaults allow, so that redaction's
    // own bounds (16 levels) can be reached through the API.
    vars: { ...common, HASH_EMAIL: "true", HASH_FIELDS: "phone,firstName", DROP_FIELDS: "lastName", MAX_JSON_DEPTH: "40", MAX_EVENT_BYTES: "16384" },
  });
  plain = await startWorker({ vars: common });
});
after(async () => {
  await mf?.dispose();
  await plain?.dispose();
  await col?.close();
});

const forwardedFor = (visitorId) => [...col.byKey.values()].filter((m) => m.visitorId === visitorId);

/** Sends events as one new visitor; its forwarded messages once `done(msgs)` holds. */
async function send(worker, events, done) {
  const body = await ok(await post(worker, { events }));
  assert.equal(body.accepted.length, events.length, JSON.stringify(body.rejected));
  assert.ok(await waitFor(() => done(forwardedFor(body.visitorId))), "the messages reached the collector");
  await sleep(200); // signals sent after the events, if any
  return forwardedFor(body.visitorId);
}

const byMessageId = (msgs, id) => msgs.find((m) => m.event?.messageId === id);

test("privacy: with HASH_EMAIL no address reaches the collector in clear, whatever its key, depth or field; hashes still join", async () => {
  const now = Date.now();
  const addresses = {
    Email: "Jane.Upper@Acme.example",
    emailAddress: "camel.case@acme.example",
    "email ": "  trailing.space@acme.example ",
    contact: "nested.contact@acme.example",
    contacts: "In.Array@acme.example",
    E_Mail: "snake.e_mail@acme.example",
    workEmail: "work@acme.example",
    userId: "Someone@Example.com",
    anyField: "not-an-email-key@acme.example",
    note: "boss@acme.com",
    url: "query.string@acme.example",
  };
  const msgs = await send(mf, [
    {
      type: "identify",
      messageId: "pv-identify",
      timestamp: now - 1000,
      traits: {
        Email: addresses.Email,
        emailAddress: addresses.emailAddress,
        "email ": addresses["email "],
        contact: { email: addresses.contact },
        contacts: [{ Email: addresses.contacts }],
        E_Mail: addresses.E_Mail,
        work_email: addresses.workEmail,
        backup: addresses.anyField,
        company: "Acme",
      },
    },
    {
      type: "track",
      event: "Demo Requested",
      messageId: "pv-track",
      timestamp: now,
      userId: addresses.userId,
      anonymousId: "anon-7f3a",
      properties: { note: `write to ${addresses.note} before Friday`, plan: "enterprise" },
      context: { page: { url: `https://www.example.com/thanks?email=${addresses.url.replace("@", "%40")}&ref=ad` } },
    },
  ], (got) => byMessageId(got, "pv-identify") && byMessageId(got, "pv-track"));

  const text = JSON.stringify(msgs).toLowerCase();
  for (const [where, address] of Object.entries(addresses)) {
    const a = address.trim().toLowerCase();
    assert.ok(!text.includes(a), `${where}: ${a} reached the collector in clear`);
    assert.ok(!text.includes(a.replace("@", "%40")), `${where}: ${a} reached the collector percent-encoded`);
  }
  // Every hash is sha256 of the trimmed, lower-cased address, the same
  // whichever key or spelling carried it, so the collector can still join.
  const identify = byMessageId(msgs, "pv-identify");
  const t = identify.event.traits;
  assert.equal(t.Email, sha(addresses.Email));
  assert.equal(t.emailAddress, sha(addresses.emailAddress));
  assert.equal(t["email "], sha(addresses["email "]));
  assert.equal(t.contact.email, sha(addresses.contact));
  assert.equal(t.contacts[0].Email, sha(addresses.contacts));
  assert.equal(t.E_Mail, sha(addresses.E_Mail));
  assert.equal(t.work_email, sha(addresses.workEmail));
  assert.equal(t.backup, sha(addresses.anyField), "an address under a key that names no e-mail is hashed by its value");
  assert.equal(t.company, "Acme", "what is not an address is left");
  const track = byMessageId(msgs, "pv-track");
  assert.equal(track.event.userId, sha(addresses.userId), "userId: Someone@Example.com joins with someone@example.com");
  assert.equal(track.event.anonymousId, "anon-7f3a");
  // Free text keeps its words; the address in it is replaced by its hash.
  assert.equal(track.event.properties.note, `write to ${sha(addresses.note)} before Friday`);
  assert.equal(track.event.properties.plan, "enterprise");
  assert.equal(track.event.context.page.url, `https://www.example.com/thanks?email=${sha(addresses.url)}&ref=ad`);
  // The profile the server built from those traits (on its signals) is
  // hashed the same way.
  for (const m of msgs.filter((x) => x.profile)) {
    for (const v of Object.values(m.profile)) if (typeof v === "string" && v.includes("@")) assert.fail(`profile holds ${v}`);
  }
});

test("privacy: HASH_FIELDS and DROP_FIELDS match keys without case, `_`, `-` or spaces, at any depth", async () => {
  const phone = "+44 20 7946 0958";
  const msgs = await send(mf, [{
    type: "identify",
    messageId: "pv-fields",
    timestamp: Date.now(),
    traits: {
      Phone: phone,
      first_name: "Adaeze",
      "Last-Name": "Okafor",
      contact: { LastName: "Okonkwo", "mobile phone": "07700 900123", PHONE: ["+1 555 0100"] },
      title: "CTO",
    },
  }], (got) => byMessageId(got, "pv-fields"));
  const text = JSON.stringify(msgs);
  for (const clear of ["7946", "Adaeze", "Okafor", "Okonkwo", "555 0100"]) assert.ok(!text.includes(clear), `${clear} reached the collector`);
  const t = byMessageId(msgs, "pv-fields").event.traits;
  assert.equal(t.Phone, sha(phone));
  assert.equal(t.first_name, sha("Adaeze"));
  assert.equal("Last-Name" in t, false);
  assert.equal("LastName" in t.contact, false, "a dropped field is dropped when nested too");
  assert.equal("PHONE" in t.contact, false, "a hashed field holding a list is removed, not hashed");
  assert.equal(t.contact["mobile phone"], "07700 900123", "only whole names match: 'mobile phone' is not 'phone'");
  assert.equal(t.title, "CTO", "fields not named stay as they are");
});

test("privacy: score fields a client sends in identify traits never reach the collector; the server's score does", async () => {
  const msgs = await send(mf, [
    {
      type: "identify",
      messageId: "pv-score",
      timestamp: Date.now() - 1000,
      traits: { score: 99, grade: "A1", mql: true, tier: "hot", Fit: 100, "Lead Score": 100, company: "Acme", nested: { Stage: "decision" } },
      properties: { engagement: 100, scores: { fit: 100 } },
      context: { traits: { grade: "A1", email: "ctx@acme.example" } },
    },
    // In a track event's properties these names are not the visitor's
    // traits and are left (the server's signals use the same place).
    { type: "track", event: "Quiz Finished", messageId: "pv-quiz", timestamp: Date.now(), properties: { score: 7 } },
  ], (got) => byMessageId(got, "pv-score") && byMessageId(got, "pv-quiz"));
  const identify = byMessageId(msgs, "pv-score");
  assert.deepEqual(identify.event.traits, { company: "Acme", nested: {} });
  assert.deepEqual(identify.event.properties, {});
  assert.deepEqual(identify.event.context.traits, { email: sha("ctx@acme.example") });
  assert.equal(typeof identify.score, "object", "msg.score, the server's, is forwarded");
  assert.notEqual(identify.score.grade, undefined);
  assert.deepEqual(byMessageId(msgs, "pv-quiz").event.properties, { score: 7 });
  for (const m of msgs.filter((x) => x.profile)) {
    for (const k of ["score", "grade", "mql", "tier", "fit", "stage"]) assert.equal(k in m.profile, false, `profile.${k} forwarded`);
  }
});

test("privacy: with no HASH_* or DROP_* settings, client score fields are still dropped and nothing else changes", async () => {
  const msgs = await send(plain, [{
    type: "identify",
    messageId: "pv-plain",
    timestamp: Date.now(),
    traits: { email: "plain@acme.example", score: 99, grade: "A1", mql: true, tier: "hot", company: "Acme" },
  }], (got) => byMessageId(got, "pv-plain"));
  const identify = byMessageId(msgs, "pv-plain");
  assert.deepEqual(identify.event.traits, { email: "plain@acme.example", company: "Acme" }, "no HASH_EMAIL: the address is forwarded as sent");
  assert.equal(typeof identify.score?.grade, "string");
});

test("privacy: redaction is bounded: a subtree deeper than 16 levels is dropped unread, and the rest is forwarded", async () => {
  let deep = { email: "deep.down@acme.example", marker: "deep-marker" };
  for (let i = 0; i < 25; i++) deep = { level: deep };
  const msgs = await send(mf, [{
    type: "identify",
    messageId: "pv-deep",
    timestamp: Date.now(),
    traits: { company: "Acme", deep },
  }], (got) => byMessageId(got, "pv-deep"));
  const text = JSON.stringify(msgs);
  assert.ok(!text.includes("deep.down@"), "the deep address is not forwarded in clear");
  assert.ok(!text.includes("deep-marker"), "what lies past the bound is dropped, not forwarded unread");
  const t = byMessageId(msgs, "pv-deep").event.traits;
  assert.equal(t.company, "Acme");
  assert.equal(typeof t.deep.level, "object", "the levels within the bound are kept");
});
