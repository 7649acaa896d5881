// Segment identity links (worker/src/links.js, routes/segment.js) in
// workerd: the usual setup, analytics.js in the page (anonymousId) and a
// server SDK reporting by userId, is one visitor once a server key has tied
// the userId to the anonymousId (identify with both, or alias); a page's
// userId ties nothing and redirects nothing; the first link stands;
// erasure deletes the links; hostile alias payloads are 4xx.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startWorker, startCollector, waitFor, ok, errorCode, ORIGIN, ADMIN_TOKEN } from "./harness.mjs";

const SERVER_KEY = "wk_server_ident_0123456789";
const BROWSER_KEY = "wk_browser_ident_0123456789";
const basic = (key) => `Basic ${Buffer.from(`${key}:`).toString("base64")}`;

let mf;
let col;
before(async () => {
  col = await startCollector();
  mf = await startWorker({
    vars: { COLLECTOR_URL: col.url, WRITE_KEYS: `browser:${BROWSER_KEY},server:${SERVER_KEY}`, IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000" },
  });
});
after(async () => {
  await mf?.dispose();
  await col?.close();
});

let seq = 0;
const mid = () => `idm-${++seq}`;
/** A server SDK's request (analytics-node: Basic auth, no Origin). */
const server = (path, body) => mf.dispatchFetch(`http://worker.test${path}`, {
  method: "POST", headers: { "content-type": "application/json", authorization: basic(SERVER_KEY) }, body: JSON.stringify(body),
});
/** A page's request as analytics.js sends it (text/plain, writeKey in the body, Origin). */
const browser = (path, body) => mf.dispatchFetch(`http://worker.test${path}`, {
  method: "POST", headers: { "content-type": "text/plain", origin: ORIGIN }, body: JSON.stringify({ ...body, writeKey: BROWSER_KEY }),
});
const visitorOf = (kind, id) => createHash("sha256").update(`nurture/segment\n${kind}\n${id}`).digest("base64url").slice(0, 22);
const eventsOf = (visitorId) => [...col.byKey.values()].filter((m) => m.visitorId === visitorId && m.kind === "event");
const has = (visitorId, messageId) => () => eventsOf(visitorId).some((m) => m.event.messageId === messageId);
const fitOf = (m) => m.score.breakdown.fit.filter((b) => b.points > 0).map((b) => b.rule);

test("identity: analytics.js page views + server identify {userId, anonymousId} + server track by userId are one visitor, scored with the server's fit", async () => {
  const anonymousId = "0b7e5f2c-8d1a-4c3e-9f00-aa11bb22cc33";
  const userId = "usr_9001";
  const visitor = visitorOf("anonymousId", anonymousId);
  // The page, before sign-up: page views under analytics.js's anonymousId.
  const pv = [mid(), mid()];
  await ok(await browser("/v1/batch", { batch: pv.map((messageId) => ({ type: "page", anonymousId, messageId, properties: { url: "https://www.example.com/pricing" } })) }));
  // The back office (analytics-node) identifies the user with the page's anonymousId.
  const identify = await ok(await server("/v1/identify", {
    userId, anonymousId, messageId: mid(), traits: { email: "dana@acme-industrial.com", title: "VP Engineering", company: "Acme Industrial" },
  }));
  assert.deepEqual(identify.links, { linked: 1, refused: [] });
  // Later the back office reports by userId only (the SDK's usual call).
  const webinar = mid();
  const track = await ok(await server("/v1/track", { userId, event: "Webinar Attended", messageId: webinar }));
  assert.equal(track.accepted, 1);
  assert.deepEqual(track.links, { linked: 0, refused: [] });
  assert.ok(await waitFor(has(visitor, webinar)), "the userId-only track lands on the page's visitor");
  assert.equal(eventsOf(visitorOf("userId", userId)).length, 0, "no second visitor for the userId");
  const forwarded = eventsOf(visitor);
  assert.equal(forwarded.length, 4);
  const last = forwarded.find((m) => m.event.messageId === webinar);
  assert.equal(last.event.channel, "server");
  assert.ok(fitOf(last).includes("decision-maker"), `the identify's title scores that visitor: ${JSON.stringify(last.score.breakdown.fit)}`);
  assert.ok(last.score.breakdown.engagement.some((b) => b.rule === "live-stream" && b.points > 0));
  // The page's next view scores with the same fit: one person, one score.
  const next = mid();
  await ok(await browser("/v1/page", { anonymousId, messageId: next, properties: { url: "https://www.example.com/demo" } }));
  assert.ok(await waitFor(has(visitor, next)));
  assert.ok(fitOf(eventsOf(visitor).find((m) => m.event.messageId === next)).includes("decision-maker"));
  // A batch mixing both kinds costs one index call and keeps the order's meaning:
  // a userId-only message before its link in the batch joins the linked visitor too.
  const [a, b] = [mid(), mid()];
  const batch = await ok(await server("/v1/batch", { batch: [
    { type: "track", userId: "usr_9002", event: "File Downloaded", messageId: a },
    { type: "identify", userId: "usr_9002", anonymousId: "page-anon-9002", messageId: b },
  ] }));
  assert.deepEqual([batch.accepted, batch.visitors, batch.links.linked], [2, 1, 1]);
  assert.ok(await waitFor(has(visitorOf("anonymousId", "page-anon-9002"), a)));
});

test("identity: a server key's alias links userId to previousId's visitor (an anonymousId, a nurture visitor id, or a linked userId)", async () => {
  const userId = "usr_alias_1";
  // Before any link, a userId-only message is a visitor of its own (today's rule)...
  const early = mid();
  await ok(await server("/v1/track", { userId, event: "File Downloaded", messageId: early }));
  assert.ok(await waitFor(has(visitorOf("userId", userId), early)));
  // ...alias ties the userId to the browser's anonymousId...
  const res = await ok(await server("/v1/alias", { previousId: "anon-alias-1", userId, messageId: mid() }));
  assert.deepEqual([res.accepted, res.links.linked, res.rejected.length, res.ignored.length], [0, 1, 0, 0]);
  const later = mid();
  await ok(await server("/v1/track", { userId, event: "File Downloaded", messageId: later }));
  assert.ok(await waitFor(has(visitorOf("anonymousId", "anon-alias-1"), later)));
  // ...and the earlier visitor keeps what it had (nothing is merged).
  assert.deepEqual(eventsOf(visitorOf("userId", userId)).map((m) => m.event.messageId), [early]);
  // A previousId that is a linked userId: the new userId joins the same visitor.
  await ok(await server("/v1/alias", { previousId: userId, userId: "usr_alias_2", messageId: mid() }));
  const third = mid();
  await ok(await server("/v1/track", { userId: "usr_alias_2", event: "File Downloaded", messageId: third }));
  assert.ok(await waitFor(has(visitorOf("anonymousId", "anon-alias-1"), third)));
  // A previousId that is a nurture visitor id (a server key may name one).
  const visitorId = "Q".repeat(21) + "a";
  await ok(await server("/v1/alias", { previousId: visitorId, userId: "usr_alias_3", messageId: mid() }));
  const fourth = mid();
  await ok(await server("/v1/track", { userId: "usr_alias_3", event: "File Downloaded", messageId: fourth }));
  assert.ok(await waitFor(has(visitorId, fourth)));
  // Sent again (an SDK retry): nothing new, no refusal.
  const again = await ok(await server("/v1/alias", { previousId: "anon-alias-1", userId, messageId: mid() }));
  assert.deepEqual([again.links.linked, again.rejected.length], [0, 0]);
});

test("identity: a page's userId creates no link and cannot redirect a server's events", async () => {
  const victim = "usr_victim";
  // The back office links the victim to their own browser.
  await ok(await server("/v1/identify", { userId: victim, anonymousId: "victim-browser", messageId: mid() }));
  // An attacker's page claims the victim's userId, with identify and alias.
  const attacker = "attacker-browser";
  const res = await ok(await browser("/v1/batch", { batch: [
    { type: "identify", anonymousId: attacker, userId: victim, messageId: mid(), traits: { title: "CEO" } },
    { type: "alias", anonymousId: attacker, previousId: attacker, userId: victim, messageId: mid() },
    { type: "identify", anonymousId: attacker, userId: "usr_unlinked", messageId: mid() },
  ] }));
  assert.deepEqual(res.links, { linked: 0, refused: [] });
  assert.deepEqual(res.ignored.map((i) => i.index), [1]);
  assert.match(res.ignored[0].reason, /server write key/);
  // The server's events still reach the victim's own visitor...
  const a = mid();
  await ok(await server("/v1/track", { userId: victim, event: "Demo Requested", messageId: a }));
  assert.ok(await waitFor(has(visitorOf("anonymousId", "victim-browser"), a)));
  // ...and a userId only a page named stays unlinked: its own hashed visitor.
  const b = mid();
  await ok(await server("/v1/track", { userId: "usr_unlinked", event: "Demo Requested", messageId: b }));
  assert.ok(await waitFor(has(visitorOf("userId", "usr_unlinked"), b)));
  assert.ok(eventsOf(visitorOf("anonymousId", attacker)).every((m) => m.event.channel === "browser"), "no server event reached the attacker's visitor");
});

test("identity: the first link of a userId stands; a conflicting one is refused with a reason, its message kept", async () => {
  const userId = "usr_conflict";
  await ok(await server("/v1/identify", { userId, anonymousId: "first-browser", messageId: mid() }));
  // A second browser of the same user: its identify is stored on that browser's visitor, the link is not moved.
  const second = mid();
  const res = await ok(await server("/v1/batch", { batch: [
    { type: "identify", userId, anonymousId: "second-browser", messageId: second },
    { type: "alias", previousId: "second-browser", userId, messageId: mid() },
  ] }));
  assert.equal(res.accepted, 1);
  assert.deepEqual(res.links.refused.map((r) => r.index), [0]);
  assert.match(res.links.refused[0].reason, /already linked/);
  assert.deepEqual(res.rejected.map((r) => r.index), [1], "an alias that would move the link does nothing");
  assert.match(res.rejected[0].reason, /first link stands/);
  assert.ok(await waitFor(has(visitorOf("anonymousId", "second-browser"), second)));
  const t = mid();
  await ok(await server("/v1/track", { userId, event: "File Downloaded", messageId: t }));
  assert.ok(await waitFor(has(visitorOf("anonymousId", "first-browser"), t)));
  // A single alias that only conflicts is a 422 (the SDK drops it, no retry).
  assert.deepEqual(await errorCode(await server("/v1/alias", { previousId: "second-browser", userId, messageId: mid() })), [422, "no_valid_events"]);
});

test("identity: erasing the linked visitor deletes its links; the userId names no one erased", async () => {
  const userId = "usr_erased";
  const visitor = visitorOf("anonymousId", "erased-browser");
  await ok(await server("/v1/identify", { userId, anonymousId: "erased-browser", messageId: mid(), traits: { title: "CTO" } }));
  await ok(await server("/v1/alias", { previousId: userId, userId: "usr_erased_2", messageId: mid() }));
  const erase = await mf.dispatchFetch("http://worker.test/v1/admin/erase", {
    method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ visitorIds: [visitor] }),
  });
  assert.equal((await ok(erase)).erased, 1);
  // Both userIds are unlinked: their messages go to their own hashed visitors, not to the tombstone.
  for (const id of [userId, "usr_erased_2"]) {
    const m = mid();
    const res = await ok(await server("/v1/track", { userId: id, event: "File Downloaded", messageId: m }));
    assert.deepEqual([res.accepted, res.rejected.length], [1, 0], JSON.stringify(res));
    assert.ok(await waitFor(has(visitorOf("userId", id), m)));
  }
  // A server still sending the erased browser's anonymousId: refused by the
  // tombstone, and the link it would make goes with it.
  const late = await ok(await server("/v1/batch", { batch: [
    { type: "identify", userId, anonymousId: "erased-browser", messageId: mid() },
    { type: "track", userId: "usr_erased_3", event: "File Downloaded", messageId: mid() },
  ] }));
  assert.match(late.rejected[0]?.reason ?? "", /visitor_erased/, JSON.stringify(late));
  const after = mid();
  await ok(await server("/v1/track", { userId, event: "File Downloaded", messageId: after }));
  assert.ok(await waitFor(has(visitorOf("userId", userId), after)));
  // The user may be linked afresh (a new browser after erasure).
  const again = await ok(await server("/v1/identify", { userId, anonymousId: "new-browser", messageId: mid() }));
  assert.equal(again.links.linked, 1);
});

