// A table of bad requests: each must get a 4xx with a stable error code and
// a JSON body {error: {code, message}}, never a 5xx, and the worker must
// answer a good request right after each one.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { startWorker, post, ADMIN_TOKEN, ORIGIN } from "./harness.mjs";
import { makeToken } from "./tokens.mjs";

let mf;
const now = Date.now();
const page = (extra = {}) => ({ type: "page", timestamp: now, properties: { path: "/pricing" }, ...extra });
const good = { events: [page()] };
const nested = (depth) => {
  let v = "deep";
  for (let i = 0; i < depth; i++) v = { v };
  return v;
};
const valid = makeToken();
const tampered = valid.slice(0, -2) + (valid.endsWith("AA") ? "BB" : "AA");
const otherVisitor = valid.split(".");
otherVisitor[2] = "A".repeat(22);

// [name, request, status, code]; request: {body | raw, headers, method, path}
const CASES = [
  ["malformed JSON", { raw: '{"events": [' }, 400, "invalid_json"],
  ["trailing garbage after JSON", { raw: '{"events": []} x' }, 400, "invalid_json"],
  ["JSON with single quotes", { raw: "{'events': []}" }, 400, "invalid_json"],
  ["empty body", { raw: "" }, 400, "empty_body"],
  ["no body at all", { noBody: true }, 400, "empty_body"],
  ["body is null", { raw: "null" }, 400, "invalid_body"],
  ["body is a list", { body: [page()] }, 400, "invalid_body"],
  ["body is a string", { body: "events" }, 400, "invalid_body"],
  ["body is a number", { raw: "42" }, 400, "invalid_body"],
  ["no events field", { body: {} }, 400, "invalid_body"],
  ["events is a string", { body: { events: "page" } }, 400, "invalid_field"],
  ["events is an object", { body: { events: { 0: page() } } }, 400, "invalid_field"],
  ["events is null", { body: { events: null } }, 400, "invalid_field"],
  ["events is empty", { body: { events: [] } }, 400, "empty_batch"],
  ["too many events", { body: { events: Array.from({ length: 21 }, () => page()) } }, 413, "too_many_events"],
  ["oversize body (Content-Length)", { raw: JSON.stringify({ events: [page({ properties: { path: "/" + "a".repeat(9000) } })] }) }, 413, "body_too_large"],
  ["oversize body (streamed, no Content-Length)", { stream: 20_000 }, 413, "body_too_large"],
  ["invalid UTF-8", { rawBytes: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }, 400, "invalid_encoding"],
  ["consent is a string", { body: { ...good, consent: "yes" } }, 400, "invalid_field"],
  ["consent is a number", { body: { ...good, consent: 1 } }, 400, "invalid_field"],
  ["sentAt is an object", { body: { ...good, sentAt: {} } }, 400, "invalid_field"],
  ["context is a string", { body: { ...good, context: "ctx" } }, 400, "invalid_field"],
  ["context nested too deep", { body: { ...good, context: nested(40) } }, 400, "invalid_field"],
  ["forged grade at the top", { body: { ...good, grade: "A1" } }, 400, "client_score_rejected"],
  ["forged score at the top", { body: { ...good, score: 100 } }, 400, "client_score_rejected"],
  ["forged fit and engagement", { body: { ...good, fit: { score: 100 }, engagement: { score: 100 } } }, 400, "client_score_rejected"],
  ["forged mql", { body: { ...good, mql: { qualified: true } } }, 400, "client_score_rejected"],
  ["unknown top-level field", { body: { ...good, writeKey: "abc" } }, 400, "unknown_field"],
  ["__proto__ at the top", { raw: `{"events":[${JSON.stringify(page())}],"__proto__":{"admin":true}}` }, 400, "unknown_field"],
  ["constructor at the top", { raw: `{"events":[${JSON.stringify(page())}],"constructor":{"prototype":{}}}` }, 400, "unknown_field"],
  ["every event is not an object", { body: { events: [1, "x", null, true, []] } }, 422, "no_valid_events"],
  ["unknown event type", { body: { events: [{ type: "click", timestamp: now }] } }, 422, "no_valid_events"],
  ["event type is a number", { body: { events: [{ type: 7, timestamp: now }] } }, 422, "no_valid_events"],
  ["track without a name", { body: { events: [{ type: "track", timestamp: now }] } }, 422, "no_valid_events"],
  ["timestamp is prose", { body: { events: [page({ timestamp: "yesterday" })] } }, 422, "no_valid_events"],
  ["timestamp a day in the future", { body: { events: [page({ timestamp: now + 86_400_000 })] } }, 422, "no_valid_events"],
  ["timestamp absurdly negative", { body: { events: [page({ timestamp: -1e20 })] } }, 422, "no_valid_events"],
  ["messageId is an object", { body: { events: [page({ messageId: { $gt: "" } })] } }, 422, "no_valid_events"],
  ["messageId 300 characters long", { body: { events: [page({ messageId: "m".repeat(300) })] } }, 422, "no_valid_events"],
  ["event nested 40 deep", { body: { events: [page({ properties: nested(40) })] } }, 422, "no_valid_events"],
  ["event over the per-event size cap", { body: { events: [page({ properties: { path: "/", note: "x".repeat(5000) } })] } }, 422, "no_valid_events"],
  ["tags are not a list", { body: { events: [page({ properties: { path: "/", tags: "pricing" } })] } }, 422, "no_valid_events"],
  ["hostile type: script tag", { body: { events: [{ type: "<script>alert(1)</script>", timestamp: now }] } }, 422, "no_valid_events"],
  ["hostile type: NUL and lone surrogate", { raw: '{"events":[{"type":"pa\\u0000ge\\ud800","timestamp":1}]}' }, 422, "no_valid_events"],
  ["hostile type: SQL", { body: { events: [{ type: "page'; DROP TABLE visitors;--", timestamp: now }] } }, 422, "no_valid_events"],
  ["hostile event name 10 000 characters", { body: { events: [{ type: "track", event: "E".repeat(3000), timestamp: now }] } }, 422, "no_valid_events"],
  ["content-type text/html", { body: good, headers: { "content-type": "text/html" } }, 415, "unsupported_media_type"],
  ["content-type form-urlencoded", { raw: "events=1", headers: { "content-type": "application/x-www-form-urlencoded" } }, 415, "unsupported_media_type"],
  ["content-type multipart", { raw: "--x--", headers: { "content-type": "multipart/form-data; boundary=x" } }, 415, "unsupported_media_type"],
  ["no content-type", { rawBytes: Buffer.from(JSON.stringify(good)), headers: { "content-type": "" } }, 415, "unsupported_media_type"],
  ["GET /v1/events", { method: "GET", body: undefined }, 405, "method_not_allowed"],
  ["PUT /v1/events", { method: "PUT" }, 405, "method_not_allowed"],
  ["DELETE /v1/events", { method: "DELETE", body: undefined }, 405, "method_not_allowed"],
  ["PATCH /v1/events", { method: "PATCH" }, 405, "method_not_allowed"],
  ["unknown route", { path: "/v1/nope" }, 404, "not_found"],
  ["trailing slash", { path: "/v1/events/" }, 404, "not_found"],
  ["path traversal", { path: "/v1/../v1/admin/replay%2f..%2fevents" }, 404, "not_found"],
  ["tampered visitor cookie", { body: good, headers: { cookie: `nurture_vid=${tampered}` } }, 401, "invalid_visitor_token"],
  ["cookie moved to another visitor id", { body: good, headers: { cookie: `nurture_vid=${otherVisitor.join(".")}` } }, 401, "invalid_visitor_token"],
  ["expired visitor cookie", { body: good, headers: { cookie: `nurture_vid=${makeToken({ iat: Math.floor(now / 1000) - 400 * 86400 })}` } }, 401, "visitor_token_expired"],
  ["cookie from a foreign key id", { body: good, headers: { cookie: `nurture_vid=${makeToken({ kid: "k9", secret: "someone-elses-secret-000" })}` } }, 401, "unknown_key_id"],
  ["known key id, wrong secret", { body: good, headers: { cookie: `nurture_vid=${makeToken({ secret: "guessed-secret-000000000" })}` } }, 401, "invalid_visitor_token"],
  ["token issued in the future", { body: good, headers: { cookie: `nurture_vid=${makeToken({ iat: Math.floor(now / 1000) + 86400 })}` } }, 401, "invalid_visitor_token"],
  ["garbage token", { body: good, headers: { cookie: "nurture_vid=garbage" } }, 401, "invalid_visitor_token"],
  ["token of another version", { body: good, headers: { cookie: `nurture_vid=${valid.replace(/^v1/, "v2")}` } }, 401, "invalid_visitor_token"],
  ["tampered token in the header", { body: good, headers: { "x-nurture-visitor": tampered } }, 401, "invalid_visitor_token"],
  ["huge token", { body: good, headers: { "x-nurture-visitor": "v1." + "a".repeat(5000) } }, 401, "invalid_visitor_token"],
  ["origin not allowed", { body: good, headers: { origin: "https://evil.example" } }, 403, "origin_not_allowed"],
  ["preflight from an origin not allowed", { method: "OPTIONS", body: undefined, headers: { origin: "https://evil.example", "access-control-request-method": "POST" } }, 403, "origin_not_allowed"],
  ["OPTIONS without Origin", { method: "OPTIONS", body: undefined }, 400, "not_a_preflight"],
  ["preflight asking for DELETE", { method: "OPTIONS", body: undefined, headers: { origin: ORIGIN, "access-control-request-method": "DELETE" } }, 405, "method_not_allowed"],
  ["replay without a token", { path: "/v1/admin/replay", body: {} }, 401, "unauthorized"],
  ["replay with a wrong token", { path: "/v1/admin/replay", body: {}, headers: { authorization: "Bearer nope" } }, 401, "unauthorized"],
  ["replay with a Basic header", { path: "/v1/admin/replay", body: {}, headers: { authorization: `Basic ${ADMIN_TOKEN}` } }, 401, "unauthorized"],
  ["replay from a browser", { path: "/v1/admin/replay", body: {}, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, origin: ORIGIN } }, 403, "origin_not_allowed"],
  ["replay with a bad limit", { path: "/v1/admin/replay", body: { limit: "all" }, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, 400, "invalid_field"],
  ["replay with a list body", { path: "/v1/admin/replay", body: [1], headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, 400, "invalid_body"],
  ["GET replay", { path: "/v1/admin/replay", method: "GET", body: undefined }, 405, "method_not_allowed"],
  ["dead letters without a token", { path: "/v1/admin/dead-letters", method: "GET", body: undefined }, 401, "unauthorized"],
];

before(async () => {
  mf = await startWorker({ vars: { MAX_BODY_BYTES: "8192", MAX_EVENTS: "20", IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000" } });
});
after(async () => mf?.dispose());

function send({ body = good, noBody, raw, rawBytes, stream, headers = {}, method = "POST", path = "/v1/events" }) {
  const h = { "content-type": "application/json", "cf-connecting-ip": "203.0.113.9", ...headers };
  for (const [k, v] of Object.entries(h)) if (v === "") delete h[k];
  const init = { method, headers: h };
  if (noBody) {
    // no body
  } else if (stream !== undefined) {
    const chunk = new TextEncoder().encode("x".repeat(1024));
    let sent = 0;
    init.body = new ReadableStream({
      pull(c) {
        if (sent >= stream) return c.close();
        sent += chunk.length;
        c.enqueue(chunk);
      },
    });
    init.duplex = "half";
  } else if (rawBytes !== undefined) init.body = rawBytes;
  else if (raw !== undefined) init.body = raw;
  else if (body !== undefined && method !== "GET" && method !== "OPTIONS") init.body = JSON.stringify(body);
  return mf.dispatchFetch(`http://worker.test${path}`, init);
}

test(`the table holds at least 40 bad requests (${CASES.length})`, () => {
  assert.ok(CASES.length >= 40);
});

for (const [name, req, status, code] of CASES) {
  test(`bad request: ${name} → ${status} ${code}`, async () => {
    const res = await send(req);
    const text = await res.text();
    assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${text}`);
    assert.equal(res.status, status, text);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const body = JSON.parse(text);
    assert.equal(body.error.code, code, text);
    assert.equal(typeof body.error.message, "string");
    // still healthy: a good request right after
    const after = await send({ body: { events: [page()] } });
    assert.equal(after.status, 200, await after.text());
  });
}
