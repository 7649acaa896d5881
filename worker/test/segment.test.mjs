// The Segment HTTP Tracking API routes (routes/segment.js) in workerd:
// hostile input gets a 4xx with a stable code, never a 5xx, and a good
// request still works after each; a batch with bad messages keeps the good
// ones; clock skew is corrected; and what a browser write key may claim
// (the trust rules of /v1/events) versus a server key.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { startWorker, startCollector, waitFor, ok, errorCode, ORIGIN } from "./harness.mjs";
import { makeToken } from "./tokens.mjs";

const SERVER_KEY = "wk_server_0123456789abcdef";
const BROWSER_KEY = "wk_browser_0123456789abcdef";
const basic = (key) => `Basic ${Buffer.from(`${key}:`).toString("base64")}`;

let mf;
let col;
before(async () => {
  col = await startCollector();
  mf = await startWorker({
    vars: {
      COLLECTOR_URL: col.url, WRITE_KEYS: `browser:${BROWSER_KEY},server:${SERVER_KEY}`,
      IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000",
    },
  });
});
after(async () => {
  await mf?.dispose();
  await col?.close();
});

function send(path, body, { key = SERVER_KEY, headers = {}, raw } = {}) {
  return mf.dispatchFetch(`http://worker.test${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: basic(key) } : {}), ...headers },
    body: raw !== undefined ? raw : JSON.stringify(body),
  });
}
const visitorOf = (kind, id) => createHash("sha256").update(`nurture/segment\n${kind}\n${id}`).digest("base64url").slice(0, 22);
const forwardedFor = (visitorId) => [...col.byKey.values()].filter((m) => m.visitorId === visitorId);
let seq = 0;
const track = (extra = {}) => ({ type: "track", event: "File Downloaded", userId: "hostile-check", messageId: `m-${++seq}`, ...extra });
const good = () => ({ batch: [track()] });

const nested = (depth) => {
  let v = "deep";
  for (let i = 0; i < depth; i++) v = { v };
  return v;
};
// A gzip body that unpacks to 2 MB of JSON-ish text: over the 500 KB cap.
const bomb = gzipSync(Buffer.from(`{"batch":[${'"x",'.repeat(500_000)}"x"]}`));

// [name, path, body | {raw}, options, status, code]
const CASES = [
  ["no write key at all", "/v1/batch", good(), { key: null }, 401, "write_key_required"],
  ["an unknown write key (Basic auth)", "/v1/batch", good(), { key: "wk_nobody_knows_this_key" }, 401, "unknown_write_key"],
  ["an unknown key in the header is refused before the body is read", "/v1/batch", { raw: bomb }, { key: "wk_nobody_knows_this_key", headers: { "content-encoding": "gzip" } }, 401, "unknown_write_key"],
  ["an unknown write key in the body", "/v1/batch", { ...good(), writeKey: "wk_nobody_knows_this_key" }, { key: null }, 401, "unknown_write_key"],
  ["a Bearer token instead of Basic", "/v1/batch", good(), { key: null, headers: { authorization: "Bearer abc" } }, 401, "unknown_write_key"],
  ["Basic auth that is not base64", "/v1/batch", good(), { key: null, headers: { authorization: "Basic !!!" } }, 401, "unknown_write_key"],
  ["the header and the body name different keys", "/v1/batch", { ...good(), writeKey: BROWSER_KEY }, {}, 400, "invalid_field"],
  ["writeKey that is not a string", "/v1/batch", { ...good(), writeKey: 42 }, { key: null }, 400, "invalid_field"],
  ["malformed JSON", "/v1/batch", { raw: '{"batch": [' }, {}, 400, "invalid_json"],
  ["invalid UTF-8", "/v1/batch", { raw: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }, {}, 400, "invalid_encoding"],
  ["empty body", "/v1/batch", { raw: "" }, {}, 400, "empty_body"],
  ["the body is a list", "/v1/batch", [track()], {}, 400, "invalid_body"],
  ["the body is a string", "/v1/track", "track", {}, 400, "invalid_body"],
  ["no batch field", "/v1/batch", { messages: [track()] }, {}, 400, "invalid_body"],
  ["batch is not a list", "/v1/batch", { batch: { 0: track() } }, {}, 400, "invalid_field"],
  ["batch is a string", "/v1/batch", { batch: "track" }, {}, 400, "invalid_field"],
  ["an empty batch", "/v1/batch", { batch: [] }, {}, 400, "empty_batch"],
  ["too many messages (501)", "/v1/batch", { batch: Array.from({ length: 501 }, () => ({ type: "page" })) }, {}, 413, "too_many_events"],
  ["a batch over 500 KB", "/v1/batch", { batch: [track({ properties: { blob: "x".repeat(520 * 1024) } })] }, {}, 413, "body_too_large"],
  ["a single message over 32 KB", "/v1/track", track({ properties: { blob: "x".repeat(33 * 1024) } }), {}, 413, "body_too_large"],
  ["a gzip bomb", "/v1/batch", { raw: bomb }, { headers: { "content-encoding": "gzip" } }, 413, "body_too_large"],
  ["gzip declared, not gzip", "/v1/batch", { raw: JSON.stringify(good()) }, { headers: { "content-encoding": "gzip" } }, 400, "invalid_encoding"],
  ["an encoding other than gzip", "/v1/batch", good(), { headers: { "content-encoding": "br" } }, 415, "unsupported_media_type"],
  ["a content type other than JSON", "/v1/batch", good(), { headers: { "content-type": "application/xml" } }, 415, "unsupported_media_type"],
  ["sentAt that is not a date", "/v1/batch", { ...good(), sentAt: "yesterday" }, {}, 400, "invalid_field"],
  ["sentAt of the wrong type", "/v1/batch", { ...good(), sentAt: { when: 1 } }, {}, 400, "invalid_field"],
  ["batch context that is not an object", "/v1/batch", { ...good(), context: "ctx" }, {}, 400, "invalid_field"],
  ["batch context nested too deep", "/v1/batch", { ...good(), context: nested(40) }, {}, 400, "invalid_field"],
  ["a score at the top of a batch", "/v1/batch", { ...good(), grade: "A1" }, {}, 400, "client_score_rejected"],
  ["/v1/track given a page message", "/v1/track", { type: "page", userId: "u" }, {}, 400, "invalid_field"],
  ["a single message with a bad timestamp", "/v1/track", track({ timestamp: "13/45/2026" }), {}, 422, "no_valid_events"],
  ["a single message with a timestamp in seconds", "/v1/track", track({ timestamp: 1_700_000_000 }), {}, 422, "no_valid_events"],
  ["a single message with no identity", "/v1/identify", { traits: { a: 1 } }, {}, 422, "no_valid_events"],
  ["every message of the batch bad", "/v1/batch", { batch: [1, "x", null, { type: "purchase", userId: "u" }, track({ userId: { id: 1 } })] }, {}, 422, "no_valid_events"],
  ["a track without an event name", "/v1/batch", { batch: [{ type: "track", userId: "u" }] }, {}, 422, "no_valid_events"],
  ["a message nested too deep", "/v1/batch", { batch: [track({ properties: nested(40) })] }, {}, 422, "no_valid_events"],
  ["a server key from a browser", "/v1/batch", good(), { headers: { origin: ORIGIN } }, 403, "origin_not_allowed"],
  ["a browser key from an origin not allowed", "/v1/batch", good(), { key: BROWSER_KEY, headers: { origin: "https://evil.example" } }, 403, "origin_not_allowed"],
  ["GET on /v1/batch", "/v1/batch", null, { method: "GET" }, 405, "method_not_allowed"],
];

for (const [name, path, body, opts, status, code] of CASES) {
  test(`segment: ${name} → ${status} ${code}`, async () => {
    const raw = body && typeof body === "object" && "raw" in body ? body.raw : undefined;
    const res = opts.method === "GET"
      ? await mf.dispatchFetch(`http://worker.test${path}`, { headers: { authorization: basic(SERVER_KEY) } })
      : await send(path, body, { ...opts, raw });
    const [got, gotCode] = await errorCode(res);
    assert.ok(got >= 400 && got < 500, `never a 5xx: ${got}`);
    assert.deepEqual([got, gotCode], [status, code]);
    // The worker still serves.
    await ok(await send("/v1/batch", good()));
  });
}