test("identity: hostile alias payloads are 4xx with a reason, never 5xx", async () => {
  const bad = [
    { userId: "u-h" }, // no previousId
    { userId: "u-h", previousId: null },
    { userId: "u-h", previousId: "" },
    { userId: "u-h", previousId: { $ne: null } },
    { userId: "u-h", previousId: ["a", "b"] },
    { userId: "u-h", previousId: "x".repeat(201) },
    { userId: "u-h", previousId: Number.NaN },
    { anonymousId: "a-h", previousId: "a-h" }, // no userId
    { userId: "same", previousId: "same" },
    { userId: { toString: "x" }, previousId: "p" },
  ];
  for (const body of bad) {
    assert.deepEqual(await errorCode(await server("/v1/alias", { ...body, messageId: mid() })), [422, "no_valid_events"], JSON.stringify(body));
  }
  // In a batch, each is listed and a good message next to them is kept.
  const res = await ok(await server("/v1/batch", { batch: [...bad.map((b) => ({ type: "alias", ...b })), { type: "track", userId: "u-h", event: "File Downloaded", messageId: mid() }] }));
  assert.deepEqual(res.rejected.map((r) => r.index), bad.map((_, i) => i));
  assert.equal(res.accepted, 1);
  // Reserved and odd names are identities like any other: hashed, never the index's object.
  for (const previousId of ["user-links", "lead-index", "__proto__", 12345]) {
    const r = await ok(await server("/v1/alias", { previousId, userId: `u-odd-${previousId}`, messageId: mid() }));
    assert.equal(r.links.linked, 1);
  }
  const r = await ok(await server("/v1/track", { userId: "u-odd-user-links", event: "File Downloaded", messageId: "odd-track" }));
  assert.equal(r.accepted, 1);
  assert.ok(await waitFor(has(visitorOf("anonymousId", "user-links"), "odd-track")));
  // The index answers as before.
  const after = await ok(await server("/v1/track", { userId: "usr_9001", event: "File Downloaded", messageId: mid() }));
  assert.equal(after.accepted, 1);
});

