// The visitor token in the batch body (`visitorToken`): what the browser
// runtime sends with sendBeacon, which cannot set the x-nurture-visitor
// header, when the worker is on another origin than the page. It must be
// verified exactly like the header (signature, key id, expiry, canonical
// base64url), and the precedence is header, then body, then cookie.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { startWorker, startCollector, post, waitFor, ORIGIN, ok } from "./harness.mjs";
import { makeToken } from "./tokens.mjs";

let mf;
let col;

before(async () => {
  col = await startCollector();
  mf = await startWorker({ vars: { COLLECTOR_URL: col.url, IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000" } });
});
after(async () => {
  await mf?.dispose();
  await col?.close();
});

// What sendBeacon(url, string) sends: text/plain, from the page's origin.
const BEACON = { "content-type": "text/plain;charset=UTF-8", origin: ORIGIN };
let seq = 0;
const page = (path = "/pricing") => ({ type: "page", messageId: `bt-${++seq}`, timestamp: Date.now(), properties: { path } });

async function refused(res) {
  const text = await res.text();
  return [res.status, JSON.parse(text).error.code, res.headers.get("set-cookie")];
}

/** A visitor the worker minted, with one page view: {visitorId, token, engagement}. */
async function mint() {
  const res = await post(mf, { events: [page()] }, { headers: { origin: ORIGIN } });
  const body = await ok(res);
  return { visitorId: body.visitorId, token: res.headers.get("x-nurture-visitor"), engagement: body.score.engagement };
}

const idOf = (token) => token.split(".")[2];
const forwardedFor = (visitorId) => [...col.byKey.values()].filter((m) => m.visitorId === visitorId);

test("a valid body token carries the visitor: a beacon lands on the visitor the token names and the score accumulates", async () => {
  const v = await mint();
  const res = await post(mf, { events: [page(), page("/case-studies/x")], consent: true, visitorToken: v.token }, { headers: BEACON });
  const body = await ok(res);
  assert.equal(body.visitorId, v.visitorId);
  assert.ok(body.score.engagement > v.engagement, `${body.score.engagement} > ${v.engagement}`);
  assert.equal(res.headers.get("x-nurture-visitor"), v.token, "a current token is echoed as it is");
  assert.equal(res.headers.get("set-cookie"), null, "a current token is not re-issued");
  assert.ok(await waitFor(() => forwardedFor(v.visitorId).filter((m) => m.kind === "event").length === 3));
});

test("a body token signed with an older listed key is accepted and re-signed, like the header", async () => {
  const old = makeToken({ kid: "k1", secret: "first-secret-0123456789" });
  const res = await post(mf, { events: [page()], visitorToken: old }, { headers: BEACON });
  const body = await ok(res);
  assert.equal(body.visitorId, idOf(old));
  assert.match(res.headers.get("x-nurture-visitor"), new RegExp(`^v1\\.k2\\.${body.visitorId}\\.`));
});

test("a forged, expired, unknown-key or non-canonical body token gets the header's 401, and nothing is stored or set", async () => {
  const visitorId = randomBytes(16).toString("base64url");
  const good = makeToken({ visitorId });
  const sig = good.split(".")[4];
  // The signature's last character holds 4 bits of the MAC and 2 unused
  // ones; flipping an unused bit decodes to the same bytes.
  const ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const last = ALPHA[ALPHA.indexOf(sig.at(-1)) ^ 1];
  const cases = [
    ["forged (another secret)", makeToken({ visitorId, secret: "not-the-worker-secret-0000" }), "invalid_visitor_token"],
    ["tampered visitor id", good.replace(visitorId, randomBytes(16).toString("base64url")), "invalid_visitor_token"],
    ["expired", makeToken({ visitorId, iat: Math.floor(Date.now() / 1000) - 400 * 86400 }), "visitor_token_expired"],
    ["unknown key id", makeToken({ visitorId, kid: "k9", secret: "second-secret-0123456789" }), "unknown_key_id"],
    ["non-canonical base64url", `${good.slice(0, -1)}${last}`, "invalid_visitor_token"],
    ["issued in the future", makeToken({ visitorId, iat: Math.floor(Date.now() / 1000) + 3600 }), "invalid_visitor_token"],
    ["not a token", "v1.k2.x", "invalid_visitor_token"],
    ["too long", `${good}${"A".repeat(200)}`, "invalid_visitor_token"],
  ];
  for (const [what, token, code] of cases) {
    assert.notEqual(token, good, what);
    const body = { events: [page()], consent: true, visitorToken: token };
    assert.deepEqual(await refused(await post(mf, body, { headers: BEACON })), [401, code, null], `${what} (body)`);
    // The same token as the header: the same answer.
    assert.deepEqual(await refused(await post(mf, { events: [page()] }, { headers: { origin: ORIGIN, "x-nurture-visitor": token } })), [401, code, null], `${what} (header)`);
  }
  // The real token is fine, so the refusals above were about the tokens.
  const res = await post(mf, { events: [page()], visitorToken: good }, { headers: BEACON });
  assert.equal((await ok(res)).visitorId, visitorId);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(forwardedFor(visitorId).filter((m) => m.kind === "event").length, 1, "only the valid token's event reached the collector");
});

test("a body token that is not a string is a bad field (400), an empty one counts as none", async () => {
  for (const visitorToken of [42, null, { token: "x" }, ["v1"]]) {
    const [status, code] = await refused(await post(mf, { events: [page()], visitorToken }, { headers: BEACON }));
    assert.deepEqual([status, code], [400, "invalid_field"], JSON.stringify(visitorToken));
  }
  const v = await mint();
  const body = await ok(await post(mf, { events: [page()], visitorToken: "" }, { headers: { ...BEACON, cookie: `nurture_vid=${v.token}` } }));
  assert.equal(body.visitorId, v.visitorId, "the cookie still names the visitor");
});

test("precedence: the header wins over the body, the body over the cookie", async () => {
  const a = await mint();
  const b = await mint();
  const c = await mint();
  assert.equal(new Set([a.visitorId, b.visitorId, c.visitorId]).size, 3);
  const send = (visitorToken, headers) => post(mf, { events: [page()], visitorToken }, { headers: { ...BEACON, ...headers } });

  // Header A, body B, cookie C: A.
  assert.equal((await ok(await send(b.token, { "x-nurture-visitor": a.token, cookie: `nurture_vid=${c.token}` }))).visitorId, a.visitorId);
  // No header; body B, cookie C: B.
  assert.equal((await ok(await send(b.token, { cookie: `nurture_vid=${c.token}` }))).visitorId, b.visitorId);
  // Only the cookie: C (unchanged behaviour).
  assert.equal((await ok(await send(undefined, { cookie: `nurture_vid=${c.token}` }))).visitorId, c.visitorId);
  // The body behind a header is not read: a forged one there changes nothing...
  const forged = makeToken({ visitorId: b.visitorId, secret: "not-the-worker-secret-0000" });
  assert.equal((await ok(await send(forged, { "x-nurture-visitor": a.token }))).visitorId, a.visitorId);
  // ...and a valid one cannot rescue a bad header: the header is what counts.
  assert.deepEqual((await refused(await send(b.token, { "x-nurture-visitor": forged }))).slice(0, 2), [401, "invalid_visitor_token"]);
  // A bad body token is not skipped for a good cookie either.
  assert.deepEqual((await refused(await send(forged, { cookie: `nurture_vid=${c.token}` }))).slice(0, 2), [401, "invalid_visitor_token"]);
});

test("CORS for the cross-origin runtime: the preflight allows the token header, the answer exposes it", async () => {
  const pre = await mf.dispatchFetch("http://worker.test/v1/events", {
    method: "OPTIONS",
    headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type,x-nurture-visitor" },
  });
  assert.equal(pre.status, 204);
  assert.match(pre.headers.get("access-control-allow-headers"), /(^|, )x-nurture-visitor(,|$)/);
  const res = await post(mf, { events: [page()] }, { headers: { origin: ORIGIN } });
  await ok(res);
  assert.match(res.headers.get("access-control-expose-headers"), /(^|, )x-nurture-visitor(,|$)/);
  assert.match(res.headers.get("x-nurture-visitor"), /^v1\.k2\./);
});