test("segment: WRITE_KEYS is checked at start-up; without it the routes are off", async () => {
  for (const [value, problem] of [
    ["wk_no_source_given_here", /source must be browser or server/],
    ["mobile:wk_0123456789", /source must be browser or server/],
    ["browser:short", /8 to 200 characters/],
    ["browser:wk_0123456789,server:wk_0123456789", /listed twice/],
    ['[{"key": "wk_0123456789"}]', /source must be browser or server/],
    ["[not json", /not a JSON list/],
  ]) {
    const bad = await startWorker({ vars: { WRITE_KEYS: value } });
    try {
      const res = await bad.dispatchFetch("http://worker.test/v1/batch", { method: "POST", headers: { authorization: basic("wk_0123456789") }, body: "{}" });
      const body = await res.json();
      assert.equal(res.status, 500, value);
      assert.equal(body.error.code, "invalid_variable");
      assert.match(body.error.message, problem);
      assert.doesNotMatch(JSON.stringify(body), /wk_0123456789/, "the keys are never echoed");
    } finally {
      await bad.dispose();
    }
  }
  const off = await startWorker();
  try {
    const res = await off.dispatchFetch("http://worker.test/v1/batch", { method: "POST", headers: { authorization: basic(SERVER_KEY) }, body: JSON.stringify(good()) });
    assert.deepEqual(await errorCode(res), [403, "write_keys_unset"]);
  } finally {
    await off.dispose();
  }
  // The JSON form, with names.
  const json = await startWorker({ vars: { WRITE_KEYS: JSON.stringify([{ key: SERVER_KEY, source: "server", name: "backend" }]) } });
  try {
    await ok(await json.dispatchFetch("http://worker.test/v1/batch", { method: "POST", headers: { authorization: basic(SERVER_KEY), "content-type": "application/json" }, body: JSON.stringify(good()) }));
  } finally {
    await json.dispose();
  }
});