test("identity: the end of a visitor's retention deletes its links", async () => {
  const c2 = await startCollector();
  const RETENTION_MS = 2500;
  const w = await startWorker({
    vars: { COLLECTOR_URL: c2.url, WRITE_KEYS: `server:${SERVER_KEY}`, RETENTION_DAYS: String(RETENTION_MS / 86_400_000), IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000" },
  });
  try {
    const ns = await w.getDurableObjectNamespace("VISITORS");
    // Read the index directly: the worker's own per-isolate cache stays out of it.
    const linked = async () => (await ns.get(ns.idFromName("user-links")).linkUsers({ puts: [], gets: [visitorOf("userId", "usr_retained")], now: Date.now() })).found;
    const res = await w.dispatchFetch("http://worker.test/v1/identify", {
      method: "POST", headers: { "content-type": "application/json", authorization: basic(SERVER_KEY) },
      body: JSON.stringify({ userId: "usr_retained", anonymousId: "retained-browser", messageId: mid() }),
    });
    assert.equal((await ok(res)).links.linked, 1);
    assert.deepEqual(Object.values(await linked()), [visitorOf("anonymousId", "retained-browser")]);
    assert.ok(await waitFor(async () => Object.keys(await linked()).length === 0, { timeoutMs: 60_000, intervalMs: 250 }), "the link went with the visitor");
  } finally {
    await w.dispose();
    await c2.close();
  }
});
