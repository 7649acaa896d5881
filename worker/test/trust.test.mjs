// The hostile review's findings on identity and trust (SECURITY.md), each
// against the built worker in workerd: what a browser may claim, what a
// form token is worth, what a form GET gives away, which client a rate limit
// counts, and the small ones (Vary, bytes, slow bodies, an empty header).
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { randomBytes } from "node:crypto";
import { startWorker, startCollector, post, waitFor, ok, errorCode, ADMIN_TOKEN, ORIGIN } from "./harness.mjs";
import { makeToken } from "./tokens.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const INGEST_TOKEN = "ingest-token-for-tests-only";

let mf;
let col;

before(async () => {
  col = await startCollector();
  mf = await startWorker({ vars: { COLLECTOR_URL: col.url, INGEST_TOKEN, IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000", ADMIN_RATE_BURST: "100000" } });
});
after(async () => {
  await mf?.dispose();
  await col?.close();
});

const forwardedFor = (visitorId) => [...col.byKey.values()].filter((m) => m.visitorId === visitorId);
const inspect = async (visitorId) => {
  const ns = await mf.getDurableObjectNamespace("VISITORS");
  return ns.get(ns.idFromName(visitorId)).inspect();
};

/** The anonymous "CEO" of the review: every fit trait and every high-value action, self-declared. */
function inventedLead(now) {
  const events = [
    { type: "identify", timestamp: now - 5000, traits: { title: "CEO", company: "Acme Oil", companySize: 5000, industry: "Oil & Gas", budget: "approved", authority: "decision maker", timeline: "this quarter", country: "US", email: "ceo@acme-oil.example", score: 100, grade: "A1", mql: true, tier: "hot" } },
    { type: "track", event: "Offline Event Attended", timestamp: now - 4000 },
    { type: "track", event: "Webinar Attended", timestamp: now - 3000 },
    { type: "track", event: "Demo Requested", timestamp: now - 2000 },
  ];
  for (let i = 0; i < 10; i++) events.push({ type: "track", event: "Offline Event Attended", timestamp: now - 1900 + i, messageId: `off-${i}` });
  for (let i = 0; i < 5; i++) events.push({ type: "track", event: "Email Clicked", timestamp: now - 1000 + i, messageId: `click-${i}` });
  for (let i = 0; i < 30; i++) events.push({ type: "page", timestamp: now - 500 + i, messageId: `pv-${i}`, properties: { path: i % 2 ? "/pricing" : "/demo", dwellSeconds: 120 } });
  return events;
}

test("an anonymous browser that declares itself a CEO and reports back-office actions is not qualified, and no Lead Qualified is forwarded", async () => {
  const now = Date.now();
  const res = await post(mf, { events: inventedLead(now) }, { headers: { "cf-connecting-ip": "192.0.2.200" } });
  const body = await ok(res);
  assert.equal(body.rejected.length, 0, JSON.stringify(body.rejected));
  assert.equal(body.score.mql, false, JSON.stringify(body.score));
  assert.notEqual(body.score.grade, "A1");
  assert.match(body.score.grade, /^D/, "fit from self-declared traits does not count");
  // Each back-office action is kept (stored, forwarded) with its reason.
  const unscoredEvents = new Set(body.unscored.map((u) => u.index));
  for (const i of [1, 2, 3]) assert.ok(unscoredEvents.has(i), `event ${i} is listed as unscored: ${JSON.stringify(body.unscored)}`);
  for (const u of body.unscored) assert.match(u.reason, /back-office|server/i);
  assert.ok(body.unscored.some((u) => u.rule === "live-stream"));
  assert.ok(body.unscored.some((u) => u.rule === "sales-request"));
  assert.ok(body.unscored.some((u) => u.rule === "email-click"));

  const kept = await inspect(body.visitorId);
  for (const k of ["score", "grade", "mql", "tier", "title", "companySize", "budget"]) {
    assert.equal(k in kept.profile, false, `${k} is not in the profile that scores`);
  }
  assert.equal(kept.last.mql, false);
  await waitFor(() => forwardedFor(body.visitorId).filter((m) => m.kind === "event").length >= 49, { timeoutMs: 10_000 });
  await sleep(300);
  const forwarded = forwardedFor(body.visitorId);
  assert.ok(forwarded.length >= 49, `the events themselves are forwarded (${forwarded.length})`);
  assert.equal(forwarded.filter((m) => m.event?.event === "Lead Qualified").length, 0);
  for (const m of forwarded) {
    assert.equal(m.event.channel, m.kind === "event" ? "browser" : m.event.channel, "every browser event is marked as such");
    if (m.event.traits) for (const k of ["score", "grade", "mql", "tier"]) assert.equal(k in m.event.traits, false, `${k} not forwarded in traits`);
  }
});

test("the same actions reported by a back-office source (ingest token) count, and its traits count for fit", async () => {
  const visitorId = randomBytes(16).toString("base64url");
  const now = Date.now();
  const send = (body, token = INGEST_TOKEN) => mf.dispatchFetch("http://worker.test/v1/admin/events", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "cf-connecting-ip": "192.0.2.201" },
    body: JSON.stringify(body),
  });
  const events = [
    { type: "identify", timestamp: now - 5000, traits: { title: "VP of Operations", company: "PetroChina", companySize: 5000, industry: "Oil & Gas", email: "li.wei@petrochina.example", score: 1 } },
    { type: "track", event: "Offline Event Attended", timestamp: now - 4000 },
    { type: "track", event: "Webinar Attended", timestamp: now - 3000 },
    { type: "track", event: "Demo Requested", timestamp: now - 2000 },
  ];
  const body = await ok(await send({ visitorId, events }));
  assert.deepEqual(body.unscored, []);
  assert.ok(body.score.engagement >= 100, JSON.stringify(body.score));
  assert.ok(body.score.fit >= 60, JSON.stringify(body.score));
  assert.equal(body.score.mql, true);
  assert.ok(await waitFor(() => forwardedFor(visitorId).some((m) => m.event?.event === "Lead Qualified"), { timeoutMs: 10_000 }));
  const kept = await inspect(visitorId);
  assert.equal(kept.profile.title, "VP of Operations");
  assert.equal("score" in kept.profile, false);
  // ADMIN_TOKEN works as well; a wrong token does not.
  assert.equal((await send({ visitorId, events: [{ type: "page", timestamp: now }] }, ADMIN_TOKEN)).status, 200);
  assert.deepEqual(await errorCode(await send({ visitorId, events }, "wrong")), [401, "unauthorized"]);
});

test("the model's offline-event rule is capped: ten reported by a back-office source count twice", async () => {
  const visitorId = randomBytes(16).toString("base64url");
  const now = Date.now();
  const events = Array.from({ length: 10 }, (_, i) => ({ type: "track", event: "Offline Event Attended", timestamp: now - 10_000 + i, messageId: `o${i}` }));
  const res = await mf.dispatchFetch("http://worker.test/v1/admin/events", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${INGEST_TOKEN}` },
    body: JSON.stringify({ visitorId, events }),
  });
  const body = await ok(res);
  assert.ok(body.score.engagement <= 100.5 && body.score.engagement >= 99, `two offline events, not ten: ${body.score.engagement}`);
});

// ---- forms --------------------------------------------------------------------

function form(path, { method = "GET", headers = {}, body } = {}) {
  const init = { method, headers: { "cf-connecting-ip": "192.0.2.210", ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["content-type"] = "application/json";
  }
  return mf.dispatchFetch(`http://worker.test${path}`, init);
}

const FIELDS = { email: "maria.lopez@refinery.example", company: "Refinery Example", title: "Plant Manager", industry: "Oil & gas", website_url: "" };

test("a form token is not an identity: without the visitor's own token or cookie the post is refused and nobody's token is handed out", async () => {
  const victim = await form("/v1/forms/contact");
  const victimForm = await ok(victim);
  const victimToken = victim.headers.get("x-nurture-visitor");
  await sleep(2100);
  // The attacker has only the form token.
  const alone = await form("/v1/forms/contact", { method: "POST", body: { token: victimForm.token, fields: FIELDS } });
  assert.deepEqual(await errorCode(alone), [401, "visitor_required"]);
  assert.equal(alone.headers.get("set-cookie"), null);
  assert.equal(alone.headers.get("x-nurture-visitor"), null);
  // ... or the form token with a visitor token of their own.
  const own = makeToken();
  const mixed = await form("/v1/forms/contact", { method: "POST", headers: { "x-nurture-visitor": own }, body: { token: victimForm.token, fields: FIELDS } });
  assert.deepEqual(await errorCode(mixed), [403, "form_token_wrong_visitor"]);
  assert.equal(mixed.headers.get("set-cookie"), null);
  const victimId = victimToken.split(".")[2];
  assert.equal((await inspect(victimId)).profile.email, undefined, "the victim's profile is untouched");
  // The victim, with their token, posts fine.
  const mine = await ok(await form("/v1/forms/contact", { method: "POST", headers: { "x-nurture-visitor": victimToken }, body: { token: victimForm.token, fields: FIELDS } }));
  assert.equal(mine.visitorId, victimId);
});

test("a form token is good for one accepted submission, and the minimum fill time applies to every attempt", async () => {
  const got = await form("/v1/forms/contact");
  const { token } = await ok(got);
  const headers = { "x-nurture-visitor": got.headers.get("x-nurture-visitor") };
  await sleep(2100);
  // A refused post (a typo), then at once the corrected one: too fast.
  const typo = await form("/v1/forms/contact", { method: "POST", headers, body: { token, fields: { ...FIELDS, email: "not an address" } } });
  assert.deepEqual(await errorCode(typo), [422, "invalid_fields"]);
  const rushed = await form("/v1/forms/contact", { method: "POST", headers, body: { token, fields: FIELDS } });
  assert.deepEqual(await errorCode(rushed), [422, "bot_suspected"]);
  await sleep(2100);
  const done = await ok(await form("/v1/forms/contact", { method: "POST", headers, body: { token, fields: FIELDS } }));
  assert.equal(done.valid, true);
  // The same token again: refused, straight away or later.
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await errorCode(await form("/v1/forms/contact", { method: "POST", headers, body: { token, fields: FIELDS } })), [409, "form_token_used"]);
  }
  // The answer's next token works once the fill time has passed.
  await sleep(2100);
  const next = await form("/v1/forms/contact", { method: "POST", headers, body: { token: done.next.token, fields: { email: FIELDS.email, companySize: "1000+" } } });
  assert.equal(next.status, 200, await next.text());
});

test("a validated form post counts as a back-office Form Submitted; the same claim from a page scores nothing", async () => {
  const got = await form("/v1/forms/contact");
  const { token } = await ok(got);
  const headers = { "x-nurture-visitor": got.headers.get("x-nurture-visitor") };
  const claimed = await ok(await post(mf, { events: [{ type: "track", event: "Form Submitted", timestamp: Date.now() }] }, { headers }));
  assert.equal(claimed.score.engagement, 0, JSON.stringify(claimed));
  assert.equal(claimed.unscored[0].rule, "form-submit");
  await sleep(2100);
  const done = await ok(await form("/v1/forms/contact", { method: "POST", headers, body: { token, fields: FIELDS } }));
  assert.equal(done.score.engagement, 15, JSON.stringify(done.score));
});

test("a form GET says which fields are known, never their stored values", async () => {
  const got = await form("/v1/forms/contact");
  const { token } = await ok(got);
  const headers = { "x-nurture-visitor": got.headers.get("x-nurture-visitor") };
  await sleep(2100);
  const posted = await ok(await form("/v1/forms/contact", { method: "POST", headers, body: { token, fields: FIELDS } }));
  for (const f of posted.next.fields) assert.equal("value" in f, false);
  const again = await form("/v1/forms/contact", { headers });
  const text = await again.text();
  assert.equal(again.status, 200, text);
  assert.ok(!text.toLowerCase().includes("maria.lopez"), "no stored e-mail");
  assert.ok(!text.includes("Refinery") && !text.includes("Plant Manager"), "no stored company or title");
  const fields = JSON.parse(text).fields;
  const email = fields.find((f) => f.name === "email");
  assert.equal(email.known, true);
  assert.equal("value" in email, false);
  assert.ok(fields.filter((f) => f.name !== "email").every((f) => f.known === false));
});

// ---- rate limits ---------------------------------------------------------------

test("not behind Cloudflare: a client rotating CF-Connecting-IP is limited, a visitor with a token is not starved, and admin routes are limited", async () => {
  const w = await startWorker({
    vars: { BEHIND_CLOUDFLARE: "false", SHARED_RATE_BURST: "20", SHARED_RATE_PER_SECOND: "0", IP_RATE_BURST: "10", IP_RATE_PER_SECOND: "0", ADMIN_RATE_BURST: "5", ADMIN_RATE_PER_SECOND: "0" },
  });
  try {
    const page = () => ({ events: [{ type: "page", timestamp: Date.now(), properties: { path: "/" } }] });
    // A visitor who already has a token.
    const first = await post(w, page(), { headers: { "cf-connecting-ip": "198.51.100.250" } });
    const token = first.headers.get("x-nurture-visitor");
    const statuses = [];
    for (let i = 0; i < 40; i++) {
      statuses.push((await post(w, page(), { headers: { "cf-connecting-ip": `198.51.${i}.${(i * 7) % 250}` } })).status);
    }
    assert.ok(statuses.filter((st) => st === 200).length <= 20, `rotating the header passes at most the shared burst: ${statuses}`);
    assert.ok(statuses.slice(-10).every((st) => st === 429), `the tail is limited: ${statuses}`);
    assert.equal((await post(w, page(), { headers: { "x-nurture-visitor": token, "cf-connecting-ip": "203.0.113.99" } })).status, 200, "a visitor with a token is served");
    // The header does not place anyone in a named account's range either.
    const decided = await ok(await w.dispatchFetch("http://worker.test/v1/decide", { headers: { "x-nurture-visitor": token, "cf-connecting-ip": "203.0.113.10" } }));
    assert.equal(decided.segments.includes("key-account"), false, JSON.stringify(decided.segments));
    // Admin: guessing the token is limited too.
    const admin = [];
    for (let i = 0; i < 8; i++) {
      admin.push((await w.dispatchFetch("http://worker.test/v1/admin/dead-letters", { headers: { authorization: `Bearer guess-${i}` } })).status);
    }
    assert.deepEqual(admin.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.ok(admin.slice(5).every((st) => st === 429), `admin guesses limited: ${admin}`);
  } finally {
    await w.dispose();
  }
});

// ---- the small ones ------------------------------------------------------------

test("an empty x-nurture-visitor header does not override a valid cookie", async () => {
  const first = await ok(await post(mf, { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/" } }] }));
  const cookie = `nurture_vid=${makeToken({ visitorId: first.visitorId })}`;
  for (const empty of ["", "   "]) {
    const res = await post(mf, { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/x" } }] }, { headers: { cookie, "x-nurture-visitor": empty } });
    const body = await ok(res);
    assert.equal(body.visitorId, first.visitorId);
  }
});

test("Vary names both Origin and Cookie on a CORS answer that depends on the cookie", async () => {
  const res = await mf.dispatchFetch("http://worker.test/v1/decide", { headers: { origin: ORIGIN } });
  assert.equal(res.status, 200, await res.text());
  const vary = res.headers.get("vary").split(",").map((v) => v.trim().toLowerCase());
  assert.ok(vary.includes("origin") && vary.includes("cookie"), res.headers.get("vary"));
});

test("the per-event cap counts bytes: 1,500 CJK characters are 4,500 bytes, over the 4,096 cap", async () => {
  const now = Date.now();
  const body = await ok(await post(mf, { events: [
    { type: "page", timestamp: now, properties: { path: "/", note: "營".repeat(1500) } },
    { type: "page", timestamp: now, properties: { path: "/", note: "a".repeat(1500) } },
  ] }));
  assert.deepEqual(body.rejected.map((r) => [r.index, r.reason]), [[0, "event: larger than 4096 bytes"]]);
  assert.equal(body.accepted.length, 1);
});

test("a body dribbled slowly is refused with 408; a connection closed mid-body leaves the worker serving", async () => {
  const w = await startWorker({ vars: { BODY_TIMEOUT_MS: "600", IP_RATE_BURST: "100000" } });
  try {
    const url = new URL(await w.ready);
    // A real socket that sends a byte every 200 ms of a 1,000-byte body.
    const t0 = Date.now();
    const answer = await new Promise((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: "/v1/events", method: "POST", headers: { "content-type": "application/json", "content-length": "1000" } });
      let timer;
      req.on("response", (res) => {
        clearInterval(timer);
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => {
          req.destroy();
          resolve({ status: res.statusCode, text });
        });
      });
      req.on("error", (err) => {
        clearInterval(timer);
        reject(err);
      });
      req.write("{");
      timer = setInterval(() => req.write(" "), 200);
      setTimeout(() => {
        clearInterval(timer);
        req.destroy();
        reject(new Error("no answer within 8 s"));
      }, 8000).unref();
    });
    assert.equal(answer.status, 408, answer.text);
    assert.equal(JSON.parse(answer.text).error.code, "body_timeout");
    assert.ok(Date.now() - t0 < 5000, "refused near the deadline, not when the client gives up");

    // Half a body, then the connection closes.
    await new Promise((resolve) => {
      const req = http.request({ host: url.hostname, port: url.port, path: "/v1/events", method: "POST", headers: { "content-type": "application/json", "content-length": "1000" } });
      req.on("error", () => resolve());
      req.write('{"events":[{"type":"pa');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
    await sleep(300);
    const after = await post(w, { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/" } }] });
    assert.equal(after.status, 200, await after.text());
  } finally {
    await w.dispose();
  }
});