test("segment: a batch with bad messages keeps the good ones and lists the bad with their index", async () => {
  const userId = "mixed-batch-user";
  const res = await ok(await send("/v1/batch", {
    batch: [
      track({ userId, messageId: "mixed-1" }),
      { type: "track", userId }, // no event name: the core's reason
      track({ userId, messageId: "mixed-3", timestamp: "not a time" }),
      { type: "alias", userId }, // no previousId: nothing to link
      track({ userId, messageId: "mixed-5", event: "Webinar Attended" }),
      "junk",
    ],
  }));
  assert.equal(res.success, true);
  assert.equal(res.accepted, 2);
  assert.deepEqual(res.rejected.map((r) => r.index), [1, 2, 3, 5]);
  assert.match(res.rejected[1].reason, /timestamp/);
  assert.match(res.rejected[2].reason, /previousId/);
  const visitorId = visitorOf("userId", userId);
  assert.ok(await waitFor(() => forwardedFor(visitorId).filter((m) => m.kind === "event").length === 2));
  // Sent again (the SDK retrying): duplicates by messageId, nothing forwarded twice.
  const again = await ok(await send("/v1/batch", { batch: [track({ userId, messageId: "mixed-1" }), track({ userId, messageId: "mixed-5", event: "Webinar Attended" })] }));
  assert.deepEqual([again.accepted, again.duplicates], [0, 2]);
});

test("segment: the clock skew is corrected from sentAt (timestamp := receivedAt - (sentAt - timestamp))", async () => {
  const userId = "skewed-clock-user";
  // The device's clock is two hours fast: the event happened 30 s before it was sent.
  const deviceNow = Date.now() + 2 * 3600_000;
  const timestamp = new Date(deviceNow - 30_000).toISOString();
  const res = await ok(await send("/v1/batch", { sentAt: new Date(deviceNow).toISOString(), batch: [track({ userId, messageId: "skew-1", timestamp })] }));
  assert.equal(res.accepted, 1, JSON.stringify(res));
  const visitorId = visitorOf("userId", userId);
  assert.ok(await waitFor(() => forwardedFor(visitorId).length > 0));
  const e = forwardedFor(visitorId).find((m) => m.kind === "event").event;
  assert.equal(e.originalTimestamp, timestamp);
  const lag = Date.parse(e.receivedAt) - Date.parse(e.timestamp);
  assert.ok(Math.abs(lag - 30_000) < 50, `corrected to 30 s before receipt: ${lag} ms`);
  // Without sentAt the timestamp stands; without a timestamp it is the time of receipt.
  const past = new Date(Date.now() - 86400_000).toISOString();
  await ok(await send("/v1/track", track({ userId, messageId: "skew-2", timestamp: past })));
  await ok(await send("/v1/track", track({ userId, messageId: "skew-3" })));
  assert.ok(await waitFor(() => forwardedFor(visitorId).filter((m) => m.kind === "event").length === 3));
  const byId = Object.fromEntries(forwardedFor(visitorId).filter((m) => m.kind === "event").map((m) => [m.event.messageId, m.event]));
  assert.equal(byId["skew-2"].timestamp, past);
  assert.equal(byId["skew-3"].timestamp, byId["skew-3"].receivedAt);
});

