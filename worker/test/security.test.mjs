// The threat model's tests (SECURITY.md): each one shows that a defence
// listed there holds against the built worker in workerd. Threats whose
// defence an older test already shows are not repeated here; SECURITY.md
// names those tests.
import test, { after, before } from "node:test";
import http from "node:http";
import assert from "node:assert/strict";
import { startWorker, startCollector, post, waitFor, ORIGIN, ok, errorCode } from "./harness.mjs";
import { makeToken, makeFormToken } from "./tokens.mjs";
import { startOrigin } from "../origin.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const K1 = "k1:first-secret-0123456789";
const K2 = "k2:second-secret-0123456789";
const CLIENT_IP = "203.0.113.77";

let mf;
let col;
let origin;

before(async () => {
  col = await startCollector();
  origin = await startOrigin();
  mf = await startWorker({
    vars: { COLLECTOR_URL: col.url, HASH_EMAIL: "true", ORIGIN_URL: origin.url, IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000" },
  });
});
after(async () => {
  await mf?.dispose();
  await col?.close();
  await origin?.close();
});

const forwardedFor = (visitorId) => [...col.byKey.values()].filter((m) => m.visitorId === visitorId);

function visitorStub(worker, ns, visitorId) {
  return ns.get(ns.idFromName(visitorId));
}

// ---- (a)/(b) replayed events ------------------------------------------------

test("replay: a captured batch sent again, in sequence or all at once, is stored, scored and forwarded once", async () => {
  const now = Date.now();
  const batch = {
    events: [
      { type: "page", messageId: "rp-1", timestamp: now - 1000, properties: { path: "/pricing" } },
      { type: "track", event: "Demo Requested", messageId: "rp-2", timestamp: now - 500 },
      { type: "page", messageId: "rp-3", timestamp: now, properties: { path: "/case-studies/x" } },
    ],
  };
  const first = await post(mf, batch);
  const one = await ok(first);
  const headers = { "x-nurture-visitor": first.headers.get("x-nurture-visitor") };
  const again = await ok(await post(mf, batch, { headers }));
  assert.deepEqual(again.accepted, []);
  assert.deepEqual(again.duplicates.map((d) => d.id), ["rp-1", "rp-2", "rp-3"]);
  assert.deepEqual(again.score, one.score, "a replay moves no score");
  const burst = await Promise.all(Array.from({ length: 5 }, () => post(mf, batch, { headers }).then(ok)));
  assert.equal(burst.reduce((n, r) => n + r.accepted.length, 0), 0);
  for (const r of burst) assert.deepEqual(r.score, one.score);

  const ns = await mf.getDurableObjectNamespace("VISITORS");
  const kept = await visitorStub(mf, ns, one.visitorId).inspect();
  assert.equal(kept.events, 3, "three events kept, not eighteen");
  // Forwarded once: three events and the signals of the first batch only.
  assert.ok(await waitFor(() => forwardedFor(one.visitorId).filter((m) => m.kind === "event").length >= 3));
  await sleep(500);
  const events = forwardedFor(one.visitorId).filter((m) => m.kind === "event");
  assert.deepEqual(events.map((m) => m.event.messageId).sort(), ["rp-1", "rp-2", "rp-3"]);
});

test("replay: an event without a messageId is identified by its content, so the same bytes count once", async () => {
  const event = { type: "track", event: "Whitepaper Downloaded", timestamp: Date.now() - 1000 };
  const first = await post(mf, { events: [event] });
  const one = await ok(first);
  assert.match(one.accepted[0].id, /^h_[A-Za-z0-9_-]{27}$/);
  const headers = { "x-nurture-visitor": first.headers.get("x-nurture-visitor") };
  const again = await ok(await post(mf, { events: [event] }, { headers }));
  assert.deepEqual(again.accepted, []);
  assert.deepEqual(again.duplicates.map((d) => d.id), [one.accepted[0].id]);
  // Another time is another event.
  const later = await ok(await post(mf, { events: [{ ...event, timestamp: event.timestamp + 1 }] }, { headers }));
  assert.equal(later.accepted.length, 1);
});

test("replay: a captured batch sent without the visitor's cookie lands on a new visitor, never on the original", async () => {
  const batch = { events: [{ type: "track", event: "Demo Requested", messageId: "steal-1", timestamp: Date.now() }] };
  const first = await ok(await post(mf, batch));
  const stranger = await ok(await post(mf, batch));
  assert.notEqual(stranger.visitorId, first.visitorId);
  assert.equal(stranger.accepted.length, 1, "ids are per visitor: the stranger's copy is its own event");
  const ns = await mf.getDurableObjectNamespace("VISITORS");
  assert.equal((await visitorStub(mf, ns, first.visitorId).inspect()).events, 1);
});

// ---- (a) forms --------------------------------------------------------------

test("form token: one accepted post, only for its visitor, its form and the fields it asked", async () => {
  const visitorId = makeToken().split(".")[2];
  const cookie = `nurture_vid=${makeToken({ visitorId })}`;
  const token = makeFormToken({ visitorId });
  const send = (fields, headers = { cookie }) => post(mf, { token, fields }, { path: "/v1/forms/contact", headers });
  const a = await ok(await send({ email: "ops@acme-industrial.example", company: "Acme" }));
  assert.equal(a.visitorId, visitorId);
  // The same token again (a replayed post, a back button): refused; the
  // answer's next token, or a fresh GET, asks again.
  assert.deepEqual(await errorCode(await send({ email: "ops@acme-industrial.example", company: "Acme Industrial" })), [409, "form_token_used"]);
  assert.deepEqual(await errorCode(await send({ email: "ops@acme-industrial.example", budget: "approved" })), [400, "field_not_asked"]);
  assert.deepEqual(await errorCode(await send({ email: "ops@acme-industrial.example" }, { cookie: `nurture_vid=${makeToken()}` })), [403, "form_token_wrong_visitor"]);
  assert.deepEqual(await errorCode(await post(mf, { token, fields: { email: "ops@acme-industrial.example" } }, { path: "/v1/forms/white-paper", headers: { cookie } })), [403, "form_token_wrong_form"]);
});

test("a form cannot carry a score: score and grade are neither fields nor keys, and the server's grade is its own", async () => {
  const visitorId = makeToken().split(".")[2];
  const cookie = `nurture_vid=${makeToken({ visitorId })}`;
  const token = makeFormToken({ visitorId });
  const path = "/v1/forms/contact";
  assert.deepEqual(await errorCode(await post(mf, { token, fields: { email: "kid@school.example", grade: "A1", score: 100 } }, { path, headers: { cookie } })), [400, "field_not_asked"]);
  assert.deepEqual(await errorCode(await post(mf, { token, fields: { email: "kid@school.example" }, grade: "A1" }, { path, headers: { cookie } })), [400, "unknown_field"]);
  const form = new URLSearchParams({ email: "kid@school.example", nurture_token: token, fit: "100" }).toString();
  assert.deepEqual(await errorCode(await post(mf, undefined, { path, raw: form, headers: { cookie, "content-type": "application/x-www-form-urlencoded" } })), [400, "field_not_asked"]);
  const good = await ok(await post(mf, { token, fields: { email: "kid@school.example", title: "Student" } }, { path, headers: { cookie } }));
  assert.notEqual(good.score.grade, "A1");
});

// ---- (b) tokens, keys and headers --------------------------------------------

test("key rotation procedure: add the new key first, old cookies are re-signed; drop the old key, its cookies are refused", async () => {
  const oldOnly = await startWorker({ vars: { NURTURE_KEYS: K1, ORIGIN_URL: origin.url } });
  const both = await startWorker({ vars: { NURTURE_KEYS: `${K2},${K1}`, ORIGIN_URL: origin.url } });
  const newOnly = await startWorker({ vars: { NURTURE_KEYS: K2, ORIGIN_URL: origin.url } });
  try {
    const ev = () => ({ events: [{ type: "page", timestamp: Date.now(), properties: { path: "/" } }] });
    // Step 0: k1 alone signs.
    const r0 = await post(oldOnly, ev());
    const v0 = await ok(r0);
    const oldToken = r0.headers.get("x-nurture-visitor");
    assert.match(oldToken, /^v1\.k1\./);
    // Step 1: "k2,k1": k2 signs, k1 still verifies, and a k1 cookie comes back signed by k2.
    const r1 = await post(both, ev(), { headers: { cookie: `nurture_vid=${oldToken}` } });
    const v1 = await ok(r1);
    assert.equal(v1.visitorId, v0.visitorId);
    const newToken = r1.headers.get("x-nurture-visitor");
    assert.match(newToken, new RegExp(`^v1\\.k2\\.${v0.visitorId}\\.`));
    assert.match(r1.headers.get("set-cookie"), /^nurture_vid=v1\.k2\./);
    // Step 2: "k2" alone: the re-signed cookie works, an old one is refused
    // by the API and ignored by pages (which give a fresh visitor instead).
    assert.equal((await ok(await post(newOnly, ev(), { headers: { cookie: `nurture_vid=${newToken}` } }))).visitorId, v0.visitorId);
    assert.deepEqual(await errorCode(await post(newOnly, ev(), { headers: { cookie: `nurture_vid=${oldToken}` } })), [401, "unknown_key_id"]);
    assert.deepEqual(await errorCode(await newOnly.dispatchFetch("http://worker.test/v1/decide", { headers: { cookie: `nurture_vid=${oldToken}` } })), [401, "unknown_key_id"]);
    const page = await newOnly.dispatchFetch("http://worker.test/", { headers: { cookie: `nurture_vid=${oldToken}`, "cf-connecting-ip": CLIENT_IP } });
    assert.equal(page.status, 200);
    await page.text();
    const fresh = /^nurture_vid=(v1\.k2\.([A-Za-z0-9_-]{22})\.[^;]+);/.exec(page.headers.get("set-cookie") ?? "");
    assert.ok(fresh, "the page mints a new visitor");
    assert.notEqual(fresh[2], v0.visitorId);
    // A form token signed by the dropped key is refused too.
    const staleForm = makeFormToken({ kid: "k1", secret: "first-secret-0123456789", visitorId: v0.visitorId });
    assert.deepEqual(await errorCode(await post(newOnly, { token: staleForm, fields: { email: "a@acme.example" } }, { path: "/v1/forms/contact" })), [403, "invalid_form_token"]);
  } finally {
    await Promise.all([oldOnly.dispose(), both.dispose(), newOnly.dispose()]);
  }
});

test("header injection: only a verified token is ever echoed in x-nurture-visitor or Set-Cookie", async () => {
  const valid = makeToken();
  const ev = { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/" } }] };
  for (const junk of [`${valid}; Domain=evil.example`, `${valid}, other`, `${valid}.x`, `${valid} Secure`]) {
    const header = await post(mf, ev, { headers: { "x-nurture-visitor": junk } });
    assert.equal(header.status, 401, junk);
    assert.equal(header.headers.get("set-cookie"), null);
    assert.equal(header.headers.get("x-nurture-visitor"), null);
  }
  // A cookie header is split on ";", so whatever follows the token is another cookie, never part of it.
  const res = await post(mf, ev, { headers: { cookie: `nurture_vid=${valid}; Domain=evil.example; nurture_vid=x` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-nurture-visitor"), valid);
  // Every Set-Cookie the worker writes has exactly this shape.
  const fresh = await post(mf, ev);
  await fresh.text();
  assert.match(fresh.headers.get("set-cookie"), /^nurture_vid=v1\.k2\.[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=None$/);
});

// ---- CORS and cross-site writes ----------------------------------------------

test("CSRF: a cross-site post with the visitor's cookie, from a disallowed or opaque origin, is refused before anything is stored", async () => {
  const first = await post(mf, { events: [{ type: "page", messageId: "csrf-0", timestamp: Date.now(), properties: { path: "/" } }] });
  const token = first.headers.get("x-nurture-visitor");
  await ok(first);
  const forged = { events: [{ type: "track", event: "Demo Requested", messageId: "csrf-1", timestamp: Date.now() }] };
  // sendBeacon and <form> posts are "simple" requests (no preflight): the
  // browser sends them with the cookie and Origin, so the worker's own
  // Origin check is what stops them.
  for (const origin of ["https://evil.example", "null", `${ORIGIN}.evil.example`, "http://www.example.com"]) {
    const res = await post(mf, forged, { headers: { cookie: `nurture_vid=${token}`, origin, "content-type": "text/plain;charset=UTF-8" } });
    assert.deepEqual(await errorCode(res), [403, "origin_not_allowed"], origin);
  }
  const formPost = await post(mf, undefined, { path: "/v1/forms/contact", raw: "email=a%40b.example", headers: { cookie: `nurture_vid=${token}`, origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" } });
  assert.deepEqual(await errorCode(formPost), [403, "origin_not_allowed"]);
  // Nothing was stored: the same messageId from the real site is new.
  const real = await ok(await post(mf, forged, { headers: { cookie: `nurture_vid=${token}`, origin: ORIGIN } }));
  assert.deepEqual(real.accepted.map((a) => a.id), ["csrf-1"]);
});

test("CORS: ALLOWED_ORIGINS=* lets any site send, but never with credentials, so no other site reads a visitor's token or score", async () => {
  const w = await startWorker({ vars: { ALLOWED_ORIGINS: "*" } });
  try {
    const pre = await w.dispatchFetch("http://worker.test/v1/events", { method: "OPTIONS", headers: { origin: "https://anyone.example", "access-control-request-method": "POST" } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "*");
    assert.equal(pre.headers.get("access-control-allow-credentials"), null);
    const res = await post(w, { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/" } }] }, { headers: { origin: "https://anyone.example" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.equal(res.headers.get("access-control-allow-credentials"), null);
    assert.ok(!(res.headers.get("access-control-expose-headers") ?? "").includes("x-nurture-visitor"));
    await res.text();
  } finally {
    await w.dispose();
  }
  // A listed origin still gets its exact origin and credentials.
  const listed = await post(mf, { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/" } }] }, { headers: { origin: ORIGIN } });
  await ok(listed);
  assert.equal(listed.headers.get("access-control-allow-origin"), ORIGIN);
  assert.equal(listed.headers.get("access-control-allow-credentials"), "true");
});

// ---- (e) caches -----------------------------------------------------------------

test("caches: a conditional GET never turns a personalized page into a 304, and HEAD carries no visitor", async () => {
  // An origin that honours validators, as real ones do.
  const etag = '"v1-page"';
  const page = '<html><head></head><body><div data-nurture-slot="hero">Default</div></body></html>';
  const conditional = http.createServer((req, res) => {
    if (req.headers["if-none-match"] === etag) return res.writeHead(304, { etag }).end();
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", etag, "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT", "cache-control": "public, max-age=300" }).end(page);
  });
  await new Promise((resolve) => conditional.listen(0, "127.0.0.1", resolve));
  const w = await startWorker({ vars: { ORIGIN_URL: `http://127.0.0.1:${conditional.address().port}/` } });
  try {
    const cookie = `nurture_vid=${makeToken()}`;
    const res = await w.dispatchFetch("http://worker.test/", { headers: { cookie, "if-none-match": etag, "cf-connecting-ip": CLIENT_IP } });
    assert.equal(res.status, 200, "the origin saw no validator, so it could not answer 304");
    assert.equal(res.headers.get("x-nurture-personalized"), "1");
    assert.equal(res.headers.get("etag"), null);
    assert.equal(res.headers.get("last-modified"), null);
    assert.equal(res.headers.get("cache-control"), "private, no-store");
    assert.match(await res.text(), /data-nurture-applied=/);
    // An excluded or non-GET request keeps the origin's conditional answer (it is not personalized).
    const head = await w.dispatchFetch("http://worker.test/", { method: "HEAD", headers: { cookie, "if-none-match": etag, "cf-connecting-ip": CLIENT_IP } });
    assert.equal(head.status, 304);
    assert.equal(head.headers.get("set-cookie"), null);
  } finally {
    await w.dispose();
    await new Promise((resolve) => conditional.close(resolve));
  }
  const cookie = `nurture_vid=${makeToken()}`;
  const res = await mf.dispatchFetch("http://worker.test/", { headers: { cookie, "if-modified-since": new Date().toUTCString(), "cf-connecting-ip": CLIENT_IP } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-nurture-personalized"), "1");
  assert.equal(res.headers.get("etag"), null);
  assert.equal(res.headers.get("last-modified"), null);
  assert.equal(res.headers.get("cache-control"), "private, no-store");
  assert.match(res.headers.get("vary"), /\bCookie\b/);
  assert.match(await res.text(), /id="nurture-decisions"/);
  // HEAD goes through as the origin's (shared, unpersonalized) answer: no
  // cookie minted, nothing about the visitor.
  const head = await mf.dispatchFetch("http://worker.test/", { method: "HEAD", headers: { "cf-connecting-ip": CLIENT_IP } });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("set-cookie"), null);
  assert.equal(head.headers.get("x-nurture-personalized"), null);
  assert.equal(head.headers.get("x-nurture-visitor"), null);
  // Every API answer about a visitor is private.
  for (const p of ["/v1/decide", "/v1/forms/contact"]) {
    const api = await mf.dispatchFetch(`http://worker.test${p}`, { headers: { cookie, "cf-connecting-ip": CLIENT_IP } });
    await api.text();
    assert.equal(api.status, 200, p);
    assert.match(api.headers.get("cache-control"), /no-store/, p);
    assert.match(api.headers.get("vary") ?? "", /\bCookie\b/, p);
  }
  const ev = await post(mf, { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/" } }] });
  await ev.text();
  assert.equal(ev.headers.get("cache-control"), "no-store");
});

// ---- privacy --------------------------------------------------------------------

test("privacy: with HASH_EMAIL a form's e-mail reaches the collector only as its SHA-256", async () => {
  const visitorId = makeToken().split(".")[2];
  const email = "Jane.Doe@Acme-Industrial.example";
  const out = await ok(await post(mf, { token: makeFormToken({ visitorId }), fields: { email, company: "Acme" } }, { path: "/v1/forms/contact", headers: { cookie: `nurture_vid=${makeToken({ visitorId })}` } }));
  assert.equal(out.visitorId, visitorId);
  assert.ok(await waitFor(() => forwardedFor(visitorId).some((m) => m.event.event === "Form Submitted")));
  await sleep(300);
  const sent = forwardedFor(visitorId);
  const submitted = sent.find((m) => m.event.event === "Form Submitted");
  const { createHash } = await import("node:crypto");
  assert.equal(submitted.profile.email, `sha256:${createHash("sha256").update(email.trim().toLowerCase()).digest("hex")}`);
  assert.ok(!JSON.stringify(sent).toLowerCase().includes("jane.doe@"), "the address is nowhere in clear");
  assert.equal(submitted.profile.company, "Acme", "HASH_EMAIL covers e-mail only (see SECURITY.md)");
});

test("privacy: the client's IP and request.cf location are used for segments but neither stored nor forwarded", async () => {
  const ip = "198.51.100.213";
  const cf = { country: "NO", city: "Stavanger-Uniquetown", postalCode: "4099-9", region: "Rogaland", asn: 64501, asOrganization: "Example Net" };
  const res = await mf.dispatchFetch("http://worker.test/v1/events", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": ip },
    cf,
    body: JSON.stringify({ events: [{ type: "track", event: "Demo Requested", timestamp: Date.now() }, { type: "identify", traits: { email: "x@acme.example" }, timestamp: Date.now() }] }),
  });
  const body = await ok(res);
  assert.ok(await waitFor(() => forwardedFor(body.visitorId).length >= 2));
  await sleep(300);
  const text = JSON.stringify(forwardedFor(body.visitorId));
  for (const secret of [ip, cf.city, cf.postalCode, cf.asOrganization]) assert.ok(!text.includes(secret), `${secret} was forwarded`);
  const ns = await mf.getDurableObjectNamespace("VISITORS");
  const kept = JSON.stringify(await visitorStub(mf, ns, body.visitorId).inspect());
  for (const secret of [ip, cf.city, cf.postalCode]) assert.ok(!kept.includes(secret), `${secret} was stored`);
});

test("privacy: with CONSENT_REQUIRED a form post without consent sets no cookie; GET /v1/decide mints no visitor", async () => {
  const w = await startWorker({ vars: { CONSENT_REQUIRED: "true", IP_RATE_BURST: "100000" } });
  try {
    const get = await w.dispatchFetch("http://worker.test/v1/forms/contact", { headers: { "cf-connecting-ip": CLIENT_IP } });
    await ok(get);
    assert.equal(get.headers.get("set-cookie"), null);
    // The page sends back the visitor token the GET answered (no cookie).
    const visitorToken = get.headers.get("x-nurture-visitor");
    const visitorId = visitorToken.split(".")[2];
    const headers = { "x-nurture-visitor": visitorToken };
    const posted = await post(w, { token: makeFormToken({ visitorId }), fields: { email: "ops@acme-industrial.example" } }, { path: "/v1/forms/contact", headers });
    await ok(posted);
    assert.equal(posted.headers.get("set-cookie"), null, "no cookie without consent");
    const withConsent = await post(w, { token: makeFormToken({ visitorId }), fields: { email: "ops@acme-industrial.example" }, consent: true }, { path: "/v1/forms/contact", headers });
    await ok(withConsent);
    assert.match(withConsent.headers.get("set-cookie") ?? "", /^nurture_vid=v1\./);
    const decide = await w.dispatchFetch("http://worker.test/v1/decide", { headers: { "cf-connecting-ip": CLIENT_IP } });
    await ok(decide);
    assert.equal(decide.headers.get("set-cookie"), null);
    assert.equal(decide.headers.get("x-nurture-visitor"), null);
  } finally {
    await w.dispose();
  }
});

// ---- (c) floods -------------------------------------------------------------------

test("flood: one address minting a visitor per request is stopped by its IP bucket before any Durable Object", async () => {
  // No refill, so the count does not depend on how fast this machine is.
  const w = await startWorker({ vars: { IP_RATE_BURST: "10", IP_RATE_PER_SECOND: "0" } });
  try {
    const ev = () => ({ events: [{ type: "page", timestamp: Date.now(), properties: { path: "/" } }] });
    const statuses = [];
    const ids = new Set();
    for (let i = 0; i < 25; i++) {
      const res = await post(w, ev(), { headers: { "cf-connecting-ip": "192.0.2.250" } });
      const body = await res.json();
      statuses.push(res.status);
      if (res.status === 200) ids.add(body.visitorId);
      else assert.equal(res.headers.get("set-cookie"), null);
    }
    assert.equal(ids.size, 10, "the burst, then nothing");
    assert.deepEqual(statuses.slice(10), Array(15).fill(429));
    // Forms and decide share the bucket.
    assert.equal((await w.dispatchFetch("http://worker.test/v1/decide", { headers: { "cf-connecting-ip": "192.0.2.250" } })).status, 429);
    assert.equal((await w.dispatchFetch("http://worker.test/v1/forms/contact", { headers: { "cf-connecting-ip": "192.0.2.250" } })).status, 429);
  } finally {
    await w.dispose();
  }
});

test("privacy: HASH_FIELDS and DROP_FIELDS keep named personal fields from the collector, in form posts and in event traits", async () => {
  const c = await startCollector();
  const w = await startWorker({ vars: { COLLECTOR_URL: c.url, HASH_FIELDS: "phone,lastName", DROP_FIELDS: "title", IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000" } });
  try {
    const visitorId = makeToken().split(".")[2];
    const cookie = `nurture_vid=${makeToken({ visitorId })}`;
    const phone = "+44 20 7946 0958";
    const form = await w.dispatchFetch("http://worker.test/v1/forms/contact", {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ token: makeFormToken({ visitorId, asked: ["email", "company", "title", "phone"] }), fields: { email: "sam@northwind.example", company: "Northwind", title: "Head of Stores", phone } }),
    });
    assert.equal(form.status, 200, await form.clone().text());
    const events = await ok(await post(w, { events: [{ type: "identify", messageId: "trait-1", timestamp: Date.now(), traits: { lastName: "Okafor", title: "CTO", company: "Northwind" } }] }, { headers: { cookie } }));
    assert.equal(events.accepted.length, 1);
    const mine = () => [...c.byKey.values()].filter((m) => m.visitorId === visitorId);
    assert.ok(await waitFor(() => mine().some((m) => m.event?.event === "Form Submitted") && mine().some((m) => m.event?.messageId === "trait-1")));
    const sent = mine();
    const text = JSON.stringify(sent);
    for (const clear of ["7946", "Okafor", "Head of Stores", "CTO"]) assert.ok(!text.includes(clear), `${clear} reached the collector`);
    const submitted = sent.find((m) => m.event?.event === "Form Submitted");
    assert.match(submitted.profile.phone, /^sha256:[0-9a-f]{64}$/);
    assert.equal(submitted.profile.title, undefined);
    assert.equal(submitted.profile.email, "sam@northwind.example", "fields not named stay as they are");
    assert.equal(submitted.profile.company, "Northwind");
    const identify = sent.find((m) => m.event?.messageId === "trait-1");
    const { createHash } = await import("node:crypto");
    assert.equal(identify.event.traits.lastName, `sha256:${createHash("sha256").update("okafor").digest("hex")}`);
    assert.equal(identify.event.traits.title, undefined);
  } finally {
    await w.dispose();
    await c.close();
  }
});