test("segment: a browser key is a browser: back-office actions unscored, its userId names no one, a token's visitor is its own", async () => {
  // A back office reports a webinar for the known user "ceo@acme".
  const ceo = visitorOf("userId", "ceo@acme");
  await ok(await send("/v1/track", { type: "track", event: "Webinar Attended", userId: "ceo@acme", messageId: "bo-1" }));
  assert.ok(await waitFor(() => forwardedFor(ceo).length > 0));
  const before = forwardedFor(ceo).length;

  // A page (browser key, allowed origin, text/plain as analytics.js sends it)
  // claims to be that user and reports the same back-office actions.
  const anonymousId = "3b241101-e2bb-4255-8caf-4136c566a962";
  const res = await ok(await send("/v1/batch", {
    writeKey: BROWSER_KEY,
    batch: [
      { type: "identify", anonymousId, userId: "ceo@acme", traits: { title: "CEO", grade: "A1" }, messageId: "br-1" },
      { type: "track", event: "Webinar Attended", anonymousId, userId: "ceo@acme", messageId: "br-2" },
      { type: "track", event: "Demo Requested", anonymousId, userId: "ceo@acme", messageId: "br-3" },
      { type: "page", anonymousId, properties: { url: "https://www.example.com/pricing" }, messageId: "br-4" },
      { type: "track", event: "File Downloaded", userId: "ceo@acme", messageId: "br-5" }, // no anonymousId
    ],
  }, { key: null, headers: { origin: ORIGIN, "content-type": "text/plain" } }));
  assert.equal(res.accepted, 4);
  assert.deepEqual(res.rejected.map((r) => r.index), [4]);
  assert.match(res.rejected[0].reason, /anonymousId/);
  assert.deepEqual(res.unscored.map((u) => u.index).sort(), [1, 2], "back-office actions from a page score nothing");
  const own = visitorOf("anonymousId", anonymousId);
  assert.ok(await waitFor(() => forwardedFor(own).filter((m) => m.kind === "event").length === 4));
  for (const m of forwardedFor(own)) {
    if (m.kind !== "event") continue;
    assert.equal(m.event.channel, "browser");
    // The page's "CEO" is a claim: no fit from it, and no forwarded grade trait.
    assert.deepEqual(m.score.breakdown.fit.filter((b) => b.points > 0), []);
    assert.equal(m.event.traits?.grade, undefined);
  }
  assert.equal(forwardedFor(ceo).length, before, "the claimed user's visitor got nothing");

  // A browser key cannot name a nurture visitor by its id either: the id as
  // an anonymousId is hashed like any other.
  const target = "Z".repeat(22);
  await ok(await send("/v1/page", { anonymousId: target, messageId: "br-6", writeKey: BROWSER_KEY }, { key: null, headers: { origin: ORIGIN } }));
  assert.ok(await waitFor(() => forwardedFor(visitorOf("anonymousId", target)).length > 0));
  assert.equal(forwardedFor(target).length, 0);

  // With the visitor's own token (the cookie, same origin), the messages go
  // to that visitor, as /v1/events would; no token is minted or handed out.
  const visitorId = "T".repeat(21) + "w";
  const page = await send("/v1/page", { anonymousId, messageId: "br-7", writeKey: BROWSER_KEY }, { key: null, headers: { origin: ORIGIN, cookie: `nurture_vid=${makeToken({ visitorId })}` } });
  assert.equal(page.headers.get("set-cookie"), null);
  assert.equal(page.headers.get("x-nurture-visitor"), null);
  assert.equal(page.headers.get("access-control-allow-origin"), ORIGIN);
  await ok(page);
  assert.ok(await waitFor(() => forwardedFor(visitorId).length > 0));

  // A server key may name a nurture visitor by id (a back office joining the page's visitor).
  await ok(await send("/v1/track", { event: "Webinar Attended", anonymousId: visitorId, messageId: "bo-2" }));
  assert.ok(await waitFor(() => forwardedFor(visitorId).some((m) => m.event?.messageId === "bo-2" && m.event.channel === "server")));
});

test("segment: a page whose own token names an erased visitor gets /v1/events's 401 visitor_erased and an expired cookie", async () => {
  const visitorId = "E".repeat(21) + "x";
  const cookie = `nurture_vid=${makeToken({ visitorId })}`;
  await ok(await send("/v1/page", { anonymousId: "erased-page-anon", messageId: "er-1", writeKey: BROWSER_KEY }, { key: null, headers: { origin: ORIGIN, cookie } }));
  await ok(await mf.dispatchFetch("http://worker.test/v1/visitor", { method: "DELETE", headers: { cookie } }));
  const res = await send("/v1/page", { anonymousId: "erased-page-anon", messageId: "er-2", writeKey: BROWSER_KEY }, { key: null, headers: { origin: ORIGIN, cookie } });
  assert.match(res.headers.get("set-cookie") ?? "", /nurture_vid=;.*Max-Age=0/i);
  assert.deepEqual(await errorCode(res), [401, "visitor_erased"]);
  // Without the cookie, the browser's anonymousId names a visitor of its own.
  await ok(await send("/v1/page", { anonymousId: "erased-page-anon", messageId: "er-3", writeKey: BROWSER_KEY }, { key: null, headers: { origin: ORIGIN } }));
});

test("segment: the preflight of a browser SDK (Basic auth header) is allowed for listed origins only", async () => {
  const pre = await mf.dispatchFetch("http://worker.test/v1/t", {
    method: "OPTIONS",
    headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
  });
  assert.equal(pre.status, 204);
  assert.match(pre.headers.get("access-control-allow-headers"), /authorization/);
  const evil = await mf.dispatchFetch("http://worker.test/v1/t", { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
  assert.deepEqual(await errorCode(evil), [403, "origin_not_allowed"]);
});

test("segment: a visitor's rate limit answers the whole request 429 (the SDK resends), the other visitors' messages are taken once", async () => {
  const c = await startCollector();
  const limited = await startWorker({ vars: { COLLECTOR_URL: c.url, WRITE_KEYS: `server:${SERVER_KEY}`, VISITOR_RATE_BURST: "1", VISITOR_RATE_PER_SECOND: "1" } });
  const post = (batch) => limited.dispatchFetch("http://worker.test/v1/batch", { method: "POST", headers: { authorization: basic(SERVER_KEY), "content-type": "application/json" }, body: JSON.stringify({ batch }) });
  const a = (id) => ({ type: "track", event: "File Downloaded", userId: "busy-user", messageId: id });
  const b = { type: "track", event: "File Downloaded", userId: "calm-user", messageId: "calm-1" };
  try {
    await ok(await post([a("busy-1")]));
    const res = await post([a("busy-2"), b]);
    assert.deepEqual(await errorCode(res), [429, "rate_limited"]);
    assert.ok(Number(res.headers.get("retry-after")) >= 1);
    const calm = visitorOf("userId", "calm-user");
    const forwarded = (v) => [...c.byKey.values()].filter((m) => m.kind === "event" && m.visitorId === v);
    assert.ok(await waitFor(() => forwarded(calm).length === 1), "the other visitor's message is taken and forwarded");
    await new Promise((r) => setTimeout(r, 1100));
    const again = await ok(await post([a("busy-2"), b]));
    assert.deepEqual([again.accepted, again.duplicates], [1, 1]);
    assert.ok(await waitFor(() => forwarded(visitorOf("userId", "busy-user")).length === 2));
    assert.equal(forwarded(calm).length, 1);
    assert.equal(c.stats.duplicates, 0, "nothing forwarded twice");
  } finally {
    await limited.dispose();
    await c.close();
  }
});

test("segment: with CONSENT_REQUIRED a browser key's message needs Segment's consent object with a nurture category", async () => {
  const c = await startCollector();
  const strict = await startWorker({ vars: { COLLECTOR_URL: c.url, WRITE_KEYS: `browser:${BROWSER_KEY}`, CONSENT_REQUIRED: "true" } });
  const anonymousId = "c0nsent-0000-4000-8000-000000000001";
  const consent = (nurture) => ({ consent: { categoryPreferences: { Analytics: true, nurture } } });
  try {
    const res = await ok(await strict.dispatchFetch("http://worker.test/v1/batch", {
      method: "POST",
      headers: { "content-type": "text/plain", origin: ORIGIN },
      body: JSON.stringify({
        writeKey: BROWSER_KEY,
        batch: [
          { type: "page", anonymousId, messageId: "c-1" },
          { type: "page", anonymousId, messageId: "c-2", context: consent(false) },
          { type: "page", anonymousId, messageId: "c-3", context: consent(true) },
        ],
      }),
    }));
    assert.equal(res.accepted, 1);
    assert.deepEqual(res.ignored.map((i) => i.index), [0, 1]);
    const visitorId = visitorOf("anonymousId", anonymousId);
    assert.ok(await waitFor(() => [...c.byKey.values()].some((m) => m.visitorId === visitorId)));
    assert.deepEqual([...c.byKey.values()].filter((m) => m.kind === "event").map((m) => m.event.messageId), ["c-3"]);
  } finally {
    await strict.dispose();
    await c.close();
  }
});
